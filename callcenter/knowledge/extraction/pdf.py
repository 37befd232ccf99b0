"""PDFs with pypdfium2 (PDFium): the text layer page by page, with font sizes for
headings; pages without a text layer (scans) rendered and read by Tesseract.

PDFium is not thread-safe, so every PDFium call stays on the calling thread;
only the Tesseract processes run side by side."""

from __future__ import annotations

import ctypes
import io
import os
import re
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from callcenter.knowledge.extraction.base import Limits, ProgressCallback, report
from callcenter.knowledge.extraction.layout import Line
from callcenter.knowledge.extraction.ocr import OcrConfig, ocr_page_image, tesseract_path
from callcenter.knowledge.types import ExtractionError

# A page with fewer visible characters than this and an image on it is a scan.
MIN_TEXT_CHARS = 16
_LINE = re.compile(r"[^\r\n]+")
_BOLD_NAME = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)
_FORCE_BOLD_FLAG = 1 << 18

DAMAGED = (
    "This PDF is damaged and can't be opened (it may not have finished saving or uploading). "
    "Open it, save or export it as PDF again and upload the new copy."
)
ENCRYPTED = (
    "This PDF is password-protected, so it can't be read. Save a copy without the password "
    "(for example by printing it to PDF) and upload that."
)
NO_PAGES = "This PDF has no pages."


@dataclass
class PdfText:
    lines: list[Line]
    page_count: int
    ocr_pages: list[int]
    metadata_title: str | None


def open_pdf(data: bytes, limits: Limits) -> pdfium.PdfDocument:
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        code = getattr(error, "err_code", None)
        if code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
            if b"/Encrypt" in data:
                raise ExtractionError(ENCRYPTED, code="encrypted") from error
            if re.search(rb"/Count\s+0\b", data):
                raise ExtractionError(NO_PAGES, code="no_pages") from error
        raise ExtractionError(DAMAGED, code="corrupt_document") from error
    except Exception as error:  # PDFium wrappers raise a few other kinds on hostile input
        raise ExtractionError(DAMAGED, code="corrupt_document") from error
    pages = len(document)
    if pages == 0:
        document.close()
        raise ExtractionError(NO_PAGES, code="no_pages")
    if pages > limits.max_pages:
        document.close()
        raise ExtractionError(
            f"This PDF has {pages} pages; documents can have at most {limits.max_pages}. Split it into smaller files.",
            code="too_many_pages",
        )
    return document


def _is_bold(textpage: pdfium.PdfTextPage, index: int) -> bool:
    weight = pdfium_c.FPDFText_GetFontWeight(textpage.raw, index)
    if weight >= 600:
        return True
    name = ctypes.create_string_buffer(128)
    flags = ctypes.c_int(0)
    pdfium_c.FPDFText_GetFontInfo(textpage.raw, index, name, len(name), ctypes.byref(flags))
    return bool(flags.value & _FORCE_BOLD_FLAG) or bool(_BOLD_NAME.search(name.value.decode("latin-1")))


