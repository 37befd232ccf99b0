"""One polite, bounded HTTP GET: redirects followed by hand (each hop through the
address guard, loops detected), bodies streamed and abandoned past a byte
limit, requests to one host spaced out."""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from callcenter.knowledge.crawler.errors import FailReason, SkipReason
from callcenter.knowledge.crawler.guard import BlockedAddressError, HostLookupError
from callcenter.knowledge.crawler.urls import normalize_url

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


@dataclass(frozen=True)
class Response:
    url: str  # where the content came from, normalized
    requested_url: str
    status: int
    headers: httpx.Headers
    body: bytes
    redirects: tuple[str, ...]  # normalized URLs passed through before `url`
    seconds: float

    @property
    def content_type(self) -> str:
        return str(self.headers.get("content-type", ""))

    @property
    def media_type(self) -> str:
        return self.content_type.split(";", 1)[0].strip().lower()

    @property
    def charset(self) -> str | None:
        for parameter in self.content_type.split(";")[1:]:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "charset" and value.strip():
                return value.strip().strip("\"'")
        return None


class FetchFailure(Exception):
    """A request that produced no usable response."""

    def __init__(
        self,
        reason: FailReason | SkipReason,
        detail: str,
        *,
        url: str,
        status: int | None = None,
        content_type: str = "",
        bytes_read: int = 0,
    ) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.url = url
        self.status = status
        self.content_type = content_type
        self.bytes_read = bytes_read


def is_html(media_type: str, head: bytes = b"") -> bool:
    if media_type in HTML_TYPES:
        return True
    if media_type:
        return False
    sniff = head[:512].lstrip().lower()
    return sniff.startswith((b"<!doctype html", b"<html")) or b"<html" in sniff


def _without_fragment(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))


def _has_ssl_cause(error: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLError) or "CERTIFICATE_VERIFY_FAILED" in str(current):
            return True
        current = current.__cause__ or current.__context__
    return False


class HostGate:
    """Spaces the starts of requests to one host by that host's delay (robots.txt may raise it mid-crawl)."""

    def __init__(self, default_delay: float) -> None:
        self.default_delay = default_delay
        self._delays: dict[str, float] = {}
        self._last: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def set_delay(self, host: str, delay: float) -> None:
        self._delays[host] = delay

    def delay_for(self, host: str) -> float:
        return self._delays.get(host, self.default_delay)

    async def wait(self, host: str) -> None:
        lock = self._locks.setdefault(host, asyncio.Lock())
        async with lock:  # waiters queue up: one request start per delay
            last = self._last.get(host)
            if last is not None:
                ready = last + self.delay_for(host)
                now = time.monotonic()
                if ready > now:
                    await asyncio.sleep(ready - now)
            self._last[host] = time.monotonic()


RedirectCheck = Callable[[str], None]
"""Called with each redirect target (normalized); raises FetchFailure to stop there."""


