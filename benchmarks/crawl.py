"""Crawl benchmark: pages per second on a generated 1,000-article help center
served on loopback (by a separate process), with p50/p95 per-page extraction
and fetch times.

    .venv/bin/python benchmarks/crawl.py [--pages 1000] [--concurrency 4] [--delay 0]

--delay is the per-host politeness delay (production default 0.25 s, which caps
a crawl at 4 pages/s whatever the machine); the default 0 measures the crawler."""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from callcenter.knowledge.crawler import AddressPolicy, CrawledPage, CrawlLimits, crawl_site

ROOT = Path(__file__).resolve().parent.parent


def percentile(values: list[float], point: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[point - 1]


async def bench(start_url: str, expected: int, *, concurrency: int, delay: float) -> None:
    limits = CrawlLimits(
        max_pages=expected + 100,
        max_depth=10,
        max_total_seconds=600,
        concurrency=concurrency,
        per_host_delay_seconds=delay,
        progress_interval_seconds=1.0,
    )
    crawl = crawl_site(start_url, limits=limits, policy=AddressPolicy.allowing(networks=["127.0.0.1/32"]))
    extract: list[float] = []
    fetch: list[float] = []
    started = time.perf_counter()
    async with crawl:
        async for event in crawl:
            if isinstance(event, CrawledPage):
                extract.append(event.extract_seconds)
                fetch.append(event.fetch_seconds)
    elapsed = time.perf_counter() - started
    report = crawl.report
    print(f"site: {start_url} ({expected} HTML pages: home, listing pages, articles)")
    print(f"settings: concurrency {concurrency}, per-host delay {delay:g} s, cpus {os.cpu_count()}")
    print(
        f"pages fetched: {report.pages_fetched}, articles extracted: {report.pages_extracted}, "
        f"skipped: {report.skipped}, failed: {report.failed}"
    )
    print(f"crawl time: {elapsed:.2f} s, {report.bytes_downloaded / 1e6:.1f} MB downloaded")
    print(f"crawl throughput: {report.pages_fetched / elapsed:.1f} pages/s ({len(extract) / elapsed:.1f} articles/s)")
    print(
        f"per-page extraction: p50 {percentile(extract, 50) * 1000:.1f} ms, p95 {percentile(extract, 95) * 1000:.1f} ms"
    )
    print(f"per-page fetch: p50 {percentile(fetch, 50) * 1000:.1f} ms, p95 {percentile(fetch, 95) * 1000:.1f} ms")
    if report.pages_fetched < expected or not report.complete:
        print(f"WARNING: expected {expected} pages, complete={report.complete}, stopped={report.stopped}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.fixtures.helpcenter.generate", "--pages", str(args.pages)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline().split()
        if len(line) != 2:
            raise SystemExit("the generated site did not start")
        start_url, expected = line[0], int(line[1])
        asyncio.run(bench(start_url, expected, concurrency=args.concurrency, delay=args.delay))
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
