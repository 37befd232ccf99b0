"""Knowledge in the database: what clients may write, the hybrid search
function (scoped by workspace and by row level security, on each model's
partial HNSW index), and the job queue's life cycle.

Each test runs in a transaction that is rolled back, so the ingestion worker
the local platform runs never sees (or claims) what these tests create.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest

from callcenter.knowledge import jobs
from callcenter.knowledge.embeddings import PROVIDERS, build_embedder
from callcenter.knowledge.ingestion import JobCancelled, JobContext, JobFailed, handlers, run_job
from callcenter.knowledge.types import ExtractedDocument, Section
from callcenter.settings import Settings

from .dbkit import (
    INSUFFICIENT_PRIVILEGE,
    MINILM,
    NO_DATA_FOUND,
    RAISE_EXCEPTION,
    Conn,
    World,
    act_as,
    act_as_postgres,
    acting,
    fetch_as,
    refused,
    vector_text,
)

CHECK_VIOLATION = "23514"
INVALID_PARAMETER = "22023"

# ---------------------------------------------------------------- privileges


async def test_clients_write_only_what_a_person_edits(conn: Conn) -> None:
    """Status, progress, counts, schedule and the owning workspace are the worker's (or fixed)."""
    rows = await conn.fetch(
        """select table_name, privilege_type, column_name from information_schema.column_privileges
           where grantee = 'authenticated' and table_schema = 'public' and table_name like 'knowledge%'
             and privilege_type in ('INSERT', 'UPDATE')"""
    )
    granted: dict[tuple[str, str], set[str]] = {}
    for r in rows:
        granted.setdefault((r["table_name"], r["privilege_type"]), set()).add(r["column_name"])
    assert granted == {
        ("knowledge_sources", "INSERT"): {
            "workspace_id", "business_id", "kind", "title", "url", "max_pages", "max_depth",
            "include_path_prefix", "refresh_interval", "body_markdown", "storage_key", "file_name",
            "content_type", "byte_size", "created_by",
        },
        ("knowledge_sources", "UPDATE"): {
            "title", "url", "max_pages", "max_depth", "include_path_prefix", "refresh_interval", "body_markdown",
        },
    }
    writable = await conn.fetch(
        """select c.relname, r.rolname from pg_class c join pg_namespace n on n.oid = c.relnamespace
           cross join (values ('anon'), ('authenticated')) r(rolname)
           where n.nspname = 'public' and c.relname like 'knowledge%' and c.relkind = 'r'
             and has_table_privilege(r.rolname, c.oid, 'insert, update, delete')"""
    )
    assert {(r["relname"], r["rolname"]) for r in writable} == {("knowledge_sources", "authenticated")}
    assert not await conn.fetchval("select has_table_privilege('anon', 'public.knowledge_sources', 'select')")


async def test_only_signed_in_users_and_the_service_can_search_or_queue(conn: Conn) -> None:
    rows = await conn.fetch(
        """select p.oid::regprocedure::text as fn, r.rolname,
                  has_function_privilege(r.rolname, p.oid, 'execute') as can
           from pg_proc p join pg_namespace n on n.oid = p.pronamespace
           cross join (values ('anon'), ('authenticated'), ('service_role')) r(rolname)
           where n.nspname in ('public', 'private')
             and p.proname in ('search_knowledge', 'refresh_knowledge_source', 'cancel_knowledge_source',
                               'enqueue_knowledge_job')"""
    )
    allowed = {(r["fn"].split("(")[0], r["rolname"]) for r in rows if r["can"]}
    assert allowed == {
        ("search_knowledge", "authenticated"), ("search_knowledge", "service_role"),
        ("refresh_knowledge_source", "authenticated"), ("cancel_knowledge_source", "authenticated"),
        ("private.enqueue_knowledge_job", "service_role"),
    }


async def test_a_document_can_only_point_at_its_own_workspace_files(conn: Conn, world: World) -> None:
    insert = """insert into public.knowledge_sources
                  (workspace_id, business_id, kind, title, file_name, storage_key, created_by)
                values ($1, $2, 'document', 'Manual', 'manual.pdf', $3, $4)"""
    elsewhere = await refused(
        conn, world.owner, insert, world.ws, world.business, f"workspaces/{world.other_ws}/manual.pdf", world.owner.uid
    )
    assert elsewhere.sqlstate == CHECK_VIOLATION
    climbing = await refused(
        conn, world.owner, insert, world.ws, world.business, f"workspaces/{world.ws}x/../manual.pdf", world.owner.uid
    )
    assert climbing.sqlstate == CHECK_VIOLATION
    async with acting(conn, world.owner):
        await conn.execute(insert, world.ws, world.business, f"workspaces/{world.ws}/abc/manual.pdf", world.owner.uid)
    # A document waits for its file: no job until the upload is announced.
    assert await conn.fetchval(
        """select count(*) from public.knowledge_jobs j join public.knowledge_sources s on s.id = j.source_id
           where s.workspace_id = $1 and s.kind = 'document'""",
        world.ws,
    ) == 0


