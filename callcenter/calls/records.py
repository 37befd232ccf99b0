"""The call record: the calls row, its live transcript and one row per caller
turn, written off the turn's critical path.

Every write goes into an in-memory queue that one background task drains on
a service connection. While Postgres is unreachable the task keeps the writes
and retries them with capped exponential backoff, so a database blip (30 s or
more) loses nothing. Nothing is ever written twice either: row ids are made
here, before the first attempt, and every statement is idempotent (`on
conflict do nothing` for segments, an upsert on (call_id, turn_index) for
turns, guarded updates for the call), so a batch retried after a commit whose
acknowledgement was lost changes nothing.

A worker that dies mid-call leaves the call `active`; the worker that gets the
job next opens the same room and takes the call over, with the transcript so
far and where the call's handoff stands (`ResumeState`).

The handoff decision is one of these writes too: it goes through
`routing.request_human` (queue, offer to the longest-idle agent) in the
writer's order, so it survives a database blip like everything else, and its
future tells the agent where the call stands once it is stored. The
summary of the call, which may take seconds to write, is not waited for: it
follows as a second write into the stored handoff context."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar, cast
from uuid import UUID

import asyncpg
from pydantic import BaseModel, Field

from callcenter.calls import routing
from callcenter.calls.analysis.base import TurnAnalysis
from callcenter.calls.handoff import HandoffContext, KnowledgeUsed, TranscriptLine
from callcenter.db import Database
from callcenter.errors import DomainError, ErrorKind, not_found

log = logging.getLogger(__name__)

T = TypeVar("T")

Speaker = Literal["customer", "ai", "human"]
Channel = Literal["phone", "browser"]

MAX_TEXT = 20000
MAX_LABEL = 200
MAX_IDENTITY = 200
MAX_SUMMARY = 8000
MAX_DETAIL = 2000

# SQLSTATE classes worth waiting out: connection exceptions, insufficient
# resources (too many connections), operator intervention (shutdown, cannot
# connect now, pg_terminate_backend), system errors, transaction rollbacks
# (serialization, deadlock); and a read-only standby during a failover.
_TRANSIENT_SQLSTATE_CLASSES = frozenset({"08", "40", "53", "57", "58"})
_TRANSIENT_SQLSTATES = frozenset({"25006"})


class ResumeState(BaseModel):
    call_id: UUID
    resumed: bool
    transcript: list[TranscriptLine]
    next_turn_index: int
    handoff_requested: bool
    # Where the call's handoff stood when this worker took it (None: never handed off).
    handoff_status: routing.HandoffStatus | None = None


class TurnRecord(BaseModel):
    """One caller turn the AI handled. Recording the same turn_index again
    updates the row; fields left empty (None, []) keep what was stored, so
    metrics that arrive later can be recorded on their own."""

    turn_index: int = Field(ge=0)
    user_text: str
    reply_text: str | None = None
    knowledge_used: list[KnowledgeUsed] = Field(default_factory=list)
    answered: bool | None = None
    analysis: TurnAnalysis | None = None
    end_of_turn_ms: float | None = None
    stt_ms: float | None = None
    retrieval_ms: float | None = None
    llm_first_token_ms: float | None = None
    tts_first_audio_ms: float | None = None
    total_ms: float | None = None


def is_transient(error: BaseException) -> bool:
    """Whether waiting and trying again may work (the database is down, restarting or overloaded)."""
    if isinstance(error, asyncpg.PostgresError):
        state = str(getattr(error, "sqlstate", "") or "")
        return state[:2] in _TRANSIENT_SQLSTATE_CLASSES or state in _TRANSIENT_SQLSTATES
    if isinstance(error, ValueError):  # asyncpg's client-side DataError: a value it cannot encode
        return False
    if isinstance(error, asyncpg.InterfaceError):  # "connection is closed", "connection was closed in the middle"
        return "closed" in str(error)
    return isinstance(error, OSError | TimeoutError | ConnectionError | EOFError)


def _clip(text: str | None, limit: int) -> str | None:
    return None if text is None else text[:limit]


def _ms(value: float | None) -> float | None:
    return None if value is None else max(0.0, float(value))


# ---------------------------------------------------------------- writes


@dataclass(frozen=True)
class _CreateCall:
    """Only when open() could not reach the database: the calls row, created later."""

    workspace_id: UUID
    room_name: str
    channel: Channel
    worker_id: str
    caller_number: str | None
    caller_identity: str | None
    answered_at: datetime


@dataclass(frozen=True)
class _Segment:
    id: UUID
    speaker: Speaker
    speaker_identity: str | None
    text: str
    started_at: datetime
    ended_at: datetime
    interrupted: bool


@dataclass(frozen=True)
class _Turn:
    id: UUID
    record: TurnRecord


@dataclass(frozen=True)
class _Analysis:
    analysis: TurnAnalysis
    trend: str | None


@dataclass(frozen=True)
class _Handoff:
    context: HandoffContext
    # Resolved with the call's handoff state once stored (None if the database refused it).
    stored: asyncio.Future[routing.HandoffState | None]


@dataclass(frozen=True)
class _HandoffSummary:
    """The summary of a handoff already stored: it is written into the call's handoff context afterwards."""

    summary: str


