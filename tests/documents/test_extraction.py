"""Local extraction of the fixture documents: text, headings, tables, OCR, and every bad file's clear reason."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from callcenter.knowledge.extraction import (
    DOCX_TYPE,
    PDF_TYPE,
    DocumentKind,
    ExtractionError,
    Limits,
    LocalExtractor,
    extract,
    sniff,
)
from callcenter.knowledge.extraction.layout import Line, build_sections
from callcenter.knowledge.types import ExtractedDocument
from tests.fixtures.documents import generate

needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract-ocr is not installed")


def section_with(document: ExtractedDocument, needle: str) -> tuple[tuple[str, ...], int | None, str]:
    for section in document.sections:
        if needle in section.text:
            return section.heading_path, section.page, section.text
    raise AssertionError(f"{needle!r} not found in {[s.text[:60] for s in document.sections]}")


# ---------------------------------------------------------------- Word


def test_docx_headings_lists_and_table_in_document_order(documents: dict[str, Path]) -> None:
    document = extract(documents["guide.docx"].read_bytes(), "guide.docx", DOCX_TYPE)
    assert document.title == generate.DOCX_TITLE
    assert document.page_count is None
    path, page, _ = section_with(document, generate.DOCX_REFUND_SENTENCE)
    assert path == ("Plans and pricing", "Refunds") and page is None
    path, _, text = section_with(document, "Keep the phone connected to Wi-Fi")
    assert path == ("Getting started", "Activating an eSIM")
    assert "- Keep the phone connected to Wi-Fi while the eSIM downloads.\n- Restart the phone" in text
    # The table sits between its surrounding paragraphs, each row keeping its column names.
    path, _, text = section_with(document, "Monthly price")
    assert path == ("Plans and pricing",)
    for row in generate.DOCX_TABLE[1:]:
        assert f"Plan: {row[0]} | Monthly price: {row[1]} | Minutes: {row[2]}" in text
    assert text.index("Prices include tax.") < text.index("Plan: Basic") < text.index("change plans once")
    assert [s.heading_path for s in document.sections] == [
        (),
        ("Getting started",),
        ("Getting started", "Activating an eSIM"),
        ("Plans and pricing",),
        ("Plans and pricing", "Refunds"),
    ]


# ---------------------------------------------------------------- text PDF


def test_text_pdf_pages_headings_and_title(documents: dict[str, Path]) -> None:
    progress: list[tuple[int, int]] = []
    document = extract(
        documents["handbook.pdf"].read_bytes(), "handbook.pdf", PDF_TYPE, progress=lambda d, t: progress.append((d, t))
    )
    assert document.title == generate.PDF_TITLE
    assert document.page_count == 3
    assert document.metadata["ocr_pages"] == ""
    assert section_with(document, generate.PDF_ROAMING_SENTENCE)[:2] == (
        ("Getting connected", "Coverage and roaming"),
        1,
    )
    assert section_with(document, generate.PDF_PORTING_SENTENCE)[:2] == (
        ("Getting connected", "Keeping your number"),
        1,
    )
    # The last heading carries over to the pages after it.
    last_pages = [s for s in document.sections if s.page in (2, 3)]
    assert last_pages and all(s.heading_path == ("Billing", "Late payments") for s in last_pages)
    # Paragraphs stay paragraphs; wrapped lines are joined with a space.
    _, _, text = section_with(document, "Note 10:")
    assert "\n\nNote 11:" in text
    assert "plan includes and how" in section_with(document, "Welcome to Acme Mobile")[2]
    assert progress[0] == (0, 3) and progress[-1] == (3, 3)
    assert [done for done, _ in progress] == sorted(done for done, _ in progress)


# ---------------------------------------------------------------- scanned PDF


@needs_tesseract
def test_scanned_pdf_is_read_with_ocr(documents: dict[str, Path]) -> None:
    progress: list[tuple[int, int]] = []
    document = extract(
        documents["scanned.pdf"].read_bytes(), "scanned.pdf", PDF_TYPE, progress=lambda d, t: progress.append((d, t))
    )
    assert document.metadata["ocr_pages"] == "1,2"
    assert document.page_count == 2
    assert document.title == generate.SCANNED_HEADING  # the large line at the top of page 1
    assert section_with(document, generate.SCANNED_SENTENCES[0])[1] == 1
    assert section_with(document, generate.SCANNED_SENTENCES[1])[1] == 2
    assert progress[-1] == (2, 2)


@needs_tesseract
def test_only_pages_without_a_text_layer_are_ocred(documents: dict[str, Path]) -> None:
    document = extract(documents["mixed.pdf"].read_bytes(), "mixed.pdf")
    assert document.metadata["ocr_pages"] == "2"
    assert section_with(document, generate.PDF_PORTING_SENTENCE)[1] == 1
    assert section_with(document, generate.SCANNED_SENTENCES[1])[1] == 2


def test_without_tesseract_a_scan_fails_clearly_and_can_be_retried(
    documents: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ExtractionError) as raised:
        extract(documents["scanned.pdf"].read_bytes(), "scanned.pdf")
    assert raised.value.code == "ocr_unavailable"
    assert getattr(raised.value, "retryable", False) is True
    assert "Tesseract" in raised.value.message


# ---------------------------------------------------------------- bad input

BAD = {
    "bad/corrupt.pdf": ("corrupt_document", "damaged"),
    "bad/encrypted.pdf": ("encrypted", "password-protected"),
    "bad/empty.pdf": ("empty_file", "empty"),
    "bad/zero-pages.pdf": ("no_pages", "no pages"),
    "bad/blank.pdf": ("no_text", "no text"),
    "bad/image-named.pdf": ("unsupported_type", "PNG image"),
    "bad/word-named.pdf": ("type_mismatch", "actually a Word document"),
    "bad/pdf-named.docx": ("type_mismatch", "actually a PDF"),
    "bad/archive-named.docx": ("unsupported_type", "ZIP archive"),
    "bad/spreadsheet-named.docx": ("unsupported_type", "Excel spreadsheet"),
    "bad/truncated.docx": ("corrupt_document", "damaged"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_files_fail_with_a_clear_reason(documents: dict[str, Path], name: str) -> None:
    code, words = BAD[name]
    declared = PDF_TYPE if name.endswith(".pdf") else DOCX_TYPE
    with pytest.raises(ExtractionError) as raised:
        extract(documents[name].read_bytes(), Path(name).name, declared)
    assert raised.value.code == code
    assert words in raised.value.message
    assert raised.value.message.endswith(".")


def test_oversized_and_too_many_pages(documents: dict[str, Path]) -> None:
    limits = Limits(max_bytes=1000, max_pages=2)
    with pytest.raises(ExtractionError) as raised:
        extract(documents["guide.docx"].read_bytes(), "guide.docx", limits=limits)
    assert raised.value.code == "too_large" and "at most 1000 bytes" in raised.value.message
    with pytest.raises(ExtractionError) as raised:
        extract(documents["handbook.pdf"].read_bytes(), "handbook.pdf", limits=Limits(max_pages=2))
    assert raised.value.code == "too_many_pages" and "3 pages" in raised.value.message
    with pytest.raises(ExtractionError) as raised:
        extract(b"x" * 1001, "a.pdf", limits=limits)
    assert raised.value.code == "too_large"


def test_the_content_decides_the_type_not_the_name(documents: dict[str, Path]) -> None:
    pdf = documents["handbook.pdf"].read_bytes()
    docx = documents["guide.docx"].read_bytes()
    assert sniff(pdf, "notes", None) is DocumentKind.PDF
    assert sniff(docx, "upload.bin", "application/octet-stream") is DocumentKind.DOCX
    # No usable claim: read by content.
    assert extract(docx, "download").title == generate.DOCX_TITLE
    # Junk before the header is allowed, as in PDF readers.
    assert sniff(b"\n\n" + pdf, "a.pdf") is DocumentKind.PDF
    for data, words in [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "old-format Word"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptedPackage".encode("utf-16-le"), "password-protected"),
        (b"{\\rtf1\\ansi hello}", "Rich Text"),
        (b"<!DOCTYPE html><html><body>hi</body></html>", "web page"),
        (b"Just some notes in a text file.", "plain text"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 32, "JPEG image"),
        (bytes(range(256)) * 4, "couldn't recognize"),
    ]:
        with pytest.raises(ExtractionError) as raised:
            sniff(data, "file.pdf")
        assert words in raised.value.message, raised.value.message


def test_damaged_files_never_crash(documents: dict[str, Path]) -> None:
    """Truncations and byte flips of good files end as a readable document or an ExtractionError."""
    rng = random.Random(7)
    extractor = LocalExtractor()
    for name in ("guide.docx", "handbook.pdf"):
        good = documents[name].read_bytes()
        variants = [good[: rng.randrange(1, len(good))] for _ in range(12)]
        for _ in range(12):
            damaged = bytearray(good)
            for _ in range(rng.randrange(1, 40)):
                damaged[rng.randrange(len(damaged))] = rng.randrange(256)
            variants.append(bytes(damaged))
        for data in variants:
            try:
                document = extractor.extract(data, name)
            except ExtractionError as error:
                assert error.message
            else:
                assert not document.is_empty


# ---------------------------------------------------------------- layout


def test_layout_headings_from_sizes_and_bold() -> None:
    lines = [
        Line("Router guide", 24, 1),
        Line("Setup", 16, 1),
        Line("Plug the router in and wait for the light to turn", 10, 1, gap_before=20),
        Line("green. It takes a minute.", 10, 1, gap_before=12),
        Line("Then open the app.", 10, 1, gap_before=24),
        Line("Wi-Fi name", 10, 1, bold=True, gap_before=20),
        Line("It is printed under the router.", 10, 1, gap_before=14),
        Line("Troubleshooting", 16, 2),
        Line("Restart it.", 10, 2),
    ]
    title, sections = build_sections(lines)
    assert title == "Router guide"
    assert [(s.heading_path, s.page, s.text) for s in sections] == [
        (
            ("Setup",),
            1,
            "Plug the router in and wait for the light to turn green. It takes a minute.\n\nThen open the app.",
        ),
        (("Setup", "Wi-Fi name"), 1, "It is printed under the router."),
        (("Troubleshooting",), 2, "Restart it."),
    ]


def test_the_fixture_generator_is_deterministic(tmp_path: Path, documents: dict[str, Path]) -> None:
    again = generate.write_all(tmp_path)
    for name, path in documents.items():
        assert again[name].read_bytes() == path.read_bytes(), name
