"""The Textract extractor against a loopback Textract (its documented JSON API):
boto3 signs and sends, amazon-textract-caller starts the asynchronous job, polls
and paginates, and the LINE blocks become titled, heading-aware sections."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from callcenter.knowledge.extraction import (
    PDF_TYPE,
    ExtractionError,
    LocalExtractor,
    RetryableExtractionError,
    StoredObject,
    get_extractor,
)
from callcenter.knowledge.extraction.textract import TextractExtractor
from callcenter.settings import Settings
from tests.documents.textract_fake import TextractServer
from tests.fixtures.documents import generate

BUCKET = "callcenter-documents"
KEY = "workspaces/w/sources/s/scanned.pdf"
STORED = StoredObject(BUCKET, KEY)


@pytest.fixture
def textract() -> Iterator[TextractServer]:
    with TextractServer() as server:
        yield server


def make_extractor(server: TextractServer, *, all_pdfs: bool = False) -> TextractExtractor:
    client = boto3.client(
        "textract",
        region_name="eu-west-1",
        endpoint_url=server.url,
        aws_access_key_id="AKIAFAKE",
        aws_secret_access_key="fake-secret",
        config=Config(retries={"max_attempts": 1}),
    )
    return TextractExtractor(client, LocalExtractor(), all_pdfs=all_pdfs, poll_seconds=0)


def test_a_scanned_pdf_goes_through_the_asynchronous_api(textract: TextractServer, documents: dict[str, Path]) -> None:
    textract.state.documents[(BUCKET, KEY)] = [
        [(generate.SCANNED_HEADING, 0.03), (generate.SCANNED_SENTENCES[0], 0.014)],
        [("Voicemail", 0.022), (generate.SCANNED_SENTENCES[1], 0.014), ("Dial 611 from any Acme phone.", 0.014)],
    ]
    progress: list[tuple[int, int]] = []
    document = make_extractor(textract).extract(
        documents["scanned.pdf"].read_bytes(),
        "scanned.pdf",
        PDF_TYPE,
        stored=STORED,
        progress=lambda done, total: progress.append((done, total)),
    )
    operations = textract.operations()
    assert operations[0] == "StartDocumentTextDetection"
    assert textract.state.calls[0][1] == {"DocumentLocation": {"S3Object": {"Bucket": BUCKET, "Name": KEY}}}
    # Polled while IN_PROGRESS, then one call per page of results (NextToken).
    assert operations.count("GetDocumentTextDetection") >= 3
    next_tokens = [body.get("NextToken") for op, body in textract.state.calls if op == "GetDocumentTextDetection"]
    assert "1" in next_tokens
    assert document.metadata["extractor"] == "textract"
    assert document.title == generate.SCANNED_HEADING
    assert document.page_count == 2
    sections = [(s.heading_path, s.page, s.text) for s in document.sections]
    assert sections == [
        ((), 1, generate.SCANNED_SENTENCES[0]),
        (("Voicemail",), 2, f"{generate.SCANNED_SENTENCES[1]} Dial 611 from any Acme phone."),
    ]
    assert progress == [(0, 2), (2, 2)]


def test_a_pdf_with_a_text_layer_and_word_documents_stay_local(
    textract: TextractServer, documents: dict[str, Path]
) -> None:
    extractor = make_extractor(textract)
    pdf = extractor.extract(documents["handbook.pdf"].read_bytes(), "handbook.pdf", stored=STORED)
    docx = extractor.extract(documents["guide.docx"].read_bytes(), "guide.docx", stored=STORED)
    assert pdf.metadata["extractor"] == "local" and pdf.title == generate.PDF_TITLE
    assert docx.title == generate.DOCX_TITLE
    assert textract.operations() == []


def test_all_pdfs_can_be_sent_to_textract(textract: TextractServer, documents: dict[str, Path]) -> None:
    textract.state.documents[(BUCKET, KEY)] = [[("Only Textract saw this.", 0.014)]]
    document = make_extractor(textract, all_pdfs=True).extract(
        documents["handbook.pdf"].read_bytes(), "handbook.pdf", stored=STORED
    )
    assert document.text == "Only Textract saw this."


def test_bad_pdfs_fail_before_textract_is_called(textract: TextractServer, documents: dict[str, Path]) -> None:
    for name, code in [("bad/encrypted.pdf", "encrypted"), ("bad/corrupt.pdf", "corrupt_document")]:
        with pytest.raises(ExtractionError) as raised:
            make_extractor(textract).extract(documents[name].read_bytes(), "x.pdf", stored=STORED)
        assert raised.value.code == code
    assert textract.operations() == []


@pytest.mark.parametrize(
    ("failure", "error_type", "code", "words"),
    [
        (
            ("error", "UnsupportedDocumentException"),
            ExtractionError,
            "unsupported_type",
            "can't read this PDF's format",
        ),
        (("error", "BadDocumentException"), ExtractionError, "corrupt_document", "may be damaged"),
        (("error", "InvalidS3ObjectException"), ExtractionError, "missing_upload", "no longer in storage"),
        (
            ("error", "ProvisionedThroughputExceededException"),
            RetryableExtractionError,
            "extraction_unavailable",
            "try again",
        ),
        (("error", "AccessDeniedException"), RetryableExtractionError, "extraction_unavailable", "unavailable"),
        (("failed", "The document is unreadable."), ExtractionError, "textract_failed", "(The document is unreadable)"),
    ],
)
def test_textract_failures_become_clear_reasons(
    textract: TextractServer,
    documents: dict[str, Path],
    failure: tuple[str, str],
    error_type: type[ExtractionError],
    code: str,
    words: str,
) -> None:
    textract.state.failures[(BUCKET, KEY)] = failure
    with pytest.raises(ExtractionError) as raised:
        make_extractor(textract).extract(documents["scanned.pdf"].read_bytes(), "scanned.pdf", stored=STORED)
    assert type(raised.value) is error_type
    assert raised.value.code == code
    assert words in raised.value.message


def test_textract_unreachable_is_retryable(documents: dict[str, Path]) -> None:
    with TextractServer() as server:
        url = server.url
    client = boto3.client(
        "textract",
        region_name="eu-west-1",
        endpoint_url=url,
        aws_access_key_id="AKIAFAKE",
        aws_secret_access_key="fake-secret",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1),
    )
    extractor = TextractExtractor(client, LocalExtractor(), poll_seconds=0)
    with pytest.raises(RetryableExtractionError):
        extractor.extract(documents["scanned.pdf"].read_bytes(), "scanned.pdf", stored=STORED)


def test_configuration_chooses_the_extractor(textract: TextractServer) -> None:
    local = get_extractor(Settings(document_extractor="local"))
    remote = get_extractor(
        Settings(document_extractor="textract", textract_endpoint_url=textract.url, textract_region="eu-west-1")
    )
    assert isinstance(local, LocalExtractor)
    assert isinstance(remote, TextractExtractor)
    assert remote.client.meta.endpoint_url == textract.url
