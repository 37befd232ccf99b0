"""A help center crawled end to end: API -> job -> ingestion worker -> crawler
-> chunks -> search, against the fixture site served on loopback. Re-crawl
refreshes changed pages and drops removed ones."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import asyncpg
import httpx
import pytest

from tests.api.conftest import MakeUser
from tests.api.test_knowledge_api import base, new_workspace, search, settled
from tests.fixtures.helpcenter.server import Site, serve
from tests.fixtures.helpcenter.site import HelpCenter, build_help_center


@pytest.fixture
def help_center() -> Iterator[HelpCenter]:
    site = Site()
    with serve(site) as url:
        yield build_help_center(site, url)


async def test_crawl_index_search_and_recrawl(
    api: httpx.AsyncClient, make_user: MakeUser, db: asyncpg.Pool, help_center: HelpCenter
) -> None:
    workspace = await new_workspace(api, make_user)
    added = await api.post(
        f"{base(workspace)}/websites", headers=workspace.owner.headers, json={"url": help_center.start_url}
    )
    assert added.status_code == 201, added.text
    source_id = added.json()["id"]
    source = await settled(api, workspace, source_id, wait=120)
    assert source["status"] == "ready", source
    assert source["chunk_count"] > 0
    progress = source["progress"]
    assert progress["pages_fetched"] >= progress["pages_indexed"] > 5, progress

    results = await search(api, workspace, "How long do refunds take to reach my card?")
    assert results, "nothing found"
    top = results[0]
    assert "5 to 10 business days" in top["content"]
    assert top["url"] == help_center.article_url("refunds")
    assert top["source_kind"] == "website"
    # The page chrome is not part of the knowledge.
    assert not await db.fetchval(
        "select count(*) from public.knowledge_chunks where source_id = $1::uuid and content ilike '%cookie%'",
        source_id,
    )

    # The site changes: a policy is edited and an article disappears.
    refunds = help_center.articles["refunds"]
    help_center.articles["refunds"] = dataclasses.replace(
        refunds, body=refunds.body.replace("5 to 10 business days", "2 to 3 business days")
    )
    removed_slug = "voicemail"
    del help_center.articles[removed_slug]
    help_center.publish()

    refreshed_at = source["updated_at"]
    refresh = await api.post(f"{base(workspace)}/sources/{source_id}/refresh", headers=workspace.owner.headers)
    assert refresh.status_code == 202, refresh.text
    source = await settled(api, workspace, source_id, wait=120, after=refreshed_at)
    assert source["status"] == "ready", source
    top = (await search(api, workspace, "How long do refunds take to reach my card?"))[0]
    assert "2 to 3 business days" in top["content"] and "5 to 10" not in top["content"]
    urls = {r["url"] for r in await search(api, workspace, "voicemail greeting", limit=20)}
    assert help_center.article_url(removed_slug) not in urls


async def test_a_crawl_that_cannot_start_fails_with_a_reason(api: httpx.AsyncClient, make_user: MakeUser) -> None:
    workspace = await new_workspace(api, make_user)
    added = await api.post(
        f"{base(workspace)}/websites", headers=workspace.owner.headers, json={"url": "http://10.0.0.1/help"}
    )
    assert added.status_code == 201, added.text
    source = await settled(api, workspace, added.json()["id"], wait=60)
    assert source["status"] == "failed"
    assert "private network" in source["status_detail"]
