"""What a file really is, from its bytes: the name and the declared type are claims."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import PurePosixPath

from callcenter.knowledge.extraction.base import DOCX_TYPE, PDF_TYPE, DocumentKind, Limits, format_bytes
from callcenter.knowledge.types import ExtractionError

_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_IMAGES = [
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"BM", "BMP"),
]
_HTML = re.compile(rb"^\s*(<!doctype html|<html|<head|<body)", re.IGNORECASE)
_TYPE_BY_EXTENSION = {".pdf": DocumentKind.PDF, ".docx": DocumentKind.DOCX}
_KIND_BY_TYPE = {PDF_TYPE: DocumentKind.PDF, "application/x-pdf": DocumentKind.PDF, DOCX_TYPE: DocumentKind.DOCX}

ONLY_SUPPORTED = "Only PDF and Word (.docx) documents can be added."


def claimed_kind(file_name: str, declared_type: str | None) -> DocumentKind | None:
    """What the name and declared type say the file is, if they name a supported type."""
    if declared_type:
        kind = _KIND_BY_TYPE.get(declared_type.split(";")[0].strip().lower())
        if kind is not None:
            return kind
    return _TYPE_BY_EXTENSION.get(PurePosixPath(file_name).suffix.lower())


def _zip_kind(data: bytes, limits: Limits, claimed: DocumentKind | None) -> DocumentKind:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        if claimed is DocumentKind.DOCX:
            raise ExtractionError(
                "This Word document is damaged and can't be opened (it may not have finished saving or uploading). "
                "Open it in Word, save it again and upload the new copy.",
                code="corrupt_document",
            ) from error
        raise ExtractionError(
            f"This file is a damaged archive, not a PDF or Word document. {ONLY_SUPPORTED}", code="unsupported_type"
        ) from error
    names = {info.filename.lower() for info in infos}
    if sum(info.file_size for info in infos) > limits.max_unpacked_bytes:
        raise ExtractionError(
            f"This file unpacks to more than {format_bytes(limits.max_unpacked_bytes)}, which is too large to read.",
            code="too_large",
        )
    if "word/document.xml" in names:
        return DocumentKind.DOCX
    if "xl/workbook.xml" in names:
        raise ExtractionError(
            f"This is an Excel spreadsheet, not a Word document. {ONLY_SUPPORTED} "
            "Save the sheet as a PDF and upload that.",
            code="unsupported_type",
        )
    if "ppt/presentation.xml" in names:
        raise ExtractionError(
            f"This is a PowerPoint presentation, not a Word document. {ONLY_SUPPORTED} "
            "Save it as a PDF and upload that.",
            code="unsupported_type",
        )
    if "mimetype" in names:
        mimetype = archive.read(next(i for i in infos if i.filename.lower() == "mimetype"))[:100]
        if mimetype.startswith(b"application/vnd.oasis.opendocument"):
            raise ExtractionError(
                f"This is an OpenDocument file, not a Word document. {ONLY_SUPPORTED} "
                "Save it as .docx or PDF and upload that.",
                code="unsupported_type",
            )
        if mimetype.startswith(b"application/epub"):
            raise ExtractionError(f"This is an e-book (EPUB). {ONLY_SUPPORTED}", code="unsupported_type")
    raise ExtractionError(
        f"This file is a ZIP archive, not a Word document. {ONLY_SUPPORTED} "
        "If it holds documents, unzip it and upload them one by one.",
        code="unsupported_type",
    )


def sniff(
    data: bytes, file_name: str = "", declared_type: str | None = None, limits: Limits | None = None
) -> DocumentKind:
    """The document's kind, decided by its content. Raises ExtractionError (with a
    message for the person who uploaded it) for anything that is not a readable
    PDF or .docx, or that contradicts its name."""
    limits = limits or Limits()
    if not data:
        raise ExtractionError("This file is empty.", code="empty_file")
    if len(data) > limits.max_bytes:
        raise ExtractionError(
            f"This file is {format_bytes(len(data))}; documents can be at most {format_bytes(limits.max_bytes)}. "
            "Split it into smaller files.",
            code="too_large",
        )
    claimed = claimed_kind(file_name, declared_type)
    head = data[:1024]
    kind: DocumentKind
    if b"%PDF-" in head:
        kind = DocumentKind.PDF
    elif data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        kind = _zip_kind(data, limits, claimed)
    elif data.startswith(_CFB_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise ExtractionError(
                "This document is password-protected, so it can't be read. Remove the password "
                "(in Word: File, Info, Protect Document) and upload it again.",
                code="encrypted",
            )
        raise ExtractionError(
            "This is an old-format Word (.doc) or Office file. Open it in Word, save it as .docx and upload that.",
            code="unsupported_type",
        )
    else:
        kind_name = next((name for magic, name in _IMAGES if data.startswith(magic)), None)
        if kind_name is None and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            kind_name = "WebP"
        if kind_name is not None:
            raise ExtractionError(
                f"This file is a {kind_name} image, not a PDF or Word document. "
                "Put the picture in a PDF (for example by printing it to PDF) and upload that.",
                code="unsupported_type",
            )
        if data.lstrip().startswith(b"{\\rtf"):
            raise ExtractionError(
                "This is a Rich Text (.rtf) file. Save it as .docx or PDF and upload that.", code="unsupported_type"
            )
        if _HTML.match(head):
            raise ExtractionError(
                f"This file is a web page (HTML). {ONLY_SUPPORTED} To add a help center, add its address as a website.",
                code="unsupported_type",
            )
        if b"\x00" not in head:
            try:
                head.decode("utf-8")
            except UnicodeDecodeError:
                pass
            else:
                raise ExtractionError(
                    f"This file is plain text, not a PDF or Word document. {ONLY_SUPPORTED} "
                    "Paste the text into a new article instead.",
                    code="unsupported_type",
                )
        raise ExtractionError(f"We couldn't recognize this file. {ONLY_SUPPORTED}", code="unsupported_type")
    if claimed is not None and claimed is not kind:
        extension = ".pdf" if kind is DocumentKind.PDF else ".docx"
        raise ExtractionError(
            f"This file is named like {claimed.label}, but it is actually {kind.label}. "
            f"Rename it to end in {extension} and upload it again.",
            code="type_mismatch",
        )
    return kind
