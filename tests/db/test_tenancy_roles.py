"""Roles: who sees which workspaces, who may change whose role, the last owner,
and what leaving or being removed does. Runs as real users (`authenticated` +
JWT claims) against the module's world; every test's writes are rolled back
except where a commit is the point (marked)."""

from __future__ import annotations

import asyncio
import json

import asyncpg
import pytest

from .dbkit import (
    ANON,
    INSUFFICIENT_PRIVILEGE,
    RAISE_EXCEPTION,
    Conn,
    Pool,
    Registry,
    World,
    act_as,
    add_business_member,
    add_workspace_member,
    create_business,
    create_user,
    execute_as,
    fetch_as,
    memberships,
    refused,
    rowcount,
)

LAST_OWNER_MESSAGE = "A business must keep at least one owner. Make someone else an owner first."

# ---------------------------------------------------------------- visibility

WORKSPACES_SEEN = {
    "owner": {"ws", "ws2"},
    "admin": {"ws", "ws2"},
    "ws_admin": {"ws"},
    "agent_in": {"ws"},
    "colleague": {"ws"},
    "agent_out": {"ws2"},
    "outsider": {"other_ws"},
    "stranger": set(),
}


@pytest.mark.parametrize(("label", "expected"), WORKSPACES_SEEN.items(), ids=WORKSPACES_SEEN.keys())
async def test_workspaces_visible(conn: Conn, world: World, label: str, expected: set[str]) -> None:
    """Agents see only their workspaces; owners and admins see every workspace of their business."""
    rows = await fetch_as(conn, world.actor(label), "select id from public.workspaces")
    assert {r["id"] for r in rows} == {getattr(world, name) for name in expected}


BUSINESSES_SEEN = {
    **{label: {"business"} for label in ("owner", "admin", "ws_admin", "agent_in", "agent_out")},
    "outsider": {"other_business"},
    "stranger": set(),
}


@pytest.mark.parametrize(("label", "expected"), BUSINESSES_SEEN.items(), ids=BUSINESSES_SEEN.keys())
async def test_businesses_visible(conn: Conn, world: World, label: str, expected: set[str]) -> None:
    rows = await fetch_as(conn, world.actor(label), "select id from public.businesses")
    assert {r["id"] for r in rows} == {getattr(world, name) for name in expected}


INVITATIONS_SEEN = {
    "owner": {"invitation", "ws2_invitation"},
    "admin": {"invitation", "ws2_invitation"},
    "ws_admin": {"invitation"},
    "agent_in": set(),
    "agent_out": set(),
    "outsider": {"other_invitation"},
    "stranger": set(),
}


@pytest.mark.parametrize(("label", "expected"), INVITATIONS_SEEN.items(), ids=INVITATIONS_SEEN.keys())
async def test_invitations_visible(conn: Conn, world: World, label: str, expected: set[str]) -> None:
    rows = await fetch_as(conn, world.actor(label), "select id from public.invitations")
    assert {r["id"] for r in rows} == {getattr(world, name) for name in expected}


async def test_agent_sees_only_their_workspaces_members(conn: Conn, world: World) -> None:
    rows = await fetch_as(conn, world.agent_in, "select workspace_id, user_id from public.workspace_members")
    assert {(r["workspace_id"], r["user_id"]) for r in rows} == {
        (world.ws, world.owner.uid), (world.ws, world.ws_admin.uid),
        (world.ws, world.agent_in.uid), (world.ws, world.colleague.uid),
    }
    rows = await fetch_as(conn, world.agent_out, "select workspace_id, user_id from public.workspace_members")
    assert {(r["workspace_id"], r["user_id"]) for r in rows} == {(world.ws2, world.agent_out.uid)}


async def test_profiles_visible_to_colleagues_only(conn: Conn, world: World) -> None:
    rows = await fetch_as(conn, world.agent_out, "select id from public.profiles")
    business_people = {
        world.owner.uid, world.admin.uid, world.ws_admin.uid, world.agent_in.uid,
        world.agent_out.uid, world.colleague.uid,
    }
    assert {r["id"] for r in rows} == business_people
    rows = await fetch_as(conn, world.stranger, "select id from public.profiles")
    assert {r["id"] for r in rows} == {world.stranger.uid}


