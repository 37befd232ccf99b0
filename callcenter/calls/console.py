"""What the human agents' console and the live board read: the team's presence,
the offer card of a ringing offer, the call an agent is on (or owes a wrap-up
for), the live calls of a workspace, callback tasks, and the LiveKit ticket a
human joins a call's room with.

Everything here runs as the user (row level security: members of the
workspace). State changes (presence, accepting an offer, handing back, wrap-up)
go through callcenter.calls.routing; this module only reads, plus the checks
that keep a request inside the workspace named in its URL."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal, TypeVar
from uuid import UUID

import asyncpg
from pydantic import BaseModel

from callcenter import tenancy
from callcenter.calls import routing
from callcenter.calls.analysis.base import SentimentLabel
from callcenter.calls.call_log import CallStatus, KnowledgeUsed, OfferStatus, SentimentTrend, Speaker
from callcenter.calls.records import Channel
from callcenter.calls.rooms import CallRooms
from callcenter.calls.routing import HandoffStatus, PresenceStatus
from callcenter.errors import DomainError, ErrorKind

LIVE_CALL_STATUSES = ("ringing", "active")
# Enough of the conversation for the person taking over; the full transcript is on the call page.
MAX_TRANSCRIPT_LINES = 200
MAX_SUGGESTIONS = 20

LiveState = Literal["ai", "waiting", "offered", "human"]


class AgentPresence(BaseModel):
    user_id: UUID
    name: str
    email: str
    status: PresenceStatus
    # What the team sees: 'offline' once the console has stopped sending heartbeats.
    effective_status: PresenceStatus
    status_changed_at: datetime | None
    available_since: datetime | None
    last_seen_at: datetime | None
    current_call_id: UUID | None


class PresenceList(BaseModel):
    agents: list[AgentPresence]


class TranscriptLine(BaseModel):
    speaker: Speaker
    text: str
    at: datetime


class CallCard(BaseModel):
    """What a person taking over a call needs to know about it."""

    call_id: UUID
    channel: Channel
    caller_number: str | None
    caller_name: str | None
    started_at: datetime
    # When the AI asked for a person (handoff_requested_at).
    waiting_since: datetime | None
    reason: str | None
    intent: str | None
    topic: str | None
    sentiment_label: SentimentLabel | None
    sentiment_score: float | None
    sentiment_trend: SentimentTrend | None
    summary: str | None
    unanswered_question: str | None
    knowledge_used: list[KnowledgeUsed]
    transcript: list[TranscriptLine]


class OfferCard(CallCard):
    offer_id: UUID
    status: OfferStatus
    offered_at: datetime
    expires_at: datetime
    ring_timeout_seconds: int


class CopilotSuggestion(BaseModel):
    id: UUID
    call_id: UUID
    question: str | None
    say: str | None
    steps: list[str]
    passages: list[KnowledgeUsed]
    created_at: datetime


class ActiveCall(CallCard):
    """The call an agent is connected to, or handed back and owes a wrap-up for."""

    room_name: str
    call_status: CallStatus
    handoff_status: HandoffStatus | None
    human_joined_at: datetime | None
    human_left_at: datetime | None
    # The agent is no longer in the call (handed back, dropped, or the call ended): the wrap-up form is due.
    wrap_up_due: bool
    suggestions: list[CopilotSuggestion]


CardT = TypeVar("CardT", bound=CallCard)


class ConsoleState(BaseModel):
    presence: AgentPresence
    offer: OfferCard | None
    call: ActiveCall | None


class JoinTicket(BaseModel):
    """What the browser joins the call's LiveKit room with."""

    call_id: UUID
    room_name: str
    livekit_url: str
    token: str
    identity: str


class LiveCall(BaseModel):
    call_id: UUID
    channel: Channel
    caller_number: str | None
    caller_name: str | None
    started_at: datetime
    state: LiveState
    handoff_status: HandoffStatus | None
    handoff_reason: str | None
    human_name: str | None
    # Who is being rung (managers see everyone's offers, an agent only their own).
    offered_to: UUID | None = None
    offered_to_name: str | None = None
    waiting_since: datetime | None
    intent: str | None
    topic: str | None
    sentiment_label: SentimentLabel | None
    sentiment_score: float | None
    sentiment_trend: SentimentTrend | None
    last_line: str | None


