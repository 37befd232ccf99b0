"""Shared helpers for the database tenancy tests.

Everything here talks to Postgres directly with asyncpg. "Acting as" a user
means what PostgREST and callcenter.db do: inside a transaction, set the
`authenticated` (or `anon`) role and the JWT claims, so row level security
decides. Helpers that must not disturb the caller's transaction run in a
savepoint and switch back to `postgres` afterwards.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeAlias

import asyncpg
import asyncpg.pool

DATABASE_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql://postgres:postgres@127.0.0.1:54322/postgres"
)

# Every email the suite creates ends with this, so a sweep can find leftovers.
EMAIL_DOMAIN_SUFFIX = ".tenancy-tests.invalid"

# A plain connection or one borrowed from the pool: the tests use both alike.
Conn: TypeAlias = (
    "asyncpg.Connection[asyncpg.Record] | asyncpg.pool.PoolConnectionProxy[asyncpg.Record]"
)
Pool: TypeAlias = "asyncpg.Pool[asyncpg.Record]"


@asynccontextmanager
async def open_pool() -> AsyncIterator[Pool]:
    """A small pool on the test database. The suites exist to prove behaviour against a real
    database: no database is a failure, not a skip."""
    import pytest

    try:
        created = await asyncpg.create_pool(DATABASE_URL, min_size=1, max_size=4, command_timeout=30)
    except (OSError, asyncpg.PostgresError) as error:
        pytest.fail(f"Postgres is not reachable at {DATABASE_URL}: {error}", pytrace=False)
    try:
        yield created
    finally:
        await created.close()

# SQLSTATEs the tests check.
INSUFFICIENT_PRIVILEGE = "42501"
RAISE_EXCEPTION = "P0001"
NO_DATA_FOUND = "P0002"
CHECK_VIOLATION = "23514"
NOT_NULL_VIOLATION = "23502"
UNIQUE_VIOLATION = "23505"


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Actor:
    """Who runs a statement: a signed-in user (`authenticated`) or `anon`."""

    label: str
    id: uuid.UUID | None
    email: str | None
    role: str = "authenticated"

    @property
    def claims(self) -> dict[str, Any]:
        if self.role == "anon":
            return {"role": "anon"}
        claims: dict[str, Any] = {
            "sub": str(self.id),
            "role": "authenticated",
            "aud": "authenticated",
        }
        if self.email is not None:
            claims["email"] = self.email
        return claims

    @property
    def uid(self) -> uuid.UUID:
        assert self.id is not None, f"{self.label} is not signed in"
        return self.id

    def with_claims_email(self, email: str | None) -> Actor:
        return Actor(self.label, self.id, email, self.role)


ANON = Actor("anon", None, None, role="anon")


async def act_as(conn: Conn, actor: Actor, claims: dict[str, Any] | None = None) -> None:
    """Switch the current transaction to `actor` (until `act_as_postgres` or its end)."""
    await conn.execute(
        "select set_config('role', $1, true), set_config('request.jwt.claims', $2, true)",
        actor.role,
        json.dumps(actor.claims if claims is None else claims),
    )


async def act_as_postgres(conn: Conn) -> None:
    """Back to the connecting user (role `none` = the session user, `postgres` here)."""
    await conn.execute(
        "select set_config('role', 'none', true), set_config('request.jwt.claims', '', true)"
    )


@asynccontextmanager
async def acting(
    conn: Conn, actor: Actor, claims: dict[str, Any] | None = None
) -> AsyncIterator[Conn]:
    """Run the block as `actor` in a savepoint: an error rolls back only the block,
    and afterwards the connection is `postgres` again either way."""
    async with conn.transaction():
        await act_as(conn, actor, claims)
        yield conn
        await act_as_postgres(conn)


@dataclass
class Refusal:
    sqlstate: str
    message: str
    hint: str | None
    constraint: str | None


async def refused(
    conn: Conn, actor: Actor | None, sql: str, *args: object, claims: dict[str, Any] | None = None
) -> Refusal:
    """Run `sql` as `actor` (None: as postgres), expecting an error; returns it.
    Only the savepoint is rolled back, so the test's transaction goes on."""
    try:
        if actor is None:
            async with conn.transaction():
                result = await conn.execute(sql, *args)
        else:
            async with acting(conn, actor, claims):
                result = await conn.execute(sql, *args)
    except asyncpg.PostgresError as error:
        return Refusal(
            sqlstate=str(getattr(error, "sqlstate", "")),
            message=str(getattr(error, "message", str(error))),
            hint=getattr(error, "hint", None),
            constraint=getattr(error, "constraint_name", None),
        )
    who = actor.label if actor else "postgres"
    raise AssertionError(f"{who}: expected an error, got {result!r} for {sql}")


