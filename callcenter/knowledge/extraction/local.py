"""Extraction on this machine: PDFium for text PDFs, Tesseract for scanned pages, python-docx for Word."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import PurePosixPath

from callcenter.knowledge.extraction.base import DocumentKind, Limits, ProgressCallback, StoredObject, report
from callcenter.knowledge.extraction.layout import build_sections
from callcenter.knowledge.extraction.ocr import OcrConfig
from callcenter.knowledge.extraction.pdf import read_pdf
from callcenter.knowledge.extraction.sniff import sniff
from callcenter.knowledge.extraction.word import read_docx
from callcenter.knowledge.types import ExtractedDocument, ExtractionError, Section

log = logging.getLogger(__name__)

UNEXPECTED = (
    "We couldn't read this document because of an unexpected problem with the file. "
    "Try opening it and saving it again (or exporting it as PDF), then upload the new copy."
)


def title_from_file_name(file_name: str) -> str:
    stem = PurePosixPath(file_name.replace("\\", "/")).stem
    title = re.sub(r"[_\s]+", " ", stem).strip(" .-")
    return title[:200] or "Untitled document"


def guarded(work: Callable[[], ExtractedDocument]) -> ExtractedDocument:
    """Run an extraction; whatever goes wrong ends as an ExtractionError, never a crash."""
    try:
        return work()
    except ExtractionError:
        raise
    except MemoryError as error:
        raise ExtractionError(
            "This document is too large to process. Split it into smaller files.", code="too_large"
        ) from error
    except Exception as error:
        log.exception("document extraction failed unexpectedly")
        raise ExtractionError(UNEXPECTED, code="extraction_failed") from error


def pdf_document(
    sections: list[Section],
    *,
    found_title: str | None,
    metadata_title: str | None,
    file_name: str,
    page_count: int,
    ocr_pages: list[int],
    extractor: str,
) -> ExtractedDocument:
    document = ExtractedDocument(
        title=found_title or metadata_title or title_from_file_name(file_name),
        sections=tuple(sections),
        page_count=page_count,
        metadata={
            "format": "pdf",
            "extractor": extractor,
            "ocr_pages": ",".join(str(n) for n in ocr_pages),
        },
    )
    if document.is_empty:
        if ocr_pages:
            raise ExtractionError(
                "We couldn't find any readable text in this PDF, even with text recognition. If it is a scan, "
                "check that the pages are sharp and the right way up, then upload it again.",
                code="no_text",
            )
        raise ExtractionError(
            "This PDF has no text to read: its pages are blank or hold only drawings.", code="no_text"
        )
    return document


class LocalExtractor:
    name = "local"

    def __init__(self, limits: Limits | None = None, ocr: OcrConfig | None = None, ocr_workers: int = 0) -> None:
        self.limits = limits or Limits()
        self.ocr = ocr or OcrConfig()
        self.ocr_workers = ocr_workers

    def extract(
        self,
        data: bytes,
        file_name: str,
        declared_type: str | None = None,
        *,
        progress: ProgressCallback | None = None,
        stored: StoredObject | None = None,
    ) -> ExtractedDocument:
        return guarded(lambda: self._extract(data, file_name, declared_type, progress))

    def _extract(
        self, data: bytes, file_name: str, declared_type: str | None, progress: ProgressCallback | None
    ) -> ExtractedDocument:
        kind = sniff(data, file_name, declared_type, self.limits)
        if kind is DocumentKind.DOCX:
            return self.extract_docx(data, file_name, progress)
        result = read_pdf(data, limits=self.limits, ocr=self.ocr, ocr_workers=self.ocr_workers, progress=progress)
        found_title, sections = build_sections(result.lines)
        return pdf_document(
            sections,
            found_title=found_title,
            metadata_title=result.metadata_title,
            file_name=file_name,
            page_count=result.page_count,
            ocr_pages=result.ocr_pages,
            extractor=self.name,
        )

    def extract_docx(self, data: bytes, file_name: str, progress: ProgressCallback | None) -> ExtractedDocument:
        report(progress, 0, 1)
        document = read_docx(data, file_name)
        if document.is_empty:
            raise ExtractionError("This Word document has no text to read.", code="no_text")
        report(progress, 1, 1)
        if not document.title:
            document = ExtractedDocument(
                title=title_from_file_name(file_name), sections=document.sections, metadata=document.metadata
            )
        return document
