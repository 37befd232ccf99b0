"""Calls whose agent died: found, claimed, handed to a live worker or closed.

A job that holds a call heartbeats `calls.agent_heartbeat_at` every few
seconds (CallRecorder). When its worker dies (a crashed host, a SIGKILL),
livekit-server does not dispatch the room again (v1.13.5 leaves the job
running), so the caller would sit in silence. A sweep, run every few seconds
by every agent worker (an API or a scheduled Lambda could run the same one):

1. finds live calls whose heartbeat is stale (15 s: three missed beats);
2. asks LiveKit about the room: the holder's agent participant still there
   means the holder lives (maybe cut off from the database): left alone;
3. the caller alone in the room: claims the call in one guarded UPDATE (still
   held by the same holder, still stale; of concurrent sweepers exactly one
   wins) and dispatches the agent again (the room's agent name, `CallDispatch`
   with the call id); the new job takes the record over with its transcript
   (`CallRecorder.open`). If no job takes it, the claim goes stale in turn and
   a later sweep looks again (without adding a dispatch while one waits);
4. nobody on the line (room empty or gone) for 5 minutes: claims and closes
   the call as failed, with a summary of the transcript so far.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol
from uuid import UUID

import aiohttp
import asyncpg
from livekit import api

from callcenter.calls.agent_settings import load_agent_settings
from callcenter.calls.dispatch import CallDispatch
from callcenter.calls.handoff import TranscriptLine
from callcenter.calls.rooms import livekit_api
from callcenter.calls.summary import CallSummarizer
from callcenter.db import Database
from callcenter.errors import DomainError
from callcenter.settings import Settings

log = logging.getLogger(__name__)

# CallRecorder heartbeats every 5 s: three missed beats is a dead holder, not a slow one.
STALE_AFTER_SECONDS = 15.0
# With nobody left on the line nothing is urgent: the holder may only have lost the database for a while
# and will close the call itself (with its own summary) once it is back.
ABANDONED_AFTER_SECONDS = 300.0
# Calls looked at per sweep: a host that died with many calls is cleared in a few sweeps.
MAX_CALLS_PER_SWEEP = 10
CALLER_LEFT_DETAIL = "The agent's worker stopped during the call and the caller had left before another took over."

_LIVE_CALL = "(status = 'active' or (status = 'ringing' and agent_worker_id is not null))"
_HEARTBEAT = "coalesce(agent_heartbeat_at, answered_at, started_at)"


@dataclass(frozen=True)
class StaleCall:
    id: UUID
    workspace_id: UUID
    room_name: str
    # The worker and job ("<worker id>/<job id>") that held the call until its heartbeat stopped.
    holder: str | None
    silent_seconds: float

    @property
    def holder_job_id(self) -> str | None:
        return self.holder.rsplit("/", 1)[-1] if self.holder and "/" in self.holder else None


async def find_stale_calls(
    conn: asyncpg.Connection,
    *,
    stale_after_seconds: float = STALE_AFTER_SECONDS,
    limit: int = MAX_CALLS_PER_SWEEP,
    workspace_id: UUID | None = None,
) -> list[StaleCall]:
    """Live calls (of one workspace, or all) whose holder has not heartbeaten for a while, longest first."""
    rows = await conn.fetch(
        f"""select id, workspace_id, room_name, agent_worker_id,
                   extract(epoch from now() - {_HEARTBEAT})::float8 as silent_seconds
            from public.calls
            where {_LIVE_CALL} and {_HEARTBEAT} < now() - make_interval(secs => $1)
              and ($3::uuid is null or workspace_id = $3)
            order by {_HEARTBEAT}
            limit $2""",
        stale_after_seconds,
        limit,
        workspace_id,
    )
    return [
        StaleCall(r["id"], r["workspace_id"], r["room_name"], r["agent_worker_id"], r["silent_seconds"]) for r in rows
    ]


async def claim_call(
    conn: asyncpg.Connection, call: StaleCall, *, claimant: str, stale_after_seconds: float = STALE_AFTER_SECONDS
) -> bool:
    """Make `claimant` the call's holder (with a fresh heartbeat), only if the call is still live, still held
    by the holder it was found with and its heartbeat is still stale. One statement: a concurrent claimant
    waits for the row lock, then sees the new holder and heartbeat and gets False, so exactly one wins."""
    status = await conn.execute(
        f"""update public.calls set agent_worker_id = $2, agent_heartbeat_at = now()
            where id = $1 and {_LIVE_CALL} and agent_worker_id is not distinct from $3
              and {_HEARTBEAT} < now() - make_interval(secs => $4)""",
        call.id,
        claimant,
        call.holder,
        stale_after_seconds,
    )
    return status.rsplit(" ", 1)[-1] != "0"


async def transcript_so_far(conn: asyncpg.Connection, call_id: UUID) -> list[TranscriptLine]:
    rows = await conn.fetch(
        """select speaker::text as speaker, text, started_at from public.call_transcript_segments
           where call_id = $1 order by started_at, ended_at, created_at""",
        call_id,
    )
    return [TranscriptLine(speaker=r["speaker"], text=r["text"], at=r["started_at"]) for r in rows]


async def close_abandoned_call(
    conn: asyncpg.Connection, call_id: UUID, *, claimant: str, summary: str | None, detail: str
) -> bool:
    """End a claimed call nobody is on any more; False when a worker took it over meanwhile."""
    status = await conn.execute(
        """update public.calls set status = 'failed', ended_at = greatest(now(), started_at),
                  summary = coalesce($3, summary), status_detail = $4
           where id = $1 and agent_worker_id = $2 and status in ('ringing', 'active')""",
        call_id,
        claimant,
        summary,
        detail,
    )
    return status.rsplit(" ", 1)[-1] != "0"


# ---------------------------------------------------------------- the room's side


class RoomState(StrEnum):
    # The caller is on the line and the holder's agent is not: nobody is answering them.
    CALLER_ALONE = "caller_alone"
    # The holder's agent is still in the room: alive (maybe cut off from the database) or not yet timed out.
    HOLDER_PRESENT = "holder_present"
    # The room exists, nobody but agents is in it.
    NO_CALLER = "no_caller"
    GONE = "gone"


class CallRoomControl(Protocol):
    """What the sweep needs from the media server."""

    async def room_state(self, room_name: str, holder_job_id: str | None) -> RoomState: ...

    async def waiting_dispatch(self, room_name: str) -> bool:
        """Whether a dispatch of this room still waits for a worker (dispatching again would add a second agent)."""
        ...

    async def agent_name(self, room_name: str) -> str | None:
        """The agent name the room was dispatched to before."""
        ...

    async def dispatch(self, room_name: str, agent_name: str, dispatch: CallDispatch) -> None: ...

    async def close_room(self, room_name: str) -> None: ...


class LiveKitRoomControl:
    """CallRoomControl on LiveKit's server API (RoomService and AgentDispatchService)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    async def room_state(self, room_name: str, holder_job_id: str | None) -> RoomState:
        async with livekit_api(self._settings) as client:
            rooms = await client.room.list_rooms(api.ListRoomsRequest(names=[room_name]))
            if not any(room.name == room_name for room in rooms.rooms):
                return RoomState.GONE
            listed = await client.room.list_participants(api.ListParticipantsRequest(room=room_name))
        agents = [p for p in listed.participants if p.kind == api.ParticipantInfo.Kind.AGENT]
        # livekit-server names a job's agent participant after the job ("agent-<job id>").
        if holder_job_id and any(holder_job_id in p.identity for p in agents):
            return RoomState.HOLDER_PRESENT
        if len(agents) < len(listed.participants):
            return RoomState.CALLER_ALONE
        return RoomState.NO_CALLER

    async def _dispatches(self, room_name: str) -> Sequence[api.AgentDispatch]:
        async with livekit_api(self._settings) as client:
            return list(await client.agent_dispatch.list_dispatch(room_name))

    async def waiting_dispatch(self, room_name: str) -> bool:
        # A room also lists an unnamed dispatch without jobs (automatic dispatch, unused with explicit dispatch).
        return any(
            not dispatch.state.jobs or any(job.state.status == api.JobStatus.JS_PENDING for job in dispatch.state.jobs)
            for dispatch in await self._dispatches(room_name)
            if dispatch.agent_name
        )

    async def agent_name(self, room_name: str) -> str | None:
        named = [d for d in await self._dispatches(room_name) if d.agent_name]
        return named[-1].agent_name if named else None

    async def dispatch(self, room_name: str, agent_name: str, dispatch: CallDispatch) -> None:
        async with livekit_api(self._settings) as client:
            await client.agent_dispatch.create_dispatch(
                api.CreateAgentDispatchRequest(agent_name=agent_name, room=room_name, metadata=dispatch.to_metadata())
            )

    async def close_room(self, room_name: str) -> None:
        async with livekit_api(self._settings) as client:
            try:
                await client.room.delete_room(api.DeleteRoomRequest(room=room_name))
            except api.ServerError as error:
                if error.code != api.ServerErrorCode.NOT_FOUND:
                    raise