async def fetch_as(
    conn: Conn, actor: Actor, sql: str, *args: object, claims: dict[str, Any] | None = None
) -> list[asyncpg.Record]:
    async with acting(conn, actor, claims):
        return await conn.fetch(sql, *args)


async def execute_as(conn: Conn, actor: Actor, sql: str, *args: object) -> int:
    """Run a write as `actor`; its effects stay in the caller's transaction. Returns rows affected."""
    async with acting(conn, actor):
        return rowcount(await conn.execute(sql, *args))


async def memberships(conn: Conn, business_id: uuid.UUID) -> tuple[set[tuple[Any, ...]], ...]:
    """Business and workspace memberships of a business (and its invitations), read as `postgres`."""
    business = await conn.fetch(
        "select user_id, role::text from public.business_members where business_id = $1", business_id
    )
    workspace = await conn.fetch(
        """select workspace_id, user_id, role::text from public.workspace_members
           where business_id = $1""",
        business_id,
    )
    invitations = await conn.fetch(
        """select id, email, role::text, accepted_at, accepted_by, revoked_at
           from public.invitations where business_id = $1""",
        business_id,
    )
    return (
        {tuple(r) for r in business}, {tuple(r) for r in workspace}, {tuple(r) for r in invitations}
    )


def rowcount(status: str) -> int:
    """Rows affected, from a command tag such as 'UPDATE 1' or 'INSERT 0 1'."""
    return int(status.rsplit(" ", 1)[-1])


# ---------------------------------------------------------------- creating things


@dataclass
class Registry:
    """What a module created (committed), so it can be removed afterwards."""

    domain: str
    user_ids: list[uuid.UUID] = field(default_factory=list)
    business_ids: list[uuid.UUID] = field(default_factory=list)
    embedding_models: list[str] = field(default_factory=list)

    def email(self, label: str) -> str:
        return f"{label}-{secrets.token_hex(3)}@{self.domain}"

    def name(self, label: str) -> str:
        return f"{label} {secrets.token_hex(3)}"


def new_registry(module: str) -> Registry:
    tag = f"{module.replace('_', '-')}-{secrets.token_hex(4)}"
    return Registry(domain=f"{tag}{EMAIL_DOMAIN_SUFFIX}")


async def create_user(
    conn: Conn, registry: Registry | None, label: str, email: str | None = None,
    full_name: str | None = None,
) -> Actor:
    """Insert an auth user as `postgres` (the profile trigger fires)."""
    user_id = uuid.uuid4()
    if email is None:
        assert registry is not None
        email = registry.email(label)
    await conn.execute(
        """insert into auth.users (instance_id, id, aud, role, email, raw_app_meta_data,
                                   raw_user_meta_data, email_confirmed_at, created_at, updated_at)
           values ('00000000-0000-0000-0000-000000000000', $1, 'authenticated', 'authenticated',
                   $2, '{"provider": "email", "providers": ["email"]}'::jsonb, $3::jsonb,
                   now(), now(), now())""",
        user_id,
        email,
        json.dumps({"full_name": full_name or label}),
    )
    if registry is not None:
        registry.user_ids.append(user_id)
    return Actor(label, user_id, email)