class LiveBoard(BaseModel):
    calls: list[LiveCall]
    agents: list[AgentPresence]


class CallbackTask(BaseModel):
    id: UUID
    call_id: UUID
    caller_number: str | None
    caller_identity: str | None
    # Why the caller wants a call back (written by the AI when nobody was available).
    note: str
    status: Literal["open", "done", "cancelled"]
    created_at: datetime
    completed_at: datetime | None
    completed_by: UUID | None
    completed_by_name: str | None
    # What the person who called back wrote.
    completion_notes: str | None


class CallbackTasks(BaseModel):
    tasks: list[CallbackTask]


_HANDOFF_STATE: dict[HandoffStatus | None, LiveState] = {
    None: "ai",
    HandoffStatus.WAITING: "waiting",
    HandoffStatus.OFFERED: "offered",
    HandoffStatus.CONNECTED: "human",
    HandoffStatus.RETURNED: "ai",
    HandoffStatus.MISSED: "ai",
}


def live_state(handoff_status: HandoffStatus | None) -> LiveState:
    """Who has a live call's caller right now."""
    return _HANDOFF_STATE[handoff_status]


def _json(value: str | None) -> Any:
    """jsonb arrives as text (the pool registers no codec)."""
    return json.loads(value) if value is not None else None


# ---------------------------------------------------------------- presence

# The member list of the workspace with each one's presence: members who never opened the console are offline.
# $1 workspace, $2 freshness in seconds, $3 one user or null for all.
_PRESENCE_QUERY = """
    with people as (
      select m.user_id from public.workspace_members m where m.workspace_id = $1
      union
      select ap.user_id from public.agent_presence ap where ap.workspace_id = $1
    )
    select people.user_id, coalesce(nullif(btrim(pr.full_name), ''), pr.email, '') as name,
           coalesce(pr.email, '') as email,
           coalesce(ap.status::text, 'offline') as status,
           case when ap.last_seen_at is not null and ap.last_seen_at > now() - make_interval(secs => $2)
                then ap.status::text else 'offline' end as effective_status,
           ap.status_changed_at, ap.available_since, ap.last_seen_at, ap.current_call_id
    from people
    left join public.agent_presence ap on ap.workspace_id = $1 and ap.user_id = people.user_id
    left join public.profiles pr on pr.id = people.user_id
    where $3::uuid is null or people.user_id = $3
    order by name, people.user_id"""


async def _presence_rows(
    conn: asyncpg.Connection, workspace_id: UUID, user_id: UUID | None = None
) -> list[AgentPresence]:
    rows = await conn.fetch(_PRESENCE_QUERY, workspace_id, float(routing.PRESENCE_FRESH_SECONDS), user_id)
    return [AgentPresence(**dict(row)) for row in rows]


async def list_presence(conn: asyncpg.Connection, workspace_id: UUID) -> PresenceList:
    await tenancy.get_workspace(conn, workspace_id)
    return PresenceList(agents=await _presence_rows(conn, workspace_id))


async def my_presence(conn: asyncpg.Connection, workspace_id: UUID, user_id: UUID) -> AgentPresence:
    """My row; a business owner who is not a workspace member and never opened the console is offline too."""
    rows = await _presence_rows(conn, workspace_id, user_id)
    if rows:
        return rows[0]
    profile = await conn.fetchrow("select email, full_name from public.profiles where id = $1", user_id)
    email = str(profile["email"]) if profile else ""
    name = str(profile["full_name"] or email) if profile else ""
    return AgentPresence(
        user_id=user_id,
        name=name,
        email=email,
        status=PresenceStatus.OFFLINE,
        effective_status=PresenceStatus.OFFLINE,
        status_changed_at=None,
        available_since=None,
        last_seen_at=None,
        current_call_id=None,
    )


async def set_my_presence(
    conn: asyncpg.Connection, workspace_id: UUID, user_id: UUID, status: PresenceStatus
) -> AgentPresence:
    await routing.set_presence(conn, workspace_id, status)
    return await my_presence(conn, workspace_id, user_id)


