"""Browser uploads against the running platform: the API presigns a POST, the
file goes straight to the local S3 server (MinIO), which enforces the signed
policy and reports the new object to the API, which queues the ingestion."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import asyncpg
import httpx
import pytest

from callcenter.knowledge import documents as document_jobs
from callcenter.knowledge import uploads
from callcenter.knowledge.extraction import DOCX_TYPE, PDF_TYPE
from callcenter.settings import get_settings
from lambdas.ingest import s3_event
from tests.api.conftest import MakeUser, User
from tests.api.test_tenancy_api import onboard
from tests.fixtures.documents import generate

WEB_ORIGIN = "http://127.0.0.1:3000"


async def new_workspace(api: httpx.AsyncClient, make_user: MakeUser) -> tuple[User, str, str]:
    owner = await make_user("owner")
    created = await onboard(api, owner, "Acme", "Support")
    return owner, created["workspace"]["id"], created["business"]["id"]


async def request_upload(
    api: httpx.AsyncClient, user: User, workspace_id: str, file_name: str, content_type: str, size: int
) -> httpx.Response:
    return await api.post(
        f"/v1/workspaces/{workspace_id}/knowledge/uploads",
        headers=user.headers,
        json={"file_name": file_name, "content_type": content_type, "byte_size": size},
    )


async def post_to_s3(
    upload: dict[str, Any], data: bytes, file_name: str, content_type: str, **field_changes: str
) -> httpx.Response:
    fields = {**upload["fields"], **field_changes}
    async with httpx.AsyncClient(timeout=60) as client:
        return await client.post(
            upload["url"],
            data=fields,
            files={"file": (file_name, data, content_type)},
            headers={"Origin": WEB_ORIGIN},
        )


async def source_row(db: asyncpg.Pool, source_id: str) -> asyncpg.Record:
    row = await db.fetchrow(
        """select kind::text, status::text, storage_key, file_name, content_type, byte_size, title, status_detail
           from public.knowledge_sources where id = $1""",
        uuid.UUID(source_id),
    )
    assert row is not None
    return row


async def test_a_document_goes_from_the_browser_to_s3_and_queues_its_ingestion(
    api: httpx.AsyncClient, make_user: MakeUser, db: asyncpg.Pool, documents: dict[str, Path]
) -> None:
    owner, workspace_id, _ = await new_workspace(api, make_user)
    data = documents["handbook.pdf"].read_bytes()
    response = await request_upload(api, owner, workspace_id, "Support handbook (2026).pdf", PDF_TYPE, len(data))
    assert response.status_code == 201, response.text
    body = response.json()
    source_id = body["source_id"]
    key = f"workspaces/{workspace_id}/sources/{source_id}/Support-handbook-2026.pdf"
    assert body["storage_key"] == key
    assert body["upload"]["fields"]["key"] == key
    assert body["upload"]["fields"]["Content-Type"] == PDF_TYPE
    assert body["max_bytes"] == get_settings().document_max_bytes
    row = await source_row(db, source_id)
    assert (row["kind"], row["status"], row["storage_key"]) == ("document", "queued", None)
    assert (row["file_name"], row["title"], row["byte_size"]) == (
        "Support handbook (2026).pdf",
        "Support handbook (2026).pdf",
        len(data),
    )

    stored = await post_to_s3(body["upload"], data, "Support handbook (2026).pdf", PDF_TYPE)
    assert stored.status_code == 204, stored.text
    assert stored.headers.get("access-control-allow-origin") == WEB_ORIGIN
    assert uploads.download(get_settings(), key) == data

    # MinIO's notification reaches the API, which records the key and queues the job.
    deadline = time.monotonic() + 20
    while (await source_row(db, source_id))["storage_key"] != key:
        assert time.monotonic() < deadline, "the object-created event did not arrive"
        await asyncio.sleep(0.1)
    job_kinds = await db.fetch(
        "select kind::text from public.knowledge_jobs where source_id = $1", uuid.UUID(source_id)
    )
    assert [r["kind"] for r in job_kinds] == ["ingest_document"]

    # The job's first half, in-process: read it back from S3 and extract it.
    progress: list[tuple[int, int]] = []

    async def on_progress(done: int, total: int) -> None:
        progress.append((done, total))

    document = await document_jobs.read_uploaded_document(
        get_settings(), storage_key=key, file_name="handbook.pdf", content_type=PDF_TYPE, on_progress=on_progress
    )
    assert document.title == generate.PDF_TITLE
    assert generate.PDF_ROAMING_SENTENCE in document.text
    assert progress[0] == (0, 3) and progress[-1] == (3, 3)


async def test_the_uploaded_document_becomes_searchable(
    api: httpx.AsyncClient, make_user: MakeUser, db: asyncpg.Pool, documents: dict[str, Path]
) -> None:
    owner, workspace_id, _ = await new_workspace(api, make_user)
    data = documents["guide.docx"].read_bytes()
    body = (await request_upload(api, owner, workspace_id, "guide.docx", DOCX_TYPE, len(data))).json()
    assert (await post_to_s3(body["upload"], data, "guide.docx", DOCX_TYPE)).status_code == 204
    deadline = time.monotonic() + 60
    while (row := await source_row(db, body["source_id"]))["status"] not in ("ready", "failed"):
        assert time.monotonic() < deadline, f"still {row['status']}"
        await asyncio.sleep(0.2)
    assert row["status"] == "ready", row["status_detail"]
    found = await api.post(
        f"/v1/workspaces/{workspace_id}/knowledge/search",
        headers=owner.headers,
        json={"query": "how long do refunds take"},
    )
    assert found.status_code == 200, found.text
    assert any(generate.DOCX_REFUND_SENTENCE in passage["content"] for passage in found.json()["results"])

    # Deleting the source removes its passages and its file.
    key = (await source_row(db, body["source_id"]))["storage_key"]
    source_url = f"/v1/workspaces/{workspace_id}/knowledge/sources/{body['source_id']}"
    deleted = await api.delete(source_url, headers=owner.headers)
    assert deleted.status_code == 204
    client = uploads.s3_client(get_settings())
    deadline = time.monotonic() + 10
    while True:
        listed = client.list_objects_v2(Bucket=get_settings().s3_bucket, Prefix=key)
        if not listed.get("KeyCount"):
            break
        assert time.monotonic() < deadline, "the file is still in storage"
        await asyncio.sleep(0.2)


async def test_s3_enforces_the_signed_policy(
    api: httpx.AsyncClient, make_user: MakeUser, documents: dict[str, Path]
) -> None:
    owner, workspace_id, _ = await new_workspace(api, make_user)
    _, other_workspace_id, _ = await new_workspace(api, make_user)
    data = documents["guide.docx"].read_bytes()
    body = (await request_upload(api, owner, workspace_id, "guide.docx", DOCX_TYPE, len(data))).json()
    upload = body["upload"]

    too_large = await post_to_s3(upload, data + b"x", "guide.docx", DOCX_TYPE)
    assert too_large.status_code == 400 and "<Code>EntityTooLarge</Code>" in too_large.text
    empty = await post_to_s3(upload, b"", "guide.docx", DOCX_TYPE)
    assert empty.status_code == 400 and "<Code>EntityTooSmall</Code>" in empty.text
    wrong_type = await post_to_s3(upload, data, "guide.docx", "text/html", **{"Content-Type": "text/html"})
    assert wrong_type.status_code == 403 and "Policy" in wrong_type.text
    other_key = f"workspaces/{other_workspace_id}/sources/{uuid.uuid4()}/x.docx"
    elsewhere = await post_to_s3(upload, data, "guide.docx", DOCX_TYPE, key=other_key)
    assert elsewhere.status_code == 403
    tampered = await post_to_s3(upload, data, "guide.docx", DOCX_TYPE, policy=upload["fields"]["policy"][:-4] + "AAAA")
    assert tampered.status_code == 403
    assert (await post_to_s3(upload, data, "guide.docx", DOCX_TYPE)).status_code == 204


async def test_the_limit_is_25_mb(api: httpx.AsyncClient, make_user: MakeUser) -> None:
    """A 25 MB file may be presigned and stored; one byte more is refused before any upload."""
    owner, workspace_id, _ = await new_workspace(api, make_user)
    limit = 25 * 1024 * 1024
    assert get_settings().document_max_bytes == limit
    refused = await request_upload(api, owner, workspace_id, "big.pdf", PDF_TYPE, limit + 1)
    assert refused.status_code == 422
    assert refused.json()["error"]["message"] == (
        "This file is 25 MB; documents can be at most 25 MB. Split it into smaller files."
    )
    body = (await request_upload(api, owner, workspace_id, "big.pdf", PDF_TYPE, limit)).json()
    data = b"%PDF-1.4\n" + b"0" * (limit - 9)
    assert (await post_to_s3(body["upload"], data, "big.pdf", PDF_TYPE)).status_code == 204


@pytest.mark.parametrize(
    ("file_name", "content_type", "size", "code", "words"),
    [
        ("setup.exe", "application/x-msdownload", 10, "unsupported_type", "Only PDF (.pdf) and Word (.docx)"),
        ("old.doc", "application/msword", 10, "unsupported_type", "Old Word (.doc) files"),
        ("notes.pdf", DOCX_TYPE, 10, "type_mismatch", "name and type don't match"),
        ("empty.pdf", PDF_TYPE, 0, "empty_file", "This file is empty."),
        ("   ", PDF_TYPE, 10, "invalid_file_name", "needs a name"),
    ],
)
async def test_bad_upload_requests_are_refused_clearly(
    api: httpx.AsyncClient, make_user: MakeUser, file_name: str, content_type: str, size: int, code: str, words: str
) -> None:
    owner, workspace_id, _ = await new_workspace(api, make_user)
    response = await request_upload(api, owner, workspace_id, file_name, content_type, size)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == code
    assert words in response.json()["error"]["message"]


async def test_a_type_is_inferred_from_the_extension_when_the_browser_gives_none(
    api: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, workspace_id, _ = await new_workspace(api, make_user)
    response = await request_upload(api, owner, workspace_id, "C:\\fakepath\\Guide.DOCX", "", 100)
    assert response.status_code == 201, response.text
    assert response.json()["upload"]["fields"]["Content-Type"] == DOCX_TYPE
    assert response.json()["storage_key"].endswith("/Guide.docx")


async def test_only_the_workspace_managers_may_upload(
    api: httpx.AsyncClient, make_user: MakeUser, db: asyncpg.Pool
) -> None:
    _, workspace_id, business_id = await new_workspace(api, make_user)
    agent = await make_user("agent")
    await db.execute(
        "insert into public.business_members (business_id, user_id, role) values ($1, $2, 'agent')",
        uuid.UUID(business_id),
        uuid.UUID(agent.id),
    )
    await db.execute(
        "insert into public.workspace_members (workspace_id, business_id, user_id, role) values ($1, $2, $3, 'agent')",
        uuid.UUID(workspace_id),
        uuid.UUID(business_id),
        uuid.UUID(agent.id),
    )
    refused = await request_upload(api, agent, workspace_id, "a.pdf", PDF_TYPE, 10)
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "You need to be an admin of this workspace to add documents."
    stranger = await make_user("stranger")
    hidden = await request_upload(api, stranger, workspace_id, "a.pdf", PDF_TYPE, 10)
    assert hidden.status_code == 404
    anonymous = await api.post(
        f"/v1/workspaces/{workspace_id}/knowledge/uploads",
        json={"file_name": "a.pdf", "content_type": PDF_TYPE, "byte_size": 10},
    )
    assert anonymous.status_code == 401
    count = await db.fetchval(
        "select count(*) from public.knowledge_sources where workspace_id = $1", uuid.UUID(workspace_id)
    )
    assert count == 0


async def test_the_storage_hook_needs_the_shared_secret(api: httpx.AsyncClient) -> None:
    event = aws_event("callcenter-documents", "workspaces/nothing/here.pdf")
    assert (await api.post("/hooks/s3/object-created", json=event)).status_code == 401
    wrong = await api.post("/hooks/s3/object-created", json=event, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    secret = get_settings().s3_event_secret
    right = await api.post("/hooks/s3/object-created", json=event, headers={"Authorization": f"Bearer {secret}"})
    assert right.status_code == 200 and right.json() == {"queued_jobs": []}
    junk = await api.post(
        "/hooks/s3/object-created", content=b"not json", headers={"Authorization": f"Bearer {secret}"}
    )
    assert junk.status_code == 400


def aws_event(bucket: str, key: str, name: str = "ObjectCreated:Post", size: int = 1234) -> dict[str, Any]:
    """An S3 event notification as AWS sends it to Lambda (keys URL-encoded, spaces as '+')."""
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": "us-east-1",
                "eventTime": "2026-11-24T10:00:00.000Z",
                "eventName": name,
                "userIdentity": {"principalId": "AWS:AROAEXAMPLE"},
                "requestParameters": {"sourceIPAddress": "203.0.113.7"},
                "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810", "x-amz-id-2": "FMyUVURIY8/IgAtTv8xR"},
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "documents-object-created",
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    "object": {
                        "key": quote_plus(key, safe="/"),
                        "size": size,
                        "eTag": "d41d8cd98f00b204e9800998ecf8427e",
                        "sequencer": "0055AED6DCD90281E5",
                    },
                },
            }
        ]
    }


class _Uncommitted:
    """A Database whose service connections all run inside one transaction the test rolls
    back: the ingestion worker never sees the jobs, so nothing races the assertions."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    @asynccontextmanager
    async def as_service(self) -> AsyncIterator[asyncpg.Connection]:
        async with self.conn.transaction():
            yield self.conn


