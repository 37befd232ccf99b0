"""Help-center crawler: a site in, `ExtractedDocument`s out.

See `crawler.py` for the flow, `guard.py` for the SSRF guard, `extract.py` for
how a page becomes sections.

The URL checks, errors and the address policy import without the crawler's
own dependencies (the `ingest` extra: trafilatura, protego, lxml), so the API
can validate a start URL; the crawl itself loads on first use."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from callcenter.knowledge.crawler.errors import CrawlError, FailReason, SkipReason
from callcenter.knowledge.crawler.guard import AddressPolicy, BlockedAddressError
from callcenter.knowledge.crawler.urls import normalize_url, parse_start_url

if TYPE_CHECKING:
    from callcenter.knowledge.crawler.crawler import (
        Crawl,
        CrawledPage,
        CrawlEvent,
        CrawlLimits,
        CrawlProgress,
        CrawlReport,
        FailedPage,
        PageStatus,
        SkippedPage,
        StartPage,
        StopReason,
        check_start_url,
        crawl_site,
    )

_CRAWLER_NAMES = frozenset(
    {
        "Crawl",
        "CrawledPage",
        "CrawlEvent",
        "CrawlLimits",
        "CrawlProgress",
        "CrawlReport",
        "FailedPage",
        "PageStatus",
        "SkippedPage",
        "StartPage",
        "StopReason",
        "check_start_url",
        "crawl_site",
    }
)


def __getattr__(name: str) -> Any:
    if name in _CRAWLER_NAMES:
        return getattr(importlib.import_module("callcenter.knowledge.crawler.crawler"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AddressPolicy",
    "BlockedAddressError",
    "Crawl",
    "CrawlError",
    "CrawlEvent",
    "CrawlLimits",
    "CrawlProgress",
    "CrawlReport",
    "CrawledPage",
    "FailReason",
    "FailedPage",
    "PageStatus",
    "SkipReason",
    "SkippedPage",
    "StartPage",
    "StopReason",
    "check_start_url",
    "crawl_site",
    "normalize_url",
    "parse_start_url",
]
