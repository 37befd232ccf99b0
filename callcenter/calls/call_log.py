"""Calls as people see them in the web app: the list, one call with its
transcript, turns (knowledge used, analysis, latency) and summary, and the
browser test calls members place to try their agent.

Reads run as the user (row level security: members of the workspace). Calls
are written only by the service: placing a test call checks membership as the
user first, then creates the record on a service connection."""

from __future__ import annotations

import base64
import binascii
import json
import math
from datetime import UTC, datetime
from typing import Any, Literal
from uuid import UUID, uuid4

import asyncpg
from pydantic import BaseModel, ConfigDict

from callcenter import tenancy
from callcenter.calls.analysis.base import SentimentLabel
from callcenter.calls.dispatch import room_name_for
from callcenter.calls.records import Channel
from callcenter.calls.routing import Disposition, HandoffStatus
from callcenter.errors import DomainError, ErrorKind, forbidden, not_found

CallStatus = Literal["ringing", "active", "ended", "failed"]
Speaker = Literal["customer", "ai", "human"]
SentimentTrend = Literal["improving", "steady", "worsening"]
OfferStatus = Literal["ringing", "accepted", "declined", "expired", "withdrawn"]

# A test caller may have this many calls going at once (a runaway button cannot fill the workers).
MAX_LIVE_TEST_CALLS_PER_USER = 3
# A worker that has not written its heartbeat for this long is taken for gone.
AGENT_HEARTBEAT_STALE_SECONDS = 30.0
LATENCY_STAGES = ("end_of_turn_ms", "stt_ms", "retrieval_ms", "llm_first_token_ms", "tts_first_audio_ms", "total_ms")


class CallSummary(BaseModel):
    id: UUID
    workspace_id: UUID
    room_name: str
    channel: Channel
    status: CallStatus
    status_detail: str | None
    caller_number: str | None
    caller_identity: str | None
    placed_by: UUID | None
    placed_by_email: str | None
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    # Seconds from answer (or start) to end; None while the call goes on.
    duration_seconds: float | None
    intent: str | None
    topic: str | None
    sentiment_label: SentimentLabel | None
    sentiment_score: float | None
    sentiment_trend: SentimentTrend | None
    handoff_reason: str | None
    handoff_requested_at: datetime | None
    # Null until the AI asks for a person; then waiting, offered, connected, returned or missed.
    handoff_status: HandoffStatus | None
    # The person who took the call over (the latest one when it was handed off more than once).
    human_name: str | None
    summary: str | None


class CallPage(BaseModel):
    calls: list[CallSummary]
    # Pass back as `cursor` for the next (older) page; None on the last page.
    next_cursor: str | None


class TranscriptSegment(BaseModel):
    id: UUID
    speaker: Speaker
    speaker_identity: str | None
    text: str
    started_at: datetime
    ended_at: datetime
    interrupted: bool


class KnowledgeUsed(BaseModel):
    """A passage the agent retrieved for a turn, as the worker stored it."""

    model_config = ConfigDict(extra="ignore")
    chunk_id: str | None = None
    source_id: str | None = None
    title: str | None = None
    url: str | None = None
    page: int | None = None
    heading_path: list[str] = []
    content: str = ""
    score: float | None = None


class CallTurn(BaseModel):
    id: UUID
    turn_index: int
    user_text: str
    reply_text: str | None
    knowledge_used: list[KnowledgeUsed]
    answered: bool | None
    intent: str | None
    topic: str | None
    sentiment_label: str | None
    sentiment_score: float | None
    end_of_turn_ms: float | None
    stt_ms: float | None
    retrieval_ms: float | None
    llm_first_token_ms: float | None
    tts_first_audio_ms: float | None
    total_ms: float | None
    created_at: datetime


class LatencyStat(BaseModel):
    stage: str
    count: int
    p50_ms: float | None
    p95_ms: float | None


class CallOffer(BaseModel):
    """One offer of the call to a human agent (the agent sees their own; managers see all)."""

    id: UUID
    user_id: UUID
    name: str | None
    email: str | None
    status: OfferStatus
    offered_at: datetime
    expires_at: datetime
    responded_at: datetime | None


class CallDetail(CallSummary):
    handoff_context: dict[str, Any] | None
    human_user_id: UUID | None
    human_joined_at: datetime | None
    human_left_at: datetime | None
    disposition: Disposition | None
    wrap_up_notes: str | None
    wrapped_up_at: datetime | None
    wrapped_up_by: UUID | None
    wrapped_up_by_name: str | None
    offers: list[CallOffer]
    segments: list[TranscriptSegment]
    turns: list[CallTurn]
    latency: list[LatencyStat]


class BrowserCall(BaseModel):
    call_id: UUID
    room_name: str
    livekit_url: str
    token: str