class _Rollback(Exception):
    pass


async def test_the_s3_event_handler_queues_each_upload_once(
    api: httpx.AsyncClient, make_user: MakeUser, db: asyncpg.Pool
) -> None:
    owner, workspace_id, _ = await new_workspace(api, make_user)
    body = (await request_upload(api, owner, workspace_id, "Price list Q1.pdf", PDF_TYPE, 1000)).json()
    key = body["storage_key"]
    settings = get_settings()
    async with db.acquire() as conn:
        try:
            async with conn.transaction():
                database: Any = _Uncommitted(conn)
                queued = await s3_event.handle_event(
                    aws_event(settings.s3_bucket, key), database=database, settings=settings
                )
                assert len(queued) == 1
                job = await conn.fetchrow(
                    "select source_id, kind::text from public.knowledge_jobs where id = $1", queued[0]
                )
                assert job is not None and (str(job["source_id"]), job["kind"]) == (
                    body["source_id"],
                    "ingest_document",
                )
                row = await conn.fetchrow(
                    "select storage_key, byte_size from public.knowledge_sources where id = $1",
                    uuid.UUID(body["source_id"]),
                )
                assert row is not None and (row["storage_key"], row["byte_size"]) == (key, 1234)
                # A repeated notification, another bucket, a removal, a foreign key: nothing more.
                for event in (
                    aws_event(settings.s3_bucket, key),
                    aws_event("someone-elses-bucket", key),
                    aws_event(settings.s3_bucket, key, name="ObjectRemoved:Delete"),
                    aws_event(settings.s3_bucket, f"workspaces/{workspace_id}/sources/{uuid.uuid4()}/x.pdf"),
                    aws_event(settings.s3_bucket, "avatars/me.png"),
                    {"Records": "not a list"},
                    {},
                ):
                    assert await s3_event.handle_event(event, database=database, settings=settings) == []
                # After a failure, a new upload of the file is read again.
                await conn.execute(
                    "update public.knowledge_jobs set status = 'failed', finished_at = now() where id = $1", queued[0]
                )
                await conn.execute(
                    "update public.knowledge_sources set status = 'failed' where id = $1", uuid.UUID(body["source_id"])
                )
                again = await s3_event.handle_event(
                    aws_event(settings.s3_bucket, key), database=database, settings=settings
                )
                assert len(again) == 1 and again != queued
                # An upload whose file never arrived is failed once its link has expired.
                pending = (await request_upload(api, owner, workspace_id, "never.pdf", PDF_TYPE, 10)).json()
                await conn.execute(
                    "update public.knowledge_sources set created_at = now() - interval '2 hours' where id = $1",
                    uuid.UUID(pending["source_id"]),
                )
                assert await uploads.expire_stale_uploads(conn, settings, grace=timedelta(minutes=15)) >= 1
                expired = await conn.fetchrow(
                    "select status::text, status_detail from public.knowledge_sources where id = $1",
                    uuid.UUID(pending["source_id"]),
                )
                assert expired is not None
                assert (expired["status"], expired["status_detail"]) == ("failed", uploads.UPLOAD_NOT_FINISHED)
                raise _Rollback
        except _Rollback:
            pass


def test_storage_keys() -> None:
    workspace, source = uuid.uuid4(), uuid.uuid4()
    key = uploads.storage_key(workspace, source, uploads.safe_file_name("Résumé \u2013 final?.PDF", PDF_TYPE))
    assert key == f"workspaces/{workspace}/sources/{source}/Resume-final.pdf"
    assert uploads.parse_storage_key(key) == (workspace, source)
    assert uploads.safe_file_name("../../etc/passwd", DOCX_TYPE) == "passwd.docx"
    assert uploads.safe_file_name("数据.pdf", PDF_TYPE) == "document.pdf"
    assert uploads.parse_storage_key(f"workspaces/{workspace}/sources/{source}/a/b.pdf") is None
    assert uploads.parse_storage_key(f"workspaces/{workspace}/other/{source}/b.pdf") is None
    assert (
        s3_event.created_objects(aws_event("b", "workspaces/x/a file+name.pdf"))[0].key
        == "workspaces/x/a file+name.pdf"
    )
