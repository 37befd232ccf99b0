"""The help-center crawler.

    crawl = crawl_site("https://help.example.com/", previous={url: content_hash, ...})
    async for event in crawl:            # CrawledPage | SkippedPage | FailedPage
        ...
    crawl.report                         # CrawlReport: counts, reasons, removed URLs

The crawl stays on the start page's host and under its path (or the
`path_prefix` given: the start page is then read for its links), honors
robots.txt (rules, crawl-delay, sitemaps), reads sitemaps, follows links and
"next" pagination, normalizes URLs and skips duplicates (by URL, canonical tag
and content hash). A small pool of workers fetches pages; requests to the site
are spaced out. Anything wrong with the start page raises `CrawlError` (with a
message for the representative) from the first iteration; anything wrong with
a later page is one `FailedPage` or `SkippedPage` and the crawl goes on."""

from __future__ import annotations

import asyncio
import functools
import inspect
import time
from collections import Counter
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

import httpcore

from callcenter.knowledge.crawler.errors import TRANSIENT_FAILURES, CrawlError, FailReason, SkipReason
from callcenter.knowledge.crawler.extract import PageContent, process_html
from callcenter.knowledge.crawler.fetch import Fetcher, FetchFailure, HostGate, Response, is_html
from callcenter.knowledge.crawler.guard import AddressPolicy, Resolver, guarded_client, system_resolver
from callcenter.knowledge.crawler.robots import Robots, RobotsUnavailable, load_robots
from callcenter.knowledge.crawler.sitemap import read_sitemaps
from callcenter.knowledge.crawler.urls import (
    Scope,
    looks_binary,
    normalize_path_prefix,
    normalize_url,
    origin,
    parse_start_url,
)
from callcenter.knowledge.types import ExtractedDocument

DEFAULT_USER_AGENT = "CallCenterBot/0.1 (+help-center crawler)"


@dataclass(frozen=True)
class CrawlLimits:
    max_pages: int = 500  # page fetches (the start page included)
    max_depth: int = 6  # link hops from the start page; "next" pagination does not count
    max_page_bytes: int = 3 * 1024 * 1024  # a page larger than this is skipped (reading stops there)
    max_total_seconds: float = 900.0
    page_timeout_seconds: float = 30.0  # one page, redirects included
    concurrency: int = 4
    per_host_delay_seconds: float = 0.25  # between the starts of two requests to the site
    max_crawl_delay_seconds: float = 5.0  # robots.txt Crawl-delay is honored up to this
    max_redirects: int = 5
    max_urls: int = 20_000  # distinct URLs remembered; more are ignored and the crawl is partial
    max_sitemap_files: int = 25
    max_sitemap_bytes: int = 20 * 1024 * 1024
    progress_interval_seconds: float = 0.5
    cancel_check_interval_seconds: float = 1.0


class PageStatus(StrEnum):
    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"


class StopReason(StrEnum):
    MAX_PAGES = "max_pages"
    MAX_TIME = "max_time"
    MAX_URLS = "max_urls"
    CANCELLED = "cancelled"
    FAILED = "failed"  # the start page could not be crawled (a CrawlError was raised)
    ABORTED = "aborted"  # the caller stopped iterating, or the task was cancelled


@dataclass(frozen=True)
class CrawledPage:
    url: str  # the page's identity: final URL after redirects, or its canonical URL
    document: ExtractedDocument
    status: PageStatus
    content_hash: str
    previous_hash: str | None
    depth: int
    fetched_url: str  # the URL requested
    bytes: int
    fetch_seconds: float
    extract_seconds: float


@dataclass(frozen=True)
class SkippedPage:
    url: str
    reason: SkipReason
    detail: str = ""
    duplicate_of: str | None = None


@dataclass(frozen=True)
class FailedPage:
    url: str
    reason: FailReason
    detail: str = ""
    status_code: int | None = None


CrawlEvent = CrawledPage | SkippedPage | FailedPage


@dataclass(frozen=True)
class CrawlProgress:
    pages_found: int
    pages_fetched: int
    pages_extracted: int
    pages_skipped: int
    pages_failed: int
    pages_new: int
    pages_changed: int
    pages_unchanged: int
    elapsed_seconds: float