async def test_client_cannot_set_the_worker_s_columns(conn: Conn, world: World) -> None:
    status = await refused(
        conn, world.owner, "update public.knowledge_sources set status = 'ready', chunk_count = 99 where id = $1",
        world.knowledge.article,
    )
    assert status.sqlstate == INSUFFICIENT_PRIVILEGE
    moved = await refused(
        conn, world.owner, "update public.knowledge_sources set workspace_id = $2 where id = $1",
        world.knowledge.article, world.ws2,
    )
    assert moved.sqlstate == INSUFFICIENT_PRIVILEGE


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://help.example.com/", True),
        ("http://127.0.0.1:8080/hc?page=2", True),
        ("https://user:pw@help.example.com/", False),
        ("https://help.example.com@evil.example/", False),
        ("ftp://help.example.com/", False),
        ("https://", False),
        ("https://help example.com/", False),
    ],
)
async def test_website_url_shape_is_checked_by_the_database_too(conn: Conn, world: World, url: str, ok: bool) -> None:
    insert = """insert into public.knowledge_sources (workspace_id, business_id, kind, title, url)
                values ($1, $2, 'website', 'Site', $3)"""
    if ok:
        async with conn.transaction():
            await conn.execute(insert, world.ws, world.business, url)
    else:
        assert (await refused(conn, None, insert, world.ws, world.business, url)).sqlstate == CHECK_VIOLATION


async def test_vectors_must_have_their_model_s_dimensions(conn: Conn, world: World) -> None:
    insert = """insert into public.knowledge_chunks
                  (workspace_id, source_id, document_id, ordinal, content, embedding_model, embedding)
                values ($1, $2, $3, 99, 'x', $4, $5::text::extensions.vector)"""
    k = world.knowledge
    wrong = await refused(conn, None, insert, world.ws, k.website, k.document, MINILM, vector_text(1, 1536))
    assert wrong.sqlstate == INVALID_PARAMETER and "384" in wrong.message
    unknown = await refused(conn, None, insert, world.ws, k.website, k.document, "no-such-model", vector_text(1, 3))
    assert unknown.sqlstate == "23503"


async def test_every_real_model_has_a_partial_hnsw_index_on_its_dimension(conn: Conn) -> None:
    models = await conn.fetch(
        "select name, dimensions from public.knowledge_embedding_models where name !~ '^test-model-'"
    )
    assert {m["name"] for m in models} >= {"minilm-l6-v2-int8", "text-embedding-3-small"}
    indexes = [
        r["indexdef"]
        for r in await conn.fetch("select indexdef from pg_indexes where tablename = 'knowledge_chunks'")
    ]
    for model in models:
        matching = [
            d for d in indexes
            if "USING hnsw" in d
            and f"vector({model['dimensions']})" in d
            and "vector_cosine_ops" in d
            and f"embedding_model = '{model['name']}'" in d
        ]
        assert len(matching) == 1, (model["name"], indexes)


async def test_every_embedding_provider_s_model_is_known_to_the_database(conn: Conn) -> None:
    for provider in PROVIDERS:
        embedder = build_embedder(Settings(embedding_provider=provider))  # type: ignore[arg-type]
        dimensions = await conn.fetchval(
            "select dimensions from public.knowledge_embedding_models where name = $1", embedder.model_name
        )
        assert dimensions == embedder.dimensions, provider


# ---------------------------------------------------------------- search


async def _add_chunks(conn: Conn, world: World, workspace_id: uuid.UUID, texts: list[str]) -> list[uuid.UUID]:
    """An indexed page in `workspace_id` (as postgres) with one chunk per text; vectors are seeded by position."""
    business = world.business if workspace_id in (world.ws, world.ws2) else world.other_business
    source = await conn.fetchval(
        """insert into public.knowledge_sources (workspace_id, business_id, kind, title, body_markdown)
           values ($1, $2, 'article', 'FAQ', 'x') returning id""",
        workspace_id, business,
    )
    document = await conn.fetchval(
        """insert into public.knowledge_documents (workspace_id, source_id, title, content_hash)
           values ($1, $2, 'FAQ page', 'h') returning id""",
        workspace_id, source,
    )
    ids = []
    for i, text in enumerate(texts):
        ids.append(
            await conn.fetchval(
                """insert into public.knowledge_chunks
                     (workspace_id, source_id, document_id, ordinal, title, heading_path, content,
                      embedding_model, embedding)
                   values ($1, $2, $3, $4, 'FAQ page', $5, $6, $7, $8::text::extensions.vector) returning id""",
                workspace_id, source, document, i, ["Help", f"Q{i}"], text, MINILM, vector_text(100 + i),
            )
        )
    return ids


