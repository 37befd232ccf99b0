"""The `ingest_document` job: read an uploaded document back from S3, extract its
text (with the configured extractor, reporting pages as they are read) and
index it.

Register it with the ingestion worker:

    handlers({"ingest_document": documents.ingest_document})"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import time
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from callcenter.knowledge import uploads
from callcenter.knowledge.extraction import Extractor, StoredObject, get_extractor
from callcenter.knowledge.types import ExtractedDocument, ExtractionError
from callcenter.settings import Settings

if TYPE_CHECKING:
    from callcenter.knowledge.ingestion import JobContext

log = logging.getLogger(__name__)

#: Awaited with (pages extracted, total pages); at most every PROGRESS_EVERY seconds, and at the end.
AsyncProgress = Callable[[int, int], Coroutine[Any, Any, None]]
PROGRESS_EVERY = 0.5


async def read_uploaded_document(
    settings: Settings,
    *,
    storage_key: str,
    file_name: str,
    content_type: str | None,
    on_progress: AsyncProgress | None = None,
    extractor: Extractor | None = None,
) -> ExtractedDocument:
    """Download the object and extract it in a worker thread (PDFium and Tesseract block),
    forwarding progress to `on_progress` on the caller's event loop."""
    loop = asyncio.get_running_loop()
    chosen = extractor or get_extractor(settings)
    last = 0.0

    def progress(done: int, total: int) -> None:
        nonlocal last
        if on_progress is None:
            return
        now = time.monotonic()
        if done < total and done > 0 and now - last < PROGRESS_EVERY:
            return
        last = now
        future: concurrent.futures.Future[None] = asyncio.run_coroutine_threadsafe(on_progress(done, total), loop)
        try:
            future.result(timeout=30)  # keeps updates in order, and extraction no faster than the database
        except Exception:
            log.warning("could not report extraction progress", exc_info=True)

    def work() -> ExtractedDocument:
        data = uploads.download(settings, storage_key)
        return chosen.extract(
            data,
            file_name,
            content_type,
            progress=progress,
            stored=StoredObject(bucket=settings.s3_bucket, key=storage_key),
        )

    return await asyncio.to_thread(work)


async def ingest_document(ctx: JobContext) -> str | None:
    """The job handler for `ingest_document` (see callcenter.knowledge.ingestion)."""
    source = ctx.source
    if not source.storage_key:
        raise ExtractionError(uploads.UPLOAD_NOT_FINISHED, code="missing_upload")
    await ctx.check_cancelled()

    async def on_progress(done: int, total: int) -> None:
        await ctx.report(document_pages=total, document_pages_extracted=done)

    document = await read_uploaded_document(
        ctx.settings,
        storage_key=source.storage_key,
        file_name=source.file_name or source.title,
        content_type=source.content_type,
        on_progress=on_progress,
    )
    await ctx.check_cancelled()
    await ctx.index(document)
    await ctx.remove_missing([document.url])
    if document.metadata.get("ocr_pages"):
        pages = document.metadata["ocr_pages"].split(",")
        return f"{len(pages)} scanned page{'s' if len(pages) != 1 else ''} read with text recognition."
    return None