@dataclass(frozen=True)
class _Close:
    status: Literal["ended", "failed"]
    summary: str | None
    detail: str | None
    ended_at: datetime


_Write = _CreateCall | _Segment | _Turn | _Analysis | _Handoff | _HandoffSummary | _Close


@dataclass
class RecorderStats:
    """What the writer did (tests and metrics)."""

    stored: int = 0
    retries: int = 0
    dropped: int = 0
    batches: int = 0
    errors: list[str] = field(default_factory=list)


class CallRecorder:
    def __init__(
        self,
        db: Database,
        *,
        call_id: UUID,
        workspace_id: UUID,
        worker_id: str,
        heartbeat_seconds: float = 5.0,
        retry_initial_seconds: float = 0.25,
        retry_max_seconds: float = 5.0,
        attempt_timeout_seconds: float = 15.0,
        batch_size: int = 200,
    ) -> None:
        self._db = db
        self._call_id = call_id
        self.workspace_id = workspace_id
        self.worker_id = worker_id
        self._heartbeat_seconds = heartbeat_seconds
        self._retry_initial = retry_initial_seconds
        self._retry_max = retry_max_seconds
        self._attempt_timeout = attempt_timeout_seconds
        self._batch_size = max(1, batch_size)
        self._queue: asyncio.Queue[_Write] = asyncio.Queue()
        self._pending = 0
        self._turn_ids: dict[int, UUID] = {}
        self._closing = False
        self._closed = False
        self._writer: asyncio.Task[None] | None = None
        self._heartbeat: asyncio.Task[None] | None = None
        self.stats = RecorderStats()
        # False when another worker took the call over (its heartbeat no longer matches).
        self.holds_call = True

    # ------------------------------------------------------------ opening

    @classmethod
    async def open(
        cls,
        db: Database,
        *,
        workspace_id: UUID,
        room_name: str,
        channel: Channel,
        worker_id: str,
        call_id: UUID | None = None,
        caller_number: str | None = None,
        caller_identity: str | None = None,
        open_timeout_seconds: float = 10.0,
        **tuning: Any,
    ) -> tuple[CallRecorder, ResumeState]:
        """Create the call's row (status 'active', answered now) or take over the
        unfinished one for this call id / room (a worker died): worker id,
        heartbeat, and the transcript so far in the returned state.

        If the database cannot be reached within `open_timeout_seconds` the call
        goes on as a new one: its row is written, first, once the database is back."""
        worker_id = worker_id[:MAX_IDENTITY]
        caller_number = _clip(caller_number, 64)
        caller_identity = _clip(caller_identity, MAX_IDENTITY)
        try:
            async with asyncio.timeout(open_timeout_seconds):
                state, known_workspace = await retrying(
                    lambda: _open_in_database(
                        db, workspace_id, room_name, channel, worker_id, call_id, caller_number, caller_identity
                    ),
                    tuning.get("retry_initial_seconds", 0.25),
                    tuning.get("retry_max_seconds", 5.0),
                )
            recorder = cls(db, call_id=state.call_id, workspace_id=known_workspace, worker_id=worker_id, **tuning)
        except TimeoutError:
            log.error("call %s: the database is unreachable; recording it once it is back", room_name)
            state = ResumeState(
                call_id=call_id or uuid.uuid4(),
                resumed=False,
                transcript=[],
                next_turn_index=0,
                handoff_requested=False,
            )
            recorder = cls(db, call_id=state.call_id, workspace_id=workspace_id, worker_id=worker_id, **tuning)
            recorder._enqueue(
                _CreateCall(workspace_id, room_name, channel, worker_id, caller_number, caller_identity, _now())
            )
        recorder._start()
        return recorder, state

    def _start(self) -> None:
        self._writer = asyncio.create_task(self._drain(), name=f"call-recorder-{self._call_id}")
        if self._heartbeat_seconds > 0:
            self._heartbeat = asyncio.create_task(self._beat(), name=f"call-heartbeat-{self._call_id}")

    # ------------------------------------------------------------ what the agent calls

    @property
    def call_id(self) -> UUID:
        return self._call_id

    @property
    def pending(self) -> int:
        """Writes queued or in flight, not yet stored."""
        return self._pending

    def add_segment(
        self,
        speaker: Speaker,
        text: str,
        *,
        started_at: datetime,
        ended_at: datetime,
        speaker_identity: str | None = None,
        interrupted: bool = False,
        segment_id: UUID | None = None,
    ) -> UUID:
        """Queue one final utterance; returns its id. Text that is blank is not stored."""
        segment_id = segment_id or uuid.uuid4()
        text = text.strip()
        if text:
            self._enqueue(
                _Segment(
                    id=segment_id,
                    speaker=speaker,
                    speaker_identity=_clip(speaker_identity, MAX_IDENTITY),
                    text=text[:MAX_TEXT],
                    started_at=started_at,
                    ended_at=max(ended_at, started_at),
                    interrupted=interrupted,
                )
            )
        return segment_id

    def record_turn(self, turn: TurnRecord) -> None:
        turn_id = self._turn_ids.setdefault(turn.turn_index, uuid.uuid4())
        self._enqueue(_Turn(turn_id, turn))

    def update_analysis(self, analysis: TurnAnalysis, trend: str | None) -> None:
        self._enqueue(_Analysis(analysis, trend if trend in ("improving", "steady", "worsening") else None))

    def request_handoff(self, context: HandoffContext) -> asyncio.Future[routing.HandoffState | None]:
        """Ask for a person (routing.request_human): the call joins the workspace's queue and is offered
        to the longest-idle available agent. While a request is waiting, offered or connected, another
        one changes nothing (the first decision counts); after the human handed the call back it queues
        the call again. The future resolves with the call's handoff state once stored."""
        stored: asyncio.Future[routing.HandoffState | None] = asyncio.get_running_loop().create_future()
        self._enqueue(_Handoff(context, stored))
        return stored

    def add_handoff_summary(self, summary: str) -> None:
        """Write the summary into the handoff context stored by `request_handoff` (queued after it, so the
        request reaches the queue first and the person sees the summary as soon as it is made)."""
        summary = (summary or "").strip()
        if summary:
            self._enqueue(_HandoffSummary(summary[:MAX_SUMMARY]))

    async def close(
        self,
        *,
        status: Literal["ended", "failed"] = "ended",
        summary: str | None = None,
        detail: str | None = None,
        timeout: float = 120,  # noqa: ASYNC109 - the agreed interface; applied with asyncio.timeout below
    ) -> None:
        """Store everything still queued, then end the call (status, ended_at, summary).
        Waits up to `timeout` seconds for the database; what is still unstored
        after that is logged as lost (`pending` tells how much)."""
        if self._closing:
            return
        self._closing = True
        self._enqueue(_Close(status, _clip(summary, MAX_SUMMARY), _clip(detail, MAX_DETAIL), _now()), closing=True)
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
        try:
            async with asyncio.timeout(timeout):
                await self._queue.join()
        except TimeoutError:
            log.error("call %s: %d writes could not be stored before closing", self._call_id, self._pending)
        finally:
            self._closed = True
            if self._writer is not None:
                self._writer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._writer

    def _enqueue(self, write: _Write, *, closing: bool = False) -> None:
        if self._closing and not closing:
            if self._closed:
                raise RuntimeError(f"call {self._call_id}: the recorder is closed")
            log.warning("call %s: a write arrived while closing; storing it after the call's end", self._call_id)
        self._pending += 1
        self._queue.put_nowait(write)

    # ------------------------------------------------------------ the writer

    async def _drain(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._batch_size and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._store(batch)
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _store(self, batch: list[_Write]) -> None:
        """Store a batch in one transaction, retrying while the database is unreachable.
        If a statement is refused (bad data), the batch is stored one write at a
        time and only the refused write is dropped (and logged)."""
        remaining = list(batch)
        delay = self._retry_initial
        one_at_a_time = False
        while remaining:
            chunk = remaining[:1] if one_at_a_time else list(remaining)
            handoffs: list[tuple[_Handoff, routing.HandoffState]] = []
            try:
                async with asyncio.timeout(self._attempt_timeout), self._db.as_service() as conn:
                    handoffs = await self._apply(conn, chunk)
            except Exception as error:
                if is_transient(error):
                    self.stats.retries += 1
                    log.warning("call %s: database unavailable (%r); retrying in %.2fs", self._call_id, error, delay)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, self._retry_max)
                    continue
                if not one_at_a_time and len(chunk) > 1:
                    one_at_a_time = True
                    continue
                self.stats.dropped += 1
                self.stats.errors.append(repr(error))
                log.error("call %s: dropping a write the database refuses: %r (%r)", self._call_id, error, chunk[0])
                if isinstance(chunk[0], _Handoff) and not chunk[0].stored.done():
                    chunk[0].stored.set_result(None)
            else:
                self.stats.stored += len(chunk)
                self.stats.batches += 1
                for handoff, state in handoffs:  # committed: now the agent may act on it
                    if not handoff.stored.done():
                        handoff.stored.set_result(state)
            delay = self._retry_initial
            del remaining[: len(chunk)]
            self._pending -= len(chunk)

    async def _apply(
        self, conn: asyncpg.Connection, writes: Sequence[_Write]
    ) -> list[tuple[_Handoff, routing.HandoffState]]:
        """Apply the writes in one transaction; the handoffs among them with the state each left the call in."""
        handoffs: list[tuple[_Handoff, routing.HandoffState]] = []
        index = 0
        while index < len(writes):
            write = writes[index]
            if isinstance(write, _Segment):
                # Consecutive segments go in one round trip.
                end = index
                while end < len(writes) and isinstance(writes[end], _Segment):
                    end += 1
                await self._insert_segments(conn, cast(list[_Segment], writes[index:end]))
                index = end
                continue
            if isinstance(write, _Handoff):
                context = write.context
                handoffs.append((write, await routing.request_human(conn, self._call_id, context.reason, context)))
            else:
                await self._apply_one(conn, write)
            index += 1
        return handoffs

    async def _apply_one(
        self, conn: asyncpg.Connection, write: _CreateCall | _Turn | _Analysis | _HandoffSummary | _Close
    ) -> None:
        if isinstance(write, _CreateCall):
            await self._create_call_late(conn, write)
        elif isinstance(write, _Turn):
            await self._upsert_turn(conn, write)
        elif isinstance(write, _Analysis):
            analysis = write.analysis
            await conn.execute(
                """update public.calls set intent = $2, topic = $3, sentiment_label = $4, sentiment_score = $5,
                          sentiment_trend = coalesce($6, sentiment_trend)
                   where id = $1""",
                self._call_id,
                analysis.intent[:MAX_LABEL],
                analysis.topic[:MAX_LABEL],
                analysis.sentiment_label,
                analysis.sentiment_score,
                write.trend,
            )
        elif isinstance(write, _HandoffSummary):
            # Idempotent; a call whose handoff was refused (no context) is left alone.
            await conn.execute(
                """update public.calls set handoff_context = jsonb_set(handoff_context, '{summary}', to_jsonb($2::text))
                   where id = $1 and handoff_context is not null""",
                self._call_id,
                write.summary,
            )
        elif isinstance(write, _Close):
            await conn.execute(
                """update public.calls
                   set status = case when status in ('ringing', 'active') then $2::public.call_status else status end,
                       ended_at = coalesce(ended_at, greatest($3, started_at)),
                       summary = coalesce($4, summary), status_detail = coalesce($5, status_detail)
                   where id = $1 and agent_worker_id is not distinct from $6""",
                self._call_id,
                write.status,
                write.ended_at,
                write.summary,
                write.detail,
                self.worker_id,
            )

    async def _insert_segments(self, conn: asyncpg.Connection, segments: Sequence[_Segment]) -> None:
        await conn.executemany(
            """insert into public.call_transcript_segments
                 (id, call_id, workspace_id, speaker, speaker_identity, text, started_at, ended_at, interrupted)
               values ($1, $2, $3, $4::public.call_speaker, $5, $6, $7, $8, $9)
               on conflict (id) do nothing""",
            [
                (
                    s.id,
                    self._call_id,
                    self.workspace_id,
                    s.speaker,
                    s.speaker_identity,
                    s.text,
                    s.started_at,
                    s.ended_at,
                    s.interrupted,
                )
                for s in segments
            ],
        )

    async def _upsert_turn(self, conn: asyncpg.Connection, write: _Turn) -> None:
        turn = write.record
        analysis = turn.analysis
        knowledge = json.dumps([k.model_dump(mode="json") for k in turn.knowledge_used])
        await conn.execute(
            """insert into public.call_turns
                 (id, call_id, workspace_id, turn_index, user_text, reply_text, knowledge_used, answered,
                  intent, topic, sentiment_label, sentiment_score, end_of_turn_ms, stt_ms, retrieval_ms,
                  llm_first_token_ms, tts_first_audio_ms, total_ms)
               values ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
               on conflict (call_id, turn_index) do update set
                 user_text = case when excluded.user_text <> '' then excluded.user_text else call_turns.user_text end,
                 reply_text = coalesce(excluded.reply_text, call_turns.reply_text),
                 knowledge_used = case when jsonb_array_length(excluded.knowledge_used) > 0
                                       then excluded.knowledge_used else call_turns.knowledge_used end,
                 answered = coalesce(excluded.answered, call_turns.answered),
                 intent = coalesce(excluded.intent, call_turns.intent),
                 topic = coalesce(excluded.topic, call_turns.topic),
                 sentiment_label = coalesce(excluded.sentiment_label, call_turns.sentiment_label),
                 sentiment_score = coalesce(excluded.sentiment_score, call_turns.sentiment_score),
                 end_of_turn_ms = coalesce(excluded.end_of_turn_ms, call_turns.end_of_turn_ms),
                 stt_ms = coalesce(excluded.stt_ms, call_turns.stt_ms),
                 retrieval_ms = coalesce(excluded.retrieval_ms, call_turns.retrieval_ms),
                 llm_first_token_ms = coalesce(excluded.llm_first_token_ms, call_turns.llm_first_token_ms),
                 tts_first_audio_ms = coalesce(excluded.tts_first_audio_ms, call_turns.tts_first_audio_ms),
                 total_ms = coalesce(excluded.total_ms, call_turns.total_ms)""",
            write.id,
            self._call_id,
            self.workspace_id,
            turn.turn_index,
            turn.user_text[:MAX_TEXT],
            _clip(turn.reply_text, MAX_TEXT),
            knowledge,
            turn.answered,
            analysis.intent[:MAX_LABEL] if analysis else None,
            analysis.topic[:MAX_LABEL] if analysis else None,
            analysis.sentiment_label if analysis else None,
            analysis.sentiment_score if analysis else None,
            _ms(turn.end_of_turn_ms),
            _ms(turn.stt_ms),
            _ms(turn.retrieval_ms),
            _ms(turn.llm_first_token_ms),
            _ms(turn.tts_first_audio_ms),
            _ms(turn.total_ms),
        )

    async def _create_call_late(self, conn: asyncpg.Connection, write: _CreateCall) -> None:
        """The row open() could not write. If the room's call exists after all (the
        database was down while this worker resumed it), adopt that call's id."""
        existing = await conn.fetchrow(
            "select id, workspace_id from public.calls where id = $1 or room_name = $2 order by (id = $1) desc limit 1",
            self._call_id,
            write.room_name,
        )
        if existing is not None:
            self._call_id = existing["id"]
            self.workspace_id = existing["workspace_id"]
            await _take_over(conn, self._call_id, write.worker_id, write.caller_number, write.caller_identity)
            return
        inserted = await _insert_call(
            conn,
            self._call_id,
            write.workspace_id,
            write.room_name,
            write.channel,
            write.worker_id,
            write.caller_number,
            write.caller_identity,
            write.answered_at,
        )
        if not inserted:
            raise DomainError(ErrorKind.NOT_FOUND, "not_found", f"The workspace {write.workspace_id} does not exist.")

    # ------------------------------------------------------------ heartbeat

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self._heartbeat_seconds)
            try:
                async with asyncio.timeout(self._heartbeat_seconds), self._db.as_service() as conn:
                    status = await conn.execute(
                        """update public.calls set agent_heartbeat_at = now()
                           where id = $1 and agent_worker_id = $2 and status in ('ringing', 'active')""",
                        self._call_id,
                        self.worker_id,
                    )
            except Exception as error:
                log.debug("call %s: heartbeat failed: %r", self._call_id, error)
                continue
            held = status.rsplit(" ", 1)[-1] != "0"
            if not held and self.holds_call:
                log.warning("call %s: another worker holds this call now", self._call_id)
            self.holds_call = held


