"""The calls tables beyond the matrix: agent settings come with every new
workspace, managers edit only the editable columns within the checks, and no
client role can write calls, transcript segments or turns at all."""

from __future__ import annotations

import pytest

from .dbkit import (
    CHECK_VIOLATION,
    INSUFFICIENT_PRIVILEGE,
    Conn,
    World,
    add_workspace,
    create_business,
    create_user,
    execute_as,
    fetch_as,
    refused,
)

CLIENT_ROLES = ("anon", "authenticated")
SERVICE_WRITTEN = (
    "calls", "call_transcript_segments", "call_turns",
    # Written by the routing functions and the worker only (test_handoff_routing, test_handoff_grants).
    "agent_presence", "call_offers", "callback_tasks", "copilot_suggestions",
)
EDITABLE = {
    "agent_name",
    "greeting",
    "instructions",
    "voice",
    "language",
    "handoff_on_request",
    "max_unanswered_questions",
    "negative_sentiment_threshold",
    "account_access_topics",
    "intent_labels",
    "topic_labels",
    "ring_timeout_seconds",
    "updated_by",
}


async def test_every_new_workspace_gets_default_agent_settings(conn: Conn) -> None:
    owner = await create_user(conn, None, "owner", email="owner@calls-tables.tenancy-tests.invalid")
    business, first = await create_business(conn, None, owner, "Settings Co", "Support")
    second = await add_workspace(conn, business, "Billing")
    rows = await conn.fetch(
        """select workspace_id, business_id, agent_name, greeting, handoff_on_request, max_unanswered_questions,
                  negative_sentiment_threshold, account_access_topics, intent_labels, topic_labels, ring_timeout_seconds
           from public.agent_settings where business_id = $1 order by created_at, workspace_id""",
        business,
    )
    assert {r["workspace_id"] for r in rows} == {first, second}
    for row in rows:
        assert (row["agent_name"], row["handoff_on_request"], row["max_unanswered_questions"]) == ("Alex", True, 2)
        assert row["ring_timeout_seconds"] == 20
        assert row["greeting"] == "Hello, thanks for calling. How can I help you today?"
        assert row["negative_sentiment_threshold"] == pytest.approx(-0.6)
        assert row["account_access_topics"] == ["account changes", "payment details"]
        assert "talk to a person" in row["intent_labels"] and "account changes" in row["topic_labels"]
    # They go with their workspace.
    await conn.execute("delete from public.workspaces where id = $1", second)
    assert await conn.fetchval("select count(*) from public.agent_settings where workspace_id = $1", second) == 0


async def test_clients_cannot_create_agent_settings_through_the_trigger_function(conn: Conn) -> None:
    for role in CLIENT_ROLES:
        assert not await conn.fetchval(
            "select has_function_privilege($1, 'private.create_agent_settings()', 'execute')", role
        )


@pytest.mark.parametrize("table", SERVICE_WRITTEN)
async def test_no_client_role_can_write_service_tables(conn: Conn, table: str) -> None:
    for role in CLIENT_ROLES:
        for privilege in ("insert", "update", "delete", "truncate"):
            assert not await conn.fetchval(
                "select has_table_privilege($1, $2, $3)", role, f"public.{table}", privilege
            ), f"{role} may {privilege} {table}"
        for privilege in ("insert", "update"):
            assert not await conn.fetchval(
                "select has_any_column_privilege($1, $2, $3)", role, f"public.{table}", privilege
            ), f"{role} may {privilege} some column of {table}"
    assert not await conn.fetchval("select has_table_privilege('anon', $1, 'select')", f"public.{table}")


async def test_clients_update_exactly_the_editable_agent_settings_columns(conn: Conn) -> None:
    rows = await conn.fetch(
        """select column_name from information_schema.column_privileges
           where table_schema = 'public' and table_name = 'agent_settings'
             and grantee = 'authenticated' and privilege_type = 'UPDATE'"""
    )
    assert {r["column_name"] for r in rows} == EDITABLE
    for privilege in ("insert", "delete", "truncate"):
        assert not await conn.fetchval(
            "select has_table_privilege('authenticated', 'public.agent_settings', $1)", privilege
        )
    assert not await conn.fetchval("select has_any_column_privilege('anon', 'public.agent_settings', 'update')")


@pytest.mark.parametrize(
    ("column", "value"),
    [("workspace_id", "w.ws2"), ("business_id", "w.other_business"), ("created_at", "now() - interval '1 day'")],
)
async def test_managers_cannot_move_or_backdate_agent_settings(
    conn: Conn, world: World, column: str, value: str
) -> None:
    target = {"w.ws2": world.ws2, "w.other_business": world.other_business}.get(value)
    sql = (
        f"update public.agent_settings set {column} = $2 where workspace_id = $1"
        if target is not None
        else f"update public.agent_settings set {column} = {value} where workspace_id = $1"
    )
    args = (world.ws, target) if target is not None else (world.ws,)
    refusal = await refused(conn, world.owner, sql, *args)
    assert refusal.sqlstate == INSUFFICIENT_PRIVILEGE


async def test_managers_edit_within_the_checks(conn: Conn, world: World) -> None:
    updated = await execute_as(
        conn,
        world.ws_admin,
        """update public.agent_settings set agent_name = 'Riley', max_unanswered_questions = 0,
                  ring_timeout_seconds = 30, negative_sentiment_threshold = -0.3,
                  intent_labels = array['refund', 'talk to a person']
           where workspace_id = $1""",
        world.ws,
    )
    assert updated == 1
    for assignment in (
        "greeting = ' '",
        "max_unanswered_questions = 21",
        "negative_sentiment_threshold = -1.5",
        "language = 'English'",
        "intent_labels = '{}'",
        "ring_timeout_seconds = 4",
        "ring_timeout_seconds = 121",
    ):
        refusal = await refused(
            conn, world.ws_admin, f"update public.agent_settings set {assignment} where workspace_id = $1", world.ws
        )
        assert refusal.sqlstate == CHECK_VIOLATION, assignment


async def test_other_tenants_see_none_of_the_calls_tables(conn: Conn, world: World) -> None:
    for actor in (world.outsider, world.stranger):
        for table in ("calls", "call_transcript_segments", "call_turns"):
            rows = await fetch_as(
                conn, actor, f"select count(*) as n from public.{table} where workspace_id = $1", world.ws
            )
            assert rows[0]["n"] == 0, (actor.label, table)
        visible = await fetch_as(conn, actor, "select workspace_id from public.agent_settings")
        assert {r["workspace_id"] for r in visible} <= {world.other_ws}
    # Not vacuous: a member of the workspace does see them.
    rows = await fetch_as(
        conn, world.agent_in, "select count(*) as n from public.call_turns where workspace_id = $1", world.ws
    )
    assert rows[0]["n"] == 1
