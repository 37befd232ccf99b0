"""Calls through the API: the list (newest first, paged), one call with its
transcript, turns, knowledge used and latency percentiles, browser test calls
placed on the real livekit-server the local platform runs (room created,
agent dispatched, token for that room only) and hung up, LiveKit down
reported as such, and no call crossing businesses."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import jwt
import pytest
from httpx import ASGITransport

from callcenter.calls.call_log import percentile
from callcenter.calls.dispatch import CallDispatch
from callcenter.calls.rooms import CallRooms, http_url
from callcenter.errors import DomainError, ErrorKind
from callcenter.settings import get_settings
from lambdas.api.app import create_app
from tests.api.conftest import MakeUser
from tests.api.test_knowledge_api import Workspace, add_member, new_workspace


def calls_url(workspace: Workspace | str) -> str:
    workspace_id = workspace.id if isinstance(workspace, Workspace) else workspace
    return f"/v1/workspaces/{workspace_id}/calls"


async def insert_call(
    db: asyncpg.Pool, ws: Workspace, *, started_at: datetime, status: str = "ended", **columns: Any
) -> uuid.UUID:
    call_id = uuid.uuid4()
    values: dict[str, Any] = {
        "id": call_id,
        "workspace_id": uuid.UUID(ws.id),
        "business_id": uuid.UUID(ws.business_id),
        "room_name": f"call-{call_id}",
        "channel": "phone",
        "caller_number": "+15551230000",
        "status": status,
        "started_at": started_at,
    }
    values.update(columns)
    names = ", ".join(values)
    params = ", ".join(f"${n}" for n in range(1, len(values) + 1))
    await db.execute(f"insert into public.calls ({names}) values ({params})", *values.values())
    return call_id


async def test_calls_are_listed_newest_first_in_pages(
    api: httpx.AsyncClient, make_user: MakeUser, db: asyncpg.Pool
) -> None:
    ws = await new_workspace(api, make_user)
    empty = await api.get(calls_url(ws), headers=ws.owner.headers)
    assert empty.status_code == 200, empty.text
    assert empty.json() == {"calls": [], "next_cursor": None}

    now = datetime.now(UTC)
    ids = []
    for minutes in range(5):
        started = now - timedelta(minutes=10 - minutes)
        ids.append(
            await insert_call(
                db,
                ws,
                started_at=started,
                answered_at=started + timedelta(seconds=2),
                ended_at=started + timedelta(seconds=92),
            )
        )
    live = await insert_call(
        db,
        ws,
        started_at=now,
        status="active",
        channel="browser",
        caller_number=None,
        caller_identity=f"web-{ws.owner.id}",
        placed_by=uuid.UUID(ws.owner.id),
        intent="billing question",
        topic="billing and payments",
        sentiment_label="negative",
        sentiment_score=-0.7,
        sentiment_trend="worsening",
        handoff_reason="negative_sentiment",
        handoff_requested_at=now,
    )
    newest_first = [str(live), *[str(i) for i in reversed(ids)]]

    first = (await api.get(calls_url(ws), headers=ws.owner.headers, params={"limit": 4})).json()
    assert [call["id"] for call in first["calls"]] == newest_first[:4]
    assert first["next_cursor"]
    top = first["calls"][0]
    assert top["status"] == "active"
    assert top["channel"] == "browser"
    assert top["placed_by_email"] == ws.owner.email
    assert top["duration_seconds"] is None
    assert (top["intent"], top["topic"], top["sentiment_label"], top["sentiment_trend"]) == (
        "billing question",
        "billing and payments",
        "negative",
        "worsening",
    )
    assert top["sentiment_score"] == pytest.approx(-0.7)
    assert top["handoff_reason"] == "negative_sentiment"
    assert first["calls"][1]["duration_seconds"] == pytest.approx(90)
    assert first["calls"][1]["caller_number"] == "+15551230000"

    second = (
        await api.get(calls_url(ws), headers=ws.owner.headers, params={"limit": 4, "cursor": first["next_cursor"]})
    ).json()
    assert [call["id"] for call in second["calls"]] == newest_first[4:]
    assert second["next_cursor"] is None

    bad = await api.get(calls_url(ws), headers=ws.owner.headers, params={"cursor": "not-a-cursor"})
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "cursor"
    too_many = await api.get(calls_url(ws), headers=ws.owner.headers, params={"limit": 101})
    assert too_many.status_code == 422


async def test_a_call_with_its_transcript_turns_knowledge_and_latency(
    api: httpx.AsyncClient, make_user: MakeUser, db: asyncpg.Pool
) -> None:
    ws = await new_workspace(api, make_user)
    agent = await make_user("agent")
    await add_member(db, ws, agent, "agent")
    start = datetime.now(UTC) - timedelta(minutes=3)
    call_id = await insert_call(
        db,
        ws,
        started_at=start,
        answered_at=start,
        ended_at=start + timedelta(minutes=2),
        summary="The caller asked about refunds; the agent answered from the refund policy.",
        handoff_context=json.dumps({"reason": "unanswered_questions", "unanswered_question": "Can I pay in bitcoin?"}),
        handoff_reason="unanswered_questions",
    )
    lines = [
        ("ai", "Hello, thanks for calling Acme.", False),
        ("customer", "How long do I have to return an item?", False),
        ("ai", "You can return any item within 30 days of delivery for a full", True),
        ("customer", "And can I pay in bitcoin?", False),
    ]
    for n, (speaker, text, interrupted) in enumerate(lines):
        at = start + timedelta(seconds=5 * n)
        await db.execute(
            """insert into public.call_transcript_segments
               (id, call_id, workspace_id, speaker, text, started_at, ended_at, interrupted)
               values ($1, $2, $3, $4, $5, $6, $7, $8)""",
            uuid.uuid4(),
            call_id,
            uuid.UUID(ws.id),
            speaker,
            text,
            at,
            at + timedelta(seconds=3),
            interrupted,
        )
    passage = {
        "chunk_id": str(uuid.uuid4()),
        "source_id": str(uuid.uuid4()),
        "title": "Refunds",
        "url": "https://help.acme.test/refunds",
        "page": None,
        "heading_path": ["Refunds", "How long you have"],
        "content": "You can return any item within 30 days of delivery for a full refund.",
        "score": 0.82,
    }
    totals = [900.0, 1100.0, 1500.0]
    for index, total in enumerate(totals):
        await db.execute(
            """insert into public.call_turns
               (id, call_id, workspace_id, turn_index, user_text, reply_text, knowledge_used, answered,
                intent, topic, sentiment_label, sentiment_score,
                end_of_turn_ms, stt_ms, retrieval_ms, llm_first_token_ms, tts_first_audio_ms, total_ms)
               values ($1, $2, $3, $4, $5, $6, $7, $8, 'ask a question', 'returns and refunds', 'neutral', 0.1,
                       $9, 120, $10, 200, 210, $11)""",
            uuid.uuid4(),
            call_id,
            uuid.UUID(ws.id),
            index,
            f"question {index}",
            f"answer {index}",
            json.dumps([passage] if index == 0 else []),
            index == 0,
            None if index == 2 else 300.0,
            40.0 + index,
            total,
        )

    response = await api.get(f"{calls_url(ws)}/{call_id}", headers=agent.headers)
    assert response.status_code == 200, response.text
    call = response.json()
    assert call["summary"].startswith("The caller asked about refunds")
    assert call["handoff_context"]["unanswered_question"] == "Can I pay in bitcoin?"
    assert [(s["speaker"], s["text"], s["interrupted"]) for s in call["segments"]] == lines
    assert [turn["turn_index"] for turn in call["turns"]] == [0, 1, 2]
    used = call["turns"][0]["knowledge_used"]
    assert used[0]["title"] == "Refunds"
    assert used[0]["url"] == "https://help.acme.test/refunds"
    assert used[0]["heading_path"] == ["Refunds", "How long you have"]
    assert "30 days" in used[0]["content"]
    assert call["turns"][0]["answered"] is True
    assert call["turns"][2]["end_of_turn_ms"] is None

    stats = {stat["stage"]: stat for stat in call["latency"]}
    assert list(stats) == [
        "end_of_turn_ms",
        "stt_ms",
        "retrieval_ms",
        "llm_first_token_ms",
        "tts_first_audio_ms",
        "total_ms",
    ]
    assert stats["total_ms"]["count"] == 3
    assert stats["total_ms"]["p50_ms"] == pytest.approx(1100.0)
    assert stats["total_ms"]["p95_ms"] == pytest.approx(1460.0)  # 1100 + 0.9 * (1500 - 1100)
    assert stats["end_of_turn_ms"]["count"] == 2
    assert stats["retrieval_ms"]["p50_ms"] == pytest.approx(41.0)


def test_percentiles_interpolate_between_ranks() -> None:
    assert percentile([5.0], 0.95) == 5.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == pytest.approx(2.5)
    assert percentile([10.0, 0.0, 20.0], 0.95) == pytest.approx(19.0)


async def test_calls_do_not_cross_businesses(api: httpx.AsyncClient, make_user: MakeUser, db: asyncpg.Pool) -> None:
    ws = await new_workspace(api, make_user)
    other = await new_workspace(api, make_user, "Globex")
    call_id = await insert_call(db, ws, started_at=datetime.now(UTC), status="active")
    outsider = other.owner.headers
    assert (await api.get(calls_url(ws), headers=outsider)).status_code == 404
    assert (await api.get(f"{calls_url(ws)}/{call_id}", headers=outsider)).status_code == 404
    # Asking for it through one's own workspace does not find it either.
    assert (await api.get(f"{calls_url(other)}/{call_id}", headers=outsider)).status_code == 404
    assert (await api.post(f"{calls_url(ws)}/{call_id}/end", headers=outsider)).status_code == 404
    assert (await api.post(f"/v1/workspaces/{ws.id}/test-calls", headers=outsider)).status_code == 404
    assert (await api.get(f"{calls_url(ws)}/{uuid.uuid4()}", headers=ws.owner.headers)).status_code == 404
    assert (await api.get(calls_url(ws))).status_code == 401
    assert (await api.get(calls_url(other), headers=outsider)).json()["calls"] == []
    rooms = await db.fetchval("select count(*) from public.calls where workspace_id = $1", uuid.UUID(other.id))
    assert rooms == 0, "refused test calls leave no record behind"


async def test_phone_calls_cannot_be_hung_up_from_the_web(
    api: httpx.AsyncClient, make_user: MakeUser, db: asyncpg.Pool
) -> None:
    ws = await new_workspace(api, make_user)
    call_id = await insert_call(db, ws, started_at=datetime.now(UTC), status="active")
    response = await api.post(f"{calls_url(ws)}/{call_id}/end", headers=ws.owner.headers)
    assert response.status_code == 409
    assert "test calls" in response.json()["error"]["message"]


# ---------------------------------------------------------------- LiveKit


def _livekit_reachable() -> bool:
    url = httpx.URL(http_url(get_settings().livekit_url))
    try:
        with socket.create_connection((url.host, url.port or 80), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def livekit() -> CallRooms:
    settings = get_settings()
    assert settings.livekit_api_secret, "LIVEKIT_API_SECRET is not set (./dev up writes it to .local/runtime.env)"
    assert _livekit_reachable(), f"livekit-server is not reachable at {settings.livekit_url} (./dev up starts it)"
    return CallRooms(settings)


async def _eventually_status(db: asyncpg.Pool, call_id: uuid.UUID, statuses: set[str], within: float = 30) -> str:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    status = ""
    while loop.time() < deadline:
        status = str(await db.fetchval("select status::text from public.calls where id = $1", call_id))
        if status in statuses:
            return status
        await asyncio.sleep(0.25)
    raise AssertionError(f"call {call_id} is {status!r}, expected one of {statuses}")


async def test_a_member_places_and_hangs_up_a_browser_test_call(
    api: httpx.AsyncClient, make_user: MakeUser, db: asyncpg.Pool, livekit: CallRooms
) -> None:
    ws = await new_workspace(api, make_user)
    agent = await make_user("agent")
    await add_member(db, ws, agent, "agent")
    settings = get_settings()

    response = await api.post(f"/v1/workspaces/{ws.id}/test-calls", headers=agent.headers)
    assert response.status_code == 201, response.text
    placed = response.json()
    call_id = uuid.UUID(placed["call_id"])
    assert placed["room_name"] == f"call-{call_id}"
    assert placed["livekit_url"] == settings.livekit_browser_url

    row = await db.fetchrow(
        "select channel::text, status::text, placed_by, caller_identity, room_name from public.calls where id = $1",
        call_id,
    )
    assert row is not None
    assert row["channel"] == "browser"
    assert row["status"] in ("ringing", "active")  # active once an agent worker has picked it up
    assert str(row["placed_by"]) == agent.id
    assert row["caller_identity"] == f"web-{agent.id}"
    assert row["room_name"] == placed["room_name"]

    claims = jwt.decode(placed["token"], settings.livekit_api_secret, algorithms=["HS256"])
    assert claims["sub"] == f"web-{agent.id}"
    assert claims["iss"] == settings.livekit_api_key
    assert claims["video"]["room"] == placed["room_name"]
    assert claims["video"]["roomJoin"] is True
    assert claims["video"].get("roomAdmin") is not True
    assert claims["exp"] - claims["nbf"] == 2 * 3600

    assert await livekit.room_exists(placed["room_name"])
    from livekit import api as lk

    async with lk.LiveKitAPI(
        http_url(settings.livekit_url), settings.livekit_api_key, settings.livekit_api_secret
    ) as client:
        dispatches = await client.agent_dispatch.list_dispatch(placed["room_name"])
    # (livekit-server also lists its implicit dispatch for workers without an agent name.)
    ours = [d for d in dispatches if d.agent_name == settings.livekit_agent_name]
    assert len(ours) == 1
    assert CallDispatch.from_metadata(ours[0].metadata) == CallDispatch(workspace_id=uuid.UUID(ws.id), call_id=call_id)

    # The list shows it as live; someone else in the workspace sees it too.
    listed = (await api.get(calls_url(ws), headers=ws.owner.headers)).json()["calls"]
    assert listed[0]["id"] == str(call_id)
    assert listed[0]["placed_by_email"] == agent.email

    # Only the caller (or a manager) hangs up.
    stranger = await make_user("agent2")
    await add_member(db, ws, stranger, "agent")
    refused = await api.post(f"{calls_url(ws)}/{call_id}/end", headers=stranger.headers)
    assert refused.status_code == 403

    ended = await api.post(f"{calls_url(ws)}/{call_id}/end", headers=agent.headers)
    assert ended.status_code == 200, ended.text
    assert ended.json() == {"call_id": str(call_id), "room_closed": True}
    assert not await livekit.room_exists(placed["room_name"])
    # Never answered: ended right away; answered: the agent ends it when the room closes.
    assert await _eventually_status(db, call_id, {"ended"}) == "ended"
    again = await api.post(f"{calls_url(ws)}/{call_id}/end", headers=agent.headers)
    assert again.status_code == 200
    assert again.json()["room_closed"] is False


async def test_test_calls_are_limited_per_person(
    api: httpx.AsyncClient, make_user: MakeUser, db: asyncpg.Pool, livekit: CallRooms
) -> None:
    ws = await new_workspace(api, make_user)
    placed = []
    for _ in range(3):
        response = await api.post(f"/v1/workspaces/{ws.id}/test-calls", headers=ws.owner.headers)
        assert response.status_code == 201, response.text
        placed.append(response.json())
    fourth = await api.post(f"/v1/workspaces/{ws.id}/test-calls", headers=ws.owner.headers)
    assert fourth.status_code == 409
    assert "Hang up" in fourth.json()["error"]["message"]
    for call in placed:
        await api.post(f"{calls_url(ws)}/{call['call_id']}/end", headers=ws.owner.headers)
    for call in placed:
        await _eventually_status(db, uuid.UUID(call["call_id"]), {"ended"})
    after = await api.post(f"/v1/workspaces/{ws.id}/test-calls", headers=ws.owner.headers)
    assert after.status_code == 201, after.text
    await api.post(f"{calls_url(ws)}/{after.json()['call_id']}/end", headers=ws.owner.headers)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_livekit_down_is_reported_and_the_call_marked_failed(
    api: httpx.AsyncClient, make_user: MakeUser, db: asyncpg.Pool
) -> None:
    """The same app in process, pointed at a port nobody listens on."""
    ws = await new_workspace(api, make_user)
    settings = get_settings().model_copy(update={"livekit_url": f"ws://127.0.0.1:{_closed_port()}"})
    with pytest.raises(DomainError) as raised:
        await CallRooms(settings).open_call_room("call-x", CallDispatch(workspace_id=uuid.uuid4()))
    assert raised.value.kind is ErrorKind.UNAVAILABLE
    assert "not reachable" in raised.value.message

    app = create_app(settings)
    async with httpx.AsyncClient(transport=ASGITransport(app=app), base_url="http://api.test") as client:
        response = await client.post(f"/v1/workspaces/{ws.id}/test-calls", headers=ws.owner.headers)
    await app.state.database.close()
    assert response.status_code == 503, response.text
    error = response.json()["error"]
    assert error["code"] == "voice_unavailable"
    assert "LiveKit" in error["message"] and "not reachable" in error["message"]
    row = await db.fetchrow(
        "select status::text, status_detail, ended_at from public.calls where workspace_id = $1", uuid.UUID(ws.id)
    )
    assert row is not None
    assert row["status"] == "failed"
    assert "not reachable" in row["status_detail"]
    assert row["ended_at"] is not None


async def test_wrong_livekit_credentials_are_reported(livekit: CallRooms) -> None:
    settings = get_settings().model_copy(update={"livekit_api_secret": "x" * 40})
    with pytest.raises(DomainError) as raised:
        await CallRooms(settings).open_call_room("call-y", CallDispatch(workspace_id=uuid.uuid4()))
    assert raised.value.kind is ErrorKind.UNAVAILABLE
    assert "API key" in raised.value.message
