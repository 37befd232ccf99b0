"""Invitations: accepting (and every way it is refused), the preview an
invitation link shows before sign-in, and one pending invitation per address
and workspace. Every test runs in a rolled-back transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest

from .dbkit import (
    ANON,
    INSUFFICIENT_PRIVILEGE,
    NO_DATA_FOUND,
    RAISE_EXCEPTION,
    UNIQUE_VIOLATION,
    Conn,
    World,
    add_invitation,
    create_user,
    execute_as,
    fetch_as,
    memberships,
    new_token,
    refused,
    token_hash,
)

ACCEPT = "select public.accept_invitation($1)"
PREVIEW = """select invitation_id, business_name, workspace_name, email, role::text, invited_by_email,
                    status, expires_at
             from public.invitation_preview($1)"""


# ---------------------------------------------------------------- accepting


@pytest.mark.parametrize("role", ["agent", "admin"])
async def test_accept_joins_business_and_workspace(conn: Conn, world: World, role: str) -> None:
    invitee = await create_user(conn, world.registry, "invitee")
    invitation, token = await add_invitation(
        conn, world.business, world.ws2, invitee.email or "", world.owner, role=role
    )
    rows = await fetch_as(conn, invitee, ACCEPT, token)
    assert rows[0][0] == world.ws2

    assert await conn.fetchval(
        "select role::text from public.business_members where business_id = $1 and user_id = $2",
        world.business, invitee.uid,
    ) == "agent"
    assert await conn.fetchval(
        "select role::text from public.workspace_members where workspace_id = $1 and user_id = $2",
        world.ws2, invitee.uid,
    ) == role
    used = await conn.fetchrow(
        "select accepted_at is not null as accepted, accepted_by from public.invitations where id = $1",
        invitation,
    )
    assert used is not None and tuple(used) == (True, invitee.uid)
    # They now see the business and exactly that workspace.
    seen = await fetch_as(conn, invitee, "select id from public.workspaces")
    assert [r["id"] for r in seen] == [world.ws2]


async def test_accept_ignores_the_case_of_the_signed_in_email(conn: Conn, world: World) -> None:
    invitee = await create_user(conn, world.registry, "mixed-case")
    _, token = await add_invitation(conn, world.business, world.ws, invitee.email or "", world.owner)
    shouting = invitee.with_claims_email((invitee.email or "").upper())
    rows = await fetch_as(conn, shouting, ACCEPT, token)
    assert rows[0][0] == world.ws


async def test_accepting_twice_is_refused_and_changes_nothing(conn: Conn, world: World) -> None:
    invitee = await create_user(conn, world.registry, "twice")
    _, token = await add_invitation(conn, world.business, world.ws, invitee.email or "", world.owner)
    await fetch_as(conn, invitee, ACCEPT, token)
    after_first = await memberships(conn, world.business)
    refusal = await refused(conn, invitee, ACCEPT, token)
    assert (refusal.sqlstate, refusal.hint, refusal.message) == (
        RAISE_EXCEPTION, "invitation_used", "This invitation was already used."
    )
    assert await memberships(conn, world.business) == after_first


async def test_accepting_keeps_a_higher_business_role(conn: Conn, world: World) -> None:
    """A business admin invited into a workspace stays a business admin."""
    _, token = await add_invitation(conn, world.business, world.ws, world.admin.email or "", world.owner)
    await fetch_as(conn, world.admin, ACCEPT, token)
    assert await conn.fetchval(
        "select role::text from public.business_members where business_id = $1 and user_id = $2",
        world.business, world.admin.uid,
    ) == "admin"


async def test_accepting_as_existing_workspace_member_sets_the_invited_role(conn: Conn, world: World) -> None:
    _, token = await add_invitation(
        conn, world.business, world.ws, world.agent_in.email or "", world.owner, role="admin"
    )
    await fetch_as(conn, world.agent_in, ACCEPT, token)
    rows = await conn.fetch(
        "select role::text from public.workspace_members where workspace_id = $1 and user_id = $2",
        world.ws, world.agent_in.uid,
    )
    assert [r["role"] for r in rows] == ["admin"]


REFUSALS = {
    "wrong-email": (INSUFFICIENT_PRIVILEGE, "invitation_wrong_user",
                    "This invitation was sent to {email}. Sign in with that address to accept it."),
    "no-email-in-token": (INSUFFICIENT_PRIVILEGE, "invitation_wrong_user",
                          "This invitation was sent to {email}. Sign in with that address to accept it."),
    "expired": (RAISE_EXCEPTION, "invitation_expired",
                "This invitation has expired. Ask your admin for a new one."),
    "revoked": (RAISE_EXCEPTION, "invitation_revoked",
                "This invitation was revoked. Ask your admin for a new one."),
    "used-by-someone-else": (RAISE_EXCEPTION, "invitation_used", "This invitation was already used."),
    "unknown-token": (NO_DATA_FOUND, "invitation_not_found", "This invitation link is not valid."),
    "empty-token": (NO_DATA_FOUND, "invitation_not_found", "This invitation link is not valid."),
}


@pytest.mark.parametrize(("case", "sqlstate", "hint", "message"),
                         [(k, *v) for k, v in REFUSALS.items()], ids=REFUSALS.keys())
async def test_refused_accept_changes_nothing(
    conn: Conn, world: World, case: str, sqlstate: str, hint: str, message: str
) -> None:
    invitee = await create_user(conn, world.registry, "invitee")
    email = invitee.email or ""
    accepting, claims = invitee, None
    if case == "wrong-email":
        email = world.registry.email("someone-else")
    if case == "no-email-in-token":
        claims = {"sub": str(invitee.uid), "role": "authenticated", "aud": "authenticated"}
    invitation, token = await add_invitation(
        conn, world.business, world.ws, email, world.owner,
        expires_in=timedelta(minutes=-1) if case == "expired" else timedelta(days=3),
    )
    if case == "revoked":
        await conn.execute("update public.invitations set revoked_at = now() where id = $1", invitation)
    if case == "used-by-someone-else":
        await conn.execute(
            "update public.invitations set accepted_at = now(), accepted_by = $2 where id = $1",
            invitation, world.stranger.uid,
        )
    if case == "unknown-token":
        token = new_token()
    if case == "empty-token":
        token = ""

    before = await memberships(conn, world.business)
    refusal = await refused(conn, accepting, ACCEPT, token, claims=claims)
    assert (refusal.sqlstate, refusal.hint, refusal.message) == (sqlstate, hint, message.format(email=email))
    assert await memberships(conn, world.business) == before
    assert await conn.fetchval(
        "select count(*) from public.business_members where user_id = $1", invitee.uid
    ) == 0


async def test_signed_out_cannot_accept(conn: Conn, world: World) -> None:
    refusal = await refused(conn, ANON, ACCEPT, world.invitation_token)
    assert refusal.sqlstate == INSUFFICIENT_PRIVILEGE
    assert "permission denied for function accept_invitation" in refusal.message
    refusal = await refused(
        conn, world.stranger, ACCEPT, world.invitation_token,
        claims={"role": "authenticated", "aud": "authenticated"},
    )
    assert (refusal.sqlstate, refusal.message) == (INSUFFICIENT_PRIVILEGE, "Sign in first.")


# ---------------------------------------------------------------- preview


async def test_preview_with_the_token_works_signed_out(conn: Conn, world: World) -> None:
    rows = await fetch_as(conn, ANON, PREVIEW, world.invitation_token)
    assert len(rows) == 1
    row = rows[0]
    business_name = await conn.fetchval("select name from public.businesses where id = $1", world.business)
    invited = await conn.fetchval("select email from public.invitations where id = $1", world.invitation)
    assert (row["invitation_id"], row["business_name"], row["workspace_name"], row["email"],
            row["role"], row["invited_by_email"], row["status"]) == (
        world.invitation, business_name, "Sales", invited, "agent", world.owner.email, "pending",
    )


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ("update public.invitations set revoked_at = now() where id = $1", "revoked"),
        ("update public.invitations set accepted_at = now() where id = $1", "accepted"),
        ("update public.invitations set expires_at = now() - interval '1 minute' where id = $1", "expired"),
    ],
    ids=["revoked", "accepted", "expired"],
)
async def test_preview_shows_the_status(conn: Conn, world: World, change: str, status: str) -> None:
    await conn.execute(change, world.invitation)
    rows = await fetch_as(conn, ANON, PREVIEW, world.invitation_token)
    assert [r["status"] for r in rows] == [status]


@pytest.mark.parametrize("token", ["random", "", None, "truncated", "hash-itself"])
async def test_preview_without_the_token_reveals_nothing(conn: Conn, world: World, token: str | None) -> None:
    if token == "random":
        token = new_token()
    elif token == "truncated":
        token = world.invitation_token[:-1]
    elif token == "hash-itself":
        token = token_hash(world.invitation_token).hex()
    for actor in (ANON, world.stranger):
        assert await fetch_as(conn, actor, PREVIEW, token) == []


# ---------------------------------------------------------------- one pending invitation per address


INVITE = """insert into public.invitations
              (business_id, workspace_id, email, role, token_hash, invited_by, expires_at)
            values ($1, $2, $3, 'agent', $4, $5, now() + interval '3 days')"""


async def test_two_pending_invitations_to_one_address_are_refused(conn: Conn, world: World) -> None:
    email = world.registry.email("twice-invited")

    async def invite(workspace: object) -> int:
        return await execute_as(
            conn, world.owner, INVITE, world.business, workspace, email,
            token_hash(new_token()), world.owner.uid,
        )

    assert await invite(world.ws) == 1
    refusal = await refused(
        conn, world.owner, INVITE, world.business, world.ws, email,
        token_hash(new_token()), world.owner.uid,
    )
    assert (refusal.sqlstate, refusal.constraint) == (UNIQUE_VIOLATION, "invitations_pending_email_key")
    # The same address may be invited to another workspace...
    assert await invite(world.ws2) == 1
    # ...and again to the first one once the pending invitation is revoked.
    assert await execute_as(
        conn, world.owner,
        "update public.invitations set revoked_at = now() where workspace_id = $1 and email = $2",
        world.ws, email,
    ) == 1
    assert await invite(world.ws) == 1


async def test_invitation_emails_must_be_lowercase(conn: Conn, world: World) -> None:
    refusal = await refused(
        conn, world.owner, INVITE, world.business, world.ws, "Someone@Example.test",
        token_hash(new_token()), world.owner.uid,
    )
    assert refusal.constraint == "invitations_email_check"
