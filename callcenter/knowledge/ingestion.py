"""Running one knowledge job: the handler registry and what a handler gets.

A handler is `async def handler(ctx: JobContext) -> str | None`, registered
for a job kind. It turns its source into ExtractedDocuments and hands each to
`ctx.index()`, reports progress with `ctx.report()`, checks
`ctx.cancelled()` between steps, and returns an optional note for the source's
status line ("3 pages skipped: not HTML"). It raises `JobFailed` (or
ExtractionError) with a reason written for the representative; anything else
is logged and reported in general words.

`index_article` is built in; crawling (`crawl`) and documents
(`ingest_document`) live in their own modules and load on first use.
A kind with no handler fails with a clear reason instead of waiting forever."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from callcenter.db import Database
from callcenter.knowledge import jobs, store
from callcenter.knowledge.chunking import chunk_document
from callcenter.knowledge.embeddings import Embedder, EmbeddingError
from callcenter.knowledge.jobs import Job, JobKind
from callcenter.knowledge.markdown import markdown_to_document
from callcenter.knowledge.types import ExtractedDocument, ExtractionError
from callcenter.settings import Settings

log = logging.getLogger(__name__)


class JobFailed(Exception):
    """The job cannot finish. `message` is shown to the representative as the source's status."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable


class JobCancelled(Exception):
    """Raised by a handler (or ctx.check_cancelled) when the source's cancellation was requested."""


@dataclass(frozen=True)
class SourceRow:
    """The source a job works on, as the worker read it when the job started."""

    id: UUID
    workspace_id: UUID
    business_id: UUID
    kind: str
    title: str
    url: str | None
    max_pages: int | None
    max_depth: int | None
    include_path_prefix: str | None
    body_markdown: str | None
    storage_key: str | None
    file_name: str | None
    content_type: str | None
    byte_size: int | None
    last_refreshed_at: datetime | None


_SOURCE_COLUMNS = """id, workspace_id, business_id, kind::text as kind, title, url, max_pages, max_depth,
    include_path_prefix, body_markdown, storage_key, file_name, content_type, byte_size, last_refreshed_at"""


@dataclass
class JobContext:
    job: Job
    source: SourceRow
    database: Database
    embedder: Embedder
    settings: Settings
    chunks_written: int = 0
    documents_written: int = 0
    _progress: dict[str, int] = field(default_factory=dict)

    async def index(self, document: ExtractedDocument) -> int:
        """Chunk, embed and store one document (replacing its previous version). Returns its chunk count.
        An empty document is not stored; the caller decides whether that is worth a note."""
        chunks = chunk_document(document)
        if not chunks:
            return 0
        vectors = await self.embedder.embed([chunk.embedding_text() for chunk in chunks])
        async with self.database.as_service() as conn:
            await store.write_document(
                conn,
                workspace_id=self.source.workspace_id,
                source_id=self.source.id,
                document=document,
                chunks=chunks,
                vectors=vectors,
                embedding_model=self.embedder.model_name,
            )
            await store.refresh_chunk_count(conn, self.source.id)
        self.chunks_written += len(chunks)
        self.documents_written += 1
        return len(chunks)

    async def indexed_hashes(self) -> dict[str | None, str]:
        """What the source holds now: URL (None for an article or file) -> content hash.
        A re-crawl skips pages whose hash has not changed (and whose vectors are this embedder's)."""
        async with self.database.as_service() as conn:
            return await store.document_hashes(conn, self.source.id, self.embedder.model_name)

    async def remove_missing(self, keep: Iterable[str | None]) -> int:
        """After a full pass: drop the documents that are no longer there."""
        async with self.database.as_service() as conn:
            removed = await store.delete_documents_except(conn, self.source.id, set(keep))
            await store.refresh_chunk_count(conn, self.source.id)
        return removed

    async def remove(self, urls: Iterable[str]) -> int:
        """Drop these pages (a re-crawl found them removed)."""
        urls = list(urls)
        if not urls:
            return 0
        async with self.database.as_service() as conn:
            removed = await store.delete_documents(conn, self.source.id, urls)
            await store.refresh_chunk_count(conn, self.source.id)
        return removed

    async def report(self, **progress: int) -> None:
        """Merge counters into the source's progress (streamed live to the web app)."""
        self._progress.update(progress)
        async with self.database.as_service() as conn:
            await store.merge_progress(conn, self.source.id, progress)

    async def cancelled(self) -> bool:
        """Whether the representative cancelled this source's update. Also renews the job's lease."""
        async with self.database.as_service() as conn:
            return await jobs.heartbeat(conn, self.job)

    async def check_cancelled(self) -> None:
        if await self.cancelled():
            raise JobCancelled()


