"""From positioned lines of text to titled, heading-aware sections.

PDF text layers, Tesseract's output and Textract's LINE blocks all come down
to lines with a size (font size, or glyph height: any unit consistent within
one document), a page and a vertical gap from the line before. Headings are
the short lines set larger than the body text (or bold at body size); their
sizes, largest first, give the heading levels. A line set in the largest size
once, at the top of the first page, is the document's title."""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass

from callcenter.knowledge.types import Section

_LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_SPACES = re.compile(r"[ \t\u00a0]+")
_HAS_LETTER = re.compile(r"[^\W\d_]")

HEADING_RATIO = 1.15
MAX_HEADING_CHARS = 150
MAX_HEADING_WORDS = 20
MAX_LEVELS = 4


@dataclass(frozen=True)
class Line:
    text: str
    size: float
    page: int
    bold: bool = False
    # Distance from the previous line on the same page (same unit as size); None at the top of a page.
    gap_before: float | None = None
    # Lines with different block ids are different paragraphs (OCR gives paragraph ids).
    block: object = None


def clean_text(text: str) -> str:
    text = _CONTROL.sub("", text.translate(_LIGATURES))
    return _SPACES.sub(" ", text).strip()


def _similar(a: float, b: float) -> bool:
    return abs(a - b) <= 0.1 * max(a, b)


def _body_size(lines: list[Line]) -> float:
    """The size most of the text is set in: the median size, weighted by characters
    (robust to the noise of measured glyph heights in scans)."""
    weights: Counter[float] = Counter()
    for line in lines:
        weights[round(line.size, 2)] += len(line.text)
    total = sum(weights.values())
    running = 0
    for size in sorted(weights):
        running += weights[size]
        if running * 2 >= total:
            return size
    return 0.0


def _levels(sizes: list[float]) -> list[float]:
    """Heading sizes grouped into levels, largest first: each level's smallest member is
    within 10% of its largest, so measured sizes that jitter stay one level."""
    tops: list[float] = []
    for size in sorted(sizes, reverse=True):
        if not tops or size < tops[-1] * 0.9:
            tops.append(size)
    return tops


def _looks_like_heading(line: Line, body: float) -> bool:
    text = line.text
    if len(text) > MAX_HEADING_CHARS or len(text.split()) > MAX_HEADING_WORDS or not _HAS_LETTER.search(text):
        return False
    if text[-1] in ".,;:" and not text.endswith("..."):
        return False
    if body <= 0:
        return False
    if line.size >= body * HEADING_RATIO:
        return True
    return line.bold and line.size >= body * 0.95 and len(text) <= 100


def _join(previous: str, line: str) -> str:
    if not previous:
        return line
    if previous.endswith(("\u00ad", "\x02")):
        return previous[:-1] + line
    if previous.endswith("-") and len(previous) > 1 and previous[-2].islower() and line[:1].islower():
        return previous[:-1] + line
    return f"{previous} {line}"


def build_sections(raw_lines: list[Line], *, keep_title: bool = True) -> tuple[str | None, list[Section]]:
    """Returns (title found in the text or None, sections in reading order)."""
    lines = [
        Line(clean_text(line.text), line.size, line.page, line.bold, line.gap_before, line.block) for line in raw_lines
    ]
    lines = [line for line in lines if line.text]
    if not lines:
        return None, []
    body = _body_size(lines)
    is_heading = [_looks_like_heading(line, body) for line in lines]

    # Merge a heading wrapped over consecutive lines of the same size.
    merged: list[tuple[Line, bool]] = []
    for line, heading in zip(lines, is_heading, strict=True):
        if (
            heading
            and merged
            and merged[-1][1]
            and merged[-1][0].page == line.page
            and _similar(merged[-1][0].size, line.size)
            and merged[-1][0].bold == line.bold
            and len(merged[-1][0].text) + len(line.text) <= MAX_HEADING_CHARS
        ):
            previous = merged[-1][0]
            merged[-1] = (Line(f"{previous.text} {line.text}", previous.size, previous.page, previous.bold), True)
        else:
            merged.append((line, heading))

    heading_sizes = _levels([line.size for line, heading in merged if heading and line.size > body * 1.05])

    title: str | None = None
    first_line, first_is_heading = merged[0]
    if (
        keep_title
        and first_is_heading
        and first_line.page == 1
        and heading_sizes
        and first_line.size >= heading_sizes[0] * 0.9
        and sum(1 for line, h in merged if h and line.size >= heading_sizes[0] * 0.9) == 1
    ):
        title = first_line.text
        merged = merged[1:]
        heading_sizes = heading_sizes[1:]

    def level_of(line: Line) -> int:
        for index, top in enumerate(heading_sizes):
            if line.size >= top * 0.9:
                return min(index + 1, MAX_LEVELS)
        return min(len(heading_sizes) + 1, MAX_LEVELS)  # bold at body size: the lowest level

    gaps = [
        line.gap_before
        for line, heading in merged
        if not heading and line.gap_before is not None and line.gap_before > 0
    ]
    # The line spacing: the lower quartile of the gaps (paragraph breaks are the larger ones).
    usual_gap = (statistics.quantiles(gaps, n=4)[0] if len(gaps) > 1 else gaps[0]) if gaps else 0.0

    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    paragraphs: list[str] = []
    current = ""
    current_page: int | None = None
    previous_block: object = None

    def flush_paragraph() -> None:
        nonlocal current
        if current.strip():
            paragraphs.append(current.strip())
        current = ""

    def flush_section() -> None:
        flush_paragraph()
        if paragraphs:
            sections.append(
                Section(text="\n\n".join(paragraphs), heading_path=tuple(h for _, h in stack), page=current_page)
            )
        paragraphs.clear()

    for line, heading in merged:
        if line.page != current_page:
            flush_section()
            current_page = line.page
            previous_block = None
        if heading:
            flush_section()
            level = level_of(line)
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, line.text))
            previous_block = None
            continue
        gap = line.gap_before
        new_paragraph = (line.block is not None and line.block != previous_block) or (
            gap is not None and ((usual_gap > 0 and gap > usual_gap * 1.3) or gap > line.size * 1.75)
        )
        if new_paragraph:
            flush_paragraph()
        current = _join(current, line.text)
        previous_block = line.block
    flush_section()
    return title, sections
