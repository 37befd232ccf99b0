"""The worker holding a call is killed (SIGKILL of its process group, as a
crashed host) while the caller is still on the line: another worker must pick
the call up, carrying on the same call record with the transcript so far.

livekit-server v1.13.5 (open source) does not do this by itself: when a
worker's connection drops it deregisters the worker's jobs and leaves the
room's dispatch as it was ("TODO update dispatch state" in
AgentHandler.deregisterWorker; HandleMigrateJob is a no-op "not implemented
on OSS"), and livekit-agents 1.8.9 only reports its own jobs again after a
reconnect (MigrateJobRequest), which a dead worker cannot do. So taking a call
over is the product's job; this test checks the outcome, and on failure says
what the server and the database show.

The test runs its own two workers under an agent name of their own, so the
launcher's worker never receives this call and killing one harms nothing else."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from livekit import api

from callcenter.settings import Settings
from tests.db import dbkit
from tests.voice import calls, facts, speech
from tests.voice.conversation import END_OF_REPLY_QUIET_S, Conversation
from tests.voice.text import missing
from tests.voice.workers import WorkerProcess, agent_container_present
from tests.voice.workspace import KnowledgeWorkspace, create_knowledge_workspace, remove_workspace

pytestmark = pytest.mark.slow

TAKEOVER_WITHIN_S = 60.0
RESUME_LINE_WITHIN_S = 30.0


@pytest.fixture(scope="module")
async def workspace(pool: dbkit.Pool) -> AsyncIterator[KnowledgeWorkspace]:
    created = await create_knowledge_workspace(pool, "failover", facts.ARTICLES, greeting=facts.GREETING)
    try:
        yield created
    finally:
        await remove_workspace(pool, created)


@pytest.fixture
def own_agent_name(settings: Settings, livekit_server: str) -> str:
    if not agent_container_present():
        pytest.fail("agent_container is not there yet: the voice agent worker cannot start", pytrace=False)
    return f"{settings.livekit_agent_name}-failover-{uuid.uuid4().hex[:6]}"


@pytest.fixture
async def workers(settings: Settings, own_agent_name: str) -> AsyncIterator[tuple[WorkerProcess, WorkerProcess]]:
    first = WorkerProcess(settings, agent_name=own_agent_name, label="failover-first")
    second = WorkerProcess(settings, agent_name=own_agent_name, label="failover-second")
    try:
        yield first, second
    finally:
        first.stop()
        second.stop()


async def _server_view(settings: Settings, room_name: str) -> dict[str, Any]:
    """What livekit-server says about the room: its dispatches with their jobs' states, and who is in it."""
    dispatches = await calls.dispatches(settings, room_name)
    participants = await calls.room_participants(settings, room_name)
    return {
        "jobs": [
            (job.id, api.JobStatus.Name(job.state.status), job.state.participant_identity, job.state.worker_id)
            for dispatch in dispatches
            for job in dispatch.state.jobs
        ],
        "participants": [(p.identity, api.ParticipantInfo.Kind.Name(p.kind)) for p in participants],
    }


async def test_a_call_whose_worker_dies_is_picked_up_by_another_worker(
    settings: Settings,
    own_agent_name: str,
    workers: tuple[WorkerProcess, WorkerProcess],
    workspace: KnowledgeWorkspace,
    pool: dbkit.Pool,
    voice: speech.Voice,
    transcriber: speech.Transcriber,
) -> None:
    first, second = workers
    first.start()
    await asyncio.to_thread(first.wait_ready)

    before, after = facts.QUESTIONS[0], facts.QUESTIONS[1]
    placed = await calls.place_call(
        settings.model_copy(update={"livekit_agent_name": own_agent_name}), workspace.workspace_id
    )
    conversation = await Conversation.start(settings, placed, voice, transcriber)
    try:
        await conversation.hear_greeting()
        reply = await conversation.ask(before.text)
        assert not missing(reply.text, list(before.expected)), reply.text
        call = await calls.wait_for_call_row(pool, placed.room_name)
        first_agent, first_worker_id = conversation.caller.agent_identity, call["agent_worker_id"]

        # The survivor is registered before the first worker dies.
        second.start()
        await asyncio.to_thread(second.wait_ready)
        first.kill()
        killed_at = time.monotonic()

        observations: list[tuple[float, dict[str, Any], str | None]] = []
        deadline = killed_at + TAKEOVER_WITHIN_S
        taken_over = False
        while time.monotonic() < deadline:
            row = await calls.wait_for_call_row(pool, placed.room_name)
            view = await _server_view(settings, placed.room_name)
            observations.append((round(time.monotonic() - killed_at, 1), view, row["agent_worker_id"]))
            new_agent = conversation.caller.agent_identity not in (None, first_agent)
            if new_agent and row["agent_worker_id"] != first_worker_id:
                taken_over = True
                break
            await asyncio.sleep(1.0)
        took = time.monotonic() - killed_at
        summary = "\n".join(f"  +{t:>5}s server={v} calls.agent_worker_id={w}" for t, v, w in observations[::5])
        assert taken_over, (
            f"no worker took the call over within {TAKEOVER_WITHIN_S:.0f}s of the kill "
            f"(first worker {first_worker_id}, agent {first_agent}); what the server and the database showed:\n"
            f"{summary}"
        )
        print(f"\n  call taken over {took:.1f}s after the worker was killed")

        # The new agent carries on where the call was: a short apology, not the greeting again.
        opening = await conversation.caller.wait_for_quiet_turn(killed_at, RESUME_LINE_WITHIN_S, END_OF_REPLY_QUIET_S)
        heard = await transcriber.transcribe(
            conversation.caller.recording().audio(opening.start - 0.2, opening.end + 0.3)
        )
        assert not missing(heard, ["where", "were", "we"]) and missing(heard, ["Green", "Valley"]), heard
        reply = await conversation.ask(after.text)
        assert not missing(reply.text, list(after.expected)), reply.text
    finally:
        await conversation.hang_up()

    # One call record, its transcript and turns carried on across both workers.
    segments = await calls.transcript(pool, call["id"])
    customer = " ".join(s["text"] for s in segments if s["speaker"] == "customer")
    assert not missing(customer, ["store", "return"]), customer
    turns = await calls.turns(pool, call["id"])
    indexes = [t["turn_index"] for t in turns]
    assert len(indexes) == len(set(indexes)) and len(indexes) >= 2, turns
    assert await pool.fetchval("select count(*) from public.calls where room_name = $1", placed.room_name) == 1
