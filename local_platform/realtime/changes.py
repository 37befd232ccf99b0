"""postgres_changes delivery: match a captured change against subscriptions,
authorize it as each subscriber, and push it in Supabase's wire shape:

    {"ids": [<subscription ids>], "data": {"schema", "table", "commit_timestamp",
     "type", "columns": [{"name", "type"}], "record", "old_record", "errors"}}

realtime-js turns that into {schema, table, commit_timestamp, eventType, new, old, errors}."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from local_platform.realtime.database import Change, Database, TableInfo
from local_platform.realtime.hub import Channel, Hub
from local_platform.realtime.tokens import seconds_left

log = logging.getLogger("realtime.changes")


def old_record(change: Change, table: TableInfo) -> dict[str, Any]:
    """As Supabase: only the primary key unless the table has REPLICA IDENTITY FULL;
    deletes on RLS tables carry only the primary key even then."""
    old = change.old or {}
    full = table.replica_identity_full and not (change.op == "DELETE" and table.rls_enabled)
    if full or not table.primary_key:
        return dict(old)
    return {name: old.get(name) for name in table.primary_key}


def change_data(change: Change, table: TableInfo) -> dict[str, Any]:
    data: dict[str, Any] = {
        "schema": change.schema,
        "table": change.table,
        "commit_timestamp": change.captured_at,
        "type": change.op,
        "columns": [{"name": column.name, "type": column.type.name} for column in table.columns],
        "errors": None,
    }
    if change.op in ("INSERT", "UPDATE"):
        data["record"] = change.new or {}
    if change.op in ("UPDATE", "DELETE"):
        data["old_record"] = old_record(change, table)
    if not table.primary_key and table.rls_enabled:
        data["errors"] = ["Error 400: Bad Request, no primary key"]
    return data


class ChangeDispatcher:
    def __init__(self, db: Database, hub: Hub):
        self.db = db
        self.hub = hub

    async def deliver(self, change: Change) -> None:
        table = self.db.published.get((change.schema, change.table))
        if table is None:
            await self.db.refresh_publication()
            table = self.db.published.get((change.schema, change.table))
            if table is None:
                return  # no longer published
        candidates: list[tuple[Channel, list[int]]] = []
        for channel in self.hub.pg_channels():
            ids = [sub.id for sub in channel.pg_subscriptions if sub.wants(change, table)]
            if ids and seconds_left(channel.claims) > 0:
                candidates.append((channel, ids))
        if not candidates:
            return
        row = (change.old if change.op == "DELETE" else change.new) or {}
        groups: dict[str, list[tuple[Channel, list[int]]]] = {}
        claims_of: dict[str, dict[str, Any]] = {}
        for channel, ids in candidates:
            group = json.dumps(channel.claims, sort_keys=True)
            groups.setdefault(group, []).append((channel, ids))
            claims_of[group] = channel.claims
        verdicts = await asyncio.gather(
            *(self.db.row_visible(table, claims_of[group], row, change) for group in groups)
        )
        data = change_data(change, table)
        delivered = 0
        for group, visible in zip(groups, verdicts, strict=True):
            if not visible:
                continue
            for channel, ids in groups[group]:
                if channel.connection.closed or channel not in self.hub.topics.get(channel.key, ()):
                    continue
                channel.push("postgres_changes", {"ids": ids, "data": data}, with_join_ref=False)
                delivered += 1
        log.info(
            "%s %s.%s: %d matching channel(s), delivered to %d",
            change.op,
            change.schema,
            change.table,
            len(candidates),
            delivered,
        )
