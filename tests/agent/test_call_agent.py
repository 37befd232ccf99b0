"""The CallAgent in text mode (AgentSession.run with expectations), with the
grounded responder, against a workspace knowledge base in the running
database: answers from knowledge, says when it has none, hands off for each
rule, says goodbye; and the call record the recorder wrote (transcript,
turns with knowledge used and latency, analysis, handoff context, summary)."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from livekit.agents import llm

from agent_container.call_agent import FILLER, RESUMED
from agent_container.conversation import HANDOFF_ANNOUNCEMENT
from agent_container.knowledge import KnowledgeRetriever, Retrieval
from agent_container.knowledge_brief import brief_for_latest_turn
from agent_container.plugins.grounded_llm import GOODBYE, GREETING, HANDOFF_ACCEPTED, NO_ANSWER, THANKS_AND_GOODBYE
from callcenter.calls.handoff import HandoffReason
from callcenter.calls.records import CallRecorder, TurnRecord
from tests.agent.conftest import Workspaces
from tests.db import dbkit

StartCall = Any


async def reply_of(call: Any, user_input: str) -> str:
    """Run one caller turn; the agent's single reply (a message, no tool calls)."""
    result = await call.session.run(user_input=user_input)
    event = result.expect.next_event().is_message(role="assistant").event()
    result.expect.no_more_events()
    return event.item.text_content or ""


async def call_row(pool: dbkit.Pool, call_id: uuid.UUID) -> asyncpg.Record:
    async with pool.acquire() as conn:
        row = await conn.fetchrow("select * from public.calls where id = $1", call_id)
    assert row is not None
    return row


async def turns_of(pool: dbkit.Pool, call_id: uuid.UUID) -> list[asyncpg.Record]:
    async with pool.acquire() as conn:
        return list(await conn.fetch("select * from public.call_turns where call_id = $1 order by turn_index", call_id))


async def transcript_of(pool: dbkit.Pool, call_id: uuid.UUID) -> list[tuple[str, str, bool]]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            """select speaker::text, text, interrupted from public.call_transcript_segments
               where call_id = $1 order by started_at, created_at""",
            call_id,
        )
    return [(row["speaker"], row["text"], row["interrupted"]) for row in rows]


def context_of(row: asyncpg.Record) -> dict[str, Any]:
    assert row["handoff_context"] is not None
    context: dict[str, Any] = json.loads(row["handoff_context"])
    return context


async def test_answers_from_the_knowledge_base(start_call: StartCall, workspaces: Workspaces, pool: dbkit.Pool) -> None:
    async with start_call(workspaces.with_knowledge) as call:
        reply = await reply_of(call, "How long does a refund take?")
        assert "5 business days" in reply
        assert "http" not in reply and "[" not in reply
        call_id = call.call_id
        greeting = call.conversation.settings.greeting

    row = await call_row(pool, call_id)
    assert row["status"] == "ended" and row["ended_at"] is not None
    assert row["handoff_reason"] is None
    assert row["topic"] == "returns and refunds" and row["sentiment_label"] == "neutral"
    assert row["summary"] and "refund" in row["summary"].lower()
    [turn] = await turns_of(pool, call_id)
    assert turn["turn_index"] == 0 and turn["user_text"] == "How long does a refund take?"
    assert turn["reply_text"] == reply and turn["answered"] is True
    knowledge = json.loads(turn["knowledge_used"])
    assert knowledge and any("5 business days" in item["content"] for item in knowledge)
    assert knowledge[0]["title"] == "Refunds and returns"
    assert turn["retrieval_ms"] is not None and turn["retrieval_ms"] > 0
    assert turn["llm_first_token_ms"] is not None and turn["total_ms"] is not None
    assert turn["topic"] == "returns and refunds"
    assert await transcript_of(pool, call_id) == [
        ("ai", greeting, False),
        ("customer", "How long does a refund take?", False),
        ("ai", reply, False),
    ]


async def test_follow_up_turns_are_numbered_and_answered_each(
    start_call: StartCall, workspaces: Workspaces, pool: dbkit.Pool
) -> None:
    async with start_call(workspaces.with_knowledge) as call:
        assert "Monday to Friday" in await reply_of(call, "When is your support team available?")
        assert "next business day" in await reply_of(call, "And how fast is express shipping?")
        call_id = call.call_id
    turns = await turns_of(pool, call_id)
    assert [turn["turn_index"] for turn in turns] == [0, 1]
    assert "Monday to Friday" in turns[0]["reply_text"] and "next business day" in turns[1]["reply_text"]
    assert [turn["answered"] for turn in turns] == [True, True]


