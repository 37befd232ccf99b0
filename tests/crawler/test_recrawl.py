"""Re-crawl: unchanged pages are reported unchanged, changed and new ones as such, removed ones listed."""

from __future__ import annotations

from callcenter.knowledge.crawler import CrawlLimits, PageStatus, crawl_site
from tests.crawler.conftest import FAST, LOOPBACK_POLICY, Result, run
from tests.fixtures.helpcenter.server import Reply
from tests.fixtures.helpcenter.site import Article, HelpCenter


def hashes(result: Result) -> dict[str, str]:
    return {page.url: page.content_hash for page in result.pages}


async def crawl(center: HelpCenter, previous: dict[str, str] | None = None, limits: CrawlLimits = FAST) -> Result:
    return await run(crawl_site(center.start_url, limits=limits, policy=LOOPBACK_POLICY, previous=previous))


async def test_change_remove_add(center: HelpCenter) -> None:
    first = await crawl(center)
    previous = hashes(first)

    center.articles["refunds"].body = center.articles["refunds"].body.replace("30 days", "60 days")
    del center.articles["phone-numbers"]
    center.articles["call-transfers"] = Article(
        "call-transfers",
        "Transfer a call to a colleague",
        "<p>During a call, choose Transfer and pick an idle colleague of the same workspace. The caller hears "
        "music while the colleague accepts.</p><h2>Warm transfer</h2><p>Talk to the colleague first, then "
        "join the caller in.</p>",
        "calls",
    )
    center.calls_listing.append("call-transfers")
    center.publish()

    second = await crawl(center, previous)
    statuses = {page.url: page.status for page in second.pages}
    refunds = center.article_url("refunds")
    added = center.article_url("call-transfers")
    removed = center.article_url("phone-numbers")
    assert statuses[refunds] is PageStatus.CHANGED
    assert statuses[added] is PageStatus.NEW
    assert removed not in statuses
    assert second.report.removed_urls == (removed,)
    unchanged = {url for url, status in statuses.items() if status is PageStatus.UNCHANGED}
    assert unchanged == set(previous) - {refunds, removed}
    assert (second.report.pages_new, second.report.pages_changed) == (1, 1)
    assert second.report.pages_unchanged == len(unchanged)
    changed_page = next(page for page in second.pages if page.url == refunds)
    assert changed_page.previous_hash == previous[refunds] != changed_page.content_hash
    assert "60 days" in changed_page.document.text


async def test_previous_urls_are_normalized(center: HelpCenter) -> None:
    first = await crawl(center)
    previous = {url + "/?utm_source=old": content_hash for url, content_hash in hashes(first).items()}
    second = await crawl(center, previous)
    assert {page.status for page in second.pages} == {PageStatus.UNCHANGED}
    assert second.report.removed_urls == ()


async def test_transient_failures_keep_the_old_content(center: HelpCenter) -> None:
    first = await crawl(center)
    previous = hashes(first)
    invoices = center.article_url("invoices")
    center.site.add("/help/articles/invoices", Reply.html("<h1>down</h1>", 503))
    second = await crawl(center, previous)
    assert invoices not in second.report.removed_urls
    assert invoices in second.report.kept_urls
    assert second.report.removed_urls == ()


async def test_an_incomplete_crawl_removes_nothing(center: HelpCenter) -> None:
    first = await crawl(center)
    previous = hashes(first)
    small = CrawlLimits(**{**FAST.__dict__, "max_pages": 3})
    second = await crawl(center, previous, limits=small)
    assert not second.report.complete
    assert second.report.removed_urls == ()
    assert set(second.report.kept_urls) | {page.url for page in second.pages} == set(previous)


async def test_a_page_now_404_is_removed(center: HelpCenter) -> None:
    first = await crawl(center)
    previous = hashes(first)
    center.site.add("/help/articles/voicemail", Reply.html("<h1>gone</h1>", 404))
    second = await crawl(center, previous)
    assert second.report.removed_urls == (center.article_url("voicemail"),)