# Scores and timings are real (float4) columns, rounded so they read back as written (-0.3, not -0.30000001).
_CALL_COLUMNS = """c.id, c.workspace_id, c.room_name, c.channel::text as channel, c.status::text as status,
    c.status_detail, c.caller_number, c.caller_identity, c.placed_by, p.email as placed_by_email,
    c.started_at, c.answered_at, c.ended_at,
    extract(epoch from (c.ended_at - coalesce(c.answered_at, c.started_at)))::float8 as duration_seconds,
    c.intent, c.topic, c.sentiment_label, round(c.sentiment_score::numeric, 4)::float8 as sentiment_score,
    c.sentiment_trend,
    c.handoff_reason::text as handoff_reason, c.handoff_requested_at, c.handoff_status::text as handoff_status,
    c.human_name, c.summary"""

_DETAIL_COLUMNS = """c.handoff_context, c.human_user_id, c.human_joined_at, c.human_left_at,
    c.disposition::text as disposition, c.wrap_up_notes, c.wrapped_up_at, c.wrapped_up_by,
    (select coalesce(nullif(btrim(w.full_name), ''), w.email) from public.profiles w where w.id = c.wrapped_up_by)
      as wrapped_up_by_name"""

_CALL_FROM = "from public.calls c left join public.profiles p on p.id = c.placed_by"