def _now() -> datetime:
    return datetime.now(UTC)


async def retrying(attempt: Callable[[], Awaitable[T]], initial: float = 0.25, maximum: float = 5.0) -> T:
    """Run `attempt` until it succeeds or fails for a reason other than an unreachable database,
    waiting with capped exponential backoff in between."""
    delay = initial
    while True:
        try:
            return await attempt()
        except Exception as error:
            if not is_transient(error):
                raise
            log.warning("database unavailable (%r); retrying in %.2fs", error, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, maximum)


async def _insert_call(
    conn: asyncpg.Connection,
    call_id: UUID,
    workspace_id: UUID,
    room_name: str,
    channel: Channel,
    worker_id: str,
    caller_number: str | None,
    caller_identity: str | None,
    answered_at: datetime | None = None,
) -> bool:
    """Insert an active call; False when the workspace does not exist or the room already has a call."""
    inserted = await conn.fetchval(
        """insert into public.calls
             (id, workspace_id, business_id, room_name, channel, caller_number, caller_identity, status,
              started_at, answered_at, agent_worker_id, agent_heartbeat_at)
           select $1, w.id, w.business_id, $3, $4::public.call_channel, $5, $6, 'active',
                  least(coalesce($8, now()), now()), least(coalesce($8, now()), now()), $7, now()
           from public.workspaces w where w.id = $2
           on conflict do nothing
           returning id""",
        call_id,
        workspace_id,
        room_name,
        channel,
        caller_number,
        caller_identity,
        worker_id,
        answered_at,
    )
    return inserted is not None


