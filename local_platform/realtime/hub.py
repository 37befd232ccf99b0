"""Who is subscribed to what: channels by topic, presence by topic, and fan-out.

A topic is keyed by (sub-topic, private): as on Supabase, a public and a
private channel with the same name are different rooms."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from local_platform.realtime.filters import Condition, matches
from local_platform.realtime.protocol import Broadcast, Message

if TYPE_CHECKING:
    from local_platform.realtime.database import Change, TableInfo
    from local_platform.realtime.server import Connection
    from local_platform.realtime.tokens import Claims

log = logging.getLogger("realtime.hub")

TopicKey = tuple[str, bool]
EVENTS = ("INSERT", "UPDATE", "DELETE", "*")


@dataclass(frozen=True)
class PgSubscription:
    id: int
    event: str  # INSERT | UPDATE | DELETE | *
    schema: str  # or *
    table: str | None  # None or * = every table of the schema
    conditions: tuple[Condition, ...]

    def wants(self, change: Change, table: TableInfo) -> bool:
        if self.event != "*" and self.event != change.op:
            return False
        if self.schema != "*" and self.schema != change.schema:
            return False
        if self.table not in (None, "*") and self.table != change.table:
            return False
        if not self.conditions:
            return True
        row = change.old if change.op == "DELETE" else change.new
        return row is not None and matches(self.conditions, row, table.column_types)


@dataclass(eq=False)
class Channel:
    connection: Connection
    topic: str  # "realtime:<sub_topic>"
    join_ref: str | None
    private: bool
    claims: Claims
    token: str
    self_broadcast: bool = False
    ack_broadcast: bool = False
    presence_key: str = ""
    presence_enabled: bool = False
    pg_subscriptions: tuple[PgSubscription, ...] = ()
    broadcast_read: bool = True
    presence_read: bool = True
    write_access: dict[str, bool] = field(default_factory=dict)  # private channels: extension -> allowed

    @property
    def sub_topic(self) -> str:
        return self.topic.removeprefix("realtime:")

    @property
    def key(self) -> TopicKey:
        return (self.sub_topic, self.private)

    def push(self, event: str, payload: Any, *, with_join_ref: bool = True) -> None:
        self.connection.send_message(
            Message(
                topic=self.topic,
                event=event,
                payload=payload,
                ref=self.join_ref if event == "phx_close" else None,
                join_ref=self.join_ref if with_join_ref else None,
            )
        )

    def system(self, status: str, message: str, extension: str = "system") -> None:
        self.push("system", {"extension": extension, "status": status, "message": message, "channel": self.sub_topic})

    def describe(self) -> str:
        who = self.claims.get("sub") or self.claims.get("role")
        return f"{self.topic}{' (private)' if self.private else ''} as {who}"


@dataclass(eq=False)
class PresenceEntry:
    channel: Channel
    ref: str
    meta: dict[str, Any]

    def wire(self, previous_ref: str | None = None) -> dict[str, Any]:
        out = {**self.meta, "phx_ref": self.ref}
        if previous_ref is not None:
            out["phx_ref_prev"] = previous_ref
        return out


class Hub:
    def __init__(self) -> None:
        self.topics: dict[TopicKey, set[Channel]] = {}
        self.presence: dict[TopicKey, dict[str, list[PresenceEntry]]] = {}
        self._refs = itertools.count(1)

    # ------------------------------------------------------------ membership

    def add(self, channel: Channel) -> None:
        self.topics.setdefault(channel.key, set()).add(channel)

    def remove(self, channel: Channel) -> None:
        self.untrack(channel)
        members = self.topics.get(channel.key)
        if members is not None:
            members.discard(channel)
            if not members:
                del self.topics[channel.key]

    def channels(self) -> Iterator[Channel]:
        for members in list(self.topics.values()):
            yield from list(members)

    def pg_channels(self) -> list[Channel]:
        return [channel for channel in self.channels() if channel.pg_subscriptions]

    # ------------------------------------------------------------ broadcast

    def broadcast(self, key: TopicKey, message: Broadcast, *, sender: Channel | None = None) -> int:
        """Deliver to every channel on the topic (not the sender unless it asked for self). Returns the count."""
        delivered = 0
        for channel in list(self.topics.get(key, ())):
            if channel is sender and not channel.self_broadcast:
                continue
            if channel.private and not channel.broadcast_read:
                continue
            frame = message.frame(channel.topic, channel.connection.vsn)
            if frame is None:
                continue
            channel.connection.send_frame(frame)
            delivered += 1
        return delivered

    # ------------------------------------------------------------ presence

    def presence_state(self, key: TopicKey) -> dict[str, Any]:
        return {
            presence_key: {"metas": [entry.wire() for entry in entries]}
            for presence_key, entries in self.presence.get(key, {}).items()
        }

    def _send_diff(self, key: TopicKey, joins: dict[str, Any], leaves: dict[str, Any]) -> None:
        diff = {"joins": joins, "leaves": leaves}
        for channel in list(self.topics.get(key, ())):
            if channel.presence_enabled and (not channel.private or channel.presence_read):
                channel.push("presence_diff", diff, with_join_ref=False)

    def track(self, channel: Channel, meta: dict[str, Any]) -> None:
        entries = self.presence.setdefault(channel.key, {}).setdefault(channel.presence_key, [])
        previous = next((entry for entry in entries if entry.channel is channel), None)
        entry = PresenceEntry(channel=channel, ref=f"rt{next(self._refs)}", meta=meta)
        leaves: dict[str, Any] = {}
        if previous is not None:
            entries.remove(previous)
            leaves = {channel.presence_key: {"metas": [previous.wire()]}}
        entries.append(entry)
        joins = {channel.presence_key: {"metas": [entry.wire(previous.ref if previous else None)]}}
        self._send_diff(channel.key, joins, leaves)

    def untrack(self, channel: Channel) -> bool:
        by_key = self.presence.get(channel.key)
        if not by_key:
            return False
        entries = by_key.get(channel.presence_key, [])
        mine = [entry for entry in entries if entry.channel is channel]
        if not mine:
            return False
        for entry in mine:
            entries.remove(entry)
        if not entries:
            del by_key[channel.presence_key]
        if not by_key:
            del self.presence[channel.key]
        self._send_diff(channel.key, {}, {channel.presence_key: {"metas": [entry.wire() for entry in mine]}})
        return True