async def heartbeat(conn: asyncpg.Connection, workspace_id: UUID, user_id: UUID) -> AgentPresence:
    await routing.heartbeat(conn, workspace_id)
    return await my_presence(conn, workspace_id, user_id)


# ---------------------------------------------------------------- call cards

# Columns of a call card; `c` is public.calls, `ws_settings` the workspace's agent_settings.
_CARD_COLUMNS = """c.id as call_id, c.channel::text as channel, c.caller_number,
    case when c.channel = 'browser' then coalesce(nullif(btrim(caller.full_name), ''), caller.email) end
      as caller_name,
    c.started_at, c.handoff_requested_at as waiting_since, c.handoff_reason::text as reason,
    coalesce(c.intent, c.handoff_context->>'intent') as intent,
    coalesce(c.topic, c.handoff_context->>'topic') as topic,
    coalesce(c.sentiment_label, c.handoff_context->>'sentiment_label') as sentiment_label,
    round(coalesce(c.sentiment_score, (c.handoff_context->>'sentiment_score')::float4)::numeric, 4)::float8
      as sentiment_score,
    coalesce(c.sentiment_trend, c.handoff_context->>'sentiment_trend') as sentiment_trend,
    coalesce(nullif(c.handoff_context->>'summary', ''), c.summary) as summary,
    c.handoff_context->>'unanswered_question' as unanswered_question,
    coalesce(c.handoff_context->'knowledge_used', '[]'::jsonb) as knowledge_used,
    c.handoff_context->'transcript' as context_transcript"""

_CARD_JOINS = "left join public.profiles caller on caller.id = c.placed_by"


async def _transcript(conn: asyncpg.Connection, call_id: UUID, context_transcript: Any) -> list[TranscriptLine]:
    """The live transcript (the latest lines); the handoff packet's copy when nothing was written yet."""
    rows = await conn.fetch(
        """select speaker, text, at from (
             select speaker::text as speaker, text, started_at as at, created_at
             from public.call_transcript_segments where call_id = $1
             order by started_at desc, created_at desc limit $2) latest
           order by at, created_at""",
        call_id,
        MAX_TRANSCRIPT_LINES,
    )
    if rows:
        return [TranscriptLine(**dict(row)) for row in rows]
    return [TranscriptLine(**line) for line in (_json(context_transcript) or [])]


async def _card(conn: asyncpg.Connection, row: asyncpg.Record, card_type: type[CardT], **computed: Any) -> CardT:
    """A card from a row whose columns carry the card's field names, plus the fields computed by the caller."""
    columns = set(row.keys())
    data = {name: row[name] for name in card_type.model_fields if name in columns}
    data["knowledge_used"] = [KnowledgeUsed(**item) for item in _json(row["knowledge_used"]) or []]
    data["transcript"] = await _transcript(conn, row["call_id"], row["context_transcript"])
    return card_type.model_validate(data | computed)


_OFFER_QUERY = f"""select o.id as offer_id, o.status::text as status, o.offered_at, o.expires_at,
        ws_settings.ring_timeout_seconds, {_CARD_COLUMNS}
    from public.call_offers o
    join public.calls c on c.id = o.call_id
    join public.agent_settings ws_settings on ws_settings.workspace_id = o.workspace_id
    {_CARD_JOINS}"""


def offer_not_found() -> DomainError:
    return DomainError(ErrorKind.NOT_FOUND, "offer_not_found", "That offer was not found, or it is not yours.")


async def get_offer(conn: asyncpg.Connection, workspace_id: UUID, offer_id: UUID) -> OfferCard:
    """One offer: the agent's own, or any of the workspace's for its managers (row level security)."""
    row = await conn.fetchrow(f"{_OFFER_QUERY} where o.id = $1 and o.workspace_id = $2", offer_id, workspace_id)
    if row is None:
        raise offer_not_found()
    return await _card(conn, row, OfferCard)


async def check_my_offer(conn: asyncpg.Connection, workspace_id: UUID, offer_id: UUID, user_id: UUID) -> None:
    """The offer was made to this user in this workspace (404 otherwise, managers included)."""
    mine = await conn.fetchval(
        "select exists (select 1 from public.call_offers where id = $1 and workspace_id = $2 and user_id = $3)",
        offer_id,
        workspace_id,
        user_id,
    )
    if not mine:
        raise offer_not_found()


