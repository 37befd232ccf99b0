"""Calls nobody is answering: found, claimed, handed to a live worker or closed.

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

Calls no agent ever answered: a browser call's row is 'ringing' from the
moment the API dispatches the agent into its room. When no worker takes the
dispatch (none registered under the name, a restart, all of them full),
livekit-server logs "not dispatching agent job since no worker is available",
keeps the dispatch listed without a job and never tries again: the caller
would wait in a room with no agent. The sweep finds calls still ringing with
no holder some seconds after their latest dispatch; when the room has no agent
and no dispatch that may still bring one (livekit-server still looking for a
worker, or a worker that took it still starting the job), it dispatches the
agent again (claimed in one guarded UPDATE of `agent_heartbeat_at`, which for
a call nobody holds is the time of its latest dispatch). After
MAX_DISPATCH_ATTEMPTS dispatches found no worker, the call fails with a
status_detail saying so and its room closes, hanging up on the caller.

Each sweep also moves the handoff queue along (`routing.dispatch_all`: ring
timeouts expire, waiting calls are offered to free people).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol
from uuid import UUID

import aiohttp
import asyncpg
from livekit import api

from callcenter.calls import routing
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
# livekit-server takes up to ~15 s to place a dispatch (5 s to find workers registered under the name, 10 s for
# one to accept and be assigned); a dispatch still without a job after this found no worker and was dropped.
DISPATCH_SETTLE_SECONDS = 20.0
# A worker that accepted a job may wait for a warm job process before the agent joins (the worker's
# initialize_process_timeout is 90 s): its job counts as on its way for this long.
JOB_LAUNCH_GRACE_SECONDS = 90.0
# A ringing call nobody holds is looked at again this long after its latest dispatch.
UNANSWERED_AFTER_SECONDS = 10.0
# Dispatches of a ringing call (the API's first one included) before it fails: about a minute of ringing.
MAX_DISPATCH_ATTEMPTS = 4
ROOM_GONE_DETAIL = "The call's room closed before an agent answered."


def no_agent_detail(attempts: int, agent_name: str) -> str:
    return (
        f"No agent answered: {attempts} dispatches to agent {agent_name!r} found no worker to take the call "
        "(no worker running under that name, or all of them full)."
    )


_LIVE_CALL = "(status = 'active' or (status = 'ringing' and agent_worker_id is not null))"
_HEARTBEAT = "coalesce(agent_heartbeat_at, answered_at, started_at)"
_UNANSWERED = "(status = 'ringing' and agent_worker_id is null)"
# For a call nobody holds, agent_heartbeat_at is when the sweep last dispatched it (the API's dispatch: started_at).
_LATEST_DISPATCH = "coalesce(agent_heartbeat_at, started_at)"


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


@dataclass(frozen=True)
class UnansweredCall:
    id: UUID
    workspace_id: UUID
    room_name: str
    ringing_seconds: float


async def find_unanswered_calls(
    conn: asyncpg.Connection,
    *,
    unanswered_after_seconds: float = UNANSWERED_AFTER_SECONDS,
    limit: int = MAX_CALLS_PER_SWEEP,
    workspace_id: UUID | None = None,
) -> list[UnansweredCall]:
    """Calls still ringing with no agent holding them, dispatched a while ago, longest ringing first."""
    rows = await conn.fetch(
        f"""select id, workspace_id, room_name, extract(epoch from now() - started_at)::float8 as ringing_seconds
            from public.calls
            where {_UNANSWERED} and {_LATEST_DISPATCH} < now() - make_interval(secs => $1)
              and ($3::uuid is null or workspace_id = $3)
            order by started_at
            limit $2""",
        unanswered_after_seconds,
        limit,
        workspace_id,
    )
    return [UnansweredCall(r["id"], r["workspace_id"], r["room_name"], r["ringing_seconds"]) for r in rows]


async def claim_unanswered_call(
    conn: asyncpg.Connection, call_id: UUID, *, unanswered_after_seconds: float = UNANSWERED_AFTER_SECONDS
) -> bool:
    """Record a new dispatch of the call, only if it is still ringing, still unheld and its latest dispatch is
    still old: of concurrent sweepers exactly one wins, and a worker that took the call meanwhile wins over all."""
    status = await conn.execute(
        f"""update public.calls set agent_heartbeat_at = now()
            where id = $1 and {_UNANSWERED} and {_LATEST_DISPATCH} < now() - make_interval(secs => $2)""",
        call_id,
        unanswered_after_seconds,
    )
    return status.rsplit(" ", 1)[-1] != "0"


async def fail_unanswered_call(conn: asyncpg.Connection, call_id: UUID, *, detail: str) -> bool:
    """End a call no agent ever answered; False when a worker took it meanwhile (or it ended)."""
    status = await conn.execute(
        f"""update public.calls set status = 'failed', ended_at = greatest(now(), started_at), status_detail = $2
            where id = $1 and {_UNANSWERED}""",
        call_id,
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


@dataclass(frozen=True)
class AnswerState:
    """Where a ringing call's room stands on getting an agent."""

    room_exists: bool
    agent_in_room: bool
    # Dispatches of a named agent made to the room so far, and the latest one's agent name.
    dispatches: int
    agent_name: str | None
    # A dispatch that may still bring an agent: livekit-server is still placing it, or a worker took it and is
    # starting the job. Dispatching again now could put two agents on the call.
    dispatch_in_flight: bool