async def test_says_plainly_when_the_knowledge_base_has_no_answer(
    start_call: StartCall, workspaces: Workspaces, pool: dbkit.Pool
) -> None:
    async with start_call(workspaces.with_knowledge) as call:
        assert await reply_of(call, "Do you sell pizza?") == NO_ANSWER
        call_id = call.call_id
    row = await call_row(pool, call_id)
    assert row["handoff_reason"] is None  # one unanswered question is below the default of two
    [turn] = await turns_of(pool, call_id)
    assert turn["answered"] is False and json.loads(turn["knowledge_used"])  # it looked, found nothing relevant


async def test_an_empty_knowledge_base_offers_a_person(
    start_call: StartCall, workspaces: Workspaces, pool: dbkit.Pool
) -> None:
    async with start_call(workspaces.empty) as call:
        reply = await reply_of(call, "How long does a refund take?")
        assert "don't have information" in reply and "person" in reply
        call_id = call.call_id
    [turn] = await turns_of(pool, call_id)
    assert turn["answered"] is False and json.loads(turn["knowledge_used"]) == []


async def test_hands_off_when_the_caller_asks_for_a_person(
    start_call: StartCall, workspaces: Workspaces, pool: dbkit.Pool
) -> None:
    async with start_call(workspaces.with_knowledge) as call:
        assert "refund" in (await reply_of(call, "How long does a refund take?")).lower()
        assert await reply_of(call, "Can I talk to a real person please?") == HANDOFF_ACCEPTED
        call_id = call.call_id
    row = await call_row(pool, call_id)
    assert row["handoff_reason"] == HandoffReason.REQUESTED_PERSON.value and row["handoff_requested_at"] is not None
    context = context_of(row)
    assert context["reason"] == "requested_person"
    assert [line["speaker"] for line in context["transcript"]][:3] == ["ai", "customer", "ai"]
    assert any("5 business days" in item["content"] for item in context["knowledge_used"])
    assert context["summary"]
    [_, person_turn] = await turns_of(pool, call_id)
    assert person_turn["answered"] is None and json.loads(person_turn["knowledge_used"]) == []


async def test_a_yes_to_the_offer_of_a_person_is_a_request_for_one(
    start_call: StartCall, workspaces: Workspaces, pool: dbkit.Pool
) -> None:
    async with start_call(workspaces.with_knowledge) as call:
        assert await reply_of(call, "Do you sell pizza?") == NO_ANSWER
        assert await reply_of(call, "Yes please.") == HANDOFF_ACCEPTED
        call_id = call.call_id
    assert (await call_row(pool, call_id))["handoff_reason"] == HandoffReason.REQUESTED_PERSON.value


async def test_hands_off_after_too_many_unanswered_questions(
    start_call: StartCall, workspaces: Workspaces, pool: dbkit.Pool
) -> None:
    async with start_call(workspaces.with_knowledge, max_unanswered_questions=2) as call:
        assert await reply_of(call, "Do you sell pizza?") == NO_ANSWER
        assert await reply_of(call, "Can I pay with bitcoin?") == NO_ANSWER
        await call.conversation.settled()
        call_id = call.call_id
    row = await call_row(pool, call_id)
    assert row["handoff_reason"] == HandoffReason.UNANSWERED_QUESTIONS.value
    context = context_of(row)
    assert context["unanswered_question"] == "Can I pay with bitcoin?"
    announcement = HANDOFF_ANNOUNCEMENT[HandoffReason.UNANSWERED_QUESTIONS]
    assert ("ai", announcement, False) in await transcript_of(pool, call_id)
    # The announcement is not mistaken for the reply to a turn.
    assert [turn["reply_text"] for turn in await turns_of(pool, call_id)] == [NO_ANSWER, NO_ANSWER]


async def test_hands_off_an_angry_caller(start_call: StartCall, workspaces: Workspaces, pool: dbkit.Pool) -> None:
    async with start_call(workspaces.with_knowledge, negative_sentiment_threshold=-0.6) as call:
        await reply_of(call, "This is ridiculous! Your service is terrible and I am furious.")
        await call.conversation.settled()
        call_id = call.call_id
    row = await call_row(pool, call_id)
    assert row["handoff_reason"] == HandoffReason.NEGATIVE_SENTIMENT.value
    assert row["sentiment_label"] == "negative" and row["sentiment_score"] <= -0.6
    context = context_of(row)
    assert context["sentiment_label"] == "negative" and context["sentiment_score"] <= -0.6
    assert ("ai", HANDOFF_ANNOUNCEMENT[HandoffReason.NEGATIVE_SENTIMENT], False) in await transcript_of(pool, call_id)


async def test_hands_off_a_topic_that_needs_account_access(
    start_call: StartCall, workspaces: Workspaces, pool: dbkit.Pool
) -> None:
    async with start_call(workspaces.with_knowledge, account_access_topics=["account changes"]) as call:
        await reply_of(call, "I need to change the email address on my account.")
        await call.conversation.settled()
        call_id = call.call_id
    row = await call_row(pool, call_id)
    assert row["handoff_reason"] == HandoffReason.NEEDS_ACCOUNT_ACCESS.value
    assert context_of(row)["topic"] == "account changes"


