"""Placing a call the way the API does (callcenter.calls.rooms: create the call's
room, dispatch the agent explicitly with CallDispatch metadata), minting
participant tokens, and reading what the worker wrote about the call."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg
from livekit import api

from callcenter.calls.dispatch import ROOM_PREFIX, CallDispatch, room_name_for
from callcenter.calls.rooms import CallRooms, http_url
from callcenter.settings import Settings


@dataclass(frozen=True)
class PlacedCall:
    room_name: str
    dispatch_id: str
    workspace_id: UUID
    call_id: UUID | None


def caller_token(settings: Settings, room_name: str, identity: str) -> str:
    return CallRooms(settings).participant_token(room_name, identity=identity, name="Synthetic caller")


async def place_call(settings: Settings, workspace_id: UUID, *, call_id: UUID | None = None) -> PlacedCall:
    """A new room with the agent dispatched into it. Without `call_id` the worker creates the call
    record when the caller joins (the phone path); with it, the record is expected to exist (browser path)."""
    room_name = room_name_for(call_id) if call_id else f"{ROOM_PREFIX}{uuid.uuid4()}"
    dispatch_id = await CallRooms(settings).open_call_room(
        room_name, CallDispatch(workspace_id=workspace_id, call_id=call_id)
    )
    return PlacedCall(room_name, dispatch_id, workspace_id, call_id)


async def create_room(settings: Settings, room_name: str) -> None:
    """A bare room (no agent), for testing the harness against livekit-server alone."""
    async with api.LiveKitAPI(
        http_url(settings.livekit_url), settings.livekit_api_key, settings.livekit_api_secret
    ) as lk:
        await lk.room.create_room(api.CreateRoomRequest(name=room_name, empty_timeout=30, departure_timeout=5))


async def delete_room(settings: Settings, room_name: str) -> None:
    await CallRooms(settings).close_room(room_name)


async def room_participants(settings: Settings, room_name: str) -> list[api.ParticipantInfo]:
    async with api.LiveKitAPI(
        http_url(settings.livekit_url), settings.livekit_api_key, settings.livekit_api_secret
    ) as lk:
        listed = await lk.room.list_participants(api.ListParticipantsRequest(room=room_name))
    return list(listed.participants)


async def dispatches(settings: Settings, room_name: str) -> list[api.AgentDispatch]:
    async with api.LiveKitAPI(
        http_url(settings.livekit_url), settings.livekit_api_key, settings.livekit_api_secret
    ) as lk:
        return list(await lk.agent_dispatch.list_dispatch(room_name))


# ---------------------------------------------------------------- what the worker wrote


async def wait_for_call_row(db: asyncpg.Pool, room_name: str, within: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        row = await db.fetchrow("select * from public.calls where room_name = $1", room_name)
        if row is not None:
            return dict(row)
        await asyncio.sleep(0.2)
    raise TimeoutError(f"no calls row for room {room_name} within {within:.0f}s")


async def transcript(db: asyncpg.Pool, call_id: UUID) -> list[dict[str, Any]]:
    rows = await db.fetch(
        """select speaker::text as speaker, text, started_at, ended_at, interrupted, speaker_identity
           from public.call_transcript_segments where call_id = $1 order by started_at""",
        call_id,
    )
    return [dict(row) for row in rows]


async def turns(db: asyncpg.Pool, call_id: UUID) -> list[dict[str, Any]]:
    rows = await db.fetch("select * from public.call_turns where call_id = $1 order by turn_index", call_id)
    return [dict(row) for row in rows]