SEARCH = "select * from public.search_knowledge($1, $2, $3::text::extensions.vector, $4, $5)"


async def test_search_fuses_vector_and_text_ranks_within_one_workspace(conn: Conn, world: World) -> None:
    mine = await _add_chunks(conn, world, world.ws2, ["Refunds take thirty days.", "Shipping is free.", "Hello."])
    theirs = await _add_chunks(conn, world, world.other_ws, ["Refunds take seven days.", "Shipping costs $5."])

    # The query vector equals chunk 1's: vector rank 1 for "Shipping is free."; the words match chunk 0.
    rows = await conn.fetch(SEARCH, world.ws2, "refunds", vector_text(101), MINILM, 5)
    by_id = {r["chunk_id"]: r for r in rows}
    assert set(by_id) == set(mine)
    assert by_id[mine[1]]["vector_rank"] == 1 and by_id[mine[1]]["text_rank"] is None
    assert by_id[mine[0]]["text_rank"] == 1
    # Reciprocal rank fusion, k = 60.
    for r in rows:
        expected = sum(1 / (60 + rank) for rank in (r["vector_rank"], r["text_rank"]) if rank is not None)
        assert r["score"] == pytest.approx(expected)
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    # Citations: where each passage is from.
    cited = by_id[mine[0]]
    assert (cited["source_kind"], cited["source_title"], cited["document_title"]) == ("article", "FAQ", "FAQ page")
    assert (cited["heading_path"], cited["content"]) == (["Help", "Q0"], "Refunds take thirty days.")

    # Words only (no embedding: the provider is down) still answer.
    text_only = await conn.fetch(SEARCH, world.ws2, "refunds", None, MINILM, 5)
    assert [r["chunk_id"] for r in text_only] == [mine[0]]
    assert text_only[0]["vector_rank"] is None

    # The other business's identical words never show up, and the limit holds.
    other = await conn.fetch(SEARCH, world.other_ws, "refunds", vector_text(100), MINILM, 10)
    assert other and {r["chunk_id"] for r in other} <= set(theirs)
    assert len(await conn.fetch(SEARCH, world.ws2, "refunds", vector_text(100), MINILM, 1)) == 1


async def test_search_runs_under_the_caller_s_row_level_security(conn: Conn, world: World) -> None:
    chunk_ids = await _add_chunks(conn, world, world.ws, ["Our refund window is 30 days."])
    query = (world.ws, "refund", vector_text(100), MINILM, 10)
    seen = {
        label: {r["chunk_id"] for r in await fetch_as(conn, world.actor(label), SEARCH, *query)}
        for label in ("owner", "admin", "ws_admin", "agent_in", "agent_out", "outsider", "stranger")
    }
    for label in ("owner", "admin", "ws_admin", "agent_in"):
        assert chunk_ids[0] in seen[label], label
    for label in ("agent_out", "outsider", "stranger"):
        assert seen[label] == set(), label
    anon = await refused(conn, world.actor("anon"), SEARCH, *query)
    assert anon.sqlstate == INSUFFICIENT_PRIVILEGE


