"""Tesseract OCR of rendered page images (the `tesseract` program, Debian's tesseract-ocr).

One Tesseract process per page, reading the image from stdin and writing TSV:
words with their line, paragraph and box, which become layout Lines (line
height as the size, so large headings in a scan still become headings)."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
from dataclasses import dataclass

from callcenter.knowledge.extraction.base import RetryableExtractionError
from callcenter.knowledge.extraction.layout import Line

_MIN_CONFIDENCE = 30.0


@dataclass(frozen=True)
class OcrConfig:
    language: str = "eng"
    dpi: int = 300
    timeout_seconds: float = 120.0
    command: str = "tesseract"


class OcrUnavailable(RetryableExtractionError):
    pass


def tesseract_path(command: str = "tesseract") -> str:
    path = shutil.which(command)
    if path is None:
        raise OcrUnavailable(
            "Scanned pages can't be read right now: the text recognition (OCR) program is not installed on the "
            "server. An administrator needs to install Tesseract; then try again.",
            code="ocr_unavailable",
        )
    return path


def ocr_page_image(image: bytes, page: int, config: OcrConfig) -> list[Line]:
    """OCR one page image (any format Leptonica reads; PNM is fastest). Returns its lines in reading order."""
    command = [
        tesseract_path(config.command),
        "stdin",
        "stdout",
        "-l",
        config.language,
        "--dpi",
        str(config.dpi),
        "--psm",
        "3",
        "tsv",
    ]
    # Parallelism comes from running pages side by side; one thread each is faster than OpenMP here.
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    try:
        result = subprocess.run(command, input=image, capture_output=True, timeout=config.timeout_seconds, env=env)
    except subprocess.TimeoutExpired as error:
        raise RetryableExtractionError(
            f"Reading the scanned page {page} took too long and was stopped.", code="ocr_timeout"
        ) from error
    if result.returncode != 0:
        detail = result.stderr.decode(errors="replace").strip().splitlines()
        raise RetryableExtractionError(
            f"Text recognition failed on page {page} ({detail[-1] if detail else 'no detail'}).", code="ocr_failed"
        )
    return parse_tsv(result.stdout.decode("utf-8", errors="replace"), page, scale=72 / config.dpi)


def parse_tsv(tsv: str, page: int, scale: float = 1.0) -> list[Line]:
    """Lines from Tesseract's TSV; `scale` turns pixels into points (72 / dpi), so
    sizes compare with the font sizes of text-layer pages in the same PDF."""
    lines: dict[tuple[int, int, int], dict[str, object]] = {}
    order: list[tuple[int, int, int]] = []
    reader = csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE)
    for row in reader:
        try:
            level = int(row["level"])
            key = (int(row["block_num"]), int(row["par_num"]), int(row["line_num"]))
        except (KeyError, TypeError, ValueError):
            continue
        if level == 4:
            lines[key] = {"top": int(row["top"]), "height": int(row["height"]), "words": []}
            order.append(key)
        elif level == 5 and key in lines:
            text = (row.get("text") or "").strip()
            try:
                confidence = float(row.get("conf") or -1)
            except ValueError:
                confidence = -1
            if text and confidence >= _MIN_CONFIDENCE:
                words = lines[key]["words"]
                assert isinstance(words, list)
                words.append(text)
    result: list[Line] = []
    previous_top: int | None = None
    for key in order:
        entry = lines[key]
        words = entry["words"]
        assert isinstance(words, list)
        if not words:
            continue
        top, height = entry["top"], entry["height"]
        assert isinstance(top, int) and isinstance(height, int)
        gap = None if previous_top is None else (top - previous_top) * scale
        result.append(Line(" ".join(words), height * scale, page, gap_before=gap, block=key[:2]))
        previous_top = top
    return result
