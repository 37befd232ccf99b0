"""An article's Markdown as an ExtractedDocument: one section per block of
text, under the headings it sits beneath. Formatting marks go; words, link
texts, list items, table rows and code stay."""

from __future__ import annotations

import html
import re

from markdown_it import MarkdownIt
from markdown_it.token import Token

from callcenter.knowledge.types import ExtractedDocument, Section

_TAG = re.compile(r"<[^>]+>")
_PARSER = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def _inline_text(token: Token) -> str:
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak",):
            parts.append(" ")
        elif child.type == "hardbreak":
            parts.append("\n")
        elif child.type == "image":
            parts.append(child.content or str(child.attrs.get("alt", "") or ""))
    return "".join(parts).strip()


def markdown_to_document(title: str, markdown: str, *, url: str | None = None) -> ExtractedDocument:
    tokens = _PARSER.parse(markdown)
    headings: list[tuple[int, str]] = []
    sections: list[Section] = []
    ordered: list[int | None] = []  # the next number of each open ordered list (None: bullets)
    block: list[str] = []  # the lines of the list or table being read: one section when it closes
    table_row: list[str] | None = None
    heading_level: int | None = None

    def add(text: str) -> None:
        text = text.strip()
        if text:
            sections.append(Section(text=text, heading_path=tuple(t for _, t in headings)))

    for token in tokens:
        kind = token.type
        if kind == "heading_open":
            heading_level = int(token.tag[1])
        elif kind == "heading_close":
            heading_level = None
        elif kind == "inline" and heading_level is not None:
            text = _inline_text(token)
            while headings and headings[-1][0] >= heading_level:
                headings.pop()
            if text:
                headings.append((heading_level, text))
        elif kind in ("bullet_list_open", "ordered_list_open"):
            ordered.append(int(token.attrs.get("start", 1) or 1) if kind == "ordered_list_open" else None)
        elif kind in ("bullet_list_close", "ordered_list_close"):
            ordered.pop()
            if not ordered:
                add("\n".join(block))
                block = []
        elif kind == "tr_open":
            table_row = []
        elif kind == "tr_close":
            block.append(" | ".join(table_row or []))
            table_row = None
        elif kind == "table_close":
            add("\n".join(block))
            block = []
        elif kind == "inline" and table_row is not None:
            table_row.append(_inline_text(token))
        elif kind == "inline" and ordered:
            number = ordered[-1]
            marker = "-" if number is None else f"{number}."
            if number is not None:
                ordered[-1] = number + 1
            block.append(f"{'  ' * (len(ordered) - 1)}{marker} {_inline_text(token)}")
        elif kind == "inline":
            add(_inline_text(token))
        elif kind in ("fence", "code_block"):
            (block.append if ordered else add)(token.content.strip())
        elif kind == "html_block":
            add(" ".join(html.unescape(_TAG.sub(" ", token.content)).split()))
    return ExtractedDocument(title=title.strip(), sections=tuple(sections), url=url)
