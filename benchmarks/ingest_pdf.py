"""Document ingestion benchmark: seconds to extract a generated 100-page text PDF
(PDFium, headings from font sizes), then to chunk and embed it with the local
model; and OCR throughput (Tesseract, 300 dpi) on generated scanned pages.

    .venv/bin/python benchmarks/ingest_pdf.py [--pages 100] [--scanned 4] [--no-embed]"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from callcenter.knowledge.chunking import chunk_document  # noqa: E402
from callcenter.knowledge.extraction import extract  # noqa: E402
from tests.fixtures.documents.generate import long_text_pdf, scanned_pages_pdf  # noqa: E402


def timed_extract(data: bytes, name: str, runs: int) -> tuple[float, int, int]:
    """Best and median of `runs` extractions: (median seconds, sections, characters)."""
    times: list[float] = []
    sections = characters = 0
    for _ in range(runs):
        started = time.perf_counter()
        document = extract(data, name)
        times.append(time.perf_counter() - started)
        sections, characters = len(document.sections), len(document.text)
    return statistics.median(times), sections, characters


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--scanned", type=int, default=4, help="scanned pages to OCR (0: skip)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-embed", action="store_true", help="skip chunking and embedding")
    args = parser.parse_args()

    print(f"machine: {os.cpu_count()} CPU cores")
    data = long_text_pdf(args.pages)
    print(f"text PDF: {args.pages} pages, {len(data) / 1024:.0f} KB")
    seconds, sections, characters = timed_extract(data, "long.pdf", args.runs)
    print(
        f"  extract            {seconds:6.2f} s   ({args.pages / seconds:.0f} pages/s, "
        f"{sections} sections, {characters} characters; median of {args.runs})"
    )
    if not args.no_embed:
        document = extract(data, "long.pdf")
        started = time.perf_counter()
        chunks = chunk_document(document)
        chunked = time.perf_counter() - started
        print(f"  chunk              {chunked:6.2f} s   ({len(chunks)} chunks)")
        try:
            from callcenter.knowledge.embeddings import get_embedder
            from callcenter.settings import Settings

            embedder = get_embedder(Settings(embedding_provider="local"))
            texts = [chunk.embedding_text() for chunk in chunks]
            asyncio.run(embedder.embed(texts[:8]))  # load the model outside the timing
            started = time.perf_counter()
            asyncio.run(embedder.embed(texts))
            embedded = time.perf_counter() - started
            print(f"  embed (local)      {embedded:6.2f} s   ({len(texts) / embedded:.0f} chunks/s)")
            print(f"  extract+chunk+embed {seconds + chunked + embedded:5.2f} s   (storing rows not included)")
        except Exception as error:  # the embeddings extra may be missing
            print(f"  embed              skipped ({error})")

    if args.scanned > 0:
        if shutil.which("tesseract") is None:
            print("scanned PDF: skipped (tesseract-ocr is not installed)")
            return 0
        scanned = scanned_pages_pdf(args.scanned)
        print(f"scanned PDF: {args.scanned} image-only pages, {len(scanned) / 1024:.0f} KB")
        seconds, _, characters = timed_extract(scanned, "scanned.pdf", 1)
        print(
            f"  OCR (300 dpi)      {seconds:6.2f} s   ({args.scanned / seconds:.2f} pages/s, "
            f"{seconds / args.scanned:.2f} s/page, {characters} characters)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
