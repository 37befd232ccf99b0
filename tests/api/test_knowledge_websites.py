"""Editing a website source's settings through the API (PATCH .../knowledge/websites/{id}):
workspace admins only, clear refusals, and a new address, path or limit re-crawls the site,
end to end with the ingestion worker against the fixture help center on loopback."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import asyncpg
import httpx
import pytest

from tests.api.conftest import MakeUser
from tests.api.test_knowledge_api import Workspace, add_member, base, create_article, new_workspace, settled
from tests.fixtures.helpcenter.server import Site, serve
from tests.fixtures.helpcenter.site import HelpCenter, build_help_center


@pytest.fixture
def help_center() -> Iterator[HelpCenter]:
    site = Site()
    with serve(site) as url:
        yield build_help_center(site, url)


async def add_site(api: httpx.AsyncClient, workspace: Workspace, **body: Any) -> dict[str, Any]:
    response = await api.post(
        f"{base(workspace)}/websites",
        headers=workspace.owner.headers,
        json={"url": "https://help.example.com/hc"} | body,
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def crawl_jobs(db: asyncpg.Pool, source_id: str) -> int:
    count: int = await db.fetchval(
        "select count(*) from public.knowledge_jobs where source_id = $1 and kind = 'crawl'", uuid.UUID(source_id)
    )
    return count


async def document_urls(db: asyncpg.Pool, source_id: str) -> set[str]:
    rows = await db.fetch("select url from public.knowledge_documents where source_id = $1", uuid.UUID(source_id))
    return {r["url"] for r in rows}


async def test_settings_change_and_only_scope_changes_recrawl(
    api: httpx.AsyncClient, make_user: MakeUser, db: asyncpg.Pool
) -> None:
    ws = await new_workspace(api, make_user)
    site = await add_site(api, ws, max_pages=50)
    first = await settled(api, ws, site["id"])
    path = f"{base(ws)}/websites/{site['id']}"

    # Title and schedule: saved, no new crawl.
    renamed = await api.patch(
        path, headers=ws.owner.headers, json={"title": "  Acme help  ", "refresh_interval_hours": 24}
    )
    assert renamed.status_code == 200, renamed.text
    body = renamed.json()
    assert (body["title"], body["refresh_interval_hours"], body["max_pages"]) == ("Acme help", 24, 50)
    assert body["next_refresh_at"] is not None
    assert body["status"] == first["status"]
    assert await crawl_jobs(db, site["id"]) == 1
    cleared = (await api.patch(path, headers=ws.owner.headers, json={"refresh_interval_hours": None})).json()
    assert (cleared["refresh_interval_hours"], cleared["next_refresh_at"]) == (None, None)
    # Saving the same values changes nothing.
    same = await api.patch(path, headers=ws.owner.headers, json={"title": "Acme help", "max_pages": 50})
    assert same.status_code == 200 and await crawl_jobs(db, site["id"]) == 1

    # A new limit re-crawls.
    limited = (await api.patch(path, headers=ws.owner.headers, json={"max_pages": 20, "max_depth": 2})).json()
    assert (limited["max_pages"], limited["max_depth"]) == (20, 2)
    assert limited["status"] in ("queued", "processing")
    assert await crawl_jobs(db, site["id"]) == 2
    await settled(api, ws, site["id"], after=first["updated_at"])

    # A new address re-crawls and, unless a path is given, stays under the new start page's folder.
    moved = (await api.patch(path, headers=ws.owner.headers, json={"url": "HTTPS://Docs.Example.com/guide/#x"})).json()
    assert (moved["url"], moved["include_path_prefix"]) == ("https://docs.example.com/guide/", "/guide/")
    assert moved["status"] in ("queued", "processing")
    assert await crawl_jobs(db, site["id"]) == 3
    scoped = (await api.patch(path, headers=ws.owner.headers, json={"include_path_prefix": "/guide/billing"})).json()
    assert scoped["include_path_prefix"] == "/guide/billing"
    # An empty path means "the start page's folder" again.
    reset = (await api.patch(path, headers=ws.owner.headers, json={"include_path_prefix": ""})).json()
    assert reset["include_path_prefix"] == "/guide/"


async def test_narrowing_the_path_recrawls_and_drops_pages_outside_it(
    api: httpx.AsyncClient, make_user: MakeUser, db: asyncpg.Pool, help_center: HelpCenter
) -> None:
    ws = await new_workspace(api, make_user)
    site = await add_site(api, ws, url=help_center.start_url)
    crawled = await settled(api, ws, site["id"], wait=120)
    assert crawled["status"] == "ready", crawled
    before = await document_urls(db, site["id"])
    # "invoices" is reachable only through the billing category's "next" pages.
    invoices = help_center.article_url("invoices")
    assert invoices in before

    help_center.site.reset_log()
    narrowed = await api.patch(
        f"{base(ws)}/websites/{site['id']}", headers=ws.owner.headers, json={"include_path_prefix": "/help/articles/"}
    )
    assert narrowed.status_code == 200, narrowed.text
    assert narrowed.json()["include_path_prefix"] == "/help/articles/"
    assert narrowed.json()["status"] in ("queued", "processing")
    recrawled = await settled(api, ws, site["id"], wait=120, after=crawled["updated_at"])
    assert recrawled["status"] == "ready", recrawled
    after = await document_urls(db, site["id"])
    articles = help_center.url("/help/articles/")
    assert after and all(url.startswith(articles) for url in after), after
    assert invoices not in after and after < before
    assert not [p for p in help_center.site.requested_paths() if p.startswith("/help/categories")]


async def test_only_the_workspace_s_admins_edit_its_websites(
    api: httpx.AsyncClient, make_user: MakeUser, db: asyncpg.Pool
) -> None:
    ws = await new_workspace(api, make_user, "Acme")
    site = await add_site(api, ws)
    path = f"{base(ws)}/websites/{site['id']}"
    agent = await make_user("agent")
    await add_member(db, ws, agent, "agent")
    refused = await api.patch(path, headers=agent.headers, json={"title": "Mine now"})
    assert refused.status_code == 403, refused.text
    assert "admin" in refused.json()["error"]["message"]

    other = await new_workspace(api, make_user, "Globex")
    for response in (
        await api.patch(path, headers=other.owner.headers, json={"title": "Hacked"}),
        # Their website through one's own workspace.
        await api.patch(f"{base(other)}/websites/{site['id']}", headers=other.owner.headers, json={"title": "Hacked"}),
        await api.patch(f"{base(ws)}/websites/{uuid.uuid4()}", headers=ws.owner.headers, json={"title": "Nobody"}),
    ):
        assert response.status_code == 404, response.text
    # An article is not a website.
    article = await create_article(api, ws, "Refunds", "Refunds take 30 days.")
    not_a_site = await api.patch(f"{base(ws)}/websites/{article['id']}", headers=ws.owner.headers, json={"title": "X"})
    assert not_a_site.status_code == 404

    # A workspace admin (not a business admin) may.
    ws_admin = await make_user("wsadmin")
    await add_member(db, ws, ws_admin, "admin")
    saved = await api.patch(path, headers=ws_admin.headers, json={"title": "Acme help"})
    assert saved.status_code == 200 and saved.json()["title"] == "Acme help"
    assert (await api.patch(path, json={"title": "Signed out"})).status_code == 401

    # Another source of the same workspace cannot take the same address.
    second = await add_site(api, ws, url="https://help.example.com/other")
    clash = await api.patch(
        f"{base(ws)}/websites/{second['id']}", headers=ws.owner.headers, json={"url": "https://help.example.com/hc"}
    )
    assert clash.status_code == 409 and "already" in clash.json()["error"]["message"]


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({"title": ""}, "title", "can't be empty"),
        ({"title": "   "}, "title", "can't be empty"),
        ({"title": "t" * 201}, "title", "too long"),
        ({"title": None}, "title", "can't be empty"),
        ({"url": ""}, "url", "can't be empty"),
        ({"url": "ftp://files.example.com"}, "url", "http"),
        ({"url": "https://admin:secret@help.example.com"}, "url", "password"),
        ({"max_pages": 0}, "max_pages", "greater than"),
        ({"max_pages": 10001}, "max_pages", "less than"),
        ({"max_depth": -1}, "max_depth", "greater than"),
        ({"max_depth": 51}, "max_depth", "less than"),
        ({"refresh_interval_hours": 0}, "refresh_interval_hours", "greater than"),
        ({"include_path_prefix": "docs"}, "include_path_prefix", "/"),
        ({"include_path_prefix": "/help me"}, "include_path_prefix", "/"),
        ({"body_markdown": "not a website field"}, "body_markdown", ""),
    ],
)
async def test_bad_values_are_refused_and_change_nothing(
    api: httpx.AsyncClient, make_user: MakeUser, body: dict[str, Any], field: str, fragment: str
) -> None:
    ws = await new_workspace(api, make_user)
    site = await add_site(api, ws)
    response = await api.patch(f"{base(ws)}/websites/{site['id']}", headers=ws.owner.headers, json=body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == field
    assert fragment.lower() in error["message"].lower()
    now = (await api.get(f"{base(ws)}/sources/{site['id']}", headers=ws.owner.headers)).json()
    keys = ("title", "url", "max_pages", "max_depth", "include_path_prefix", "refresh_interval_hours")
    assert {k: now[k] for k in keys} == {k: site[k] for k in keys}
