"""Bad input and faults over real livekit-server with the real agent worker
(offline providers): rooms dispatched with no workspace, with metadata that is
not a dispatch, or with a workspace that does not exist are turned away (the
agent leaves, or apologizes and ends the call) and the worker takes the next
well-formed call; a caller who never speaks is asked whether they are still
there and then hung up on, with the call closed and summarized; a caller's
line noise is neither transcribed nor answered."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import numpy as np
import pytest
from livekit import api

from agent_container.session import AWAY_SECONDS
from callcenter.calls.dispatch import ROOM_PREFIX
from callcenter.calls.rooms import CallRooms, http_url
from callcenter.settings import Settings
from local_platform.layout import PORTS
from tests.db import dbkit
from tests.voice import calls, speech
from tests.voice.caller import FRAME_MS
from tests.voice.conversation import Conversation
from tests.voice.speech import PUBLISH_RATE
from tests.voice.text import contains
from tests.voice.workers import health_ok
from tests.voice.workspace import KnowledgeWorkspace, create_knowledge_workspace, remove_workspace

pytestmark = pytest.mark.slow

GREETING = "Hello, thanks for calling Fault Line Bikes."
ARTICLES = {"Store hours": "# Store hours\n\nOur store opens at nine in the morning, Monday to Saturday."}
# A turned-away dispatch: how long the caller waits to see whether an agent shows up anyway.
NO_AGENT_WAIT_S = 6.0
# Prompts are spoken this soon after the away timeout ran out (the agent's speech takes a moment to start).
PROMPT_SLACK_S = 8.0


@pytest.fixture(scope="module")
async def workspace(pool: dbkit.Pool) -> AsyncIterator[KnowledgeWorkspace]:
    created = await create_knowledge_workspace(pool, "faults", ARTICLES, greeting=GREETING)
    try:
        yield created
    finally:
        await remove_workspace(pool, created)


async def dispatch_raw(settings: Settings, metadata: str) -> str:
    """A call room whose agent dispatch carries `metadata` as is (what a misconfigured caller of the API would send)."""
    room_name = f"{ROOM_PREFIX}{uuid.uuid4()}"
    async with api.LiveKitAPI(
        http_url(settings.livekit_url), settings.livekit_api_key, settings.livekit_api_secret
    ) as lk:
        await lk.room.create_room(api.CreateRoomRequest(name=room_name, empty_timeout=30, departure_timeout=5))
        await lk.agent_dispatch.create_dispatch(
            api.CreateAgentDispatchRequest(agent_name=settings.livekit_agent_name, room=room_name, metadata=metadata)
        )
    return room_name


async def join(
    settings: Settings, room_name: str, voice: speech.Voice, transcriber: speech.Transcriber | None
) -> Conversation:
    placed = calls.PlacedCall(room_name, "", uuid.UUID(int=0), None)
    return await Conversation.start(settings, placed, voice, transcriber)


async def wait_until_gone(settings: Settings, room_name: str, within: float) -> float:
    """Seconds until the room no longer exists (the agent hung up: closing its session deletes the room)."""
    started = time.monotonic()
    rooms = CallRooms(settings)
    while time.monotonic() - started < within:
        if not await rooms.room_exists(room_name):
            return time.monotonic() - started
        await asyncio.sleep(0.5)
    raise AssertionError(f"room {room_name} still open after {within:.0f}s")


async def agents_in(settings: Settings, room_name: str) -> list[str]:
    try:
        participants = await calls.room_participants(settings, room_name)
    except api.TwirpError:
        return []  # the room is gone
    return [p.identity for p in participants if p.kind == api.ParticipantInfo.Kind.AGENT]


async def call_row(pool: dbkit.Pool, room_name: str) -> dict[str, Any] | None:
    row = await pool.fetchrow("select * from public.calls where room_name = $1", room_name)
    return dict(row) if row is not None else None


async def wait_for_ended(pool: dbkit.Pool, room_name: str, within: float) -> dict[str, Any]:
    deadline = time.monotonic() + within
    row = await calls.wait_for_call_row(pool, room_name, within)
    while time.monotonic() < deadline and row["status"] not in ("ended", "failed"):
        await asyncio.sleep(0.3)
        row = await calls.wait_for_call_row(pool, room_name, within)
    return row


async def turned_away_without_agent(settings: Settings, pool: dbkit.Pool, metadata: str, voice: speech.Voice) -> None:
    room_name = await dispatch_raw(settings, metadata)
    caller = await join(settings, room_name, voice, None)
    try:
        deadline = time.monotonic() + NO_AGENT_WAIT_S
        while time.monotonic() < deadline:
            assert caller.caller.agent_identity is None, f"{metadata!r}: an agent joined and published audio"
            assert not await agents_in(settings, room_name), f"{metadata!r}: an agent is in the room"
            await asyncio.sleep(0.5)
        assert await call_row(pool, room_name) is None, f"{metadata!r}: a call was recorded"
    finally:
        await caller.hang_up()
        await calls.delete_room(settings, room_name)


async def apologized_for_unknown_workspace(
    settings: Settings, pool: dbkit.Pool, voice: speech.Voice, transcriber: speech.Transcriber
) -> None:
    room_name = await dispatch_raw(settings, f'{{"workspace_id": "{uuid.uuid4()}"}}')
    caller = await join(settings, room_name, voice, transcriber)
    try:
        apology = await caller.hear_greeting()
        print(f"\n  unknown workspace: {apology.text!r}")
        assert contains(apology.text, "not set up"), apology.text
        deadline = time.monotonic() + 15
        while await agents_in(settings, room_name):
            assert time.monotonic() < deadline, "the agent stayed after its apology"
            await asyncio.sleep(0.5)
        # The call ends for the caller too (a phone caller left alone in the room would hear silence).
        gone_after = await wait_until_gone(settings, room_name, within=5)
        print(f"  unknown workspace: room closed {gone_after:.1f} s after the agent left")
        assert await call_row(pool, room_name) is None
    finally:
        await caller.hang_up()
        await calls.delete_room(settings, room_name)


async def test_bad_dispatches_are_turned_away_and_the_next_call_works(
    call_settings: Settings,
    pool: dbkit.Pool,
    workspace: KnowledgeWorkspace,
    voice: speech.Voice,
    transcriber: speech.Transcriber,
) -> None:
    # Two at a time: an idle worker accepts only as many simultaneous calls as it keeps prewarmed processes
    # (livekit-agents' load estimate), and livekit-server drops a dispatch no worker accepts.
    await asyncio.gather(
        turned_away_without_agent(call_settings, pool, "", voice),
        apologized_for_unknown_workspace(call_settings, pool, voice, transcriber),
    )
    await asyncio.gather(
        turned_away_without_agent(call_settings, pool, "not json at all", voice),
        turned_away_without_agent(call_settings, pool, '{"workspace_id": "not-a-uuid"}', voice),
    )
    if call_settings.livekit_agent_name == Settings().livekit_agent_name:
        assert health_ok(PORTS.agent), "the worker is not healthy after the bad dispatches"

    placed = await calls.place_call(call_settings, workspace.workspace_id)
    conversation = await Conversation.start(call_settings, placed, voice, transcriber)
    try:
        greeting = await conversation.hear_greeting()
        assert contains(greeting.text, "fault line|faultline"), greeting.text
        reply = await conversation.ask("When does the store open?")
        assert contains(reply.text, "9|nine"), reply.text
    finally:
        await conversation.hang_up()
    assert (await wait_for_ended(pool, placed.room_name, within=30))["status"] == "ended"


async def test_a_caller_who_never_speaks_is_asked_then_hung_up_on(
    call_settings: Settings,
    pool: dbkit.Pool,
    workspace: KnowledgeWorkspace,
    voice: speech.Voice,
    transcriber: speech.Transcriber,
) -> None:
    placed = await calls.place_call(call_settings, workspace.workspace_id)
    conversation = await Conversation.start(call_settings, placed, voice, transcriber)  # its microphone: silence
    caller = conversation.caller
    try:
        greeting = await conversation.hear_greeting()
        assert contains(greeting.text, "fault line|faultline"), greeting.text

        prompt_at = await caller.wait_for_speech(greeting.span.end + 1.0, within=AWAY_SECONDS + PROMPT_SLACK_S)
        prompt = await caller.wait_for_silence(prompt_at - 0.1, within=15, quiet=1.2)
        heard = await transcriber.transcribe(caller.recording().audio(prompt.start - 0.2, prompt.end + 0.3))
        waited = prompt_at - greeting.span.end
        print(f"\n  silent caller: {heard!r} {waited:.1f} s after the greeting")
        assert contains(heard, "still there"), heard
        assert AWAY_SECONDS - 1 < waited < AWAY_SECONDS + PROMPT_SLACK_S, waited

        gone_after = await wait_until_gone(call_settings, placed.room_name, within=AWAY_SECONDS + 20)
        print(f"  silent caller: hung up on {gone_after:.1f} s after the prompt")
    finally:
        await conversation.hang_up()

    call = await wait_for_ended(pool, placed.room_name, within=30)
    assert call["status"] == "ended" and call["ended_at"] is not None and call["summary"], call
    segments = await calls.transcript(pool, call["id"])
    assert not [s for s in segments if s["speaker"] == "customer"], segments
    said = [s["text"] for s in segments if s["speaker"] == "ai"]
    assert any(contains(text, "still there") for text in said), said


def pink_noise(seconds: float, rms: float, seed: int = 7) -> np.ndarray[Any, np.dtype[np.int16]]:
    """Pink (1/f) noise at PUBLISH_RATE with the given RMS in int16 units."""
    size = int(seconds * PUBLISH_RATE)
    spectrum = np.fft.rfft(np.random.default_rng(seed).standard_normal(size))
    frequencies = np.fft.rfftfreq(size, 1 / PUBLISH_RATE)
    spectrum[1:] /= np.sqrt(frequencies[1:])
    spectrum[0] = 0
    noise = np.fft.irfft(spectrum, size)
    noise *= rms / np.sqrt(np.mean(noise**2))
    return np.clip(noise, -32768, 32767).astype(np.int16)


def white_noise(seconds: float, rms: float, seed: int = 11) -> np.ndarray[Any, np.dtype[np.int16]]:
    noise = np.random.default_rng(seed).normal(0.0, rms, int(seconds * PUBLISH_RATE))
    return np.clip(noise, -32768, 32767).astype(np.int16)


async def test_line_noise_is_not_transcribed_or_answered(
    call_settings: Settings,
    pool: dbkit.Pool,
    workspace: KnowledgeWorkspace,
    voice: speech.Voice,
    transcriber: speech.Transcriber,
) -> None:
    # About -30 dBFS: a noisy line, well above the digital silence between words.
    noise = np.concatenate([white_noise(3.0, 1000.0), pink_noise(3.0, 1000.0)])
    placed = await calls.place_call(call_settings, workspace.workspace_id)
    conversation = await Conversation.start(call_settings, placed, voice, None)
    caller = conversation.caller
    try:
        greeting = await conversation.hear_greeting()
        played = await caller.start_saying("(line noise)", noise)
        assert played.duration > 5.5, played
        # Time for a reply to arrive, had the noise been taken for a turn.
        await asyncio.sleep(6.0)
        answered = caller.recording().speech_spans(since=greeting.span.end + FRAME_MS / 1000)
        assert not answered, f"the agent spoke after the greeting: {answered}"
    finally:
        await conversation.hang_up()

    call = await wait_for_ended(pool, placed.room_name, within=30)
    segments = await calls.transcript(pool, call["id"])
    customer = [s["text"] for s in segments if s["speaker"] == "customer"]
    assert not customer, f"noise was transcribed as the customer's words: {customer}"
    assert not await calls.turns(pool, call["id"]), "noise was taken for a caller turn"
