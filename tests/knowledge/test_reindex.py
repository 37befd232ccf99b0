"""Changing the embedding provider re-indexes: the ingestion worker's scheduling
pass queues each source whose chunks carry another model's vectors, once per
model, and search keeps answering from full text until the new vectors exist.

Two real embedder configurations: the local MiniLM model and OpenAI's client
against the fake embeddings server on loopback. Everything runs in one
transaction that is rolled back, so the platform's own worker never sees it."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import pytest

from callcenter.knowledge import search as knowledge_search
from callcenter.knowledge.embeddings import Embedder, build_embedder
from callcenter.knowledge.embeddings.local import MiniLmEmbedder
from callcenter.knowledge.ingestion import JobContext, JobFailed, handlers
from callcenter.knowledge.types import ExtractedDocument, Section
from callcenter.settings import Settings
from lambdas.ingest.worker import Worker
from tests.db.dbkit import DATABASE_URL, Conn, acting, create_business, create_user
from tests.fakes.openai_server import API_KEY, fake_openai

MINILM = "minilm-l6-v2-int8"
OPENAI_SMALL = "text-embedding-3-small"
REFUNDS = """# Refunds

You can return any item within 30 days of delivery for a full refund.

## Card

The refund goes back to the card you paid with within five business days.
"""


class _OneConnection:
    """Stands in for callcenter.db.Database: every `as_service()` is a savepoint of the test's transaction."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    @asynccontextmanager
    async def as_service(self) -> AsyncIterator[Conn]:
        async with self.conn.transaction():
            yield self.conn

    async def close(self) -> None:
        pass


@pytest.fixture
async def conn() -> AsyncIterator[Conn]:
    connection = await asyncpg.connect(DATABASE_URL, command_timeout=60)
    transaction = connection.transaction()
    await transaction.start()
    try:
        yield connection
    finally:
        await transaction.rollback()
        await connection.close()


@pytest.fixture(scope="module")
def minilm() -> MiniLmEmbedder:
    embedder = MiniLmEmbedder()
    embedder.warm_up()
    return embedder


@pytest.fixture(scope="module")
def openai() -> Iterator[Embedder]:
    with fake_openai() as (base_url, _script):
        yield build_embedder(Settings(embedding_provider="openai", openai_api_key=API_KEY, openai_base_url=base_url))


def worker(conn: Conn, embedder: Embedder, **overrides: Any) -> Worker:
    return Worker(
        Settings(),
        database=_OneConnection(conn),
        embedder=embedder,  # type: ignore[arg-type]
        registry=handlers(overrides),
        worker_id="reindex-test",
    )


async def new_article(conn: Conn) -> tuple[uuid.UUID, uuid.UUID, Any]:
    """A workspace with one article, its job (queued by the trigger) first in line: (workspace, source, owner)."""
    owner = await create_user(conn, None, "owner", email=f"owner-{secrets.token_hex(4)}@reindex-tests.invalid")
    business, workspace = await create_business(conn, None, owner, f"Reindex {secrets.token_hex(3)}", "Support")
    async with acting(conn, owner):
        source = await conn.fetchval(
            """insert into public.knowledge_sources (workspace_id, business_id, kind, title, body_markdown, created_by)
               values ($1, $2, 'article', 'Refunds', $3, $4) returning id""",
            workspace,
            business,
            REFUNDS,
            owner.uid,
        )
    await first_in_line(conn, source)
    return workspace, source, owner


async def first_in_line(conn: Conn, source: uuid.UUID) -> None:
    await conn.execute(
        "update public.knowledge_jobs set run_after = '-infinity' where source_id = $1 and status = 'queued'", source
    )


async def state(conn: Conn, source: uuid.UUID) -> dict[str, Any]:
    row = await conn.fetchrow(
        """select s.status::text as status, s.status_detail, s.indexed_with_model,
                  (select array_agg(distinct c.embedding_model order by c.embedding_model)
                   from public.knowledge_chunks c where c.source_id = s.id) as models,
                  (select count(*) from public.knowledge_jobs j
                   where j.source_id = s.id and j.status in ('queued', 'running')) as active_jobs,
                  (select count(*) from public.knowledge_jobs j where j.source_id = s.id) as jobs
           from public.knowledge_sources s where s.id = $1""",
        source,
    )
    assert row is not None
    return dict(row)


