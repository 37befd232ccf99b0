"""Amazon Textract through amazon-textract-caller, for PDFs that need OCR in AWS.

The PDF is first opened locally (PDFium): a damaged, encrypted, empty or
oversized file fails at once with a clear reason, and a PDF whose every page
has a text layer is read locally (same result, no Textract charge, no wait)
unless `all_pdfs`. Otherwise Textract reads the object where it was uploaded
in S3 with the asynchronous StartDocumentTextDetection (multi-page PDFs need
the asynchronous API) and GetDocumentTextDetection, polled and paginated by
`textractcaller.call_textract`. Word documents stay local: Textract does not
read .docx."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from textractcaller import call_textract

from callcenter.knowledge.extraction.base import (
    DocumentKind,
    ProgressCallback,
    RetryableExtractionError,
    StoredObject,
    report,
)
from callcenter.knowledge.extraction.layout import Line, build_sections
from callcenter.knowledge.extraction.local import LocalExtractor, guarded, pdf_document
from callcenter.knowledge.extraction.pdf import read_pdf
from callcenter.knowledge.extraction.sniff import sniff
from callcenter.knowledge.types import ExtractedDocument, ExtractionError

if TYPE_CHECKING:
    from mypy_boto3_textract import TextractClient

log = logging.getLogger(__name__)

# Errors that say the document itself is the problem; anything else may pass on a retry.
_DOCUMENT_ERRORS = {
    "UnsupportedDocumentException": (
        "Amazon Textract can't read this PDF's format. Export it as PDF again (or print it to PDF) and upload it.",
        "unsupported_type",
    ),
    "BadDocumentException": (
        "Amazon Textract couldn't read this PDF: it may be damaged. Export it as PDF again and upload it.",
        "corrupt_document",
    ),
    "DocumentTooLargeException": (
        "This PDF is too large for text recognition. Split it into smaller files.",
        "too_large",
    ),
    "InvalidS3ObjectException": (
        "The uploaded file is no longer in storage. Upload the document again.",
        "missing_upload",
    ),
}
UNAVAILABLE = "Text recognition (Amazon Textract) is unavailable right now. We'll try again shortly."


def lines_from_blocks(blocks: list[dict[str, Any]]) -> list[Line]:
    """Textract LINE blocks as layout lines: the box height (a fraction of the page,
    scaled to thousandths) is the size; the distance between box tops is the gap."""
    lines: list[Line] = []
    previous: tuple[int, float] | None = None
    ordered = sorted(
        (
            (int(block.get("Page") or 1), index, block)
            for index, block in enumerate(blocks)
            if block.get("BlockType") == "LINE" and block.get("Text")
        ),
        key=lambda item: (item[0], item[1]),
    )
    for page, _, block in ordered:
        box = (block.get("Geometry") or {}).get("BoundingBox") or {}
        top = float(box.get("Top") or 0.0)
        height = float(box.get("Height") or 0.0)
        gap = (top - previous[1]) * 1000 if previous is not None and previous[0] == page else None
        lines.append(Line(str(block["Text"]), height * 1000, page, gap_before=gap))
        previous = (page, top)
    return lines


class TextractExtractor:
    name = "textract"

    def __init__(
        self,
        client: TextractClient,
        local: LocalExtractor,
        *,
        all_pdfs: bool = False,
        poll_seconds: float = 2.0,
    ) -> None:
        self.client = client
        self.local = local
        self.all_pdfs = all_pdfs
        self.poll_seconds = poll_seconds

    def extract(
        self,
        data: bytes,
        file_name: str,
        declared_type: str | None = None,
        *,
        progress: ProgressCallback | None = None,
        stored: StoredObject | None = None,
    ) -> ExtractedDocument:
        return guarded(lambda: self._extract(data, file_name, declared_type, progress, stored))

    def _extract(
        self,
        data: bytes,
        file_name: str,
        declared_type: str | None,
        progress: ProgressCallback | None,
        stored: StoredObject | None,
    ) -> ExtractedDocument:
        kind = sniff(data, file_name, declared_type, self.local.limits)
        if kind is DocumentKind.DOCX:
            return self.local.extract_docx(data, file_name, progress)
        text_layer = read_pdf(data, limits=self.local.limits, ocr=None)
        total = text_layer.page_count
        if not text_layer.ocr_pages and not self.all_pdfs:
            found_title, sections = build_sections(text_layer.lines)
            report(progress, total, total)
            return pdf_document(
                sections,
                found_title=found_title,
                metadata_title=text_layer.metadata_title,
                file_name=file_name,
                page_count=total,
                ocr_pages=[],
                extractor="local",
            )
        if stored is None:
            raise ValueError("Textract reads the document from S3: pass stored=StoredObject(bucket, key)")
        report(progress, 0, total)
        blocks = self._detect_text(stored)
        found_title, sections = build_sections(lines_from_blocks(blocks))
        report(progress, total, total)
        return pdf_document(
            sections,
            found_title=found_title,
            metadata_title=text_layer.metadata_title,
            file_name=file_name,
            page_count=total,
            ocr_pages=text_layer.ocr_pages,
            extractor=self.name,
        )

    def _detect_text(self, stored: StoredObject) -> list[dict[str, Any]]:
        try:
            response = call_textract(
                input_document=f"s3://{stored.bucket}/{stored.key}",
                force_async_api=True,
                mime_type="application/pdf",
                boto3_textract_client=self.client,
                job_done_polling_interval=self.poll_seconds,
            )
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code in _DOCUMENT_ERRORS:
                message, reason = _DOCUMENT_ERRORS[code]
                raise ExtractionError(message, code=reason) from error
            log.warning("Textract refused the request: %s", error)
            raise RetryableExtractionError(UNAVAILABLE) from error
        except BotoCoreError as error:  # connection failures, timeouts
            log.warning("Textract unreachable: %s", error)
            raise RetryableExtractionError(UNAVAILABLE) from error
        except Exception as error:
            # call_textract raises a plain Exception when the job ends FAILED (or PARTIAL_SUCCESS).
            detail = str(error)
            if "job_status" in detail:
                message = detail.split("message:", 1)[-1].strip() if "message:" in detail else ""
                raise ExtractionError(
                    "Amazon Textract couldn't read this PDF"
                    + (f" ({message.rstrip('.')})." if message and message != "None" else ".")
                    + " Export it as PDF again and upload it.",
                    code="textract_failed",
                ) from error
            raise
        blocks = response.get("Blocks") or []
        return [dict(block) for block in blocks]
