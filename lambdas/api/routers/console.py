"""The human agents' console and the live board: presence, offers (accept,
decline), joining a call's LiveKit room, handing a call back to the AI, the
wrap-up, the live calls of a workspace, and callback tasks.

Routing itself (who gets which offer, race-safe) is SQL behind
callcenter.calls.routing; each request here is one transaction as the user."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from callcenter import tenancy
from callcenter.calls import console, routing
from callcenter.calls.console import AgentPresence, CallbackTasks, ConsoleState, JoinTicket, LiveBoard, OfferCard
from callcenter.calls.rooms import CallRooms
from callcenter.calls.routing import HandoffStatus, PresenceStatus
from lambdas.api.deps import CurrentClaims, SettingsDep, UserConnection
from lambdas.api.schemas import CompleteCallback, HandedBack, SetPresence, WrapUp

router = APIRouter(prefix="/v1/workspaces/{workspace_id}", tags=["console"])


# ---------------------------------------------------------------- presence


@router.get("/presence", response_model=console.PresenceList)
async def list_presence(workspace_id: UUID, conn: UserConnection) -> console.PresenceList:
    """Every member with their status; effective_status is 'offline' once their console stopped beating."""
    return await console.list_presence(conn, workspace_id)


@router.put("/presence/me", response_model=AgentPresence)
async def set_my_presence(
    workspace_id: UUID, body: SetPresence, claims: CurrentClaims, conn: UserConnection
) -> AgentPresence:
    """Available, away or offline. Becoming available may bring an offer at once (it arrives through Realtime)."""
    await tenancy.get_workspace(conn, workspace_id)
    return await console.set_my_presence(conn, workspace_id, UUID(claims.sub), PresenceStatus(body.status))


@router.post("/presence/me/heartbeat", response_model=AgentPresence)
async def heartbeat(workspace_id: UUID, claims: CurrentClaims, conn: UserConnection) -> AgentPresence:
    """The console sends one every routing.HEARTBEAT_SECONDS; without them the agent turns offline."""
    await tenancy.get_workspace(conn, workspace_id)
    return await console.heartbeat(conn, workspace_id, UUID(claims.sub))


# ---------------------------------------------------------------- the console


@router.get("/console", response_model=ConsoleState)
async def console_state(workspace_id: UUID, claims: CurrentClaims, conn: UserConnection) -> ConsoleState:
    """My presence, my ringing offer and the call I am on or owe a wrap-up for: all a reload needs."""
    return await console.console_state(conn, workspace_id, UUID(claims.sub))


@router.get("/offers/{offer_id}", response_model=OfferCard)
async def get_offer(workspace_id: UUID, offer_id: UUID, conn: UserConnection) -> OfferCard:
    """The offer card: caller, waiting time, intent, sentiment, topic, knowledge used, summary, transcript."""
    return await console.get_offer(conn, workspace_id, offer_id)


@router.post("/offers/{offer_id}/accept", response_model=JoinTicket)
async def accept_offer(
    workspace_id: UUID, offer_id: UUID, claims: CurrentClaims, conn: UserConnection, settings: SettingsDep
) -> JoinTicket:
    """Take the call: returns the token to join its room. 409 call_taken when someone else was faster,
    offer_expired after the ring timeout, call_ended when the caller hung up."""
    user_id = UUID(claims.sub)
    await console.check_my_offer(conn, workspace_id, offer_id, user_id)
    accepted = await routing.accept_offer(conn, offer_id)
    name = await console.display_name(conn, user_id)
    # Minting the token fails only when LiveKit is not configured; the acceptance then rolls back with it.
    return console.join_ticket(CallRooms(settings), accepted.call_id, accepted.room_name, user_id, name)


@router.post("/offers/{offer_id}/decline", status_code=status.HTTP_204_NO_CONTENT)
async def decline_offer(workspace_id: UUID, offer_id: UUID, claims: CurrentClaims, conn: UserConnection) -> Response:
    """The call goes to the next available agent."""
    await console.check_my_offer(conn, workspace_id, offer_id, UUID(claims.sub))
    await routing.decline_offer(conn, offer_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/calls/{call_id}/join", response_model=JoinTicket)
async def rejoin_call(
    workspace_id: UUID, call_id: UUID, claims: CurrentClaims, conn: UserConnection, settings: SettingsDep
) -> JoinTicket:
    """A new token for the call I am connected to (after a reload or a dropped network)."""
    user_id = UUID(claims.sub)
    call = await console.check_can_rejoin(conn, workspace_id, call_id, user_id)
    name = await console.display_name(conn, user_id)
    return console.join_ticket(CallRooms(settings), call_id, call.room_name, user_id, name)


@router.post("/calls/{call_id}/hand-back", response_model=HandedBack)
async def hand_back(workspace_id: UUID, call_id: UUID, conn: UserConnection) -> HandedBack:
    """Give the caller back to the AI (it resumes with the context, no new greeting). Disconnect from the room
    after this answers; then fill in the wrap-up."""
    await console.get_human_call(conn, workspace_id, call_id)
    await routing.hand_back(conn, call_id)
    return HandedBack(handoff_status=HandoffStatus.RETURNED)


@router.post("/calls/{call_id}/wrap-up", status_code=status.HTTP_204_NO_CONTENT)
async def wrap_up(workspace_id: UUID, call_id: UUID, body: WrapUp, conn: UserConnection) -> Response:
    """Disposition, summary and notes once I have left the call; I become available again."""
    await console.get_human_call(conn, workspace_id, call_id)
    await routing.submit_wrap_up(conn, call_id, body.disposition, body.summary, body.notes)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# ---------------------------------------------------------------- live board and callbacks


@router.get("/live", response_model=LiveBoard)
async def live_board(workspace_id: UUID, conn: UserConnection) -> LiveBoard:
    """Live calls with who has them (AI, waiting for a person, offered, with a person) and the team's presence."""
    return await console.live_board(conn, workspace_id)


@router.get("/callbacks", response_model=CallbackTasks)
async def list_callbacks(
    workspace_id: UUID,
    conn: UserConnection,
    task_status: Literal["open", "done", "cancelled"] | None = Query(
        default=None, alias="status", description="Only tasks in this state (default: all)"
    ),
) -> CallbackTasks:
    """Callers who asked to be called back when nobody was available, newest first."""
    return await console.list_callbacks(conn, workspace_id, task_status)


@router.post("/callbacks/{task_id}/complete", status_code=status.HTTP_204_NO_CONTENT)
async def complete_callback(
    workspace_id: UUID, task_id: UUID, body: CompleteCallback, conn: UserConnection
) -> Response:
    await console.check_callback_in_workspace(conn, workspace_id, task_id)
    await routing.complete_callback(conn, task_id, body.notes)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