async def _ringing_offer(conn: asyncpg.Connection, workspace_id: UUID, user_id: UUID) -> OfferCard | None:
    row = await conn.fetchrow(
        f"""{_OFFER_QUERY}
            where o.workspace_id = $1 and o.user_id = $2 and o.status = 'ringing' and o.expires_at > now()
            order by o.offered_at desc limit 1""",
        workspace_id,
        user_id,
    )
    return await _card(conn, row, OfferCard) if row is not None else None


async def _suggestions(conn: asyncpg.Connection, call_id: UUID, user_id: UUID) -> list[CopilotSuggestion]:
    rows = await conn.fetch(
        """select id, call_id, question, say, steps, passages, created_at from (
             select * from public.copilot_suggestions where call_id = $1 and for_user_id = $2
             order by created_at desc limit $3) latest
           order by created_at""",
        call_id,
        user_id,
        MAX_SUGGESTIONS,
    )
    return [
        CopilotSuggestion(
            **(
                dict(row)
                | {
                    "steps": _json(row["steps"]) or [],
                    "passages": [KnowledgeUsed(**item) for item in _json(row["passages"]) or []],
                }
            )
        )
        for row in rows
    ]


async def _active_call(
    conn: asyncpg.Connection, workspace_id: UUID, user_id: UUID, current_call_id: UUID | None
) -> ActiveCall | None:
    """The call the agent is connected to, or the one their presence still points at (wrap-up due)."""
    row = await conn.fetchrow(
        f"""select {_CARD_COLUMNS}, c.room_name, c.status::text as call_status, c.handoff_status::text
                   as handoff_status, c.human_joined_at, c.human_left_at
            from public.calls c {_CARD_JOINS}
            where c.workspace_id = $1
              and ((c.id = $3 and exists (select 1 from public.call_offers o
                                           where o.call_id = c.id and o.user_id = $2 and o.status = 'accepted'))
                   or (c.human_user_id = $2 and c.handoff_status = 'connected' and c.status in ('ringing', 'active')))
            order by c.human_joined_at desc nulls last limit 1""",
        workspace_id,
        user_id,
        current_call_id,
    )
    if row is None:
        return None
    connected = row["handoff_status"] == HandoffStatus.CONNECTED and row["call_status"] in LIVE_CALL_STATUSES
    return await _card(
        conn,
        row,
        ActiveCall,
        wrap_up_due=not connected,
        suggestions=await _suggestions(conn, row["call_id"], user_id),
    )


async def console_state(conn: asyncpg.Connection, workspace_id: UUID, user_id: UUID) -> ConsoleState:
    """Everything the console shows, so a reload restores the ringing offer or the call in progress."""
    await tenancy.get_workspace(conn, workspace_id)
    presence = await my_presence(conn, workspace_id, user_id)
    return ConsoleState(
        presence=presence,
        offer=await _ringing_offer(conn, workspace_id, user_id),
        call=await _active_call(conn, workspace_id, user_id, presence.current_call_id),
    )


# ---------------------------------------------------------------- joining a call's room


async def display_name(conn: asyncpg.Connection, user_id: UUID) -> str:
    """How the caller and the AI name the person joining: their full name, else their email."""
    name = await conn.fetchval(
        "select coalesce(nullif(btrim(full_name), ''), email) from public.profiles where id = $1", user_id
    )
    return str(name or "A colleague")


def join_ticket(rooms: CallRooms, call_id: UUID, room_name: str, user_id: UUID, name: str) -> JoinTicket:
    identity = routing.human_identity(user_id)
    return JoinTicket(
        call_id=call_id,
        room_name=room_name,
        livekit_url=rooms.browser_url,
        token=rooms.participant_token(room_name, identity=identity, name=name),
        identity=identity,
    )


class HumanCall(BaseModel):
    room_name: str
    status: CallStatus
    handoff_status: HandoffStatus | None
    human_user_id: UUID | None