class Fetcher:
    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        gate: HostGate,
        max_redirects: int = 5,
        request_seconds: float = 30.0,
    ) -> None:
        self.client = client
        self.gate = gate
        self.max_redirects = max_redirects
        self.request_seconds = request_seconds
        self.bytes_downloaded = 0

    async def get(
        self,
        url: str,
        *,
        max_bytes: int,
        accept: Callable[[str, bytes], bool] | None = None,
        on_redirect: RedirectCheck | None = None,
        time_budget: float | None = None,
    ) -> Response:
        """GET `url`. Non-2xx final statuses are returned (with an empty body), not raised.

        `accept(media_type, first_bytes)` refuses a 2xx body by type (SkipReason.NOT_HTML)
        before more than its first chunk is read."""
        budget = self.request_seconds if time_budget is None else max(0.0, min(time_budget, self.request_seconds))
        started = time.monotonic()
        try:
            async with asyncio.timeout(budget):
                return await self._get(
                    url, max_bytes=max_bytes, accept=accept, on_redirect=on_redirect, started=started
                )
        except TimeoutError as error:
            raise FetchFailure(FailReason.TIMEOUT, f"no complete answer within {budget:.0f} s", url=url) from error

    async def _get(
        self,
        url: str,
        *,
        max_bytes: int,
        accept: Callable[[str, bytes], bool] | None,
        on_redirect: RedirectCheck | None,
        started: float,
    ) -> Response:
        current = url
        visited = {_without_fragment(url)}
        chain: list[str] = []
        while True:
            host = urlsplit(current).netloc
            await self.gate.wait(host)
            try:
                async with self.client.stream("GET", current) as response:
                    if response.status_code in REDIRECT_STATUSES and "location" in response.headers:
                        target = urljoin(current, response.headers["location"].strip())
                        normalized = normalize_url(target)
                        if normalized is None:
                            raise FetchFailure(
                                FailReason.INVALID_URL, f"redirected to a non-web address: {target}", url=current
                            )
                        key = _without_fragment(target)
                        if key in visited:
                            raise FetchFailure(FailReason.REDIRECT_LOOP, f"redirect loop at {target}", url=url)
                        if len(chain) >= self.max_redirects:
                            raise FetchFailure(
                                FailReason.TOO_MANY_REDIRECTS, f"more than {self.max_redirects} redirects", url=url
                            )
                        current_normalized = normalize_url(current)
                        chain.append(current_normalized or current)
                        visited.add(key)
                        if on_redirect is not None:
                            on_redirect(normalized)
                        current = target
                        continue
                    final = normalize_url(current) or current
                    if not 200 <= response.status_code < 300:
                        return Response(
                            url=final,
                            requested_url=url,
                            status=response.status_code,
                            headers=response.headers,
                            body=b"",
                            redirects=tuple(chain),
                            seconds=time.monotonic() - started,
                        )
                    body = await self._read(response, final, max_bytes=max_bytes, accept=accept)
                    return Response(
                        url=final,
                        requested_url=url,
                        status=response.status_code,
                        headers=response.headers,
                        body=body,
                        redirects=tuple(chain),
                        seconds=time.monotonic() - started,
                    )
            except FetchFailure:
                raise
            except BlockedAddressError as error:
                raise FetchFailure(FailReason.BLOCKED_ADDRESS, str(error), url=current) from error
            except HostLookupError as error:
                raise FetchFailure(FailReason.DNS, str(error), url=current) from error
            except httpx.TimeoutException as error:
                raise FetchFailure(FailReason.TIMEOUT, f"timed out ({type(error).__name__})", url=current) from error
            except httpx.ConnectError as error:
                reason = FailReason.TLS if _has_ssl_cause(error) else FailReason.UNREACHABLE
                raise FetchFailure(reason, str(error) or "connection refused", url=current) from error
            except httpx.HTTPError as error:
                raise FetchFailure(FailReason.NETWORK, f"{type(error).__name__}: {error}", url=current) from error

    async def _read(
        self,
        response: httpx.Response,
        url: str,
        *,
        max_bytes: int,
        accept: Callable[[str, bytes], bool] | None,
    ) -> bytes:
        content_type = response.headers.get("content-type", "")
        media_type = content_type.split(";", 1)[0].strip().lower()
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise FetchFailure(
                SkipReason.TOO_LARGE,
                f"{int(declared)} bytes declared, limit {max_bytes}",
                url=url,
                content_type=content_type,
            )
        chunks: list[bytes] = []
        size = 0
        checked = accept is None
        async for chunk in response.aiter_bytes():
            if not checked:
                checked = True
                assert accept is not None
                if not accept(media_type, chunk):
                    self.bytes_downloaded += len(chunk)
                    raise FetchFailure(
                        SkipReason.NOT_HTML, f"content type {content_type or 'unknown'}", url=url,
                        content_type=content_type, status=response.status_code,
                    )  # fmt: skip
            size += len(chunk)
            self.bytes_downloaded += len(chunk)
            if size > max_bytes:
                raise FetchFailure(
                    SkipReason.TOO_LARGE,
                    f"more than {max_bytes} bytes (stopped reading at {size})",
                    url=url,
                    content_type=content_type,
                    bytes_read=size,
                )
            chunks.append(chunk)
        if not checked and accept is not None and not accept(media_type, b""):
            raise FetchFailure(SkipReason.NOT_HTML, f"content type {content_type or 'unknown'}", url=url,
                               content_type=content_type, status=response.status_code)  # fmt: skip
        return b"".join(chunks)
