"""The call record against the running database: opening, writing off the
critical path, resuming after a worker died, heartbeat, closing; and the
database going away mid-call (through a TCP proxy that is stopped and
started again, and by terminating the recorder's connections) without
losing or duplicating anything."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from callcenter.calls.analysis import TurnAnalysis
from callcenter.calls.handoff import HandoffContext, HandoffReason, KnowledgeUsed, TranscriptLine
from callcenter.calls.records import CallRecorder, TurnRecord, is_transient
from callcenter.db import Database
from callcenter.errors import DomainError, ErrorKind
from callcenter.settings import Settings
from tests.calls.conftest import Tenant
from tests.calls.tcp_proxy import TcpProxy
from tests.db import dbkit

FAST = {"retry_initial_seconds": 0.05, "retry_max_seconds": 0.5, "heartbeat_seconds": 0.3}


def room() -> str:
    return f"call-test-{uuid.uuid4()}"


def at(seconds: float) -> datetime:
    return datetime(2026, 11, 25, 12, 0, tzinfo=UTC) + timedelta(seconds=seconds)


def analysis(score: float = -0.2) -> TurnAnalysis:
    return TurnAnalysis(
        intent="ask a question", topic="returns and refunds", sentiment_label="negative", sentiment_score=score
    )


def knowledge(title: str = "Refunds") -> KnowledgeUsed:
    return KnowledgeUsed(
        chunk_id=uuid.uuid4(),
        source_id=uuid.uuid4(),
        title=title,
        url="https://help.example.com/r",
        heading_path=["Timing"],
        content="Refunds take 5 days.",
        score=0.031,
    )


async def settled(recorder: CallRecorder, within: float = 10) -> None:
    async with asyncio.timeout(within):
        while recorder.pending:  # noqa: ASYNC110 - polling a counter the recorder's own task changes
            await asyncio.sleep(0.02)


async def die(recorder: CallRecorder) -> None:
    """What a killed worker does: nothing more. (Its queue was stored.)"""
    await settled(recorder)
    for task in (recorder._writer, recorder._heartbeat):
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def call_row(pool: dbkit.Pool, call_id: uuid.UUID) -> dict[str, Any]:
    row = await pool.fetchrow("select * from public.calls where id = $1", call_id)
    assert row is not None
    return dict(row)


# ---------------------------------------------------------------- opening and writing


async def test_open_creates_an_active_call(pool: dbkit.Pool, tenant: Tenant, db: Database) -> None:
    name = room()
    recorder, state = await CallRecorder.open(
        db,
        workspace_id=tenant.workspace_id,
        room_name=name,
        channel="phone",
        worker_id="worker-1",
        caller_number="+15551230000",
        **FAST,
    )
    try:
        assert (state.resumed, state.transcript, state.next_turn_index, state.handoff_requested) == (
            False,
            [],
            0,
            False,
        )
        row = await call_row(pool, state.call_id)
        assert row["room_name"] == name and row["workspace_id"] == tenant.workspace_id
        assert row["business_id"] == tenant.business_id
        assert (row["status"], row["channel"], row["caller_number"], row["agent_worker_id"]) == (
            "active",
            "phone",
            "+15551230000",
            "worker-1",
        )
        assert row["answered_at"] is not None and row["agent_heartbeat_at"] is not None
        assert recorder.call_id == state.call_id
    finally:
        await recorder.close()


async def test_everything_about_a_call_is_stored(pool: dbkit.Pool, tenant: Tenant, db: Database) -> None:
    recorder, state = await CallRecorder.open(
        db,
        workspace_id=tenant.workspace_id,
        room_name=room(),
        channel="browser",
        worker_id="worker-1",
        caller_identity="user-42",
        **FAST,
    )
    started = time.monotonic()
    first = recorder.add_segment("ai", "Hello, how can I help?", started_at=at(0), ended_at=at(2))
    second = recorder.add_segment(
        "customer", "How long do refunds take?", started_at=at(3), ended_at=at(5), speaker_identity="user-42"
    )
    interrupted = recorder.add_segment("ai", "Refunds take five", started_at=at(6), ended_at=at(7), interrupted=True)
    blank = recorder.add_segment("customer", "   ", started_at=at(8), ended_at=at(8))
    recorder.record_turn(
        TurnRecord(
            turn_index=0,
            user_text="How long do refunds take?",
            reply_text="Refunds take five days.",
            knowledge_used=[knowledge()],
            answered=True,
            analysis=analysis(),
            retrieval_ms=12.5,
            llm_first_token_ms=3.0,
        )
    )
    # Metrics that arrive later update the same turn and keep the rest.
    recorder.record_turn(
        TurnRecord(
            turn_index=0,
            user_text="How long do refunds take?",
            tts_first_audio_ms=210.0,
            total_ms=480.0,
            end_of_turn_ms=300.0,
            stt_ms=150.0,
        )
    )
    recorder.update_analysis(analysis(-0.2), "steady")
    recorder.update_analysis(analysis(-0.7), "worsening")
    context = HandoffContext(
        reason=HandoffReason.NEGATIVE_SENTIMENT,
        intent="ask a question",
        topic="returns and refunds",
        sentiment_label="negative",
        sentiment_score=-0.7,
        sentiment_trend="worsening",
        knowledge_used=[knowledge()],
        transcript=[TranscriptLine(speaker="customer", text="How long do refunds take?", at=at(3))],
        summary="The caller asked about refunds.",
        unanswered_question=None,
    )
    recorder.request_handoff(context)
    recorder.request_handoff(context.model_copy(update={"reason": HandoffReason.REQUESTED_PERSON}))
    assert time.monotonic() - started < 0.05  # nothing above waited for the database
    await recorder.close(summary="The caller asked how long refunds take.", detail="caller hung up")
    assert recorder.pending == 0

    segments = await pool.fetch(
        "select * from public.call_transcript_segments where call_id = $1 order by started_at", state.call_id
    )
    assert [(s["id"], s["speaker"], s["text"], s["interrupted"]) for s in segments] == [
        (first, "ai", "Hello, how can I help?", False),
        (second, "customer", "How long do refunds take?", False),
        (interrupted, "ai", "Refunds take five", True),
    ]
    assert blank not in {s["id"] for s in segments}
    assert segments[1]["speaker_identity"] == "user-42" and segments[1]["workspace_id"] == tenant.workspace_id

    [turn] = await pool.fetch("select * from public.call_turns where call_id = $1", state.call_id)
    assert (turn["turn_index"], turn["reply_text"], turn["answered"], turn["topic"]) == (
        0,
        "Refunds take five days.",
        True,
        "returns and refunds",
    )
    assert (turn["retrieval_ms"], turn["llm_first_token_ms"], turn["tts_first_audio_ms"], turn["total_ms"]) == (
        12.5,
        3.0,
        210.0,
        480.0,
    )
    [used] = json.loads(turn["knowledge_used"])
    assert used["title"] == "Refunds" and used["heading_path"] == ["Timing"]

    row = await call_row(pool, state.call_id)
    assert (row["intent"], row["topic"], row["sentiment_label"], row["sentiment_trend"]) == (
        "ask a question",
        "returns and refunds",
        "negative",
        "worsening",
    )
    assert row["sentiment_score"] == pytest.approx(-0.7)
    assert row["handoff_reason"] == "negative_sentiment"  # the first decision, only
    assert json.loads(row["handoff_context"])["summary"] == "The caller asked about refunds."
    assert row["handoff_requested_at"] is not None
    assert (row["status"], row["summary"], row["status_detail"]) == (
        "ended",
        "The caller asked how long refunds take.",
        "caller hung up",
    )
    assert row["ended_at"] >= row["started_at"]
    with pytest.raises(RuntimeError):
        recorder.add_segment("ai", "Too late", started_at=at(9), ended_at=at(10))


async def test_a_handoff_summary_follows_the_request_into_its_context(
    pool: dbkit.Pool, tenant: Tenant, db: Database
) -> None:
    recorder, state = await CallRecorder.open(
        db, workspace_id=tenant.workspace_id, room_name=room(), channel="phone", worker_id="worker-1", **FAST
    )
    try:
        # Before any request there is no context to write into: the summary changes nothing.
        recorder.add_handoff_summary("Too early.")
        await settled(recorder)
        assert (await call_row(pool, state.call_id))["handoff_context"] is None

        context = HandoffContext(reason=HandoffReason.REQUESTED_PERSON, intent="ask a question")
        stored = await recorder.request_handoff(context)
        assert stored is not None and stored.status is not None
        assert json.loads((await call_row(pool, state.call_id))["handoff_context"])["summary"] == ""

        recorder.add_handoff_summary("  The caller wants a person about a late refund.  ")
        recorder.add_handoff_summary("   ")  # blank: not written
        await settled(recorder)
        row = await call_row(pool, state.call_id)
        stored_context = json.loads(row["handoff_context"])
        assert stored_context["summary"] == "The caller wants a person about a late refund."
        assert stored_context["intent"] == "ask a question" and stored_context["reason"] == "requested_person"
        assert recorder.stats.dropped == 0
    finally:
        await recorder.close()


async def test_close_can_fail_a_call(pool: dbkit.Pool, tenant: Tenant, db: Database) -> None:
    recorder, state = await CallRecorder.open(
        db, workspace_id=tenant.workspace_id, room_name=room(), channel="phone", worker_id="w", **FAST
    )
    await recorder.close(status="failed", detail="The speech provider timed out.")
    row = await call_row(pool, state.call_id)
    assert (row["status"], row["status_detail"], row["summary"]) == ("failed", "The speech provider timed out.", None)


async def test_a_write_the_database_refuses_is_dropped_and_the_rest_stored(
    pool: dbkit.Pool, tenant: Tenant, db: Database
) -> None:
    recorder, state = await CallRecorder.open(
        db, workspace_id=tenant.workspace_id, room_name=room(), channel="phone", worker_id="w", **FAST
    )
    before = recorder.add_segment("customer", "First", started_at=at(0), ended_at=at(1))
    recorder.record_turn(TurnRecord(turn_index=2**31, user_text="out of the integer range"))
    after = recorder.add_segment("customer", "Second", started_at=at(2), ended_at=at(3))
    await recorder.close(timeout=10)
    assert recorder.stats.dropped == 1 and recorder.pending == 0
    stored = await pool.fetch("select id from public.call_transcript_segments where call_id = $1", state.call_id)
    assert {r["id"] for r in stored} == {before, after}
    assert (await call_row(pool, state.call_id))["status"] == "ended"


# ---------------------------------------------------------------- resuming


async def test_another_worker_resumes_an_unfinished_call(pool: dbkit.Pool, tenant: Tenant, db: Database) -> None:
    name = room()
    first, state = await CallRecorder.open(
        db, workspace_id=tenant.workspace_id, room_name=name, channel="phone", worker_id="worker-1", **FAST
    )
    first.add_segment("ai", "Hello!", started_at=at(0), ended_at=at(1))
    first.add_segment("customer", "Where is my parcel?", started_at=at(2), ended_at=at(3))
    first.add_segment("ai", "It ships tomorrow.", started_at=at(4), ended_at=at(5))
    first.record_turn(TurnRecord(turn_index=0, user_text="Where is my parcel?", reply_text="It ships tomorrow."))
    first.record_turn(TurnRecord(turn_index=1, user_text="Operator!", reply_text="Let me get someone."))
    first.request_handoff(HandoffContext(reason=HandoffReason.REQUESTED_PERSON, summary="Wants a person."))
    await die(first)

    second, resumed = await CallRecorder.open(
        db, workspace_id=tenant.workspace_id, room_name=name, channel="phone", worker_id="worker-2", **FAST
    )
    try:
        assert resumed.call_id == state.call_id and resumed.resumed
        assert [(line.speaker, line.text) for line in resumed.transcript] == [
            ("ai", "Hello!"),
            ("customer", "Where is my parcel?"),
            ("ai", "It ships tomorrow."),
        ]
        assert resumed.transcript[1].at == at(2)
        assert (resumed.next_turn_index, resumed.handoff_requested) == (2, True)
        assert (await call_row(pool, state.call_id))["agent_worker_id"] == "worker-2"
        second.add_segment("ai", "Sorry, where were we?", started_at=at(20), ended_at=at(21))
        second.record_turn(TurnRecord(turn_index=resumed.next_turn_index, user_text="My parcel"))
    finally:
        await second.close(summary="Resumed and finished.")
    assert (
        await pool.fetchval("select count(*) from public.call_transcript_segments where call_id = $1", state.call_id)
        == 4
    )
    assert [
        r["turn_index"]
        for r in await pool.fetch(
            "select turn_index from public.call_turns where call_id = $1 order by turn_index", state.call_id
        )
    ] == [0, 1, 2]


async def test_the_worker_that_lost_the_call_notices_and_does_not_end_it(
    pool: dbkit.Pool, tenant: Tenant, db: Database
) -> None:
    name = room()
    zombie, state = await CallRecorder.open(
        db, workspace_id=tenant.workspace_id, room_name=name, channel="phone", worker_id="worker-1", **FAST
    )
    taker, _ = await CallRecorder.open(
        db, workspace_id=tenant.workspace_id, room_name=name, channel="phone", worker_id="worker-2", **FAST
    )
    async with asyncio.timeout(5):
        while zombie.holds_call:  # noqa: ASYNC110 - set by the recorder's heartbeat task
            await asyncio.sleep(0.05)
    await zombie.close(summary="zombie")
    row = await call_row(pool, state.call_id)
    assert (row["status"], row["summary"], row["agent_worker_id"]) == ("active", None, "worker-2")
    beat = row["agent_heartbeat_at"]
    await asyncio.sleep(0.5)
    assert (await call_row(pool, state.call_id))["agent_heartbeat_at"] > beat  # the new holder's heartbeat
    assert taker.holds_call
    await taker.close()
    assert (await call_row(pool, state.call_id))["status"] == "ended"


async def test_a_browser_call_created_by_the_api_is_taken_over_by_id(
    pool: dbkit.Pool, tenant: Tenant, db: Database
) -> None:
    call_id = uuid.uuid4()
    await pool.execute(
        """insert into public.calls (id, workspace_id, business_id, room_name, channel, caller_identity, status)
           values ($1, $2, $3, $4, 'browser', 'rep@example.com', 'ringing')""",
        call_id,
        tenant.workspace_id,
        tenant.business_id,
        f"call-{call_id}",
    )
    recorder, state = await CallRecorder.open(
        db,
        workspace_id=tenant.workspace_id,
        room_name=f"call-{call_id}",
        channel="browser",
        worker_id="w",
        call_id=call_id,
        caller_identity="someone-else",
        **FAST,
    )
    await recorder.close()
    assert (state.call_id, state.resumed, state.next_turn_index) == (call_id, False, 0)
    row = await call_row(pool, call_id)
    assert row["answered_at"] is not None and row["caller_identity"] == "rep@example.com"


async def test_open_refuses_ended_calls_other_workspaces_and_unknown_workspaces(tenant: Tenant, db: Database) -> None:
    name = room()
    recorder, _ = await CallRecorder.open(
        db, workspace_id=tenant.workspace_id, room_name=name, channel="phone", worker_id="w", **FAST
    )
    with pytest.raises(DomainError) as mismatch:
        await CallRecorder.open(
            db, workspace_id=tenant.other_workspace_id, room_name=name, channel="phone", worker_id="w", **FAST
        )
    assert mismatch.value.kind is ErrorKind.INVALID
    await recorder.close()
    with pytest.raises(DomainError) as ended:
        await CallRecorder.open(
            db, workspace_id=tenant.workspace_id, room_name=name, channel="phone", worker_id="w", **FAST
        )
    assert ended.value.code == "call_ended"
    with pytest.raises(DomainError) as unknown:
        await CallRecorder.open(db, workspace_id=uuid.uuid4(), room_name=room(), channel="phone", worker_id="w")
    assert unknown.value.kind is ErrorKind.NOT_FOUND


async def test_writing_the_same_segments_twice_stores_them_once(pool: dbkit.Pool, tenant: Tenant, db: Database) -> None:
    """What a retry after a commit whose acknowledgement was lost amounts to."""
    name = room()
    ids = [uuid.uuid4() for _ in range(20)]
    for worker in ("w1", "w2"):
        recorder, state = await CallRecorder.open(
            db, workspace_id=tenant.workspace_id, room_name=name, channel="phone", worker_id=worker, **FAST
        )
        for index, segment_id in enumerate(ids):
            recorder.add_segment(
                "customer", f"Line {index}", started_at=at(index), ended_at=at(index + 0.5), segment_id=segment_id
            )
        recorder.record_turn(TurnRecord(turn_index=0, user_text="Line 0"))
        await die(recorder)
    rows = await pool.fetch("select id from public.call_transcript_segments where call_id = $1", state.call_id)
    assert sorted(r["id"] for r in rows) == sorted(ids)
    assert await pool.fetchval("select count(*) from public.call_turns where call_id = $1", state.call_id) == 1


# ---------------------------------------------------------------- the database goes away


@dataclass
class Outage:
    segment_ids: list[uuid.UUID]
    turns: int
    call_id: uuid.UUID
    most_pending: int
    talk_seconds: float
    flush_seconds: float
    recorder: CallRecorder


async def talk_through_an_outage(
    tenant: Tenant, outage_seconds: float, tuning: dict[str, float], *, lines: int, interval: float
) -> Outage:
    """A call whose caller and agent keep talking while the database is unreachable
    for `outage_seconds` (its proxy stopped), starting a little after the call does."""
    proxy = TcpProxy("127.0.0.1", 54322)
    await proxy.start()
    db = Database(Settings(database_url=f"postgresql://postgres:postgres@127.0.0.1:{proxy.port}/postgres"))
    recorder, state = await CallRecorder.open(
        db, workspace_id=tenant.workspace_id, room_name=room(), channel="phone", worker_id="w", **tuning
    )
    segment_ids: list[uuid.UUID] = []
    turns = 0
    most_pending = 0

    async def talk() -> None:
        nonlocal turns, most_pending
        for index in range(lines):
            speaker = "customer" if index % 2 == 0 else "ai"
            segment_ids.append(
                recorder.add_segment(speaker, f"Line {index}", started_at=at(index), ended_at=at(index + 0.5))
            )
            if index % 4 == 3:
                recorder.record_turn(
                    TurnRecord(
                        turn_index=turns,
                        user_text=f"Line {index - 1}",
                        reply_text=f"Line {index}",
                        answered=True,
                        analysis=analysis(),
                    )
                )
                recorder.update_analysis(analysis(), "steady")
                turns += 1
            most_pending = max(most_pending, recorder.pending)
            await asyncio.sleep(interval)

    try:
        started = time.monotonic()
        talker = asyncio.create_task(talk())
        await asyncio.sleep(lines * interval * 0.15)
        await proxy.stop()
        await asyncio.sleep(outage_seconds)
        await proxy.start()
        restored = time.monotonic()
        await talker
        talk_seconds = time.monotonic() - started
        await settled(recorder, within=60)
        flush_seconds = time.monotonic() - restored
        await recorder.close(summary="Survived the outage.", timeout=30)
    finally:
        with contextlib.suppress(Exception):
            await proxy.stop()
        await db.close()
    return Outage(segment_ids, turns, state.call_id, most_pending, talk_seconds, flush_seconds, recorder)


async def assert_nothing_lost(pool: dbkit.Pool, outage: Outage) -> None:
    rows = await pool.fetch(
        "select id, text from public.call_transcript_segments where call_id = $1 order by started_at", outage.call_id
    )
    assert len(rows) == len(outage.segment_ids)  # exactly once each
    assert [r["id"] for r in rows] == outage.segment_ids
    assert [r["text"] for r in rows] == [f"Line {index}" for index in range(len(outage.segment_ids))]
    turn_indexes = await pool.fetch(
        "select turn_index from public.call_turns where call_id = $1 order by turn_index", outage.call_id
    )
    assert [r["turn_index"] for r in turn_indexes] == list(range(outage.turns))
    row = await call_row(pool, outage.call_id)
    assert (row["status"], row["summary"], row["topic"]) == ("ended", "Survived the outage.", "returns and refunds")
    assert outage.recorder.pending == 0 and outage.recorder.stats.dropped == 0


async def test_the_database_down_mid_call_loses_nothing(pool: dbkit.Pool, tenant: Tenant) -> None:
    outage = await talk_through_an_outage(tenant, 3.0, FAST, lines=120, interval=0.04)
    await assert_nothing_lost(pool, outage)
    assert outage.recorder.stats.retries >= 3
    assert outage.most_pending >= 50  # the writes waited in memory ...
    assert outage.talk_seconds < 120 * 0.04 + 1.5  # ... while the call went on without waiting for them
    assert outage.flush_seconds < 3  # and were stored soon after the database came back


@pytest.mark.slow
async def test_the_database_down_for_thirty_seconds_loses_nothing(pool: dbkit.Pool, tenant: Tenant) -> None:
    """The issue's case, with the production retry settings (backoff capped at 5 s)."""
    outage = await talk_through_an_outage(tenant, 30.0, {"heartbeat_seconds": 5.0}, lines=200, interval=0.2)
    await assert_nothing_lost(pool, outage)
    assert outage.most_pending >= 100
    assert outage.flush_seconds < 15


