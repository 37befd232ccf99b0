"""The start URL: every way it can be wrong ends in a CrawlError a representative understands."""

from __future__ import annotations

import socket

import pytest

from callcenter.knowledge.crawler import (
    AddressPolicy,
    CrawlError,
    CrawlLimits,
    StopReason,
    check_start_url,
    crawl_site,
)
from callcenter.knowledge.types import ExtractionError
from tests.crawler.conftest import FAST, LOOPBACK_POLICY, SpyBackend, fake_resolver, run
from tests.fixtures.helpcenter.server import Reply, Site
from tests.fixtures.helpcenter.site import HelpCenter


async def start_error(url: str, **kwargs: object) -> CrawlError:
    kwargs.setdefault("policy", LOOPBACK_POLICY)
    kwargs.setdefault("limits", FAST)
    crawl = crawl_site(url, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(CrawlError) as caught:
        await run(crawl)
    assert isinstance(caught.value, ExtractionError)  # the job runner's one failure type
    assert crawl.report.stopped is StopReason.FAILED
    assert not crawl.report.complete and crawl.report.removed_urls == ()
    return caught.value


async def test_404_start_page(center: HelpCenter) -> None:
    error = await start_error(center.url("/help/articles/no-such-article"))
    assert error.code == "start_not_found"
    assert error.message == "That page doesn't exist (the site answered 404 Not Found). Check the address."


async def test_pdf_start_page(center: HelpCenter) -> None:
    error = await start_error(center.url("/help/files/user-guide.pdf"))
    assert error.code == "not_html"
    assert error.message == "That address is a PDF file, not a web page. Upload it as a document instead."


async def test_json_start_page(center: HelpCenter) -> None:
    error = await start_error(center.url("/help/status.json"))
    assert error.code == "not_html"
    assert "JSON" in error.message


async def test_redirect_loop_start(center: HelpCenter) -> None:
    error = await start_error(center.url("/help/loop-start"))
    assert error.code == "redirect_loop"
    assert "redirects in a loop" in error.message


async def test_too_many_redirects(center: HelpCenter) -> None:
    for hop in range(8):
        center.site.add(f"/help/hop/{hop}", Reply.redirect(f"/help/hop/{hop + 1}", 302))
    error = await start_error(center.url("/help/hop/0"))
    assert error.code == "too_many_redirects"
    assert "more than 5 times" in error.message
    assert "/help/hop/6" not in center.site.requested_paths()


@pytest.mark.parametrize("path", ["/help/go/private", "/help/go/metadata", "/help/go/metadata-v6"])
async def test_redirect_to_a_private_address(center: HelpCenter, path: str) -> None:
    spy = SpyBackend()
    error = await start_error(center.url(path), network_backend=spy)
    assert error.code == "private_address"
    assert error.message.startswith("That address is on a private network")
    assert spy.hosts() == {"127.0.0.1"}  # the redirect target was never dialed


async def test_loopback_without_allowlist_is_refused_before_any_request(center: HelpCenter) -> None:
    spy = SpyBackend()
    error = await start_error(center.start_url, policy=AddressPolicy.strict(), network_backend=spy)
    assert error.code == "private_address"
    assert "private network" in error.message
    assert center.site.requests == []
    assert spy.connects == []


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/help",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/",
        "http://100.100.100.200/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://0x7f.0.0.1/",
        "http://[::ffff:169.254.169.254]/",
    ],
)
async def test_private_start_urls(url: str) -> None:
    spy = SpyBackend()
    resolver = fake_resolver({"0x7f.0.0.1": ["127.0.0.1"]})
    error = await start_error(url, policy=AddressPolicy.strict(), network_backend=spy, resolver=resolver)
    assert error.code == "private_address"
    assert spy.connects == []


