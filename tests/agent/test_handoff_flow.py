"""The AI's side of a handoff in text mode, against the routing SQL of the
running database: nobody available -> the caller hears their place in line,
keeps getting answers and can ask for a callback (a callback task); an
available person -> the offer rings for them; the person takes the call and
hands it back -> the AI is back (no new greeting) and may hand off again; a
person who accepts but never joins the room -> the AI takes the caller back;
the request reaches the queue before the (slow) summary, which lands after; a
worker taking over a queued call follows the queue without asking again."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from livekit import rtc

from agent_container import handoff_lines
from agent_container.plugins.grounded_llm import HANDOFF_ACCEPTED
from callcenter.calls import routing
from callcenter.calls.agent_settings import AgentSettings
from callcenter.calls.handoff import HandoffContext, HandoffReason, TranscriptLine
from callcenter.calls.records import CallRecorder, TurnRecord
from callcenter.calls.routing import HandoffStatus, PresenceStatus
from tests.agent.conftest import HELP_CENTER, Workspaces, index_article
from tests.agent.test_call_agent import reply_of, transcript_of
from tests.db import dbkit

StartCall = Any
PERSON_PLEASE = "Can I talk to a real person please?"


@dataclass(frozen=True)
class Desk:
    """A workspace of its own (its queue is only this test's) with one person on the team."""

    workspace_id: uuid.UUID
    human: dbkit.Actor


@pytest.fixture
async def desk(pool: dbkit.Pool, workspaces: Workspaces) -> AsyncIterator[Desk]:
    registry = dbkit.new_registry("handoff-flow")
    try:
        async with pool.acquire() as conn, conn.transaction():
            workspace_id = await dbkit.add_workspace(conn, workspaces.business_id, f"Handoff {uuid.uuid4().hex[:6]}")
            title = "Refunds and returns"
            await index_article(conn, workspace_id, workspaces.business_id, title, HELP_CENTER[title])
            human = await dbkit.create_user(conn, registry, "human", full_name="Sam Agent")
            await dbkit.add_business_member(conn, workspaces.business_id, human, "agent")
            await dbkit.add_workspace_member(conn, workspaces.business_id, workspace_id, human, "agent")
        yield Desk(workspace_id, human)
    finally:
        async with pool.acquire() as conn:
            await conn.execute("delete from public.workspaces where id = $1", workspace_id)
        await dbkit.cleanup(pool, registry)


async def as_human(pool: dbkit.Pool, human: dbkit.Actor, work: Callable[[Any], Any]) -> Any:
    async with pool.acquire() as conn, dbkit.acting(conn, human):
        return await work(conn)


async def until(check: Callable[[], bool], within: float = 10.0, what: str = "the condition") -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


def ai_lines(call: Any) -> list[str]:
    return [line.text for line in call.conversation.transcript if line.speaker == "ai"]


async def test_nobody_available_the_caller_hears_the_queue_and_can_ask_for_a_callback(
    start_call: StartCall, desk: Desk, pool: dbkit.Pool
) -> None:
    async with start_call(desk.workspace_id) as call:
        assert await reply_of(call, PERSON_PLEASE) == HANDOFF_ACCEPTED
        busy = handoff_lines.queue_busy(1)
        await until(lambda: busy in ai_lines(call), what="the queue line")
        assert call.flow.state.status == HandoffStatus.WAITING and call.flow.state.queue_position == 1
        assert call.flow.holds_caller
        # A yes to the offer of a callback arranges one; the LLM is not asked.
        assert ai_lines(call)[-1] == busy
        assert await reply_of(call, "Yes please.") == handoff_lines.CALLBACK_CONFIRMED
        await call.flow.settled()
        # The AI keeps helping while the caller waits.
        assert "5 business days" in await reply_of(call, "How long does a refund take?")
        # Asking again changes nothing: one open task per call.
        assert await reply_of(call, "Could someone call me back instead?") == handoff_lines.CALLBACK_CONFIRMED
        await call.flow.settled()
        await call.settle()
        call_id = call.call_id

    tasks = await pool.fetch("select * from public.callback_tasks where call_id = $1", call_id)
    assert len(tasks) == 1 and tasks[0]["status"] == "open", tasks
    assert tasks[0]["workspace_id"] == desk.workspace_id and tasks[0]["caller_identity"] == "tester"
    assert "called back" in tasks[0]["note"]
    row = await pool.fetchrow("select handoff_status::text as status, handoff_reason::text as reason from public.calls "
                              "where id = $1", call_id)  # fmt: skip
    assert row is not None and (row["status"], row["reason"]) == ("missed", "requested_person")
    turns = await pool.fetch("select user_text, answered from public.call_turns where call_id = $1 order by 1", call_id)
    assert {turn["user_text"]: turn["answered"] for turn in turns}["Yes please."] is None


async def test_an_available_person_gets_the_offer_and_the_ai_takes_the_caller_back(
    start_call: StartCall, desk: Desk, pool: dbkit.Pool
) -> None:
    await as_human(
        pool, desk.human, lambda conn: routing.set_presence(conn, desk.workspace_id, PresenceStatus.AVAILABLE)
    )
    async with start_call(desk.workspace_id) as call:
        call.flow.attach(call.session, rtc.Room(), lambda user_id, identity: pytest.fail("no one joins the room"))
        greeting = call.conversation.settings.greeting
        assert await reply_of(call, PERSON_PLEASE) == HANDOFF_ACCEPTED
        await until(lambda: call.flow.state.status == HandoffStatus.OFFERED, what="the offer")
        assert call.flow.state.offered_to == desk.human.uid
        offer = await pool.fetchrow(
            "select id, status::text as status from public.call_offers where call_id = $1", call.call_id
        )
        assert offer is not None and offer["status"] == "ringing"
        accepted = await as_human(pool, desk.human, lambda conn: routing.accept_offer(conn, offer["id"]))
        assert accepted.call_id == call.call_id
        await until(lambda: call.flow.state.status == HandoffStatus.CONNECTED, what="the connection")
        assert call.flow.holds_caller
        assert not any("in line" in line for line in ai_lines(call))  # somebody was there: no queue line

        await as_human(pool, desk.human, lambda conn: routing.hand_back(conn, call.call_id))
        await call.flow.take_back()
        await until(lambda: handoff_lines.BACK in ai_lines(call), what="the back line")
        assert ai_lines(call).count(greeting) == 1  # never greeted again

        # Back with the AI, a new request hands off again; the person is in wrap-up, so the caller waits.
        assert await reply_of(call, "I want to speak to a human.") == HANDOFF_ACCEPTED
        await until(lambda: handoff_lines.queue_busy(1) in ai_lines(call), what="the queue line")
        await call.settle()
        call_id = call.call_id
    assert ("ai", handoff_lines.BACK, False) in await transcript_of(pool, call_id)


async def test_a_worker_taking_over_a_queued_call_follows_the_queue(
    start_call: StartCall, desk: Desk, pool: dbkit.Pool, database: Any
) -> None:
    room = f"call-test-{uuid.uuid4()}"
    first, _ = await CallRecorder.open(
        database, workspace_id=desk.workspace_id, room_name=room, channel="browser", worker_id="dead-worker",
        heartbeat_seconds=0,
    )  # fmt: skip
    state = await first.request_handoff(HandoffContext(reason=HandoffReason.REQUESTED_PERSON, summary="Wants one."))
    assert state is not None and state.status == HandoffStatus.WAITING
    requested_at = await pool.fetchval("select handoff_requested_at from public.calls where id = $1", first.call_id)

    async with start_call(desk.workspace_id, room_name=room, position_update_seconds=1.0) as call:
        assert call.conversation.resume.handoff_status == HandoffStatus.WAITING
        await call.flow.resume()
        await until(lambda: handoff_lines.queue_busy(1) in ai_lines(call), what="the queue line")
        # About every minute (a second here) the caller hears their place again.
        await until(lambda: handoff_lines.queue_update(1) in ai_lines(call), what="the position update")
        call.flow._position_every = 3600.0  # no update in the middle of the turn below
        # The caller asks again: the call keeps its place (no second request).
        assert await reply_of(call, PERSON_PLEASE) == HANDOFF_ACCEPTED
        await call.settle()
        call_id = call.call_id
    assert await pool.fetchval("select handoff_requested_at from public.calls where id = $1", call_id) == requested_at


SLOW_SUMMARY = "The caller asked for a person; this summary took a while."


class GatedSummarizer:
    """A summarizer as slow as the test wants: it answers once the gate opens (a hosted model taking seconds)."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.asked = asyncio.Event()

    async def summarize(
        self,
        transcript: Sequence[TranscriptLine],
        settings: AgentSettings,
        *,
        turns: Sequence[TurnRecord] = (),
        handoff_reason: HandoffReason | None = None,
    ) -> str:
        self.asked.set()
        await self.gate.wait()
        return SLOW_SUMMARY


async def test_the_request_reaches_the_queue_before_the_summary_which_lands_after(
    start_call: StartCall, desk: Desk, pool: dbkit.Pool
) -> None:
    summarizer = GatedSummarizer()
    async with start_call(desk.workspace_id) as call:
        call.conversation._summarizer = summarizer
        assert await reply_of(call, PERSON_PLEASE) == HANDOFF_ACCEPTED
        await until(lambda: call.flow.state.status == HandoffStatus.WAITING, what="the call in the queue")
        assert summarizer.asked.is_set() and not summarizer.gate.is_set()
        row = await pool.fetchrow(
            "select handoff_status::text as status, handoff_context->>'summary' as summary from public.calls "
            "where id = $1",
            call.call_id,
        )
        assert row is not None and (row["status"], row["summary"]) == ("waiting", "")

        summarizer.gate.set()
        await call.settle()
        assert call.conversation.handoff is not None and call.conversation.handoff.summary == SLOW_SUMMARY
        stored = await pool.fetchrow(
            "select handoff_status::text as status, handoff_context from public.calls where id = $1", call.call_id
        )
        assert stored is not None and stored["status"] == "waiting"
        context = HandoffContext.model_validate_json(stored["handoff_context"])
        assert context.summary == SLOW_SUMMARY and context.reason == HandoffReason.REQUESTED_PERSON
        assert context.transcript  # the rest of the context was stored with the request


async def test_a_person_who_accepts_but_never_joins_gives_the_caller_back_to_the_ai(
    start_call: StartCall, desk: Desk, pool: dbkit.Pool
) -> None:
    await as_human(
        pool, desk.human, lambda conn: routing.set_presence(conn, desk.workspace_id, PresenceStatus.AVAILABLE)
    )
    async with start_call(desk.workspace_id, join_timeout_seconds=1.0) as call:
        call.flow.attach(call.session, rtc.Room(), lambda user_id, identity: pytest.fail("no one joins the room"))
        assert await reply_of(call, PERSON_PLEASE) == HANDOFF_ACCEPTED
        await until(lambda: call.flow.state.status == HandoffStatus.OFFERED, what="the offer")
        offer_id = await pool.fetchval("select id from public.call_offers where call_id = $1", call.call_id)
        await as_human(pool, desk.human, lambda conn: routing.accept_offer(conn, offer_id))
        await until(lambda: call.flow.state.status == HandoffStatus.CONNECTED, what="the connection")
        assert call.flow.holds_caller and handoff_lines.NOT_JOINED not in ai_lines(call)

        # Nobody joins the room: after the join timeout the AI has the caller again.
        await until(lambda: handoff_lines.NOT_JOINED in ai_lines(call), what="the couldn't-join line")
        assert call.flow.state.status == HandoffStatus.RETURNED and not call.flow.holds_caller
        row = await pool.fetchrow(
            "select handoff_status::text as status, human_user_id, human_left_at from public.calls where id = $1",
            call.call_id,
        )
        assert row is not None and row["status"] == "returned" and row["human_left_at"] is not None
        presence = await pool.fetchval(
            "select status::text from public.agent_presence where workspace_id = $1 and user_id = $2",
            desk.workspace_id,
            desk.human.uid,
        )
        assert presence == "wrap_up"

        # Back with the AI: it answers again.
        assert "5 business days" in await reply_of(call, "How long does a refund take?")
        await call.settle()
