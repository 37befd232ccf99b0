"""A workspace's calls: the list, one call with its live transcript, turns and
summary, and browser test calls (place one, hang it up)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, status

from callcenter import tenancy
from callcenter.calls import call_log
from callcenter.calls.analysis.base import SentimentLabel
from callcenter.calls.call_log import (
    BrowserCall,
    CallDetail,
    CallFilters,
    CallPage,
    CallStatus,
    HandledBy,
)
from callcenter.calls.dispatch import CallDispatch
from callcenter.calls.records import Channel
from callcenter.calls.rooms import CallRooms
from callcenter.calls.routing import Disposition
from callcenter.errors import DomainError, ErrorKind
from lambdas.api.deps import CurrentClaims, DatabaseDep, SettingsDep, UserConnection
from lambdas.api.schemas import EndedCall

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/workspaces/{workspace_id}", tags=["calls"])


@router.get("/calls", response_model=CallPage)
async def list_calls(
    workspace_id: UUID,
    conn: UserConnection,
    limit: int = Query(default=25, ge=1, le=100, description="Calls per page"),
    cursor: str | None = Query(
        default=None, max_length=200, description="next_cursor of the previous page (send the same filters again)"
    ),
    handled_by: Annotated[
        HandledBy | None,
        Query(
            description="ai: no person was asked for; human: a person joined; "
            "missed: a person was asked for and nobody joined (a call still queued is in none)"
        ),
    ] = None,
    call_status: Annotated[CallStatus | None, Query(alias="status")] = None,
    channel: Annotated[Channel | None, Query()] = None,
    disposition: Annotated[Disposition | None, Query(description="The wrap-up disposition")] = None,
    sentiment: Annotated[SentimentLabel | None, Query(description="The latest sentiment label")] = None,
    started_from: Annotated[
        datetime | None,
        Query(alias="from", description="Started at or after this date or datetime (UTC without an offset)"),
    ] = None,
    started_before: Annotated[
        datetime | None, Query(alias="to", description="Started before this date or datetime (exclusive)")
    ] = None,
    q: Annotated[
        str | None,
        Query(max_length=200, description="Text in the caller number, intent, topic, summary or transcript"),
    ] = None,
) -> CallPage:
    """Newest first, narrowed by every filter given. The web app follows new and changing calls through Supabase
    Realtime."""
    filters = CallFilters(
        handled_by=handled_by,
        status=call_status,
        channel=channel,
        disposition=disposition,
        sentiment=sentiment,
        started_from=started_from,
        started_before=started_before,
        text=q,
    )
    return await call_log.list_calls(conn, workspace_id, limit=limit, cursor=cursor, filters=filters)


@router.get("/calls/{call_id}", response_model=CallDetail)
async def get_call(workspace_id: UUID, call_id: UUID, conn: UserConnection) -> CallDetail:
    """The call with its transcript, each turn's knowledge used, analysis and latency, and the summary."""
    return await call_log.get_call(conn, workspace_id, call_id)


@router.post("/test-calls", status_code=status.HTTP_201_CREATED, response_model=BrowserCall)
async def place_test_call(
    workspace_id: UUID, claims: CurrentClaims, conn: UserConnection, database: DatabaseDep, settings: SettingsDep
) -> BrowserCall:
    """Talk to this workspace's agent from the browser: creates the call and its LiveKit room, dispatches
    the agent, and returns what the browser joins with."""
    user_id = UUID(claims.sub)
    await tenancy.get_workspace(conn, workspace_id)  # members only (404 otherwise)
    name = await call_log.caller_name(conn, user_id)
    rooms = CallRooms(settings)
    async with database.as_service() as service:
        call_id, room_name = await call_log.create_browser_call_record(service, workspace_id, user_id)
    # Committed before the dispatch: the agent looks the call up as soon as it starts.
    try:
        await rooms.open_call_room(room_name, CallDispatch(workspace_id=workspace_id, call_id=call_id))
        token = rooms.participant_token(room_name, identity=call_log.browser_caller_identity(user_id), name=name)
    except DomainError as error:
        async with database.as_service() as service:
            await call_log.mark_call_failed(service, call_id, error.message)
        raise
    return BrowserCall(call_id=call_id, room_name=room_name, livekit_url=rooms.browser_url, token=token)


@router.post("/calls/{call_id}/end", response_model=EndedCall)
async def end_call(
    workspace_id: UUID,
    call_id: UUID,
    claims: CurrentClaims,
    conn: UserConnection,
    database: DatabaseDep,
    settings: SettingsDep,
) -> EndedCall:
    """Hang up a browser test call, or (for the human agent connected to it) any call: the room closes, everyone
    is disconnected, and the agent, on its way out, closes the call and writes the summary."""
    call = await call_log.check_can_end_call(conn, workspace_id, call_id, UUID(claims.sub))
    room_closed = False
    if call.status in ("ringing", "active"):
        try:
            room_closed = await CallRooms(settings).close_room(call.room_name)
        except DomainError as error:
            if error.kind is not ErrorKind.UNAVAILABLE:
                raise
            # With LiveKit down the room is gone or going; the record must not stay live forever.
            log.warning("could not close room %s: %s", call.room_name, error.message)
    async with database.as_service() as service:
        await call_log.close_unattended_call(service, call_id)
    return EndedCall(call_id=str(call_id), room_closed=room_closed)
