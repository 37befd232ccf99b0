"""What every extractor produces and the chunker consumes.

A crawled page, an article and an uploaded document all become an
`ExtractedDocument`: a title and an ordered list of sections, each carrying
the heading path it sits under and, for paged formats, its page number."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Section:
    text: str
    heading_path: tuple[str, ...] = ()
    page: int | None = None


@dataclass(frozen=True)
class ExtractedDocument:
    title: str
    sections: tuple[Section, ...]
    url: str | None = None
    page_count: int | None = None
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n\n".join(section.text for section in self.sections)

    @property
    def content_hash(self) -> str:
        """Hash of the normalized text: unchanged content is skipped on re-crawl and deduplicated."""
        normalized = _WHITESPACE.sub(" ", f"{self.title}\n{self.text}").strip().lower()
        return hashlib.sha256(normalized.encode()).hexdigest()

    @property
    def is_empty(self) -> bool:
        return not any(section.text.strip() for section in self.sections)


class ExtractionError(Exception):
    """A source could not be read. `message` is written for the representative who added it."""

    def __init__(self, message: str, *, code: str = "extraction_failed") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
