"""Uploaded documents: the browser's presigned upload straight to S3, the
object-created event that queues the document's ingestion, and reading the
stored file back.

1. `create_upload` (as the user: row level security lets only the workspace's
   managers add a source) registers a `document` source in status `queued`
   and returns a presigned POST for the key
   `workspaces/<workspace>/sources/<source>/<safe file name>`. The POST's
   signed policy fixes that key, the content type (PDF or .docx) and the size
   (1 byte to `document_max_bytes`), so S3 itself refuses anything else.
2. S3 reports the new object (in AWS: an event notification to the ingestion
   Lambda; locally: MinIO's webhook to the API). `object_created` (as the
   service) records the key on its source and queues `ingest_document`.
3. The job reads the object back with `download` (see
   callcenter.knowledge.documents)."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import PurePosixPath
from typing import TYPE_CHECKING
from uuid import UUID

import asyncpg
import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel

from callcenter.errors import DomainError, ErrorKind, forbidden, not_found
from callcenter.knowledge import jobs
from callcenter.knowledge.extraction.base import (
    DOCX_TYPE,
    PDF_TYPE,
    RetryableExtractionError,
    format_bytes,
)
from callcenter.knowledge.types import ExtractionError
from callcenter.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

EXTENSION_BY_TYPE = {PDF_TYPE: ".pdf", DOCX_TYPE: ".docx"}
_TYPE_ALIASES = {"application/x-pdf": PDF_TYPE}
_TYPE_BY_EXTENSION = {extension: content_type for content_type, extension in EXTENSION_BY_TYPE.items()}
_KEY = re.compile(
    r"^workspaces/(?P<workspace>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
    r"/sources/(?P<source>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/[^/]+$"
)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

MISSING_UPLOAD = "The uploaded file is no longer in storage. Upload the document again."
STORAGE_UNAVAILABLE = "The document storage can't be reached right now. We'll try again shortly."
UPLOAD_NOT_FINISHED = "The upload didn't finish. Upload the document again."


class PresignedPost(BaseModel):
    """Send `fields` first, then the file as `file`, as multipart/form-data, to `url`."""

    url: str
    fields: dict[str, str]


class CreatedUpload(BaseModel):
    source_id: UUID
    upload: PresignedPost
    storage_key: str
    max_bytes: int
    expires_at: datetime


# ---------------------------------------------------------------- S3


def s3_client(settings: Settings) -> S3Client:
    """S3 as configured: the local server (path-style, its keys) or AWS (the role's credentials)."""
    local = settings.s3_endpoint_url is not None
    client: S3Client = boto3.client(
        "s3",
        region_name=settings.s3_region,
        endpoint_url=settings.s3_endpoint_url,
        aws_access_key_id=settings.s3_access_key_id or None,
        aws_secret_access_key=settings.s3_secret_access_key or None,
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": "path" if local else "virtual"},
            retries={"max_attempts": 4, "mode": "standard"},
            connect_timeout=5,
            read_timeout=60,
        ),
    )
    return client


def storage_key(workspace_id: UUID, source_id: UUID, safe_name: str) -> str:
    return f"workspaces/{workspace_id}/sources/{source_id}/{safe_name}"


def parse_storage_key(key: str) -> tuple[UUID, UUID] | None:
    """(workspace id, source id) of a document's key, or None for any other key."""
    match = _KEY.match(key)
    if match is None:
        return None
    return UUID(match["workspace"]), UUID(match["source"])


def safe_file_name(file_name: str, content_type: str) -> str:
    """An S3 key segment anyone can read back: ASCII letters, digits, dot, dash, underscore; the type's extension."""
    stem = PurePosixPath(file_name).stem
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    cleaned = _UNSAFE.sub("-", ascii_stem).strip(".-_")[:100].strip(".-_")
    return f"{cleaned or 'document'}{EXTENSION_BY_TYPE[content_type]}"


# ---------------------------------------------------------------- the upload request


def clean_file_name(file_name: str) -> str:
    """The name as the person knows it: no folders (browsers may send C:\\fakepath\\...), no control characters."""
    name = _CONTROL.sub("", file_name.replace("\\", "/").rsplit("/", 1)[-1]).strip()
    return name[:255].strip()