async def create_business(
    conn: Conn, registry: Registry | None, owner: Actor, name: str, first_workspace: str
) -> tuple[uuid.UUID, uuid.UUID]:
    """Create a business the way the app does (public.create_business, as the owner).
    Returns (business_id, first_workspace_id)."""
    async with acting(conn, owner):
        business_id = await conn.fetchval("select public.create_business($1, $2)", name, first_workspace)
    workspace_id = await conn.fetchval(
        "select id from public.workspaces where business_id = $1", business_id
    )
    assert isinstance(business_id, uuid.UUID) and isinstance(workspace_id, uuid.UUID)
    if registry is not None:
        registry.business_ids.append(business_id)
    return business_id, workspace_id


async def add_workspace(conn: Conn, business_id: uuid.UUID, name: str) -> uuid.UUID:
    workspace_id = await conn.fetchval(
        "insert into public.workspaces (business_id, name) values ($1, $2) returning id",
        business_id, name,
    )
    assert isinstance(workspace_id, uuid.UUID)
    return workspace_id


async def add_business_member(
    conn: Conn, business_id: uuid.UUID, user: Actor, role: str
) -> None:
    await conn.execute(
        "insert into public.business_members (business_id, user_id, role) values ($1, $2, $3)",
        business_id, user.uid, role,
    )


async def add_workspace_member(
    conn: Conn, business_id: uuid.UUID, workspace_id: uuid.UUID, user: Actor, role: str
) -> None:
    await conn.execute(
        """insert into public.workspace_members (workspace_id, business_id, user_id, role)
           values ($1, $2, $3, $4)""",
        workspace_id, business_id, user.uid, role,
    )


async def add_invitation(
    conn: Conn,
    business_id: uuid.UUID,
    workspace_id: uuid.UUID,
    email: str,
    invited_by: Actor | None = None,
    role: str = "agent",
    expires_in: timedelta = timedelta(days=3),
) -> tuple[uuid.UUID, str]:
    """Insert an invitation as `postgres`. Returns (invitation_id, token)."""
    token = new_token()
    invitation_id = await conn.fetchval(
        """insert into public.invitations
             (business_id, workspace_id, email, role, token_hash, invited_by, expires_at)
           values ($1, $2, $3, $4, $5, $6, now() + $7::interval) returning id""",
        business_id, workspace_id, email, role, token_hash(token),
        invited_by.uid if invited_by else None, expires_in,
    )
    assert isinstance(invitation_id, uuid.UUID)
    return invitation_id, token


async def cleanup(pool: Pool, registry: Registry, older_than: timedelta = timedelta(0)) -> None:
    """Delete what the registry (or anything under its email domain) created."""
    async with pool.acquire() as conn, conn.transaction():
        users = await conn.fetch(
            """select id from auth.users
               where (id = any($1::uuid[]) or email like '%@' || $2)
                 and created_at <= now() - $3::interval""",
            registry.user_ids, registry.domain, older_than,
        )
        user_ids = [r["id"] for r in users]
        # Deleting a business takes its members, workspaces and invitations with it
        # (and is the one way the last owner may go).
        await conn.execute(
            "delete from public.businesses where id = any($1::uuid[]) or created_by = any($2::uuid[])",
            registry.business_ids, user_ids,
        )
        await conn.execute("delete from auth.users where id = any($1::uuid[])", user_ids)
        # Test-only embedding models, once no chunk uses them (the businesses' chunks went above).
        await conn.execute(
            """delete from public.knowledge_embedding_models m
               where (m.name = any($1::text[])
                      or ($2::interval > interval '0' and m.name ~ '^test-model-[0-9]+-'
                          and to_timestamp(split_part(m.name, '-', 3)::bigint) <= now() - $2::interval))
                 and not exists (select 1 from public.knowledge_chunks c where c.embedding_model = m.name)""",
            registry.embedding_models, older_than,
        )


async def sweep_leftovers(pool: Pool) -> None:
    """Remove what an interrupted earlier run left behind (all test emails share a suffix).
    Only old rows: another run may be using the same database right now."""
    await cleanup(pool, Registry(domain=f"%{EMAIL_DOMAIN_SUFFIX}"), older_than=timedelta(hours=1))


# ---------------------------------------------------------------- the shared world


