"""A website's `include_path_prefix` scopes its crawl: the crawler stays under
that path (the start page, if outside it, is only read for its links), and the
crawl job passes the source's setting through. On the Acme help center fixture."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import pytest

from callcenter.knowledge.crawl_job import crawl_website
from callcenter.knowledge.crawler import CrawlLimits, SkippedPage, SkipReason, crawl_site
from callcenter.knowledge.crawler.urls import Scope, normalize_path_prefix
from callcenter.knowledge.ingestion import JobFailed, SourceRow
from callcenter.knowledge.types import ExtractedDocument
from tests.crawler.conftest import FAST, LOOPBACK_POLICY, SpyBackend, run
from tests.fixtures.helpcenter.server import Site
from tests.fixtures.helpcenter.site import HelpCenter


@pytest.mark.parametrize(
    ("given", "expected"),
    [("/", ""), ("/help/", "/help"), ("/help", "/help"), ("  /hc/en-us//  ", "/hc/en-us")],
)
def test_path_prefixes_are_normalized(given: str, expected: str) -> None:
    assert normalize_path_prefix(given) == expected


@pytest.mark.parametrize("bad", ["help", "", "/help me", "/help?x=1", "/help#top"])
def test_a_path_prefix_must_be_an_absolute_path(bad: str) -> None:
    with pytest.raises(ValueError):
        normalize_path_prefix(bad)


def test_an_explicit_prefix_replaces_the_start_page_s_folder() -> None:
    scope = Scope.from_url("https://help.example.com/help/index.html", "/help/articles/")
    assert scope.contains("https://help.example.com/help/articles/refunds")
    assert not scope.contains("https://help.example.com/help/categories/billing")
    assert not scope.contains("https://help.example.com/help/articles-old/refunds")
    assert Scope.from_url("https://help.example.com/help/index.html").path_prefix == "/help"
    assert Scope.from_url("https://help.example.com/help/", "/").contains("https://help.example.com/pricing")


async def test_the_crawler_stays_under_the_given_path(
    site: tuple[Site, str], center: HelpCenter, spy: SpyBackend
) -> None:
    fixture_site, _base = site
    articles = center.url("/help/articles")
    result = await run(
        crawl_site(
            center.start_url, path_prefix="/help/articles", limits=FAST, policy=LOOPBACK_POLICY, network_backend=spy
        )
    )
    assert result.pages, result.report
    assert all(page.url.startswith(articles + "/") for page in result.pages), sorted(result.urls())
    # The start page (/help) is outside the path: read for its links, not indexed.
    start = result.event_for(center.start_url)
    assert isinstance(start, SkippedPage) and start.reason is SkipReason.OFF_SITE
    # Category pages are never requested (pagination under them is out of scope too).
    assert not [path for path in fixture_site.requested_paths() if path.startswith("/help/categories")]
    assert result.report.scope_url == articles
    # Without a prefix the same crawl reads the category pages.
    fixture_site.reset_log()
    unscoped = await run(crawl_site(center.start_url, limits=FAST, policy=LOOPBACK_POLICY, network_backend=spy))
    assert any(path.startswith("/help/categories") for path in fixture_site.requested_paths())
    assert len(unscoped.pages) > len(result.pages)


@dataclass
class _Context:
    """What crawl_website uses of a JobContext (callcenter.knowledge.ingestion), recording what it indexes."""

    source: SourceRow
    indexed: list[ExtractedDocument] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    async def indexed_hashes(self) -> dict[str | None, str]:
        return {}

    async def index(self, document: ExtractedDocument) -> int:
        self.indexed.append(document)
        return 1

    async def report(self, **progress: int) -> None:
        pass

    async def cancelled(self) -> bool:
        return False

    async def remove(self, urls: list[str]) -> int:
        self.removed.extend(urls)
        return len(urls)


def _website(url: str, include_path_prefix: str | None) -> SourceRow:
    return SourceRow(
        id=uuid.uuid4(),
        workspace_id=uuid.uuid4(),
        business_id=uuid.uuid4(),
        kind="website",
        title="Acme",
        url=url,
        max_pages=200,
        max_depth=5,
        include_path_prefix=include_path_prefix,
        body_markdown=None,
        storage_key=None,
        file_name=None,
        content_type=None,
        byte_size=None,
        last_refreshed_at=None,
    )


async def _crawl_job(source: SourceRow) -> _Context:
    ctx = _Context(source)
    await crawl_website(ctx)  # type: ignore[arg-type]
    return ctx


async def test_the_crawl_job_passes_the_source_s_path(
    site: tuple[Site, str], center: HelpCenter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The job builds its crawl from the source row (loopback is allowed by the local configuration)."""
    fixture_site, _base = site
    monkeypatch.setattr("callcenter.knowledge.crawl_job.CrawlLimits", _fast_limits)
    articles = center.url("/help/articles")
    ctx = await _crawl_job(_website(center.start_url, "/help/articles"))
    urls = {document.url for document in ctx.indexed}
    assert urls and all(url is not None and url.startswith(articles + "/") for url in urls), urls
    assert not [path for path in fixture_site.requested_paths() if path.startswith("/help/categories")]

    fixture_site.reset_log()
    whole = await _crawl_job(_website(center.start_url, "/help"))
    assert {document.url for document in whole.indexed} > urls

    with pytest.raises(JobFailed, match="path to stay under"):
        await _crawl_job(_website(center.start_url, "/help me"))


def _fast_limits(**limits: int) -> CrawlLimits:
    return CrawlLimits(**{**FAST.__dict__, **limits})
