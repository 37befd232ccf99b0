"""Uploaded documents to text: `extract(data, file_name, declared_type)` here, or the
extractor the configuration chooses (`get_extractor(settings)`): local (PDFium,
python-docx, Tesseract) or Amazon Textract.

The type is decided from the bytes (magic numbers, the zip's parts), never from
the name; a name or declared type that contradicts the content, and every file
that can't be read, ends in an ExtractionError whose message is written for the
representative who uploaded it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from callcenter.knowledge.extraction.base import (
    DOCX_TYPE,
    PDF_TYPE,
    DocumentKind,
    Extractor,
    Limits,
    ProgressCallback,
    RetryableExtractionError,
    StoredObject,
)
from callcenter.knowledge.extraction.sniff import sniff
from callcenter.knowledge.types import ExtractedDocument, ExtractionError

if TYPE_CHECKING:
    from callcenter.knowledge.extraction.local import LocalExtractor
    from callcenter.knowledge.extraction.ocr import OcrConfig
    from callcenter.settings import Settings

__all__ = [
    "DOCX_TYPE",
    "PDF_TYPE",
    "DocumentKind",
    "ExtractedDocument",
    "ExtractionError",
    "Extractor",
    "Limits",
    "LocalExtractor",
    "OcrConfig",
    "ProgressCallback",
    "RetryableExtractionError",
    "StoredObject",
    "extract",
    "get_extractor",
    "sniff",
]


def __getattr__(name: str) -> Any:
    # The parsers (PDFium, python-docx) load on first use: the API imports this
    # package for its constants and must not need them.
    if name == "LocalExtractor":
        from callcenter.knowledge.extraction.local import LocalExtractor

        return LocalExtractor
    if name == "OcrConfig":
        from callcenter.knowledge.extraction.ocr import OcrConfig

        return OcrConfig
    raise AttributeError(name)


def extract(
    data: bytes,
    file_name: str,
    declared_type: str | None = None,
    *,
    progress: ProgressCallback | None = None,
    limits: Limits | None = None,
) -> ExtractedDocument:
    """Read a PDF or .docx on this machine (OCR for pages without a text layer)."""
    from callcenter.knowledge.extraction.local import LocalExtractor

    return LocalExtractor(limits=limits).extract(data, file_name, declared_type, progress=progress)


def local_extractor(settings: Settings) -> LocalExtractor:
    from callcenter.knowledge.extraction.local import LocalExtractor
    from callcenter.knowledge.extraction.ocr import OcrConfig

    return LocalExtractor(
        limits=Limits(max_bytes=settings.document_max_bytes, max_pages=settings.document_max_pages),
        ocr=OcrConfig(
            language=settings.ocr_language,
            dpi=settings.ocr_dpi,
            timeout_seconds=settings.ocr_page_timeout_seconds,
        ),
        ocr_workers=settings.ocr_workers,
    )


def get_extractor(settings: Settings) -> Extractor:
    """The extractor the configuration names: "local" or "textract"."""
    local = local_extractor(settings)
    if settings.document_extractor != "textract":
        return local
    import boto3
    from botocore.config import Config

    from callcenter.knowledge.extraction.textract import TextractExtractor

    client = boto3.client(
        "textract",
        region_name=settings.textract_region or settings.s3_region,
        endpoint_url=settings.textract_endpoint_url,
        config=Config(retries={"max_attempts": 5, "mode": "adaptive"}),
    )
    return TextractExtractor(
        client, local, all_pdfs=settings.textract_all_pdfs, poll_seconds=settings.textract_poll_seconds
    )