def check_upload(file_name: str, content_type: str | None, byte_size: int, max_bytes: int) -> tuple[str, str]:
    """(clean file name, content type) for an upload request, or a DomainError saying what is wrong."""
    name = clean_file_name(file_name)
    if not name:
        raise DomainError(ErrorKind.INVALID, "invalid_file_name", "The file needs a name.", field="file_name")
    declared = (content_type or "").split(";")[0].strip().lower()
    declared = _TYPE_ALIASES.get(declared, declared)
    by_extension = _TYPE_BY_EXTENSION.get(PurePosixPath(name).suffix.lower())
    if declared in EXTENSION_BY_TYPE:
        if by_extension is not None and by_extension != declared:
            raise DomainError(
                ErrorKind.INVALID,
                "type_mismatch",
                "The file's name and type don't match. Only PDF (.pdf) and Word (.docx) documents can be uploaded.",
                field="content_type",
            )
        resolved = declared
    elif by_extension is not None and declared in ("", "application/octet-stream"):
        resolved = by_extension
    else:
        extension = PurePosixPath(name).suffix.lower()
        message = (
            "Old Word (.doc) files can't be read. Save it as .docx and upload that."
            if extension == ".doc"
            else "Only PDF (.pdf) and Word (.docx) documents can be uploaded."
        )
        raise DomainError(ErrorKind.INVALID, "unsupported_type", message, field="content_type")
    if byte_size <= 0:
        raise DomainError(ErrorKind.INVALID, "empty_file", "This file is empty.", field="byte_size")
    if byte_size > max_bytes:
        raise DomainError(
            ErrorKind.INVALID,
            "too_large",
            f"This file is {format_bytes(byte_size)}; documents can be at most {format_bytes(max_bytes)}. "
            "Split it into smaller files.",
            field="byte_size",
        )
    return name, resolved


def presigned_post(
    client: S3Client, settings: Settings, key: str, content_type: str, byte_size: int
) -> tuple[PresignedPost, datetime]:
    """A POST whose signed policy allows exactly this key and type, and at most `byte_size` bytes
    (what the browser said the file weighs, itself at most `document_max_bytes`)."""
    expires_in = settings.document_upload_expires_seconds
    post = client.generate_presigned_post(
        Bucket=settings.s3_bucket,
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[
            {"Content-Type": content_type},
            ["content-length-range", 1, min(byte_size, settings.document_max_bytes)],
        ],
        ExpiresIn=expires_in,
    )
    fields = {str(name): str(value) for name, value in post["fields"].items()}
    return PresignedPost(url=post["url"], fields=fields), datetime.now(UTC) + timedelta(seconds=expires_in)


async def create_upload(
    conn: asyncpg.Connection,
    settings: Settings,
    *,
    workspace_id: UUID,
    file_name: str,
    content_type: str | None,
    byte_size: int,
    client: S3Client | None = None,
) -> CreatedUpload:
    """Register a document source (status queued, no file yet) and presign its upload.
    `conn` acts as the user: row level security refuses anyone who doesn't manage the workspace."""
    name, resolved_type = check_upload(file_name, content_type, byte_size, settings.document_max_bytes)
    business_id = await conn.fetchval("select business_id from public.workspaces where id = $1", workspace_id)
    if business_id is None:
        raise not_found("That workspace")
    title = name[:200].strip()
    try:
        source_id: UUID = await conn.fetchval(
            """insert into public.knowledge_sources
                 (workspace_id, business_id, kind, title, file_name, content_type, byte_size, created_by)
               values ($1, $2, 'document', $3, $4, $5, $6, (select auth.uid()))
               returning id""",
            workspace_id,
            business_id,
            title,
            name,
            resolved_type,
            byte_size,
        )
    except asyncpg.InsufficientPrivilegeError as error:
        raise forbidden("You need to be an admin of this workspace to add documents.") from error
    key = storage_key(workspace_id, source_id, safe_file_name(name, resolved_type))
    post, expires_at = presigned_post(client or s3_client(settings), settings, key, resolved_type, byte_size)
    return CreatedUpload(
        source_id=source_id,
        upload=post,
        storage_key=key,
        max_bytes=settings.document_max_bytes,
        expires_at=expires_at,
    )


