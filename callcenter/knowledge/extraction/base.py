"""The extractor contract, limits and the errors a representative reads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from callcenter.knowledge.types import ExtractedDocument, ExtractionError

#: Called as pages are read: (pages extracted so far, total pages).
ProgressCallback = Callable[[int, int], None]

PDF_TYPE = "application/pdf"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class DocumentKind(StrEnum):
    PDF = "pdf"
    DOCX = "docx"

    @property
    def content_type(self) -> str:
        return PDF_TYPE if self is DocumentKind.PDF else DOCX_TYPE

    @property
    def label(self) -> str:
        return "a PDF" if self is DocumentKind.PDF else "a Word document (.docx)"


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 25 * 1024 * 1024
    max_pages: int = 1000
    # A .docx is a zip: refuse one that unpacks to more than this (a zip bomb).
    max_unpacked_bytes: int = 300 * 1024 * 1024


@dataclass(frozen=True)
class StoredObject:
    """Where the uploaded bytes live, for extractors that read from S3 themselves (Textract)."""

    bucket: str
    key: str


class Extractor(Protocol):
    name: str

    def extract(
        self,
        data: bytes,
        file_name: str,
        declared_type: str | None = None,
        *,
        progress: ProgressCallback | None = None,
        stored: StoredObject | None = None,
    ) -> ExtractedDocument: ...


class RetryableExtractionError(ExtractionError):
    """The document may be fine; a service it needs failed (throttling, an outage). Try again later."""

    retryable = True

    def __init__(self, message: str, *, code: str = "extraction_unavailable") -> None:
        super().__init__(message, code=code)


def format_bytes(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{round(size / 1024)} KB"
    megabytes = size / (1024 * 1024)
    return f"{megabytes:.1f} MB" if megabytes < 10 else f"{round(megabytes)} MB"


def report(progress: ProgressCallback | None, done: int, total: int) -> None:
    if progress is not None:
        progress(done, total)