@dataclass(frozen=True)
class CrawlReport:
    start_url: str
    scope_url: str
    complete: bool  # every page found was visited: removed_urls is meaningful
    stopped: StopReason | None
    pages_found: int
    pages_fetched: int
    pages_extracted: int
    pages_new: int
    pages_changed: int
    pages_unchanged: int
    pages_skipped: int
    pages_failed: int
    skipped: dict[str, int]
    failed: dict[str, int]
    removed_urls: tuple[str, ...]  # previously crawled, gone now (only when complete)
    kept_urls: tuple[str, ...]  # previously crawled, not refreshed because of a transient failure
    sitemaps: tuple[str, ...]
    notes: tuple[str, ...]
    crawl_delay_seconds: float
    bytes_downloaded: int
    duration_seconds: float

    @property
    def pages_per_second(self) -> float:
        return self.pages_fetched / self.duration_seconds if self.duration_seconds > 0 else 0.0

    def failure(self) -> CrawlError | None:
        """The error to show when a finished crawl produced nothing to index (not for a cancelled one)."""
        if self.pages_extracted == 0 and self.stopped not in {StopReason.CANCELLED, StopReason.FAILED}:
            return CrawlError.nothing_found(self.start_url)
        return None

    def summary(self) -> str:
        """One sentence for the source's status line."""
        parts = [f"{self.pages_extracted} page{'s' if self.pages_extracted != 1 else ''} read"]
        if self.pages_new or self.pages_changed or self.pages_unchanged:
            parts.append(f"{self.pages_new} new, {self.pages_changed} changed, {self.pages_unchanged} unchanged")
        if self.removed_urls:
            parts.append(f"{len(self.removed_urls)} removed")
        if self.pages_skipped:
            parts.append(f"{self.pages_skipped} skipped")
        if self.pages_failed:
            parts.append(f"{self.pages_failed} failed")
        sentence = "; ".join(parts) + "."
        stops = {
            StopReason.MAX_PAGES: " Stopped at the page limit.",
            StopReason.MAX_TIME: " Stopped at the time limit.",
            StopReason.MAX_URLS: " Stopped: the site has too many addresses.",
            StopReason.CANCELLED: " Cancelled.",
            StopReason.FAILED: " Failed.",
            StopReason.ABORTED: " Interrupted.",
        }
        return sentence + (stops[self.stopped] if self.stopped else "")


@dataclass(frozen=True)
class StartPage:
    """What `check_start_url` learned: where the crawl would really start and what it would cover."""

    requested_url: str
    url: str
    scope_url: str
    title: str | None
    crawl_delay_seconds: float


@dataclass(order=True)
class _Item:
    depth: int
    sequence: int
    url: str = field(compare=False)


ProgressCallback = Callable[[CrawlProgress], Awaitable[None] | None]
CancelCheck = Callable[[], Awaitable[bool] | bool]


def _start_error(url: str, failure: FetchFailure, limits: CrawlLimits) -> CrawlError:
    reason = failure.reason
    if reason is FailReason.BLOCKED_ADDRESS:
        return CrawlError.blocked(url, failure.detail)
    if reason is FailReason.DNS:
        return CrawlError.dns(url, failure.detail)
    if reason is FailReason.UNREACHABLE:
        return CrawlError.unreachable(url, failure.detail)
    if reason is FailReason.TIMEOUT:
        return CrawlError.timeout(url, failure.detail)
    if reason is FailReason.TLS:
        return CrawlError.tls(url, failure.detail)
    if reason is FailReason.REDIRECT_LOOP:
        return CrawlError.redirect_loop(url)
    if reason is FailReason.TOO_MANY_REDIRECTS:
        return CrawlError.too_many_redirects(url, limits.max_redirects)
    if reason is FailReason.INVALID_URL:
        return CrawlError.invalid_url(url, failure.detail)
    if reason is SkipReason.NOT_HTML:
        return CrawlError.not_html(url, failure.content_type)
    if reason is SkipReason.TOO_LARGE:
        return CrawlError.too_large(url, limits.max_page_bytes)
    return CrawlError.network(url, failure.detail)


