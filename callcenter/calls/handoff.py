"""Deciding that a person should take the call, and the context packet the
person gets: intent, sentiment, topic, the knowledge the AI used, the
transcript, a summary and the question the AI could not answer.

The rules are the workspace's (EscalationRules); the policy sees every caller
turn and decides at most once per call."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from callcenter.calls.agent_settings import EscalationRules
from callcenter.calls.analysis.base import SentimentLabel, TurnAnalysis
from callcenter.calls.intents import Act, recognize_acts
from callcenter.knowledge.search import SearchResult


class HandoffReason(StrEnum):
    """The SQL enum public.call_handoff_reason."""

    REQUESTED_PERSON = "requested_person"
    UNANSWERED_QUESTIONS = "unanswered_questions"
    NEGATIVE_SENTIMENT = "negative_sentiment"
    NEEDS_ACCOUNT_ACCESS = "needs_account_access"


class HandoffPolicy:
    """When several rules fire on the same turn, the reason recorded is the first
    of: the caller asked for a person, the topic needs account access, the
    caller is upset, questions went unanswered."""

    def __init__(self, rules: EscalationRules) -> None:
        self._rules = rules
        self._account_topics = {topic.strip().casefold() for topic in rules.account_access_topics}
        self._unanswered_question: str | None = None
        self.unanswered_count = 0
        self.decided: HandoffReason | None = None

    @property
    def unanswered_question(self) -> str | None:
        """The latest caller question the knowledge base could not answer."""
        return self._unanswered_question

    def observe(self, *, utterance: str, answered: bool | None, analysis: TurnAnalysis | None) -> HandoffReason | None:
        """Take one caller turn into account. `answered` is None when the turn was
        not a question (small talk). Returns a reason the first time a rule fires."""
        if answered is False:
            self.unanswered_count += 1
            self._unanswered_question = utterance.strip() or self._unanswered_question
        if self.decided is not None:
            return None
        self.decided = self._first_rule_that_fires(utterance, analysis)
        return self.decided

    def _first_rule_that_fires(self, utterance: str, analysis: TurnAnalysis | None) -> HandoffReason | None:
        rules = self._rules
        if rules.handoff_on_request and Act.REQUEST_PERSON in recognize_acts(utterance):
            return HandoffReason.REQUESTED_PERSON
        if analysis is not None and analysis.topic.strip().casefold() in self._account_topics:
            return HandoffReason.NEEDS_ACCOUNT_ACCESS
        if analysis is not None and analysis.sentiment_score <= rules.negative_sentiment_threshold:
            return HandoffReason.NEGATIVE_SENTIMENT
        if 0 < rules.max_unanswered_questions <= self.unanswered_count:
            return HandoffReason.UNANSWERED_QUESTIONS
        return None


class KnowledgeUsed(BaseModel):
    """A passage the AI retrieved for a turn (stored in call_turns.knowledge_used)."""

    chunk_id: UUID
    source_id: UUID
    title: str
    url: str | None = None
    page: int | None = None
    heading_path: list[str] = Field(default_factory=list)
    content: str
    score: float

    @classmethod
    def from_search_result(cls, result: SearchResult) -> KnowledgeUsed:
        return cls(
            chunk_id=result.chunk_id,
            source_id=result.source_id,
            title=result.title or result.source_title,
            url=result.url,
            page=result.page,
            heading_path=list(result.heading_path),
            content=result.content,
            score=result.score,
        )

    @property
    def citation(self) -> str:
        place = " > ".join(part for part in (self.title, *self.heading_path) if part)
        return f"{place}, page {self.page}" if self.page is not None else place


class TranscriptLine(BaseModel):
    speaker: Literal["customer", "ai", "human"]
    text: str
    at: datetime


class HandoffContext(BaseModel):
    """What the person taking over sees (calls.handoff_context)."""

    reason: HandoffReason
    intent: str | None = None
    topic: str | None = None
    sentiment_label: SentimentLabel | None = None
    sentiment_score: float | None = None
    sentiment_trend: Literal["improving", "steady", "worsening"] | None = None
    knowledge_used: list[KnowledgeUsed] = Field(default_factory=list)
    transcript: list[TranscriptLine] = Field(default_factory=list)
    summary: str = ""
    unanswered_question: str | None = None
