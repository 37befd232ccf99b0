"""Handing a call to a person: presence, the routing queue, offers, hand back
and wrap-up, callback tasks.

The decisions live in SQL (supabase/migrations/20261126000100_handoff.sql), so
two API instances and the agent workers can never disagree or race; these are
the typed calls into it, used by the API (as the signed-in user, where row
level security and auth.uid() apply) and by the agent worker and the
supervisor (on service connections). Refusals come back as DomainErrors whose
code is the function's hint ('call_taken', 'offer_expired', ...)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

import asyncpg
from pydantic import BaseModel

from callcenter.calls.handoff import HandoffContext, HandoffReason
from callcenter.errors import DomainError, ErrorKind, translated

# The console heartbeats every HEARTBEAT_SECONDS; presence older than
# PRESENCE_FRESH_SECONDS counts as offline (the SQL uses the same 30 s).
PRESENCE_FRESH_SECONDS = 30
HEARTBEAT_SECONDS = 10
# An agent who declined a call is not offered that call again for this long (SQL).
DECLINE_COOLDOWN_SECONDS = 60

HUMAN_IDENTITY_PREFIX = "human-"


class PresenceStatus(StrEnum):
    """The SQL enum public.agent_presence_status."""

    AVAILABLE = "available"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"
    AWAY = "away"
    OFFLINE = "offline"


class HandoffStatus(StrEnum):
    """The SQL enum public.call_handoff_status."""

    WAITING = "waiting"  # queued, no offer ringing
    OFFERED = "offered"  # one offer ringing
    CONNECTED = "connected"  # a person took the call
    RETURNED = "returned"  # handed back or dropped: the AI has the caller again
    MISSED = "missed"  # the call ended before a person took it


class OfferStatus(StrEnum):
    """The SQL enum public.call_offer_status."""

    RINGING = "ringing"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


class Disposition(StrEnum):
    """The SQL enum public.call_disposition."""

    RESOLVED = "resolved"
    FOLLOW_UP = "follow_up"
    CALLBACK = "callback"
    ESCALATED = "escalated"
    UNRESOLVED = "unresolved"


class Presence(BaseModel):
    workspace_id: UUID
    user_id: UUID
    status: PresenceStatus
    status_changed_at: datetime
    available_since: datetime | None
    last_seen_at: datetime
    current_call_id: UUID | None


class HandoffState(BaseModel):
    status: HandoffStatus | None
    queue_position: int | None = None
    offered_to: UUID | None = None
    human_user_id: UUID | None = None
    human_name: str | None = None


class AcceptedOffer(BaseModel):
    call_id: UUID
    room_name: str
    workspace_id: UUID


# ---------------------------------------------------------------- LiveKit identities


def human_identity(user_id: UUID) -> str:
    """The LiveKit participant identity of a person joining a call from the console."""
    return f"{HUMAN_IDENTITY_PREFIX}{user_id}"


def is_human_identity(identity: str) -> bool:
    return user_id_from_identity(identity) is not None


def user_id_from_identity(identity: str) -> UUID | None:
    if not identity.startswith(HUMAN_IDENTITY_PREFIX):
        return None
    try:
        return UUID(identity.removeprefix(HUMAN_IDENTITY_PREFIX))
    except ValueError:
        return None


_PRESENCE_COLUMNS = "workspace_id, user_id, status, status_changed_at, available_since, last_seen_at, current_call_id"


def _presence(row: asyncpg.Record) -> Presence:
    return Presence.model_validate(dict(row))


def _handoff_state(row: asyncpg.Record) -> HandoffState:
    return HandoffState.model_validate(dict(row))


# ---------------------------------------------------------------- as the signed-in user


async def set_presence(conn: asyncpg.Connection, workspace_id: UUID, status: PresenceStatus) -> Presence:
    """available / away / offline (anything else is 'invalid_status'); 'on_call' while on a call."""
    with translated():
        row = await conn.fetchrow(
            f"select {_PRESENCE_COLUMNS} from public.set_presence($1, $2::public.agent_presence_status)",
            workspace_id,
            status.value,
        )
    assert row is not None
    return _presence(row)


async def heartbeat(conn: asyncpg.Connection, workspace_id: UUID) -> Presence:
    with translated():
        row = await conn.fetchrow(
            f"select {_PRESENCE_COLUMNS} from public.presence_heartbeat($1)",
            workspace_id,
        )
    assert row is not None
    return _presence(row)


async def accept_offer(conn: asyncpg.Connection, offer_id: UUID) -> AcceptedOffer:
    """Refusals: offer_not_found, call_ended, call_taken, offer_expired."""
    with translated():
        row = await conn.fetchrow("select call_id, room_name, workspace_id from public.accept_offer($1)", offer_id)
    assert row is not None
    return AcceptedOffer.model_validate(dict(row))


async def decline_offer(conn: asyncpg.Connection, offer_id: UUID) -> None:
    with translated():
        await conn.execute("select public.decline_offer($1)", offer_id)


async def hand_back(conn: asyncpg.Connection, call_id: UUID) -> None:
    """The person gives the caller back to the AI and goes to wrap-up."""
    with translated():
        await conn.execute("select public.hand_back_call($1)", call_id)


async def submit_wrap_up(
    conn: asyncpg.Connection, call_id: UUID, disposition: Disposition, summary: str | None, notes: str | None
) -> None:
    """Records the wrap-up; the person is available again (and may get the next waiting call at once)."""
    with translated():
        await conn.execute(
            "select public.submit_wrap_up($1, $2::public.call_disposition, $3, $4)",
            call_id,
            disposition.value,
            summary,
            notes,
        )


async def complete_callback(conn: asyncpg.Connection, task_id: UUID, notes: str | None) -> None:
    with translated():
        await conn.execute("select public.complete_callback_task($1, $2)", task_id, notes)


# ---------------------------------------------------------------- as the service


async def request_human(
    conn: asyncpg.Connection, call_id: UUID, reason: HandoffReason, context: HandoffContext
) -> HandoffState:
    """Queue the call for a person and offer it to the longest-idle available agent.
    A call already waiting, offered or connected keeps its state."""
    with translated():
        row = await conn.fetchrow(
            """select handoff_status as status, queue_position, offered_to
               from public.request_human($1, $2::public.call_handoff_reason, $3::jsonb)""",
            call_id,
            reason.value,
            context.model_dump_json(),
        )
    assert row is not None
    return _handoff_state(row)


async def handoff_state(conn: asyncpg.Connection, call_id: UUID) -> HandoffState:
    with translated():
        row = await conn.fetchrow(
            "select handoff_status as status, queue_position, offered_to, human_user_id, human_name "
            "from public.handoff_state($1)",
            call_id,
        )
    if row is None:
        raise DomainError(ErrorKind.NOT_FOUND, "call_not_found", "That call was not found.")
    return _handoff_state(row)


async def dispatch(conn: asyncpg.Connection, workspace_id: UUID) -> int:
    """Expire unanswered offers, mark silent consoles offline, offer waiting calls. Returns offers made."""
    with translated():
        made = await conn.fetchval("select public.dispatch_handoffs($1)", workspace_id)
    return int(made or 0)


async def dispatch_all(conn: asyncpg.Connection) -> int:
    """dispatch() for every workspace with something to move (the supervisor's sweep)."""
    with translated():
        made = await conn.fetchval("select public.dispatch_all_handoffs()")
    return int(made or 0)


async def human_dropped(conn: asyncpg.Connection, call_id: UUID) -> bool:
    """The person left the room and did not come back in time: the AI takes the caller back.
    False when they were no longer connected (handed back, or the call ended)."""
    with translated():
        dropped = await conn.fetchval("select public.human_dropped($1)", call_id)
    return bool(dropped)


async def create_callback_task(conn: asyncpg.Connection, call_id: UUID, note: str) -> UUID:
    """The open callback task of the call (created once, however often this is called)."""
    with translated():
        task_id = await conn.fetchval("select public.create_callback_task($1, $2)", call_id, note)
    assert isinstance(task_id, UUID)
    return task_id
