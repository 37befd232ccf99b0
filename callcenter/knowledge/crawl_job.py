"""The `crawl` job: (re-)crawl a website source into the knowledge store.

The crawl stays under the source's `include_path_prefix` (set when the site is
added: by default the start page's folder; editable in its settings).

Unchanged pages keep their chunks (no re-embedding); changed and new pages are
re-indexed; pages the site no longer has are dropped, but only after a
complete crawl, so a partial or failed pass never deletes knowledge."""

from __future__ import annotations

import dataclasses

from callcenter.knowledge.crawler import CrawledPage, CrawlError, CrawlLimits, CrawlProgress, PageStatus, crawl_site
from callcenter.knowledge.ingestion import JobCancelled, JobContext, JobFailed


async def crawl_website(ctx: JobContext) -> str | None:
    source = ctx.source
    if not source.url:
        raise JobFailed("This website source has no address. Delete it and add the site again.")
    limits = CrawlLimits(
        **{
            name: value
            for name, value in (("max_pages", source.max_pages), ("max_depth", source.max_depth))
            if value is not None
        }
    )
    previous = {url: digest for url, digest in (await ctx.indexed_hashes()).items() if url is not None}
    indexed = 0

    async def on_progress(progress: CrawlProgress) -> None:
        await ctx.report(
            pages_found=progress.pages_found,
            pages_fetched=progress.pages_fetched,
            pages_indexed=indexed,
            pages_skipped=progress.pages_skipped,
            pages_failed=progress.pages_failed,
        )

    try:
        crawl = crawl_site(
            source.url,
            path_prefix=source.include_path_prefix,
            limits=limits,
            previous=previous,
            on_progress=on_progress,
            should_cancel=ctx.cancelled,
        )
    except ValueError as error:
        raise JobFailed(
            f"The path to stay under ({source.include_path_prefix}) is not a path such as /help. "
            "Edit the website's settings and try again."
        ) from error
    try:
        async with crawl:
            async for event in crawl:
                if not isinstance(event, CrawledPage):
                    continue
                if event.status is not PageStatus.UNCHANGED:
                    document = event.document
                    if document.url != event.url:
                        document = dataclasses.replace(document, url=event.url)
                    await ctx.index(document)
                indexed += 1
    except CrawlError as error:
        raise JobFailed(error.message) from error
    report = crawl.report
    await on_progress(crawl.progress)
    if await ctx.cancelled():
        raise JobCancelled()
    failure = report.failure()
    if failure is not None:
        raise JobFailed(failure.message)
    await ctx.remove(report.removed_urls)
    summary = report.summary()
    return summary if report.complete else f"{summary} (stopped early: {report.stopped})"