@dataclass
class World:
    """Two businesses and one person for every relationship the tests care about.

    Business A ("business") has workspaces `ws` and `ws2`:
      owner      business owner (created A with `ws`, so also admin of `ws`)
      admin      business admin, in no workspace (sees them all through the business role)
      ws_admin   business agent who is admin of `ws`
      agent_in   business agent, agent of `ws`
      agent_out  business agent, agent of `ws2` only
      colleague  business agent, agent of `ws`: the row other people try to touch
    Business B ("other_business", workspace `other_ws`):
      outsider   owner of B
    stranger     signed in, in no business
    ghost        an auth user without a profile row (target for profile inserts)
    Knowledge of `ws` (see `Knowledge`): a website and an article, a crawled
    page with one chunk, a finished job, and a test-only embedding model.
    A finished call of `ws` (see `CallRows`) with one transcript segment and one turn.
    """

    registry: Registry
    owner: Actor
    admin: Actor
    ws_admin: Actor
    agent_in: Actor
    agent_out: Actor
    colleague: Actor
    outsider: Actor
    stranger: Actor
    ghost: Actor
    business: uuid.UUID
    ws: uuid.UUID
    ws2: uuid.UUID
    other_business: uuid.UUID
    other_ws: uuid.UUID
    invitation: uuid.UUID
    invitation_token: str
    ws2_invitation: uuid.UUID
    other_invitation: uuid.UUID
    knowledge: Knowledge
    calls: CallRows

    def actor(self, label: str) -> Actor:
        if label == "anon":
            return ANON
        found = getattr(self, label)
        assert isinstance(found, Actor)
        return found

    def uid_of(self, label: str) -> uuid.UUID:
        """The id a statement written "as" this actor uses (anon borrows the stranger's)."""
        return self.stranger.uid if label == "anon" else self.actor(label).uid


@dataclass(frozen=True)
class Knowledge:
    """Knowledge rows of workspace `ws`. Nothing in it is left for an ingestion
    worker to do (its jobs are finished), so a running worker never changes it."""

    website: uuid.UUID
    article: uuid.UUID
    document: uuid.UUID
    chunk: uuid.UUID
    job: uuid.UUID
    model: str


MINILM = "minilm-l6-v2-int8"


def vector_text(seed: int, dimensions: int = 384) -> str:
    """A deterministic unit-ish vector in pgvector's text form."""
    values = [((seed * 7919 + i * 104729) % 1000) / 1000 - 0.5 for i in range(dimensions)]
    return "[" + ",".join(f"{v:.4f}" for v in values) + "]"


async def add_knowledge(
    conn: Conn, registry: Registry, business_id: uuid.UUID, workspace_id: uuid.UUID, created_by: Actor
) -> Knowledge:
    """As `postgres`: a website with one indexed page and an article, their jobs marked finished."""
    website = await conn.fetchval(
        """insert into public.knowledge_sources (workspace_id, business_id, kind, title, url, created_by, status)
           values ($1, $2, 'website', 'Help center', $3, $4, 'ready') returning id""",
        workspace_id, business_id, f"https://help.{registry.domain}/", created_by.uid,
    )
    article = await conn.fetchval(
        """insert into public.knowledge_sources (workspace_id, business_id, kind, title, body_markdown, created_by)
           values ($1, $2, 'article', 'Refunds', 'Refunds take 30 days.', $3) returning id""",
        workspace_id, business_id, created_by.uid,
    )
    await conn.execute(
        """update public.knowledge_jobs set status = 'succeeded', finished_at = now()
           where source_id = any($1::uuid[])""",
        [website, article],
    )
    job = await conn.fetchval("select id from public.knowledge_jobs where source_id = $1", website)
    document = await conn.fetchval(
        """insert into public.knowledge_documents (workspace_id, source_id, url, title, content_hash)
           values ($1, $2, $3, 'Returns', 'hash') returning id""",
        workspace_id, website, f"https://help.{registry.domain}/returns",
    )
    chunk = await conn.fetchval(
        """insert into public.knowledge_chunks
             (workspace_id, source_id, document_id, ordinal, title, content, embedding_model, embedding)
           values ($1, $2, $3, 0, 'Returns', 'Send items back within 30 days.', $4, $5::text::extensions.vector)
           returning id""",
        workspace_id, website, document, MINILM, vector_text(1),
    )
    # The creation time is in the name, so a sweep can tell an old leftover from another run's model.
    model = f"test-model-{int(time.time())}-{secrets.token_hex(4)}"
    await conn.execute("insert into public.knowledge_embedding_models (name, dimensions) values ($1, 3)", model)
    registry.embedding_models.append(model)
    return Knowledge(website=website, article=article, document=document, chunk=chunk, job=job, model=model)


