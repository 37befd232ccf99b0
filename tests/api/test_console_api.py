"""The human agents' console through the API app, against the running Postgres
(the handoff migration's routing functions) and Auth: presence and its
staleness, offers (card, accept with a LiveKit token, decline, expiry, races),
rejoining, handing back, wrap-up, the live board, callback tasks, and that
nothing crosses workspaces or reaches another person's offer."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import asyncpg
import httpx
import pytest
from httpx import ASGITransport
from livekit import api as lk
from livekit.api.access_token import Claims

from callcenter.calls import routing
from callcenter.calls.handoff import HandoffContext, HandoffReason, KnowledgeUsed, TranscriptLine
from callcenter.settings import get_settings
from lambdas.api.app import create_app
from tests.api.conftest import MakeUser, User
from tests.api.test_calls_api import insert_call
from tests.api.test_knowledge_api import Workspace, add_member, new_workspace


@pytest.fixture(scope="module")
async def app_client() -> AsyncIterator[httpx.AsyncClient]:
    """The API app in this process (the code under test, whatever the running server was started with)."""
    app = create_app()
    async with httpx.AsyncClient(transport=ASGITransport(app=app), base_url="http://api.test", timeout=20) as client:
        yield client
    await app.state.database.close()


@dataclass
class Team:
    ws: Workspace
    first: User
    second: User
    outsider: User
    # The outsider's workspace, in another business.
    other: Workspace

    def url(self, path: str) -> str:
        return f"/v1/workspaces/{self.ws.id}{path}"


async def set_name(db: asyncpg.Pool, user: User, name: str) -> None:
    await db.execute("update public.profiles set full_name = $2 where id = $1", uuid.UUID(user.id), name)


@pytest.fixture
async def team(api: httpx.AsyncClient, make_user: MakeUser, db: asyncpg.Pool) -> Team:
    """A workspace with two agents, and a member of another business."""
    ws = await new_workspace(api, make_user)
    first, second = await make_user("first"), await make_user("second")
    for user, name in ((first, "Fiona First"), (second, "Sam Second")):
        await add_member(db, ws, user, "agent")
        await set_name(db, user, name)
    other = await new_workspace(api, make_user, "Other Co")
    return Team(ws, first, second, other.owner, other)


async def set_status(client: httpx.AsyncClient, team: Team, user: User, status: str) -> dict[str, Any]:
    response = await client.put(team.url("/presence/me"), headers=user.headers, json={"status": status})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


CONTEXT = HandoffContext(
    reason=HandoffReason.UNANSWERED_QUESTIONS,
    intent="billing question",
    topic="billing and payments",
    sentiment_label="negative",
    sentiment_score=-0.4,
    sentiment_trend="worsening",
    knowledge_used=[
        KnowledgeUsed(
            chunk_id=uuid.uuid4(),
            source_id=uuid.uuid4(),
            title="Refund policy",
            url="https://help.example.com/refunds",
            heading_path=["Refunds", "Timing"],
            content="Refunds reach your card within 5 business days.",
            score=0.82,
        )
    ],
    transcript=[TranscriptLine(speaker="customer", text="Where is my refund?", at=datetime.now(UTC))],
    summary="The caller waits for a refund the AI could not trace.",
    unanswered_question="Can you check refund R-1234?",
)


async def live_call(db: asyncpg.Pool, team: Team, **columns: Any) -> uuid.UUID:
    values: dict[str, Any] = {"answered_at": datetime.now(UTC), "caller_number": "+15557654321"} | columns
    return await insert_call(
        db, team.ws, started_at=datetime.now(UTC) - timedelta(minutes=2), status="active", **values
    )


@asynccontextmanager
async def service(db: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """A transaction on the test pool, which connects as the database owner (like Database.as_service)."""
    async with db.acquire() as conn, conn.transaction():
        yield cast(asyncpg.Connection, conn)


async def ask_for_human(db: asyncpg.Pool, call_id: uuid.UUID) -> routing.HandoffState:
    async with service(db) as conn:
        return await routing.request_human(conn, call_id, CONTEXT.reason, CONTEXT)


async def ringing_offer_id(db: asyncpg.Pool, call_id: uuid.UUID) -> uuid.UUID:
    offer_id = await db.fetchval("select id from public.call_offers where call_id = $1 and status = 'ringing'", call_id)
    assert offer_id is not None, "no offer rings for this call"
    return uuid.UUID(str(offer_id))


async def offered_call(client: httpx.AsyncClient, db: asyncpg.Pool, team: Team) -> tuple[uuid.UUID, uuid.UUID]:
    """A live call the AI handed off, ringing for the first agent (the only one available)."""
    await set_status(client, team, team.first, "available")
    call_id = await live_call(db, team)
    state = await ask_for_human(db, call_id)
    assert state.status == routing.HandoffStatus.OFFERED
    assert state.offered_to == uuid.UUID(team.first.id)
    return call_id, await ringing_offer_id(db, call_id)


def verify_livekit_token(token: str) -> Claims:
    settings = get_settings()
    return lk.TokenVerifier(settings.livekit_api_key, settings.livekit_api_secret).verify(token)


async def make_heartbeat_stale(db: asyncpg.Pool, team: Team, user: User) -> None:
    """The console tab closed: no heartbeat for longer than the freshness window."""
    await db.execute(
        "update public.agent_presence set last_seen_at = now() - make_interval(secs => $3) "
        "where workspace_id = $1 and user_id = $2",
        uuid.UUID(team.ws.id),
        uuid.UUID(user.id),
        routing.PRESENCE_FRESH_SECONDS + 5,
    )


# ---------------------------------------------------------------- presence


async def test_presence_is_set_by_the_console_and_goes_offline_without_heartbeats(
    app_client: httpx.AsyncClient, team: Team, db: asyncpg.Pool
) -> None:
    before = await app_client.get(team.url("/presence"), headers=team.first.headers)
    assert before.status_code == 200, before.text
    agents = {agent["user_id"]: agent for agent in before.json()["agents"]}
    assert set(agents) == {team.ws.owner.id, team.first.id, team.second.id}, "members without a console are listed"
    assert agents[team.first.id]["status"] == "offline"
    assert agents[team.first.id]["name"] == "Fiona First"

    mine = await set_status(app_client, team, team.first, "available")
    assert (mine["user_id"], mine["status"], mine["effective_status"]) == (team.first.id, "available", "available")
    assert mine["available_since"] is not None and mine["email"] == team.first.email

    refused = await app_client.put(team.url("/presence/me"), headers=team.first.headers, json={"status": "on_call"})
    assert refused.status_code == 422

    await make_heartbeat_stale(db, team, team.first)
    stale = {
        a["user_id"]: a
        for a in (await app_client.get(team.url("/presence"), headers=team.second.headers)).json()["agents"]
    }
    assert stale[team.first.id]["effective_status"] == "offline"

    beat = await app_client.post(team.url("/presence/me/heartbeat"), headers=team.first.headers)
    assert beat.status_code == 200, beat.text
    assert beat.json()["effective_status"] == beat.json()["status"]

    for method, path, body in (
        ("GET", "/presence", None),
        ("PUT", "/presence/me", {"status": "available"}),
        ("POST", "/presence/me/heartbeat", None),
        ("GET", "/console", None),
        ("GET", "/live", None),
        ("GET", "/callbacks", None),
    ):
        outsider = await app_client.request(method, team.url(path), headers=team.outsider.headers, json=body)
        assert outsider.status_code == 404, f"{method} {path}: {outsider.text}"


# ---------------------------------------------------------------- offers


async def test_an_offer_card_survives_a_reload_and_accepting_gives_a_room_token(
    app_client: httpx.AsyncClient, team: Team, db: asyncpg.Pool
) -> None:
    call_id, offer_id = await offered_call(app_client, db, team)
    now = datetime.now(UTC)
    await db.execute(
        """insert into public.call_transcript_segments (id, call_id, workspace_id, speaker, text, started_at, ended_at)
           values ($1, $3, $4, 'ai', 'Hello, how can I help?', $5, $5),
                  ($2, $3, $4, 'customer', 'A person please.', $6, $6)""",
        uuid.uuid4(),
        uuid.uuid4(),
        call_id,
        uuid.UUID(team.ws.id),
        now - timedelta(seconds=20),
        now - timedelta(seconds=5),
    )

    reloaded = await app_client.get(team.url("/console"), headers=team.first.headers)
    assert reloaded.status_code == 200, reloaded.text
    state = reloaded.json()
    assert state["call"] is None
    card = state["offer"]
    assert card["offer_id"] == str(offer_id) and card["call_id"] == str(call_id)
    assert card["status"] == "ringing" and card["ring_timeout_seconds"] == 20
    assert card["caller_number"] == "+15557654321"
    assert card["reason"] == "unanswered_questions" and card["waiting_since"] is not None
    assert (card["intent"], card["topic"], card["sentiment_label"], card["sentiment_trend"]) == (
        "billing question",
        "billing and payments",
        "negative",
        "worsening",
    )
    assert card["sentiment_score"] == pytest.approx(-0.4)
    assert card["summary"] == CONTEXT.summary and card["unanswered_question"] == CONTEXT.unanswered_question
    assert [(k["title"], k["url"], k["content"]) for k in card["knowledge_used"]] == [
        ("Refund policy", "https://help.example.com/refunds", "Refunds reach your card within 5 business days.")
    ]
    assert [(line["speaker"], line["text"]) for line in card["transcript"]] == [
        ("ai", "Hello, how can I help?"),
        ("customer", "A person please."),
    ]
    assert state["presence"]["status"] == "available"

    one = await app_client.get(team.url(f"/offers/{offer_id}"), headers=team.first.headers)
    assert one.status_code == 200 and one.json() == card
    assert (await app_client.get(team.url(f"/offers/{offer_id}"), headers=team.ws.owner.headers)).status_code == 200
    for user in (team.second, team.outsider):
        assert (await app_client.get(team.url(f"/offers/{offer_id}"), headers=user.headers)).status_code == 404
        stolen = await app_client.post(team.url(f"/offers/{offer_id}/accept"), headers=user.headers)
        assert stolen.status_code == 404 and stolen.json()["error"]["code"] == "offer_not_found"
        assert (await app_client.post(team.url(f"/offers/{offer_id}/decline"), headers=user.headers)).status_code == 404

    # The agent also works for the other business: its URLs do not reach this workspace's offer.
    await add_member(db, team.other, team.first, "agent")
    elsewhere = f"/v1/workspaces/{team.other.id}/offers/{offer_id}"
    assert (await app_client.get(elsewhere, headers=team.first.headers)).status_code == 404
    assert (await app_client.post(f"{elsewhere}/accept", headers=team.first.headers)).status_code == 404

    accepted = await app_client.post(team.url(f"/offers/{offer_id}/accept"), headers=team.first.headers)
    assert accepted.status_code == 200, accepted.text
    ticket = accepted.json()
    assert ticket["call_id"] == str(call_id) and ticket["room_name"] == f"call-{call_id}"
    assert ticket["identity"] == f"human-{team.first.id}" == routing.human_identity(uuid.UUID(team.first.id))
    assert ticket["livekit_url"] == get_settings().livekit_browser_url
    claims = verify_livekit_token(ticket["token"])
    assert claims.identity == ticket["identity"] and claims.name == "Fiona First"
    assert claims.video is not None
    assert (claims.video.room, claims.video.room_join, claims.video.can_publish) == (ticket["room_name"], True, True)

    after = (await app_client.get(team.url("/console"), headers=team.first.headers)).json()
    assert after["offer"] is None
    assert after["presence"]["status"] == "on_call" and after["presence"]["current_call_id"] == str(call_id)
    call = after["call"]
    assert call["call_id"] == str(call_id) and call["handoff_status"] == "connected"
    assert call["wrap_up_due"] is False and call["room_name"] == ticket["room_name"]
    assert call["knowledge_used"] == card["knowledge_used"] and call["suggestions"] == []

    # The copilot writes suggestions for the person on the call; a reload brings back theirs only.
    passage = CONTEXT.knowledge_used[0].model_dump_json()
    for user, say in ((team.first, "Tell them refunds take up to 5 business days."), (team.second, "Not for you.")):
        await db.execute(
            """insert into public.copilot_suggestions
                 (call_id, workspace_id, for_user_id, question, say, steps, passages)
               values ($1, $2, $3, 'Where is my refund?', $4, '["Check the refund date", "Give the timeline"]',
                       jsonb_build_array($5::jsonb))""",
            call_id,
            uuid.UUID(team.ws.id),
            uuid.UUID(user.id),
            say,
            passage,
        )
    [suggestion] = (await app_client.get(team.url("/console"), headers=team.first.headers)).json()["call"][
        "suggestions"
    ]
    assert (suggestion["question"], suggestion["say"]) == (
        "Where is my refund?",
        "Tell them refunds take up to 5 business days.",
    )
    assert suggestion["steps"] == ["Check the refund date", "Give the timeline"]
    assert [passage["title"] for passage in suggestion["passages"]] == ["Refund policy"]

    # Clicked twice, or the answer was lost: the same room again.
    again = await app_client.post(team.url(f"/offers/{offer_id}/accept"), headers=team.first.headers)
    assert again.status_code == 200 and again.json()["room_name"] == ticket["room_name"], again.text


async def test_two_agents_joining_one_call_one_gets_call_taken(
    app_client: httpx.AsyncClient, team: Team, db: asyncpg.Pool
) -> None:
    call_id, offer_id = await offered_call(app_client, db, team)
    accepted = await app_client.post(team.url(f"/offers/{offer_id}/accept"), headers=team.first.headers)
    assert accepted.status_code == 200, accepted.text
    # The second agent's card was still on screen (an offer made before the first one accepted).
    late_offer = uuid.uuid4()
    await db.execute(
        """insert into public.call_offers (id, call_id, workspace_id, user_id, status, offered_at, expires_at)
           values ($1, $2, $3, $4, 'ringing', now(), now() + interval '20 seconds')""",
        late_offer,
        call_id,
        uuid.UUID(team.ws.id),
        uuid.UUID(team.second.id),
    )
    taken = await app_client.post(team.url(f"/offers/{late_offer}/accept"), headers=team.second.headers)
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "call_taken", taken.text
    rejoin = await app_client.post(team.url(f"/calls/{call_id}/join"), headers=team.second.headers)
    assert rejoin.status_code == 409 and rejoin.json()["error"]["code"] == "not_your_call"


async def test_concurrent_clicks_on_join_connect_once(
    app_client: httpx.AsyncClient, team: Team, db: asyncpg.Pool
) -> None:
    call_id, offer_id = await offered_call(app_client, db, team)
    url = team.url(f"/offers/{offer_id}/accept")
    answers = await asyncio.gather(*(app_client.post(url, headers=team.first.headers) for _ in range(3)))
    assert [answer.status_code for answer in answers] == [200, 200, 200], [a.text for a in answers]
    assert {answer.json()["room_name"] for answer in answers} == {f"call-{call_id}"}
    row = await db.fetchrow(
        """select c.human_user_id, c.handoff_status::text as handoff_status,
                  (select count(*) from public.call_offers o
                   where o.call_id = c.id and o.status = 'accepted') as accepted
           from public.calls c where c.id = $1""",
        call_id,
    )
    assert row is not None
    assert (str(row["human_user_id"]), row["handoff_status"], row["accepted"]) == (team.first.id, "connected", 1)


async def test_an_expired_offer_cannot_be_accepted_and_leaves_the_console(
    app_client: httpx.AsyncClient, team: Team, db: asyncpg.Pool
) -> None:
    _, offer_id = await offered_call(app_client, db, team)
    # The ring timeout passed and no sweep has run yet: the row still says ringing.
    await db.execute(
        """update public.call_offers
           set offered_at = offered_at - interval '1 minute', expires_at = now() - interval '1 second'
           where id = $1""",
        offer_id,
    )
    console = (await app_client.get(team.url("/console"), headers=team.first.headers)).json()
    assert console["offer"] is None
    expired = await app_client.post(team.url(f"/offers/{offer_id}/accept"), headers=team.first.headers)
    assert expired.status_code == 409 and expired.json()["error"]["code"] == "offer_expired", expired.text


async def test_a_declined_offer_goes_to_the_next_available_agent(
    app_client: httpx.AsyncClient, team: Team, db: asyncpg.Pool
) -> None:
    call_id, offer_id = await offered_call(app_client, db, team)
    await set_status(app_client, team, team.second, "available")
    declined = await app_client.post(team.url(f"/offers/{offer_id}/decline"), headers=team.first.headers)
    assert declined.status_code == 204, declined.text
    assert await db.fetchval("select status::text from public.call_offers where id = $1", offer_id) == "declined"
    second = (await app_client.get(team.url("/console"), headers=team.second.headers)).json()
    assert second["offer"] is not None and second["offer"]["call_id"] == str(call_id)
    assert (await app_client.get(team.url("/console"), headers=team.first.headers)).json()["offer"] is None
    twice = await app_client.post(team.url(f"/offers/{offer_id}/decline"), headers=team.first.headers)
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "offer_expired"


# ---------------------------------------------------------------- in the call and after


async def test_rejoin_hand_back_and_wrap_up(app_client: httpx.AsyncClient, team: Team, db: asyncpg.Pool) -> None:
    call_id, offer_id = await offered_call(app_client, db, team)
    assert (
        await app_client.post(team.url(f"/offers/{offer_id}/accept"), headers=team.first.headers)
    ).status_code == 200

    rejoin = await app_client.post(team.url(f"/calls/{call_id}/join"), headers=team.first.headers)
    assert rejoin.status_code == 200, rejoin.text
    assert verify_livekit_token(rejoin.json()["token"]).identity == f"human-{team.first.id}"
    outsider = await app_client.post(team.url(f"/calls/{call_id}/join"), headers=team.outsider.headers)
    assert outsider.status_code == 404

    early = await app_client.post(
        team.url(f"/calls/{call_id}/wrap-up"), headers=team.first.headers, json={"disposition": "resolved"}
    )
    assert early.status_code == 409 and early.json()["error"]["code"] == "still_connected", early.text

    for user in (team.second, team.outsider):
        refused = await app_client.post(team.url(f"/calls/{call_id}/hand-back"), headers=user.headers)
        assert refused.status_code == 404, refused.text
    handed = await app_client.post(team.url(f"/calls/{call_id}/hand-back"), headers=team.first.headers)
    assert handed.status_code == 200 and handed.json() == {"handoff_status": "returned"}
    assert (await app_client.post(team.url(f"/calls/{call_id}/join"), headers=team.first.headers)).status_code == 409

    console = (await app_client.get(team.url("/console"), headers=team.first.headers)).json()
    assert console["presence"]["status"] == "wrap_up"
    assert console["call"]["call_id"] == str(call_id) and console["call"]["wrap_up_due"] is True

    bad = await app_client.post(
        team.url(f"/calls/{call_id}/wrap-up"), headers=team.first.headers, json={"disposition": "maybe"}
    )
    assert bad.status_code == 422
    not_theirs = await app_client.post(
        team.url(f"/calls/{call_id}/wrap-up"), headers=team.second.headers, json={"disposition": "resolved"}
    )
    assert not_theirs.status_code == 404
    wrapped = await app_client.post(
        team.url(f"/calls/{call_id}/wrap-up"),
        headers=team.first.headers,
        json={"disposition": "follow_up", "summary": "Refund traced; card issuer delay.", "notes": "Call back Friday."},
    )
    assert wrapped.status_code == 204, wrapped.text
    console = (await app_client.get(team.url("/console"), headers=team.first.headers)).json()
    assert console["call"] is None and console["presence"]["status"] == "available"

    detail = (await app_client.get(team.url(f"/calls/{call_id}"), headers=team.ws.owner.headers)).json()
    assert detail["handoff_status"] == "returned" and detail["human_name"] == "Fiona First"
    assert detail["human_user_id"] == team.first.id
    assert detail["human_joined_at"] is not None and detail["human_left_at"] is not None
    assert (detail["disposition"], detail["wrap_up_notes"]) == ("follow_up", "Call back Friday.")
    assert detail["summary"] == "Refund traced; card issuer delay."
    assert detail["wrapped_up_at"] is not None and detail["wrapped_up_by_name"] == "Fiona First"
    assert [(o["user_id"], o["name"], o["status"]) for o in detail["offers"]] == [
        (team.first.id, "Fiona First", "accepted")
    ]
    # An agent sees only the offers made to them.
    seen_by_second = (await app_client.get(team.url(f"/calls/{call_id}"), headers=team.second.headers)).json()
    assert seen_by_second["offers"] == []


async def test_a_person_whose_line_dropped_owes_the_wrap_up_when_they_come_back(
    app_client: httpx.AsyncClient, team: Team, db: asyncpg.Pool
) -> None:
    call_id, offer_id = await offered_call(app_client, db, team)
    accepted = await app_client.post(team.url(f"/offers/{offer_id}/accept"), headers=team.first.headers)
    assert accepted.status_code == 200, accepted.text
    # The tab closed mid-call: the worker gives the caller back to the AI after the grace, and no heartbeat follows.
    async with db.acquire() as conn:
        assert await routing.human_dropped(conn, call_id)
    await make_heartbeat_stale(db, team, team.first)
    board = {
        a["user_id"]: a
        for a in (await app_client.get(team.url("/presence"), headers=team.second.headers)).json()["agents"]
    }
    assert board[team.first.id]["effective_status"] == "offline", "nobody routes calls to a closed tab"
    assert await db.fetchval("select handoff_status::text from public.calls where id = $1", call_id) == "returned"

    # They open the console again: the wrap-up of the dropped call is waiting, and they can rejoin nothing.
    console = (await app_client.get(team.url("/console"), headers=team.first.headers)).json()
    assert console["call"]["call_id"] == str(call_id) and console["call"]["wrap_up_due"] is True, console
    rejoin = await app_client.post(team.url(f"/calls/{call_id}/join"), headers=team.first.headers)
    assert rejoin.status_code == 409, rejoin.text
    wrapped = await app_client.post(
        team.url(f"/calls/{call_id}/wrap-up"), headers=team.first.headers, json={"disposition": "follow_up"}
    )
    assert wrapped.status_code == 204, wrapped.text
    console = (await app_client.get(team.url("/console"), headers=team.first.headers)).json()
    assert console["call"] is None and console["presence"]["status"] == "available"


async def test_the_connected_human_may_hang_up_a_phone_call(
    app_client: httpx.AsyncClient, team: Team, db: asyncpg.Pool
) -> None:
    call_id, offer_id = await offered_call(app_client, db, team)
    assert (
        await app_client.post(team.url(f"/offers/{offer_id}/accept"), headers=team.first.headers)
    ).status_code == 200
    other = await app_client.post(team.url(f"/calls/{call_id}/end"), headers=team.second.headers)
    assert other.status_code == 409 and other.json()["error"]["code"] == "not_a_test_call"
    ended = await app_client.post(team.url(f"/calls/{call_id}/end"), headers=team.first.headers)
    assert ended.status_code == 200, ended.text
    # No worker holds this call (no heartbeat), so the API closes it; the trigger moves the human to wrap-up.
    assert await db.fetchval("select status::text from public.calls where id = $1", call_id) == "ended"
    console = (await app_client.get(team.url("/console"), headers=team.first.headers)).json()
    assert console["presence"]["status"] == "wrap_up"
    assert console["call"]["call_id"] == str(call_id) and console["call"]["wrap_up_due"] is True


# ---------------------------------------------------------------- live board and callbacks


async def test_the_live_board_shows_who_has_each_call(
    app_client: httpx.AsyncClient, team: Team, db: asyncpg.Pool
) -> None:
    with_ai = await live_call(db, team, intent="ask a question", sentiment_label="positive", sentiment_score=0.5)
    await db.execute(
        """insert into public.call_transcript_segments (id, call_id, workspace_id, speaker, text, started_at, ended_at)
           values ($1, $2, $3, 'customer', 'Thanks, that helps.', now(), now())""",
        uuid.uuid4(),
        with_ai,
        uuid.UUID(team.ws.id),
    )
    with_human, offer_id = await offered_call(app_client, db, team)
    assert (
        await app_client.post(team.url(f"/offers/{offer_id}/accept"), headers=team.first.headers)
    ).status_code == 200
    offered = await live_call(db, team)
    assert (await ask_for_human(db, offered)).status == routing.HandoffStatus.WAITING
    await set_status(app_client, team, team.second, "available")  # the waiting call rings for the second agent
    waiting = await live_call(db, team)
    # Behind the call ringing for the second agent.
    assert (await ask_for_human(db, waiting)).queue_position == 2
    await insert_call(db, team.ws, started_at=datetime.now(UTC), status="ended")

    board = await app_client.get(team.url("/live"), headers=team.second.headers)
    assert board.status_code == 200, board.text
    calls = {call["call_id"]: call for call in board.json()["calls"]}
    assert {call_id: call["state"] for call_id, call in calls.items()} == {
        str(with_ai): "ai",
        str(with_human): "human",
        str(offered): "offered",
        str(waiting): "waiting",
    }
    assert calls[str(with_ai)]["last_line"] == "Thanks, that helps."
    assert calls[str(with_ai)]["sentiment_score"] == pytest.approx(0.5)
    assert calls[str(with_human)]["human_name"] == "Fiona First"
    assert calls[str(offered)]["offered_to"] == team.second.id
    assert calls[str(offered)]["offered_to_name"] is not None
    assert calls[str(waiting)]["offered_to"] is None
    assert calls[str(waiting)]["handoff_reason"] == "unanswered_questions"
    assert calls[str(waiting)]["waiting_since"] is not None
    statuses = {agent["user_id"]: agent["effective_status"] for agent in board.json()["agents"]}
    assert (statuses[team.first.id], statuses[team.second.id]) == ("on_call", "available")


async def test_callback_tasks_are_listed_and_completed(
    app_client: httpx.AsyncClient, team: Team, db: asyncpg.Pool
) -> None:
    call_id = await live_call(db, team)
    async with service(db) as conn:
        task_id = await routing.create_callback_task(conn, call_id, "Wants a call back about refund R-1234.")
    listed = await app_client.get(team.url("/callbacks"), headers=team.second.headers, params={"status": "open"})
    assert listed.status_code == 200, listed.text
    [task] = listed.json()["tasks"]
    assert (task["id"], task["call_id"], task["caller_number"], task["status"]) == (
        str(task_id),
        str(call_id),
        "+15557654321",
        "open",
    )
    assert task["note"] == "Wants a call back about refund R-1234."
    assert (
        await app_client.get(team.url("/callbacks"), headers=team.second.headers, params={"status": "x"})
    ).status_code == 422

    elsewhere = await app_client.post(
        team.url(f"/callbacks/{task_id}/complete"), headers=team.outsider.headers, json={"notes": "done"}
    )
    assert elsewhere.status_code == 404
    done = await app_client.post(
        team.url(f"/callbacks/{task_id}/complete"), headers=team.second.headers, json={"notes": "Called back."}
    )
    assert done.status_code == 204, done.text
    assert (
        await app_client.get(team.url("/callbacks"), headers=team.second.headers, params={"status": "open"})
    ).json() == {"tasks": []}
    [completed] = (
        await app_client.get(team.url("/callbacks"), headers=team.first.headers, params={"status": "done"})
    ).json()["tasks"]
    assert completed["completed_by"] == team.second.id and completed["completed_by_name"] == "Sam Second"
    assert completed["completed_at"] is not None and completed["completion_notes"] == "Called back."
    closed = await app_client.post(
        team.url(f"/callbacks/{task_id}/complete"), headers=team.second.headers, json={"notes": "again"}
    )
    assert closed.status_code == 409 and closed.json()["error"]["code"] == "callback_task_closed"
