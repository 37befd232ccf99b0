"""Call history filters through the API: who handled the call, status, channel, disposition, sentiment,
a date range and text search, alone, combined and paged with the cursor; bad values refused with the
API's error shape; and no other tenant's calls reachable through a filter."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import asyncpg
import httpx
import pytest

from tests.api.conftest import MakeUser
from tests.api.test_calls_api import calls_url, insert_call
from tests.api.test_knowledge_api import Workspace, add_member, new_workspace

# Noon (UTC) ten days ago: every seeded call starts a whole number of days before or after it.
BASE = (datetime.now(UTC) - timedelta(days=10)).replace(hour=12, minute=0, second=0, microsecond=0)


@dataclass
class History:
    ws: Workspace
    ai: uuid.UUID
    handed: uuid.UUID
    missed: uuid.UUID
    failed: uuid.UUID
    human_live: uuid.UUID
    follow_up: uuid.UUID
    waiting: uuid.UUID

    def name(self, call_id: str) -> str:
        return next(name for name, value in vars(self).items() if str(value) == call_id)


async def add_segment(db: asyncpg.Pool, ws: Workspace, call_id: uuid.UUID, text: str, at: datetime) -> None:
    await db.execute(
        """insert into public.call_transcript_segments (id, call_id, workspace_id, speaker, text, started_at, ended_at)
           values ($1, $2, $3, 'customer', $4, $5::timestamptz, $5::timestamptz + interval '3 seconds')""",
        uuid.uuid4(),
        call_id,
        uuid.UUID(ws.id),
        text,
        at,
    )


@pytest.fixture
async def history(api: httpx.AsyncClient, make_user: MakeUser, db: asyncpg.Pool) -> History:
    ws = await new_workspace(api, make_user)
    owner = uuid.UUID(ws.owner.id)

    def day(offset: int, hours: int = 0) -> datetime:
        return BASE + timedelta(days=offset, hours=hours)

    async def ended(started_at: datetime, **columns: Any) -> uuid.UUID:
        return await insert_call(db, ws, started_at=started_at, ended_at=started_at + timedelta(minutes=3), **columns)

    ai = await ended(
        day(-3),
        caller_number="+15550001111",
        intent="reset password",
        sentiment_label="positive",
        summary="Caller asked about a 50 dollar charge.",
    )
    await add_segment(db, ws, ai, "How do I reset my password?", day(-3))
    handed = await ended(
        day(-2),
        channel="browser",
        caller_number=None,
        sentiment_label="negative",
        handoff_reason="requested_person",
        handoff_requested_at=day(-2),
        handoff_status="returned",
        human_user_id=owner,
        human_name="Owner",
        disposition="resolved",
    )
    await add_segment(db, ws, handed, "I want a refund of 50% please", day(-2))
    missed = await ended(
        day(-1),
        caller_number="+15550003333",
        topic="billing_questions",
        sentiment_label="neutral",
        handoff_reason="requested_person",
        handoff_requested_at=day(-1),
        handoff_status="missed",
    )
    failed = await ended(day(0), status="failed", topic="billing questions", status_detail="LiveKit was down")
    human_live = await insert_call(
        db,
        ws,
        started_at=day(0, hours=2),
        status="active",
        caller_number="+15550002222",
        summary="Customer wants to upgrade the plan",
        handoff_reason="negative_sentiment",
        handoff_requested_at=day(0, hours=2),
        handoff_status="connected",
        human_user_id=owner,
        human_name="Owner",
    )
    follow_up = await ended(
        day(-4),
        channel="browser",
        caller_number=None,
        handoff_status="returned",
        human_user_id=owner,
        disposition="follow_up",
        sentiment_label="negative",
    )
    # Still queued for a person: not missed (yet), and not the AI's alone.
    waiting = await insert_call(
        db,
        ws,
        started_at=day(1),
        status="active",
        caller_number="+15550004444",
        handoff_reason="requested_person",
        handoff_requested_at=day(1),
        handoff_status="waiting",
    )
    return History(ws, ai, handed, missed, failed, human_live, follow_up, waiting)


async def listed(api: httpx.AsyncClient, history: History, **params: Any) -> list[str]:
    """The names of the calls the filtered list returns, newest first (all of them: follows the cursor)."""
    names: list[str] = []
    cursor: str | None = None
    while True:
        query = params | ({"cursor": cursor} if cursor else {})
        response = await api.get(calls_url(history.ws), headers=history.ws.owner.headers, params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        names += [history.name(call["id"]) for call in page["calls"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return names


async def test_each_filter_returns_exactly_its_calls(api: httpx.AsyncClient, history: History) -> None:
    everything = ["waiting", "human_live", "failed", "missed", "handed", "ai", "follow_up"]
    assert await listed(api, history) == everything

    assert await listed(api, history, handled_by="ai") == ["failed", "ai"]
    assert await listed(api, history, handled_by="human") == ["human_live", "handed", "follow_up"]
    assert await listed(api, history, handled_by="missed") == ["missed"]

    assert await listed(api, history, status="ended") == ["missed", "handed", "ai", "follow_up"]
    assert await listed(api, history, status="active") == ["waiting", "human_live"]
    assert await listed(api, history, status="failed") == ["failed"]
    assert await listed(api, history, status="ringing") == []

    assert await listed(api, history, channel="browser") == ["handed", "follow_up"]
    assert await listed(api, history, channel="phone") == ["waiting", "human_live", "failed", "missed", "ai"]

    assert await listed(api, history, disposition="resolved") == ["handed"]
    assert await listed(api, history, disposition="follow_up") == ["follow_up"]
    assert await listed(api, history, disposition="callback") == []

    assert await listed(api, history, sentiment="negative") == ["handed", "follow_up"]
    assert await listed(api, history, sentiment="positive") == ["ai"]
    assert await listed(api, history, sentiment="neutral") == ["missed"]


async def test_date_range_is_from_inclusive_to_exclusive(api: httpx.AsyncClient, history: History) -> None:
    def date(offset: int) -> str:
        return (BASE + timedelta(days=offset)).date().isoformat()

    # Plain dates are days in UTC.
    assert await listed(api, history, **{"from": date(-2), "to": date(0)}) == ["missed", "handed"]
    assert await listed(api, history, **{"from": date(0)}) == ["waiting", "human_live", "failed"]
    assert await listed(api, history, to=date(-2)) == ["ai", "follow_up"]
    # Datetimes with an offset: `from` at the exact start is included, `to` at the exact start is not.
    exact = (BASE - timedelta(days=1)).isoformat()
    assert await listed(api, history, **{"from": exact}) == ["waiting", "human_live", "failed", "missed"]
    assert await listed(api, history, to=exact) == ["handed", "ai", "follow_up"]
    in_mumbai = (BASE + timedelta(hours=2)).astimezone(timezone(timedelta(hours=5, minutes=30))).isoformat()
    assert in_mumbai.endswith("+05:30")
    assert await listed(api, history, **{"from": in_mumbai}) == ["waiting", "human_live"]
    # An empty range is not an error.
    assert await listed(api, history, **{"from": exact, "to": exact}) == []


async def test_text_search_covers_number_intent_topic_summary_and_transcript(
    api: httpx.AsyncClient, history: History
) -> None:
    assert await listed(api, history, q="0001111") == ["ai"]  # caller number
    assert await listed(api, history, q="RESET PASS") == ["ai"]  # intent and transcript, any case
    assert await listed(api, history, q="upgrade") == ["human_live"]  # summary
    assert await listed(api, history, q="billing") == ["failed", "missed"]  # topic
    assert await listed(api, history, q="refund") == ["handed"]  # transcript only
    assert await listed(api, history, q="  refund ") == ["handed"]
    assert await listed(api, history, q="nothing like this") == []


async def test_percent_and_underscore_in_the_search_match_literally(api: httpx.AsyncClient, history: History) -> None:
    # Taken as wildcards, "50%" would also match the ai call's "50 dollar" and "billing_q" the failed call's
    # "billing questions".
    assert await listed(api, history, q="50%") == ["handed"]
    assert await listed(api, history, q="billing_q") == ["missed"]
    assert await listed(api, history, q="%") == ["handed"]
    assert await listed(api, history, q="_") == ["missed"]
    assert await listed(api, history, q="\\") == []


async def test_filters_combine_with_and(api: httpx.AsyncClient, history: History) -> None:
    assert await listed(api, history, handled_by="human", channel="phone") == ["human_live"]
    assert await listed(api, history, handled_by="human", disposition="resolved") == ["handed"]
    assert await listed(api, history, handled_by="human", status="ended", sentiment="negative") == [
        "handed",
        "follow_up",
    ]
    assert await listed(api, history, handled_by="missed", status="ended", q="billing") == ["missed"]
    assert await listed(api, history, handled_by="ai", channel="browser") == []
    to = (BASE - timedelta(days=3)).date().isoformat()
    assert await listed(api, history, handled_by="human", to=to) == ["follow_up"]


async def test_a_filtered_list_pages_with_the_cursor(api: httpx.AsyncClient, history: History) -> None:
    headers = history.ws.owner.headers
    first = await api.get(calls_url(history.ws), headers=headers, params={"handled_by": "human", "limit": 2})
    assert first.status_code == 200, first.text
    page = first.json()
    assert [history.name(call["id"]) for call in page["calls"]] == ["human_live", "handed"]
    assert page["next_cursor"]
    # Unfiltered calls lie between these pages (failed, missed, ai); the cursor continues the filtered list.
    second = await api.get(
        calls_url(history.ws),
        headers=headers,
        params={"handled_by": "human", "limit": 2, "cursor": page["next_cursor"]},
    )
    assert second.status_code == 200, second.text
    assert [history.name(call["id"]) for call in second.json()["calls"]] == ["follow_up"]
    assert second.json()["next_cursor"] is None
    # Exactly a page's worth: no empty extra page.
    exact = await api.get(calls_url(history.ws), headers=headers, params={"handled_by": "human", "limit": 3})
    assert [history.name(call["id"]) for call in exact.json()["calls"]] == ["human_live", "handed", "follow_up"]
    assert exact.json()["next_cursor"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"handled_by": "robot"}, "handled_by"),
        ({"status": "done"}, "status"),
        ({"channel": "fax"}, "channel"),
        ({"disposition": "maybe"}, "disposition"),
        ({"sentiment": "angry"}, "sentiment"),
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-13-01"}, "to"),
        ({"q": "x" * 201}, "q"),
    ],
)
async def test_bad_filter_values_are_refused(
    api: httpx.AsyncClient, make_user: MakeUser, params: dict[str, str], field: str
) -> None:
    ws = await new_workspace(api, make_user)
    response = await api.get(calls_url(ws), headers=ws.owner.headers, params=params)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert error["field"] == field
    assert error["message"]


async def test_a_date_range_ending_before_it_starts_is_refused(api: httpx.AsyncClient, make_user: MakeUser) -> None:
    ws = await new_workspace(api, make_user)
    response = await api.get(
        calls_url(ws), headers=ws.owner.headers, params={"from": "2026-11-20", "to": "2026-11-19T23:59:59Z"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"] == {
        "code": "invalid_date_range",
        "message": "The start of the date range is after its end.",
        "field": "from",
    }


async def test_filters_reach_no_other_tenant(
    api: httpx.AsyncClient, make_user: MakeUser, db: asyncpg.Pool, history: History
) -> None:
    other = await new_workspace(api, make_user, name="Globex")
    filtered = {"handled_by": "human", "q": "refund"}
    response = await api.get(calls_url(history.ws), headers=other.owner.headers, params=filtered)
    assert response.status_code == 404, response.text
    # Their own workspace, with the same filters, has nothing of ours.
    own = await api.get(calls_url(other), headers=other.owner.headers, params=filtered)
    assert own.json() == {"calls": [], "next_cursor": None}
    # A member of the workspace (an agent) filters it like its owner.
    agent = await make_user("agent")
    await add_member(db, history.ws, agent)
    as_agent = await api.get(calls_url(history.ws), headers=agent.headers, params=filtered)
    assert [history.name(call["id"]) for call in as_agent.json()["calls"]] == ["handed"]