def _accept_html(media_type: str, head: bytes) -> bool:
    return is_html(media_type, head)


async def _maybe_await(value: Awaitable[Any] | Any) -> Any:
    if inspect.isawaitable(value):
        return await value
    return value


class Crawl:
    """One crawl of one help center. Iterate it once; read `report` afterwards."""

    def __init__(
        self,
        start_url: str,
        *,
        path_prefix: str | None = None,
        limits: CrawlLimits | None = None,
        policy: AddressPolicy | None = None,
        previous: Mapping[str, str] | None = None,
        on_progress: ProgressCallback | None = None,
        should_cancel: CancelCheck | None = None,
        user_agent: str | None = None,
        resolver: Resolver | None = None,
        network_backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self.requested_url = start_url
        # Where the crawl may go on the site (None: under the start page's path). Checked now, not mid-crawl.
        self.path_prefix = None if path_prefix is None else normalize_path_prefix(path_prefix)
        self.limits = limits or CrawlLimits()
        self.policy = policy if policy is not None else AddressPolicy.from_settings()
        self.user_agent = user_agent or _settings_user_agent()
        self.robots_agent = self.user_agent.split("/", 1)[0].strip() or "*"
        self._on_progress = on_progress
        self._should_cancel = should_cancel
        self._resolver = resolver or system_resolver
        self._network_backend = network_backend
        self._previous: dict[str, str] = {}
        for url, content_hash in (previous or {}).items():
            self._previous[normalize_url(url) or url] = content_hash

        self._started = False
        self._generator: AsyncGenerator[CrawlEvent, None] | None = None
        self._report: CrawlReport | None = None
        self._start_monotonic = 0.0
        self.start_url = ""
        self.scope: Scope | None = None
        self._robots: dict[str, Robots] = {}
        self._crawl_delay = self.limits.per_host_delay_seconds
        self._frontier: asyncio.PriorityQueue[_Item] = asyncio.PriorityQueue()
        self._results: asyncio.Queue[CrawlEvent | None] = asyncio.Queue()
        self._sequence = 0
        self._seen: set[str] = set()
        self._claimed: dict[str, str] = {}  # URL -> the page URL whose content it is
        self._hashes: dict[str, str] = {}  # content hash -> page URL
        self._crawled: set[str] = set()
        self._transient: set[str] = set()
        self._attempts = 0
        self._stop: StopReason | None = None
        self._counts: Counter[str] = Counter()
        self._skipped: Counter[str] = Counter()
        self._failed: Counter[str] = Counter()
        self._sitemaps: list[str] = []
        self._notes: list[str] = []
        self._last_progress = float("-inf")
        self._last_cancel_check = float("-inf")
        self._fetcher: Fetcher | None = None
        self._executor: ThreadPoolExecutor | None = None

    # -- public ---------------------------------------------------------------

    def __aiter__(self) -> AsyncGenerator[CrawlEvent, None]:
        if self._generator is None:
            self._generator = self._run()
        return self._generator

    async def aclose(self) -> None:
        """Stop the crawl (workers, connections) if it is still running; `report` is then available."""
        if self._generator is not None:
            await self._generator.aclose()
        elif self._report is None:
            self._stop = StopReason.ABORTED
            self._report = self._build_report()

    async def __aenter__(self) -> Crawl:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    @property
    def report(self) -> CrawlReport:
        if self._report is None:
            raise RuntimeError("the crawl has not finished")
        return self._report

    @property
    def progress(self) -> CrawlProgress:
        return CrawlProgress(
            pages_found=len(self._seen),
            pages_fetched=self._counts["fetched"],
            pages_extracted=self._counts["extracted"],
            pages_skipped=sum(self._skipped.values()),
            pages_failed=sum(self._failed.values()),
            pages_new=self._counts[PageStatus.NEW],
            pages_changed=self._counts[PageStatus.CHANGED],
            pages_unchanged=self._counts[PageStatus.UNCHANGED],
            elapsed_seconds=self._elapsed(),
        )

    # -- the run --------------------------------------------------------------

    async def _run(self) -> AsyncGenerator[CrawlEvent, None]:
        if self._started:
            raise RuntimeError("a Crawl runs once")
        self._started = True
        self._start_monotonic = time.monotonic()
        try:
            self.start_url = parse_start_url(self.requested_url)
        except CrawlError:
            self._stop = StopReason.FAILED
            self._report = self._build_report()
            raise
        client = guarded_client(
            self.policy,
            resolver=self._resolver,
            inner_backend=self._network_backend,
            headers={"User-Agent": self.user_agent, "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"},
            max_connections=max(2, self.limits.concurrency + 1),
        )
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="crawl-extract")
        gate = HostGate(self.limits.per_host_delay_seconds)
        self._fetcher = Fetcher(
            client, gate=gate, max_redirects=self.limits.max_redirects, request_seconds=self.limits.page_timeout_seconds
        )
        workers: list[asyncio.Task[None]] = []
        finished = False
        try:
            if await self._cancel_requested(force=True):
                self._stop = StopReason.CANCELLED
                finished = True
                return
            try:
                response = await self._open_start()
            except CrawlError:
                self._stop = StopReason.FAILED
                raise
            start_event = await self._handle(_Item(0, 0, self.start_url), response)
            self._count(start_event)
            yield start_event
            await self._discover_sitemaps()
            await self._emit_progress(force=True)

            for _ in range(max(1, self.limits.concurrency)):
                workers.append(asyncio.create_task(self._worker()))
            workers.append(asyncio.create_task(self._close_when_done()))
            while True:
                event = await self._results.get()
                if event is None:
                    break
                self._count(event)
                yield event
                await self._emit_progress()
                if self._stop is None and await self._cancel_requested():
                    self._stop = StopReason.CANCELLED
            finished = True
        finally:
            for task in workers:
                task.cancel()
            if workers:
                await asyncio.gather(*workers, return_exceptions=True)
            await client.aclose()
            self._executor.shutdown(wait=False, cancel_futures=True)
            if not finished and self._stop is None:
                self._stop = StopReason.ABORTED
            self._report = self._build_report()
        await self._emit_progress(force=True)

    async def _open_start(self) -> Response:
        """Robots, then the start page. Any problem is a CrawlError for the representative."""
        assert self._fetcher is not None
        url = self.start_url
        robots = await self._robots_for(url, start=True)
        if not robots.allows(url, self.robots_agent):
            raise CrawlError.robots_disallowed(url, urlsplit(url).path or "/")
        self._attempts += 1
        try:
            response = await self._fetcher.get(
                url, max_bytes=self.limits.max_page_bytes, accept=_accept_html, time_budget=self._remaining()
            )
        except FetchFailure as failure:
            raise _start_error(url, failure, self.limits) from failure
        if response.status in {404, 410}:
            raise CrawlError.not_found(url)
        if not 200 <= response.status < 300:
            raise CrawlError.http_error(url, response.status)
        if origin(response.url) != origin(url):
            final_robots = await self._robots_for(response.url, start=True)
            if not final_robots.allows(response.url, self.robots_agent):
                raise CrawlError.robots_disallowed(response.url, urlsplit(response.url).path or "/")
        self.scope = Scope.from_url(response.url, self.path_prefix)
        self._seen.update({url, response.url})
        return response

    async def _robots_for(self, url: str, *, start: bool = False) -> Robots:
        assert self._fetcher is not None
        key = origin(url)
        if key in self._robots:
            return self._robots[key]
        try:
            robots = await load_robots(self._fetcher, url, time_budget=self._remaining())
        except RobotsUnavailable as error:
            if start:
                raise CrawlError.robots_unavailable(url, error.status) from error
            raise
        except FetchFailure as failure:
            if start:
                raise _start_error(url, failure, self.limits) from failure
            raise
        self._robots[key] = robots
        requested = robots.crawl_delay(self.robots_agent)
        if requested is not None and requested > 0:
            delay = max(self.limits.per_host_delay_seconds, min(requested, self.limits.max_crawl_delay_seconds))
            self._fetcher.gate.set_delay(urlsplit(url).netloc, delay)
            if urlsplit(url).netloc == urlsplit(self.start_url).netloc or start:
                self._crawl_delay = delay
            if requested > self.limits.max_crawl_delay_seconds:
                cap = self.limits.max_crawl_delay_seconds
                self._notes.append(f"robots.txt asks for {requested:g} s between requests; using {cap:g} s")
        return robots

    def _site_robots(self) -> Robots:
        assert self.scope is not None
        return self._robots.get(origin(self.scope.url)) or Robots(origin=origin(self.scope.url))

    async def _discover_sitemaps(self) -> None:
        assert self._fetcher is not None and self.scope is not None
        scope = self.scope
        robots = self._site_robots()
        candidates = [url for url in robots.sitemaps]
        if not candidates:
            candidates = [f"{origin(scope.url)}/sitemap.xml"]
            if scope.path_prefix:
                candidates.append(f"{origin(scope.url)}{scope.path_prefix}/sitemap.xml")

        def may_fetch(url: str) -> bool:
            return scope.same_site(scope.adopt(url)) and robots.allows(url, self.robots_agent)

        result = await read_sitemaps(
            self._fetcher,
            [scope.adopt(normalize_url(url) or url) for url in candidates],
            may_fetch=may_fetch,
            max_files=self.limits.max_sitemap_files,
            max_urls=self.limits.max_urls,
            max_bytes=self.limits.max_sitemap_bytes,
            remaining_seconds=self._remaining,
        )
        self._sitemaps = result.sitemaps_read
        self._notes.extend(result.problems)
        for url in result.urls:
            self._enqueue(url, depth=1)

    def _enqueue(self, url: str, *, depth: int) -> None:
        assert self.scope is not None
        url = self.scope.adopt(url)
        if url in self._seen or not self.scope.contains(url) or looks_binary(url):
            return
        if depth > self.limits.max_depth:
            return
        if len(self._seen) >= self.limits.max_urls:
            if self._stop is None:
                self._stop = StopReason.MAX_URLS
            return
        self._seen.add(url)
        if not self._site_robots().allows(url, self.robots_agent):
            self._results.put_nowait(SkippedPage(url, SkipReason.ROBOTS, "disallowed by robots.txt"))
            return
        self._sequence += 1
        self._frontier.put_nowait(_Item(depth, self._sequence, url))

    async def _worker(self) -> None:
        while True:
            item = await self._frontier.get()
            try:
                if self._stop is None:
                    event = await self._visit(item)
                    if event is not None:
                        self._results.put_nowait(event)
            except Exception as error:  # one page never ends the crawl
                self._transient.add(item.url)
                self._results.put_nowait(
                    FailedPage(item.url, FailReason.EXTRACTION, f"{type(error).__name__}: {error}")
                )
            finally:
                self._frontier.task_done()

    async def _close_when_done(self) -> None:
        await self._frontier.join()
        self._results.put_nowait(None)

    async def _visit(self, item: _Item) -> CrawlEvent | None:
        assert self._fetcher is not None
        if self._attempts >= self.limits.max_pages:
            self._stop = self._stop or StopReason.MAX_PAGES
            return None
        remaining = self._remaining()
        if remaining <= 0:
            self._stop = self._stop or StopReason.MAX_TIME
            return None
        self._attempts += 1
        try:
            response = await self._fetcher.get(
                item.url,
                max_bytes=self.limits.max_page_bytes,
                accept=_accept_html,
                on_redirect=self._check_redirect,
                time_budget=remaining,
            )
        except FetchFailure as failure:
            if failure.reason is FailReason.TIMEOUT and self._remaining() <= 0:
                self._stop = self._stop or StopReason.MAX_TIME
                return None
            return self._failure(item.url, failure)
        return await self._handle(item, response)

    def _check_redirect(self, target: str) -> None:
        assert self.scope is not None
        target = self.scope.adopt(target)
        if not self.scope.contains(target):
            raise FetchFailure(SkipReason.OFF_SITE, f"redirects to {target}, outside the help center", url=target)
        if not self._site_robots().allows(target, self.robots_agent):
            raise FetchFailure(SkipReason.ROBOTS, f"redirects to {target}, disallowed by robots.txt", url=target)

    def _failure(self, url: str, failure: FetchFailure) -> CrawlEvent:
        if isinstance(failure.reason, SkipReason):
            return SkippedPage(url, failure.reason, failure.detail)
        if failure.reason in TRANSIENT_FAILURES:
            self._transient.add(url)
        return FailedPage(url, failure.reason, failure.detail, failure.status)

    def _status_failure(self, url: str, status: int) -> FailedPage:
        if status in {404, 410}:
            return FailedPage(url, FailReason.NOT_FOUND, f"HTTP {status}", status)
        if status == 429:
            self._transient.add(url)
            return FailedPage(url, FailReason.RATE_LIMITED, "HTTP 429", status)
        if status >= 500:
            self._transient.add(url)
            return FailedPage(url, FailReason.SERVER_ERROR, f"HTTP {status}", status)
        return FailedPage(url, FailReason.HTTP_ERROR, f"HTTP {status}", status)

    async def _handle(self, item: _Item, response: Response) -> CrawlEvent:
        assert self.scope is not None and self._executor is not None
        if not 200 <= response.status < 300:
            return self._status_failure(item.url, response.status)
        self._counts["fetched"] += 1
        url = self.scope.adopt(response.url)
        if url in self._claimed:
            return SkippedPage(item.url, SkipReason.DUPLICATE_URL, f"same page as {url}", self._claimed[url])
        self._claimed[url] = url
        self._seen.add(url)

        loop = asyncio.get_running_loop()
        try:
            content: PageContent = await loop.run_in_executor(
                self._executor, functools.partial(process_html, response.body, url, charset=response.charset)
            )
        except Exception as error:
            self._transient.add(url)
            return FailedPage(url, FailReason.EXTRACTION, f"{type(error).__name__}: {error}")

        page_url = url
        if content.canonical:
            canonical = self.scope.adopt(content.canonical)
            if canonical != url and self.scope.contains(canonical):
                if canonical in self._claimed:
                    return SkippedPage(
                        url, SkipReason.DUPLICATE_CANONICAL, f"canonical page is {canonical}", self._claimed[canonical]
                    )
                self._claimed[canonical] = canonical
                self._claimed[url] = canonical
                self._seen.add(canonical)
                page_url = canonical

        if not content.nofollow:
            for link in content.next_links:
                self._enqueue(link, depth=item.depth)  # pagination does not use up depth
            for link in content.links:
                self._enqueue(link, depth=item.depth + 1)

        if not self.scope.contains(page_url):
            # Only the start page can be outside an explicit path: it is where the links are found.
            return SkippedPage(page_url, SkipReason.OFF_SITE, "outside the path the crawl stays under")
        if content.noindex:
            return SkippedPage(page_url, SkipReason.NOINDEX, "the page asks not to be indexed")
        if content.listing:
            return SkippedPage(page_url, SkipReason.LISTING, "a list of links (category or index page)")
        if content.document is None:
            return SkippedPage(page_url, SkipReason.NO_TEXT, "no article text on the page")
        document = replace(content.document, url=page_url)
        content_hash = document.content_hash
        if content_hash in self._hashes:
            original = self._hashes[content_hash]
            return SkippedPage(page_url, SkipReason.DUPLICATE_CONTENT, f"same text as {original}", original)
        self._hashes[content_hash] = page_url

        previous_hash = self._previous.get(page_url)
        if previous_hash is None:
            status = PageStatus.NEW
        elif previous_hash == content_hash:
            status = PageStatus.UNCHANGED
        else:
            status = PageStatus.CHANGED
        self._crawled.add(page_url)
        return CrawledPage(
            url=page_url,
            document=document,
            status=status,
            content_hash=content_hash,
            previous_hash=previous_hash,
            depth=item.depth,
            fetched_url=item.url,
            bytes=len(response.body),
            fetch_seconds=response.seconds,
            extract_seconds=content.seconds,
        )

    # -- bookkeeping ----------------------------------------------------------

    def _count(self, event: CrawlEvent) -> None:
        if isinstance(event, CrawledPage):
            self._counts["extracted"] += 1
            self._counts[event.status] += 1
        elif isinstance(event, SkippedPage):
            self._skipped[event.reason.value] += 1
        else:
            self._failed[event.reason.value] += 1

    def _elapsed(self) -> float:
        return time.monotonic() - self._start_monotonic if self._start_monotonic else 0.0

    def _remaining(self) -> float:
        return self.limits.max_total_seconds - self._elapsed()

    async def _emit_progress(self, *, force: bool = False) -> None:
        if self._on_progress is None:
            return
        now = time.monotonic()
        if not force and now - self._last_progress < self.limits.progress_interval_seconds:
            return
        self._last_progress = now
        await _maybe_await(self._on_progress(self.progress))

    async def _cancel_requested(self, *, force: bool = False) -> bool:
        if self._should_cancel is None:
            return False
        now = time.monotonic()
        if not force and now - self._last_cancel_check < self.limits.cancel_check_interval_seconds:
            return False
        self._last_cancel_check = now
        return bool(await _maybe_await(self._should_cancel()))

    def _build_report(self) -> CrawlReport:
        complete = self._stop is None and self.scope is not None
        removed: list[str] = []
        kept: list[str] = []
        for url in self._previous:
            if url in self._crawled:
                continue
            if url in self._transient or not complete:
                kept.append(url)
            else:
                removed.append(url)
        progress = self.progress
        return CrawlReport(
            start_url=self.start_url or self.requested_url,
            scope_url=self.scope.url if self.scope else "",
            complete=complete,
            stopped=self._stop,
            pages_found=progress.pages_found,
            pages_fetched=progress.pages_fetched,
            pages_extracted=progress.pages_extracted,
            pages_new=progress.pages_new,
            pages_changed=progress.pages_changed,
            pages_unchanged=progress.pages_unchanged,
            pages_skipped=progress.pages_skipped,
            pages_failed=progress.pages_failed,
            skipped=dict(self._skipped),
            failed=dict(self._failed),
            removed_urls=tuple(sorted(removed)),
            kept_urls=tuple(sorted(kept)),
            sitemaps=tuple(self._sitemaps),
            notes=tuple(self._notes),
            crawl_delay_seconds=self._crawl_delay,
            bytes_downloaded=self._fetcher.bytes_downloaded if self._fetcher else 0,
            duration_seconds=self._elapsed(),
        )