# ---------------------------------------------------------------- the object-created event


async def object_created(
    conn: asyncpg.Connection, settings: Settings, *, bucket: str, key: str, size: int | None
) -> UUID | None:
    """The file of a document source has arrived: record where it is and queue its ingestion.
    `conn` is a service connection. Returns the queued job's id, or None when the object is
    not a pending document's (another bucket or prefix, a deleted source, a repeated event)."""
    if bucket != settings.s3_bucket:
        return None
    parsed = parse_storage_key(key)
    if parsed is None:
        return None
    workspace_id, source_id = parsed
    row = await conn.fetchrow(
        """select storage_key, status::text as status, kind::text as kind
           from public.knowledge_sources where id = $1 and workspace_id = $2 for no key update""",
        source_id,
        workspace_id,
    )
    if row is None or row["kind"] != "document":
        return None
    if row["storage_key"] is not None and (row["storage_key"] != key or row["status"] not in ("failed", "cancelled")):
        return None  # a repeated notification, or a second file for a document already being read
    if size is not None and size > settings.document_max_bytes:
        await conn.execute(
            """update public.knowledge_sources set storage_key = $2, byte_size = $3, status = 'failed',
                      status_detail = $4 where id = $1""",
            source_id,
            key,
            size,
            f"This file is {format_bytes(size)}; documents can be at most "
            f"{format_bytes(settings.document_max_bytes)}. Split it into smaller files.",
        )
        return None
    await conn.execute(
        "update public.knowledge_sources set storage_key = $2, byte_size = coalesce($3, byte_size) where id = $1",
        source_id,
        key,
        size,
    )
    return await jobs.enqueue(conn, source_id, "ingest_document")


async def expire_stale_uploads(conn: asyncpg.Connection, settings: Settings, *, grace: timedelta | None = None) -> int:
    """Fail document sources whose file never arrived before their upload link expired
    (the browser was closed mid-upload). Service connection; returns how many."""
    cutoff = timedelta(seconds=settings.document_upload_expires_seconds) + (grace or timedelta(minutes=15))
    result: str = await conn.execute(
        """update public.knowledge_sources set status = 'failed', status_detail = $2
           where kind = 'document' and storage_key is null and status = 'queued'
             and created_at < now() - $1::interval""",
        cutoff,
        UPLOAD_NOT_FINISHED,
    )
    return int(result.split()[-1])


# ---------------------------------------------------------------- reading it back


def download(settings: Settings, key: str, *, client: S3Client | None = None) -> bytes:
    """The stored file's bytes. ExtractionError if it is gone or too large; RetryableExtractionError
    if S3 can't be reached."""
    s3 = client or s3_client(settings)
    try:
        response = s3.get_object(Bucket=settings.s3_bucket, Key=key)
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        if code in ("NoSuchKey", "404", "NotFound", "NoSuchBucket"):
            raise ExtractionError(MISSING_UPLOAD, code="missing_upload") from error
        raise RetryableExtractionError(STORAGE_UNAVAILABLE, code="storage_unavailable") from error
    except BotoCoreError as error:
        raise RetryableExtractionError(STORAGE_UNAVAILABLE, code="storage_unavailable") from error
    body = response["Body"]
    try:
        length = int(response.get("ContentLength") or 0)
        if length > settings.document_max_bytes:
            raise ExtractionError(
                f"This file is {format_bytes(length)}; documents can be at most "
                f"{format_bytes(settings.document_max_bytes)}. Split it into smaller files.",
                code="too_large",
            )
        data = body.read(settings.document_max_bytes + 1)
    except (BotoCoreError, OSError) as error:
        raise RetryableExtractionError(STORAGE_UNAVAILABLE, code="storage_unavailable") from error
    finally:
        body.close()
    if len(data) > settings.document_max_bytes:
        raise ExtractionError(
            f"This file is larger than {format_bytes(settings.document_max_bytes)}, the most a document can be. "
            "Split it into smaller files.",
            code="too_large",
        )
    return data


def delete_object(settings: Settings, key: str, *, client: S3Client | None = None) -> None:
    """Remove a document's file (when its source is deleted). Missing objects are fine."""
    (client or s3_client(settings)).delete_object(Bucket=settings.s3_bucket, Key=key)