@pytest.mark.parametrize(
    "table",
    ["profiles", "businesses", "business_members", "workspaces", "workspace_members", "invitations"],
)
async def test_anon_reads_nothing(conn: Conn, world: World, table: str) -> None:
    refusal = await refused(conn, ANON, f"select * from public.{table}")
    assert refusal.sqlstate == INSUFFICIENT_PRIVILEGE
    assert f"permission denied for table {table}" in refusal.message


async def test_user_reads_and_renames_own_profile(conn: Conn, world: World) -> None:
    assert await execute_as(
        conn, world.agent_in, "update public.profiles set full_name = 'Renamed' where id = $1",
        world.agent_in.uid,
    ) == 1
    rows = await fetch_as(conn, world.agent_in, "select full_name from public.profiles where id = $1",
                          world.agent_in.uid)
    assert [r["full_name"] for r in rows] == ["Renamed"]


# ---------------------------------------------------------------- what agents cannot do


async def test_agent_cannot_create_workspace(conn: Conn, world: World) -> None:
    refusal = await refused(
        conn, world.agent_in,
        "insert into public.workspaces (business_id, name, created_by) values ($1, 'Mine', $2)",
        world.business, world.agent_in.uid,
    )
    assert refusal.sqlstate == INSUFFICIENT_PRIVILEGE
    assert 'row-level security policy for table "workspaces"' in refusal.message


async def test_agent_cannot_invite(conn: Conn, world: World) -> None:
    refusal = await refused(
        conn, world.agent_in,
        """insert into public.invitations
             (business_id, workspace_id, email, token_hash, invited_by, expires_at)
           values ($1, $2, 'friend@example.test', 'x', $3, now() + interval '1 day')""",
        world.business, world.ws, world.agent_in.uid,
    )
    assert refusal.sqlstate == INSUFFICIENT_PRIVILEGE
    assert 'row-level security policy for table "invitations"' in refusal.message


ROLE_CHANGES_AN_AGENT_TRIES = {
    "colleague-business-role": (
        "update public.business_members set role = 'admin' where business_id = $1 and user_id = $2",
        "business", "colleague",
    ),
    "colleague-workspace-role": (
        "update public.workspace_members set role = 'admin' where workspace_id = $1 and user_id = $2",
        "ws", "colleague",
    ),
    "own-business-role-admin": (
        "update public.business_members set role = 'admin' where business_id = $1 and user_id = $2",
        "business", "agent_in",
    ),
    "own-business-role-owner": (
        "update public.business_members set role = 'owner' where business_id = $1 and user_id = $2",
        "business", "agent_in",
    ),
    "own-workspace-role-admin": (
        "update public.workspace_members set role = 'admin' where workspace_id = $1 and user_id = $2",
        "ws", "agent_in",
    ),
    "remove-colleague-from-business": (
        "delete from public.business_members where business_id = $1 and user_id = $2",
        "business", "colleague",
    ),
}


@pytest.mark.parametrize(
    ("sql", "target", "member"), ROLE_CHANGES_AN_AGENT_TRIES.values(), ids=ROLE_CHANGES_AN_AGENT_TRIES.keys()
)
async def test_agent_cannot_change_roles_or_promote_self(
    conn: Conn, world: World, sql: str, target: str, member: str
) -> None:
    before = await memberships(conn, world.business)
    changed = await execute_as(conn, world.agent_in, sql, getattr(world, target), world.actor(member).uid)
    assert changed == 0
    assert await memberships(conn, world.business) == before


async def test_agent_cannot_join_another_workspace(conn: Conn, world: World) -> None:
    refusal = await refused(
        conn, world.agent_out,
        """insert into public.workspace_members (workspace_id, business_id, user_id, role)
           values ($1, $2, $3, 'admin')""",
        world.ws, world.business, world.agent_out.uid,
    )
    assert refusal.sqlstate == INSUFFICIENT_PRIVILEGE


