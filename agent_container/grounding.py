"""Which sentences of the retrieved passages answer the caller, and whether any do.

Used by the grounded responder (it speaks the chosen sentences) and by the
agent (a question with no sentence above the threshold counts as unanswered
for the handoff policy), so both agree. A sentence's relevance mixes how many
of the question's content words it contains with the embedding similarity of
the two; both are cheap (one batched MiniLM call for the question and the
sentences not seen before)."""

from __future__ import annotations

import math
import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from callcenter.knowledge.embeddings import Embedder, EmbeddingError

# Below this a sentence is not an answer; the best sentence must reach it for a question to count as answered.
ANSWER_THRESHOLD = 0.42
# Further sentences join the answer only when nearly as relevant as the best one.
SUPPORT_MARGIN = 0.12
LEXICAL_WEIGHT = 0.4
SEMANTIC_WEIGHT = 0.6
MAX_SENTENCES = 3
MAX_WORDS = 60
MIN_SENTENCE_WORDS = 3

_SENTENCE_END = re.compile(r"(?<=[.!?\u2026])[\"'\u201d\u2019)\]]*\s+|\n+")
_MARKDOWN_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
# A URL, without the punctuation that ends the sentence it sits in.
_URL = re.compile(r"(?:https?://|www\.)\S*[^\s.,;:!?)\]'\"]", re.IGNORECASE)
_MARKUP = re.compile(r"[*_`#>|~]+")
_BULLET = re.compile(r"^\s*(?:[-+\u2022]|\d+[.)])\s+", re.MULTILINE)
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_DANGLING = re.compile(r"\s+([,.;:!?])")

_STOPWORDS = frozenset(
    """a about above after again all am an and any are as at be been before being below between both but by can
    could did do does doing down during each few for from further had has have having he her here hers him his how
    i if in into is it its itself just let me more most my no nor not now of off on once only or other our ours out
    over own please same she should so some such tell than that the their them then there these they this those
    through to too under until up very was we were what when where which while who whom why will with would you your
    yours know want need like get got i'm i'd you're it's can't don't""".split()  # noqa: SIM905
)


def speakable(text: str) -> str:
    """Text fit to be read aloud: no markdown, no URLs, no list bullets or table pipes."""
    text = _MARKDOWN_LINK.sub(r"\1", text)
    text = _URL.sub("", text)
    text = _BULLET.sub("", text)
    text = _MARKUP.sub(" ", text)
    text = _SPACES.sub(" ", text).strip()
    text = _DANGLING.sub(r"\1", text)
    return re.sub(r"\(\s*\)", "", text).strip()


def split_sentences(passage: str, *, min_words: int = MIN_SENTENCE_WORDS) -> list[str]:
    sentences = []
    for raw in _SENTENCE_END.split(passage):
        sentence = speakable(raw)
        if sentence and len(sentence.split()) >= min_words:
            sentences.append(sentence)
    return sentences


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def content_terms(text: str) -> set[str]:
    return {_stem(word) for word in _WORD.findall(text.lower()) if word not in _STOPWORDS}


def lexical_overlap(question_terms: set[str], sentence: str) -> float:
    """The share of the question's content words the sentence contains."""
    if not question_terms:
        return 0.0
    return len(question_terms & content_terms(sentence)) / len(question_terms)


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


@dataclass(frozen=True)
class ScoredSentence:
    text: str
    passage_index: int
    position: int
    lexical: float
    semantic: float

    @property
    def score(self) -> float:
        return LEXICAL_WEIGHT * self.lexical + SEMANTIC_WEIGHT * max(self.semantic, 0.0)


@dataclass(frozen=True)
class AnswerSelection:
    sentences: list[ScoredSentence]
    best_score: float

    @property
    def answered(self) -> bool:
        return bool(self.sentences)

    @property
    def text(self) -> str:
        return " ".join(sentence.text for sentence in self.sentences)


class AnswerFinder:
    """Picks the answer sentences; remembers sentence embeddings (the same passages come back often)."""

    def __init__(self, embedder: Embedder, *, cache_size: int = 4096, threshold: float = ANSWER_THRESHOLD) -> None:
        self._embedder = embedder
        self._cache: OrderedDict[str, list[float]] = OrderedDict()
        self._cache_size = cache_size
        self.threshold = threshold

    async def _embed(self, texts: Sequence[str]) -> dict[str, list[float]] | None:
        missing = list(dict.fromkeys(text for text in texts if text not in self._cache))
        if missing:
            try:
                vectors = await self._embedder.embed(missing)
            except EmbeddingError:
                return None
            for text, vector in zip(missing, vectors, strict=True):
                self._cache[text] = vector
        found = {}
        for text in texts:
            self._cache.move_to_end(text)
            found[text] = self._cache[text]
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return found

    async def select(self, question: str, passages: Sequence[str]) -> AnswerSelection:
        candidates = [
            (passage_index, position, sentence)
            for passage_index, passage in enumerate(passages)
            for position, sentence in enumerate(split_sentences(passage))
        ]
        question = question.strip()
        if not candidates or not question:
            return AnswerSelection(sentences=[], best_score=0.0)
        terms = content_terms(question)
        vectors = await self._embed([question, *(sentence for _, _, sentence in candidates)])
        scored = []
        seen: set[str] = set()
        for passage_index, position, sentence in candidates:
            if sentence in seen:  # overlapping chunks repeat sentences
                continue
            seen.add(sentence)
            semantic = _cosine(vectors[question], vectors[sentence]) if vectors else 0.0
            scored.append(ScoredSentence(sentence, passage_index, position, lexical_overlap(terms, sentence), semantic))
        ranked = sorted(scored, key=lambda s: s.score, reverse=True)
        best = ranked[0].score
        # Without embeddings only word overlap is left: demand more of it.
        threshold = self.threshold if vectors else self.threshold * LEXICAL_WEIGHT * 2
        if best < threshold:
            return AnswerSelection(sentences=[], best_score=best)
        chosen: list[ScoredSentence] = []
        words = 0
        for candidate in ranked:
            if len(chosen) == MAX_SENTENCES or candidate.score < max(threshold, best - SUPPORT_MARGIN):
                break
            length = len(candidate.text.split())
            if chosen and words + length > MAX_WORDS:
                continue
            chosen.append(candidate)
            words += length
        # Read them in the order the knowledge base tells them.
        chosen.sort(key=lambda s: (s.passage_index, s.position))
        return AnswerSelection(sentences=chosen, best_score=best)