async def test_search_checks_access_once_then_reads_only_that_workspace(conn: Conn, world: World) -> None:
    """search_knowledge reads as its owner (no per-row RLS, so the text half can use its GIN index):
    the caller's access is checked up front by the policies' rule, and every row is the workspace's."""
    mine = await _add_chunks(conn, world, world.ws, ["Refunds take thirty days in Sales."])
    sibling = await _add_chunks(conn, world, world.ws2, ["Refunds take thirty days in Support."])
    theirs = await _add_chunks(conn, world, world.other_ws, ["Refunds take thirty days elsewhere."])
    definition = await conn.fetchrow(
        """select p.prosecdef, p.proconfig from pg_proc p
           where p.oid = 'public.search_knowledge(uuid, text, extensions.vector, text, integer)'::regprocedure"""
    )
    assert definition is not None and definition["prosecdef"]
    assert 'search_path=""' in definition["proconfig"]

    def ids(rows: list[Any]) -> set[uuid.UUID]:
        return {r["chunk_id"] for r in rows}

    async def held_by(workspace_id: uuid.UUID) -> set[uuid.UUID]:
        rows = await conn.fetch("select id from public.knowledge_chunks where workspace_id = $1", workspace_id)
        return {r["id"] for r in rows}

    words_and_vector = ("refunds thirty days", vector_text(100), MINILM, 10)
    # agent_in is a member of ws only: never ws2's rows, whatever the words or vector.
    # (The vector half returns every chunk of these small workspaces, the words only ours.)
    found = await fetch_as(conn, world.agent_in, SEARCH, world.ws, *words_and_vector)
    assert ids(found) == await held_by(world.ws) and set(mine) <= ids(found)
    assert {r["chunk_id"] for r in found if r["text_rank"] is not None} == set(mine)
    assert ids(await fetch_as(conn, world.agent_in, SEARCH, world.ws2, *words_and_vector)) == set()
    # A signed-in user of another business gets nothing, by words or by vector alone.
    stranger = world.actor("stranger")
    for args in (words_and_vector, ("refunds", None, MINILM, 10), ("", vector_text(100), MINILM, 10)):
        assert await fetch_as(conn, stranger, SEARCH, world.ws, *args) == []
    # Forged claims without a user, or for a user who is not a member, find nothing either.
    for claims in ({"role": "authenticated"}, {"role": "authenticated", "sub": str(uuid.uuid4())}):
        assert await fetch_as(conn, world.agent_in, SEARCH, world.ws, *words_and_vector, claims=claims) == []
    # The service (what the voice agent uses) searches any workspace it names, and only that one.
    async with conn.transaction():
        await conn.execute("select set_config('role', 'service_role', true)")
        as_service = await conn.fetch(SEARCH, world.other_ws, *words_and_vector)
        await conn.execute("select set_config('role', 'none', true)")
    assert ids(as_service) == await held_by(world.other_ws) and set(theirs) <= ids(as_service)
    assert ids(await conn.fetch(SEARCH, world.ws2, *words_and_vector)) == await held_by(world.ws2)
    # The owner sees both workspaces of the business, one at a time.
    owner_ws2 = await fetch_as(conn, world.owner, SEARCH, world.ws2, *words_and_vector)
    assert ids(owner_ws2) == await held_by(world.ws2) and set(sibling) <= ids(owner_ws2)


async def test_full_text_needs_half_of_the_question_s_words(conn: Conn, world: World) -> None:
    """Any of the words would let one common word match everything; all of them matched almost nothing."""
    ids = await _add_chunks(
        conn, world, world.ws2,
        [
            "Refunds reach your card within ten business days.",  # refund, reach, card
            "Your card is charged on the first day of the month.",  # card only
            "Refunds are not available for gift cards bought in store.",  # refund, card
            "Call us any day.",  # none
        ],
    )
    # Meaningful words: refund, reach, card (three: a chunk needs two of them).
    rows = await conn.fetch(SEARCH, world.ws2, "When does my refund reach my card?", None, MINILM, 10)
    ranked = [r["chunk_id"] for r in rows]
    assert ranked == [ids[0], ids[2]]  # more of the words first
    assert all(r["vector_rank"] is None for r in rows)
    # Five words: three needed ("many" is one of them for the English dictionary).
    five = await conn.fetch(SEARCH, world.ws2, "How many days until my refund reaches my card?", None, MINILM, 10)
    assert [r["chunk_id"] for r in five] == [ids[0]]
    # A one-word query (a product name, a code) still matches on that word.
    assert [r["chunk_id"] for r in await conn.fetch(SEARCH, world.ws2, "gift", None, MINILM, 10)] == [ids[2]]


async def test_full_text_half_runs_without_per_row_policies_as_a_user(conn: Conn, world: World) -> None:
    """Row level security no longer applies per chunk (its non-leakproof check kept the full-text
    condition out of the GIN index), and the workspace filter is the query's own.
    benchmarks/search.py shows the GIN index in the plan at 100k chunks."""
    await _add_chunks(conn, world, world.ws2, [f"Passage {i} about parcels and refunds." for i in range(30)])
    messages: list[str] = []

    def listener(_: Any, message: Any) -> None:
        messages.append(str(message.message))

    conn.add_log_listener(listener)
    try:
        async with conn.transaction():
            await conn.execute("load 'auto_explain'")
            await conn.execute(
                """set local auto_explain.log_min_duration = 0; set local auto_explain.log_nested_statements = on;
                   set local client_min_messages = log; set local enable_seqscan = off"""
            )
            await act_as(conn, world.owner)
            rows = await conn.fetch(SEARCH, world.ws2, "parcels refunds", None, MINILM, 5)
            await act_as_postgres(conn)
            await conn.execute("set local client_min_messages = notice")
    finally:
        conn.remove_log_listener(listener)
    assert len(rows) == 5
    text_plans = [m for m in messages if "ts_rank_cd" in m]
    assert text_plans, messages
    plan = text_plans[0]
    # (A cached generic plan shows the workspace as a parameter, a custom one as the literal id.)
    assert "fts @@" in plan and "(workspace_id = " in plan, plan[-3000:]
    assert "visible_workspace_ids" not in plan, plan[-3000:]  # the policy's check, per row


