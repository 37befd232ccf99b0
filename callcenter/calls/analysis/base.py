"""Live call analysis: what the caller wants (intent), what it is about
(topic) and how they feel (sentiment), after every caller turn. Labels come
from the workspace's agent settings; implementations pick among them."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, Field

from callcenter.calls.agent_settings import AgentSettings

SentimentLabel = Literal["negative", "neutral", "positive"]
Trend = Literal["improving", "steady", "worsening"]

# VADER's own convention for its compound score; the other analyzers use it too.
POSITIVE_FROM = 0.05
NEGATIVE_UP_TO = -0.05


class TurnAnalysis(BaseModel):
    intent: str
    topic: str
    sentiment_label: SentimentLabel
    sentiment_score: float = Field(ge=-1, le=1)


@runtime_checkable
class CallAnalyzer(Protocol):
    async def analyze(self, utterance: str, history: Sequence[str], settings: AgentSettings) -> TurnAnalysis:
        """Analyze the caller's latest utterance; `history` holds their earlier utterances, oldest first."""
        ...


def sentiment_label(score: float) -> SentimentLabel:
    if score >= POSITIVE_FROM:
        return "positive"
    if score <= NEGATIVE_UP_TO:
        return "negative"
    return "neutral"


def clamp_score(score: float) -> float:
    return max(-1.0, min(1.0, float(score)))


class SentimentTrend:
    """Where the caller's mood is heading: the latest score against the mean of
    the few before it. One score is "steady"; small moves are "steady" too."""

    def __init__(self, *, window: int = 3, threshold: float = 0.15) -> None:
        self._earlier: deque[float] = deque(maxlen=window)
        self._threshold = threshold
        self.latest: Trend = "steady"

    def add(self, score: float) -> Trend:
        if self._earlier:
            change = score - sum(self._earlier) / len(self._earlier)
            if change >= self._threshold:
                self.latest = "improving"
            elif change <= -self._threshold:
                self.latest = "worsening"
            else:
                self.latest = "steady"
        self._earlier.append(score)
        return self.latest
