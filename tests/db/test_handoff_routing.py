"""Routing calls to people, against the running database, through the wrappers
the API and the agent use (callcenter.calls.routing): presence, offers to the
longest-idle agent, decline / timeout / hang-up / wrap-up cycles, concurrency
from many connections at once, tenant isolation, callback tasks.

Each test builds its own business (committed, so several connections see it;
removed with the module's registry), so the tests do not see each other's
calls or agents."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg
import pytest

from callcenter.calls import routing
from callcenter.calls.handoff import HandoffContext, HandoffReason
from callcenter.calls.routing import Disposition, HandoffStatus, PresenceStatus
from callcenter.errors import DomainError, ErrorKind

from . import dbkit
from .dbkit import Actor

REASON = HandoffReason.REQUESTED_PERSON


@pytest.fixture(scope="module")
async def wide_pool() -> AsyncIterator[dbkit.Pool]:
    """Enough connections for a dozen concurrent requests."""
    created = await asyncpg.create_pool(dbkit.DATABASE_URL, min_size=2, max_size=16, command_timeout=30)
    try:
        yield created
    finally:
        await created.close()


@dataclass
class Floor:
    """A business with one workspace (and maybe a second) and its agents."""

    pool: dbkit.Pool
    business: uuid.UUID
    ws: uuid.UUID
    ws_b: uuid.UUID
    owner: Actor
    agents: list[Actor]

    @asynccontextmanager
    async def as_user(self, actor: Actor) -> AsyncIterator[asyncpg.Connection]:
        async with self.pool.acquire() as conn, conn.transaction():
            await dbkit.act_as(conn, actor)
            yield conn

    @asynccontextmanager
    async def as_service(self) -> AsyncIterator[asyncpg.Connection]:
        async with self.pool.acquire() as conn, conn.transaction():
            yield conn

    async def available(self, actor: Actor, ws: uuid.UUID | None = None) -> routing.Presence:
        async with self.as_user(actor) as conn:
            return await routing.set_presence(conn, ws or self.ws, PresenceStatus.AVAILABLE)

    async def new_call(self, ws: uuid.UUID | None = None) -> uuid.UUID:
        call = uuid.uuid4()
        async with self.as_service() as conn:
            await conn.execute(
                """insert into public.calls (id, workspace_id, business_id, room_name, channel, caller_number, status)
                   values ($1, $2, $3, $4, 'phone', '+15550001111', 'active')""",
                call,
                ws or self.ws,
                self.business,
                f"call-{call}",
            )
        return call

    async def request(self, call: uuid.UUID) -> routing.HandoffState:
        async with self.as_service() as conn:
            return await routing.request_human(conn, call, REASON, HandoffContext(reason=REASON, summary="Refund"))

    async def state(self, call: uuid.UUID) -> routing.HandoffState:
        async with self.as_service() as conn:
            return await routing.handoff_state(conn, call)

    async def dispatch(self, ws: uuid.UUID | None = None) -> int:
        async with self.as_service() as conn:
            return await routing.dispatch(conn, ws or self.ws)

    async def ringing(self, actor: Actor) -> asyncpg.Record | None:
        """The agent's ringing offer, read through row level security as the agent."""
        async with self.as_user(actor) as conn:
            return await conn.fetchrow(
                "select id, call_id, workspace_id, expires_at - offered_at as ring from public.call_offers "
                "where user_id = $1 and status = 'ringing'",
                actor.uid,
            )

    async def offer_of(self, actor: Actor) -> uuid.UUID:
        row = await self.ringing(actor)
        assert row is not None, f"{actor.label} has no ringing offer"
        offer_id = row["id"]
        assert isinstance(offer_id, uuid.UUID)
        return offer_id

    async def presence(self, actor: Actor, ws: uuid.UUID | None = None) -> asyncpg.Record:
        async with self.as_service() as conn:
            row = await conn.fetchrow(
                "select * from public.agent_presence where workspace_id = $1 and user_id = $2", ws or self.ws, actor.uid
            )
        assert row is not None
        return row

    async def offers(self, call: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
        """(user_id, status) of every offer of the call, oldest first."""
        async with self.as_service() as conn:
            rows = await conn.fetch(
                "select user_id, status::text from public.call_offers where call_id = $1 order by offered_at, id", call
            )
        return [(r["user_id"], r["status"]) for r in rows]

    async def call_row(self, call: uuid.UUID) -> asyncpg.Record:
        async with self.as_service() as conn:
            row = await conn.fetchrow("select * from public.calls where id = $1", call)
        assert row is not None
        return row

    async def end_call(self, call: uuid.UUID) -> None:
        async with self.as_service() as conn:
            await conn.execute("update public.calls set status = 'ended', ended_at = now() where id = $1", call)

    async def expire_offer(self, offer_id: uuid.UUID) -> None:
        """The ring timeout passes (without waiting 20 s)."""
        async with self.as_service() as conn:
            await conn.execute(
                """update public.call_offers set offered_at = now() - interval '30 seconds',
                          expires_at = now() - interval '1 second' where id = $1""",
                offer_id,
            )


@pytest.fixture
async def floor(wide_pool: dbkit.Pool, registry: dbkit.Registry) -> Floor:
    return await make_floor(wide_pool, registry, agents=3)


async def make_floor(pool: dbkit.Pool, registry: dbkit.Registry, agents: int) -> Floor:
    async with pool.acquire() as conn, conn.transaction():
        owner = await dbkit.create_user(conn, registry, "owner")
        business, ws = await dbkit.create_business(conn, registry, owner, registry.name("Routing Co"), "Support")
        ws_b = await dbkit.add_workspace(conn, business, "Billing")
        people = []
        for index in range(agents):
            agent = await dbkit.create_user(conn, registry, f"agent{index}", full_name=f"Agent Number{index}")
            await dbkit.add_business_member(conn, business, agent, "agent")
            await dbkit.add_workspace_member(conn, business, ws, agent, "agent")
            people.append(agent)
    return Floor(pool=pool, business=business, ws=ws, ws_b=ws_b, owner=owner, agents=people)


async def expect_refusal(kind: ErrorKind, code: str, awaitable: object) -> None:
    assert asyncio.iscoroutine(awaitable)
    with pytest.raises(DomainError) as caught:
        await awaitable
    assert (caught.value.kind, caught.value.code) == (kind, code)


def users(agents: Sequence[Actor]) -> set[uuid.UUID]:
    return {a.uid for a in agents}


# ---------------------------------------------------------------- concurrency


async def test_a_dozen_simultaneous_requests_offer_each_free_agent_exactly_once(floor: Floor) -> None:
    for agent in floor.agents:
        await floor.available(agent)
    calls = [await floor.new_call() for _ in range(12)]

    states = await asyncio.gather(*(floor.request(call) for call in calls))

    offered = [s for s in states if s.status is HandoffStatus.OFFERED]
    # A request may be made before the other eleven commit: its own state is
    # offered or waiting, but the totals are exact.
    assert len(offered) <= 3
    async with floor.as_service() as conn:
        ringing = await conn.fetch(
            "select user_id, call_id from public.call_offers where workspace_id = $1 and status = 'ringing'", floor.ws
        )
        statuses = await conn.fetch(
            "select handoff_status::text as s, count(*) as n from public.calls where workspace_id = $1 group by 1",
            floor.ws,
        )
    assert len(ringing) == 3
    assert {r["user_id"] for r in ringing} == users(floor.agents)
    assert len({r["call_id"] for r in ringing}) == 3
    assert {r["s"]: r["n"] for r in statuses} == {"offered": 3, "waiting": 9}
    # Every call's own state agrees with the table.
    for call in calls:
        state = await floor.state(call)
        ringing_for = {r["call_id"]: r["user_id"] for r in ringing}
        if call in ringing_for:
            assert (state.status, state.offered_to) == (HandoffStatus.OFFERED, ringing_for[call])
        else:
            assert (state.status, state.offered_to) == (HandoffStatus.WAITING, None)
    positions = sorted(s.queue_position for s in [await floor.state(c) for c in calls] if s.queue_position)
    assert positions == list(range(1, 13))

    # Accept, decline and time out, one agent each.
    first, second, third = floor.agents
    async with floor.as_user(first) as conn:
        accepted = await routing.accept_offer(conn, await floor.offer_of(first))
    assert (await floor.call_row(accepted.call_id))["handoff_status"] == "connected"
    assert (await floor.presence(first))["status"] == "on_call"

    declined_offer = await floor.ringing(second)
    assert declined_offer is not None
    async with floor.as_user(second) as conn:
        await routing.decline_offer(conn, declined_offer["id"])
    again = await floor.ringing(second)
    assert again is not None and again["call_id"] != declined_offer["call_id"], "declined call offered again at once"

    third_offer = await floor.ringing(third)
    assert third_offer is not None
    await floor.expire_offer(third_offer["id"])
    assert await floor.dispatch() == 0  # nobody free: first is on a call, second ringing, third away now
    assert (await floor.presence(third))["status"] == "away"
    assert (await floor.state(third_offer["call_id"])).status is HandoffStatus.WAITING
    async with floor.as_service() as conn:
        still_ringing = await conn.fetch(
            "select user_id from public.call_offers where workspace_id = $1 and status = 'ringing'", floor.ws
        )
    assert [r["user_id"] for r in still_ringing] == [second.uid]


async def test_simultaneous_joins_on_one_call_let_exactly_one_person_in(
    wide_pool: dbkit.Pool, registry: dbkit.Registry
) -> None:
    floor = await make_floor(wide_pool, registry, agents=6)
    call = await floor.new_call()
    # Five agents were offered the call one after another and let it ring out
    # (their cards are still on screen); the sixth has it ringing now.
    for agent in floor.agents:
        await floor.available(agent)
        if agent is floor.agents[0]:
            await floor.request(call)
        offer = await floor.ringing(agent)
        assert offer is not None and offer["call_id"] == call, agent.label
        if agent is not floor.agents[-1]:
            await floor.expire_offer(offer["id"])
            await floor.dispatch()
    offer_ids = {}
    async with floor.as_service() as conn:
        for row in await conn.fetch("select id, user_id from public.call_offers where call_id = $1", call):
            offer_ids[row["user_id"]] = row["id"]
    assert len(offer_ids) == 6

    async def join(agent: Actor) -> routing.AcceptedOffer | DomainError:
        try:
            async with floor.as_user(agent) as conn:
                return await routing.accept_offer(conn, offer_ids[agent.uid])
        except DomainError as error:
            return error

    results = await asyncio.gather(*(join(agent) for agent in floor.agents))
    winners = [r for r in results if isinstance(r, routing.AcceptedOffer)]
    assert len(winners) == 1 and winners[0].call_id == call and winners[0].room_name == f"call-{call}"
    assert isinstance(results[-1], routing.AcceptedOffer), "the agent whose offer was ringing wins"
    assert {(r.kind, r.code) for r in results if isinstance(r, DomainError)} <= {
        (ErrorKind.CONFLICT, "call_taken"),
        (ErrorKind.CONFLICT, "offer_expired"),
    }
    row = await floor.call_row(call)
    assert (row["human_user_id"], row["human_name"]) == (floor.agents[-1].uid, "Agent Number5")
    # Clicking Join again: the loser is told someone took it; the winner gets the same answer.
    await expect_refusal(ErrorKind.CONFLICT, "call_taken", join_raising(floor, floor.agents[0], offer_ids))
    async with floor.as_user(floor.agents[-1]) as conn:
        assert await routing.accept_offer(conn, offer_ids[floor.agents[-1].uid]) == winners[0]
    async with floor.as_service() as conn:
        on_call = await conn.fetchval(
            "select count(*) from public.agent_presence where workspace_id = $1 and status = 'on_call'", floor.ws
        )
    assert on_call == 1


async def join_raising(floor: Floor, agent: Actor, offer_ids: dict[uuid.UUID, uuid.UUID]) -> None:
    async with floor.as_user(agent) as conn:
        await routing.accept_offer(conn, offer_ids[agent.uid])


async def test_simultaneous_requests_in_many_workspaces_ring_a_shared_agent_once(floor: Floor) -> None:
    """Each workspace routes under its own lock: the per-agent lock keeps one person from two offers."""
    agent = floor.agents[0]
    workspaces = [floor.ws, floor.ws_b]
    async with floor.as_service() as conn:
        await dbkit.add_workspace_member(conn, floor.business, floor.ws_b, agent, "agent")
        for index in range(6):
            workspace = await dbkit.add_workspace(conn, floor.business, f"Desk {index}")
            await dbkit.add_workspace_member(conn, floor.business, workspace, agent, "agent")
            workspaces.append(workspace)
    for workspace in workspaces:
        await floor.available(agent, workspace)
    calls = [await floor.new_call(workspace) for workspace in workspaces]

    states = await asyncio.gather(*(floor.request(call) for call in calls))

    async with floor.as_service() as conn:
        ringing = await conn.fetch("select call_id from public.call_offers where user_id = $1", agent.uid)
    assert len(ringing) == 1
    assert [s.status for s in states].count(HandoffStatus.WAITING) >= len(calls) - 1
    # Declining it moves the agent on to another workspace's call, never two at once.
    await decline_as(floor, agent, await floor.offer_of(agent))
    async with floor.as_service() as conn:
        rows = await conn.fetch("select call_id, status::text from public.call_offers where user_id = $1", agent.uid)
    assert sorted(r["status"] for r in rows) == ["declined", "ringing"]
    assert len({r["call_id"] for r in rows}) == 2


async def test_a_double_click_on_accept_is_one_accept(floor: Floor) -> None:
    agent = floor.agents[0]
    await floor.available(agent)
    call = await floor.new_call()
    await floor.request(call)
    offer_id = await floor.offer_of(agent)

    async def accept() -> routing.AcceptedOffer:
        async with floor.as_user(agent) as conn:
            return await routing.accept_offer(conn, offer_id)

    first, second = await asyncio.gather(accept(), accept())
    assert first == second
    assert await floor.offers(call) == [(agent.uid, "accepted")]


# ---------------------------------------------------------------- tenants


async def test_other_tenants_cannot_see_or_take_an_offer(floor: Floor, world: dbkit.World) -> None:
    agent, colleague = floor.agents[0], floor.agents[1]
    await floor.available(agent)
    call = await floor.new_call()
    await floor.request(call)
    offer_id = await floor.offer_of(agent)

    for intruder in (world.outsider, world.stranger, colleague):
        async with floor.as_user(intruder) as conn:
            with pytest.raises(DomainError) as caught:
                await routing.accept_offer(conn, offer_id)
        assert (caught.value.kind, caught.value.code) == (ErrorKind.NOT_FOUND, "offer_not_found"), intruder.label
        async with floor.as_user(intruder) as conn:
            with pytest.raises(DomainError) as caught:
                await routing.decline_offer(conn, offer_id)
        assert caught.value.code == "offer_not_found"
        async with floor.as_user(intruder) as conn:
            seen = await conn.fetchval("select count(*) from public.call_offers where id = $1", offer_id)
            presence_rows = await conn.fetchval(
                "select count(*) from public.agent_presence where workspace_id = $1", floor.ws
            )
        assert seen == 0, intruder.label
        # A colleague sees the team board; the other tenants see nothing.
        assert presence_rows == (1 if intruder is colleague else 0), intruder.label
    # The owner (a manager of the workspace) sees the offer; the agent their own.
    for reader in (floor.owner, agent):
        async with floor.as_user(reader) as conn:
            assert await conn.fetchval("select count(*) from public.call_offers where id = $1", offer_id) == 1
    assert await floor.offers(call) == [(agent.uid, "ringing")]

    for intruder in (world.outsider, world.stranger):
        async with floor.as_user(intruder) as conn:
            with pytest.raises(DomainError) as caught:
                await routing.set_presence(conn, floor.ws, PresenceStatus.AVAILABLE)
        assert (caught.value.kind, caught.value.code) == (ErrorKind.NOT_FOUND, "workspace_not_found")
    # Agents of the business who are not in the workspace are not routed its calls either.
    async with floor.as_user(floor.agents[2]) as conn:
        with pytest.raises(DomainError) as caught:
            await routing.set_presence(conn, floor.ws_b, PresenceStatus.AVAILABLE)
    assert caught.value.code == "workspace_not_found"


# ---------------------------------------------------------------- the order of offers


async def test_declines_go_to_the_next_longest_idle_agent_with_a_cooldown(floor: Floor) -> None:
    a, b, c = floor.agents
    for agent in (a, b, c):  # a has been idle the longest
        await floor.available(agent)
    call = await floor.new_call()
    state = await floor.request(call)
    assert (state.status, state.offered_to, state.queue_position) == (HandoffStatus.OFFERED, a.uid, 1)

    for agent in (a, b, c):
        async with floor.as_user(agent) as conn:
            await routing.decline_offer(conn, await floor.offer_of(agent))
    assert await floor.offers(call) == [(a.uid, "declined"), (b.uid, "declined"), (c.uid, "declined")]
    # Everyone declined within the last minute: the call waits, nobody is pestered.
    assert (await floor.state(call)).status is HandoffStatus.WAITING
    assert await floor.dispatch() == 0

    # A minute later, the longest idle of them gets it again.
    async with floor.as_service() as conn:
        await conn.execute(
            "update public.call_offers set responded_at = now() - interval '61 seconds' where call_id = $1", call
        )
    assert await floor.dispatch() == 1
    assert (await floor.state(call)).offered_to == a.uid
    # Declining an offer that is no longer ringing is refused.
    async with floor.as_user(b) as conn:
        offer_b = await conn.fetchval(
            "select id from public.call_offers where user_id = $1 and status = 'declined'", b.uid
        )
    await expect_refusal(ErrorKind.CONFLICT, "offer_expired", decline_as(floor, b, offer_b))


async def decline_as(floor: Floor, agent: Actor, offer_id: uuid.UUID) -> None:
    async with floor.as_user(agent) as conn:
        await routing.decline_offer(conn, offer_id)


async def accept_as(floor: Floor, agent: Actor, offer_id: uuid.UUID) -> routing.AcceptedOffer:
    async with floor.as_user(agent) as conn:
        return await routing.accept_offer(conn, offer_id)


async def test_an_unanswered_offer_expires_the_agent_goes_away_and_the_next_one_rings(floor: Floor) -> None:
    a, b, _ = floor.agents
    await floor.available(a)
    await floor.available(b)
    async with floor.as_service() as conn:
        await conn.execute(
            "update public.agent_settings set ring_timeout_seconds = 7 where workspace_id = $1", floor.ws
        )
    call = await floor.new_call()
    await floor.request(call)
    offer = await floor.ringing(a)
    assert offer is not None and offer["ring"].total_seconds() == 7

    await floor.expire_offer(offer["id"])
    await expect_refusal(ErrorKind.CONFLICT, "offer_expired", accept_as(floor, a, offer["id"]))
    assert await floor.dispatch() == 1
    assert await floor.offers(call) == [(a.uid, "expired"), (b.uid, "ringing")]
    presence = await floor.presence(a)
    assert (presence["status"], presence["available_since"]) == ("away", None)
    # The sweep over all workspaces finds expiries too.
    await floor.expire_offer(await floor.offer_of(b))
    async with floor.as_service() as conn:
        await routing.dispatch_all(conn)
    assert await floor.offers(call) == [(a.uid, "expired"), (b.uid, "expired")]
    assert (await floor.state(call)).status is HandoffStatus.WAITING


async def test_with_nobody_available_calls_queue_in_request_order(floor: Floor) -> None:
    calls = [await floor.new_call() for _ in range(3)]
    for position, call in enumerate(calls, start=1):
        state = await floor.request(call)
        assert (state.status, state.queue_position, state.offered_to) == (HandoffStatus.WAITING, position, None)
    # Asking again changes nothing (the agent retries after a blip).
    assert (await floor.request(calls[0])).queue_position == 1
    assert [(await floor.state(c)).queue_position for c in calls] == [1, 2, 3]

    # The first agent to become available gets the oldest call.
    a, b, _ = floor.agents
    await floor.available(a)
    assert (await floor.state(calls[0])).offered_to == a.uid
    await floor.available(b)
    assert (await floor.state(calls[1])).offered_to == b.uid
    assert [(await floor.state(c)).status for c in calls] == [
        HandoffStatus.OFFERED,
        HandoffStatus.OFFERED,
        HandoffStatus.WAITING,
    ]
    # A caller hanging up leaves the queue, and the agent it rang for gets the next call.
    await floor.end_call(calls[0])
    third = await floor.state(calls[2])
    assert (third.status, third.queue_position, third.offered_to) == (HandoffStatus.OFFERED, 2, a.uid)
    missed = await floor.state(calls[0])
    assert (missed.status, missed.queue_position, missed.offered_to) == (HandoffStatus.MISSED, None, None)


async def test_an_agent_on_a_call_in_one_workspace_gets_no_offer_in_another(floor: Floor) -> None:
    agent = floor.agents[0]
    async with floor.as_service() as conn:
        await dbkit.add_workspace_member(conn, floor.business, floor.ws_b, agent, "agent")
    await floor.available(agent, floor.ws)
    await floor.available(agent, floor.ws_b)
    call_a = await floor.new_call(floor.ws)
    call_b = await floor.new_call(floor.ws_b)

    assert (await floor.request(call_a)).offered_to == agent.uid
    # Ringing in A: not offered B's call as well.
    assert (await floor.request(call_b)).status is HandoffStatus.WAITING
    await accept_as(floor, agent, await floor.offer_of(agent))
    assert await floor.dispatch(floor.ws_b) == 0
    async with floor.as_user(agent) as conn:
        await routing.hand_back(conn, call_a)
    # Wrap-up in A still keeps them off B's calls.
    assert (await floor.presence(agent, floor.ws))["status"] == "wrap_up"
    assert await floor.dispatch(floor.ws_b) == 0
    assert (await floor.state(call_b)).status is HandoffStatus.WAITING
    # Wrapping up frees them everywhere they are available: B's call rings at once.
    async with floor.as_user(agent) as conn:
        await routing.submit_wrap_up(conn, call_a, Disposition.RESOLVED, "", "")
    state_b = await floor.state(call_b)
    assert (state_b.status, state_b.offered_to) == (HandoffStatus.OFFERED, agent.uid)


# ---------------------------------------------------------------- the call ends


async def test_a_caller_hanging_up_withdraws_the_offer_and_frees_the_agent(floor: Floor) -> None:
    agent = floor.agents[0]
    await floor.available(agent)
    first, second = await floor.new_call(), await floor.new_call()
    await floor.request(first)
    await floor.request(second)
    offer_id = await floor.offer_of(agent)

    await floor.end_call(first)
    assert await floor.offers(first) == [(agent.uid, "withdrawn")]
    assert (await floor.call_row(first))["handoff_status"] == "missed"
    # The freed agent is offered the next waiting call right away.
    assert (await floor.state(second)).offered_to == agent.uid
    await expect_refusal(ErrorKind.CONFLICT, "call_ended", accept_as(floor, agent, offer_id))
    # Asking for a person on an ended call is refused.
    with pytest.raises(DomainError) as caught:
        await floor.request(first)
    assert caught.value.code == "call_ended"


async def test_a_connected_call_ending_sends_the_person_to_wrap_up_then_to_the_next_call(floor: Floor) -> None:
    agent = floor.agents[0]
    await floor.available(agent)
    first, second = await floor.new_call(), await floor.new_call()
    await floor.request(first)
    accepted = await accept_as(floor, agent, await floor.offer_of(agent))
    assert accepted.call_id == first
    await floor.request(second)
    assert (await floor.state(second)).status is HandoffStatus.WAITING  # they are on a call

    await expect_refusal(ErrorKind.CONFLICT, "still_connected", wrap_up_as(floor, agent, first, Disposition.RESOLVED))
    await floor.end_call(first)
    row = await floor.call_row(first)
    assert row["handoff_status"] == "connected" and row["human_left_at"] is not None
    presence = await floor.presence(agent)
    assert (presence["status"], presence["current_call_id"]) == ("wrap_up", first)
    assert (await floor.state(second)).status is HandoffStatus.WAITING

    await wrap_up_as(floor, agent, first, Disposition.FOLLOW_UP, summary="Refund approved.", notes="Call Tuesday")
    row = await floor.call_row(first)
    assert (row["disposition"], row["summary"], row["wrap_up_notes"], row["wrapped_up_by"]) == (
        "follow_up",
        "Refund approved.",
        "Call Tuesday",
        agent.uid,
    )
    presence = await floor.presence(agent)
    assert (presence["status"], presence["current_call_id"]) == ("available", None)
    assert (await floor.state(second)).offered_to == agent.uid


async def wrap_up_as(
    floor: Floor, agent: Actor, call: uuid.UUID, disposition: Disposition, summary: str = "", notes: str = ""
) -> None:
    async with floor.as_user(agent) as conn:
        await routing.submit_wrap_up(conn, call, disposition, summary, notes)


async def test_hand_back_and_a_dropped_person_give_the_caller_back_to_the_ai(floor: Floor) -> None:
    agent, other = floor.agents[0], floor.agents[1]
    await floor.available(agent)
    call = await floor.new_call()
    await floor.request(call)
    await accept_as(floor, agent, await floor.offer_of(agent))
    state = await floor.state(call)
    assert (state.status, state.human_user_id, state.human_name) == (
        HandoffStatus.CONNECTED,
        agent.uid,
        "Agent Number0",
    )

    async with floor.as_user(other) as conn:
        with pytest.raises(DomainError) as caught:
            await routing.hand_back(conn, call)
    assert (caught.value.kind, caught.value.code) == (ErrorKind.NOT_FOUND, "call_not_found")
    async with floor.as_user(agent) as conn:
        await routing.hand_back(conn, call)
    row = await floor.call_row(call)
    assert (row["handoff_status"], row["human_left_at"] is not None) == ("returned", True)
    assert (await floor.presence(agent))["status"] == "wrap_up"
    async with floor.as_user(agent) as conn:
        with pytest.raises(DomainError) as caught:
            await routing.hand_back(conn, call)
    assert (caught.value.kind, caught.value.code) == (ErrorKind.CONFLICT, "not_connected")
    async with floor.as_service() as conn:
        assert await routing.human_dropped(conn, call) is False

    # Wrapped up, the AI may hand the same call off again; this time the person's line drops.
    await wrap_up_as(floor, agent, call, Disposition.ESCALATED)
    state = await floor.request(call)
    assert (state.status, state.offered_to) == (HandoffStatus.OFFERED, agent.uid)
    assert (await floor.call_row(call))["human_user_id"] is None
    await accept_as(floor, agent, await floor.offer_of(agent))
    async with floor.as_service() as conn:
        assert await routing.human_dropped(conn, call) is True
        assert await routing.human_dropped(conn, call) is False
    assert (await floor.state(call)).status is HandoffStatus.RETURNED
    assert (await floor.presence(agent))["status"] == "wrap_up"


# ---------------------------------------------------------------- presence


async def test_a_silent_console_goes_offline_and_is_not_routed(floor: Floor) -> None:
    a, b, _ = floor.agents
    await floor.available(a)
    await floor.available(b)
    async with floor.as_service() as conn:
        await conn.execute(
            "update public.agent_presence set last_seen_at = now() - interval '31 seconds' "
            "where workspace_id = $1 and user_id = $2",
            floor.ws,
            a.uid,
        )
    call = await floor.new_call()
    assert (await floor.request(call)).offered_to == b.uid
    presence = await floor.presence(a)
    assert (presence["status"], presence["available_since"]) == ("offline", None)
    # The console comes back: its heartbeat shows what happened; it must set available again.
    async with floor.as_user(a) as conn:
        beat = await routing.heartbeat(conn, floor.ws)
    assert beat.status is PresenceStatus.OFFLINE
    # A heartbeat keeps an available agent available.
    async with floor.as_user(b) as conn:
        assert (await routing.heartbeat(conn, floor.ws)).status is PresenceStatus.AVAILABLE


async def test_going_away_while_an_offer_rings_declines_it_and_reroutes(floor: Floor) -> None:
    a, b, _ = floor.agents
    first = await floor.available(a)
    assert first.available_since is not None and first.status is PresenceStatus.AVAILABLE
    # Setting available again keeps the place in the idle order.
    assert (await floor.available(a)).available_since == first.available_since
    await floor.available(b)
    call = await floor.new_call()
    assert (await floor.request(call)).offered_to == a.uid

    async with floor.as_user(a) as conn:
        away = await routing.set_presence(conn, floor.ws, PresenceStatus.AWAY)
    assert (away.status, away.available_since) == (PresenceStatus.AWAY, None)
    assert await floor.offers(call) == [(a.uid, "declined"), (b.uid, "ringing")]

    async with floor.as_user(a) as conn:
        with pytest.raises(DomainError) as caught:
            await routing.set_presence(conn, floor.ws, PresenceStatus.ON_CALL)
    assert (caught.value.kind, caught.value.code) == (ErrorKind.INVALID, "invalid_status")
    await accept_as(floor, b, await floor.offer_of(b))
    async with floor.as_user(b) as conn:
        with pytest.raises(DomainError) as caught:
            await routing.set_presence(conn, floor.ws, PresenceStatus.OFFLINE)
    assert (caught.value.kind, caught.value.code) == (ErrorKind.CONFLICT, "on_call")


# ---------------------------------------------------------------- callback tasks


async def test_callback_tasks_are_created_once_and_completed_by_members(floor: Floor, world: dbkit.World) -> None:
    call = await floor.new_call()
    # The agent retries, or two workers race: one task.
    created = await asyncio.gather(*(create_task(floor, call) for _ in range(4)))
    assert len(set(created)) == 1
    first = created[0]
    async with floor.as_service() as conn:
        assert await routing.create_callback_task(conn, call, "Another note") == first
        assert await conn.fetchval("select count(*) from public.callback_tasks where call_id = $1", call) == 1
    async with floor.as_user(floor.agents[0]) as conn:
        task = await conn.fetchrow("select * from public.callback_tasks where id = $1", first)
    assert task is not None
    assert (task["status"], task["caller_number"], task["note"]) == (
        "open",
        "+15550001111",
        "Wants a call back about a refund",
    )

    async with floor.as_user(world.outsider) as conn:
        assert await conn.fetchval("select count(*) from public.callback_tasks where id = $1", first) == 0
        with pytest.raises(DomainError) as caught:
            await routing.complete_callback(conn, first, "Done")
    assert (caught.value.kind, caught.value.code) == (ErrorKind.NOT_FOUND, "callback_task_not_found")

    async with floor.as_user(floor.agents[1]) as conn:
        await routing.complete_callback(conn, first, "Called back, refund sent.")
    async with floor.as_user(floor.agents[1]) as conn:
        with pytest.raises(DomainError) as caught:
            await routing.complete_callback(conn, first, "Again")
    assert (caught.value.kind, caught.value.code) == (ErrorKind.CONFLICT, "callback_task_closed")
    async with floor.as_service() as conn:
        done = await conn.fetchrow("select * from public.callback_tasks where id = $1", first)
        assert done is not None
        assert (done["status"], done["completed_by"], done["completion_notes"]) == (
            "done",
            floor.agents[1].uid,
            "Called back, refund sent.",
        )
        # Closed, a new request makes a new task.
        assert await routing.create_callback_task(conn, call, "Again") != first


async def create_task(floor: Floor, call: uuid.UUID) -> uuid.UUID:
    async with floor.as_service() as conn:
        return await routing.create_callback_task(conn, call, "Wants a call back about a refund")


async def test_the_first_person_still_wraps_up_after_the_call_went_to_a_second_person(floor: Floor) -> None:
    first, second = floor.agents[0], floor.agents[1]
    await floor.available(first)
    call = await floor.new_call()
    await floor.request(call)
    await accept_as(floor, first, await floor.offer_of(first))
    async with floor.as_user(first) as conn:
        await routing.hand_back(conn, call)
    # The caller asks for a person again while the first one is still in wrap-up: the second one takes it.
    await floor.available(second)
    await floor.request(call)
    await accept_as(floor, second, await floor.offer_of(second))
    assert (await floor.call_row(call))["human_user_id"] == second.uid

    async with floor.as_user(first) as conn:
        await routing.submit_wrap_up(conn, call, Disposition.FOLLOW_UP, "", "passed to a colleague")
    assert (await floor.presence(first))["status"] == "available"
    # The second person is on the call: their wrap-up waits until they leave it.
    async with floor.as_user(second) as conn:
        with pytest.raises(DomainError) as caught:
            await routing.submit_wrap_up(conn, call, Disposition.RESOLVED, "", "")
    assert (caught.value.kind, caught.value.code) == (ErrorKind.CONFLICT, "still_connected")