async def test_search_refuses_a_mismatched_model(conn: Conn, world: World) -> None:
    unknown = await refused(conn, None, SEARCH, world.ws, "refund", vector_text(1), "nope", 5)
    assert unknown.sqlstate == INVALID_PARAMETER
    wrong = await refused(conn, None, SEARCH, world.ws, "refund", vector_text(1, 1536), MINILM, 5)
    assert wrong.sqlstate == INVALID_PARAMETER
    # Empty and stop-word-only queries find nothing rather than failing.
    assert await conn.fetch(SEARCH, world.ws, "", None, MINILM, 5) == []
    assert await conn.fetch(SEARCH, world.ws, "the of and", None, MINILM, 5) == []


async def test_vector_search_uses_the_model_s_partial_hnsw_index(conn: Conn, world: World) -> None:
    """The plan of the query inside search_knowledge, captured with auto_explain."""
    await _add_chunks(conn, world, world.ws2, [f"Passage number {i} about refunds." for i in range(30)])
    messages: list[str] = []

    def listener(_: Any, message: Any) -> None:
        messages.append(str(message.message))

    conn.add_log_listener(listener)
    try:
        async with conn.transaction():
            await conn.execute("load 'auto_explain'")
            await conn.execute(
                """set local auto_explain.log_min_duration = 0; set local auto_explain.log_nested_statements = on;
                   set local client_min_messages = log; set local enable_seqscan = off; set local enable_sort = off"""
            )
            await conn.fetch(SEARCH, world.ws2, "refunds", vector_text(7), MINILM, 5)
            await conn.execute("set local client_min_messages = notice")
    finally:
        conn.remove_log_listener(listener)
    inner = [m for m in messages if "vector_hits" in m]
    assert inner, messages
    assert re.search(r"Index Scan using knowledge_chunks_minilm_hnsw_idx", inner[-1]), inner[-1][-3000:]


# ---------------------------------------------------------------- the queue


async def _article(conn: Conn, world: World, body: str = "# Refunds\n\nRefunds take 30 days.") -> uuid.UUID:
    """An article written by the owner (its job is queued by the trigger); its job goes first in line."""
    async with acting(conn, world.owner):
        source = await conn.fetchval(
            """insert into public.knowledge_sources (workspace_id, business_id, kind, title, body_markdown, created_by)
               values ($1, $2, 'article', 'Refunds', $3, $4) returning id""",
            world.ws2, world.business, body, world.owner.uid,
        )
    await conn.execute("update public.knowledge_jobs set run_after = '-infinity' where source_id = $1", source)
    return source


async def _state(conn: Conn, source: uuid.UUID) -> dict[str, Any]:
    row = await conn.fetchrow(
        """select s.status::text as source, s.status_detail, s.chunk_count, s.progress,
                  j.status::text as job, j.attempts, j.rerun_requested, j.last_error, j.run_after > now() as later
           from public.knowledge_sources s
           left join lateral (select * from public.knowledge_jobs where source_id = s.id
                              order by status in ('queued', 'running') desc, created_at desc limit 1) j on true
           where s.id = $1""",
        source,
    )
    assert row is not None
    state = dict(row)
    state["progress"] = json.loads(state["progress"])
    return state


async def _claim(conn: Conn, source: uuid.UUID) -> jobs.Job:
    job = await jobs.claim(conn, "test-worker", timedelta(minutes=15))  # type: ignore[arg-type]
    assert job is not None and job.source_id == source
    return job


async def test_one_active_job_per_source_and_edits_while_running_run_again(conn: Conn, world: World) -> None:
    source = await _article(conn, world)
    assert (await _state(conn, source))["job"] == "queued"
    # Saving again while queued: still one job.
    async with acting(conn, world.owner):
        await conn.execute("update public.knowledge_sources set body_markdown = 'v2' where id = $1", source)
    assert await conn.fetchval("select count(*) from public.knowledge_jobs where source_id = $1", source) == 1

    job = await _claim(conn, source)
    assert (await _state(conn, source))["source"] == "processing"
    async with acting(conn, world.owner):
        await conn.execute("update public.knowledge_sources set body_markdown = 'v3' where id = $1", source)
    state = await _state(conn, source)
    assert (state["job"], state["rerun_requested"], state["source"]) == ("running", True, "processing")

    await jobs.complete(conn, job)  # type: ignore[arg-type]
    state = await _state(conn, source)
    assert (state["job"], state["rerun_requested"], state["source"]) == ("queued", False, "queued")
    assert state["attempts"] == 0
    again = await _claim(conn, source)
    await jobs.complete(conn, again)  # type: ignore[arg-type]
    assert (await _state(conn, source))["source"] == "ready"


