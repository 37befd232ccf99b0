"""Catch-alls over the catalog, so that a future migration cannot quietly add a
table without row level security, a security-definer function with a mutable
search_path, or a table to the realtime publication."""

from __future__ import annotations

from .dbkit import Conn

REALTIME_TABLES = {
    "public.businesses", "public.business_members", "public.workspaces",
    "public.workspace_members", "public.invitations", "public.knowledge_sources",
    # Calls: agent settings edited in the web app, the live call list, transcript and analysis.
    "public.agent_settings", "public.calls", "public.call_transcript_segments", "public.call_turns",
    # Handoff: the team board, offers ringing in the console, callback tasks, copilot suggestions.
    "public.agent_presence", "public.call_offers", "public.callback_tasks", "public.copilot_suggestions",
}
CLIENT_ROLES = ("anon", "authenticated")


async def test_realtime_publication_has_exactly_the_expected_tables(conn: Conn) -> None:
    rows = await conn.fetch(
        "select schemaname, tablename from pg_publication_tables where pubname = 'supabase_realtime'"
    )
    assert {f"{r['schemaname']}.{r['tablename']}" for r in rows} == REALTIME_TABLES


async def test_every_public_table_has_row_level_security(conn: Conn) -> None:
    rows = await conn.fetch(
        """select c.relname, c.relrowsecurity from pg_class c
           join pg_namespace n on n.oid = c.relnamespace
           where n.nspname = 'public' and c.relkind in ('r', 'p')"""
    )
    assert rows, "no tables in public?"
    assert [r["relname"] for r in rows if not r["relrowsecurity"]] == []


async def test_every_public_view_runs_as_the_caller(conn: Conn) -> None:
    """A view runs with its owner's rights unless security_invoker is set, bypassing RLS."""
    rows = await conn.fetch(
        """select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
           where n.nspname = 'public' and c.relkind in ('v', 'm')
             and not exists (
               select 1 from unnest(coalesce(c.reloptions, '{}')) option
               where lower(option) in ('security_invoker=true', 'security_invoker=on',
                                       'security_invoker=1', 'security_invoker=yes')
             )"""
    )
    assert [r["relname"] for r in rows] == []


async def test_every_security_definer_function_pins_its_search_path(conn: Conn) -> None:
    rows = await conn.fetch(
        """select n.nspname || '.' || p.proname as name, p.proconfig
           from pg_proc p join pg_namespace n on n.oid = p.pronamespace
           where p.prosecdef
             and n.nspname not in ('pg_catalog', 'information_schema')
             and n.nspname not like 'pg_toast%'"""
    )
    names = {r["name"] for r in rows}
    # Not vacuous: the tenancy helpers are among them.
    assert {"public.create_business", "public.accept_invitation", "private.is_workspace_member"} <= names
    unpinned = [
        r["name"] for r in rows
        if not any(setting.startswith("search_path=") for setting in (r["proconfig"] or []))
    ]
    assert unpinned == []


async def test_signed_out_visitors_can_run_only_the_invitation_preview(conn: Conn) -> None:
    rows = await conn.fetch(
        """select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace
           where n.nspname in ('public', 'private') and p.prosecdef
             and has_function_privilege('anon', p.oid, 'execute')
             and has_schema_privilege('anon', n.oid, 'usage')"""
    )
    assert {r["proname"] for r in rows} == {"invitation_preview"}


async def test_client_roles_cannot_truncate_or_alter_public_tables(conn: Conn) -> None:
    """TRUNCATE ignores row level security; TRIGGER/REFERENCES/MAINTAIN are never needed by clients."""
    version = await conn.fetchval("select current_setting('server_version_num')::int")
    privileges = "truncate, trigger, references" + (", maintain" if version >= 170000 else "")
    rows = await conn.fetch(
        f"""select c.relname, r.rolname from pg_class c
            join pg_namespace n on n.oid = c.relnamespace
            cross join (select unnest($1::text[]) as rolname) r
            where n.nspname = 'public' and c.relkind in ('r', 'p')
              and has_table_privilege(r.rolname, c.oid, '{privileges}')""",
        list(CLIENT_ROLES),
    )
    assert [(r["relname"], r["rolname"]) for r in rows] == []
