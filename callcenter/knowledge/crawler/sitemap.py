"""sitemap.xml: URL sets, sitemap indexes (nested), gzip-compressed sitemaps and
plain-text sitemaps, parsed without resolving entities or touching the network."""

from __future__ import annotations

import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree

from callcenter.knowledge.crawler.fetch import Fetcher, FetchFailure
from callcenter.knowledge.crawler.urls import normalize_url


@dataclass
class SitemapResult:
    urls: list[str] = field(default_factory=list)
    sitemaps_read: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _gunzip(data: bytes, max_bytes: int) -> bytes:
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    output = decompressor.decompress(data, max_bytes + 1)
    if len(output) > max_bytes:
        raise ValueError(f"decompressed sitemap is larger than {max_bytes} bytes")
    return output


def _local_name(tag: object) -> str:
    return etree.QName(tag).localname.lower() if isinstance(tag, str) else ""


def parse_sitemap(data: bytes) -> tuple[list[str], list[str]]:
    """(page URLs, nested sitemap URLs) listed in one sitemap document."""
    stripped = data.lstrip()
    if not stripped.startswith(b"<"):
        lines = stripped.decode("utf-8", errors="replace").splitlines()
        return [line.strip() for line in lines if line.strip().startswith(("http://", "https://"))], []
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=True, remove_comments=True
    )
    root = etree.fromstring(stripped, parser=parser)
    if root is None:
        return [], []
    kind = _local_name(root.tag)
    pages: list[str] = []
    nested: list[str] = []
    for entry in root:
        entry_kind = _local_name(entry.tag)
        for child in entry:
            if _local_name(child.tag) == "loc" and child.text and child.text.strip():
                if kind == "sitemapindex" or entry_kind == "sitemap":
                    nested.append(child.text.strip())
                else:
                    pages.append(child.text.strip())
    return pages, nested


async def read_sitemaps(
    fetcher: Fetcher,
    start: list[str],
    *,
    may_fetch: Callable[[str], bool],
    max_files: int,
    max_urls: int,
    max_bytes: int,
    remaining_seconds: Callable[[], float | None],
) -> SitemapResult:
    """Read `start` sitemaps and the ones they index, breadth first, within the limits.

    `may_fetch(url)` decides which sitemap files may be requested (same site,
    robots); failures are recorded as problems, never raised."""
    result = SitemapResult()
    queue: deque[str] = deque()
    queued: set[str] = set()
    for url in start:
        normalized = normalize_url(url)
        if normalized and normalized not in queued:
            queued.add(normalized)
            queue.append(normalized)
    seen_pages: set[str] = set()
    while queue and len(result.sitemaps_read) < max_files and len(result.urls) < max_urls:
        url = queue.popleft()
        if not may_fetch(url):
            result.problems.append(f"{url}: not fetched (another site, or disallowed)")
            continue
        remaining = remaining_seconds()
        if remaining is not None and remaining <= 0:
            result.problems.append("stopped reading sitemaps: time limit")
            break
        try:
            response = await fetcher.get(url, max_bytes=max_bytes, time_budget=remaining)
        except FetchFailure as failure:
            result.problems.append(f"{url}: {failure.reason.value} ({failure.detail})")
            continue
        if response.status != 200:
            result.problems.append(f"{url}: HTTP {response.status}")
            continue
        body = response.body
        try:
            if body[:2] == b"\x1f\x8b":
                body = _gunzip(body, max_bytes)
            pages, nested = parse_sitemap(body)
        except (ValueError, zlib.error, etree.LxmlError) as error:
            result.problems.append(f"{url}: unreadable sitemap ({error})")
            continue
        result.sitemaps_read.append(url)
        for page in pages:
            normalized = normalize_url(page)
            if normalized and normalized not in seen_pages:
                seen_pages.add(normalized)
                result.urls.append(normalized)
                if len(result.urls) >= max_urls:
                    break
        for child in nested:
            normalized = normalize_url(child)
            if normalized and normalized not in queued:
                queued.add(normalized)
                queue.append(normalized)
    return result