async def test_failures_retry_with_backoff_then_fail_with_the_reason(conn: Conn, world: World) -> None:
    source = await _article(conn, world)
    for attempt in (1, 2):
        job = await _claim(conn, source)
        assert job.attempts == attempt
        assert await jobs.fail(conn, job, "The embedding service did not answer.", retryable=True)  # type: ignore[arg-type]
        state = await _state(conn, source)
        assert (state["job"], state["source"], state["later"]) == ("queued", "queued", True)
        assert state["status_detail"].startswith("The embedding service did not answer. Trying again in about")
        await conn.execute("update public.knowledge_jobs set run_after = '-infinity' where source_id = $1", source)
    job = await _claim(conn, source)
    assert not await jobs.fail(conn, job, "The embedding service did not answer.", retryable=True)  # type: ignore[arg-type]
    state = await _state(conn, source)
    assert (state["job"], state["source"], state["status_detail"]) == (
        "failed", "failed", "The embedding service did not answer."
    )
    # A failure that will not pass by itself is final at once.
    other = await _article(conn, world)
    job = await _claim(conn, other)
    assert not await jobs.fail(conn, job, "This file is encrypted.", retryable=False)  # type: ignore[arg-type]
    assert (await _state(conn, other))["status_detail"] == "This file is encrypted."


async def test_a_silent_worker_s_job_is_taken_over(conn: Conn, world: World) -> None:
    source = await _article(conn, world)
    job = await _claim(conn, source)
    await conn.execute("update public.knowledge_jobs set locked_at = now() - interval '1 hour' where id = $1", job.id)
    await conn.execute("update public.knowledge_jobs set run_after = '-infinity' where id = $1", job.id)
    taken = await _claim(conn, source)
    assert (taken.id, taken.attempts) == (job.id, 2)


async def test_refresh_and_cancel_as_people(conn: Conn, world: World) -> None:
    source = await _article(conn, world)
    busy = await refused(conn, world.owner, "select public.refresh_knowledge_source($1)", source)
    assert (busy.sqlstate, busy.hint) == (RAISE_EXCEPTION, "knowledge_busy")
    # Cancelling a queued job drops it at once.
    async with acting(conn, world.owner):
        await conn.execute("select public.cancel_knowledge_source($1)", source)
    state = await _state(conn, source)
    assert (state["job"], state["source"]) == ("cancelled", "cancelled")
    idle = await refused(conn, world.owner, "select public.cancel_knowledge_source($1)", source)
    assert (idle.sqlstate, idle.hint) == (RAISE_EXCEPTION, "knowledge_idle")

    # The article is in ws2: agent_out is its agent (may not), the others cannot even see it.
    for label, sqlstate in (
        ("agent_out", INSUFFICIENT_PRIVILEGE), ("agent_in", NO_DATA_FOUND), ("outsider", NO_DATA_FOUND),
        ("stranger", NO_DATA_FOUND),
    ):
        refusal = await refused(conn, world.actor(label), "select public.refresh_knowledge_source($1)", source)
        assert refusal.sqlstate == sqlstate, label
    async with acting(conn, world.owner):
        job_id = await conn.fetchval("select public.refresh_knowledge_source($1)", source)
    assert (await _state(conn, source))["job"] == "queued"
    assert isinstance(job_id, uuid.UUID)


async def test_agents_cannot_refresh_or_cancel(conn: Conn, world: World) -> None:
    source = world.knowledge.article
    for sql in ("select public.refresh_knowledge_source($1)", "select public.cancel_knowledge_source($1)"):
        refusal = await refused(conn, world.agent_in, sql, source)
        assert refusal.sqlstate == INSUFFICIENT_PRIVILEGE
        assert "admin" in refusal.message


async def test_scheduled_refreshes_are_queued_once(conn: Conn, world: World) -> None:
    site = await conn.fetchval(
        """insert into public.knowledge_sources (workspace_id, business_id, kind, title, url, refresh_interval)
           values ($1, $2, 'website', 'Site', 'https://docs.example.com/', interval '1 day') returning id""",
        world.ws2, world.business,
    )
    # Crawled a day and a bit ago: due.
    await conn.execute("update public.knowledge_jobs set status = 'succeeded' where source_id = $1", site)
    await conn.execute(
        "update public.knowledge_sources set last_refreshed_at = now() - interval '25 hours' where id = $1", site
    )
    assert await conn.fetchval("select next_refresh_at < now() from public.knowledge_sources where id = $1", site)
    assert await jobs.enqueue_due_refreshes(conn, limit=1000) >= 1  # type: ignore[arg-type]
    assert await conn.fetchval(
        "select count(*) from public.knowledge_jobs where source_id = $1 and status = 'queued'", site
    ) == 1
    assert await conn.fetchval("select next_refresh_at > now() from public.knowledge_sources where id = $1", site)
    await jobs.enqueue_due_refreshes(conn, limit=1000)  # type: ignore[arg-type]
    assert await conn.fetchval("select count(*) from public.knowledge_jobs where source_id = $1", site) == 2