@dataclass(frozen=True)
class CallRows:
    """A finished call of workspace `ws`, as the voice agent worker writes it."""

    call: uuid.UUID
    segment: uuid.UUID
    turn: uuid.UUID


async def add_call(conn: Conn, business_id: uuid.UUID, workspace_id: uuid.UUID) -> CallRows:
    """As `postgres` (the service): an ended call with one segment and one turn."""
    call = uuid.uuid4()
    await conn.execute(
        """insert into public.calls (id, workspace_id, business_id, room_name, channel, caller_number, status,
                                     answered_at, ended_at, summary)
           values ($1, $2, $3, $4, 'phone', '+15550001111', 'ended', now(), now(), 'Asked about refunds.')""",
        call, workspace_id, business_id, f"call-{call}",
    )
    segment = uuid.uuid4()
    await conn.execute(
        """insert into public.call_transcript_segments (id, call_id, workspace_id, speaker, text, started_at, ended_at)
           values ($1, $2, $3, 'customer', 'How long do refunds take?', now(), now())""",
        segment, call, workspace_id,
    )
    turn = uuid.uuid4()
    await conn.execute(
        """insert into public.call_turns (id, call_id, workspace_id, turn_index, user_text, reply_text, answered)
           values ($1, $2, $3, 0, 'How long do refunds take?', 'Refunds take 30 days.', true)""",
        turn, call, workspace_id,
    )
    return CallRows(call=call, segment=segment, turn=turn)


async def build_world(pool: Pool, registry: Registry) -> World:
    async with pool.acquire() as conn, conn.transaction():
        people = {
            label: await create_user(conn, registry, label)
            for label in (
                "owner", "admin", "ws_admin", "agent_in", "agent_out", "colleague",
                "outsider", "stranger", "ghost",
            )
        }
        await conn.execute("delete from public.profiles where id = $1", people["ghost"].uid)
        business, ws = await create_business(
            conn, registry, people["owner"], registry.name("Acme"), "Sales"
        )
        ws2 = await add_workspace(conn, business, "Support")
        await add_business_member(conn, business, people["admin"], "admin")
        for label in ("ws_admin", "agent_in", "agent_out", "colleague"):
            await add_business_member(conn, business, people[label], "agent")
        await add_workspace_member(conn, business, ws, people["ws_admin"], "admin")
        await add_workspace_member(conn, business, ws, people["agent_in"], "agent")
        await add_workspace_member(conn, business, ws, people["colleague"], "agent")
        await add_workspace_member(conn, business, ws2, people["agent_out"], "agent")
        other_business, other_ws = await create_business(
            conn, registry, people["outsider"], registry.name("Globex"), "Sales"
        )
        invitation, token = await add_invitation(
            conn, business, ws, registry.email("invitee"), people["owner"]
        )
        ws2_invitation, _ = await add_invitation(
            conn, business, ws2, registry.email("invitee2"), people["owner"]
        )
        other_invitation, _ = await add_invitation(
            conn, other_business, other_ws, registry.email("invitee3"), people["outsider"]
        )
        knowledge = await add_knowledge(conn, registry, business, ws, people["owner"])
        calls = await add_call(conn, business, ws)
    return World(
        registry=registry,
        business=business, ws=ws, ws2=ws2,
        other_business=other_business, other_ws=other_ws,
        invitation=invitation, invitation_token=token,
        ws2_invitation=ws2_invitation, other_invitation=other_invitation,
        owner=people["owner"], admin=people["admin"], ws_admin=people["ws_admin"],
        agent_in=people["agent_in"], agent_out=people["agent_out"], colleague=people["colleague"],
        outsider=people["outsider"], stranger=people["stranger"], ghost=people["ghost"],
        knowledge=knowledge,
        calls=calls,
    )
