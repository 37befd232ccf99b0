"""A workspace's AI agent settings through the API: every member reads them,
only managers change them, bad values are refused with a message naming the
field, nothing crosses businesses, and the voice options list what the
configured provider offers."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from callcenter.calls import voice_catalog
from callcenter.settings import get_settings
from tests.api.conftest import MakeUser
from tests.api.test_knowledge_api import Workspace, add_member, new_workspace


def agent_url(workspace: Workspace | str) -> str:
    workspace_id = workspace.id if isinstance(workspace, Workspace) else workspace
    return f"/v1/workspaces/{workspace_id}/agent"


def editable(settings: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "agent_name",
        "greeting",
        "instructions",
        "voice",
        "language",
        "escalation",
        "intent_labels",
        "topic_labels",
    )
    return copy.deepcopy({key: settings[key] for key in keys})


def configured() -> voice_catalog.VoiceProvider:
    return voice_catalog.configured_provider(get_settings())


def a_voice() -> str:
    return configured().voices[-1].id


async def test_new_workspaces_get_default_settings_every_member_reads(
    api: httpx.AsyncClient, make_user: MakeUser, db: asyncpg.Pool
) -> None:
    ws = await new_workspace(api, make_user)
    agent = await make_user("agent")
    await add_member(db, ws, agent, "agent")

    owner_view = await api.get(agent_url(ws), headers=ws.owner.headers)
    assert owner_view.status_code == 200, owner_view.text
    body = owner_view.json()
    assert body["workspace_id"] == ws.id
    assert body["workspace_name"] == "Support"
    assert body["can_edit"] is True
    assert body["agent_name"] == "Alex"
    assert body["voice"] == "default"
    assert body["language"] == "en"
    assert body["escalation"] == {
        "handoff_on_request": True,
        "max_unanswered_questions": 2,
        "negative_sentiment_threshold": pytest.approx(-0.6),
        "account_access_topics": ["account changes", "payment details"],
        "ring_timeout_seconds": 20,
    }
    assert "talk to a person" in body["intent_labels"]
    assert "payment details" in body["topic_labels"]

    agent_view = await api.get(agent_url(ws), headers=agent.headers)
    assert agent_view.status_code == 200
    assert agent_view.json()["can_edit"] is False
    assert editable(agent_view.json()) == editable(body)


async def test_a_manager_saves_settings_and_they_persist(
    api: httpx.AsyncClient, make_user: MakeUser, db: asyncpg.Pool
) -> None:
    ws = await new_workspace(api, make_user)
    current = (await api.get(agent_url(ws), headers=ws.owner.headers)).json()
    change = editable(current)
    change.update(
        agent_name="  Robin  ",
        greeting="Hi, this is Robin from Acme support. What can I do for you?",
        instructions="Be brief. Never promise refunds beyond the policy.",
        voice=a_voice(),
        language="en-GB",
        intent_labels=["track an order", "return an item", "talk to a person"],
        topic_labels=["orders", "returns", "billing", "account changes"],
        escalation={
            "handoff_on_request": False,
            "max_unanswered_questions": 3,
            "negative_sentiment_threshold": -0.4,
            "account_access_topics": ["billing", "Account Changes"],
            "ring_timeout_seconds": 30,
        },
    )
    saved = await api.put(agent_url(ws), headers=ws.owner.headers, json=change)
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert body["agent_name"] == "Robin"  # trimmed
    assert body["voice"] == a_voice()
    assert body["language"] == "en-GB"
    assert body["escalation"]["handoff_on_request"] is False
    assert body["escalation"]["max_unanswered_questions"] == 3
    assert body["escalation"]["negative_sentiment_threshold"] == -0.4  # exactly, though stored as float4
    assert body["escalation"]["account_access_topics"] == ["billing", "Account Changes"]
    assert body["escalation"]["ring_timeout_seconds"] == 30
    assert body["topic_labels"] == ["orders", "returns", "billing", "account changes"]

    again = (await api.get(agent_url(ws), headers=ws.owner.headers)).json()
    assert editable(again) == editable(body)
    assert again["updated_at"] > current["updated_at"]
    row = await db.fetchrow(
        "select agent_name, updated_by, intent_labels from public.agent_settings where workspace_id = $1",
        uuid.UUID(ws.id),
    )
    assert row is not None
    assert row["agent_name"] == "Robin"
    assert str(row["updated_by"]) == ws.owner.id
    assert row["intent_labels"] == ["track an order", "return an item", "talk to a person"]


async def test_agents_cannot_change_settings_and_outsiders_cannot_see_them(
    api: httpx.AsyncClient, make_user: MakeUser, db: asyncpg.Pool
) -> None:
    ws = await new_workspace(api, make_user)
    agent = await make_user("agent")
    await add_member(db, ws, agent, "agent")
    before = (await api.get(agent_url(ws), headers=ws.owner.headers)).json()
    change = editable(before) | {"agent_name": "Hijacked"}

    refused = await api.put(agent_url(ws), headers=agent.headers, json=change)
    assert refused.status_code == 403, refused.text
    assert "admin" in refused.json()["error"]["message"]

    other = await new_workspace(api, make_user, "Globex")
    for method in ("get", "put"):
        kwargs: dict[str, Any] = {"json": change} if method == "put" else {}
        response = await api.request(method.upper(), agent_url(ws), headers=other.owner.headers, **kwargs)
        assert response.status_code == 404, (method, response.text)
    unknown = await api.get(agent_url(str(uuid.uuid4())), headers=ws.owner.headers)
    assert unknown.status_code == 404
    assert (await api.get(agent_url(ws))).status_code == 401

    after = (await api.get(agent_url(ws), headers=ws.owner.headers)).json()
    assert after["agent_name"] == before["agent_name"]
    assert after["updated_at"] == before["updated_at"]


def _with(path: str, value: Any) -> dict[str, Any]:
    return {"path": path, "value": value}


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        (_with("agent_name", "   "), "agent_name", "can't be empty"),
        (_with("agent_name", "n" * 61), "agent_name", "too long"),
        (_with("greeting", ""), "greeting", "can't be empty"),
        (_with("greeting", "g" * 501), "greeting", "too long"),
        (_with("instructions", "i" * 8001), "instructions", "too long"),
        (_with("voice", "robot-9000"), "voice", "not offered"),
        (_with("language", "English"), "language", "language code"),
        (_with("language", "en_US"), "language", "language code"),
        (_with("language", "sw"), "language", "does not understand"),
        (_with("intent_labels", []), "intent_labels", "at least 1"),
        (_with("topic_labels", [f"topic {n}" for n in range(51)]), "topic_labels", "at most 50"),
        (_with("intent_labels", ["billing", "Billing "]), "intent_labels", "different"),
        (_with("topic_labels", ["orders", ""]), "topic_labels.1", "can't be empty"),
        (_with("topic_labels", ["t" * 101]), "topic_labels.0", "too long"),
        (_with("escalation.max_unanswered_questions", 21), "escalation.max_unanswered_questions", "less than"),
        (_with("escalation.max_unanswered_questions", -1), "escalation.max_unanswered_questions", "greater than"),
        (_with("escalation.ring_timeout_seconds", 3), "escalation.ring_timeout_seconds", "greater than"),
        (_with("escalation.negative_sentiment_threshold", -1.5), "escalation.negative_sentiment_threshold", "-1"),
        (_with("escalation.negative_sentiment_threshold", 1.01), "escalation.negative_sentiment_threshold", "1"),
        (_with("escalation.account_access_topics", ["refund fraud"]), "escalation.account_access_topics", "topic"),
        (
            _with("escalation.account_access_topics", ["account changes", "Account changes"]),
            "escalation.account_access_topics",
            "different",
        ),
        (_with("escalation", None), "escalation", "valid dictionary"),
    ],
)
async def test_bad_values_are_refused_clearly_and_change_nothing(
    api: httpx.AsyncClient, make_user: MakeUser, change: dict[str, Any], field: str, fragment: str
) -> None:
    ws = await new_workspace(api, make_user)
    before = (await api.get(agent_url(ws), headers=ws.owner.headers)).json()
    body = editable(before)
    target = body
    *parents, leaf = change["path"].split(".")
    for parent in parents:
        target = target[parent]
    target[leaf] = change["value"]

    response = await api.put(agent_url(ws), headers=ws.owner.headers, json=body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == field
    assert fragment.lower() in error["message"].lower(), error["message"]
    after = (await api.get(agent_url(ws), headers=ws.owner.headers)).json()
    assert after == before


async def test_voice_options_list_each_provider_and_the_configured_one(
    api: httpx.AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user()
    assert (await api.get("/v1/voice/options")).status_code == 401
    response = await api.get("/v1/voice/options", headers=user.headers)
    assert response.status_code == 200
    body = response.json()
    providers = {provider["id"]: provider for provider in body["providers"]}
    assert body["provider"] == get_settings().resolved_voice_provider
    assert set(providers) == {"offline", "openai", "openai_realtime", "aws"}
    assert [voice["id"] for voice in providers["offline"]["voices"]] == ["joe"]
    assert providers["offline"]["voices"][0]["label"] == "joe (en-US)"
    assert [language["code"] for language in providers["offline"]["languages"]] == ["en"]
    assert {"alloy", "coral", "nova", "shimmer"} <= {voice["id"] for voice in providers["openai"]["voices"]}
    assert {"Joanna", "Matthew", "Amy"} <= {voice["id"] for voice in providers["aws"]["voices"]}
    for provider in providers.values():
        ids = [voice["id"] for voice in provider["voices"]]
        assert len(ids) == len(set(ids))
