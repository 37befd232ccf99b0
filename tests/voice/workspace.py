"""A business with one workspace whose knowledge base holds known facts, made
the way the product makes it: the owner creates the business
(public.create_business) and saves articles; the running ingestion worker
indexes them (chunks + MiniLM embeddings). Everything is named under the test
email domain, so an interrupted run is swept by tests/db's cleanup."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from uuid import UUID

from tests.db import dbkit

INDEX_TIMEOUT_S = 90.0


@dataclass(frozen=True)
class KnowledgeWorkspace:
    registry: dbkit.Registry
    business_id: UUID
    workspace_id: UUID
    owner: dbkit.Actor
    source_ids: tuple[UUID, ...]


async def create_knowledge_workspace(
    pool: dbkit.Pool,
    label: str,
    articles: dict[str, str],
    *,
    agent_name: str | None = None,
    greeting: str | None = None,
) -> KnowledgeWorkspace:
    registry = dbkit.new_registry(f"voice-{label}")
    async with pool.acquire() as conn:
        owner = await dbkit.create_user(conn, registry, "owner")
        business_id, workspace_id = await dbkit.create_business(
            conn, registry, owner, registry.name("Voice test"), "Support"
        )
        source_ids: list[UUID] = []
        async with dbkit.acting(conn, owner):
            for title, body in articles.items():
                source_id = await conn.fetchval(
                    """insert into public.knowledge_sources
                         (workspace_id, business_id, kind, title, body_markdown, created_by)
                       values ($1, $2, 'article', $3, $4, $5) returning id""",
                    workspace_id,
                    business_id,
                    title,
                    body,
                    owner.uid,
                )
                source_ids.append(source_id)
            if agent_name or greeting:
                await conn.execute(
                    """update public.agent_settings set agent_name = coalesce($2, agent_name),
                         greeting = coalesce($3, greeting) where workspace_id = $1""",
                    workspace_id,
                    agent_name,
                    greeting,
                )
    created = KnowledgeWorkspace(registry, business_id, workspace_id, owner, tuple(source_ids))
    try:
        await wait_until_indexed(pool, created.source_ids)
    except BaseException:
        await remove_workspace(pool, created)
        raise
    return created


async def wait_until_indexed(pool: dbkit.Pool, source_ids: tuple[UUID, ...], within: float = INDEX_TIMEOUT_S) -> None:
    deadline = time.monotonic() + within
    rows: list[tuple[str, str | None]] = []
    while time.monotonic() < deadline:
        records = await pool.fetch(
            "select status::text as status, status_detail from public.knowledge_sources where id = any($1::uuid[])",
            list(source_ids),
        )
        rows = [(r["status"], r["status_detail"]) for r in records]
        if any(status == "failed" for status, _ in rows):
            raise RuntimeError(f"indexing failed: {rows}")
        if rows and all(status == "ready" for status, _ in rows):
            return
        await asyncio.sleep(0.3)
    raise TimeoutError(
        f"the knowledge was not indexed within {within:.0f}s ({rows}); is the ingestion worker running (./dev up)?"
    )


async def remove_workspace(pool: dbkit.Pool, workspace: KnowledgeWorkspace) -> None:
    await dbkit.cleanup(pool, workspace.registry)
