"""The handoff decision: each trigger, thresholds per workspace, deciding once,
and the context packet."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from callcenter.calls.agent_settings import EscalationRules
from callcenter.calls.analysis import TurnAnalysis
from callcenter.calls.handoff import HandoffContext, HandoffPolicy, HandoffReason, KnowledgeUsed, TranscriptLine
from callcenter.knowledge.search import SearchResult


def analysis(score: float = 0.0, topic: str = "general question", intent: str = "ask a question") -> TurnAnalysis:
    label = "negative" if score <= -0.05 else "positive" if score >= 0.05 else "neutral"
    return TurnAnalysis(intent=intent, topic=topic, sentiment_label=label, sentiment_score=score)


def test_a_request_for_a_person_hands_off() -> None:
    policy = HandoffPolicy(EscalationRules())
    assert policy.observe(utterance="Where is my parcel?", answered=True, analysis=analysis()) is None
    reason = policy.observe(utterance="Can I talk to a real person?", answered=None, analysis=analysis())
    assert reason is HandoffReason.REQUESTED_PERSON


def test_a_negated_request_does_not_hand_off() -> None:
    policy = HandoffPolicy(EscalationRules())
    assert policy.observe(utterance="I don't need a person, thanks", answered=None, analysis=analysis()) is None


def test_a_request_for_a_person_is_ignored_when_the_workspace_says_so() -> None:
    policy = HandoffPolicy(EscalationRules(handoff_on_request=False))
    assert policy.observe(utterance="Agent!", answered=None, analysis=analysis()) is None


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_unanswered_questions_hand_off_at_the_workspaces_limit(limit: int) -> None:
    policy = HandoffPolicy(EscalationRules(max_unanswered_questions=limit))
    reasons = []
    for index in range(limit):
        # Answered questions and small talk in between do not count.
        assert policy.observe(utterance="How do refunds work?", answered=True, analysis=analysis()) is None
        assert policy.observe(utterance="Thanks", answered=None, analysis=analysis()) is None
        reasons.append(policy.observe(utterance=f"Do you sell gift cards {index}?", answered=False, analysis=None))
    assert reasons == [None] * (limit - 1) + [HandoffReason.UNANSWERED_QUESTIONS]
    assert policy.unanswered_question == f"Do you sell gift cards {limit - 1}?"
    assert policy.unanswered_count == limit


def test_zero_unanswered_questions_means_never() -> None:
    policy = HandoffPolicy(EscalationRules(max_unanswered_questions=0))
    for index in range(25):
        assert policy.observe(utterance=f"Question {index}?", answered=False, analysis=analysis()) is None
    assert policy.unanswered_question == "Question 24?"


@pytest.mark.parametrize(
    ("threshold", "score", "hands_off"),
    [
        (-0.6, -0.59, False),
        (-0.6, -0.6, True),
        (-0.6, -0.9, True),
        (-0.3, -0.35, True),
        (-0.9, -0.85, False),
        (-1.0, -0.99, False),
    ],
)
def test_negative_sentiment_at_or_below_the_workspaces_threshold(
    threshold: float, score: float, hands_off: bool
) -> None:
    policy = HandoffPolicy(EscalationRules(negative_sentiment_threshold=threshold))
    reason = policy.observe(utterance="This is ridiculous", answered=True, analysis=analysis(score))
    assert reason is (HandoffReason.NEGATIVE_SENTIMENT if hands_off else None)


@pytest.mark.parametrize(
    ("topics", "topic", "hands_off"),
    [
        (["account changes", "payment details"], "account changes", True),
        (["account changes", "payment details"], "Payment Details", True),
        (["account changes", "payment details"], "orders and shipping", False),
        (["orders and shipping"], "orders and shipping", True),
        ([], "account changes", False),
    ],
)
def test_topics_that_need_account_access(topics: list[str], topic: str, hands_off: bool) -> None:
    policy = HandoffPolicy(EscalationRules(account_access_topics=topics))
    reason = policy.observe(utterance="Please change my address", answered=None, analysis=analysis(topic=topic))
    assert reason is (HandoffReason.NEEDS_ACCOUNT_ACCESS if hands_off else None)


def test_without_analysis_only_the_request_and_unanswered_rules_apply() -> None:
    policy = HandoffPolicy(EscalationRules(max_unanswered_questions=1))
    assert policy.observe(utterance="I'm furious", answered=None, analysis=None) is None
    assert policy.observe(utterance="Gift cards?", answered=False, analysis=None) is HandoffReason.UNANSWERED_QUESTIONS


def test_decides_once_per_call() -> None:
    policy = HandoffPolicy(EscalationRules(max_unanswered_questions=1))
    first = policy.observe(utterance="Operator!", answered=None, analysis=analysis(-0.9, topic="account changes"))
    assert first is HandoffReason.REQUESTED_PERSON  # several rules fire: the request wins
    assert policy.decided is HandoffReason.REQUESTED_PERSON
    later = [
        policy.observe(utterance="Operator!", answered=None, analysis=None),
        policy.observe(utterance="Gift cards?", answered=False, analysis=analysis(-1.0)),
        policy.observe(utterance="Change my card", answered=None, analysis=analysis(topic="payment details")),
    ]
    assert later == [None, None, None]
    assert policy.unanswered_question == "Gift cards?"  # still tracked for the context packet


def test_account_access_comes_before_sentiment_and_unanswered_questions() -> None:
    policy = HandoffPolicy(EscalationRules(max_unanswered_questions=1))
    reason = policy.observe(utterance="Change my card now!", answered=False, analysis=analysis(-0.9, "payment details"))
    assert reason is HandoffReason.NEEDS_ACCOUNT_ACCESS
    policy = HandoffPolicy(EscalationRules(max_unanswered_questions=1))
    assert (
        policy.observe(utterance="Useless!", answered=False, analysis=analysis(-0.9))
        is HandoffReason.NEGATIVE_SENTIMENT
    )


def test_reasons_are_the_sql_enum() -> None:
    assert [r.value for r in HandoffReason] == [
        "requested_person",
        "unanswered_questions",
        "negative_sentiment",
        "needs_account_access",
    ]


def test_knowledge_used_from_a_search_result_and_the_context_as_json() -> None:
    result = SearchResult(
        chunk_id=uuid.uuid4(),
        source_id=uuid.uuid4(),
        source_kind="website",
        source_title="Help center",
        title="",
        url="https://help.example.com/refunds",
        page=None,
        heading_path=["Refunds", "Timing"],
        content="Refunds take 5 days.",
        score=0.03,
        vector_rank=1,
        text_rank=2,
    )
    used = KnowledgeUsed.from_search_result(result)
    assert (used.title, used.url, used.heading_path, used.content) == (
        "Help center",
        "https://help.example.com/refunds",
        ["Refunds", "Timing"],
        "Refunds take 5 days.",
    )
    assert used.citation == "Help center > Refunds > Timing"
    context = HandoffContext(
        reason=HandoffReason.UNANSWERED_QUESTIONS,
        intent="ask a question",
        topic="returns and refunds",
        sentiment_label="neutral",
        sentiment_score=0.0,
        sentiment_trend="steady",
        knowledge_used=[used],
        transcript=[TranscriptLine(speaker="customer", text="Gift cards?", at=datetime.now(UTC))],
        summary="The caller asked about gift cards.",
        unanswered_question="Gift cards?",
    )
    assert HandoffContext.model_validate_json(context.model_dump_json()) == context