# ---------------------------------------------------------------- the sweep


class Outcome(StrEnum):
    REDISPATCHED = "redispatched"
    DISPATCH_WAITING = "dispatch_waiting"
    CLOSED = "closed"


@dataclass(frozen=True)
class SweepResult:
    call_id: UUID
    room_name: str
    outcome: Outcome


class CallSweeper:
    def __init__(
        self,
        db: Database,
        rooms: CallRoomControl,
        summarizer: CallSummarizer,
        *,
        claimant: str,
        default_agent_name: str,
        stale_after_seconds: float = STALE_AFTER_SECONDS,
        abandoned_after_seconds: float = ABANDONED_AFTER_SECONDS,
        workspace_id: UUID | None = None,
    ) -> None:
        self._db = db
        self._rooms = rooms
        self._summarizer = summarizer
        self.claimant = claimant
        self._default_agent_name = default_agent_name
        self._stale_after = stale_after_seconds
        self._abandoned_after = max(abandoned_after_seconds, stale_after_seconds)
        self._workspace_id = workspace_id

    async def sweep(self, limit: int = MAX_CALLS_PER_SWEEP) -> list[SweepResult]:
        """Look at the stale calls once; what was done to each (calls left alone are not listed)."""
        async with self._db.as_service() as conn:
            stale = await find_stale_calls(
                conn, stale_after_seconds=self._stale_after, limit=limit, workspace_id=self._workspace_id
            )
        results: list[SweepResult] = []
        for call in stale:
            try:
                outcome = await self._handle(call)
            except (DomainError, api.ServerError, aiohttp.ClientError, TimeoutError) as error:
                log.warning("call %s: could not check on it (%r); next sweep", call.id, error)
                continue
            if outcome is not None:
                results.append(SweepResult(call.id, call.room_name, outcome))
        return results

    async def _claim(self, call: StaleCall, stale_after: float) -> bool:
        async with self._db.as_service() as conn:
            return await claim_call(conn, call, claimant=self.claimant, stale_after_seconds=stale_after)

    async def _handle(self, call: StaleCall) -> Outcome | None:
        state = await self._rooms.room_state(call.room_name, call.holder_job_id)
        if state is RoomState.HOLDER_PRESENT:
            return None
        if state is RoomState.CALLER_ALONE:
            if not await self._claim(call, self._stale_after):
                return None
            log.warning("call %s: its agent (%s) is gone and the caller is waiting", call.id, call.holder)
            if await self._rooms.waiting_dispatch(call.room_name):
                log.info("call %s: a dispatch still waits for a worker; not adding another", call.id)
                return Outcome.DISPATCH_WAITING
            agent_name = await self._rooms.agent_name(call.room_name) or self._default_agent_name
            await self._rooms.dispatch(
                call.room_name, agent_name, CallDispatch(workspace_id=call.workspace_id, call_id=call.id)
            )
            log.warning("call %s: dispatched agent %r to take it over", call.id, agent_name)
            return Outcome.REDISPATCHED

        if call.silent_seconds < self._abandoned_after or not await self._claim(call, self._abandoned_after):
            return None
        await self._close(call)
        if state is RoomState.NO_CALLER:
            await self._rooms.close_room(call.room_name)
        return Outcome.CLOSED

    async def _close(self, call: StaleCall) -> None:
        async with self._db.as_service() as conn:
            transcript = await transcript_so_far(conn, call.id)
            summary: str | None = None
            if transcript:
                try:
                    settings = await load_agent_settings(conn, call.workspace_id)
                    summary = await self._summarizer.summarize(transcript, settings)
                except DomainError as error:
                    log.warning("call %s: no summary (%s)", call.id, error.message)
            closed = await close_abandoned_call(
                conn, call.id, claimant=self.claimant, summary=summary, detail=CALLER_LEFT_DETAIL
            )
        if closed:
            log.warning("call %s: the caller left while no agent was on the line; closed", call.id)
