"""callcenter.calls.routing as the API and the agent use it: LiveKit identities
of people joining a call, and a whole handoff through callcenter.db.Database
(the user's transaction with their JWT claims, the service's connection),
refusals arriving as DomainErrors with the function's code."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from callcenter.calls import routing
from callcenter.calls.handoff import HandoffContext, HandoffReason
from callcenter.calls.routing import Disposition, HandoffStatus, PresenceStatus
from callcenter.db import Database
from callcenter.errors import DomainError, ErrorKind
from callcenter.tokens import Claims
from tests.calls.conftest import Tenant
from tests.db import dbkit


def claims_of(actor: dbkit.Actor) -> Claims:
    return Claims(sub=str(actor.uid), role="authenticated", email=actor.email, session_id=None, raw=actor.claims)


def test_human_identities_round_trip() -> None:
    user_id = uuid.uuid4()
    identity = routing.human_identity(user_id)
    assert identity == f"human-{user_id}"
    assert routing.is_human_identity(identity)
    assert routing.user_id_from_identity(identity) == user_id


@pytest.mark.parametrize(
    "identity", ["sip_+15550001111", "agent-AJ_x", "human-", "human-not-a-uuid", str(uuid.uuid4())]
)
def test_other_participants_are_not_humans(identity: str) -> None:
    assert not routing.is_human_identity(identity)
    assert routing.user_id_from_identity(identity) is None


@pytest.fixture
async def agents(
    request: pytest.FixtureRequest, pool: dbkit.Pool, tenant: Tenant
) -> AsyncIterator[tuple[dbkit.Actor, dbkit.Actor]]:
    registry = dbkit.new_registry(request.node.name[:40])
    try:
        async with pool.acquire() as conn, conn.transaction():
            people = []
            for label in ("first", "second"):
                person = await dbkit.create_user(conn, registry, label, full_name=f"Sam {label.title()}")
                await dbkit.add_business_member(conn, tenant.business_id, person, "agent")
                await dbkit.add_workspace_member(conn, tenant.business_id, tenant.workspace_id, person, "agent")
                people.append(person)
        yield people[0], people[1]
    finally:
        await dbkit.cleanup(pool, registry)


async def test_a_handoff_through_the_database_layer(
    db: Database, tenant: Tenant, agents: tuple[dbkit.Actor, dbkit.Actor]
) -> None:
    first, second = agents
    call = uuid.uuid4()
    async with db.as_service() as conn:
        await conn.execute(
            """insert into public.calls (id, workspace_id, business_id, room_name, channel, status)
               values ($1, $2, $3, $4, 'browser', 'active')""",
            call,
            tenant.workspace_id,
            tenant.business_id,
            f"call-{call}",
        )
    for person in (first, second):
        async with db.as_user(claims_of(person)) as conn:
            presence = await routing.set_presence(conn, tenant.workspace_id, PresenceStatus.AVAILABLE)
        assert (presence.user_id, presence.status, presence.current_call_id) == (
            person.uid,
            PresenceStatus.AVAILABLE,
            None,
        )

    context = HandoffContext(reason=HandoffReason.NEGATIVE_SENTIMENT, summary="Upset about a late refund")
    async with db.as_service() as conn:
        state = await routing.request_human(conn, call, HandoffReason.NEGATIVE_SENTIMENT, context)
        stored = await conn.fetchrow(
            "select handoff_reason::text, handoff_context from public.calls where id = $1", call
        )
    assert (state.status, state.queue_position, state.offered_to) == (HandoffStatus.OFFERED, 1, first.uid)
    assert stored is not None and stored["handoff_reason"] == "negative_sentiment"
    assert HandoffContext.model_validate_json(stored["handoff_context"]) == context

    async with db.as_user(claims_of(first)) as conn:
        offer_id = await conn.fetchval("select id from public.call_offers where call_id = $1", call)
    async with db.as_user(claims_of(second)) as conn:
        with pytest.raises(DomainError) as caught:
            await routing.accept_offer(conn, offer_id)
    assert (caught.value.kind, caught.value.code) == (ErrorKind.NOT_FOUND, "offer_not_found")

    async with db.as_user(claims_of(first)) as conn:
        accepted = await routing.accept_offer(conn, offer_id)
    assert accepted == routing.AcceptedOffer(call_id=call, room_name=f"call-{call}", workspace_id=tenant.workspace_id)
    async with db.as_service() as conn:
        state = await routing.handoff_state(conn, call)
    assert (state.status, state.queue_position, state.human_user_id, state.human_name) == (
        HandoffStatus.CONNECTED,
        None,
        first.uid,
        "Sam First",
    )

    async with db.as_user(claims_of(first)) as conn:
        with pytest.raises(DomainError) as caught:
            await routing.submit_wrap_up(conn, call, Disposition.RESOLVED, None, None)
    assert (caught.value.kind, caught.value.code) == (ErrorKind.CONFLICT, "still_connected")
    async with db.as_user(claims_of(first)) as conn:
        await routing.hand_back(conn, call)
    async with db.as_user(claims_of(first)) as conn:
        beat = await routing.heartbeat(conn, tenant.workspace_id)
    assert (beat.status, beat.current_call_id) == (PresenceStatus.WRAP_UP, call)
    async with db.as_user(claims_of(first)) as conn:
        await routing.submit_wrap_up(conn, call, Disposition.CALLBACK, "Refund is late", "Promised a call back")
    async with db.as_service() as conn:
        task_id = await routing.create_callback_task(conn, call, "Promised a call back")
        assert await routing.human_dropped(conn, call) is False
        assert await routing.dispatch(conn, tenant.workspace_id) == 0
    async with db.as_user(claims_of(second)) as conn:
        await routing.complete_callback(conn, task_id, "Called back")
    async with db.as_user(claims_of(first)) as conn:
        presence = await routing.heartbeat(conn, tenant.workspace_id)
    assert (presence.status, presence.current_call_id) == (PresenceStatus.AVAILABLE, None)
    async with db.as_service() as conn:
        await conn.execute("update public.calls set status = 'ended', ended_at = now() where id = $1", call)


async def test_an_unknown_call_is_not_found(db: Database) -> None:
    async with db.as_service() as conn:
        with pytest.raises(DomainError) as caught:
            await routing.handoff_state(conn, uuid.uuid4())
        assert (caught.value.kind, caught.value.code) == (ErrorKind.NOT_FOUND, "call_not_found")
    async with db.as_service() as conn:
        with pytest.raises(DomainError) as caught:
            context = HandoffContext(reason=HandoffReason.REQUESTED_PERSON)
            await routing.request_human(conn, uuid.uuid4(), HandoffReason.REQUESTED_PERSON, context)
        assert (caught.value.kind, caught.value.code) == (ErrorKind.NOT_FOUND, "call_not_found")