def percentile(values: list[float], fraction: float) -> float:
    """Linear interpolation between closest ranks (what numpy calls "linear")."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    lower, upper = math.floor(position), math.ceil(position)
    if lower == upper:
        return ordered[lower]
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def latency_stats(turns: list[CallTurn]) -> list[LatencyStat]:
    stats = []
    for stage in LATENCY_STAGES:
        values = [value for turn in turns if (value := getattr(turn, stage)) is not None]
        stats.append(
            LatencyStat(
                stage=stage,
                count=len(values),
                p50_ms=percentile(values, 0.5) if values else None,
                p95_ms=percentile(values, 0.95) if values else None,
            )
        )
    return stats


# ---------------------------------------------------------------- history filters

HandledBy = Literal["ai", "human", "missed"]

# Who dealt with the call: a person joined (even if they handed it back), a person was asked for and nobody
# joined (the end trigger turns waiting/offered into missed), or the AI handled it alone. A call still queued
# for a person is in none of these yet: the Live board shows it.
_HANDLED_BY_CONDITIONS: dict[HandledBy, str] = {
    "ai": "c.handoff_status is null and c.human_user_id is null",
    "human": "(c.handoff_status in ('connected', 'returned') or c.human_user_id is not null)",
    "missed": "c.handoff_status = 'missed' and c.human_user_id is null",
}

# Where the search text is looked for: the call's own fields and what was said.
_TEXT_SEARCH_CONDITION = """(c.caller_number ilike {0} escape '\\' or c.intent ilike {0} escape '\\'
    or c.topic ilike {0} escape '\\' or c.summary ilike {0} escape '\\'
    or exists (select 1 from public.call_transcript_segments s
               where s.call_id = c.id and s.text ilike {0} escape '\\'))"""


class _Where:
    """A conjunction of SQL conditions whose values are bound as $n parameters, never formatted in."""

    def __init__(self) -> None:
        self.conditions: list[str] = []
        self.params: list[Any] = []

    def bind(self, value: Any) -> str:
        self.params.append(value)
        return f"${len(self.params)}"

    def add(self, condition: str, *values: Any) -> None:
        """`condition` is fixed SQL with one `{}` (or `{0}`, `{1}`...) per value."""
        self.conditions.append(condition.format(*(self.bind(value) for value in values)))

    def sql(self) -> str:
        return " and ".join(self.conditions) or "true"


def _as_utc(moment: datetime) -> datetime:
    """A date or datetime without an offset is taken as UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _contains_pattern(text: str) -> str:
    """An ILIKE pattern matching `text` anywhere, with its own % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class CallFilters(BaseModel):
    """What the call history is narrowed to; every filter set must match (AND)."""

    handled_by: HandledBy | None = None
    status: CallStatus | None = None
    channel: Channel | None = None
    disposition: Disposition | None = None
    sentiment: SentimentLabel | None = None
    # On started_at: from inclusive, to exclusive.
    started_from: datetime | None = None
    started_before: datetime | None = None
    # Caller number, intent, topic, summary or transcript text containing it (case-insensitive).
    text: str | None = None

    def apply(self, where: _Where) -> None:
        if self.handled_by is not None:
            where.add(_HANDLED_BY_CONDITIONS[self.handled_by])
        if self.status is not None:
            where.add("c.status = {}::public.call_status", self.status)
        if self.channel is not None:
            where.add("c.channel = {}::public.call_channel", self.channel)
        if self.disposition is not None:
            where.add("c.disposition = {}::public.call_disposition", self.disposition.value)
        if self.sentiment is not None:
            where.add("c.sentiment_label = {}", self.sentiment)
        started_from = _as_utc(self.started_from) if self.started_from else None
        started_before = _as_utc(self.started_before) if self.started_before else None
        if started_from and started_before and started_from > started_before:
            raise DomainError(
                ErrorKind.INVALID, "invalid_date_range", "The start of the date range is after its end.", "from"
            )
        if started_from is not None:
            where.add("c.started_at >= {}", started_from)
        if started_before is not None:
            where.add("c.started_at < {}", started_before)
        text = (self.text or "").strip()
        if text:
            where.add(_TEXT_SEARCH_CONDITION, _contains_pattern(text))


def _encode_cursor(started_at: datetime, call_id: UUID) -> str:
    return base64.urlsafe_b64encode(f"{started_at.isoformat()}|{call_id}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        started_at, call_id = raw.split("|", 1)
        return datetime.fromisoformat(started_at), UUID(call_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise DomainError(
            ErrorKind.INVALID, "invalid_cursor", "This page link is not valid; start from the first page.", "cursor"
        ) from None


async def list_calls(
    conn: asyncpg.Connection,
    workspace_id: UUID,
    *,
    limit: int,
    cursor: str | None = None,
    filters: CallFilters | None = None,
) -> CallPage:
    """Newest first, `limit` per page, only the calls matching every filter. A cursor continues the list it came
    from when the same filters are sent again (it carries only the position)."""
    await tenancy.get_workspace(conn, workspace_id)
    where = _Where()
    where.add("c.workspace_id = {}", workspace_id)
    if cursor:
        started_at, call_id = _decode_cursor(cursor)
        where.add("(c.started_at, c.id) < ({}, {})", started_at, call_id)
    (filters or CallFilters()).apply(where)
    limit_placeholder = where.bind(limit + 1)
    rows = await conn.fetch(
        f"""select {_CALL_COLUMNS} {_CALL_FROM}
            where {where.sql()} order by c.started_at desc, c.id desc limit {limit_placeholder}""",
        *where.params,
    )
    calls = [CallSummary(**dict(row)) for row in rows[:limit]]
    next_cursor = _encode_cursor(calls[-1].started_at, calls[-1].id) if len(rows) > limit else None
    return CallPage(calls=calls, next_cursor=next_cursor)


async def get_call_summary(conn: asyncpg.Connection, workspace_id: UUID, call_id: UUID) -> CallSummary:
    row = await conn.fetchrow(
        f"select {_CALL_COLUMNS} {_CALL_FROM} where c.id = $1 and c.workspace_id = $2", call_id, workspace_id
    )
    if row is None:
        raise not_found("That call")
    return CallSummary(**dict(row))


async def get_call(conn: asyncpg.Connection, workspace_id: UUID, call_id: UUID) -> CallDetail:
    row = await conn.fetchrow(
        f"select {_CALL_COLUMNS}, {_DETAIL_COLUMNS} {_CALL_FROM} where c.id = $1 and c.workspace_id = $2",
        call_id,
        workspace_id,
    )
    if row is None:
        raise not_found("That call")
    segments = await conn.fetch(
        """select id, speaker::text as speaker, speaker_identity, text, started_at, ended_at, interrupted
           from public.call_transcript_segments where call_id = $1 order by started_at, created_at""",
        call_id,
    )
    turn_rows = await conn.fetch(
        """select id, turn_index, user_text, reply_text, knowledge_used, answered, intent, topic, sentiment_label,
                  round(sentiment_score::numeric, 4)::float8 as sentiment_score,
                  round(end_of_turn_ms::numeric, 1)::float8 as end_of_turn_ms,
                  round(stt_ms::numeric, 1)::float8 as stt_ms,
                  round(retrieval_ms::numeric, 1)::float8 as retrieval_ms,
                  round(llm_first_token_ms::numeric, 1)::float8 as llm_first_token_ms,
                  round(tts_first_audio_ms::numeric, 1)::float8 as tts_first_audio_ms,
                  round(total_ms::numeric, 1)::float8 as total_ms, created_at
           from public.call_turns where call_id = $1 order by turn_index""",
        call_id,
    )
    # Row level security: an agent sees the offers made to them, managers every offer.
    offers = await conn.fetch(
        """select o.id, o.user_id, coalesce(nullif(btrim(p.full_name), ''), p.email) as name, p.email,
                  o.status::text as status, o.offered_at, o.expires_at, o.responded_at
           from public.call_offers o left join public.profiles p on p.id = o.user_id
           where o.call_id = $1 order by o.offered_at, o.id""",
        call_id,
    )
    turns = [CallTurn(**(dict(turn) | {"knowledge_used": _json(turn["knowledge_used"]) or []})) for turn in turn_rows]
    data = dict(row) | {"handoff_context": _json(row["handoff_context"])}
    return CallDetail(
        **data,
        offers=[CallOffer(**dict(offer)) for offer in offers],
        segments=[TranscriptSegment(**dict(segment)) for segment in segments],
        turns=turns,
        latency=latency_stats(turns),
    )


def _json(value: str | None) -> Any:
    """jsonb arrives as text (the pool registers no codec)."""
    return json.loads(value) if value is not None else None


# ---------------------------------------------------------------- browser test calls


async def caller_name(conn: asyncpg.Connection, user_id: UUID) -> str:
    row = await conn.fetchrow("select email, full_name from public.profiles where id = $1", user_id)
    if row is None:
        return "Test caller"
    return str(row["full_name"] or row["email"])


async def create_browser_call_record(
    service: asyncpg.Connection, workspace_id: UUID, user_id: UUID
) -> tuple[UUID, str]:
    """The calls row of a browser test call (status ringing until the agent answers). The caller must
    already be known to be a member of the workspace: this runs on a service connection."""
    live = await service.fetchval(
        """select count(*) from public.calls
           where placed_by = $1 and channel = 'browser'
             and ((status = 'ringing' and started_at > now() - interval '5 minutes')
                  or (status = 'active' and agent_heartbeat_at > now() - make_interval(secs => $2)))""",
        user_id,
        AGENT_HEARTBEAT_STALE_SECONDS,
    )
    if live >= MAX_LIVE_TEST_CALLS_PER_USER:
        raise DomainError(
            ErrorKind.CONFLICT,
            "too_many_test_calls",
            f"You already have {live} test calls going. Hang up one of them first.",
        )
    call_id = uuid4()
    await service.execute(
        """insert into public.calls
             (id, workspace_id, business_id, room_name, channel, caller_identity, placed_by, status)
           select $1, w.id, w.business_id, $3, 'browser', $4, $5, 'ringing' from public.workspaces w where w.id = $2""",
        call_id,
        workspace_id,
        room_name_for(call_id),
        browser_caller_identity(user_id),
        user_id,
    )
    return call_id, room_name_for(call_id)


def browser_caller_identity(user_id: UUID) -> str:
    return f"web-{user_id}"


async def mark_call_failed(service: asyncpg.Connection, call_id: UUID, detail: str) -> None:
    await service.execute(
        """update public.calls set status = 'failed', status_detail = left($2, 2000), ended_at = now()
           where id = $1 and status in ('ringing', 'active')""",
        call_id,
        detail,
    )


class CallToEnd(BaseModel):
    room_name: str
    status: CallStatus


async def check_can_end_call(conn: asyncpg.Connection, workspace_id: UUID, call_id: UUID, user_id: UUID) -> CallToEnd:
    """As the user: the call is in reach, and they may hang it up: the human agent connected to it (any
    channel), or, for a browser test call, the person who placed it or a manager of the workspace."""
    row = await conn.fetchrow(
        """select room_name, channel::text as channel, status::text as status, placed_by,
                  human_user_id = $3 and handoff_status = 'connected' as is_connected_human,
                  private.can_manage_workspace(workspace_id) as can_manage
           from public.calls where id = $1 and workspace_id = $2""",
        call_id,
        workspace_id,
        user_id,
    )
    if row is None:
        raise not_found("That call")
    if row["is_connected_human"]:
        return CallToEnd(room_name=row["room_name"], status=row["status"])
    if row["channel"] != "browser":
        raise DomainError(
            ErrorKind.CONFLICT,
            "not_a_test_call",
            "Only browser test calls, or a call you are connected to, can be hung up from here.",
        )
    if row["placed_by"] != user_id and not row["can_manage"]:
        raise forbidden("Only the person who placed this test call, or a workspace admin, can hang it up.")
    return CallToEnd(room_name=row["room_name"], status=row["status"])


async def close_unattended_call(service: asyncpg.Connection, call_id: UUID) -> None:
    """Ends a hung-up call no agent is looking after: never answered, or its worker stopped beating.
    A call with a live agent is left to it (the agent writes the summary when the caller leaves)."""
    await service.execute(
        """update public.calls
           set status = 'ended', ended_at = now(),
               status_detail = case when status = 'ringing' then 'Hung up before the agent answered.'
                                    else 'Hung up; the agent had stopped responding.' end
           where id = $1 and (status = 'ringing'
                 or (status = 'active' and (agent_heartbeat_at is null
                                            or agent_heartbeat_at < now() - make_interval(secs => $2))))""",
        call_id,
        AGENT_HEARTBEAT_STALE_SECONDS,
    )