async def _take_over(
    conn: asyncpg.Connection, call_id: UUID, worker_id: str, caller_number: str | None, caller_identity: str | None
) -> None:
    await conn.execute(
        """update public.calls set status = 'active', answered_at = coalesce(answered_at, now()),
                  agent_worker_id = $2, agent_heartbeat_at = now(),
                  caller_number = coalesce(caller_number, $3), caller_identity = coalesce(caller_identity, $4)
           where id = $1""",
        call_id,
        worker_id,
        caller_number,
        caller_identity,
    )


async def _open_in_database(
    db: Database,
    workspace_id: UUID,
    room_name: str,
    channel: Channel,
    worker_id: str,
    call_id: UUID | None,
    caller_number: str | None,
    caller_identity: str | None,
) -> tuple[ResumeState, UUID]:
    async with db.as_service() as conn:
        for _ in range(2):  # a second pass only if another worker created the row in between
            existing = await conn.fetchrow(
                """select id, workspace_id, status::text as status, answered_at, handoff_reason,
                          handoff_status::text as handoff_status
                   from public.calls where id = $1 or room_name = $2
                   order by (id = $1) desc limit 1 for update""",
                call_id,
                room_name,
            )
            if existing is None:
                new_id = call_id or uuid.uuid4()
                if await _insert_call(
                    conn, new_id, workspace_id, room_name, channel, worker_id, caller_number, caller_identity
                ):
                    return ResumeState(
                        call_id=new_id, resumed=False, transcript=[], next_turn_index=0, handoff_requested=False
                    ), workspace_id
                if not await conn.fetchval(
                    "select exists (select 1 from public.workspaces where id = $1)", workspace_id
                ):
                    raise not_found("The workspace")
                continue
            if existing["workspace_id"] != workspace_id:
                raise DomainError(
                    ErrorKind.INVALID, "call_workspace_mismatch", "The call belongs to another workspace."
                )
            if existing["status"] in ("ended", "failed"):
                raise DomainError(ErrorKind.CONFLICT, "call_ended", "This call has already ended.")
            found_id: UUID = existing["id"]
            await _take_over(conn, found_id, worker_id, caller_number, caller_identity)
            rows = await conn.fetch(
                """select speaker::text as speaker, text, started_at from public.call_transcript_segments
                   where call_id = $1 order by started_at, ended_at, created_at""",
                found_id,
            )
            next_turn = await conn.fetchval(
                "select coalesce(max(turn_index) + 1, 0) from public.call_turns where call_id = $1", found_id
            )
            return ResumeState(
                call_id=found_id,
                resumed=existing["answered_at"] is not None,
                transcript=[TranscriptLine(speaker=r["speaker"], text=r["text"], at=r["started_at"]) for r in rows],
                next_turn_index=int(next_turn),
                handoff_requested=existing["handoff_reason"] is not None,
                handoff_status=existing["handoff_status"],
            ), workspace_id
    raise DomainError(ErrorKind.CONFLICT, "call_busy", "The call's room is being opened by another worker.")
