"""Offline analysis: VADER for sentiment (a maintained lexicon-and-rules
model, no network) and, for intent and topic, the cosine similarity between
the utterance's embedding and each of the workspace's labels. The label
embeddings are computed once per label set and kept."""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING

import numpy as np

from callcenter.calls.agent_settings import AgentSettings
from callcenter.calls.analysis.base import TurnAnalysis, clamp_score, sentiment_label
from callcenter.calls.intents import Act, names_a_person, read_utterance
from callcenter.knowledge.embeddings import Embedder, EmbeddingError, get_embedder

if TYPE_CHECKING:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

log = logging.getLogger(__name__)

# Below this similarity no label really fits: a catch-all label ("other",
# "general question") is the honest answer when the workspace has one.
MIN_SIMILARITY = 0.12
_CATCH_ALL = re.compile(r"\b(?:other|general|misc\w*|anything\s+else)\b", re.IGNORECASE)
_LABEL_CACHE_SIZE = 64
_WORD = re.compile(r"[a-z0-9']+")


@cache
def _vader() -> SentimentIntensityAnalyzer:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def vader_score(text: str) -> float:
    """VADER's compound score, -1 (most negative) .. 1 (most positive)."""
    return clamp_score(_vader().polarity_scores(text)["compound"])


def catch_all_label(labels: Sequence[str]) -> str | None:
    return next((label for label in labels if _CATCH_ALL.search(label)), None)


class LocalCallAnalyzer:
    def __init__(self, embedder: Embedder | None = None) -> None:
        self._embedder = embedder
        self._label_vectors: OrderedDict[tuple[str, tuple[str, ...]], np.ndarray] = OrderedDict()

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = get_embedder()
        return self._embedder

    async def analyze(self, utterance: str, history: Sequence[str], settings: AgentSettings) -> TurnAnalysis:
        score = vader_score(utterance)
        reading = read_utterance(utterance)
        subject = self._subject(utterance, bool(reading.content_words), history)
        intent, topic = await self._classify(subject, settings.intent_labels, settings.topic_labels)
        if Act.REQUEST_PERSON in reading.acts:
            intent = next((label for label in settings.intent_labels if names_a_person(label)), intent)
        return TurnAnalysis(intent=intent, topic=topic, sentiment_label=sentiment_label(score), sentiment_score=score)

    @staticmethod
    def _subject(utterance: str, has_content: bool, history: Sequence[str]) -> str:
        """What intent and topic are judged on: the utterance, or, when it is only
        "thanks" or "yes", the caller's latest utterance that had content."""
        if has_content or not history:
            return utterance
        for earlier in reversed(history):
            if read_utterance(earlier).content_words:
                return earlier
        return utterance

    async def _classify(self, text: str, intents: Sequence[str], topics: Sequence[str]) -> tuple[str, str]:
        try:
            vector = np.asarray((await self.embedder.embed([text or " "]))[0], dtype=np.float32)
            intent_vectors = await self._vectors(intents)
            topic_vectors = await self._vectors(topics)
        except EmbeddingError as error:
            log.warning("call analysis: embedding failed (%s); matching labels by their words", error.message)
            return _by_words(text, intents), _by_words(text, topics)
        return _nearest(vector, intent_vectors, intents), _nearest(vector, topic_vectors, topics)

    async def _vectors(self, labels: Sequence[str]) -> np.ndarray:
        key = (self.embedder.model_name, tuple(labels))
        cached = self._label_vectors.get(key)
        if cached is not None:
            self._label_vectors.move_to_end(key)
            return cached
        vectors = np.asarray(await self.embedder.embed(list(labels)), dtype=np.float32)
        self._label_vectors[key] = vectors
        while len(self._label_vectors) > _LABEL_CACHE_SIZE:
            self._label_vectors.popitem(last=False)
        return vectors


def _nearest(vector: np.ndarray, label_vectors: np.ndarray, labels: Sequence[str]) -> str:
    similarities = label_vectors @ vector
    best = int(np.argmax(similarities))
    if float(similarities[best]) < MIN_SIMILARITY:
        return catch_all_label(labels) or labels[best]
    return labels[best]


def _by_words(text: str, labels: Sequence[str]) -> str:
    """Without embeddings: the label sharing the most word stems with the text."""

    def stems(value: str) -> set[str]:
        return {word[:5] for word in _WORD.findall(value.lower()) if len(word) > 2}

    words = stems(text)
    overlaps = [len(words & stems(label)) for label in labels]
    best = max(range(len(labels)), key=lambda index: overlaps[index])
    if overlaps[best] == 0:
        return catch_all_label(labels) or labels[best]
    return labels[best]
