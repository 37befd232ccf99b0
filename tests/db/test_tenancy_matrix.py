"""Who can select / insert / update / delete which tenancy rows: the full matrix.

Every cell runs one statement against a row of business A (see dbkit.World) as
one actor, inside a savepoint that is rolled back. A cell is either "can"
(exactly one row read or changed) or "cannot" (no row, or a permission error).
For every "cannot" cell the very same statement is then run as `postgres` and
must affect exactly one row: the refusal comes from privileges and policies,
not from a statement that would have done nothing anyway.

19 tables x 4 operations x 8 actors = 608 cells.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg
import pytest

from .dbkit import INSUFFICIENT_PRIVILEGE, Actor, Conn, Pool, World, acting, rowcount, token_hash, vector_text

TABLES = (
    "profiles", "businesses", "business_members", "workspaces", "workspace_members", "invitations",
    "knowledge_sources", "knowledge_documents", "knowledge_chunks", "knowledge_jobs", "knowledge_embedding_models",
    "agent_settings", "calls", "call_transcript_segments", "call_turns",
    "agent_presence", "call_offers", "callback_tasks", "copilot_suggestions",
)
OPERATIONS = ("select", "insert", "update", "delete")
# Relationship of each actor to business A and its workspace `ws` (the target rows).
ACTORS = (
    "owner",      # business owner
    "admin",      # business admin (member of no workspace)
    "ws_admin",   # business agent, admin of the workspace
    "agent_in",   # business agent, agent of the workspace
    "agent_out",  # business agent, agent of another workspace of A
    "outsider",   # owner of another business
    "stranger",   # signed in, in no business
    "anon",       # not signed in
)

MEMBERS_OF_A = frozenset({"owner", "admin", "ws_admin", "agent_in", "agent_out"})
BUSINESS_MANAGERS = frozenset({"owner", "admin"})
SEES_WORKSPACE = frozenset({"owner", "admin", "ws_admin", "agent_in"})
MANAGES_WORKSPACE = frozenset({"owner", "admin", "ws_admin"})
SIGNED_IN = frozenset(ACTORS) - {"anon"}
NOBODY: frozenset[str] = frozenset()

Args = Callable[[World, str], tuple[object, ...]]


@dataclass(frozen=True)
class Cell:
    sql: str
    args: Args
    allowed: frozenset[str]


def _name() -> str:
    return f"New {secrets.token_hex(4)}"


def _email(w: World) -> str:
    return w.registry.email("new-invitee")


def _vector() -> str:
    return vector_text(secrets.randbelow(10_000))


MATRIX: dict[tuple[str, str], Cell] = {
    # A colleague's profile.
    ("profiles", "select"): Cell(
        "select count(*) from public.profiles where id = $1",
        lambda w, a: (w.colleague.uid,), MEMBERS_OF_A),
    ("profiles", "insert"): Cell(
        "insert into public.profiles (id, email) values ($1, $2)",
        lambda w, a: (w.ghost.uid, w.ghost.email), NOBODY),
    ("profiles", "update"): Cell(
        "update public.profiles set full_name = 'Changed' where id = $1",
        lambda w, a: (w.colleague.uid,), NOBODY),
    ("profiles", "delete"): Cell(
        "delete from public.profiles where id = $1",
        lambda w, a: (w.colleague.uid,), NOBODY),
    # Business A itself (new businesses come only from public.create_business).
    ("businesses", "select"): Cell(
        "select count(*) from public.businesses where id = $1",
        lambda w, a: (w.business,), MEMBERS_OF_A),
    ("businesses", "insert"): Cell(
        "insert into public.businesses (name, email_domain, created_by) values ($1, 'example.test', $2)",
        lambda w, a: (_name(), w.uid_of(a)), NOBODY),
    ("businesses", "update"): Cell(
        "update public.businesses set name = $2 where id = $1",
        lambda w, a: (w.business, _name()), BUSINESS_MANAGERS),
    ("businesses", "delete"): Cell(
        "delete from public.businesses where id = $1",
        lambda w, a: (w.business,), frozenset({"owner"})),
    # The colleague's business membership; inserts try to add the stranger
    # (people join only through invitations).
    ("business_members", "select"): Cell(
        "select count(*) from public.business_members where business_id = $1 and user_id = $2",
        lambda w, a: (w.business, w.colleague.uid), MEMBERS_OF_A),
    ("business_members", "insert"): Cell(
        "insert into public.business_members (business_id, user_id, role) values ($1, $2, 'agent')",
        lambda w, a: (w.business, w.stranger.uid), NOBODY),
    ("business_members", "update"): Cell(
        "update public.business_members set role = 'admin' where business_id = $1 and user_id = $2",
        lambda w, a: (w.business, w.colleague.uid), BUSINESS_MANAGERS),
    ("business_members", "delete"): Cell(
        "delete from public.business_members where business_id = $1 and user_id = $2",
        lambda w, a: (w.business, w.colleague.uid), BUSINESS_MANAGERS),
    # Workspace `ws`; inserts create another workspace in business A.
    ("workspaces", "select"): Cell(
        "select count(*) from public.workspaces where id = $1",
        lambda w, a: (w.ws,), SEES_WORKSPACE),
    ("workspaces", "insert"): Cell(
        "insert into public.workspaces (business_id, name, created_by) values ($1, $2, $3)",
        lambda w, a: (w.business, _name(), w.uid_of(a)), BUSINESS_MANAGERS),
    ("workspaces", "update"): Cell(
        "update public.workspaces set name = $2 where id = $1",
        lambda w, a: (w.ws, _name()), MANAGES_WORKSPACE),
    ("workspaces", "delete"): Cell(
        "delete from public.workspaces where id = $1",
        lambda w, a: (w.ws,), BUSINESS_MANAGERS),
    # The colleague's membership of `ws`; inserts add agent_out (a business
    # member) to `ws`, which for agent_out is trying to join on their own.
    ("workspace_members", "select"): Cell(
        "select count(*) from public.workspace_members where workspace_id = $1 and user_id = $2",
        lambda w, a: (w.ws, w.colleague.uid), SEES_WORKSPACE),
    ("workspace_members", "insert"): Cell(
        """insert into public.workspace_members (workspace_id, business_id, user_id, role)
           values ($1, $2, $3, 'agent')""",
        lambda w, a: (w.ws, w.business, w.agent_out.uid), MANAGES_WORKSPACE),
    ("workspace_members", "update"): Cell(
        "update public.workspace_members set role = 'admin' where workspace_id = $1 and user_id = $2",
        lambda w, a: (w.ws, w.colleague.uid), MANAGES_WORKSPACE),
    ("workspace_members", "delete"): Cell(
        "delete from public.workspace_members where workspace_id = $1 and user_id = $2",
        lambda w, a: (w.ws, w.colleague.uid), MANAGES_WORKSPACE),
    # A pending invitation to `ws`; inserts invite a new address to `ws`.
    ("invitations", "select"): Cell(
        "select count(*) from public.invitations where id = $1",
        lambda w, a: (w.invitation,), MANAGES_WORKSPACE),
    ("invitations", "insert"): Cell(
        """insert into public.invitations
             (business_id, workspace_id, email, role, token_hash, invited_by, expires_at)
           values ($1, $2, $3, 'agent', $4, $5, now() + interval '3 days')""",
        lambda w, a: (w.business, w.ws, _email(w), token_hash(_name()), w.uid_of(a)),
        MANAGES_WORKSPACE),
    ("invitations", "update"): Cell(
        "update public.invitations set revoked_at = now() where id = $1",
        lambda w, a: (w.invitation,), MANAGES_WORKSPACE),
    ("invitations", "delete"): Cell(
        "delete from public.invitations where id = $1",
        lambda w, a: (w.invitation,), NOBODY),
    # The article of `ws`; inserts write another article in `ws`. (Status,
    # progress and counts are the worker's: no client may write them at all,
    # see test_knowledge_grants.)
    ("knowledge_sources", "select"): Cell(
        "select count(*) from public.knowledge_sources where id = $1",
        lambda w, a: (w.knowledge.article,), SEES_WORKSPACE),
    ("knowledge_sources", "insert"): Cell(
        """insert into public.knowledge_sources (workspace_id, business_id, kind, title, body_markdown, created_by)
           values ($1, $2, 'article', $3, 'Body', $4)""",
        lambda w, a: (w.ws, w.business, _name(), w.uid_of(a)), MANAGES_WORKSPACE),
    ("knowledge_sources", "update"): Cell(
        "update public.knowledge_sources set title = $2 where id = $1",
        lambda w, a: (w.knowledge.article, _name()), MANAGES_WORKSPACE),
    ("knowledge_sources", "delete"): Cell(
        "delete from public.knowledge_sources where id = $1",
        lambda w, a: (w.knowledge.article,), MANAGES_WORKSPACE),
    # A crawled page of the website of `ws`: only the ingestion worker writes.
    ("knowledge_documents", "select"): Cell(
        "select count(*) from public.knowledge_documents where id = $1",
        lambda w, a: (w.knowledge.document,), SEES_WORKSPACE),
    ("knowledge_documents", "insert"): Cell(
        """insert into public.knowledge_documents (workspace_id, source_id, url, title, content_hash)
           values ($1, $2, $3, 'Injected', 'hash')""",
        lambda w, a: (w.ws, w.knowledge.website, f"https://help.example.com/{secrets.token_hex(4)}"), NOBODY),
    ("knowledge_documents", "update"): Cell(
        "update public.knowledge_documents set title = 'Changed' where id = $1",
        lambda w, a: (w.knowledge.document,), NOBODY),
    ("knowledge_documents", "delete"): Cell(
        "delete from public.knowledge_documents where id = $1",
        lambda w, a: (w.knowledge.document,), NOBODY),
    # A chunk of that page: what the AI answers from, so nobody but the worker writes it.
    ("knowledge_chunks", "select"): Cell(
        "select count(*) from public.knowledge_chunks where id = $1",
        lambda w, a: (w.knowledge.chunk,), SEES_WORKSPACE),
    ("knowledge_chunks", "insert"): Cell(
        """insert into public.knowledge_chunks
             (workspace_id, source_id, document_id, ordinal, content, embedding_model, embedding)
           values ($1, $2, $3, $4, 'Refunds are never given.', 'minilm-l6-v2-int8', $5::text::extensions.vector)""",
        lambda w, a: (w.ws, w.knowledge.website, w.knowledge.document, 1 + secrets.randbelow(10**6), _vector()),
        NOBODY),
    ("knowledge_chunks", "update"): Cell(
        "update public.knowledge_chunks set content = 'Refunds are never given.' where id = $1",
        lambda w, a: (w.knowledge.chunk,), NOBODY),
    ("knowledge_chunks", "delete"): Cell(
        "delete from public.knowledge_chunks where id = $1",
        lambda w, a: (w.knowledge.chunk,), NOBODY),
    # The website's finished crawl job: jobs are queued by saving a source or
    # through refresh_knowledge_source, never written directly.
    ("knowledge_jobs", "select"): Cell(
        "select count(*) from public.knowledge_jobs where id = $1",
        lambda w, a: (w.knowledge.job,), SEES_WORKSPACE),
    ("knowledge_jobs", "insert"): Cell(
        """insert into public.knowledge_jobs (workspace_id, source_id, kind, status)
           values ($1, $2, 'crawl', 'succeeded')""",
        lambda w, a: (w.ws, w.knowledge.website), NOBODY),
    ("knowledge_jobs", "update"): Cell(
        "update public.knowledge_jobs set status = 'queued', run_after = 'infinity' where id = $1",
        lambda w, a: (w.knowledge.job,), NOBODY),
    ("knowledge_jobs", "delete"): Cell(
        "delete from public.knowledge_jobs where id = $1",
        lambda w, a: (w.knowledge.job,), NOBODY),
    # Reference data (name -> dimensions) every signed-in user's search reads.
    ("knowledge_embedding_models", "select"): Cell(
        "select count(*) from public.knowledge_embedding_models where name = $1",
        lambda w, a: (w.knowledge.model,), SIGNED_IN),
    ("knowledge_embedding_models", "insert"): Cell(
        "insert into public.knowledge_embedding_models (name, dimensions) values ($1, 8)",
        lambda w, a: (f"injected-{secrets.token_hex(4)}",), NOBODY),
    ("knowledge_embedding_models", "update"): Cell(
        "update public.knowledge_embedding_models set dimensions = 4 where name = $1",
        lambda w, a: (w.knowledge.model,), NOBODY),
    ("knowledge_embedding_models", "delete"): Cell(
        "delete from public.knowledge_embedding_models where name = $1",
        lambda w, a: (w.knowledge.model,), NOBODY),
    # The agent settings of `ws`: created with the workspace (no client inserts
    # or deletes them), edited by its managers (which columns: test_calls_tables).
    ("agent_settings", "select"): Cell(
        "select count(*) from public.agent_settings where workspace_id = $1",
        lambda w, a: (w.ws,), SEES_WORKSPACE),
    ("agent_settings", "insert"): Cell(
        """insert into public.agent_settings (workspace_id, business_id, greeting) values ($1, $2, 'Injected')
           on conflict (workspace_id) do update set greeting = excluded.greeting""",
        lambda w, a: (w.ws, w.business), NOBODY),
    ("agent_settings", "update"): Cell(
        "update public.agent_settings set greeting = $2, updated_by = $3 where workspace_id = $1",
        lambda w, a: (w.ws, f"Hello from {_name()}", w.uid_of(a)), MANAGES_WORKSPACE),
    ("agent_settings", "delete"): Cell(
        "delete from public.agent_settings where workspace_id = $1",
        lambda w, a: (w.ws,), NOBODY),
    # A call of `ws` and what was said and looked up in it: only the service
    # (the agent worker) writes them; members of the workspace read them.
    ("calls", "select"): Cell(
        "select count(*) from public.calls where id = $1",
        lambda w, a: (w.calls.call,), SEES_WORKSPACE),
    ("calls", "insert"): Cell(
        """insert into public.calls (workspace_id, business_id, room_name, channel, status)
           values ($1, $2, $3, 'browser', 'active')""",
        lambda w, a: (w.ws, w.business, f"call-{secrets.token_hex(8)}"), NOBODY),
    ("calls", "update"): Cell(
        "update public.calls set summary = 'Changed', handoff_reason = 'requested_person' where id = $1",
        lambda w, a: (w.calls.call,), NOBODY),
    ("calls", "delete"): Cell(
        "delete from public.calls where id = $1",
        lambda w, a: (w.calls.call,), NOBODY),
    ("call_transcript_segments", "select"): Cell(
        "select count(*) from public.call_transcript_segments where id = $1",
        lambda w, a: (w.calls.segment,), SEES_WORKSPACE),
    ("call_transcript_segments", "insert"): Cell(
        """insert into public.call_transcript_segments (id, call_id, workspace_id, speaker, text, started_at, ended_at)
           values (gen_random_uuid(), $1, $2, 'ai', 'Refunds are never given.', now(), now())""",
        lambda w, a: (w.calls.call, w.ws), NOBODY),
    ("call_transcript_segments", "update"): Cell(
        "update public.call_transcript_segments set text = 'Changed' where id = $1",
        lambda w, a: (w.calls.segment,), NOBODY),
    ("call_transcript_segments", "delete"): Cell(
        "delete from public.call_transcript_segments where id = $1",
        lambda w, a: (w.calls.segment,), NOBODY),
    ("call_turns", "select"): Cell(
        "select count(*) from public.call_turns where id = $1",
        lambda w, a: (w.calls.turn,), SEES_WORKSPACE),
    ("call_turns", "insert"): Cell(
        """insert into public.call_turns (id, call_id, workspace_id, turn_index, user_text)
           values (gen_random_uuid(), $1, $2, $3, 'Injected')""",
        lambda w, a: (w.calls.call, w.ws, 1 + secrets.randbelow(10**6)), NOBODY),
    ("call_turns", "update"): Cell(
        "update public.call_turns set answered = false, reply_text = 'Changed' where id = $1",
        lambda w, a: (w.calls.turn,), NOBODY),
    ("call_turns", "delete"): Cell(
        "delete from public.call_turns where id = $1",
        lambda w, a: (w.calls.turn,), NOBODY),
    # The colleague's presence in `ws`: members see the team board; presence
    # changes only through set_presence / presence_heartbeat (test_handoff_routing).
    ("agent_presence", "select"): Cell(
        "select count(*) from public.agent_presence where workspace_id = $1 and user_id = $2",
        lambda w, a: (w.ws, w.colleague.uid), SEES_WORKSPACE),
    ("agent_presence", "insert"): Cell(
        """insert into public.agent_presence (workspace_id, business_id, user_id, status)
           values ($1, $2, $3, 'offline')""",
        lambda w, a: (w.ws, w.business, w.agent_out.uid), NOBODY),
    ("agent_presence", "update"): Cell(
        """update public.agent_presence set status = 'available', available_since = now()
           where workspace_id = $1 and user_id = $2""",
        lambda w, a: (w.ws, w.colleague.uid), NOBODY),
    ("agent_presence", "delete"): Cell(
        "delete from public.agent_presence where workspace_id = $1 and user_id = $2",
        lambda w, a: (w.ws, w.colleague.uid), NOBODY),
    # An offer of the call to the colleague: they and the managers read it;
    # offers are made, accepted and declined only through the routing functions.
    ("call_offers", "select"): Cell(
        "select count(*) from public.call_offers where call_id = $1 and user_id = $2",
        lambda w, a: (w.calls.call, w.colleague.uid), MANAGES_WORKSPACE),
    ("call_offers", "insert"): Cell(
        """insert into public.call_offers (call_id, workspace_id, user_id, status, expires_at)
           values ($1, $2, $3, 'ringing', now() + interval '20 seconds')""",
        lambda w, a: (w.calls.call, w.ws, w.uid_of(a)), NOBODY),
    ("call_offers", "update"): Cell(
        "update public.call_offers set status = 'accepted' where call_id = $1 and user_id = $2",
        lambda w, a: (w.calls.call, w.colleague.uid), NOBODY),
    ("call_offers", "delete"): Cell(
        "delete from public.call_offers where call_id = $1 and user_id = $2",
        lambda w, a: (w.calls.call, w.colleague.uid), NOBODY),
    # The call's open callback task: members read it, complete_callback_task closes it.
    ("callback_tasks", "select"): Cell(
        "select count(*) from public.callback_tasks where call_id = $1",
        lambda w, a: (w.calls.call,), SEES_WORKSPACE),
    ("callback_tasks", "insert"): Cell(
        """insert into public.callback_tasks (workspace_id, business_id, call_id, note, status)
           values ($1, $2, $3, 'Injected', 'done')""",
        lambda w, a: (w.ws, w.business, w.calls.call), NOBODY),
    ("callback_tasks", "update"): Cell(
        "update public.callback_tasks set status = 'done' where call_id = $1",
        lambda w, a: (w.calls.call,), NOBODY),
    ("callback_tasks", "delete"): Cell(
        "delete from public.callback_tasks where call_id = $1",
        lambda w, a: (w.calls.call,), NOBODY),
    # A copilot suggestion for the colleague: theirs and the managers' to read, the worker's to write.
    ("copilot_suggestions", "select"): Cell(
        "select count(*) from public.copilot_suggestions where call_id = $1 and for_user_id = $2",
        lambda w, a: (w.calls.call, w.colleague.uid), MANAGES_WORKSPACE),
    ("copilot_suggestions", "insert"): Cell(
        """insert into public.copilot_suggestions (call_id, workspace_id, for_user_id, say)
           values ($1, $2, $3, 'Tell them refunds are never given.')""",
        lambda w, a: (w.calls.call, w.ws, w.uid_of(a)), NOBODY),
    ("copilot_suggestions", "update"): Cell(
        "update public.copilot_suggestions set say = 'Changed' where call_id = $1 and for_user_id = $2",
        lambda w, a: (w.calls.call, w.colleague.uid), NOBODY),
    ("copilot_suggestions", "delete"): Cell(
        "delete from public.copilot_suggestions where call_id = $1 and for_user_id = $2",
        lambda w, a: (w.calls.call, w.colleague.uid), NOBODY),
}

CASES = [
    pytest.param(
        table, op, actor, actor in MATRIX[(table, op)].allowed,
        id=f"{table}-{op}-{actor}-{'can' if actor in MATRIX[(table, op)].allowed else 'cannot'}",
    )
    for table in TABLES
    for op in OPERATIONS
    for actor in ACTORS
]


class _Undo(Exception):
    """Raised to roll back the savepoint after counting what a statement did."""

    def __init__(self, rows: int) -> None:
        super().__init__(rows)
        self.rows = rows


async def _rows_affected(conn: Conn, actor: Actor | None, op: str, sql: str, args: tuple[object, ...]) -> int:
    """Rows the statement reads (select) or changes, as `actor` (None: as postgres).
    A permission or policy error counts as 0. The savepoint is always rolled back."""
    try:
        async with conn.transaction():
            if actor is not None:
                async with acting(conn, actor):
                    rows = await _run(conn, op, sql, args)
            else:
                rows = await _run(conn, op, sql, args)
            raise _Undo(rows)
    except _Undo as undo:
        return undo.rows
    except asyncpg.PostgresError as error:
        if actor is None or getattr(error, "sqlstate", None) != INSUFFICIENT_PRIVILEGE:
            raise
        return 0


async def _run(conn: Conn, op: str, sql: str, args: tuple[object, ...]) -> int:
    if op == "select":
        count = await conn.fetchval(sql, *args)
        assert isinstance(count, int)
        return count
    return rowcount(await conn.execute(sql, *args))


def test_matrix_is_complete() -> None:
    assert set(MATRIX) == {(t, o) for t in TABLES for o in OPERATIONS}
    assert len(CASES) == len(TABLES) * len(OPERATIONS) * len(ACTORS) == 608
    # Every table has at least one "can" cell, so no row of the matrix is vacuous.
    for table in TABLES:
        assert any(MATRIX[(table, op)].allowed for op in OPERATIONS), table


async def test_matrix_covers_every_public_table(conn: Conn) -> None:
    """A new table in `public` must be added to this matrix."""
    tables = await conn.fetch(
        """select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
           where n.nspname = 'public' and c.relkind in ('r', 'p')"""
    )
    missing = {r["relname"] for r in tables} - set(TABLES)
    assert not missing, f"add {sorted(missing)} to the matrix in {__name__} (tables and cells)"
    assert set(TABLES) <= {r["relname"] for r in tables}


@pytest.fixture(scope="module")
async def handoff_rows(pool: Pool, world: World) -> None:
    """The handoff rows the cells above target, on the world's finished call (committed;
    they go with the world's business)."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            """insert into public.agent_presence (workspace_id, business_id, user_id, status, available_since)
               values ($1, $2, $3, 'available', now())""",
            world.ws, world.business, world.colleague.uid,
        )
        await conn.execute(
            """insert into public.call_offers (call_id, workspace_id, user_id, status, expires_at, responded_at)
               values ($1, $2, $3, 'withdrawn', now() + interval '20 seconds', now())""",
            world.calls.call, world.ws, world.colleague.uid,
        )
        await conn.execute(
            """insert into public.callback_tasks (workspace_id, business_id, call_id, caller_number, note)
               values ($1, $2, $3, '+15550001111', 'Call back about the refund')""",
            world.ws, world.business, world.calls.call,
        )
        await conn.execute(
            """insert into public.copilot_suggestions (call_id, workspace_id, for_user_id, question, say, steps)
               values ($1, $2, $3, 'How long do refunds take?', 'Refunds take 30 days.', '["Check the order"]')""",
            world.calls.call, world.ws, world.colleague.uid,
        )


@pytest.mark.parametrize(("table", "op", "actor", "allowed"), CASES)
@pytest.mark.usefixtures("handoff_rows")
async def test_cell(conn: Conn, world: World, table: str, op: str, actor: str, allowed: bool) -> None:
    cell = MATRIX[(table, op)]
    args = cell.args(world, actor)
    rows = await _rows_affected(conn, world.actor(actor), op, cell.sql, args)
    if allowed:
        assert rows == 1, f"{actor} should be able to {op} this {table} row"
    else:
        assert rows == 0, f"{actor} must not be able to {op} this {table} row"
        # Not vacuous: the same statement does affect a row when policies do not apply.
        assert await _rows_affected(conn, None, op, cell.sql, args) == 1
