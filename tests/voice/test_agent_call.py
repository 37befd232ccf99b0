"""End to end on real livekit-server with the real agent worker (offline
providers): a synthetic caller places a call the way the API does, hears the
greeting, asks two piper-spoken questions and checks, through whisper, that
the answers carry the knowledge base's facts; the worker's transcript rows
and per-turn latency rows are in the database; and when the caller talks
over a long answer the agent stops speaking."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from callcenter.settings import Settings
from tests.db import dbkit
from tests.voice import calls, facts, speech
from tests.voice.conversation import Conversation
from tests.voice.text import contains, missing
from tests.voice.workspace import KnowledgeWorkspace, create_knowledge_workspace, remove_workspace

pytestmark = pytest.mark.slow

# A reply must start this soon after the caller stops talking; generous, since CI machines are small and shared
# (benchmarks/voice_latency.py measures the real figure).
REPLY_BOUND_S = 8.0
# The agent must fall silent this soon after the caller starts talking over it.
BARGE_IN_BOUND_S = 1.5
# A silence this long inside the agent's speech means it stopped (its pauses between phrases are shorter).
STOPPED_QUIET_S = 0.6
LATENCY_COLUMNS = ("end_of_turn_ms", "stt_ms", "retrieval_ms", "llm_first_token_ms", "tts_first_audio_ms", "total_ms")


@pytest.fixture(scope="module")
async def workspace(pool: dbkit.Pool) -> AsyncIterator[KnowledgeWorkspace]:
    created = await create_knowledge_workspace(pool, "call", facts.ARTICLES, greeting=facts.GREETING)
    try:
        yield created
    finally:
        await remove_workspace(pool, created)


@pytest.fixture
async def conversation(
    call_settings: Settings,
    workspace: KnowledgeWorkspace,
    voice: speech.Voice,
    transcriber: speech.Transcriber,
) -> AsyncIterator[Conversation]:
    placed = await calls.place_call(call_settings, workspace.workspace_id)
    started = await Conversation.start(call_settings, placed, voice, transcriber)
    try:
        yield started
    finally:
        await started.hang_up()


async def wait_for_status(pool: dbkit.Pool, room_name: str, statuses: set[str], within: float) -> dict[str, Any]:
    deadline = time.monotonic() + within
    row = await calls.wait_for_call_row(pool, room_name, within)
    while time.monotonic() < deadline and row["status"] not in statuses:
        await asyncio.sleep(0.3)
        row = await calls.wait_for_call_row(pool, room_name, within)
    return row


async def test_the_agent_answers_from_knowledge_and_the_call_is_recorded(
    conversation: Conversation, pool: dbkit.Pool, voice: speech.Voice
) -> None:
    questions = facts.QUESTIONS[:2]
    for question in questions:  # synthesized before the call, so asking starts at once
        await voice.speak(question.text)

    greeting = await conversation.hear_greeting()
    assert contains(greeting.text, "green valley"), greeting.text

    replies = []
    for question in questions:
        reply = await conversation.ask(question.text)
        print(f"\n  asked {question.text!r}: reply after {reply.latency * 1000:.0f} ms: {reply.text!r}")
        assert not missing(reply.text, list(question.expected)), (question, reply.text)
        assert 0 < reply.latency < REPLY_BOUND_S, reply.latency
        replies.append(reply)

    call = await calls.wait_for_call_row(pool, conversation.placed.room_name)
    assert call["workspace_id"] == conversation.placed.workspace_id
    assert call["status"] == "active"
    await conversation.hang_up()
    call = await wait_for_status(pool, conversation.placed.room_name, {"ended", "failed"}, within=60)
    assert call["status"] == "ended", call
    assert call["ended_at"] is not None and call["summary"], call

    segments = await calls.transcript(pool, call["id"])
    customer = " ".join(s["text"] for s in segments if s["speaker"] == "customer")
    ai = [s["text"] for s in segments if s["speaker"] == "ai"]
    assert ai and contains(ai[0], "green valley"), ai
    assert contains(customer, "store") and contains(customer, "return"), customer
    assert not missing(" ".join(ai), ["morning", "30|thirty"]), ai
    assert all(s["ended_at"] >= s["started_at"] for s in segments)

    turns = [t for t in await calls.turns(pool, call["id"]) if t["answered"]]
    assert len(turns) >= 2, turns
    for turn in turns:
        assert turn["knowledge_used"] not in (None, "[]"), turn
        stages = {column: turn[column] for column in LATENCY_COLUMNS}
        print(f"  turn {turn['turn_index']} {turn['user_text']!r}: {stages}")
        assert all(value is not None and value >= 0 for value in stages.values()), stages
        assert stages["total_ms"] > 0


async def test_the_agent_stops_talking_when_the_caller_barges_in(
    conversation: Conversation, pool: dbkit.Pool, voice: speech.Voice
) -> None:
    interruption = await voice.speak(facts.INTERRUPTION)
    await conversation.hear_greeting()
    caller = conversation.caller
    asked = await caller.say(facts.LONG_ANSWER.text)
    answer_onset = await caller.wait_for_speech(asked.ended_at, within=20)

    # Two seconds into the long answer, the caller talks over it.
    await asyncio.sleep(max(0.0, answer_onset + 2.0 - time.monotonic()))
    barged = await caller.start_saying(facts.INTERRUPTION, interruption)
    recording = caller.recording()
    await asyncio.sleep(max(0.0, barged.started_at + BARGE_IN_BOUND_S + STOPPED_QUIET_S + 1.0 - time.monotonic()))

    # The agent was speaking when the caller started, and fell silent for a while soon after.
    spans = recording.speech_spans(since=answer_onset, gap=STOPPED_QUIET_S)
    talking_over = [span for span in spans if span.start <= barged.started_at <= span.end + 0.1]
    assert talking_over, f"the agent was not speaking when the caller barged in: {spans}, caller at {barged.started_at}"
    stopped_after = talking_over[0].end - barged.started_at
    print(f"\n  caller speech onset -> agent silent: {stopped_after * 1000:.0f} ms")
    assert stopped_after < BARGE_IN_BOUND_S, stopped_after

    # The worker marks the spoken part of the answer as interrupted.
    call = await calls.wait_for_call_row(pool, conversation.placed.room_name)
    deadline = time.monotonic() + 15
    interrupted: list[dict[str, Any]] = []
    while time.monotonic() < deadline and not interrupted:
        segments = await calls.transcript(pool, call["id"])
        interrupted = [s for s in segments if s["speaker"] == "ai" and s["interrupted"]]
        await asyncio.sleep(0.3)
    assert interrupted, segments