JobHandler = Callable[[JobContext], Awaitable[str | None]]


async def index_article(ctx: JobContext) -> str | None:
    body = ctx.source.body_markdown or ""
    document = markdown_to_document(ctx.source.title, body)
    if document.is_empty:
        raise JobFailed("This article has no text to search. Add some text and save it again.")
    await ctx.report(document_pages=1)
    await ctx.index(document)
    await ctx.remove_missing([document.url])
    await ctx.report(document_pages_extracted=1)
    return None


def unavailable(what: str) -> JobHandler:
    async def handler(ctx: JobContext) -> str | None:
        raise JobFailed(f"{what} is not available on this server yet, so this source could not be processed.")

    return handler


async def crawl_website(ctx: JobContext) -> str | None:
    # Imported on use: the crawler's libraries come with the `ingest` extra only.
    from callcenter.knowledge.crawl_job import crawl_website as run

    return await run(ctx)


async def ingest_document(ctx: JobContext) -> str | None:
    from callcenter.knowledge.documents import ingest_document as run

    return await run(ctx)


def handlers(overrides: Mapping[JobKind, JobHandler] | None = None) -> dict[JobKind, JobHandler]:
    """Job kind -> handler."""
    registry: dict[JobKind, JobHandler] = {
        "index_article": index_article,
        "crawl": crawl_website,
        "ingest_document": ingest_document,
    }
    registry.update(overrides or {})
    return registry


GENERIC_FAILURE = (
    "Something went wrong while processing this source. Try refreshing it; if it keeps failing, contact support."
)


async def run_job(
    job: Job,
    *,
    database: Database,
    embedder: Embedder,
    settings: Settings,
    registry: Mapping[JobKind, JobHandler],
) -> str:
    """Run a claimed job to its end state. Returns that state (for logs and tests)."""
    async with database.as_service() as conn:
        row = await conn.fetchrow(
            f"select {_SOURCE_COLUMNS} from public.knowledge_sources where id = $1", job.source_id
        )
    if row is None:
        return "gone"  # the source was deleted; its jobs went with it
    ctx = JobContext(job=job, source=SourceRow(**dict(row)), database=database, embedder=embedder, settings=settings)
    handler = registry.get(job.kind) or unavailable(f"Jobs of kind {job.kind}")
    try:
        detail = await handler(ctx)
        if await ctx.cancelled():
            raise JobCancelled()
    except JobCancelled:
        async with database.as_service() as conn:
            await jobs.cancelled(conn, job, _cancelled_detail(ctx))
        return "cancelled"
    except (JobFailed, ExtractionError, EmbeddingError) as error:
        retryable = bool(getattr(error, "retryable", False))
        message = error.message
        log.info("job %s (%s) failed: %s", job.id, job.kind, message)
        async with database.as_service() as conn:
            retrying = await jobs.fail(conn, job, message, retryable=retryable)
        return "retrying" if retrying else "failed"
    except Exception:
        if not await _source_exists(database, job.source_id):
            log.info("job %s (%s): its source was deleted while it ran", job.id, job.kind)
            return "gone"
        log.exception("job %s (%s) crashed", job.id, job.kind)
        async with database.as_service() as conn:
            retrying = await jobs.fail(conn, job, GENERIC_FAILURE, retryable=True)
        return "retrying" if retrying else "failed"
    async with database.as_service() as conn:
        await jobs.complete(conn, job, detail)
    return "ready"


async def _source_exists(database: Database, source_id: UUID) -> bool:
    async with database.as_service() as conn:
        found = await conn.fetchval("select exists (select 1 from public.knowledge_sources where id = $1)", source_id)
    return bool(found)


def _cancelled_detail(ctx: JobContext) -> str:
    if ctx.documents_written:
        pages = ctx.documents_written
        return f"Cancelled. {pages} page{'s' if pages != 1 else ''} indexed before it stopped stay searchable."
    return "Cancelled."