async def test_workspace_admin_cannot_grant_business_roles(conn: Conn, world: World) -> None:
    for member in (world.ws_admin, world.colleague):
        assert await execute_as(
            conn, world.ws_admin,
            "update public.business_members set role = 'admin' where business_id = $1 and user_id = $2",
            world.business, member.uid,
        ) == 0


async def test_workspace_admin_manages_only_their_workspace(conn: Conn, world: World) -> None:
    manage = world.ws_admin
    assert await execute_as(
        conn, manage,
        "update public.workspace_members set role = 'admin' where workspace_id = $1 and user_id = $2",
        world.ws, world.colleague.uid,
    ) == 1
    assert await execute_as(
        conn, manage,
        "update public.workspace_members set role = 'admin' where workspace_id = $1 and user_id = $2",
        world.ws2, world.agent_out.uid,
    ) == 0
    assert await execute_as(
        conn, manage, "update public.workspaces set name = 'Taken over' where id = $1", world.ws2
    ) == 0
    assert await execute_as(conn, manage, "delete from public.workspaces where id = $1", world.ws) == 0
    refusal = await refused(
        conn, manage,
        """insert into public.workspace_members (workspace_id, business_id, user_id, role)
           values ($1, $2, $3, 'agent')""",
        world.ws2, world.business, world.colleague.uid,
    )
    assert refusal.sqlstate == INSUFFICIENT_PRIVILEGE


# ---------------------------------------------------------------- owners and admins


@pytest.mark.parametrize("member", ["colleague", "admin"])
async def test_admin_cannot_make_anyone_owner(conn: Conn, world: World, member: str) -> None:
    before = await memberships(conn, world.business)
    refusal = await refused(
        conn, world.admin,
        "update public.business_members set role = 'owner' where business_id = $1 and user_id = $2",
        world.business, world.actor(member).uid,
    )
    assert refusal.sqlstate == INSUFFICIENT_PRIVILEGE
    assert 'row-level security policy for table "business_members"' in refusal.message
    assert await memberships(conn, world.business) == before


async def test_owner_can_make_someone_owner(conn: Conn, world: World) -> None:
    assert await execute_as(
        conn, world.owner,
        "update public.business_members set role = 'owner' where business_id = $1 and user_id = $2",
        world.business, world.colleague.uid,
    ) == 1


async def test_admin_can_promote_and_demote_agents_and_admins(conn: Conn, world: World) -> None:
    sql = "update public.business_members set role = $3 where business_id = $1 and user_id = $2"
    assert await execute_as(conn, world.admin, sql, world.business, world.colleague.uid, "admin") == 1
    assert await execute_as(conn, world.admin, sql, world.business, world.colleague.uid, "agent") == 1


async def test_admin_cannot_demote_or_remove_an_owner(conn: Conn, world: World) -> None:
    await conn.execute(
        "update public.business_members set role = 'owner' where business_id = $1 and user_id = $2",
        world.business, world.colleague.uid,
    )
    before = await memberships(conn, world.business)
    for sql in (
        "update public.business_members set role = 'agent' where business_id = $1 and user_id = $2",
        "delete from public.business_members where business_id = $1 and user_id = $2",
    ):
        for owner in (world.owner, world.colleague):
            assert await execute_as(conn, world.admin, sql, world.business, owner.uid) == 0, sql
    assert await memberships(conn, world.business) == before
    # Owners can, as long as one owner remains.
    assert await execute_as(
        conn, world.owner,
        "update public.business_members set role = 'agent' where business_id = $1 and user_id = $2",
        world.business, world.colleague.uid,
    ) == 1


