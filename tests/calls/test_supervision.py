"""The sweep over calls whose agent died (callcenter.calls.supervision) on the running database:
finding stale calls, claiming one atomically (concurrent claimants: exactly one wins), and closing a
call nobody is on any more (checked against the running livekit-server: its room does not exist)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from callcenter.calls.summary import build_call_summarizer
from callcenter.calls.supervision import (
    CALLER_LEFT_DETAIL,
    CallSweeper,
    LiveKitRoomControl,
    Outcome,
    StaleCall,
    claim_call,
    find_stale_calls,
)
from callcenter.db import Database
from callcenter.settings import Settings, get_settings
from tests.calls.conftest import Tenant
from tests.db import dbkit

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