def _settings_user_agent() -> str:
    try:
        from callcenter.settings import get_settings

        return get_settings().crawler_user_agent or DEFAULT_USER_AGENT
    except Exception:  # settings unreadable: the crawler still identifies itself
        return DEFAULT_USER_AGENT


def crawl_site(
    start_url: str,
    *,
    path_prefix: str | None = None,
    limits: CrawlLimits | None = None,
    policy: AddressPolicy | None = None,
    previous: Mapping[str, str] | None = None,
    on_progress: ProgressCallback | None = None,
    should_cancel: CancelCheck | None = None,
    user_agent: str | None = None,
    resolver: Resolver | None = None,
    network_backend: httpcore.AsyncNetworkBackend | None = None,
) -> Crawl:
    """Start describing a crawl; nothing happens until it is iterated."""
    return Crawl(
        start_url,
        path_prefix=path_prefix,
        limits=limits,
        policy=policy,
        previous=previous,
        on_progress=on_progress,
        should_cancel=should_cancel,
        user_agent=user_agent,
        resolver=resolver,
        network_backend=network_backend,
    )


async def check_start_url(
    start_url: str,
    *,
    limits: CrawlLimits | None = None,
    policy: AddressPolicy | None = None,
    user_agent: str | None = None,
    resolver: Resolver | None = None,
    network_backend: httpcore.AsyncNetworkBackend | None = None,
) -> StartPage:
    """Check a help-center address the way the crawl would start (robots.txt, the start
    page), without crawling. Raises CrawlError with a message for the representative."""
    crawl = Crawl(
        start_url,
        limits=limits,
        policy=policy,
        user_agent=user_agent,
        resolver=resolver,
        network_backend=network_backend,
    )
    title: str | None = None
    async with crawl:
        first = await anext(crawl.__aiter__())
        if isinstance(first, CrawledPage):
            title = first.document.title
    assert crawl.scope is not None
    return StartPage(
        requested_url=start_url,
        url=crawl.start_url,
        scope_url=crawl.scope.url,
        title=title,
        crawl_delay_seconds=crawl.report.crawl_delay_seconds,
    )