async def test_a_name_resolving_to_a_private_address(center: HelpCenter) -> None:
    """The check happens after DNS: a public-looking name pointing inside is refused."""
    spy = SpyBackend()
    port = center.base.rsplit(":", 1)[1]
    resolver = fake_resolver({"help.acme.test": ["10.0.0.7"]})
    error = await start_error(f"http://help.acme.test:{port}/help", network_backend=spy, resolver=resolver)
    assert error.code == "private_address"
    assert spy.connects == []


async def test_robots_disallowed_start(center: HelpCenter) -> None:
    error = await start_error(center.url("/help/internal/roadmap"))
    assert error.code == "robots_disallowed"
    assert error.message == "The site's robots.txt doesn't allow crawling /help/internal/roadmap, so it can't be added."
    assert "/help/internal/roadmap" not in center.site.requested_paths()


async def test_robots_server_error_means_no_crawl(center: HelpCenter) -> None:
    center.site.add("/robots.txt", Reply.html("<h1>down</h1>", 503))
    error = await start_error(center.start_url)
    assert error.code == "robots_unavailable"
    assert "503 Service Unavailable" in error.message
    assert center.site.requested_paths() == ["/robots.txt"]


async def test_missing_robots_allows_everything(center: HelpCenter) -> None:
    center.site.remove("/robots.txt")
    start = await check_start_url(center.start_url, policy=LOOPBACK_POLICY, limits=FAST)
    assert start.url == center.start_url


async def test_unknown_host() -> None:
    error = await start_error("https://help.nowhere.test/", resolver=fake_resolver({}))
    assert error.code == "site_not_found"
    assert error.message == "We couldn't find that site. Check the address for typos."


async def test_site_that_does_not_answer() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    error = await start_error(f"http://127.0.0.1:{port}/help")
    assert error.code == "site_unreachable"
    assert error.message == "The site didn't answer. Check the address, or try again later."


async def test_site_that_is_too_slow(center: HelpCenter) -> None:
    center.site.add("/help/slow", Reply.html("<p>late</p>", delay=2.0))
    limits = CrawlLimits(**{**FAST.__dict__, "page_timeout_seconds": 0.5})
    error = await start_error(center.url("/help/slow"), limits=limits)
    assert error.code == "site_timeout"
    assert "too long" in error.message


async def test_start_page_too_large(center: HelpCenter) -> None:
    error = await start_error(center.url("/help/articles/huge"))
    assert error.code == "start_too_large"
    assert "3 MB limit" in error.message


async def test_start_page_with_an_error_status(center: HelpCenter) -> None:
    center.site.add("/help/private", Reply.html("<h1>no</h1>", 403))
    error = await start_error(center.url("/help/private"))
    assert error.code == "start_http_error"
    assert "403 Forbidden" in error.message and "public help centers" in error.message
    error = await start_error(center.url("/help/server-error"))
    assert "500 Internal Server Error" in error.message


async def test_invalid_address() -> None:
    error = await start_error("ftp://help.acme.com/")
    assert error.code == "invalid_url"


async def test_check_start_url_follows_redirects_and_narrows_the_scope(center: HelpCenter) -> None:
    start = await check_start_url(center.base, policy=LOOPBACK_POLICY, limits=FAST)  # "/" redirects to /help
    assert start.url == center.base + "/"
    assert start.scope_url == center.start_url
    assert start.title == "Acme Help Center"
    assert "/help/articles/reset-password" not in center.site.requested_paths()  # no crawl


async def test_a_host_name_on_an_allowlisted_address(center: HelpCenter) -> None:
    port = center.base.rsplit(":", 1)[1]
    resolver = fake_resolver({"help.acme.test": ["127.0.0.1"]})
    policy = AddressPolicy.allowing(hosts=["help.acme.test"])
    start = await check_start_url(f"http://help.acme.test:{port}/help", policy=policy, limits=FAST, resolver=resolver)
    assert start.scope_url == f"http://help.acme.test:{port}/help"
    assert {request.host for request in center.site.requests} == {f"help.acme.test:{port}"}


def test_site_fixture_is_loopback(site: tuple[Site, str]) -> None:
    assert site[1].startswith("http://127.0.0.1:")