COLUMNS_NOBODY_MAY_CHANGE = {
    # Moving a workspace into someone else's business.
    "workspace-business": ("owner", "update public.workspaces set business_id = $1 where id = $2",
                           ("other_business", "ws2")),
    "workspace-creator": ("owner", "update public.workspaces set created_by = $1 where id = $2",
                          ("outsider", "ws2")),
    # Turning one membership into another person's (joining without an invitation).
    "business-member-user": ("owner",
                             "update public.business_members set user_id = $1 where user_id = $2",
                             ("stranger", "admin")),
    "business-member-business": ("owner",
                                 "update public.business_members set business_id = $1 where user_id = $2",
                                 ("other_business", "admin")),
    "workspace-member-user": ("owner",
                              "update public.workspace_members set user_id = $1 where user_id = $2",
                              ("admin", "colleague")),
    "workspace-member-workspace": ("ws_admin",
                                   "update public.workspace_members set workspace_id = $1 where user_id = $2",
                                   ("ws2", "colleague")),
    "business-creator": ("owner", "update public.businesses set created_by = $1 where id = $2",
                         ("outsider", "business")),
    "business-email-domain": ("owner", "update public.businesses set email_domain = 'evil.test' where id = $1",
                              ("business",)),
    # Spoofing one's email in front of colleagues (and in invitation previews).
    "profile-email": ("agent_in", "update public.profiles set email = 'ceo@example.test' where id = $1",
                      ("agent_in",)),
    # Invitations: only revoking is an update.
    "invitation-email": ("owner", "update public.invitations set email = 'other@example.test' where id = $1",
                         ("invitation",)),
    "invitation-token": ("owner", "update public.invitations set token_hash = 'x' where id = $1",
                         ("invitation",)),
    "invitation-accepted": ("owner", "update public.invitations set accepted_at = now() where id = $1",
                            ("invitation",)),
    "invitation-workspace": ("owner", "update public.invitations set workspace_id = $1 where id = $2",
                             ("ws2", "invitation")),
}


def _resolve(world: World, name: str) -> object:
    value = getattr(world, name)
    return value.uid if hasattr(value, "uid") else value


async def test_admin_cannot_move_a_workspace_into_another_business(conn: Conn, world: World) -> None:
    """Even an empty workspace (nothing references it) stays in its business."""
    rows = await fetch_as(
        conn, world.admin,
        "insert into public.workspaces (business_id, name, created_by) values ($1, 'Trojan', $2) returning id",
        world.business, world.admin.uid,
    )
    refusal = await refused(
        conn, world.admin, "update public.workspaces set business_id = $1 where id = $2",
        world.other_business, rows[0]["id"],
    )
    assert refusal.sqlstate == INSUFFICIENT_PRIVILEGE
    seen = await fetch_as(conn, world.outsider, "select id from public.workspaces")
    assert [r["id"] for r in seen] == [world.other_ws]


@pytest.mark.parametrize(
    ("label", "sql", "names"), COLUMNS_NOBODY_MAY_CHANGE.values(), ids=COLUMNS_NOBODY_MAY_CHANGE.keys()
)
async def test_columns_that_cannot_be_updated(
    conn: Conn, world: World, label: str, sql: str, names: tuple[str, ...]
) -> None:
    refusal = await refused(conn, world.actor(label), sql, *(_resolve(world, n) for n in names))
    assert refusal.sqlstate == INSUFFICIENT_PRIVILEGE
    assert "permission denied for table" in refusal.message


async def test_manager_cannot_insert_an_already_accepted_invitation(conn: Conn, world: World) -> None:
    refusal = await refused(
        conn, world.owner,
        """insert into public.invitations (business_id, workspace_id, email, token_hash, invited_by,
                                           expires_at, accepted_at, accepted_by)
           values ($1, $2, 'x@example.test', 'x', $3, now() + interval '1 day', now(), $4)""",
        world.business, world.ws, world.owner.uid, world.stranger.uid,
    )
    assert refusal.sqlstate == INSUFFICIENT_PRIVILEGE


@pytest.mark.parametrize("label", ["owner", "stranger", "anon"])
@pytest.mark.parametrize(
    "table",
    ["profiles", "businesses", "business_members", "workspaces", "workspace_members", "invitations"],
)
async def test_nobody_can_truncate(conn: Conn, world: World, table: str, label: str) -> None:
    """TRUNCATE ignores row level security, so no client role may have it."""
    refusal = await refused(conn, world.actor(label), f"truncate public.{table} cascade")
    assert refusal.sqlstate == INSUFFICIENT_PRIVILEGE


