"""Everything the realtime stand-in asks Postgres: bootstrap SQL, the catalog
of published tables and their capture triggers, reading captured changes and
broadcast messages, and authorization checks run as the subscriber (role and
JWT claims set for one transaction that is always rolled back)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from local_platform.realtime.filters import ColumnType
from local_platform.realtime.tokens import Claims

log = logging.getLogger("realtime.db")

SQL_DIR = Path(__file__).parent / "sql"
SCHEMA_SQL = SQL_DIR / "realtime_schema.sql"
CAPTURE_SQL = SQL_DIR / "capture.sql"

PUBLICATION = "supabase_realtime"
TRIGGER = "_realtime_local_capture"
CHANNELS = ("_realtime_local_changes", "_realtime_local_messages", "_realtime_local_ddl")
CHANGES_RETENTION = "1 minute"
MESSAGES_RETENTION = "3 days"
TABLE_INFO_TTL = 10.0


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    generated: bool


@dataclass(frozen=True)
class TableInfo:
    oid: int
    schema: str
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    rls_enabled: bool
    replica_identity_full: bool

    @property
    def qualified(self) -> str:
        return f"{quote_ident(self.schema)}.{quote_ident(self.name)}"

    @property
    def column_types(self) -> dict[str, ColumnType]:
        return {column.name: column.type for column in self.columns}


@dataclass(frozen=True)
class Change:
    id: int
    txid: int
    schema: str
    table: str
    op: str  # INSERT | UPDATE | DELETE
    new: dict[str, Any] | None
    old: dict[str, Any] | None
    captured_at: str  # ISO 8601, UTC, milliseconds


@dataclass(frozen=True)
class BroadcastRow:
    id: str
    topic: str
    event: str
    payload: Any
    private: bool


@dataclass(frozen=True)
class ChannelAccess:
    broadcast_read: bool
    presence_read: bool


TABLES_SQL = """
select c.oid, n.nspname as schema, c.relname as name, c.relrowsecurity as rls, c.relreplident = 'f' as full_identity,
  coalesce((
    select array_agg(a.attname::text order by array_position(i.indkey::int2[], a.attnum))
    from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
    where i.indrelid = c.oid and i.indisprimary
  ), '{}') as pk,
  coalesce((
    select jsonb_agg(jsonb_build_object(
      'name', a.attname, 'type', t.typname, 'category', t.typcategory, 'generated', a.attgenerated <> '',
      'labels', (select jsonb_agg(e.enumlabel order by e.enumsortorder) from pg_enum e where e.enumtypid = t.oid)
    ) order by a.attnum)
    from pg_attribute a join pg_type t on t.oid = a.atttypid
    where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
  ), '[]') as columns
