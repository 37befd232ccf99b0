"""Limits (pages, time, bytes), politeness (delay, crawl-delay, concurrency) and cancellation."""

from __future__ import annotations

import itertools
import statistics
import time

import pytest

from callcenter.knowledge.crawler import CrawledPage, CrawlError, CrawlLimits, StopReason, crawl_site
from tests.crawler.conftest import FAST, LOOPBACK_POLICY, run
from tests.fixtures.helpcenter.server import Reply
from tests.fixtures.helpcenter.site import HelpCenter

NOT_PAGES = ("/robots.txt", "/sitemap.xml", "/sitemaps/help.xml", "/sitemaps/more.xml.gz", "/help/extra-sitemap.xml")


def limits(**changes: object) -> CrawlLimits:
    return CrawlLimits(**{**FAST.__dict__, **changes})


def assert_spaced(center: HelpCenter, delay: float, *, at_least: int) -> None:
    """Request starts are `delay` apart. Measured where the server logs them, in a thread of the
    test process: under load one request can be logged a GIL stall late (seen once in CI: one gap of
    2 ms after the first request, every other gap 200 ms), which shortens one gap. So one short gap
    is tolerated; without a delay every gap is about 1 ms and both checks fail."""
    starts = sorted(request.at for request in center.site.requests)
    assert len(starts) >= at_least
    gaps = sorted(later - earlier for earlier, later in itertools.pairwise(starts))
    assert sum(gaps[1:]) >= 0.95 * delay * (len(gaps) - 1)
    assert statistics.median(gaps) >= 0.9 * delay


def page_requests(center: HelpCenter) -> list[float]:
    return [request.at for request in center.site.requests if request.path not in NOT_PAGES]


async def test_page_limit(center: HelpCenter) -> None:
    crawl = crawl_site(center.start_url, limits=limits(max_pages=5), policy=LOOPBACK_POLICY)
    result = await run(crawl)
    assert len(page_requests(center)) <= 5 + 3  # five pages, a redirect chain may add hops
    assert result.report.pages_fetched <= 5
    assert result.report.stopped is StopReason.MAX_PAGES
    assert not result.report.complete
    assert "page limit" in result.report.summary()


async def test_time_limit(center: HelpCenter) -> None:
    for slug in ("create-account", "invite-teammates", "reset-password", "billing-plans", "voicemail"):
        center.site.add(f"/help/articles/{slug}", Reply.html("<p>slow</p>", delay=1.5))
    started = time.monotonic()
    crawl = crawl_site(center.start_url, limits=limits(max_total_seconds=1.0, concurrency=2), policy=LOOPBACK_POLICY)
    result = await run(crawl)
    assert time.monotonic() - started < 3.0
    assert result.report.stopped is StopReason.MAX_TIME
    assert not result.report.complete


async def test_byte_limit_applies_to_the_start_page(center: HelpCenter) -> None:
    crawl = crawl_site(center.start_url, limits=limits(max_page_bytes=2000), policy=LOOPBACK_POLICY)
    with pytest.raises(CrawlError) as caught:  # the home page is larger than 2000 bytes
        await run(crawl)
    assert caught.value.code == "start_too_large"
    assert "1 KB limit" in caught.value.message


async def test_delay_between_requests(center: HelpCenter) -> None:
    crawl = crawl_site(center.start_url, limits=limits(per_host_delay_seconds=0.2, max_pages=6), policy=LOOPBACK_POLICY)
    await run(crawl)
    assert_spaced(center, 0.2, at_least=7)


async def test_robots_crawl_delay_is_honored_within_reason(center: HelpCenter) -> None:
    robots = "User-agent: *\nCrawl-delay: 0.3\nDisallow: /help/internal/\n"
    center.site.add("/robots.txt", Reply(body=robots.encode(), content_type="text/plain"))
    center.site.remove("/sitemap.xml")
    crawl = crawl_site(center.start_url, limits=limits(max_pages=3), policy=LOOPBACK_POLICY)
    result = await run(crawl)
    assert result.report.crawl_delay_seconds == 0.3
    assert_spaced(center, 0.3, at_least=4)

    center.site.reset_log()
    center.site.add("/robots.txt", Reply(body=b"User-agent: *\nCrawl-delay: 120\n", content_type="text/plain"))
    crawl = crawl_site(
        center.start_url, limits=limits(max_pages=1, max_crawl_delay_seconds=0.2), policy=LOOPBACK_POLICY
    )
    result = await run(crawl)
    assert result.report.crawl_delay_seconds == 0.2
    assert any("120 s" in note for note in result.report.notes)


async def test_concurrency_is_bounded(center: HelpCenter) -> None:
    for article in center.articles.values():
        center.site.add(article.path, Reply.html(f"<h1>{article.title}</h1>{article.body}", delay=0.2))
    for path in ("/help/articles/huge", "/help/articles/huge-declared"):
        center.site.remove(path)  # the server keeps writing an abandoned huge page for a while
    crawl = crawl_site(center.start_url, limits=limits(concurrency=3), policy=LOOPBACK_POLICY)
    await run(crawl)
    assert 2 <= center.site.max_in_flight <= 3


async def test_cancellation_between_pages(center: HelpCenter) -> None:
    seen = 0

    def should_cancel() -> bool:
        return seen >= 3

    crawl = crawl_site(
        center.start_url, limits=limits(concurrency=1), policy=LOOPBACK_POLICY, should_cancel=should_cancel
    )
    events = []
    async for event in crawl:
        events.append(event)
        if isinstance(event, CrawledPage):
            seen += 1
    report = crawl.report
    assert report.stopped is StopReason.CANCELLED
    assert not report.complete
    assert report.pages_extracted <= 4
    assert "Cancelled" in report.summary()


async def test_async_cancel_check_before_start(center: HelpCenter) -> None:
    async def cancelled() -> bool:
        return True

    crawl = crawl_site(center.start_url, limits=FAST, policy=LOOPBACK_POLICY, should_cancel=cancelled)
    result = await run(crawl)
    assert result.events == []
    assert result.report.stopped is StopReason.CANCELLED
    assert center.site.requests == []


async def test_stopping_iteration_early(center: HelpCenter) -> None:
    async with crawl_site(center.start_url, limits=FAST, policy=LOOPBACK_POLICY) as crawl:
        async for _event in crawl:
            break
    assert crawl.report.stopped is StopReason.ABORTED
    assert not crawl.report.complete