async def get_human_call(conn: asyncpg.Connection, workspace_id: UUID, call_id: UUID) -> HumanCall:
    """The call as the human side sees it; 404 outside the user's workspaces."""
    row = await conn.fetchrow(
        """select room_name, status::text as status, handoff_status::text as handoff_status, human_user_id
           from public.calls where id = $1 and workspace_id = $2""",
        call_id,
        workspace_id,
    )
    if row is None:
        raise DomainError(ErrorKind.NOT_FOUND, "call_not_found", "That call was not found, or you do not have access.")
    return HumanCall(**dict(row))


def is_connected_human(call: HumanCall, user_id: UUID) -> bool:
    return (
        call.human_user_id == user_id
        and call.handoff_status == HandoffStatus.CONNECTED
        and call.status in LIVE_CALL_STATUSES
    )


async def check_can_rejoin(conn: asyncpg.Connection, workspace_id: UUID, call_id: UUID, user_id: UUID) -> HumanCall:
    """Only the human connected to a live call may get a new ticket for its room (after a reload or a drop)."""
    call = await get_human_call(conn, workspace_id, call_id)
    if call.status not in LIVE_CALL_STATUSES:
        raise DomainError(ErrorKind.CONFLICT, "call_ended", "This call has ended.")
    if not is_connected_human(call, user_id):
        raise DomainError(ErrorKind.CONFLICT, "not_your_call", "You are not the person connected to this call.")
    return call


# ---------------------------------------------------------------- live board


async def live_board(conn: asyncpg.Connection, workspace_id: UUID) -> LiveBoard:
    await tenancy.get_workspace(conn, workspace_id)
    rows = await conn.fetch(
        """select c.id as call_id, c.channel::text as channel, c.caller_number,
                  case when c.channel = 'browser' then coalesce(nullif(btrim(caller.full_name), ''), caller.email) end
                    as caller_name,
                  c.started_at, c.handoff_status::text as handoff_status, c.handoff_reason::text as handoff_reason,
                  c.human_name, c.handoff_requested_at as waiting_since, c.intent, c.topic, c.sentiment_label,
                  round(c.sentiment_score::numeric, 4)::float8 as sentiment_score, c.sentiment_trend,
                  last_segment.text as last_line, ringing.user_id as offered_to,
                  coalesce(nullif(btrim(rung.full_name), ''), rung.email) as offered_to_name
           from public.calls c
           left join public.profiles caller on caller.id = c.placed_by
           left join public.call_offers ringing on ringing.call_id = c.id and ringing.status = 'ringing'
           left join public.profiles rung on rung.id = ringing.user_id
           left join lateral (
             select s.text from public.call_transcript_segments s where s.call_id = c.id
             order by s.started_at desc, s.created_at desc limit 1) last_segment on true
           where c.workspace_id = $1 and c.status in ('ringing', 'active')
           order by c.started_at""",
        workspace_id,
    )
    calls = []
    for row in rows:
        handoff_status = HandoffStatus(row["handoff_status"]) if row["handoff_status"] else None
        calls.append(LiveCall(**dict(row), state=live_state(handoff_status)))
    return LiveBoard(calls=calls, agents=await _presence_rows(conn, workspace_id))


# ---------------------------------------------------------------- callbacks


async def list_callbacks(conn: asyncpg.Connection, workspace_id: UUID, status: str | None) -> CallbackTasks:
    await tenancy.get_workspace(conn, workspace_id)
    rows = await conn.fetch(
        """select t.id, t.call_id, t.caller_number, t.caller_identity, t.note, t.status::text as status,
                  t.created_at, t.completed_at, t.completed_by, t.completion_notes,
                  coalesce(nullif(btrim(p.full_name), ''), p.email) as completed_by_name
           from public.callback_tasks t left join public.profiles p on p.id = t.completed_by
           where t.workspace_id = $1 and ($2::text is null or t.status::text = $2)
           order by t.created_at desc""",
        workspace_id,
        status,
    )
    return CallbackTasks(tasks=[CallbackTask(**dict(row)) for row in rows])


async def check_callback_in_workspace(conn: asyncpg.Connection, workspace_id: UUID, task_id: UUID) -> None:
    found = await conn.fetchval(
        "select exists (select 1 from public.callback_tasks where id = $1 and workspace_id = $2)",
        task_id,
        workspace_id,
    )
    if not found:
        raise DomainError(ErrorKind.NOT_FOUND, "callback_not_found", "That callback task was not found.")
