"""Document uploads: the browser asks for a presigned POST and sends the file
straight to S3; the storage's object-created event then queues its ingestion
(locally MinIO posts that event to /hooks/s3/object-created)."""

from __future__ import annotations

import hmac
import json
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from callcenter.knowledge import uploads
from lambdas.api.deps import DatabaseDep, SettingsDep, UserConnection
from lambdas.ingest import s3_event

router = APIRouter(prefix="/v1/workspaces/{workspace_id}/knowledge", tags=["knowledge"])
hooks_router = APIRouter(prefix="/hooks/s3", tags=["storage hooks"], include_in_schema=False)


class UploadRequest(BaseModel):
    file_name: str = Field(min_length=1, max_length=1024)
    content_type: str = Field(default="", max_length=255)
    byte_size: int = Field(ge=0, le=2**53)


@router.post("/uploads", status_code=status.HTTP_201_CREATED, response_model=uploads.CreatedUpload)
async def create_upload(
    workspace_id: UUID, body: UploadRequest, conn: UserConnection, settings: SettingsDep
) -> uploads.CreatedUpload:
    """Add a PDF or Word (.docx) document: registers it (status queued) and returns a presigned
    POST. Send `upload.fields` then the file (field `file`) as multipart/form-data to `upload.url`;
    S3 refuses other types, empty files and files over `max_bytes`. Reading starts when it arrives."""
    return await uploads.create_upload(
        conn,
        settings,
        workspace_id=workspace_id,
        file_name=body.file_name,
        content_type=body.content_type,
        byte_size=body.byte_size,
    )


@hooks_router.post("/object-created")
async def object_created(
    request: Request,
    settings: SettingsDep,
    database: DatabaseDep,
    authorization: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """The local S3 server's bucket notification (S3 event JSON), authenticated by the shared secret."""
    secret = settings.s3_event_secret
    if not secret:
        return JSONResponse({"message": "storage events are not configured"}, status_code=404)
    presented = (authorization or "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(presented.encode(), secret.encode()):
        return JSONResponse({"message": "invalid storage event secret"}, status_code=401)
    try:
        event: Any = json.loads(await request.body())
    except ValueError:
        return JSONResponse({"message": "the body is not JSON"}, status_code=400)
    if not isinstance(event, dict):
        return JSONResponse({"message": "the body is not an S3 event"}, status_code=400)
    queued = await s3_event.handle_event(event, database=database, settings=settings)
    return JSONResponse({"queued_jobs": [str(job) for job in queued]})
