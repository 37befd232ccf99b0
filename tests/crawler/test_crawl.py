"""A full crawl of the Acme help center fixture: what is read, what is skipped, what is never requested."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import pytest_asyncio

from callcenter.knowledge.crawler import (
    CrawledPage,
    CrawlLimits,
    CrawlProgress,
    FailedPage,
    FailReason,
    PageStatus,
    SkippedPage,
    SkipReason,
    crawl_site,
)
from tests.crawler.conftest import FAST, LOOPBACK_POLICY, Result, SpyBackend, run
from tests.fixtures.helpcenter.server import Reply, Site, serve
from tests.fixtures.helpcenter.site import CHROME_PHRASES, HelpCenter, build_help_center, page

EXPECTED_ARTICLES = {
    "create-account",
    "invite-teammates",
    "reset-password",
    "api-keys",  # only in the sitemap named by robots.txt
    "billing-plans",
    "update-card",
    "invoices",  # billing page 2: only through "next"
    "refunds",
    "cancel-subscription",  # billing page 3
    "tax-exemption",
    "billing-faq",  # only through a redirect chain
    "call-recording",
    "phone-numbers",
    "voicemail",  # only in the sitemap
    "sms-numbers",  # only in the gzipped sitemap
}


@dataclass
class FullCrawl:
    center: HelpCenter
    site: Site
    result: Result
    spy: SpyBackend

    def url(self, path: str) -> str:
        return self.center.url(path)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def full() -> AsyncIterator[FullCrawl]:
    site = Site()
    with serve(site) as base:
        center = build_help_center(site, base)
        spy = SpyBackend()
        progress: list[CrawlProgress] = []
        crawl = crawl_site(
            center.start_url, limits=FAST, policy=LOOPBACK_POLICY, network_backend=spy, on_progress=progress.append
        )
        events = [event async for event in crawl]
        result = Result(events=events, report=crawl.report, progress=progress)
        yield FullCrawl(center=center, site=site, result=result, spy=spy)


def test_reads_every_article_and_only_articles(full: FullCrawl) -> None:
    expected = {full.center.article_url(slug) for slug in EXPECTED_ARTICLES} | {full.center.start_url}
    assert full.result.urls() == expected
    assert all(page.status is PageStatus.NEW for page in full.result.pages)


def test_titles_and_headings_are_kept_and_chrome_dropped(full: FullCrawl) -> None:
    page = full.result.page(full.center.article_url("reset-password"))
    assert page.document.title == "Reset your password"
    assert ("From the login page", "If the email never arrives") in [s.heading_path for s in page.document.sections]
    assert "Lockout | 15 minutes after 10 failed attempts" in page.document.text
    for crawled in full.result.pages:
        for phrase in CHROME_PHRASES:
            assert phrase not in crawled.document.text, (crawled.url, phrase)
        assert crawled.document.url == crawled.url
        assert crawled.content_hash == crawled.document.content_hash


def test_stays_on_the_site_and_under_the_path(full: FullCrawl) -> None:
    paths = full.site.requested_paths()
    assert all(
        path == "/robots.txt" or path == "/sitemap.xml" or path.startswith(("/help", "/sitemaps/")) for path in paths
    )
    for never in ("/pricing", "/blog/", "/blog/2026/launch", "/privacy", "/login", "/help/search"):
        assert never not in paths
    # External links were neither requested nor even looked up.
    assert full.spy.hosts() == {"127.0.0.1"}
    base = full.center.base
    assert all(event.url.startswith(base) for event in full.result.events)
    assert not any(isinstance(e, FailedPage) and e.reason is FailReason.DNS for e in full.result.events)


def test_robots_txt_is_honored(full: FullCrawl) -> None:
    assert "/help/internal/roadmap" not in full.site.requested_paths()
    event = full.result.event_for(full.url("/help/internal/roadmap"))
    assert isinstance(event, SkippedPage) and event.reason is SkipReason.ROBOTS
    assert full.site.requested_paths()[0] == "/robots.txt"
    assert all(request.user_agent.startswith("CallCenterBot") for request in full.site.requests)


def test_sitemaps_are_read(full: FullCrawl) -> None:
    assert set(full.result.report.sitemaps) == {
        full.url("/sitemap.xml"),
        full.url("/sitemaps/help.xml"),
        full.url("/sitemaps/more.xml.gz"),
        full.url("/help/extra-sitemap.xml"),
    }
    for orphan in ("voicemail", "sms-numbers", "api-keys"):
        assert full.center.article_url(orphan) in full.result.urls()


def test_pagination_is_followed(full: FullCrawl) -> None:
    targets = full.site.requested_targets()
    assert "/help/categories/billing?page=2" in targets
    assert "/help/categories/billing?page=3" in targets
    assert full.center.article_url("cancel-subscription") in full.result.urls()


def test_duplicate_urls_are_fetched_once(full: FullCrawl) -> None:
    """Five links to reset-password (query, fragment, tracking, trailing slash, upper-case scheme): one request."""
    assert Counter(full.site.requested_paths())["/help/articles/reset-password"] == 1
    assert len([p for p in full.result.pages if "reset-password" in p.url]) == 1


def test_same_content_under_two_urls_is_skipped(full: FullCrawl) -> None:
    event = full.result.event_for(full.url("/help/articles/reset-password-copy"))
    assert isinstance(event, SkippedPage)
    assert event.reason is SkipReason.DUPLICATE_CONTENT
    assert event.duplicate_of == full.center.article_url("reset-password")


def test_canonical_tag_is_honored(full: FullCrawl) -> None:
    canonical = full.center.article_url("invite-teammates")
    assert len([p for p in full.result.pages if p.url == canonical]) == 1
    assert not any("/print/" in page.url for page in full.result.pages)
    printable = full.url("/help/articles/print/invite-teammates")
    events = [e for e in full.result.events if e.url in {printable, canonical}]
    assert {type(e) for e in events} == {CrawledPage, SkippedPage}
    skipped = next(e for e in events if isinstance(e, SkippedPage))
    assert skipped.reason in {SkipReason.DUPLICATE_CANONICAL, SkipReason.DUPLICATE_URL}


def test_redirect_chain_is_followed(full: FullCrawl) -> None:
    page = full.result.page(full.center.article_url("billing-faq"))
    assert page.fetched_url == full.url("/help/articles/old-billing-faq")
    targets = full.site.requested_paths()
    assert {"/help/articles/old-billing-faq", "/help/kb/billing-faq", "/help/articles/billing-faq"} <= set(targets)


def test_redirect_loop_fails_one_page(full: FullCrawl) -> None:
    event = full.result.event_for(full.url("/help/articles/loop"))
    assert isinstance(event, FailedPage) and event.reason is FailReason.REDIRECT_LOOP
    assert Counter(full.site.requested_paths())["/help/articles/loop"] == 1


def test_redirects_to_private_addresses_are_never_connected(full: FullCrawl) -> None:
    for path in ("/help/articles/partner-portal", "/help/articles/instance-info"):
        event = full.result.event_for(full.url(path))
        assert isinstance(event, SkippedPage) and event.reason is SkipReason.OFF_SITE, event
    assert full.spy.hosts() == {"127.0.0.1"}


def test_404_and_500_are_counted_not_fatal(full: FullCrawl) -> None:
    missing = full.result.event_for(full.url("/help/articles/deleted-article"))
    assert isinstance(missing, FailedPage) and missing.reason is FailReason.NOT_FOUND and missing.status_code == 404
    broken = full.result.event_for(full.url("/help/server-error"))
    assert isinstance(broken, FailedPage) and broken.reason is FailReason.SERVER_ERROR


def test_ten_megabyte_pages_are_skipped_without_reading_them(full: FullCrawl) -> None:
    limit = CrawlLimits().max_page_bytes
    for path in ("/help/articles/huge", "/help/articles/huge-declared"):
        event = full.result.event_for(full.url(path))
        assert isinstance(event, SkippedPage) and event.reason is SkipReason.TOO_LARGE
    # Everything downloaded in the whole crawl is well under the 20 MB the two pages hold.
    assert full.result.report.bytes_downloaded < limit + 1024 * 1024


def test_non_html_and_noindex_are_skipped(full: FullCrawl) -> None:
    export = full.result.event_for(full.url("/help/export"))
    assert isinstance(export, SkippedPage) and export.reason is SkipReason.NOT_HTML
    # Links that name a file type (.pdf, .json) are not even requested.
    assert "/help/files/user-guide.pdf" not in full.site.requested_paths()
    assert "/help/status.json" not in full.site.requested_paths()
    draft = full.result.event_for(full.url("/help/articles/draft-feature"))
    assert isinstance(draft, SkippedPage) and draft.reason is SkipReason.NOINDEX


def test_category_pages_are_crawled_not_indexed(full: FullCrawl) -> None:
    for path in ("/help/categories/billing", "/help/categories/calls", "/help/categories/getting-started"):
        event = full.result.event_for(full.url(path))
        assert isinstance(event, SkippedPage) and event.reason is SkipReason.LISTING


def test_report_matches_the_events(full: FullCrawl) -> None:
    report = full.result.report
    assert report.complete and report.stopped is None
    assert report.pages_extracted == len(full.result.pages) == report.pages_new
    assert report.pages_skipped == len(full.result.skipped)
    assert report.pages_failed == len(full.result.failed)
    assert report.skipped == dict(Counter(e.reason.value for e in full.result.skipped))
    assert report.failed == dict(Counter(e.reason.value for e in full.result.failed))
    assert report.pages_found >= report.pages_extracted + report.pages_skipped + report.pages_failed - 1
    assert report.removed_urls == ()
    assert report.scope_url == full.center.start_url
    assert "read" in report.summary()


def test_progress_is_reported_live(full: FullCrawl) -> None:
    progress = full.result.progress
    assert len(progress) >= 10
    for earlier, later in itertools.pairwise(progress):
        assert later.pages_fetched >= earlier.pages_fetched
        assert later.pages_found >= earlier.pages_found
    last = progress[-1]
    report = full.result.report
    assert (last.pages_found, last.pages_fetched, last.pages_skipped, last.pages_failed) == (
        report.pages_found,
        report.pages_fetched,
        report.pages_skipped,
        report.pages_failed,
    )
    assert last.pages_extracted == report.pages_extracted


@pytest.mark.parametrize("depth", [2])
async def test_pagination_does_not_use_up_depth(center: HelpCenter, depth: int) -> None:
    """home (0) -> billing (1) -> page 2 -> page 3 (still 1) -> cancel-subscription (2)."""
    limits = CrawlLimits(**{**FAST.__dict__, "max_depth": depth})
    crawl = crawl_site(center.start_url, limits=limits, policy=LOOPBACK_POLICY)
    urls = {event.url for event in [e async for e in crawl] if isinstance(event, CrawledPage)}
    assert center.article_url("cancel-subscription") in urls
    assert center.article_url("tax-exemption") in urls


async def test_depth_limit(center: HelpCenter) -> None:
    limits = CrawlLimits(**{**FAST.__dict__, "max_depth": 1})
    crawl = crawl_site(center.start_url, limits=limits, policy=LOOPBACK_POLICY)
    urls = {event.url for event in [e async for e in crawl] if isinstance(event, CrawledPage)}
    assert center.article_url("update-card") not in urls  # home -> billing -> update-card is depth 2
    assert center.article_url("reset-password") in urls  # linked from home
    assert center.article_url("voicemail") in urls  # sitemap entries are depth 1


async def test_a_site_without_articles_reports_a_failure(site: tuple[Site, str]) -> None:
    fixture_site, base = site
    items = "".join(f'<li><a href="/help/a{n}">Article number {n}</a></li>' for n in range(10))
    fixture_site.add("/help", Reply.html(page("Help", f"<ul>{items}</ul>", article=False)))
    crawl = crawl_site(base + "/help", limits=FAST, policy=LOOPBACK_POLICY)
    result = await run(crawl)
    assert result.report.pages_extracted == 0
    assert result.report.pages_failed >= 10  # every link is a 404
    error = result.report.failure()
    assert error is not None and error.code == "no_articles"
    assert error.message.startswith("We couldn't find any article text")
