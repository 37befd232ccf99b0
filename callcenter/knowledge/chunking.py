"""Split an ExtractedDocument into passages for embedding and search.

Chunks never cross a heading (or a page): each keeps the title, heading path,
URL and page it came from, so a search result can say where it is from. Inside
a section, paragraphs are packed up to a target size (about 200 tokens of
English); a paragraph too long for one chunk is split between sentences, and
only a sentence longer than a whole chunk is cut between words. Consecutive
chunks of one section overlap by their last whole sentences (about 15%), so
a passage that straddles a boundary is still found whole in one of them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from callcenter.knowledge.types import ExtractedDocument, Section

TARGET_CHARS = 900
MAX_CHARS = 1200
OVERLAP_CHARS = 150

# A sentence ends with . ! ? or … (maybe closed by a quote or bracket) before
# whitespace and a capital, digit, quote or bracket.
_SENTENCE_END = re.compile(
    "(?:(?<=[.!?\u2026])|(?<=[.!?\u2026][\"'\u201d\u2019)\\]]))\\s+(?=[\"'\u201c\u2018(\\[A-Z0-9])"
)
_BLANK_LINES = re.compile(r"\n\s*\n")
_SPACES = re.compile(r"[ \t\f\v\r]+")


@dataclass(frozen=True)
class Chunk:
    ordinal: int
    content: str
    title: str
    heading_path: tuple[str, ...]
    url: str | None
    page: int | None

    def embedding_text(self) -> str:
        """What is embedded: the passage with the title and headings it sits under,
        so "How long does it take?" under "Refunds" is about refunds."""
        context = " > ".join(part for part in (self.title, *self.heading_path) if part)
        return f"{context}\n\n{self.content}" if context else self.content


@dataclass(frozen=True)
class _Unit:
    text: str
    # What joins it to the unit before it inside one chunk.
    separator: str
    # Units of one sentence-run can be carried over as overlap.
    sentence: bool


def chunk_document(
    document: ExtractedDocument,
    *,
    target_chars: int = TARGET_CHARS,
    max_chars: int = MAX_CHARS,
    overlap_chars: int = OVERLAP_CHARS,
) -> list[Chunk]:
    if not 0 <= overlap_chars < target_chars <= max_chars:
        raise ValueError("need 0 <= overlap_chars < target_chars <= max_chars")
    chunks: list[Chunk] = []
    for heading_path, page, text in _groups(document.sections):
        for content in _pack(_units(text, max_chars), target_chars, max_chars, overlap_chars):
            chunks.append(
                Chunk(
                    ordinal=len(chunks),
                    content=content,
                    title=document.title,
                    heading_path=heading_path,
                    url=document.url,
                    page=page,
                )
            )
    return chunks


def _normalize(text: str) -> str:
    lines = [_SPACES.sub(" ", line).strip() for line in text.replace("\r\n", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _groups(sections: tuple[Section, ...]) -> list[tuple[tuple[str, ...], int | None, str]]:
    """Consecutive sections under the same heading path and page, joined."""
    groups: list[tuple[tuple[str, ...], int | None, list[str]]] = []
    for section in sections:
        text = _normalize(section.text)
        if not text:
            continue
        path = tuple(h.strip() for h in section.heading_path if h.strip())
        if groups and groups[-1][0] == path and groups[-1][1] == section.page:
            groups[-1][2].append(text)
        else:
            groups.append((path, section.page, [text]))
    return [(path, page, "\n\n".join(texts)) for path, page, texts in groups]


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def _units(text: str, max_chars: int) -> list[_Unit]:
    """Paragraphs that fit; longer ones as lines, then sentences, then word runs."""
    units: list[_Unit] = []
    for paragraph in _BLANK_LINES.split(text):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        if len(paragraph) <= max_chars:
            units.append(_Unit(paragraph, "\n\n", sentence=False))
            continue
        separator = "\n\n"
        for line in paragraph.split("\n"):
            for sentence in split_sentences(line):
                for piece in _cut_words(sentence, max_chars):
                    units.append(_Unit(piece, separator, sentence=True))
                    separator = " "
            separator = "\n"
    return units


def _cut_words(sentence: str, max_chars: int) -> list[str]:
    """A sentence longer than a chunk (a table row, a run-on list): cut between words."""
    if len(sentence) <= max_chars:
        return [sentence]
    pieces: list[str] = []
    current = ""
    for word in sentence.split(" "):
        while len(word) > max_chars:  # a "word" longer than a chunk (a URL, a hash)
            if current:
                pieces.append(current)
                current = ""
            pieces.append(word[:max_chars])
            word = word[max_chars:]
        if current and len(current) + 1 + len(word) > max_chars:
            pieces.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        pieces.append(current)
    return pieces


def _joined(units: list[_Unit]) -> str:
    return "".join((u.separator if i else "") + u.text for i, u in enumerate(units))


def _pack(units: list[_Unit], target: int, max_chars: int, overlap: int) -> list[str]:
    chunks: list[str] = []
    current: list[_Unit] = []
    carried = 0  # how many units at the start of `current` are overlap from the previous chunk
    for unit in units:
        if current:
            size = len(_joined(current))
            grown = size + len(unit.separator) + len(unit.text)
            # Close the chunk at the target, or later (up to the maximum) while it is still small.
            if grown > max_chars or (grown > target and size >= target // 2):
                chunks.append(_joined(current))
                current = _overlap(current[carried:], overlap)
                carried = len(current)
                if current and len(_joined(current)) + len(unit.separator) + len(unit.text) > max_chars:
                    current, carried = [], 0
        current.append(unit)
    if current and len(current) > carried:
        chunks.append(_joined(current))
    return chunks


def _overlap(units: list[_Unit], overlap: int) -> list[_Unit]:
    """The last whole sentences of a chunk, up to `overlap` characters."""
    if overlap <= 0 or not units:
        return []
    sentences: list[_Unit] = []
    for unit in units:
        if unit.sentence:
            sentences.append(unit)
        else:
            parts = split_sentences(unit.text)
            sentences.extend(
                _Unit(part, unit.separator if i == 0 else " ", sentence=True) for i, part in enumerate(parts)
            )
    kept: list[_Unit] = []
    size = 0
    for unit in reversed(sentences):
        size += len(unit.text) + 1
        if size > overlap:
            break
        kept.insert(0, unit)
    if len(kept) == len(sentences):  # the whole previous chunk would repeat: no overlap
        return []
    return kept