async def test_no_handoff_when_the_workspace_does_not_hand_off_on_request(
    start_call: StartCall, workspaces: Workspaces, pool: dbkit.Pool
) -> None:
    async with start_call(workspaces.with_knowledge, handoff_on_request=False, account_access_topics=[]) as call:
        reply = await reply_of(call, "I want to speak to a human.")
        assert "not able to transfer" in reply
        call_id = call.call_id
    assert (await call_row(pool, call_id))["handoff_reason"] is None


async def test_small_talk_and_goodbye(start_call: StartCall, workspaces: Workspaces, pool: dbkit.Pool) -> None:
    async with start_call(workspaces.with_knowledge) as call:
        assert await reply_of(call, "Hello there!") == GREETING
        assert call.ended == []
        assert await reply_of(call, "Thanks, bye!") == THANKS_AND_GOODBYE
        # The goodbye was said in full: the call is to be ended.
        assert call.ended == ["goodbye"]
        assert await reply_of(call, "Goodbye.") == GOODBYE
        call_id = call.call_id
    turns = await turns_of(pool, call_id)
    assert [turn["answered"] for turn in turns] == [None, None, None]
    assert all(json.loads(turn["knowledge_used"]) == [] for turn in turns)  # small talk is not looked up


async def test_a_call_taken_over_by_another_worker_resumes(
    start_call: StartCall, workspaces: Workspaces, pool: dbkit.Pool, database: Any, models: Any
) -> None:
    """A worker died mid-call: the next one apologizes instead of greeting again, knows the conversation so far
    and numbers turns on from where it stopped."""
    room = f"call-test-{uuid.uuid4()}"
    first, _ = await CallRecorder.open(
        database, workspace_id=workspaces.with_knowledge, room_name=room, channel="browser", worker_id="dead-worker",
        heartbeat_seconds=0,
    )  # fmt: skip
    earlier = datetime.now(UTC) - timedelta(seconds=5)
    first.add_segment("customer", "How long does a refund take?", started_at=earlier, ended_at=earlier)
    answered_at = earlier + timedelta(seconds=1)
    first.add_segment("ai", "Refunds take 5 business days.", started_at=answered_at, ended_at=answered_at)
    first.record_turn(TurnRecord(turn_index=0, user_text="How long does a refund take?", reply_text="Refunds take 5."))
    # Stored; then the worker "dies" without closing the call.
    for _ in range(100):
        if len(await transcript_of(pool, first.call_id)) == 2 and len(await turns_of(pool, first.call_id)) == 1:
            break
        await asyncio.sleep(0.05)

    async with start_call(workspaces.with_knowledge, room_name=room) as call:
        assert call.conversation.resume.resumed
        history = [item for item in call.agent.chat_ctx.items if isinstance(item, llm.ChatMessage)]
        assert [message.text_content for message in history if message.role != "system"][:2] == [
            "How long does a refund take?",
            "Refunds take 5 business days.",
        ]
        await reply_of(call, "And how fast is express shipping?")
        call_id = call.call_id
    transcript = await transcript_of(pool, call_id)
    assert ("ai", RESUMED, False) in transcript
    assert [turn["turn_index"] for turn in await turns_of(pool, call_id)] == [0, 1]


class SlowRetriever(KnowledgeRetriever):
    """The real search, after a delay (a slow database)."""

    async def retrieve(self, question: str) -> Retrieval:
        await asyncio.sleep(1.0)
        return await super().retrieve(question)


async def test_a_slow_lookup_is_covered_by_a_filler_line(
    start_call: StartCall, workspaces: Workspaces, pool: dbkit.Pool, database: Any, models: Any
) -> None:
    """The voice path: retrieval starts when the caller's turn ends; after 600 ms without it the caller hears
    a filler, and the passages still reach the LLM in the turn's context."""
    async with start_call(workspaces.with_knowledge) as call:
        call.conversation._retriever = SlowRetriever(database, models.embedder(), workspaces.with_knowledge, limit=4)
        message = llm.ChatMessage(role="user", content=["How long does a refund take?"])
        turn_ctx = llm.ChatContext.empty()
        await call.agent.on_user_turn_completed(turn_ctx, message)
        brief = brief_for_latest_turn(turn_ctx)
        assert brief is not None and any("5 business days" in passage.content for passage in brief.passages)
        for _ in range(100):
            if any(line.text == FILLER for line in call.conversation.transcript):
                break
            await asyncio.sleep(0.05)
        call_id = call.call_id
    assert ("ai", FILLER, False) in await transcript_of(pool, call_id)
    [turn] = await turns_of(pool, call_id)
    assert turn["retrieval_ms"] >= 1000
