"""The chunker: heading-aware passages of about 200 tokens with whole-sentence overlap."""

from __future__ import annotations

import itertools
import random

import pytest

from callcenter.knowledge.chunking import MAX_CHARS, TARGET_CHARS, Chunk, chunk_document, split_sentences
from callcenter.knowledge.types import ExtractedDocument, Section

WORDS = [
    "refund", "order", "card", "shipping", "return", "account", "invoice", "delivery", "parcel", "warranty",
    "support", "team",
]


def sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 24))).capitalize() + "."


def paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(sentence(rng) for _ in range(sentences))


def long_document(seed: int = 7) -> ExtractedDocument:
    rng = random.Random(seed)
    return ExtractedDocument(
        title="Help center",
        url="https://help.example.com/returns",
        sections=(
            Section(paragraph(rng, 2), ("Returns",)),
            Section(paragraph(rng, 40), ("Returns", "Time limits")),
            Section("\n\n".join(paragraph(rng, 5) for _ in range(6)), ("Returns", "Refunds")),
            Section(paragraph(rng, 3), ("Shipping",), page=None),
        ),
    )


def test_chunks_follow_headings_and_keep_where_they_are_from() -> None:
    document = long_document()
    chunks = chunk_document(document)
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    assert all(c.title == "Help center" and c.url == "https://help.example.com/returns" for c in chunks)
    # Heading paths appear in document order, each as one run of chunks (never interleaved).
    runs = [path for path, _ in itertools.groupby(c.heading_path for c in chunks)]
    assert runs == [("Returns",), ("Returns", "Time limits"), ("Returns", "Refunds"), ("Shipping",)]
    # Every chunk's text comes from its own section.
    by_path = {s.heading_path: s.text for s in document.sections}
    for chunk in chunks:
        for part in split_sentences(chunk.content.replace("\n", " ")):
            assert part in by_path[chunk.heading_path]


def test_sizes_stay_near_the_target_and_under_the_maximum() -> None:
    chunks = chunk_document(long_document())
    assert all(len(c.content) <= MAX_CHARS for c in chunks)
    long_section = [c for c in chunks if c.heading_path == ("Returns", "Time limits")]
    assert len(long_section) >= 4
    # All but the last piece of a long section are at least half the target.
    assert all(len(c.content) >= TARGET_CHARS // 2 for c in long_section[:-1])


def test_nothing_is_lost_and_chunks_start_and_end_on_sentence_boundaries() -> None:
    document = long_document(11)
    chunks = chunk_document(document)
    every_sentence = [s for section in document.sections for s in split_sentences(section.text.replace("\n", " "))]
    text = "\n".join(c.content for c in chunks)
    assert all(s in text for s in every_sentence)
    for chunk in chunks:
        assert chunk.content[0].isupper()
        assert chunk.content.endswith(".")


def test_consecutive_chunks_of_a_section_overlap_by_whole_sentences() -> None:
    chunks = [c for c in chunk_document(long_document(3)) if c.heading_path == ("Returns", "Time limits")]
    overlaps = 0
    for before, after in itertools.pairwise(chunks):
        first = split_sentences(after.content)[0]
        if before.content.endswith(first):
            overlaps += 1
            assert len(first) <= 150
    # Most boundaries overlap (only a sentence longer than the overlap budget cannot).
    assert overlaps >= len(chunks) // 2


def test_no_overlap_across_headings() -> None:
    chunks = chunk_document(long_document())
    for before, after in itertools.pairwise(chunks):
        if before.heading_path != after.heading_path:
            assert split_sentences(after.content)[0] not in before.content


def test_pages_are_kept_apart() -> None:
    document = ExtractedDocument(
        title="Manual",
        sections=(Section("Page one text.", ("Setup",), page=1), Section("Page two text.", ("Setup",), page=2)),
        page_count=2,
    )
    chunks = chunk_document(document)
    assert [(c.page, c.content) for c in chunks] == [(1, "Page one text."), (2, "Page two text.")]


def test_small_sections_under_one_heading_join_into_one_chunk() -> None:
    document = ExtractedDocument(
        title="FAQ",
        sections=(Section("First paragraph.", ("FAQ",)), Section("Second paragraph.", ("FAQ",))),
    )
    assert [c.content for c in chunk_document(document)] == ["First paragraph.\n\nSecond paragraph."]


def test_a_sentence_longer_than_a_chunk_is_cut_between_words() -> None:
    run_on = " ".join(["word"] * 800)  # 3,999 characters, no full stop
    url = "https://example.com/" + "x" * 3000
    document = ExtractedDocument(title="T", sections=(Section(run_on + "\n\n" + url, ()),))
    chunks = chunk_document(document)
    assert all(len(c.content) <= MAX_CHARS for c in chunks)
    assert "".join(c.content for c in chunks).replace(" ", "").replace("\n", "").count("word") >= 800
    assert sum(c.content.count("x") for c in chunks) >= 3000


def test_empty_input() -> None:
    assert chunk_document(ExtractedDocument(title="T", sections=())) == []
    assert chunk_document(ExtractedDocument(title="T", sections=(Section("  \n\n "),))) == []


def test_embedding_text_carries_title_and_headings() -> None:
    chunk = Chunk(0, "Within 30 days.", "Help", ("Refunds", "Timing"), None, None)
    assert chunk.embedding_text() == "Help > Refunds > Timing\n\nWithin 30 days."
    assert Chunk(0, "Alone.", "", (), None, None).embedding_text() == "Alone."


def test_whitespace_is_normalized_but_lines_are_kept() -> None:
    document = ExtractedDocument(title="T", sections=(Section("- one\t item  \n- two\r\n\n\n\nNext  paragraph.", ()),))
    assert chunk_document(document)[0].content == "- one item\n- two\n\nNext paragraph."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One. Two! Three? Four", ["One.", "Two!", "Three?", "Four"]),
        ('He said "stop." Then left.', ['He said "stop."', "Then left."]),
        ("Use e.g. this one. Done.", ["Use e.g. this one.", "Done."]),
        ("Costs $5.99 per month. Cancel any time.", ["Costs $5.99 per month.", "Cancel any time."]),
        ("Version 2.1 is out. 3 fixes.", ["Version 2.1 is out.", "3 fixes."]),
    ],
)
def test_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_bad_parameters() -> None:
    with pytest.raises(ValueError):
        chunk_document(long_document(), target_chars=100, max_chars=50)
