"""Word (.docx) documents with python-docx: paragraphs and tables in document order,
headings from paragraph styles (and outline levels), lists kept together, table
rows as text with their column headers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from docx import Document
from docx.document import Document as DocxDocument
from docx.oxml.ns import qn
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from callcenter.knowledge.extraction.layout import clean_text
from callcenter.knowledge.types import ExtractedDocument, ExtractionError, Section

_HEADING_STYLE = re.compile(r"^heading\s*([1-9])$", re.IGNORECASE)
_LIST_STYLE = re.compile(r"^list", re.IGNORECASE)
MAX_LEVELS = 6

DAMAGED = (
    "This Word document is damaged and can't be opened (it may not have finished saving or uploading). "
    "Open it in Word, save it again and upload the new copy."
)


def _style_level(style: Any) -> int | None:
    """Heading level from the style or the styles it is based on (a custom style based on Heading 2 is a heading)."""
    seen = 0
    while style is not None and seen < 10:
        name = style.name or ""
        if name.lower() == "title":
            return 0
        match = _HEADING_STYLE.match(name)
        if match:
            return int(match.group(1))
        outline = style.element.find(f"{qn('w:pPr')}/{qn('w:outlineLvl')}")
        if outline is not None:
            value = int(outline.get(qn("w:val"), "9"))
            return value + 1 if value < 9 else None
        style = style.base_style
        seen += 1
    return None


def _heading_level(paragraph: Paragraph) -> int | None:
    outline = paragraph._p.find(f"{qn('w:pPr')}/{qn('w:outlineLvl')}")
    if outline is not None:
        value = int(outline.get(qn("w:val"), "9"))
        return value + 1 if value < 9 else None
    try:
        return _style_level(paragraph.style)
    except (KeyError, ValueError, AttributeError):
        return None


def _is_list_item(paragraph: Paragraph) -> bool:
    if paragraph._p.find(f"{qn('w:pPr')}/{qn('w:numPr')}") is not None:
        return True
    try:
        return bool(paragraph.style is not None and _LIST_STYLE.match(paragraph.style.name or ""))
    except (KeyError, ValueError, AttributeError):
        return False


def _block_items(parent: Any, container: Any) -> Iterator[Paragraph | Table]:
    """Paragraphs and tables in document order, looking inside content controls
    (but not a table of contents, which repeats the headings)."""
    for child in container.iterchildren():
        if child.tag == qn("w:p"):
            yield Paragraph(child, parent)
        elif child.tag == qn("w:tbl"):
            yield Table(child, parent)
        elif child.tag == qn("w:sdt"):
            gallery = child.find(f"{qn('w:sdtPr')}/{qn('w:docPartObj')}/{qn('w:docPartGallery')}")
            if gallery is not None and "contents" in (gallery.get(qn("w:val")) or "").lower():
                continue
            content = child.find(qn("w:sdtContent"))
            if content is not None:
                yield from _block_items(parent, content)


def _cell_text(cell: _Cell) -> str:
    parts = [clean_text(p.text) for p in cell.paragraphs]
    for nested in cell.tables:
        parts.extend(_table_lines(nested))
    return " ".join(part for part in parts if part)


def _table_lines(table: Table) -> list[str]:
    rows: list[list[str]] = []
    for row in table.rows:
        cells: list[str] = []
        previous: Any = None
        for cell in row.cells:
            if cell._tc is previous:  # a merged cell repeats: keep it once
                continue
            previous = cell._tc
            cells.append(_cell_text(cell))
        if any(cells):
            rows.append(cells)
    if not rows:
        return []
    header = rows[0]
    has_header = len(rows) > 1 and len(header) > 1 and all(header) and all(len(h) <= 60 for h in header)
    if not has_header:
        return [" | ".join(cell for cell in row if cell) for row in rows]
    lines = [" | ".join(header)]
    for row in rows[1:]:
        if len(row) == len(header):
            pairs = [f"{name}: {value}" for name, value in zip(header, row, strict=True) if value]
            lines.append(" | ".join(pairs))
        else:
            lines.append(" | ".join(cell for cell in row if cell))
    return lines


def read_docx(data: bytes, file_name: str) -> ExtractedDocument:
    import io

    try:
        document: DocxDocument = Document(io.BytesIO(data))
        body = document.element.body
        items = list(_block_items(document._body, body))
    except ExtractionError:
        raise
    except Exception as error:  # python-docx, zipfile and lxml raise many kinds on damaged files
        raise ExtractionError(DAMAGED, code="corrupt_document") from error

    title: str | None = None
    try:
        title = clean_text(document.core_properties.title or "") or None
    except Exception:
        title = None
    styled_title: str | None = None

    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    paragraphs: list[str] = []
    list_items: list[str] = []

    def flush_list() -> None:
        if list_items:
            paragraphs.append("\n".join(f"- {item}" for item in list_items))
            list_items.clear()

    def flush_section() -> None:
        flush_list()
        if paragraphs:
            sections.append(Section(text="\n\n".join(paragraphs), heading_path=tuple(h for _, h in stack)))
            paragraphs.clear()

    try:
        for item in items:
            if isinstance(item, Table):
                flush_list()
                lines = _table_lines(item)
                if lines:
                    paragraphs.append("\n".join(lines))
                continue
            text = clean_text(item.text)
            if not text:
                continue
            level = _heading_level(item)
            if level == 0:
                if styled_title is None and not sections and not paragraphs and not stack:
                    styled_title = text
                    continue
                level = 1
            if level is not None and len(text) <= 300:
                flush_section()
                level = min(level, MAX_LEVELS)
                while stack and stack[-1][0] >= level:
                    stack.pop()
                stack.append((level, text))
                continue
            if _is_list_item(item):
                list_items.append(text)
                continue
            flush_list()
            paragraphs.append(text)
        flush_section()
    except Exception as error:
        raise ExtractionError(DAMAGED, code="corrupt_document") from error

    return ExtractedDocument(
        title=styled_title or title or "",
        sections=tuple(sections),
        metadata={"format": "docx"},
    )
