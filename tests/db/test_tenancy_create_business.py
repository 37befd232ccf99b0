"""public.create_business: onboarding creates a business, its owner and its first
workspace in one step, for a signed-in user only, and refuses bad names without
leaving anything behind. Every test runs in a rolled-back transaction."""

from __future__ import annotations

import uuid

import pytest

from .dbkit import (
    ANON,
    CHECK_VIOLATION,
    INSUFFICIENT_PRIVILEGE,
    NOT_NULL_VIOLATION,
    Actor,
    Conn,
    Registry,
    create_user,
    fetch_as,
    refused,
)

CREATE = "select public.create_business($1, $2)"


async def _everything_of(conn: Conn, user: Actor) -> dict[str, int]:
    """How many rows of each table hang off this user (read as postgres)."""
    counts: dict[str, int] = {}
    for table, column in (
        ("businesses", "created_by"), ("business_members", "user_id"),
        ("workspaces", "created_by"), ("workspace_members", "user_id"),
    ):
        count = await conn.fetchval(f"select count(*) from public.{table} where {column} = $1", user.uid)
        assert isinstance(count, int)
        counts[table] = count
    return counts


NOTHING = {"businesses": 0, "business_members": 0, "workspaces": 0, "workspace_members": 0}


async def test_anon_cannot_create_a_business(conn: Conn) -> None:
    refusal = await refused(conn, ANON, "select public.create_business('Acme', 'Sales')")
    assert refusal.sqlstate == INSUFFICIENT_PRIVILEGE
    assert "permission denied for function create_business" in refusal.message


async def test_token_without_a_user_is_refused(conn: Conn, registry: Registry) -> None:
    user = await create_user(conn, registry, "no-sub")
    refusal = await refused(
        conn, user, "select public.create_business('Acme', 'Sales')",
        claims={"role": "authenticated", "aud": "authenticated"},
    )
    assert (refusal.sqlstate, refusal.message) == (INSUFFICIENT_PRIVILEGE, "Sign in first.")


async def test_creates_business_owner_and_first_workspace(conn: Conn, registry: Registry) -> None:
    user = await create_user(conn, registry, "founder")
    rows = await fetch_as(conn, user, CREATE, "  Acme Ltd  ", " Sales ")
    business_id = rows[0][0]
    assert isinstance(business_id, uuid.UUID)

    business = await conn.fetchrow(
        "select name, email_domain, created_by from public.businesses where id = $1", business_id
    )
    assert business is not None
    assert dict(business) == {"name": "Acme Ltd", "email_domain": registry.domain, "created_by": user.uid}
    members = await conn.fetch(
        "select user_id, role::text from public.business_members where business_id = $1", business_id
    )
    assert [tuple(r) for r in members] == [(user.uid, "owner")]
    workspaces = await conn.fetch(
        "select id, name, created_by from public.workspaces where business_id = $1", business_id
    )
    assert [(r["name"], r["created_by"]) for r in workspaces] == [("Sales", user.uid)]
    workspace_members = await conn.fetch(
        "select workspace_id, user_id, role::text from public.workspace_members where business_id = $1",
        business_id,
    )
    assert [tuple(r) for r in workspace_members] == [(workspaces[0]["id"], user.uid, "admin")]

    # The founder sees what they made.
    seen = await fetch_as(conn, user, "select id from public.businesses")
    assert [r["id"] for r in seen] == [business_id]
    seen = await fetch_as(conn, user, "select id from public.workspaces")
    assert [r["id"] for r in seen] == [workspaces[0]["id"]]


async def test_longest_names_are_accepted(conn: Conn, registry: Registry) -> None:
    user = await create_user(conn, registry, "long-names")
    await fetch_as(conn, user, CREATE, "b" * 100, "w" * 60)
    assert await _everything_of(conn, user) == {k: 1 for k in NOTHING}


BAD_NAMES = {
    "empty-business": ("", "Sales", CHECK_VIOLATION, "businesses_name_check"),
    "blank-business": ("   ", "Sales", CHECK_VIOLATION, "businesses_name_check"),
    "long-business": ("b" * 101, "Sales", CHECK_VIOLATION, "businesses_name_check"),
    "null-business": (None, "Sales", NOT_NULL_VIOLATION, None),
    # These fail after the business and its owner were inserted: all of it must go.
    "empty-workspace": ("Acme", "", CHECK_VIOLATION, "workspaces_name_check"),
    "blank-workspace": ("Acme", "  ", CHECK_VIOLATION, "workspaces_name_check"),
    "long-workspace": ("Acme", "w" * 61, CHECK_VIOLATION, "workspaces_name_check"),
    "null-workspace": ("Acme", None, NOT_NULL_VIOLATION, None),
}


@pytest.mark.parametrize(("name", "workspace", "sqlstate", "constraint"), BAD_NAMES.values(), ids=BAD_NAMES.keys())
async def test_bad_names_are_refused_and_leave_nothing(
    conn: Conn, registry: Registry, name: str | None, workspace: str | None, sqlstate: str,
    constraint: str | None,
) -> None:
    user = await create_user(conn, registry, "bad-name")
    refusal = await refused(conn, user, CREATE, name, workspace)
    assert refusal.sqlstate == sqlstate
    if constraint is not None:
        assert refusal.constraint == constraint
    assert await _everything_of(conn, user) == NOTHING
