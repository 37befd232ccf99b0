"""The sweep over calls nobody answers (callcenter.calls.supervision) on the running database:
finding stale calls, claiming one atomically (concurrent claimants: exactly one wins), and closing a
call nobody is on any more (checked against the running livekit-server: its room does not exist);
ringing calls whose dispatch found no worker dispatched again, a few times, then failed with the reason
(against the running livekit-server, and, slow, answered by a worker started after the first dispatch
was dropped); the handoff queue moved along by the same sweep."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from livekit import api, rtc

from callcenter.calls.dispatch import CallDispatch, room_name_for
from callcenter.calls.rooms import CallRooms
from callcenter.calls.summary import build_call_summarizer
from callcenter.calls.supervision import (
    CALLER_LEFT_DETAIL,
    DISPATCH_SETTLE_SECONDS,
    JOB_LAUNCH_GRACE_SECONDS,
    CallSweeper,
    LiveKitRoomControl,
    Outcome,
    StaleCall,
    claim_call,
    claim_unanswered_call,
    dispatch_in_flight,
    fail_unanswered_call,
    find_stale_calls,
    find_unanswered_calls,
    no_agent_detail,
)
from callcenter.db import Database
from callcenter.settings import Settings, get_settings
from tests.calls.conftest import Tenant
from tests.db import dbkit
from tests.voice import calls
from tests.voice.workers import STARTUP_TIMEOUT_S, WorkerProcess, agent_container_present

# Far below the workers' own thresholds (15 s, 5 min): the launcher's supervisor never touches these calls.
STALE_AFTER = 1.0
SILENT_FOR = timedelta(seconds=4)


async def insert_call(
    pool: dbkit.Pool,
    tenant: Tenant,
    *,
    holder: str | None = "AW_dead/AJ_dead",
    silent_for: timedelta = SILENT_FOR,
    status: str = "active",
) -> uuid.UUID:
    call_id = uuid.uuid4()
    await pool.execute(
        """insert into public.calls (id, workspace_id, business_id, room_name, channel, status, started_at,
                                     answered_at, agent_worker_id, agent_heartbeat_at, ended_at)
           values ($1, $2, $3, $4, 'browser', $5::public.call_status, now() - interval '1 minute',
                   now() - interval '1 minute', $6, now() - $7::interval,
                   case when $5 in ('ended', 'failed') then now() end)""",
        call_id,
        tenant.workspace_id,
        tenant.business_id,
        f"call-supervision-test-{call_id}",
        status,
        holder,
        silent_for,
    )
    return call_id


async def stale(pool: dbkit.Pool, tenant: Tenant) -> dict[uuid.UUID, StaleCall]:
    async with pool.acquire() as conn:
        found = await find_stale_calls(conn, stale_after_seconds=STALE_AFTER, workspace_id=tenant.workspace_id)
    return {call.id: call for call in found}


@pytest.fixture(autouse=True)
async def no_live_calls_left(pool: dbkit.Pool, tenant: Tenant) -> None:
    await pool.execute(
        "update public.calls set status = 'ended', ended_at = now()"
        " where workspace_id = $1 and status in ('active', 'ringing')",
        tenant.workspace_id,
    )


async def test_only_live_calls_with_a_stale_heartbeat_are_found(pool: dbkit.Pool, tenant: Tenant) -> None:
    dead = await insert_call(pool, tenant)
    fresh = await insert_call(pool, tenant, silent_for=timedelta(0))
    ended = await insert_call(pool, tenant, status="ended")
    unassigned_ringing = await insert_call(pool, tenant, status="ringing", holder=None)
    assigned_ringing = await insert_call(pool, tenant, status="ringing")

    found = await stale(pool, tenant)

    assert set(found) == {dead, assigned_ringing}, (fresh, ended, unassigned_ringing)
    assert found[dead].holder == "AW_dead/AJ_dead" and found[dead].holder_job_id == "AJ_dead"
    assert found[dead].silent_seconds >= SILENT_FOR.total_seconds()


async def test_of_concurrent_claimants_exactly_one_wins(pool: dbkit.Pool, tenant: Tenant) -> None:
    call_id = await insert_call(pool, tenant)
    call = (await stale(pool, tenant))[call_id]

    async def claimant(name: str) -> bool:
        async with pool.acquire() as conn, conn.transaction():
            return await claim_call(conn, call, claimant=name, stale_after_seconds=STALE_AFTER)

    names = [f"supervisor-{n}" for n in range(6)]
    won = await asyncio.gather(*(claimant(name) for name in names))

    assert sum(won) == 1, won
    row = await pool.fetchrow("select agent_worker_id, agent_heartbeat_at from public.calls where id = $1", call_id)
    assert row["agent_worker_id"] == names[won.index(True)]
    assert datetime.now(UTC) - row["agent_heartbeat_at"] < timedelta(seconds=2)
    # Claimed, the call's heartbeat is fresh: nobody finds or claims it again until it goes stale.
    assert call_id not in await stale(pool, tenant)


async def test_a_claimant_waiting_on_the_row_loses_once_the_first_commits(pool: dbkit.Pool, tenant: Tenant) -> None:
    call_id = await insert_call(pool, tenant)
    call = (await stale(pool, tenant))[call_id]

    async with pool.acquire() as first, pool.acquire() as second:
        first_tx = first.transaction()
        await first_tx.start()
        assert await claim_call(first, call, claimant="supervisor-first", stale_after_seconds=STALE_AFTER)

        second_claim = asyncio.create_task(
            claim_call(second, call, claimant="supervisor-second", stale_after_seconds=STALE_AFTER)
        )
        await asyncio.sleep(0.5)
        assert not second_claim.done(), "the second claimant did not wait for the first one's row lock"
        await first_tx.commit()
        assert await asyncio.wait_for(second_claim, 10) is False

    assert await pool.fetchval("select agent_worker_id from public.calls where id = $1", call_id) == "supervisor-first"


async def test_a_call_another_worker_took_over_meanwhile_is_not_claimed(pool: dbkit.Pool, tenant: Tenant) -> None:
    call_id = await insert_call(pool, tenant)
    call = (await stale(pool, tenant))[call_id]
    # As CallRecorder.open does when a re-dispatched job takes the call.
    await pool.execute(
        "update public.calls set agent_worker_id = 'AW_new/AJ_new', agent_heartbeat_at = now() - interval '5 seconds'"
        " where id = $1",
        call_id,
    )

    async with pool.acquire() as conn:
        assert not await claim_call(conn, call, claimant="supervisor", stale_after_seconds=STALE_AFTER)
    assert await pool.fetchval("select agent_worker_id from public.calls where id = $1", call_id) == "AW_new/AJ_new"


@pytest.fixture
def live_settings() -> Settings:
    settings = get_settings()
    if not settings.livekit_api_secret:
        pytest.fail("LIVEKIT_API_SECRET is not set: run ./dev up (it writes .local/runtime.env)", pytrace=False)
    return settings


async def test_a_call_whose_room_is_gone_is_closed_with_a_summary(
    pool: dbkit.Pool, tenant: Tenant, db: Database, live_settings: Settings
) -> None:
    call_id = await insert_call(pool, tenant)
    recent_id = await insert_call(pool, tenant, silent_for=timedelta(seconds=1.5))
    await pool.execute(
        """insert into public.call_transcript_segments (id, call_id, workspace_id, speaker, text, started_at, ended_at)
           values ($1, $3, $4, 'customer', 'Do you have a store in Springfield?', now() - interval '50 seconds',
                   now() - interval '48 seconds'),
                  ($2, $3, $4, 'ai', 'Yes, our Springfield store is on Main Street.', now() - interval '47 seconds',
                   now() - interval '45 seconds')""",
        uuid.uuid4(),
        uuid.uuid4(),
        call_id,
        tenant.workspace_id,
    )
    sweeper = CallSweeper(
        db,
        LiveKitRoomControl(live_settings),
        build_call_summarizer(live_settings),
        claimant="supervisor-test",
        default_agent_name=live_settings.livekit_agent_name,
        stale_after_seconds=STALE_AFTER,
        abandoned_after_seconds=SILENT_FOR.total_seconds() - 1,
        workspace_id=tenant.workspace_id,
    )

    results = await sweeper.sweep()

    assert [(r.call_id, r.outcome) for r in results] == [(call_id, Outcome.CLOSED)]
    row = await pool.fetchrow("select * from public.calls where id = $1", call_id)
    assert (row["status"], row["status_detail"], row["agent_worker_id"]) == (
        "failed",
        CALLER_LEFT_DETAIL,
        "supervisor-test",
    )
    assert row["ended_at"] is not None and "Springfield" in (row["summary"] or ""), row["summary"]
    # Silent for less than the abandonment threshold: the holder may only have lost the database.
    assert await pool.fetchval("select status::text from public.calls where id = $1", recent_id) == "active"


# ---------------------------------------------------------------- calls no agent answered


async def insert_ringing_call(
    pool: dbkit.Pool, tenant: Tenant, *, ringing_for: timedelta = SILENT_FOR, room_name: str | None = None
) -> uuid.UUID:
    """A browser call as the API creates it: ringing, nobody holding it."""
    call_id = uuid.uuid4()
    await pool.execute(
        """insert into public.calls (id, workspace_id, business_id, room_name, channel, status, started_at)
           values ($1, $2, $3, $4, 'browser', 'ringing', now() - $5::interval)""",
        call_id,
        tenant.workspace_id,
        tenant.business_id,
        room_name or room_name_for(call_id),
        ringing_for,
    )
    return call_id


async def unanswered(pool: dbkit.Pool, tenant: Tenant) -> set[uuid.UUID]:
    async with pool.acquire() as conn:
        found = await find_unanswered_calls(
            conn, unanswered_after_seconds=STALE_AFTER, workspace_id=tenant.workspace_id
        )
    return {call.id for call in found}


async def test_only_ringing_calls_nobody_holds_count_as_unanswered(pool: dbkit.Pool, tenant: Tenant) -> None:
    waiting = await insert_ringing_call(pool, tenant)
    just_placed = await insert_ringing_call(pool, tenant, ringing_for=timedelta(0))
    held = await insert_call(pool, tenant, status="ringing")
    active = await insert_call(pool, tenant)

    assert await unanswered(pool, tenant) == {waiting}, (just_placed, held, active)


async def test_of_concurrent_redispatches_exactly_one_wins(pool: dbkit.Pool, tenant: Tenant) -> None:
    call_id = await insert_ringing_call(pool, tenant)

    async def claimant() -> bool:
        async with pool.acquire() as conn, conn.transaction():
            return await claim_unanswered_call(conn, call_id, unanswered_after_seconds=STALE_AFTER)

    won = await asyncio.gather(*(claimant() for _ in range(6)))

    assert sum(won) == 1, won
    # The claim is the latest dispatch: the call is not looked at again until the interval passed.
    assert call_id not in await unanswered(pool, tenant)
    await asyncio.sleep(STALE_AFTER + 0.2)
    assert call_id in await unanswered(pool, tenant)


async def test_a_call_a_worker_picked_up_is_neither_redispatched_nor_failed(pool: dbkit.Pool, tenant: Tenant) -> None:
    call_id = await insert_ringing_call(pool, tenant)
    # As CallRecorder.open does when the dispatched job takes the call.
    await pool.execute(
        "update public.calls set status = 'active', agent_worker_id = 'AW_new/AJ_new', agent_heartbeat_at = now()"
        " where id = $1",
        call_id,
    )
    async with pool.acquire() as conn:
        assert not await claim_unanswered_call(conn, call_id, unanswered_after_seconds=0)
        assert not await fail_unanswered_call(conn, call_id, detail="no agent")
    assert await pool.fetchval("select status::text from public.calls where id = $1", call_id) == "active"


def agent_dispatch(created_s_ago: float, *jobs: tuple[str, int, float]) -> api.AgentDispatch:
    """A dispatch as livekit-server lists it: (job id, status, seconds since the job started) per job."""
    now = time.time()
    return api.AgentDispatch(
        agent_name="callcenter-agent",
        state=api.AgentDispatchState(
            created_at=int((now - created_s_ago) * 1e9),
            jobs=[
                api.Job(id=job_id, state=api.JobState(status=status, started_at=int((now - started_s_ago) * 1e9)))
                for job_id, status, started_s_ago in jobs
            ],
        ),
    )


def test_a_dispatch_is_in_flight_while_livekit_places_it_or_a_worker_starts_its_job() -> None:
    now = time.time()
    running, ended = api.JobStatus.JS_RUNNING, api.JobStatus.JS_SUCCESS

    # livekit-server still looking for a worker, then giving up (it keeps the dispatch, without a job).
    assert dispatch_in_flight(agent_dispatch(3), now=now)
    assert not dispatch_in_flight(agent_dispatch(DISPATCH_SETTLE_SECONDS + 1), now=now)
    # A worker took it: on its way while the job starts, dead (or lost) long after.
    assert dispatch_in_flight(agent_dispatch(60, ("AJ_1", running, 30)), now=now)
    assert not dispatch_in_flight(agent_dispatch(200, ("AJ_1", running, JOB_LAUNCH_GRACE_SECONDS + 5)), now=now)
    assert not dispatch_in_flight(agent_dispatch(60, ("AJ_1", ended, 30)), now=now)
    # The dead holder's own job brings nobody.
    assert not dispatch_in_flight(agent_dispatch(60, ("AJ_dead", running, 30)), now=now, ignore_job_id="AJ_dead")


async def test_the_sweep_moves_the_handoff_queue_along(pool: dbkit.Pool, tenant: Tenant, db: Database) -> None:
    owner = await pool.fetchval(
        "select user_id from public.business_members where business_id = $1 limit 1", tenant.business_id
    )
    # Available, but the console stopped heartbeating a minute ago (closed tab): the SQL takes them offline.
    await pool.execute(
        """insert into public.agent_presence (workspace_id, user_id, business_id, status, available_since, last_seen_at)
           values ($1, $2, $3, 'available', now() - interval '2 minutes', now() - interval '1 minute')
           on conflict (workspace_id, user_id) do update set status = 'available',
             available_since = excluded.available_since, last_seen_at = excluded.last_seen_at""",
        tenant.workspace_id,
        owner,
        tenant.business_id,
    )
    settings = Settings(database_url=dbkit.DATABASE_URL)
    sweeper = CallSweeper(
        db,
        LiveKitRoomControl(settings),
        build_call_summarizer(settings),
        claimant="supervisor-test",
        default_agent_name="nobody",
        workspace_id=tenant.workspace_id,
    )

    await sweeper.sweep()

    status = await pool.fetchval(
        "select status::text from public.agent_presence where workspace_id = $1 and user_id = $2",
        tenant.workspace_id,
        owner,
    )
    assert status == "offline"


async def test_a_call_no_worker_answers_is_redispatched_then_fails_with_the_reason(
    pool: dbkit.Pool, tenant: Tenant, db: Database, live_settings: Settings
) -> None:
    nobody = f"nobody-serves-{uuid.uuid4().hex[:8]}"
    call_id = await insert_ringing_call(pool, tenant, ringing_for=timedelta(0))
    room_name = room_name_for(call_id)
    await CallRooms(live_settings.model_copy(update={"livekit_agent_name": nobody})).open_call_room(
        room_name, CallDispatch(workspace_id=tenant.workspace_id, call_id=call_id)
    )
    sweeper = CallSweeper(
        db,
        # livekit-server gives up on a dispatch no worker takes after about 5 s.
        LiveKitRoomControl(live_settings, dispatch_settle_seconds=7),
        build_call_summarizer(live_settings),
        claimant="supervisor-test",
        default_agent_name=live_settings.livekit_agent_name,
        unanswered_after_seconds=1,
        max_dispatch_attempts=2,
        workspace_id=tenant.workspace_id,
    )
    rooms = CallRooms(live_settings)
    try:
        outcomes: list[Outcome] = []
        deadline = time.monotonic() + 45
        while Outcome.NO_AGENT not in outcomes and time.monotonic() < deadline:
            outcomes += [result.outcome for result in await sweeper.sweep() if result.call_id == call_id]
            await asyncio.sleep(0.5)

        assert outcomes == [Outcome.REDISPATCHED, Outcome.NO_AGENT], outcomes
        row = await pool.fetchrow(
            "select status::text, status_detail, ended_at from public.calls where id = $1", call_id
        )
        assert row["status"] == "failed" and row["ended_at"] is not None
        assert row["status_detail"] == no_agent_detail(2, nobody), row["status_detail"]
        # The caller is hung up on, not left waiting in the room.
        assert not await rooms.room_exists(room_name)
    finally:
        await rooms.close_room(room_name)


def warm_processes(health_text: str) -> int:
    """The warm job processes a health answer reports ("... (job processes: 2 warm, 1 starting, 0 on a call)")."""
    match = re.search(r"(\d+) warm", health_text)
    return int(match.group(1)) if match else -1


async def health_answer(port: int) -> tuple[int, str] | None:
    try:
        async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/") as response:
            return response.status, await response.text()
    except aiohttp.ClientConnectionError:
        return None


@pytest.mark.slow
async def test_a_call_dispatched_before_its_worker_runs_is_answered_once_it_does(
    pool: dbkit.Pool, tenant: Tenant, db: Database, live_settings: Settings
) -> None:
    """The restart case: the dispatch finds no worker and livekit-server drops it; the sweep dispatches again
    until the worker, started meanwhile, answers; exactly one agent joins. The worker's health stays 503 until
    it is registered with a warm job process."""
    if not agent_container_present():
        pytest.fail("agent_container is not there: the voice agent worker cannot start", pytrace=False)
    agent_name = f"{live_settings.livekit_agent_name}-redispatch-{uuid.uuid4().hex[:6]}"
    call_id = await insert_ringing_call(pool, tenant, ringing_for=timedelta(0))
    room_name = room_name_for(call_id)
    rooms = CallRooms(live_settings.model_copy(update={"livekit_agent_name": agent_name}))
    await rooms.open_call_room(room_name, CallDispatch(workspace_id=tenant.workspace_id, call_id=call_id))
    caller = rtc.Room()
    await caller.connect(
        live_settings.livekit_url, rooms.participant_token(room_name, identity="caller", name="Caller")
    )
    sweeper = CallSweeper(
        db,
        LiveKitRoomControl(live_settings, dispatch_settle_seconds=8),
        build_call_summarizer(live_settings),
        claimant="supervisor-test",
        default_agent_name=agent_name,
        unanswered_after_seconds=2,
        max_dispatch_attempts=100,
        workspace_id=tenant.workspace_id,
    )
    outcomes: list[tuple[float, Outcome]] = []

    async def keep_sweeping() -> None:
        while True:
            results = await sweeper.sweep()
            outcomes.extend((time.monotonic(), r.outcome) for r in results if r.call_id == call_id)
            await asyncio.sleep(1)

    sweeping = asyncio.create_task(keep_sweeping())
    worker = WorkerProcess(live_settings, agent_name=agent_name, label="redispatch")
    worker.start()
    health: list[tuple[bool, int, str]] = []
    try:
        answered_at: float | None = None
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while answered_at is None:
            assert time.monotonic() < deadline, f"not answered; sweeps: {outcomes}; worker:\n{worker.log_tail()}"
            registered = worker.registered()
            if (answer := await health_answer(worker.port)) is not None:
                health.append((registered, *answer))
            row = await pool.fetchrow("select status::text, agent_worker_id from public.calls where id = $1", call_id)
            if row["status"] == "active" and row["agent_worker_id"]:
                answered_at = time.monotonic()
            await asyncio.sleep(0.5)
        await asyncio.sleep(12)  # sweeps after the answer must leave the call alone

        redispatches = [at for at, outcome in outcomes if outcome is Outcome.REDISPATCHED]
        assert redispatches and all(at < answered_at for at in redispatches), (outcomes, answered_at)
        participants = await calls.room_participants(live_settings, room_name)
        agents = [p.identity for p in participants if p.kind == api.ParticipantInfo.Kind.AGENT]
        assert len(agents) == 1, agents

        healthy = [(registered, text) for registered, status, text in health if status == 200]
        assert healthy and all(registered and warm_processes(text) >= 1 for registered, text in healthy), health
        assert health[0][1] == 503, health[0]
    finally:
        sweeping.cancel()
        await caller.disconnect()
        await rooms.close_room(room_name)
        worker.stop()
