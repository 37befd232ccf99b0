"""A workspace's knowledge through the API, with the ingestion worker the
local platform runs: articles are indexed as soon as they are saved, search
finds passages with where they came from, and nothing crosses workspaces."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest

from tests.api.conftest import MakeUser, User
from tests.api.test_tenancy_api import onboard

REFUNDS_30 = """# Refunds

We want you to be happy with every order.

## How long you have

You can return any item within **30 days** of delivery for a full refund, no questions asked.
Items must be unused and in their original packaging.

## How you are paid back

The refund goes back to the card you paid with, within 5 business days of us receiving the item.

# Shipping

Standard shipping takes 3 to 5 business days. Express shipping arrives the next business day.
"""

REFUNDS_7 = """# Refund policy

Returns are accepted for **7 days** after delivery only. After 7 days every sale is final.

## Store credit

Refunds are paid as store credit, never back to the card.
"""


@dataclass
class Workspace:
    id: str
    business_id: str
    owner: User


async def new_workspace(api: httpx.AsyncClient, make_user: MakeUser, name: str = "Acme") -> Workspace:
    owner = await make_user("owner")
    created = await onboard(api, owner, name, "Support")
    return Workspace(created["workspace"]["id"], created["business"]["id"], owner)


async def add_member(db: asyncpg.Pool, workspace: Workspace, user: User, role: str = "agent") -> None:
    await db.execute(
        "insert into public.business_members (business_id, user_id, role) values ($1, $2, 'agent')",
        uuid.UUID(workspace.business_id),
        uuid.UUID(user.id),
    )
    await db.execute(
        """insert into public.workspace_members (workspace_id, business_id, user_id, role)
           values ($1, $2, $3, $4)""",
        uuid.UUID(workspace.id),
        uuid.UUID(workspace.business_id),
        uuid.UUID(user.id),
        role,
    )


def base(workspace: Workspace | str) -> str:
    workspace_id = workspace.id if isinstance(workspace, Workspace) else workspace
    return f"/v1/workspaces/{workspace_id}/knowledge"


async def create_article(api: httpx.AsyncClient, workspace: Workspace, title: str, body: str) -> dict[str, Any]:
    response = await api.post(
        f"{base(workspace)}/articles", headers=workspace.owner.headers, json={"title": title, "body_markdown": body}
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def settled(
    api: httpx.AsyncClient, workspace: Workspace, source_id: str, wait: float = 60, after: str | None = None
) -> dict[str, Any]:
    """Wait until the worker has finished with a source (ready, failed or cancelled).
    `after`: an updated_at the source must have moved past (an edit was saved)."""
    deadline = time.monotonic() + wait
    while True:
        response = await api.get(f"{base(workspace)}/sources/{source_id}", headers=workspace.owner.headers)
        assert response.status_code == 200, response.text
        source: dict[str, Any] = response.json()
        if source["status"] in ("ready", "failed", "cancelled") and (after is None or source["updated_at"] > after):
            return source
        assert time.monotonic() < deadline, f"source still {source['status']} after {wait}s: {source}"
        await asyncio.sleep(0.1)


async def search(
    api: httpx.AsyncClient, workspace: Workspace, query: str, user: User | None = None, limit: int = 5
) -> list[dict[str, Any]]:
    response = await api.post(
        f"{base(workspace)}/search", headers=(user or workspace.owner).headers, json={"query": query, "limit": limit}
    )
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results


async def chunk_contents(db: asyncpg.Pool, source_id: str) -> list[str]:
    rows = await db.fetch(
        "select content from public.knowledge_chunks where source_id = $1 order by ordinal", uuid.UUID(source_id)
    )
    return [r["content"] for r in rows]


# ---------------------------------------------------------------- articles


async def test_article_is_indexed_and_found_with_its_citation(
    api: httpx.AsyncClient, make_user: MakeUser, db: asyncpg.Pool
) -> None:
    ws = await new_workspace(api, make_user)
    created = await create_article(api, ws, "Returns and refunds", REFUNDS_30)
    assert created["kind"] == "article"
    assert created["status"] in ("queued", "processing", "ready")
    assert created["url"] is None and created["file_name"] is None

    source = await settled(api, ws, created["id"])
    assert source["status"] == "ready", source
    assert source["status_detail"] is None
    assert source["chunk_count"] >= 2
    assert source["last_refreshed_at"] is not None
    assert source["chunk_count"] == len(await chunk_contents(db, created["id"]))

    results = await search(api, ws, "how many days do I have to send something back?")
    top = results[0]
    assert top["source_id"] == created["id"]
    assert top["source_kind"] == "article"
    assert top["source_title"] == "Returns and refunds"
    assert top["heading_path"] == ["Refunds", "How long you have"], results
    assert "30 days" in top["content"]
    assert top["url"] is None and top["page"] is None
    assert top["score"] > 0

    # Words alone find the shipping passage too (full text), and it cites its own heading.
    shipping = await search(api, ws, "express shipping next business day", limit=1)
    assert shipping[0]["heading_path"] == ["Shipping"]

    listed = (await api.get(f"{base(ws)}/sources", headers=ws.owner.headers)).json()
    assert [s["id"] for s in listed] == [created["id"]]
    assert set(listed[0]) >= {
        "id",
        "kind",
        "title",
        "url",
        "file_name",
        "status",
        "status_detail",
        "progress",
        "chunk_count",
        "last_refreshed_at",
        "created_at",
        "updated_at",
        "refresh_interval_hours",
    }
    assert listed[0]["progress"]["document_pages_extracted"] == 1


async def test_editing_an_article_reindexes_it(api: httpx.AsyncClient, make_user: MakeUser, db: asyncpg.Pool) -> None:
    ws = await new_workspace(api, make_user)
    created = await create_article(api, ws, "Refunds", REFUNDS_30)
    first = await settled(api, ws, created["id"])
    assert any("30 days" in c for c in await chunk_contents(db, created["id"]))

    saved = await api.put(
        f"{base(ws)}/articles/{created['id']}",
        headers=ws.owner.headers,
        json={"title": "Refund policy (2027)", "body_markdown": REFUNDS_7},
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["title"] == "Refund policy (2027)"
    assert saved.json()["body_markdown"] == REFUNDS_7
    assert saved.json()["status"] in ("queued", "processing")

    again = await settled(api, ws, created["id"], after=first["updated_at"])
    assert again["status"] == "ready"
    contents = await chunk_contents(db, created["id"])
    assert any("7 days" in c for c in contents)
    assert not any("30 days" in c for c in contents)
    top = (await search(api, ws, "how long can I return an item?"))[0]
    assert "7 days" in top["content"]
    assert top["source_title"] == "Refund policy (2027)"

    article = (await api.get(f"{base(ws)}/articles/{created['id']}", headers=ws.owner.headers)).json()
    assert set(article) == {"id", "title", "body_markdown", "status", "status_detail", "chunk_count", "updated_at"}
    assert article["chunk_count"] == len(contents)

    # Saving without a change queues nothing.
    unchanged = await api.put(
        f"{base(ws)}/articles/{created['id']}",
        headers=ws.owner.headers,
        json={"title": "Refund policy (2027)", "body_markdown": REFUNDS_7},
    )
    assert unchanged.json()["status"] == "ready"


async def test_deleting_a_source_removes_its_chunks(
    api: httpx.AsyncClient, make_user: MakeUser, db: asyncpg.Pool
) -> None:
    ws = await new_workspace(api, make_user)
    kept = await create_article(api, ws, "Shipping", "Parcels ship from our warehouse in Lyon every weekday.")
    gone = await create_article(api, ws, "Refunds", REFUNDS_30)
    await settled(api, ws, kept["id"])
    await settled(api, ws, gone["id"])

    deleted = await api.delete(f"{base(ws)}/sources/{gone['id']}", headers=ws.owner.headers)
    assert deleted.status_code == 204
    for table in ("knowledge_chunks", "knowledge_documents", "knowledge_jobs"):
        count = await db.fetchval(f"select count(*) from public.{table} where source_id = $1", uuid.UUID(gone["id"]))
        assert count == 0, table
    assert await chunk_contents(db, kept["id"])
    assert all(r["source_id"] == kept["id"] for r in await search(api, ws, "refund within 30 days"))
    assert (await api.get(f"{base(ws)}/articles/{gone['id']}", headers=ws.owner.headers)).status_code == 404
    again = await api.delete(f"{base(ws)}/sources/{gone['id']}", headers=ws.owner.headers)
    assert again.status_code == 404


async def test_refresh_reindexes_and_cancel_needs_something_running(
    api: httpx.AsyncClient, make_user: MakeUser
) -> None:
    ws = await new_workspace(api, make_user)
    created = await create_article(api, ws, "Refunds", REFUNDS_30)
    first = await settled(api, ws, created["id"])

    idle = await api.post(f"{base(ws)}/sources/{created['id']}/cancel", headers=ws.owner.headers)
    assert idle.status_code == 409
    assert idle.json()["error"]["code"] == "knowledge_idle"

    refreshed = await api.post(f"{base(ws)}/sources/{created['id']}/refresh", headers=ws.owner.headers)
    assert refreshed.status_code == 202, refreshed.text
    again = await settled(api, ws, created["id"], after=first["updated_at"])
    assert again["status"] == "ready"
    assert again["last_refreshed_at"] > first["last_refreshed_at"]
    assert again["chunk_count"] == first["chunk_count"]


# ---------------------------------------------------------------- websites


async def test_adding_a_website(api: httpx.AsyncClient, make_user: MakeUser, db: asyncpg.Pool) -> None:
    ws = await new_workspace(api, make_user)
    response = await api.post(
        f"{base(ws)}/websites",
        headers=ws.owner.headers,
        json={"url": "  HTTPS://Help.Example.COM/hc/en-us#top ", "max_pages": 50, "refresh_interval_hours": 24},
    )
    assert response.status_code == 201, response.text
    source = response.json()
    assert source["kind"] == "website"
    assert source["url"] == "https://help.example.com/hc/en-us"
    assert source["title"] == "help.example.com"
    assert source["include_path_prefix"] == "/hc/en-us"
    assert (source["max_pages"], source["max_depth"], source["refresh_interval_hours"]) == (50, 5, 24)
    assert source["next_refresh_at"] is not None
    jobs = await db.fetch("select kind::text from public.knowledge_jobs where source_id = $1", uuid.UUID(source["id"]))
    assert [j["kind"] for j in jobs] == ["crawl"]

    duplicate = await api.post(
        f"{base(ws)}/websites", headers=ws.owner.headers, json={"url": "https://help.example.com/hc/en-us"}
    )
    assert duplicate.status_code == 409
    assert "already" in duplicate.json()["error"]["message"]

    # Whatever the crawl does with an address nobody serves, it ends with a reason a person can read.
    finished = await settled(api, ws, source["id"])
    if finished["status"] == "failed":
        assert finished["status_detail"] and len(finished["status_detail"]) > 20


# ---------------------------------------------------------------- isolation and roles


async def test_two_workspaces_with_conflicting_policies_never_mix(api: httpx.AsyncClient, make_user: MakeUser) -> None:
    acme = await new_workspace(api, make_user, "Acme")
    globex = await new_workspace(api, make_user, "Globex")
    acme_article = await create_article(api, acme, "Refunds", REFUNDS_30)
    globex_article = await create_article(api, globex, "Refunds", REFUNDS_7)
    await settled(api, acme, acme_article["id"])
    await settled(api, globex, globex_article["id"])

    question = "How many days do I have to return an item for a refund?"
    acme_results = await search(api, acme, question, limit=20)
    globex_results = await search(api, globex, question, limit=20)
    assert acme_results and globex_results
    assert {r["source_id"] for r in acme_results} == {acme_article["id"]}
    assert {r["source_id"] for r in globex_results} == {globex_article["id"]}
    assert "30 days" in acme_results[0]["content"]
    assert "7 days" in globex_results[0]["content"]

    # Globex's owner reaches nothing of Acme's, by any route; nothing changes.
    intruder = globex.owner.headers
    theirs = acme_article["id"]
    body = {"title": "Hacked", "body_markdown": "Refunds: never."}
    attempts = [
        await api.get(f"{base(acme)}/sources", headers=intruder),
        await api.get(f"{base(acme)}/sources/{theirs}", headers=intruder),
        await api.get(f"{base(acme)}/articles/{theirs}", headers=intruder),
        await api.put(f"{base(acme)}/articles/{theirs}", headers=intruder, json=body),
        await api.post(f"{base(acme)}/articles", headers=intruder, json=body),
        await api.post(f"{base(acme)}/websites", headers=intruder, json={"url": "https://evil.example.com"}),
        await api.post(f"{base(acme)}/sources/{theirs}/refresh", headers=intruder),
        await api.post(f"{base(acme)}/sources/{theirs}/cancel", headers=intruder),
        await api.delete(f"{base(acme)}/sources/{theirs}", headers=intruder),
        await api.post(f"{base(acme)}/search", headers=intruder, json={"query": question}),
        # Their source through one's own workspace.
        await api.get(f"{base(globex)}/sources/{theirs}", headers=intruder),
        await api.get(f"{base(globex)}/articles/{theirs}", headers=intruder),
        await api.put(f"{base(globex)}/articles/{theirs}", headers=intruder, json=body),
        await api.post(f"{base(globex)}/sources/{theirs}/refresh", headers=intruder),
        await api.post(f"{base(globex)}/sources/{theirs}/cancel", headers=intruder),
        await api.delete(f"{base(globex)}/sources/{theirs}", headers=intruder),
    ]
    assert [r.status_code for r in attempts] == [404] * len(attempts), [r.text for r in attempts]
    assert all(r.json()["error"]["code"] in ("not_found", "knowledge_source_not_found") for r in attempts)

    still = (await api.get(f"{base(acme)}/articles/{theirs}", headers=acme.owner.headers)).json()
    assert still["title"] == "Refunds" and still["body_markdown"] == REFUNDS_30
    assert [s["id"] for s in (await api.get(f"{base(acme)}/sources", headers=acme.owner.headers)).json()] == [theirs]
    assert "30 days" in (await search(api, acme, question))[0]["content"]


async def test_two_workspaces_of_one_business_stay_apart(api: httpx.AsyncClient, make_user: MakeUser) -> None:
    support = await new_workspace(api, make_user)
    billing_id = (
        await api.post(
            f"/v1/businesses/{support.business_id}/workspaces", headers=support.owner.headers, json={"name": "Billing"}
        )
    ).json()["id"]
    billing = Workspace(billing_id, support.business_id, support.owner)
    in_support = await create_article(api, support, "Refunds", REFUNDS_30)
    in_billing = await create_article(api, billing, "Refunds", REFUNDS_7)
    await settled(api, support, in_support["id"])
    await settled(api, billing, in_billing["id"])
    assert {r["source_id"] for r in await search(api, billing, "refund days", limit=20)} == {in_billing["id"]}
    # The owner sees both, but a source answers only under its own workspace.
    wrong = await api.get(f"{base(billing)}/articles/{in_support['id']}", headers=support.owner.headers)
    assert wrong.status_code == 404
    moved = await api.delete(f"{base(billing)}/sources/{in_support['id']}", headers=support.owner.headers)
    assert moved.status_code == 404
    own = await api.get(f"{base(support)}/articles/{in_support['id']}", headers=support.owner.headers)
    assert own.status_code == 200


async def test_agents_search_but_do_not_edit(api: httpx.AsyncClient, make_user: MakeUser, db: asyncpg.Pool) -> None:
    ws = await new_workspace(api, make_user)
    article = await create_article(api, ws, "Refunds", REFUNDS_30)
    await settled(api, ws, article["id"])
    agent = await make_user("agent")
    await add_member(db, ws, agent, "agent")
    headers = agent.headers
    sid = article["id"]

    assert (await api.get(f"{base(ws)}/sources", headers=headers)).status_code == 200
    assert (await api.get(f"{base(ws)}/articles/{sid}", headers=headers)).json()["body_markdown"] == REFUNDS_30
    results = await search(api, ws, "refund within how many days", user=agent)
    assert results[0]["source_id"] == sid

    body = {"title": "Changed", "body_markdown": "Changed."}
    refused = [
        await api.post(f"{base(ws)}/articles", headers=headers, json=body),
        await api.put(f"{base(ws)}/articles/{sid}", headers=headers, json=body),
        await api.post(f"{base(ws)}/websites", headers=headers, json={"url": "https://help.example.com"}),
        await api.post(f"{base(ws)}/sources/{sid}/refresh", headers=headers),
        await api.post(f"{base(ws)}/sources/{sid}/cancel", headers=headers),
        await api.delete(f"{base(ws)}/sources/{sid}", headers=headers),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused), [r.text for r in refused]
    assert all("admin" in r.json()["error"]["message"] for r in refused)
    assert (await api.get(f"{base(ws)}/articles/{sid}", headers=headers)).json()["title"] == "Refunds"

    # A workspace admin (not a business admin) manages the workspace's knowledge.
    ws_admin = await make_user("wsadmin")
    await add_member(db, ws, ws_admin, "admin")
    saved = await api.put(
        f"{base(ws)}/articles/{sid}", headers=ws_admin.headers, json={"title": "Refunds", "body_markdown": REFUNDS_7}
    )
    assert saved.status_code == 200

    # Signed out: nothing.
    assert (await api.get(f"{base(ws)}/sources")).status_code == 401
    assert (await api.post(f"{base(ws)}/search", json={"query": "refund"})).status_code == 401


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("path", "body", "field", "fragment"),
    [
        ("articles", {"title": "", "body_markdown": "x"}, "title", "can't be empty"),
        ("articles", {"title": "   ", "body_markdown": "x"}, "title", "can't be empty"),
        ("articles", {"title": "t" * 201, "body_markdown": "x"}, "title", "too long"),
        ("articles", {"title": "T", "body_markdown": ""}, "body_markdown", "can't be empty"),
        ("articles", {"title": "T", "body_markdown": "  \n "}, "body_markdown", "can't be empty"),
        ("articles", {"title": "T", "body_markdown": "x" * 204801}, "body_markdown", "too long"),
        # 200 KB is counted in bytes: 70,000 euro signs are 210,000 bytes.
        ("articles", {"title": "T", "body_markdown": "€" * 70000}, "body_markdown", "too long"),
        ("articles", {"title": "T"}, "body_markdown", "required"),
        ("websites", {"url": ""}, "url", "can't be empty"),
        ("websites", {"url": "ftp://files.example.com"}, "url", "http"),
        ("websites", {"url": "javascript:alert(1)"}, "url", "http"),
        ("websites", {"url": "help.example.com"}, "url", "http"),
        ("websites", {"url": "https://"}, "url", "http"),
        ("websites", {"url": "https://exa mple.com"}, "url", "http"),
        ("websites", {"url": "https://admin:secret@help.example.com"}, "url", "password"),
        ("websites", {"url": "https://help.example.com:99999"}, "url", "http"),
        ("websites", {"url": "https://" + "a" * 2050 + ".com"}, "url", "too long"),
        ("websites", {"url": "https://help.example.com", "max_pages": 0}, "max_pages", "greater than"),
        ("websites", {"url": "https://help.example.com", "max_depth": -1}, "max_depth", "greater than"),
        ("websites", {"url": "https://help.example.com", "refresh_interval_hours": 0}, "refresh_interval_hours", ""),
        ("websites", {"url": "https://help.example.com", "include_path_prefix": "docs"}, "include_path_prefix", "/"),
        ("search", {"query": ""}, "query", "can't be empty"),
        ("search", {"query": "   "}, "query", "can't be empty"),
        ("search", {"query": "q" * 1001}, "query", "too long"),
        ("search", {"query": "refunds", "limit": 0}, "limit", "greater than"),
        ("search", {"query": "refunds", "limit": 21}, "limit", "less than"),
    ],
)
async def test_bad_input_is_refused_clearly_and_changes_nothing(
    api: httpx.AsyncClient, make_user: MakeUser, path: str, body: dict[str, Any], field: str, fragment: str
) -> None:
    ws = await new_workspace(api, make_user)
    response = await api.post(f"{base(ws)}/{path}", headers=ws.owner.headers, json=body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == field
    assert fragment.lower() in error["message"].lower()
    assert (await api.get(f"{base(ws)}/sources", headers=ws.owner.headers)).json() == []


async def test_unknown_ids(api: httpx.AsyncClient, make_user: MakeUser) -> None:
    ws = await new_workspace(api, make_user)
    nobody = str(uuid.uuid4())
    for response in (
        await api.get(f"{base(nobody)}/sources", headers=ws.owner.headers),
        await api.get(f"{base(ws)}/sources/{nobody}", headers=ws.owner.headers),
        await api.get(f"{base(ws)}/articles/{nobody}", headers=ws.owner.headers),
        await api.post(f"{base(ws)}/sources/{nobody}/refresh", headers=ws.owner.headers),
        await api.delete(f"{base(ws)}/sources/{nobody}", headers=ws.owner.headers),
        await api.post(f"{base(nobody)}/search", headers=ws.owner.headers, json={"query": "refunds"}),
    ):
        assert response.status_code == 404, response.text
    assert (await api.get(f"{base(ws)}/sources/not-a-uuid", headers=ws.owner.headers)).status_code == 422


async def test_a_website_is_not_an_article(api: httpx.AsyncClient, make_user: MakeUser) -> None:
    ws = await new_workspace(api, make_user)
    site = await api.post(f"{base(ws)}/websites", headers=ws.owner.headers, json={"url": "https://help.example.com"})
    sid = site.json()["id"]
    assert (await api.get(f"{base(ws)}/articles/{sid}", headers=ws.owner.headers)).status_code == 404
    put = await api.put(
        f"{base(ws)}/articles/{sid}", headers=ws.owner.headers, json={"title": "T", "body_markdown": "B"}
    )
    assert put.status_code == 404


async def test_search_of_an_empty_knowledge_base(api: httpx.AsyncClient, make_user: MakeUser) -> None:
    ws = await new_workspace(api, make_user)
    assert await search(api, ws, "anything at all?") == []
    # Only stop words: no words to match, still an answer.
    assert await search(api, ws, "the and of") == []