async def test_switching_the_embedding_provider_reindexes_each_source_once(
    conn: Conn, minilm: MiniLmEmbedder, openai: Embedder
) -> None:
    workspace, source, owner = await new_article(conn)
    local = worker(conn, minilm)
    assert await local.run_once() == "ready"
    indexed = await state(conn, source)
    assert (indexed["models"], indexed["indexed_with_model"], indexed["jobs"]) == ([MINILM], MINILM, 1)

    # The same configuration finds nothing to do.
    await local.schedule()
    assert (await state(conn, source))["jobs"] == 1

    # The provider changes to OpenAI: the worker's scheduling pass queues the source once.
    remote = worker(conn, openai)
    assert await remote.schedule() >= 1
    await remote.schedule()
    queued = await state(conn, source)
    assert (queued["status"], queued["active_jobs"], queued["jobs"]) == ("queued", 1, 2)

    # Meanwhile search still answers, from full text (the old vectors are another model's).
    question = "How many days do I have to return an item for a refund?"
    for actor in (None, owner):
        if actor is None:
            meanwhile = await knowledge_search.search(conn, openai, workspace, question)
        else:
            async with acting(conn, actor):
                meanwhile = await knowledge_search.search(conn, openai, workspace, question)
        assert meanwhile and meanwhile[0].source_id == source
        assert "30 days" in meanwhile[0].content
        assert all(r.vector_rank is None and r.text_rank is not None for r in meanwhile)

    await first_in_line(conn, source)
    assert await remote.run_once() == "ready"
    reindexed = await state(conn, source)
    assert (reindexed["status"], reindexed["models"], reindexed["indexed_with_model"]) == (
        "ready",
        [OPENAI_SMALL],
        OPENAI_SMALL,
    )
    results = await knowledge_search.search(conn, openai, workspace, question)
    assert results[0].vector_rank is not None and "30 days" in results[0].content

    # Nothing left to do for this model; switching back re-indexes with the local model again.
    await remote.schedule()
    assert (await state(conn, source))["jobs"] == 2
    await local.schedule()
    await first_in_line(conn, source)
    assert await local.run_once() == "ready"
    assert (await state(conn, source))["models"] == [MINILM]


async def test_a_failed_reindex_is_not_retried_in_a_loop(conn: Conn, minilm: MiniLmEmbedder, openai: Embedder) -> None:
    _workspace, source, _owner = await new_article(conn)
    assert await worker(conn, minilm).run_once() == "ready"

    async def unreadable(ctx: JobContext) -> str | None:
        raise JobFailed("This article could not be read.")

    remote = worker(conn, openai, index_article=unreadable)
    await remote.schedule()
    await first_in_line(conn, source)
    assert await remote.run_once() == "failed"
    failed = await state(conn, source)
    assert (failed["status"], failed["models"], failed["jobs"]) == ("failed", [MINILM], 2)
    # The old chunks stay (searchable by their words); the next passes leave the source alone.
    await remote.schedule()
    await remote.schedule()
    assert (await state(conn, source))["jobs"] == 2


async def test_a_recrawl_embeds_unchanged_pages_again_for_a_new_model(
    conn: Conn, minilm: MiniLmEmbedder, openai: Embedder
) -> None:
    """A crawl skips pages whose text did not change, unless their vectors are another model's."""
    owner = await create_user(conn, None, "owner", email=f"owner-{secrets.token_hex(4)}@reindex-tests.invalid")
    business, workspace = await create_business(conn, None, owner, f"Reindex {secrets.token_hex(3)}", "Support")
    site = await conn.fetchval(
        """insert into public.knowledge_sources (workspace_id, business_id, kind, title, url)
           values ($1, $2, 'website', 'Site', 'https://docs.example.com/') returning id""",
        workspace,
        business,
    )
    pages = {
        f"https://docs.example.com/{n}": ExtractedDocument(
            title=f"Page {n}", sections=(Section(f"Answer number {n}.", ("FAQ",)),), url=f"https://docs.example.com/{n}"
        )
        for n in (1, 2)
    }
    embedded: list[str] = []

    async def crawl(ctx: JobContext) -> str | None:
        known = await ctx.indexed_hashes()
        for url, page in pages.items():
            if known.get(url) != page.content_hash:
                await ctx.index(page)
                embedded.append(url)
        return None

    await first_in_line(conn, site)
    assert await worker(conn, minilm, crawl=crawl).run_once() == "ready"
    remote = worker(conn, openai, crawl=crawl)
    await remote.schedule()
    await first_in_line(conn, site)
    assert await remote.run_once() == "ready"
    assert embedded == [*pages, *pages]
    assert (await state(conn, site))["models"] == [OPENAI_SMALL]