def _page_lines(textpage: pdfium.PdfTextPage, page_number: int) -> list[Line]:
    count = textpage.count_chars()
    if count <= 0:
        return []
    text = textpage.get_text_range()
    if len(text) != count:
        # Characters outside the BMP decode to fewer code points than PDFium counts:
        # rebuild the text one character at a time so indexes line up.
        text = "".join(chr(pdfium_c.FPDFText_GetUnicode(textpage.raw, i) or 0xFFFE) for i in range(count))
    lines: list[Line] = []
    previous_y: float | None = None
    x, y = ctypes.c_double(), ctypes.c_double()
    for match in _LINE.finditer(text):
        content = match.group()
        if not content.strip():
            continue
        start, end = match.start(), match.end()
        first = start + (len(content) - len(content.lstrip()))
        samples = sorted({first, (first + end - 1) // 2, end - 1})
        sizes = sorted(pdfium_c.FPDFText_GetFontSize(textpage.raw, i) for i in samples)
        size = sizes[len(sizes) // 2]
        bold = sum(_is_bold(textpage, i) for i in samples) * 2 > len(samples) if len(content) <= 150 else False
        pdfium_c.FPDFText_GetCharOrigin(textpage.raw, first, ctypes.byref(x), ctypes.byref(y))
        gap = None if previous_y is None else previous_y - y.value
        previous_y = y.value
        lines.append(Line(content, float(size), page_number, bold=bold, gap_before=gap))
    return lines


def _has_image(page: pdfium.PdfPage) -> bool:
    return any(True for _ in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=3))


def _render(page: pdfium.PdfPage, dpi: int) -> bytes:
    bitmap = page.render(scale=dpi / 72, grayscale=True)
    try:
        image = bitmap.to_pil()
        buffer = io.BytesIO()
        image.save(buffer, format="PPM")  # uncompressed: cheaper than PNG to write and to read
        return buffer.getvalue()
    finally:
        bitmap.close()


def read_pdf(
    data: bytes,
    *,
    limits: Limits,
    ocr: OcrConfig | None,
    ocr_workers: int = 0,
    progress: ProgressCallback | None = None,
    ocr_page: Callable[[bytes, int, OcrConfig], list[Line]] = ocr_page_image,
) -> PdfText:
    """Lines of every page in order. Pages without a text layer are OCRed when `ocr`
    is given; without it they are listed in `ocr_pages` and left empty."""
    document = open_pdf(data, limits)
    total = len(document)
    try:
        metadata_title = (document.get_metadata_dict().get("Title") or "").strip() or None
    except Exception:
        metadata_title = None
    by_page: dict[int, list[Line]] = {}
    ocr_pages: list[int] = []
    done = 0
    report(progress, 0, total)
    workers = max(1, ocr_workers or (os.cpu_count() or 1))
    pending: deque[tuple[int, Future[list[Line]]]] = deque()

    def finish_oldest() -> None:
        nonlocal done
        number, future = pending.popleft()
        by_page[number] = future.result()
        done += 1
        report(progress, done, total)

    executor: ThreadPoolExecutor | None = None
    try:
        for index in range(total):
            number = index + 1
            try:
                page = document[index]
            except Exception as error:
                raise ExtractionError(
                    f"Page {number} of this PDF is damaged and can't be read.", code="corrupt_document"
                ) from error
            try:
                textpage = page.get_textpage()
                try:
                    lines = _page_lines(textpage, number)
                finally:
                    textpage.close()
                visible = sum(len(line.text.replace(" ", "")) for line in lines)
                if visible < MIN_TEXT_CHARS and _has_image(page):
                    ocr_pages.append(number)
                    if ocr is not None:
                        if executor is None:
                            tesseract_path(ocr.command)  # fail early and clearly if OCR is not installed
                            executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ocr")
                        while len(pending) >= workers * 2:
                            finish_oldest()
                        pending.append((number, executor.submit(ocr_page, _render(page, ocr.dpi), number, ocr)))
                        continue
                    lines = []
            finally:
                page.close()
            by_page[number] = lines
            done += 1
            report(progress, done, total)
        while pending:
            finish_oldest()
    finally:
        if executor is not None:
            for _, future in pending:
                future.cancel()
            executor.shutdown(wait=True)
        document.close()
    ordered = [line for number in range(1, total + 1) for line in by_page.get(number, [])]
    return PdfText(lines=ordered, page_count=total, ocr_pages=ocr_pages, metadata_title=metadata_title)


def inspect_pdf(data: bytes, limits: Limits) -> tuple[int, list[int]]:
    """(page count, pages without a text layer) without OCR: decides whether a PDF needs Textract."""
    result = read_pdf(data, limits=limits, ocr=None)
    return result.page_count, result.ocr_pages
