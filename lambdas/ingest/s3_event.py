"""S3 object-created notifications -> the uploaded document's ingestion job.

In AWS the bucket's event notification invokes the ingestion Lambda with the
S3 event JSON (`Records[].s3.bucket.name`, `Records[].s3.object.key`, URL-encoded
as S3 sends it); locally MinIO posts the same JSON to the API's
`/hooks/s3/object-created`, which calls `handle_event` too. Each record whose
key belongs to a pending document source gets that source's `ingest_document`
job queued; anything else is ignored, so repeated or unrelated events are
harmless."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus
from uuid import UUID

from callcenter.db import Database
from callcenter.knowledge import uploads
from callcenter.settings import Settings, get_settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CreatedObject:
    bucket: str
    key: str
    size: int | None


def created_objects(event: Mapping[str, Any]) -> list[CreatedObject]:
    """The object-created records of an S3 event notification (AWS names events
    `ObjectCreated:Post`, MinIO `s3:ObjectCreated:Post`)."""
    found: list[CreatedObject] = []
    records = event.get("Records")
    if not isinstance(records, list):
        return found
    for record in records:
        if not isinstance(record, Mapping):
            continue
        name = str(record.get("eventName") or "")
        if not name.removeprefix("s3:").startswith("ObjectCreated:"):
            continue
        s3 = record.get("s3")
        if not isinstance(s3, Mapping):
            continue
        bucket = (s3.get("bucket") or {}).get("name")
        obj = s3.get("object") or {}
        key = obj.get("key")
        if not bucket or not key:
            continue
        size = obj.get("size")
        found.append(
            CreatedObject(
                bucket=str(bucket),
                key=unquote_plus(str(key)),
                size=int(size) if isinstance(size, int | float | str) and str(size).isdigit() else None,
            )
        )
    return found


async def handle_event(event: Mapping[str, Any], *, database: Database, settings: Settings) -> list[UUID]:
    """Queue ingestion for every uploaded document in the event. Returns the queued job ids."""
    queued: list[UUID] = []
    for created in created_objects(event):
        async with database.as_service() as conn:
            job_id = await uploads.object_created(
                conn, settings, bucket=created.bucket, key=created.key, size=created.size
            )
        if job_id is None:
            log.info("s3 event for %s/%s: not a pending document, ignored", created.bucket, created.key)
        else:
            log.info("s3 event for %s/%s: queued job %s", created.bucket, created.key, job_id)
            queued.append(job_id)
    return queued


_database: Database | None = None


def handle(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """The Lambda entry point for the bucket's s3:ObjectCreated:* notification."""
    global _database
    settings = get_settings()
    if _database is None:
        _database = Database(settings)
    queued = asyncio.run(handle_event(event, database=_database, settings=settings))
    return {"queued_jobs": [str(job) for job in queued]}
