"""Call summaries: the local extractive one (from the transcript alone and with
the turn records), the OpenAI one against the fake Chat Completions endpoint
and its fallback, and the registry."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Literal

import pytest

from callcenter.calls.analysis.chat import ChatCompletions
from callcenter.calls.handoff import HandoffReason, KnowledgeUsed, TranscriptLine
from callcenter.calls.records import TurnRecord
from callcenter.calls.summary import (
    SUMMARIZERS,
    LocalCallSummarizer,
    OpenAICallSummarizer,
    build_call_summarizer,
)
from callcenter.settings import Settings
from tests.calls.conftest import agent_settings
from tests.fakes.openai_server import API_KEY, Reply, error, fake_openai

Speaker = Literal["customer", "ai", "human"]


def transcript(*lines: tuple[Speaker, str]) -> list[TranscriptLine]:
    start = datetime(2026, 11, 25, 12, tzinfo=UTC)
    return [TranscriptLine(speaker=s, text=t, at=start + timedelta(seconds=i)) for i, (s, t) in enumerate(lines)]


def used(title: str, *headings: str) -> KnowledgeUsed:
    return KnowledgeUsed(
        chunk_id=uuid.uuid4(),
        source_id=uuid.uuid4(),
        title=title,
        heading_path=list(headings),
        content="...",
        score=0.03,
    )


CALL = transcript(
    ("ai", "Hello, thanks for calling. How can I help you today?"),
    ("customer", "Hi! How long do refunds take?"),
    ("ai", "Refunds are paid within five business days."),
    ("customer", "Do you sell gift cards?"),
    ("ai", "I'm sorry, I couldn't find anything about that in our help center."),
    ("customer", "OK, thanks. Bye!"),
)


async def test_local_summary_from_the_transcript_alone() -> None:
    summary = await LocalCallSummarizer().summarize(CALL, agent_settings())
    assert summary == (
        "The caller wanted help with \u201cHi! How long do refunds take?\u201d "
        "and \u201cDo you sell gift cards?\u201d. "
        "Alex answered 1 of 2 questions. "
        "Alex could not answer \u201cDo you sell gift cards?\u201d. "
        "The caller said goodbye."
    )


async def test_local_summary_names_the_sources_from_the_turns() -> None:
    turns = [
        TurnRecord(
            turn_index=0,
            user_text="Hi! How long do refunds take?",
            answered=True,
            knowledge_used=[used("Refund policy", "Timing"), used("Refund policy", "Timing")],
        ),
        TurnRecord(turn_index=1, user_text="Do you sell gift cards?", answered=False),
        TurnRecord(turn_index=2, user_text="OK, thanks. Bye!", answered=None),
    ]
    summary = await LocalCallSummarizer().summarize(CALL, agent_settings(), turns=turns)
    assert "Alex answered 1 of 2 questions from the knowledge base (Refund policy > Timing)." in summary
    assert "could not answer \u201cDo you sell gift cards?\u201d" in summary


@pytest.mark.parametrize(
    ("lines", "reason", "ending"),
    [
        (
            (("customer", "Where is my parcel?"), ("ai", "It ships tomorrow."), ("customer", "Operator!")),
            None,
            "The caller asked to speak to a person.",
        ),
        (
            (("customer", "Where is my parcel?"),),
            HandoffReason.UNANSWERED_QUESTIONS,
            "The call was handed to a person because questions went unanswered.",
        ),
        (
            (("customer", "Where is my parcel?"), ("human", "Hi, this is Sam from support.")),
            None,
            "A person from the team joined the call.",
        ),
        (
            (("customer", "Where is my parcel?"), ("ai", "It ships tomorrow."), ("customer", "Thank you")),
            None,
            "The caller thanked the agent at the end.",
        ),
        (
            (("customer", "Where is my parcel?"), ("ai", "It ships tomorrow."), ("customer", "It is late again")),
            None,
            "The caller's last words were \u201cIt is late again\u201d.",
        ),
    ],
)
async def test_local_summary_says_how_the_call_ended(
    lines: tuple[tuple[Speaker, str], ...], reason: HandoffReason | None, ending: str
) -> None:
    summary = await LocalCallSummarizer().summarize(transcript(*lines), agent_settings(), handoff_reason=reason)
    assert summary.endswith(ending)


async def test_local_summary_of_a_silent_caller() -> None:
    assert await LocalCallSummarizer().summarize([], agent_settings()) == "The caller did not say anything."
    silent = transcript(("ai", "Hello?"), ("ai", "Are you still there?"))
    assert await LocalCallSummarizer().summarize(silent, agent_settings()) == "The caller did not say anything."


async def test_local_summary_is_deterministic_and_bounded() -> None:
    long_call = transcript(*[("customer", f"Question number {i} about a very long topic " * 20) for i in range(50)])
    first = await LocalCallSummarizer().summarize(long_call, agent_settings())
    assert first == await LocalCallSummarizer().summarize(long_call, agent_settings())
    assert len(first) < 1000 and "and 47 more" in first


async def test_openai_summary_sends_the_transcript_and_returns_the_models_text() -> None:
    with fake_openai() as (base_url, script):
        script.replies.append(Reply(content="  The caller asked about refunds and gift cards.  "))
        summarizer = OpenAICallSummarizer(ChatCompletions(API_KEY, base_url=base_url, model="gpt-4.1-mini"))
        turns = [
            TurnRecord(
                turn_index=0,
                user_text="Hi! How long do refunds take?",
                answered=True,
                knowledge_used=[used("Refund policy", "Timing")],
            )
        ]
        summary = await summarizer.summarize(
            CALL, agent_settings(), turns=turns, handoff_reason=HandoffReason.REQUESTED_PERSON
        )
    assert summary == "The caller asked about refunds and gift cards."
    [request] = script.requests
    body = request.body
    assert "response_format" not in body
    assert "Alex" in body["messages"][0]["content"] and "Support" in body["messages"][0]["content"]
    user = body["messages"][1]["content"]
    assert "Caller: Do you sell gift cards?" in user
    assert "Alex (AI): Refunds are paid within five business days." in user
    assert "answered from Refund policy > Timing" in user
    assert "because the caller asked for a person" in user


@pytest.mark.parametrize("failure", ["server error", "refusal", "timeout"])
async def test_openai_summary_falls_back_to_the_local_one(failure: str) -> None:
    with fake_openai() as (base_url, script):
        if failure == "server error":
            script.failures.append((503, {}, error(503, "The engine is overloaded", "server_error", None)[1]))
        elif failure == "refusal":
            script.replies.append(Reply(content=None, refusal="I can't help with that."))
        else:
            script.delay = 2.0
        summarizer = OpenAICallSummarizer(
            ChatCompletions(API_KEY, base_url=base_url, model="gpt-4.1-mini", timeout=0.5)
        )
        summary = await summarizer.summarize(CALL, agent_settings())
    assert summary == await LocalCallSummarizer().summarize(CALL, agent_settings())


def test_registry_follows_the_analysis_provider() -> None:
    assert set(SUMMARIZERS) == {"local", "openai"}
    assert isinstance(build_call_summarizer(Settings(call_analysis_provider="local")), LocalCallSummarizer)
    assert isinstance(
        build_call_summarizer(Settings(call_analysis_provider="openai", openai_api_key=API_KEY)), OpenAICallSummarizer
    )