@pytest.mark.parametrize("label", ["owner", "admin"])
async def test_owner_or_admin_creates_workspace_and_joins_it(conn: Conn, world: World, label: str) -> None:
    """The app's path: insert ... returning id, then add the creator as workspace admin."""
    actor = world.actor(label)
    rows = await fetch_as(
        conn, actor,
        "insert into public.workspaces (business_id, name, created_by) values ($1, 'Billing', $2) returning id",
        world.business, actor.uid,
    )
    assert len(rows) == 1
    assert await execute_as(
        conn, actor,
        """insert into public.workspace_members (workspace_id, business_id, user_id, role)
           values ($1, $2, $3, 'admin')""",
        rows[0]["id"], world.business, actor.uid,
    ) == 1


# ---------------------------------------------------------------- the last owner


LAST_OWNER_ATTEMPTS = {
    "leave": "delete from public.business_members where business_id = $1 and user_id = $2",
    "step-down-to-admin": "update public.business_members set role = 'admin' where business_id = $1 and user_id = $2",
    "step-down-to-agent": "update public.business_members set role = 'agent' where business_id = $1 and user_id = $2",
}


@pytest.mark.parametrize("as_postgres", [False, True], ids=["as-owner", "as-postgres"])
@pytest.mark.parametrize("sql", LAST_OWNER_ATTEMPTS.values(), ids=LAST_OWNER_ATTEMPTS.keys())
async def test_last_owner_cannot_leave_or_step_down(
    conn: Conn, world: World, sql: str, as_postgres: bool
) -> None:
    before = await memberships(conn, world.business)
    refusal = await refused(conn, None if as_postgres else world.owner, sql, world.business, world.owner.uid)
    assert (refusal.sqlstate, refusal.message, refusal.hint) == (
        RAISE_EXCEPTION, LAST_OWNER_MESSAGE, "last_owner"
    )
    assert await memberships(conn, world.business) == before


async def test_with_two_owners_one_may_leave_then_the_other_may_not(conn: Conn, world: World) -> None:
    promote = "update public.business_members set role = 'owner' where business_id = $1 and user_id = $2"
    leave = "delete from public.business_members where business_id = $1 and user_id = $2"
    assert await execute_as(conn, world.owner, promote, world.business, world.colleague.uid) == 1
    assert await execute_as(conn, world.owner, leave, world.business, world.owner.uid) == 1
    refusal = await refused(conn, world.colleague, leave, world.business, world.colleague.uid)
    assert (refusal.sqlstate, refusal.hint) == (RAISE_EXCEPTION, "last_owner")


async def test_last_owner_account_cannot_be_deleted(conn: Conn, world: World) -> None:
    refusal = await refused(conn, None, "delete from auth.users where id = $1", world.owner.uid)
    assert (refusal.sqlstate, refusal.hint) == (RAISE_EXCEPTION, "last_owner")


async def test_owner_deletes_business_with_everything_in_it(conn: Conn, world: World) -> None:
    assert await execute_as(
        conn, world.owner, "delete from public.businesses where id = $1", world.business
    ) == 1
    for table in ("business_members", "workspaces", "workspace_members", "invitations"):
        count = await conn.fetchval(
            f"select count(*) from public.{table} where business_id = $1", world.business
        )
        assert count == 0, table
    # The other business is untouched.
    assert await conn.fetchval(
        "select count(*) from public.workspaces where business_id = $1", world.other_business
    ) == 1


async def test_two_owners_cannot_both_step_down_at_once(pool: Pool, registry: Registry) -> None:
    """Committed, on two connections: each owner steps down while the other still looks like an owner."""
    async with pool.acquire() as setup, setup.transaction():
        first = await create_user(setup, registry, "race-owner-1")
        second = await create_user(setup, registry, "race-owner-2")
        business, _ = await create_business(setup, registry, first, registry.name("Race"), "Sales")
        await add_business_member(setup, business, second, "owner")
    step_down = "update public.business_members set role = 'admin' where business_id = $1 and user_id = $2"
    async with pool.acquire() as one, pool.acquire() as two:
        tx_one, tx_two = one.transaction(), two.transaction()
        await tx_one.start()
        await tx_two.start()
        committed_one = False
        try:
            await two.execute("set local lock_timeout = '10s'")
            await act_as(one, first)
            await act_as(two, second)
            assert rowcount(await one.execute(step_down, business, first.uid)) == 1
            second_attempt = asyncio.ensure_future(two.execute(step_down, business, second.uid))
            await asyncio.sleep(0.3)
            waited = not second_attempt.done()
            await tx_one.commit()
            committed_one = True
            with pytest.raises(asyncpg.RaiseError) as raised:
                await second_attempt
            assert raised.value.hint == "last_owner"
            assert waited, "the second owner change should wait for the first"
        finally:
            if not committed_one:
                await tx_one.rollback()
            await tx_two.rollback()
    async with pool.acquire() as check:
        owners = await check.fetchval(
            "select count(*) from public.business_members where business_id = $1 and role = 'owner'",
            business,
        )
    assert owners == 1


