"""Fixtures for the crawler tests: the Acme help center on a loopback port, a
network backend that records (and only permits) loopback connections, and a
helper that runs a crawl to the end."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import httpcore
import pytest

from callcenter.knowledge.crawler import (
    AddressPolicy,
    Crawl,
    CrawledPage,
    CrawlEvent,
    CrawlLimits,
    CrawlProgress,
    CrawlReport,
    FailedPage,
    SkippedPage,
)
from tests.fixtures.helpcenter.server import Site, serve
from tests.fixtures.helpcenter.site import HelpCenter, build_help_center

LOOPBACK_POLICY = AddressPolicy.allowing(networks=["127.0.0.1/32"])
FAST = CrawlLimits(per_host_delay_seconds=0.0, progress_interval_seconds=0.0, cancel_check_interval_seconds=0.0)


class SpyBackend(httpcore.AsyncNetworkBackend):
    """Records every TCP connection the crawler opens; refuses anything but loopback.

    The guard must refuse private addresses before this is reached: a test
    asserting `connects` proves it, and the refusal here keeps a guard bug from
    ever sending a packet off this machine."""

    def __init__(self) -> None:
        self.inner = httpcore.AnyIOBackend()
        self.connects: list[tuple[str, int]] = []

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.connects.append((host, port))
        if not ipaddress.ip_address(host).is_loopback:
            raise AssertionError(f"the crawler tried to connect to {host}")
        return await self.inner.connect_tcp(
            host, port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )

    def hosts(self) -> set[str]:
        return {host for host, _port in self.connects}


@dataclass
class Result:
    events: list[CrawlEvent]
    report: CrawlReport
    progress: list[CrawlProgress] = field(default_factory=list)

    @property
    def pages(self) -> list[CrawledPage]:
        return [event for event in self.events if isinstance(event, CrawledPage)]

    @property
    def skipped(self) -> list[SkippedPage]:
        return [event for event in self.events if isinstance(event, SkippedPage)]

    @property
    def failed(self) -> list[FailedPage]:
        return [event for event in self.events if isinstance(event, FailedPage)]

    def page(self, url: str) -> CrawledPage:
        matches = [page for page in self.pages if page.url == url]
        assert len(matches) == 1, f"{url}: {len(matches)} pages"
        return matches[0]

    def urls(self) -> set[str]:
        return {page.url for page in self.pages}

    def event_for(self, url: str) -> CrawlEvent:
        matches = [event for event in self.events if event.url == url]
        assert len(matches) == 1, f"{url}: {matches}"
        return matches[0]


async def run(crawl: Crawl) -> Result:
    events = [event async for event in crawl]
    return Result(events=events, report=crawl.report)


@pytest.fixture
def site() -> Iterator[tuple[Site, str]]:
    fixture_site = Site()
    with serve(fixture_site) as base:
        yield fixture_site, base


@pytest.fixture
def center(site: tuple[Site, str]) -> HelpCenter:
    fixture_site, base = site
    return build_help_center(fixture_site, base)


@pytest.fixture
def spy() -> SpyBackend:
    return SpyBackend()


def fake_resolver(table: dict[str, Sequence[str]]):  # type: ignore[no-untyped-def]
    """A resolver answering from `table`; unknown names do not resolve."""
    from callcenter.knowledge.crawler.guard import HostLookupError

    calls: list[str] = []

    async def resolve(host: str, port: int) -> Sequence[str]:
        calls.append(host)
        if host not in table:
            raise HostLookupError(host, "no such host")
        return list(table[host])

    resolve.calls = calls  # type: ignore[attr-defined]
    return resolve
