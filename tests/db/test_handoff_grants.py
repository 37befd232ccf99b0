"""Who may run the routing functions: people only the ones that act for
themselves (auth.uid()), the service the ones that act for a call, anonymous
visitors none; the private helpers nobody but their security-definer callers."""

from __future__ import annotations

import pytest

from .dbkit import Conn

AS_THE_USER = {
    "public.set_presence(uuid, public.agent_presence_status)",
    "public.presence_heartbeat(uuid)",
    "public.accept_offer(uuid)",
    "public.decline_offer(uuid)",
    "public.hand_back_call(uuid)",
    "public.submit_wrap_up(uuid, public.call_disposition, text, text)",
    "public.complete_callback_task(uuid, text)",
}
AS_THE_SERVICE = {
    "public.dispatch_handoffs(uuid)",
    "public.dispatch_all_handoffs()",
    "public.handoff_state(uuid)",
    "public.request_human(uuid, public.call_handoff_reason, jsonb)",
    "public.human_dropped(uuid)",
    "public.create_callback_task(uuid, text)",
}
PRIVATE = {
    "private.dispatch_handoffs(uuid)",
    "private.dispatch_for_agent(uuid, uuid)",
    "private.user_in_workspace(uuid, uuid)",
    "private.lock_presence(uuid, uuid)",
    "private.release_human(uuid)",
    "private.return_call_to_ai(uuid)",
    "private.dispatch_workspaces(uuid[])",
    "private.change_presence(uuid, uuid, public.agent_presence_status, uuid, boolean)",
    "private.close_offer(uuid, public.call_offer_status)",
    "private.lock_my_offer(uuid)",
    "private.require_workspace_member(uuid)",
    "private.calls_end_handoff()",
    "private.calls_end_release()",
}


async def _may(conn: Conn, role: str, function: str) -> bool:
    allowed = await conn.fetchval("select has_function_privilege($1, $2::regprocedure, 'execute')", role, function)
    assert isinstance(allowed, bool)
    return allowed


@pytest.mark.parametrize("function", sorted(AS_THE_USER))
async def test_people_run_the_functions_that_act_for_themselves(conn: Conn, function: str) -> None:
    assert await _may(conn, "authenticated", function)
    assert not await _may(conn, "anon", function)


@pytest.mark.parametrize("function", sorted(AS_THE_SERVICE))
async def test_only_the_service_asks_for_a_person_and_moves_the_queue(conn: Conn, function: str) -> None:
    assert await _may(conn, "service_role", function)
    assert not await _may(conn, "authenticated", function)
    assert not await _may(conn, "anon", function)


@pytest.mark.parametrize("function", sorted(PRIVATE))
async def test_no_client_runs_the_private_routing_helpers(conn: Conn, function: str) -> None:
    for role in ("anon", "authenticated"):
        assert not await _may(conn, role, function), role


async def test_every_routing_function_is_security_definer_with_a_pinned_search_path(conn: Conn) -> None:
    rows = await conn.fetch(
        """select p.oid::regprocedure::text as name, p.prosecdef, p.proconfig from pg_proc p
           where p.oid = any($1::regprocedure[])""",
        sorted(AS_THE_USER | AS_THE_SERVICE | PRIVATE),
    )
    assert len(rows) == len(AS_THE_USER | AS_THE_SERVICE | PRIVATE)
    for row in rows:
        assert row["prosecdef"], row["name"]
        assert 'search_path=""' in (row["proconfig"] or []), row["name"]