# ---------------------------------------------------------------- leaving and being removed


async def test_removing_a_member_from_the_business_removes_their_workspaces(conn: Conn, world: World) -> None:
    # agent_in also works for the other business; that must survive.
    await add_business_member(conn, world.other_business, world.agent_in, "agent")
    await add_workspace_member(conn, world.other_business, world.other_ws, world.agent_in, "agent")
    assert await execute_as(
        conn, world.owner,
        "delete from public.business_members where business_id = $1 and user_id = $2",
        world.business, world.agent_in.uid,
    ) == 1
    rows = await conn.fetch(
        "select workspace_id from public.workspace_members where user_id = $1", world.agent_in.uid
    )
    assert [r["workspace_id"] for r in rows] == [world.other_ws]


async def test_member_can_leave_the_business(conn: Conn, world: World) -> None:
    assert await execute_as(
        conn, world.agent_in,
        "delete from public.business_members where business_id = $1 and user_id = $2",
        world.business, world.agent_in.uid,
    ) == 1
    assert await conn.fetchval(
        "select count(*) from public.workspace_members where user_id = $1", world.agent_in.uid
    ) == 0


async def test_member_can_leave_a_workspace_and_stops_seeing_it(conn: Conn, world: World) -> None:
    assert await execute_as(
        conn, world.agent_in,
        "delete from public.workspace_members where workspace_id = $1 and user_id = $2",
        world.ws, world.agent_in.uid,
    ) == 1
    assert await fetch_as(conn, world.agent_in, "select id from public.workspaces") == []
    rows = await fetch_as(conn, world.agent_in, "select id from public.businesses")
    assert [r["id"] for r in rows] == [world.business]


async def test_removed_member_loses_access_with_the_same_token(pool: Pool, registry: Registry) -> None:
    """Committed: membership is read from the tables on every statement, never from the JWT."""
    async with pool.acquire() as setup, setup.transaction():
        owner = await create_user(setup, registry, "removal-owner")
        agent = await create_user(setup, registry, "removal-agent")
        business, workspace = await create_business(
            setup, registry, owner, registry.name("Removal"), "Sales"
        )
        await add_business_member(setup, business, agent, "agent")
        await add_workspace_member(setup, business, workspace, agent, "admin")
    claims = json.dumps(agent.claims)  # the same token before and after

    async def what_agent_can_do() -> tuple[int, int, int, int, int]:
        async with pool.acquire() as c, c.transaction():
            await c.execute(
                "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)",
                claims,
            )
            seen = [
                await c.fetchval(f"select count(*) from public.{table}")
                for table in ("businesses", "workspaces", "workspace_members", "profiles")
            ]
            renamed = rowcount(await c.execute(
                "update public.workspaces set name = 'Still mine' where id = $1", workspace
            ))
            return seen[0], seen[1], seen[2], seen[3], renamed

    # businesses, workspaces, workspace members (owner + agent), profiles (both), rename
    assert await what_agent_can_do() == (1, 1, 2, 2, 1)
    async with pool.acquire() as c, c.transaction():
        await act_as(c, owner)
        removed = await c.execute(
            "delete from public.business_members where business_id = $1 and user_id = $2",
            business, agent.uid,
        )
        assert rowcount(removed) == 1
    # Only their own profile is left in view; nothing else, and no more writes.
    assert await what_agent_can_do() == (0, 0, 0, 1, 0)
