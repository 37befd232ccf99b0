"""robots.txt (RFC 9309) through Protego: which paths we may fetch, how long to
wait between requests, and which sitemaps the site announces."""

from __future__ import annotations

from dataclasses import dataclass, field

from protego import Protego

from callcenter.knowledge.crawler.errors import FailReason, SkipReason
from callcenter.knowledge.crawler.fetch import Fetcher, FetchFailure
from callcenter.knowledge.crawler.urls import origin

ROBOTS_MAX_BYTES = 512 * 1024


@dataclass(frozen=True)
class Robots:
    """The rules for one origin. `parser` None means everything is allowed."""

    origin: str
    parser: Protego | None = None
    status: int | None = None
    sitemaps: tuple[str, ...] = field(default=())

    def allows(self, url: str, user_agent: str) -> bool:
        return self.parser is None or bool(self.parser.can_fetch(url, user_agent))

    def crawl_delay(self, user_agent: str) -> float | None:
        if self.parser is None:
            return None
        delay = self.parser.crawl_delay(user_agent)
        if delay is None:
            rate = self.parser.request_rate(user_agent)
            if rate is not None and rate.requests:
                return float(rate.seconds) / float(rate.requests)
            return None
        return float(delay)


class RobotsUnavailable(Exception):
    """robots.txt answered with a server error: RFC 9309 says to assume everything is disallowed."""

    def __init__(self, url: str, status: int) -> None:
        super().__init__(f"{url} answered {status}")
        self.url = url
        self.status = status


async def load_robots(fetcher: Fetcher, site_url: str, *, time_budget: float | None = None) -> Robots:
    """Fetch and parse `{origin}/robots.txt`.

    4xx (no file) allows everything; 5xx raises RobotsUnavailable; network
    failures raise FetchFailure (the site itself is then unreachable)."""
    base = origin(site_url)
    url = f"{base}/robots.txt"
    try:
        response = await fetcher.get(url, max_bytes=ROBOTS_MAX_BYTES, time_budget=time_budget)
    except FetchFailure as failure:
        if failure.reason in {FailReason.REDIRECT_LOOP, FailReason.TOO_MANY_REDIRECTS, FailReason.INVALID_URL}:
            return Robots(origin=base)  # RFC 9309: unreachable through redirects = no rules
        if failure.reason is SkipReason.TOO_LARGE:
            raise RobotsUnavailable(url, 200) from failure
        raise
    if response.status >= 500 or response.status == 429:
        raise RobotsUnavailable(url, response.status)
    if response.status >= 400:
        return Robots(origin=base, status=response.status)
    text = response.body.decode("utf-8", errors="replace")
    parser = Protego.parse(text)
    return Robots(origin=base, parser=parser, status=response.status, sitemaps=tuple(parser.sitemaps))