# ---------------------------------------------------------------- running a job


class _OneConnection:
    """Stands in for callcenter.db.Database: every `as_service()` is a savepoint
    of the test's transaction, so nothing is committed."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    @asynccontextmanager
    async def as_service(self) -> AsyncIterator[Conn]:
        async with self.conn.transaction():
            yield self.conn


class _FakeEmbedder:
    model_name = MINILM
    dimensions = 384

    async def embed(self, texts: list[str]) -> list[list[float]]:
        return [[float(len(t) % 7 + 1)] + [0.0] * 383 for t in texts]


async def _run(conn: Conn, job: jobs.Job, **overrides: Any) -> str:
    return await run_job(
        job, database=_OneConnection(conn), embedder=_FakeEmbedder(), settings=Settings(),  # type: ignore[arg-type]
        registry=handlers(overrides),
    )


async def test_an_article_job_indexes_and_replaces_its_chunks(conn: Conn, world: World) -> None:
    source = await _article(conn, world, "# Refunds\n\nRefunds take 30 days.\n\n## Card\n\nPaid back to your card.")
    assert await _run(conn, await _claim(conn, source)) == "ready"
    state = await _state(conn, source)
    assert (state["source"], state["chunk_count"]) == ("ready", 2)
    assert state["progress"] == {"document_pages": 1, "document_pages_extracted": 1}
    paths = [r["heading_path"] for r in await conn.fetch(
        "select heading_path from public.knowledge_chunks where source_id = $1 order by ordinal", source)]
    assert paths == [["Refunds"], ["Refunds", "Card"]]

    async with acting(conn, world.owner):
        await conn.execute(
            "update public.knowledge_sources set body_markdown = 'Only this now.' where id = $1", source
        )
    await conn.execute("update public.knowledge_jobs set run_after = '-infinity' where source_id = $1", source)
    assert await _run(conn, await _claim(conn, source)) == "ready"
    contents = [r["content"] for r in await conn.fetch(
        "select content from public.knowledge_chunks where source_id = $1", source)]
    assert contents == ["Only this now."]
    assert await conn.fetchval("select count(*) from public.knowledge_documents where source_id = $1", source) == 1


async def test_an_empty_article_fails_with_a_reason(conn: Conn, world: World) -> None:
    source = await _article(conn, world, "---\n\n<!-- nothing -->")
    assert await _run(conn, await _claim(conn, source)) == "failed"
    state = await _state(conn, source)
    assert state["source"] == "failed" and "no text" in state["status_detail"]


async def test_unplugged_job_kinds_fail_clearly(conn: Conn, world: World) -> None:
    site = await conn.fetchval(
        """insert into public.knowledge_sources (workspace_id, business_id, kind, title, url)
           values ($1, $2, 'website', 'Site', 'https://docs.example.com/') returning id""",
        world.ws2, world.business,
    )
    await conn.execute("update public.knowledge_jobs set run_after = '-infinity' where source_id = $1", site)
    job = await _claim(conn, site)
    assert await run_job(
        job, database=_OneConnection(conn), embedder=_FakeEmbedder(), settings=Settings(),  # type: ignore[arg-type]
        registry={},  # a worker without a crawl handler
    ) == "failed"
    state = await _state(conn, site)
    assert state["source"] == "failed"
    assert state["status_detail"].startswith("Jobs of kind crawl is not available on this server yet")


async def test_a_handler_is_cancelled_midway_and_keeps_what_it_indexed(conn: Conn, world: World) -> None:
    site = await conn.fetchval(
        """insert into public.knowledge_sources (workspace_id, business_id, kind, title, url)
           values ($1, $2, 'website', 'Site', 'https://docs.example.com/') returning id""",
        world.ws2, world.business,
    )
    await conn.execute("update public.knowledge_jobs set run_after = '-infinity' where source_id = $1", site)

    async def crawl(ctx: JobContext) -> str | None:
        for n in range(1, 10):
            await ctx.check_cancelled()
            page = ExtractedDocument(
                title=f"Page {n}", sections=(Section(f"Answer number {n}.", ("FAQ",)),),
                url=f"https://docs.example.com/{n}",
            )
            await ctx.index(page)
            await ctx.report(pages_found=9, pages_fetched=n, pages_indexed=n)
            if n == 3:  # the representative presses Cancel
                async with acting(conn, world.owner):
                    await conn.execute("select public.cancel_knowledge_source($1)", site)
        raise AssertionError("not cancelled")

    assert await _run(conn, await _claim(conn, site), crawl=crawl) == "cancelled"
    state = await _state(conn, site)
    assert (state["source"], state["job"], state["chunk_count"]) == ("cancelled", "cancelled", 3)
    assert state["status_detail"] == "Cancelled. 3 pages indexed before it stopped stay searchable."
    assert state["progress"]["pages_indexed"] == 3


async def test_a_crashing_handler_is_retried_and_explained_in_general_words(conn: Conn, world: World) -> None:
    source = await _article(conn, world)

    async def boom(ctx: JobContext) -> str | None:
        raise RuntimeError("internal detail nobody should read")

    assert await _run(conn, await _claim(conn, source), index_article=boom) == "retrying"
    state = await _state(conn, source)
    assert "internal detail" not in state["status_detail"]
    assert state["status_detail"].startswith("Something went wrong")

    async def refuses(ctx: JobContext) -> str | None:
        raise JobFailed("This page is not a help article.")

    await conn.execute("update public.knowledge_jobs set run_after = '-infinity' where source_id = $1", source)
    assert await _run(conn, await _claim(conn, source), index_article=refuses) == "failed"
    assert (await _state(conn, source))["status_detail"] == "This page is not a help article."


async def test_a_handler_may_stop_itself_by_raising_job_cancelled(conn: Conn, world: World) -> None:
    source = await _article(conn, world)

    async def stops(ctx: JobContext) -> str | None:
        raise JobCancelled()

    assert await _run(conn, await _claim(conn, source), index_article=stops) == "cancelled"
    assert (await _state(conn, source))["status_detail"] == "Cancelled."


async def test_a_source_deleted_while_its_job_runs_ends_quietly(conn: Conn, world: World) -> None:
    source = await _article(conn, world)

    async def deleted_midway(ctx: JobContext) -> str | None:
        await conn.execute("delete from public.knowledge_sources where id = $1", source)
        await ctx.index(ExtractedDocument(title="T", sections=(Section("Too late."),)))
        return None

    assert await _run(conn, await _claim(conn, source), index_article=deleted_midway) == "gone"
    assert await conn.fetchval("select count(*) from public.knowledge_jobs where source_id = $1", source) == 0


async def test_a_recrawl_skips_unchanged_pages_and_drops_removed_ones(conn: Conn, world: World) -> None:
    site = await conn.fetchval(
        """insert into public.knowledge_sources (workspace_id, business_id, kind, title, url)
           values ($1, $2, 'website', 'Site', 'https://docs.example.com/') returning id""",
        world.ws2, world.business,
    )

    def page(n: int, text: str) -> ExtractedDocument:
        return ExtractedDocument(
            title=f"Page {n}", sections=(Section(text, ("FAQ",)),), url=f"https://docs.example.com/{n}"
        )

    site_now = {1: "One.", 2: "Two.", 3: "Three."}
    indexed: list[int] = []

    async def crawl(ctx: JobContext) -> str | None:
        known = await ctx.indexed_hashes()
        for n, text in site_now.items():
            document = page(n, text)
            if known.get(document.url) != document.content_hash:
                await ctx.index(document)
                indexed.append(n)
        gone = [url for url in known if url is not None and url not in {page(n, "").url for n in site_now}]
        await ctx.remove(gone)
        return f"{len(site_now)} pages read."

    for run in range(2):
        if run:  # the site changed: page 2 is gone, page 3 was edited; a scheduled refresh comes
            site_now = {1: "One.", 3: "Three, changed."}
            await jobs.enqueue(conn, site)  # type: ignore[arg-type]
        await conn.execute("update public.knowledge_jobs set run_after = '-infinity' where source_id = $1", site)
        assert await _run(conn, await _claim(conn, site), crawl=crawl) == "ready"
    assert indexed == [1, 2, 3, 3]
    rows = await conn.fetch(
        """select d.url, c.content from public.knowledge_documents d
           join public.knowledge_chunks c on c.document_id = d.id where d.source_id = $1 order by d.url""",
        site,
    )
    assert [(r["url"], r["content"]) for r in rows] == [
        ("https://docs.example.com/1", "One."), ("https://docs.example.com/3", "Three, changed."),
    ]
    state = await _state(conn, site)
    assert (state["chunk_count"], state["status_detail"]) == (2, "2 pages read.")