from pg_class c join pg_namespace n on n.oid = c.relnamespace
"""


def _table_from_row(row: asyncpg.Record) -> TableInfo:
    columns = tuple(
        Column(
            name=item["name"],
            type=ColumnType(item["type"], item["category"], tuple(item["labels"] or ())),
            generated=bool(item["generated"]),
        )
        for item in json.loads(row["columns"])
    )
    return TableInfo(
        oid=int(row["oid"]),
        schema=row["schema"],
        name=row["name"],
        columns=columns,
        primary_key=tuple(row["pk"]),
        rls_enabled=bool(row["rls"]),
        replica_identity_full=bool(row["full_identity"]),
    )


def _set_claims_sql() -> str:
    return (
        "select set_config('role', $1, true), set_config('request.jwt.claims', $2, true), "
        "set_config('request.jwt.claim.sub', $3, true), set_config('request.jwt.claim.role', $1, true), "
        "set_config('realtime.topic', $4, true)"
    )


async def _act_as(conn: asyncpg.Connection, claims: Claims, topic: str = "") -> None:
    await conn.execute(
        _set_claims_sql(),
        str(claims["role"]),
        json.dumps(claims),
        str(claims.get("sub") or ""),
        topic,
    )


class Database:
    def __init__(self, dsn: str):
        self.dsn = dsn
        self.pool: asyncpg.Pool | None = None
        self.published: dict[tuple[str, str], TableInfo] = {}
        self._table_cache: dict[tuple[str, str], tuple[float, TableInfo | None]] = {}
        self._listener: asyncpg.Connection | None = None
        self.listening = False

    # ------------------------------------------------------------ lifecycle

    async def connect(self, wait_for: float = 30.0) -> None:
        deadline = time.monotonic() + wait_for
        while True:
            try:
                self.pool = await asyncpg.create_pool(self.dsn, min_size=1, max_size=8)
                break
            except (OSError, asyncpg.PostgresError) as error:
                if time.monotonic() > deadline:
                    raise
                log.warning("database not reachable yet (%s); retrying", error)
                await asyncio.sleep(1)
        async with self.acquire() as conn, conn.transaction():
            await conn.execute("select pg_advisory_xact_lock(hashtext('_realtime_local'))")
            await conn.execute(SCHEMA_SQL.read_text())
            await conn.execute(CAPTURE_SQL.read_text())
        log.info("database ready: realtime schema and local change capture installed")

    async def close(self) -> None:
        if self._listener is not None and not self._listener.is_closed():
            await self._listener.close()
        if self.pool is not None:
            await self.pool.close()

    def acquire(self) -> Any:
        assert self.pool is not None, "Database.connect() first"
        return self.pool.acquire()

    async def listen_forever(
        self, on_notify: Callable[[str, str], None], on_connect: Callable[[], Awaitable[None]]
    ) -> None:
        """Keep a LISTEN connection open, reconnecting with backoff."""
        delay = 1.0

        def callback(_conn: object, _pid: int, channel: str, payload: object) -> None:
            on_notify(channel, str(payload))

        while True:
            try:
                conn = await asyncpg.connect(self.dsn)
                self._listener = conn
                for channel in CHANNELS:
                    await conn.add_listener(channel, callback)
                self.listening = True
                delay = 1.0
                log.info("listening for captured changes")
                await on_connect()
                while not conn.is_closed():
                    await asyncio.sleep(5)
                    await conn.execute("select 1")
            except asyncio.CancelledError:
                raise
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                log.error("change listener lost its connection (%s); reconnecting in %.0fs", error, delay)
            self.listening = False
            await asyncio.sleep(delay)
            delay = min(delay * 2, 15.0)

    # ------------------------------------------------------------ catalog

    async def refresh_publication(self) -> bool:
        """Reload the published tables and make their capture triggers match. Returns whether the set changed."""
        async with self.acquire() as conn:
            rows = await conn.fetch(
                TABLES_SQL
                + " where c.oid in (select (quote_ident(schemaname) || '.' || quote_ident(tablename))::regclass"
                " from pg_publication_tables where pubname = $1)",
                PUBLICATION,
            )
            tables = {(row["schema"], row["name"]): _table_from_row(row) for row in rows}
            triggered = {
                int(r["tgrelid"])
                for r in await conn.fetch(
                    "select tgrelid from pg_trigger where tgname = $1 and not tgisinternal", TRIGGER
                )
            }
            wanted = {table.oid: table for table in tables.values()}
            for oid in wanted.keys() - triggered:
                table = wanted[oid]
                await conn.execute(
                    f"create or replace trigger {TRIGGER} after insert or update or delete on {table.qualified} "
                    "for each row execute function _realtime_local.capture()"
                )
                log.info("capturing changes on %s.%s", table.schema, table.name)
            for oid in triggered - wanted.keys():
                name = await conn.fetchval("select $1::oid::regclass::text", oid)
                await conn.execute(f"drop trigger if exists {TRIGGER} on {name}")
                log.info("stopped capturing changes on %s (no longer in %s)", name, PUBLICATION)
        changed = set(tables) != set(self.published)
        self.published = tables
        self._table_cache.clear()
        return changed

    async def table_info(self, schema: str, name: str) -> TableInfo | None:
        """Any table (published or not), cached briefly; None if it does not exist."""
        key = (schema, name)
        cached = self._table_cache.get(key)
        if cached is not None and time.monotonic() - cached[0] < TABLE_INFO_TTL:
            return cached[1]
        async with self.acquire() as conn:
            row = await conn.fetchrow(
                TABLES_SQL + " where n.nspname = $1 and c.relname = $2 and c.relkind in ('r', 'p')", schema, name
            )
        info = _table_from_row(row) if row is not None else None
        self._table_cache[key] = (time.monotonic(), info)
        return info

    # ------------------------------------------------------------ captured data

    async def fetch_changes(self, ids: Sequence[int]) -> dict[int, Change]:
        async with self.acquire() as conn:
            rows = await conn.fetch(
                "select id, txid, schema_name, table_name, op, new_row::text as new_row, old_row::text as old_row,"
                " to_char(captured_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') as ts"
                " from _realtime_local.changes where id = any($1::bigint[])",
                list(ids),
            )
        return {
            int(row["id"]): Change(
                id=int(row["id"]),
                txid=int(row["txid"]),
                schema=row["schema_name"],
                table=row["table_name"],
                op=row["op"],
                new=json.loads(row["new_row"]) if row["new_row"] is not None else None,
                old=json.loads(row["old_row"]) if row["old_row"] is not None else None,
                captured_at=row["ts"],
            )
            for row in rows
        }

    async def fetch_broadcasts(self, ids: Iterable[str]) -> dict[str, BroadcastRow]:
        async with self.acquire() as conn:
            rows = await conn.fetch(
                "select id::text as id, topic, event, payload::text as payload, coalesce(private, false) as private"
                " from realtime.messages where id = any($1::uuid[]) and extension = 'broadcast'",
                list(ids),
            )
        return {
            row["id"]: BroadcastRow(
                id=row["id"],
                topic=row["topic"],
                event=row["event"] or "",
                payload=json.loads(row["payload"]) if row["payload"] is not None else None,
                private=bool(row["private"]),
            )
            for row in rows
        }

    async def prune(self) -> None:
        async with self.acquire() as conn:
            changes = await conn.execute(
                f"delete from _realtime_local.changes where captured_at < now() - interval '{CHANGES_RETENTION}'"
            )
            messages = await conn.execute(
                f"delete from realtime.messages where inserted_at < now() - interval '{MESSAGES_RETENTION}'"
            )
        for result, what in ((changes, "captured changes"), (messages, "broadcast messages")):
            count = int(result.split()[-1]) if result.startswith("DELETE") else 0
            if count:
                log.info("pruned %d old %s", count, what)

    # ------------------------------------------------------------ authorization as the subscriber

    async def row_visible(self, table: TableInfo, claims: Claims, row: dict[str, Any], change: Change) -> bool:
        """Can the subscriber select this row? Tables without RLS need only the SELECT privilege.
        For a DELETE, the rows the same transaction deleted are put back (inside a
        transaction that is rolled back) so policies see the world as it was."""
        role = str(claims["role"])
        async with self.acquire() as conn:
            if not table.rls_enabled:
                return bool(await conn.fetchval("select has_table_privilege($1, $2::oid, 'SELECT')", role, table.oid))
            if not table.primary_key:
                return False
            transaction = conn.transaction()
            await transaction.start()
            try:
                if change.op == "DELETE":
                    await self._restore_deleted(conn, change.txid)
                await _act_as(conn, claims)
                columns = ", ".join(f"t.{quote_ident(c)}" for c in table.primary_key)
                picked = ", ".join(f"r.{quote_ident(c)}" for c in table.primary_key)
                keys = {c: row.get(c) for c in table.primary_key}
                return bool(
                    await conn.fetchval(
                        f"select exists (select 1 from {table.qualified} t where ({columns}) = "
                        f"(select {picked} from jsonb_populate_record(null::{table.qualified}, $1::jsonb) r))",
                        json.dumps(keys),
                    )
                )
            except asyncpg.InsufficientPrivilegeError:
                return False
            except asyncpg.PostgresError as error:
                log.warning("visibility check on %s.%s failed, not delivering: %s", table.schema, table.name, error)
                return False
            finally:
                await transaction.rollback()

    async def _restore_deleted(self, conn: asyncpg.Connection, txid: int) -> None:
        rows = await conn.fetch(
            "select schema_name, table_name, old_row::text as old_row from _realtime_local.changes"
            " where txid = $1 and op = 'DELETE' order by id desc",
            txid,
        )
        await conn.execute("set local session_replication_role = replica")  # no triggers, no FK checks
        for row in rows:
            table = self.published.get((row["schema_name"], row["table_name"]))
            if table is None:
                continue
            names = ", ".join(quote_ident(c.name) for c in table.columns if not c.generated)
            await conn.execute(
                f"insert into {table.qualified} ({names}) overriding system value "
                f"select {names} from jsonb_populate_record(null::{table.qualified}, $1::jsonb) on conflict do nothing",
                row["old_row"],
            )
        await conn.execute("set local session_replication_role = origin")

    async def channel_read_access(self, topic: str, claims: Claims) -> ChannelAccess:
        """Supabase's model: a row per extension is written to realtime.messages, then
        selected back as the subscriber with realtime.topic() set; rolled back."""
        async with self.acquire() as conn:
            transaction = conn.transaction()
            await transaction.start()
            try:
                rows = await conn.fetch(
                    "insert into realtime.messages (topic, extension) values ($1, 'broadcast'), ($1, 'presence')"
                    " returning id, extension",
                    topic,
                )
                ids = {row["extension"]: row["id"] for row in rows}
                await _act_as(conn, claims, topic)
                visible = {
                    row["extension"]
                    for row in await conn.fetch(
                        "select extension from realtime.messages where topic = $1 and id = any($2::uuid[])",
                        topic,
                        list(ids.values()),
                    )
                }
                return ChannelAccess(broadcast_read="broadcast" in visible, presence_read="presence" in visible)
            except asyncpg.InsufficientPrivilegeError:
                return ChannelAccess(False, False)
            finally:
                await transaction.rollback()

    async def channel_write_access(self, topic: str, claims: Claims, extension: str) -> bool:
        async with self.acquire() as conn:
            transaction = conn.transaction()
            await transaction.start()
            try:
                await _act_as(conn, claims, topic)
                await conn.execute("insert into realtime.messages (topic, extension) values ($1, $2)", topic, extension)
                return True
            except asyncpg.InsufficientPrivilegeError:
                return False
            finally:
                await transaction.rollback()