def _age_seconds(unix_nanos: int, now: float) -> float:
    return now - unix_nanos / 1e9


def dispatch_in_flight(
    dispatch: api.AgentDispatch,
    *,
    now: float,
    ignore_job_id: str | None = None,
    settle_seconds: float = DISPATCH_SETTLE_SECONDS,
    launch_grace_seconds: float = JOB_LAUNCH_GRACE_SECONDS,
) -> bool:
    """Whether the dispatch may still bring an agent into the room (see AnswerState.dispatch_in_flight).
    `ignore_job_id`: a job known to be dead (livekit-server leaves a dead worker's job 'running')."""
    if not dispatch.state.jobs:
        return _age_seconds(dispatch.state.created_at, now) < settle_seconds
    return any(
        job.state.status in (api.JobStatus.JS_PENDING, api.JobStatus.JS_RUNNING)
        and _age_seconds(job.state.started_at or dispatch.state.created_at, now) < launch_grace_seconds
        for job in dispatch.state.jobs
        if job.id != ignore_job_id
    )


def _named(dispatches: Sequence[api.AgentDispatch]) -> list[api.AgentDispatch]:
    """The dispatches of a named agent, oldest first (livekit-server lists them in no fixed order). A room also
    lists an unnamed dispatch without jobs (automatic dispatch, unused with explicit dispatch)."""
    return sorted((d for d in dispatches if d.agent_name), key=lambda dispatch: dispatch.state.created_at)


class CallRoomControl(Protocol):
    """What the sweep needs from the media server."""

    async def room_state(self, room_name: str, holder_job_id: str | None) -> RoomState: ...

    async def waiting_dispatch(self, room_name: str, holder_job_id: str | None = None) -> bool:
        """Whether a dispatch of this room may still bring an agent, other than the dead holder's job
        (dispatching again would add a second agent)."""
        ...

    async def answer_state(self, room_name: str) -> AnswerState: ...

    async def agent_name(self, room_name: str) -> str | None:
        """The agent name the room was dispatched to before."""
        ...

    async def dispatch(self, room_name: str, agent_name: str, dispatch: CallDispatch) -> None: ...

    async def close_room(self, room_name: str) -> None: ...