async def test_connections_terminated_by_the_server_lose_nothing(pool: dbkit.Pool, tenant: Tenant) -> None:
    application = f"recorder-test-{uuid.uuid4().hex[:8]}"
    db = Database(Settings(database_url=f"{dbkit.DATABASE_URL}?application_name={application}"))
    recorder, state = await CallRecorder.open(
        db, workspace_id=tenant.workspace_id, room_name=room(), channel="phone", worker_id="w", **FAST
    )
    ids = []
    terminated = 0
    try:
        for index in range(60):
            ids.append(recorder.add_segment("customer", f"Line {index}", started_at=at(index), ended_at=at(index)))
            if index % 15 == 7:
                terminated += await pool.fetchval(
                    """select count(*) from (select pg_terminate_backend(pid) from pg_stat_activity
                       where application_name = $1) killed""",
                    application,
                )
            await asyncio.sleep(0.02)
        await recorder.close(timeout=30)
    finally:
        await db.close()
    assert terminated >= 1
    rows = await pool.fetch("select id from public.call_transcript_segments where call_id = $1", state.call_id)
    assert sorted(r["id"] for r in rows) == sorted(ids)
    assert (await call_row(pool, state.call_id))["status"] == "ended"


async def test_a_call_opened_while_the_database_is_down_is_stored_once_it_is_back(
    pool: dbkit.Pool, tenant: Tenant
) -> None:
    proxy = TcpProxy("127.0.0.1", 54322)
    await proxy.start()
    await proxy.stop()  # a port that refuses connections
    db = Database(Settings(database_url=f"postgresql://postgres:postgres@127.0.0.1:{proxy.port}/postgres"))
    name = room()
    try:
        started = time.monotonic()
        recorder, state = await CallRecorder.open(
            db,
            workspace_id=tenant.workspace_id,
            room_name=name,
            channel="phone",
            worker_id="w",
            open_timeout_seconds=0.5,
            **FAST,
        )
        assert time.monotonic() - started < 2
        assert (state.resumed, state.next_turn_index) == (False, 0)
        segment = recorder.add_segment("ai", "Hello!", started_at=at(0), ended_at=at(1))
        await asyncio.sleep(0.3)
        await proxy.start()
        await recorder.close(summary="Opened offline.", timeout=20)
    finally:
        with contextlib.suppress(Exception):
            await proxy.stop()
        await db.close()
    row = await call_row(pool, state.call_id)
    assert (row["room_name"], row["status"], row["summary"]) == (name, "ended", "Opened offline.")
    assert (
        await pool.fetchval("select id from public.call_transcript_segments where call_id = $1", state.call_id)
        == segment
    )


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (ConnectionRefusedError(111, "refused"), True),
        (TimeoutError(), True),
        (OSError("network unreachable"), True),
    ],
)
def test_transient_errors(error: BaseException, transient: bool) -> None:
    assert is_transient(error) is transient