class LiveKitRoomControl:
    """CallRoomControl on LiveKit's server API (RoomService and AgentDispatchService)."""

    def __init__(
        self,
        settings: Settings,
        *,
        dispatch_settle_seconds: float = DISPATCH_SETTLE_SECONDS,
        job_launch_grace_seconds: float = JOB_LAUNCH_GRACE_SECONDS,
    ) -> None:
        self._settings = settings
        self._settle = dispatch_settle_seconds
        self._launch_grace = job_launch_grace_seconds

    def _in_flight(self, dispatch: api.AgentDispatch, now: float, ignore_job_id: str | None = None) -> bool:
        return dispatch_in_flight(
            dispatch,
            now=now,
            ignore_job_id=ignore_job_id,
            settle_seconds=self._settle,
            launch_grace_seconds=self._launch_grace,
        )

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

    async def _named_dispatches(self, room_name: str) -> list[api.AgentDispatch]:
        return _named(await self._dispatches(room_name))

    async def waiting_dispatch(self, room_name: str, holder_job_id: str | None = None) -> bool:
        now = time.time()
        return any(
            self._in_flight(dispatch, now, holder_job_id) for dispatch in await self._named_dispatches(room_name)
        )

    async def agent_name(self, room_name: str) -> str | None:
        named = await self._named_dispatches(room_name)
        return named[-1].agent_name if named else None

    async def answer_state(self, room_name: str) -> AnswerState:
        async with livekit_api(self._settings) as client:
            rooms = await client.room.list_rooms(api.ListRoomsRequest(names=[room_name]))
            if not any(room.name == room_name for room in rooms.rooms):
                return AnswerState(
                    room_exists=False, agent_in_room=False, dispatches=0, agent_name=None, dispatch_in_flight=False
                )
            listed = await client.room.list_participants(api.ListParticipantsRequest(room=room_name))
            named = _named(await client.agent_dispatch.list_dispatch(room_name))
        now = time.time()
        return AnswerState(
            room_exists=True,
            agent_in_room=any(p.kind == api.ParticipantInfo.Kind.AGENT for p in listed.participants),
            dispatches=len(named),
            agent_name=named[-1].agent_name if named else None,
            dispatch_in_flight=any(self._in_flight(dispatch, now) for dispatch in named),
        )

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
    # Dispatched MAX_DISPATCH_ATTEMPTS times and no worker took it: failed, room closed.
    NO_AGENT = "no_agent"


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
        unanswered_after_seconds: float = UNANSWERED_AFTER_SECONDS,
        max_dispatch_attempts: int = MAX_DISPATCH_ATTEMPTS,
        workspace_id: UUID | None = None,
    ) -> None:
        self._db = db
        self._rooms = rooms
        self._summarizer = summarizer
        self.claimant = claimant
        self._default_agent_name = default_agent_name
        self._stale_after = stale_after_seconds
        self._abandoned_after = max(abandoned_after_seconds, stale_after_seconds)
        self._unanswered_after = unanswered_after_seconds
        self._max_dispatch_attempts = max(1, max_dispatch_attempts)
        self._workspace_id = workspace_id

    async def sweep(self, limit: int = MAX_CALLS_PER_SWEEP) -> list[SweepResult]:
        """Look at the stale and the unanswered calls once, and move the handoff queue along; what was done to
        each call (calls left alone are not listed)."""
        await self._dispatch_handoffs()
        async with self._db.as_service() as conn:
            stale = await find_stale_calls(
                conn, stale_after_seconds=self._stale_after, limit=limit, workspace_id=self._workspace_id
            )
            unanswered = await find_unanswered_calls(
                conn, unanswered_after_seconds=self._unanswered_after, limit=limit, workspace_id=self._workspace_id
            )
        results: list[SweepResult] = []
        calls: list[StaleCall | UnansweredCall] = [*stale, *unanswered]
        for call in calls:
            try:
                outcome = await (self._handle(call) if isinstance(call, StaleCall) else self._answer(call))
            except (DomainError, api.ServerError, aiohttp.ClientError, TimeoutError) as error:
                log.warning("call %s: could not check on it (%r); next sweep", call.id, error)
                continue
            if outcome is not None:
                results.append(SweepResult(call.id, call.room_name, outcome))
        return results

    async def _dispatch_handoffs(self) -> None:
        try:
            async with self._db.as_service() as conn:
                offers = await routing.dispatch_all(conn)
        except (DomainError, asyncpg.PostgresError, OSError) as error:
            log.warning("the handoff queue could not be moved along (%r); next sweep", error)
            return
        if offers:
            log.info("offered %d waiting call(s) to people", offers)

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
            if await self._rooms.waiting_dispatch(call.room_name, call.holder_job_id):
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

    async def _answer(self, call: UnansweredCall) -> Outcome | None:
        """A call ringing with no agent: leave it to an agent on its way, dispatch again, or give up."""
        state = await self._rooms.answer_state(call.room_name)
        if not state.room_exists:
            # Rooms of calls being set up (or rows tests make) may not exist yet: only long-gone rooms end calls.
            if call.ringing_seconds < self._abandoned_after:
                return None
            async with self._db.as_service() as conn:
                closed = await fail_unanswered_call(conn, call.id, detail=ROOM_GONE_DETAIL)
            return Outcome.CLOSED if closed else None
        if state.agent_in_room or state.dispatch_in_flight:
            return None
        agent_name = state.agent_name or self._default_agent_name
        if state.dispatches >= self._max_dispatch_attempts:
            async with self._db.as_service() as conn:
                failed = await fail_unanswered_call(conn, call.id, detail=no_agent_detail(state.dispatches, agent_name))
            if not failed:
                return None
            log.warning("call %s: %d dispatches to %r found no worker; failed", call.id, state.dispatches, agent_name)
            await self._rooms.close_room(call.room_name)
            return Outcome.NO_AGENT
        async with self._db.as_service() as conn:
            if not await claim_unanswered_call(conn, call.id, unanswered_after_seconds=self._unanswered_after):
                return None
        await self._rooms.dispatch(
            call.room_name, agent_name, CallDispatch(workspace_id=call.workspace_id, call_id=call.id)
        )
        log.warning(
            "call %s: ringing with no agent after %d dispatch(es); dispatched %r again",
            call.id,
            state.dispatches,
            agent_name,
        )
        return Outcome.REDISPATCHED

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
