"""The websocket and HTTP server: one Connection per socket, Phoenix channel
semantics per topic, and the background work that turns database
notifications into postgres_changes and broadcasts."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import time
import uuid
import zlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from local_platform.realtime.changes import ChangeDispatcher
from local_platform.realtime.database import Database
from local_platform.realtime.filters import FilterError, parse_filter, validate
from local_platform.realtime.hub import EVENTS, Channel, Hub, PgSubscription
from local_platform.realtime.protocol import (
    SUPPORTED_VSN,
    VSN_1,
    Broadcast,
    Frame,
    Message,
    ProtocolError,
    UserBroadcastPush,
    decode_binary,
    decode_text,
    encode,
)
from local_platform.realtime.tokens import Claims, TokenError, TokenVerifier, seconds_left

log = logging.getLogger("realtime")

QUEUE_LIMIT = 1000  # frames waiting for one socket before it is treated as too slow and closed
QUEUE_BYTES_LIMIT = 16 * 1024 * 1024  # the same, in bytes
HEARTBEAT_TIMEOUT = 60.0  # seconds without any frame from the client (realtime-js heartbeats every 25 s)
CLOSE_SLOW = 1013
CLOSE_IDLE = 1000
MAX_CHANNELS_PER_SOCKET = 100
PUBLICATION_POLL = 10.0
PRUNE_EVERY = 30.0


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    db_url: str
    jwks_url: str | None
    jwks: dict[str, Any] | None
    jwt_secret: str | None
    issuer: str | None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def subscription_id(params: dict[str, Any]) -> int:
    """A stable integer per subscription params (Supabase uses a hash of the params too)."""
    return zlib.crc32(json.dumps(params, sort_keys=True, default=str).encode()) & 0x7FFFFFF


class Realtime:
    """Process-wide state: the hub, the database, token verification and workers."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.hub = Hub()
        self.db = Database(settings.db_url)
        self.verifier = TokenVerifier(
            jwks_url=settings.jwks_url, jwks=settings.jwks, secret=settings.jwt_secret, issuer=settings.issuer
        )
        self.dispatcher = ChangeDispatcher(self.db, self.hub)
        self.connections: set[Connection] = set()
        self._notifications: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self.ready = False

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        await self.db.connect()
        await self.db.refresh_publication()
        await self.db.prune()
        self._tasks = [
            asyncio.create_task(self.db.listen_forever(self._on_notify, self._on_listen), name="listen"),
            asyncio.create_task(self._notification_worker(), name="notifications"),
            asyncio.create_task(self._housekeeping(), name="housekeeping"),
        ]
        self.ready = True
        tables = ", ".join(f"{s}.{t}" for s, t in sorted(self.db.published)) or "none"
        log.info("realtime ready on %s:%d; published tables: %s", self.settings.host, self.settings.port, tables)

    async def stop(self) -> None:
        self.ready = False
        for connection in list(self.connections):
            connection.abort("server shutting down", code=1001)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.db.close()

    async def _on_listen(self) -> None:
        await self.db.refresh_publication()

    def _on_notify(self, channel: str, payload: str) -> None:
        self._notifications.put_nowait((channel, payload))

    async def _housekeeping(self) -> None:
        last_prune = time.monotonic()
        while True:
            await asyncio.sleep(PUBLICATION_POLL)
            try:
                if await self.db.refresh_publication():
                    log.info("publication changed: %s", ", ".join(f"{s}.{t}" for s, t in sorted(self.db.published)))
                if time.monotonic() - last_prune > PRUNE_EVERY:
                    await self.db.prune()
                    last_prune = time.monotonic()
            except Exception:
                log.exception("housekeeping failed")

    async def _notification_worker(self) -> None:
        """Handle notifications in arrival (= commit) order, fetching rows in batches."""
        while True:
            batch = [await self._notifications.get()]
            while len(batch) < 500 and not self._notifications.empty():
                batch.append(self._notifications.get_nowait())
            try:
                await self._handle_notifications(batch)
            except Exception:
                log.exception("failed to handle %d database notification(s)", len(batch))

    async def _handle_notifications(self, batch: list[tuple[str, str]]) -> None:
        change_ids = [int(p) for c, p in batch if c == "_realtime_local_changes" and p.isdigit()]
        message_ids = [p for c, p in batch if c == "_realtime_local_messages"]
        if any(c == "_realtime_local_ddl" for c, _ in batch) and await self.db.refresh_publication():
            log.info("publication changed: %s", ", ".join(f"{s}.{t}" for s, t in sorted(self.db.published)))
        changes = await self.db.fetch_changes(change_ids) if change_ids else {}
        broadcasts = await self.db.fetch_broadcasts(message_ids) if message_ids else {}
        for channel_name, payload in batch:
            if channel_name == "_realtime_local_changes" and payload.isdigit():
                change = changes.get(int(payload))
                if change is not None:
                    await self.dispatcher.deliver(change)
            elif channel_name == "_realtime_local_messages":
                row = broadcasts.get(payload)
                if row is not None:
                    count = self.hub.broadcast(
                        (row.topic, row.private),
                        Broadcast(event=row.event, payload=row.payload, meta={"id": row.id}),
                    )
                    log.info("database broadcast %r on %s: delivered to %d", row.event, row.topic, count)

    # ------------------------------------------------------------ HTTP

    async def health(self, _request: Request) -> Response:
        body = {
            "status": "ok" if self.ready else "starting",
            "connections": len(self.connections),
            "channels": sum(1 for _ in self.hub.channels()),
            "listening": self.db.listening,
            "published_tables": [f"{s}.{t}" for s, t in sorted(self.db.published)],
        }
        return JSONResponse(body, status_code=200 if self.ready else 503)

    async def _request_claims(self, request: Request) -> tuple[Claims | None, Response | None]:
        apikey = request.headers.get("apikey") or request.query_params.get("apikey")
        bearer = request.headers.get("authorization", "")
        token = bearer[7:] if bearer.lower().startswith("bearer ") else None
        try:
            await self.verifier.verify(apikey)
            claims = await self.verifier.verify(token or apikey)
        except TokenError as error:
            log.warning("REST broadcast refused: %s", error.reason)
            return None, JSONResponse({"message": error.reason}, status_code=401)
        return claims, None

    async def _send_rest(self, claims: Claims, topic: str, event: str, message: Broadcast, private: bool) -> bool:
        if private and not await self.db.channel_write_access(topic, claims, "broadcast"):
            log.warning("REST broadcast to private topic %s refused for %s", topic, claims.get("sub"))
            return False
        count = self.hub.broadcast((topic, private), message)
        log.info("REST broadcast %r on %s: delivered to %d", event, topic, count)
        return True

    async def api_broadcast(self, request: Request) -> Response:
        """POST /api/broadcast {"messages": [{topic, event, payload, private}]} -> 202."""
        claims, refusal = await self._request_claims(request)
        if refusal is not None or claims is None:
            return refusal or Response(status_code=401)
        try:
            body = await request.json()
            messages = body["messages"]
            if not isinstance(messages, list):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"message": 'expected {"messages": [{topic, event, payload, private}]}'}, 400)
        for item in messages:
            if (
                not isinstance(item, dict)
                or not isinstance(item.get("topic"), str)
                or not isinstance(item.get("event"), str)
            ):
                return JSONResponse({"message": "each message needs a string topic and event"}, 400)
        for item in messages:
            message = Broadcast(event=item["event"], payload=item.get("payload"))
            await self._send_rest(claims, item["topic"], item["event"], message, bool(item.get("private")))
        return Response(status_code=202)

    async def api_broadcast_event(self, request: Request) -> Response:
        """POST /api/broadcast/{topic}/events/{event}[?private=true], body = the payload (httpSend)."""
        claims, refusal = await self._request_claims(request)
        if refusal is not None or claims is None:
            return refusal or Response(status_code=401)
        topic = request.path_params["topic"]
        event = request.path_params["event"]
        private = request.query_params.get("private") == "true"
        raw = await request.body()
        if request.headers.get("content-type", "").startswith("application/octet-stream"):
            message = Broadcast(event=event, raw=raw, binary=True)
        else:
            try:
                message = Broadcast(event=event, payload=json.loads(raw or b"null"), raw=raw)
            except ValueError:
                return JSONResponse({"message": "the body must be JSON"}, 400)
        if not await self._send_rest(claims, topic, event, message, private):
            return JSONResponse(
                {"message": f"You do not have permissions to write to this Channel topic: {topic}"}, 403
            )
        return Response(status_code=202)

    # ------------------------------------------------------------ websocket

    async def websocket(self, ws: WebSocket) -> None:
        params = ws.query_params
        peer = f"{ws.client.host}:{ws.client.port}" if ws.client else "?"
        requested = [p.strip() for p in ws.headers.get("sec-websocket-protocol", "").split(",") if p.strip()]
        apikey = ws.headers.get("x-api-key") or params.get("apikey")
        for protocol in requested:  # Phoenix can send the token as a subprotocol instead of a param
            if protocol.startswith("base64url.bearer.phx.") and not apikey:
                encoded = protocol.removeprefix("base64url.bearer.phx.")
                with contextlib.suppress(ValueError):
                    apikey = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
        vsn = params.get("vsn", VSN_1)
        if vsn not in SUPPORTED_VSN:
            log.warning("refused socket from %s: unsupported vsn %r", peer, vsn)
            await ws.close(code=1008)
            return
        try:
            socket_claims = await self.verifier.verify(apikey)
        except TokenError as error:
            log.warning("refused socket from %s: apikey %s", peer, error.reason)
            await ws.close(code=1008)  # before accept: the upgrade is answered 403
            return
        await ws.accept(subprotocol="phoenix" if "phoenix" in requested else None)
        connection = Connection(self, ws, vsn=vsn, apikey=str(apikey), claims=socket_claims, peer=peer)
        self.connections.add(connection)
        log.info("socket %s opened from %s (vsn %s, role %s)", connection.id, peer, vsn, socket_claims.get("role"))
        try:
            await connection.run()
        finally:
            self.connections.discard(connection)


class Connection:
    def __init__(self, app: Realtime, ws: WebSocket, *, vsn: str, apikey: str, claims: Claims, peer: str):
        self.app = app
        self.hub = app.hub
        self.ws = ws
        self.vsn = vsn
        self.apikey = apikey
        self.socket_claims = claims
        self.peer = peer
        self.id = uuid.uuid4().hex[:8]
        self.channels: dict[str, Channel] = {}
        self.queue: asyncio.Queue[Frame] = asyncio.Queue(maxsize=QUEUE_LIMIT)
        self.queued_bytes = 0
        self.closed = False
        self.close_code = 1000
        self.close_reason = "client closed"
        self.last_seen = time.monotonic()
        self._expiry: dict[str, asyncio.TimerHandle] = {}
        self._reader: asyncio.Task[None] | None = None

    # ------------------------------------------------------------ sending

    def send_frame(self, frame: Frame) -> None:
        if self.closed:
            return
        if self.queued_bytes + len(frame) > QUEUE_BYTES_LIMIT:
            self.abort(f"too slow: {self.queued_bytes} bytes waiting", code=CLOSE_SLOW)
            return
        try:
            self.queue.put_nowait(frame)
        except asyncio.QueueFull:
            self.abort(f"too slow: {self.queue.qsize()} frames waiting", code=CLOSE_SLOW)
            return
        self.queued_bytes += len(frame)

    def send_message(self, message: Message) -> None:
        self.send_frame(encode(message, self.vsn))

    def reply(self, message: Message | UserBroadcastPush, status: str, response: dict[str, Any]) -> None:
        if message.ref is None:
            return
        self.send_message(
            Message(
                topic=message.topic,
                event="phx_reply",
                payload={"status": status, "response": response},
                ref=message.ref,
                join_ref=message.join_ref,
            )
        )

    def abort(self, reason: str, *, code: int = 1000) -> None:
        if self.closed:
            return
        self.closed = True
        self.close_code = code
        self.close_reason = reason
        if self._reader is not None:
            self._reader.cancel()

    # ------------------------------------------------------------ lifecycle

    async def run(self) -> None:
        self._reader = asyncio.create_task(self._read())
        writer = asyncio.create_task(self._write())
        watchdog = asyncio.create_task(self._watchdog())
        try:
            await asyncio.wait({self._reader, writer, watchdog}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self.closed = True
            for task in (self._reader, writer, watchdog):
                task.cancel()
            for task in (self._reader, writer, watchdog):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            for channel in list(self.channels.values()):
                self._drop(channel)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(code=self.close_code), timeout=5)
            log.info("socket %s closed (%s)", self.id, self.close_reason)

    async def _write(self) -> None:
        while True:
            frame = await self.queue.get()
            self.queued_bytes -= len(frame)
            if isinstance(frame, bytes):
                await self.ws.send_bytes(frame)
            else:
                await self.ws.send_text(frame)

    async def _watchdog(self) -> None:
        while True:
            await asyncio.sleep(5)
            if time.monotonic() - self.last_seen > HEARTBEAT_TIMEOUT:
                self.abort(f"no heartbeat for {HEARTBEAT_TIMEOUT:.0f}s", code=CLOSE_IDLE)
                return

    async def _read(self) -> None:
        try:
            while True:
                event = await self.ws.receive()
                if event["type"] == "websocket.disconnect":
                    self.close_reason = f"client closed ({event.get('code', 1000)})"
                    return
                self.last_seen = time.monotonic()
                try:
                    if event.get("bytes") is not None:
                        await self.handle(decode_binary(event["bytes"]))
                    elif event.get("text") is not None:
                        await self.handle(decode_text(event["text"], self.vsn))
                except ProtocolError as error:
                    log.warning("socket %s: malformed frame: %s", self.id, error)
                    self.send_message(
                        Message(
                            topic=error.topic or "phoenix",
                            event="phx_reply",
                            payload={"status": "error", "response": {"reason": f"malformed message: {error}"}},
                            ref=error.ref,
                            join_ref=error.join_ref,
                        )
                    )
        except WebSocketDisconnect as disconnect:
            self.close_reason = f"client closed ({disconnect.code})"

    # ------------------------------------------------------------ dispatch

    async def handle(self, message: Message | UserBroadcastPush) -> None:
        if isinstance(message, UserBroadcastPush):
            channel = self.channels.get(message.topic)
            if channel is None:
                self.reply(message, "error", {"reason": "unmatched topic"})
                return
            try:
                payload = None if message.binary else json.loads(message.payload or b"null")
            except ValueError:
                self.reply(message, "error", {"reason": "broadcast payload is not JSON"})
                return
            broadcast = Broadcast(event=message.user_event, payload=payload, raw=message.payload, binary=message.binary)
            await self._broadcast(channel, message, broadcast)
            return
        if message.topic == "phoenix":
            if message.event == "heartbeat":
                self.reply(message, "ok", {})
            else:
                self.reply(message, "error", {"reason": f"unknown event {message.event!r} on topic phoenix"})
            return
        if message.event == "phx_join":
            await self._join(message)
            return
        channel = self.channels.get(message.topic)
        if channel is None:
            self.reply(message, "error", {"reason": "unmatched topic"})
            return
        if message.event == "phx_leave":
            self._drop(channel)
            self.reply(message, "ok", {})
            log.info("socket %s left %s", self.id, channel.describe())
        elif message.event == "broadcast":
            payload = message.payload if isinstance(message.payload, dict) else {}
            event = payload.get("event")
            if not isinstance(event, str):
                self.reply(message, "error", {"reason": "a broadcast needs {type, event, payload}"})
                return
            await self._broadcast(channel, message, Broadcast(event=event, payload=payload.get("payload")))
        elif message.event == "presence":
            await self._presence(channel, message)
        elif message.event == "access_token":
            await self._refresh_token(channel, message)
        else:
            log.info("socket %s: ignoring event %r on %s", self.id, message.event, message.topic)

    # ------------------------------------------------------------ join / leave

    async def _join(self, message: Message) -> None:
        topic = message.topic
        refuse = self._refuser(message)
        if not topic.startswith("realtime:"):
            refuse("unmatched topic")
            return
        sub_topic = topic.removeprefix("realtime:")
        if not sub_topic:
            refuse("TopicNameRequired: You must provide a topic name")
            return
        payload = _dict(message.payload)
        config = _dict(payload.get("config"))
        previous = self.channels.get(topic)
        if previous is not None:  # a rejoin replaces the old channel, as Phoenix does
            previous.push("phx_close", {})
            self._drop(previous)
        if len(self.channels) >= MAX_CHANNELS_PER_SOCKET:
            refuse("ChannelRateLimitReached: Too many channels")
            return
        token = payload.get("access_token") or payload.get("user_token") or self.apikey
        if not isinstance(token, str) or token.startswith("sb_"):
            token = self.apikey
        try:
            claims = await self.app.verifier.verify(token)
        except TokenError as error:
            refuse(error.reason)
            return
        broadcast_config = _dict(config.get("broadcast"))
        presence_config = _dict(config.get("presence"))
        if broadcast_config.get("replay") is not None:
            refuse("UnableToReplayMessages: Replay is not supported by the local realtime server")
            return
        private = bool(config.get("private"))
        channel = Channel(
            connection=self,
            topic=topic,
            join_ref=message.join_ref,
            private=private,
            claims=claims,
            token=token,
            self_broadcast=bool(broadcast_config.get("self")),
            ack_broadcast=bool(broadcast_config.get("ack")),
            presence_key=str(presence_config.get("key") or "") or str(uuid.uuid4()),
            presence_enabled=bool(presence_config.get("enabled")),
        )
        if private:
            access = await self.app.db.channel_read_access(sub_topic, claims)
            if not (access.broadcast_read or access.presence_read):
                refuse(f"Unauthorized: You do not have permissions to read from this Channel topic: {sub_topic}")
                return
            channel.broadcast_read, channel.presence_read = access.broadcast_read, access.presence_read
        raw_changes = config.get("postgres_changes") or []
        if not isinstance(raw_changes, list):
            raw_changes = []
        echoed: list[dict[str, Any]] = []
        subscriptions: list[PgSubscription] = []
        pg_error: str | None = None
        for params in raw_changes:
            if not isinstance(params, dict):
                continue
            echoed.append({**params, "id": subscription_id(params)})
            try:
                subscriptions.append(await self._pg_subscription(params))
            except FilterError as error:
                pg_error = pg_error or str(error)
        channel.pg_subscriptions = tuple(subscriptions) if pg_error is None else ()
        self.channels[topic] = channel
        self.hub.add(channel)
        self._schedule_expiry(channel)
        self.reply(message, "ok", {"postgres_changes": echoed})
        log.info(
            "socket %s joined %s (postgres_changes: %d, presence: %s)",
            self.id,
            channel.describe(),
            len(channel.pg_subscriptions),
            "on" if channel.presence_enabled else "off",
        )
        if echoed:
            if pg_error is None:
                channel.system("ok", "Subscribed to PostgreSQL", extension="postgres_changes")
            else:
                log.warning("socket %s: postgres_changes on %s refused: %s", self.id, topic, pg_error)
                channel.system("error", f"Error parsing `filter` params: {pg_error}", extension="postgres_changes")
        if broadcast_config.get("replication_ready"):
            channel.system("ok", "Replication connection established")
        if channel.presence_enabled and channel.presence_read:
            channel.push("presence_state", self.hub.presence_state(channel.key))

    def _refuser(self, message: Message) -> Callable[[str], None]:
        def refuse(reason: str) -> None:
            log.warning("socket %s: join %s refused: %s", self.id, message.topic, reason)
            self.reply(message, "error", {"reason": reason})

        return refuse

    async def _pg_subscription(self, params: dict[str, Any]) -> PgSubscription:
        event = str(params.get("event", "*")).upper()
        if event not in EVENTS:
            raise FilterError(f"event must be one of {', '.join(EVENTS)}, got {params.get('event')!r}")
        schema = params.get("schema")
        if not isinstance(schema, str) or not schema:
            raise FilterError("schema is required")
        table = params.get("table")
        if table is not None and not isinstance(table, str):
            raise FilterError("table must be a string")
        conditions = parse_filter(params.get("filter") if isinstance(params.get("filter"), str) else None)
        if table not in (None, "*", "") and schema != "*":
            assert isinstance(table, str)
            info = await self.app.db.table_info(schema, table)
            if info is None:
                raise FilterError(f"relation {schema}.{table} does not exist")
            validate(conditions, info.column_types)
        elif conditions:
            raise FilterError("a filter needs a schema and a table")
        return PgSubscription(
            id=subscription_id(params),
            event=event,
            schema=schema,
            table=table or None,
            conditions=conditions,
        )

    def _drop(self, channel: Channel) -> None:
        if self.channels.get(channel.topic) is channel:
            del self.channels[channel.topic]
        handle = self._expiry.pop(channel.topic, None)
        if handle is not None:
            handle.cancel()
        self.hub.remove(channel)

    def _shutdown(self, channel: Channel, reason: str) -> None:
        """Server-side close of one channel, as Supabase: a system error, then phx_close."""
        if self.channels.get(channel.topic) is not channel:
            return
        log.warning("socket %s: closing %s: %s", self.id, channel.describe(), reason)
        channel.system("error", reason)
        channel.push("phx_close", {})
        self._drop(channel)

    def _schedule_expiry(self, channel: Channel) -> None:
        old = self._expiry.pop(channel.topic, None)
        if old is not None:
            old.cancel()
        delay = max(0.0, seconds_left(channel.claims))
        self._expiry[channel.topic] = asyncio.get_running_loop().call_later(
            delay + 0.05, lambda: self._shutdown(channel, "Token has expired 0 seconds ago")
        )

    # ------------------------------------------------------------ channel events

    async def _can_write(self, channel: Channel, extension: str) -> bool:
        if not channel.private:
            return True
        allowed = channel.write_access.get(extension)
        if allowed is None:
            allowed = await self.app.db.channel_write_access(channel.sub_topic, channel.claims, extension)
            channel.write_access[extension] = allowed
        return allowed

    async def _broadcast(self, channel: Channel, message: Message | UserBroadcastPush, broadcast: Broadcast) -> None:
        if not await self._can_write(channel, "broadcast"):
            log.warning("socket %s: broadcast on %s refused by policy", self.id, channel.describe())
            if channel.ack_broadcast:
                self.reply(message, "error", {"reason": "You do not have permissions to write to this Channel topic"})
            return
        count = self.hub.broadcast(channel.key, broadcast, sender=channel)
        log.debug("broadcast %r on %s: delivered to %d", broadcast.event, channel.topic, count)
        if channel.ack_broadcast:
            self.reply(message, "ok", {})

    async def _presence(self, channel: Channel, message: Message) -> None:
        payload = message.payload if isinstance(message.payload, dict) else {}
        event = payload.get("event")
        if not await self._can_write(channel, "presence"):
            log.warning("socket %s: presence %s on %s refused by policy", self.id, event, channel.describe())
            self.reply(
                message, "error", {"reason": "You do not have permissions to track presence on this Channel topic"}
            )
            return
        if event == "track":
            meta = payload.get("payload", {})
            if not isinstance(meta, dict):
                self.reply(message, "error", {"reason": "Presence track payload must be a map"})
                return
            if not channel.presence_enabled:
                channel.presence_enabled = True
                if channel.presence_read:
                    channel.push("presence_state", self.hub.presence_state(channel.key))
            self.hub.track(channel, meta)
            log.info("socket %s tracks %r on %s", self.id, channel.presence_key, channel.describe())
            self.reply(message, "ok", {})
        elif event == "untrack":
            self.hub.untrack(channel)
            log.info("socket %s untracks %r on %s", self.id, channel.presence_key, channel.describe())
            self.reply(message, "ok", {})
        else:
            self.reply(message, "error", {"reason": f"unknown presence event {event!r}"})

    async def _refresh_token(self, channel: Channel, message: Message) -> None:
        payload = message.payload if isinstance(message.payload, dict) else {}
        token = payload.get("access_token")
        if not isinstance(token, str) or token == channel.token or token.startswith("sb_"):
            return
        try:
            claims = await self.app.verifier.verify(token)
        except TokenError as error:
            self._shutdown(channel, error.message)
            return
        if channel.private:
            access = await self.app.db.channel_read_access(channel.sub_topic, claims)
            revoked = (channel.broadcast_read and not access.broadcast_read) or (
                channel.presence_read and not access.presence_read
            )
            if revoked:
                self._shutdown(
                    channel, f"You no longer have permission to read from this Channel topic: {channel.sub_topic}"
                )
                return
            channel.broadcast_read, channel.presence_read = access.broadcast_read, access.presence_read
            channel.write_access.clear()
        channel.claims, channel.token = claims, token
        self._schedule_expiry(channel)
        log.info("socket %s: new access token on %s (valid %.0fs)", self.id, channel.describe(), seconds_left(claims))


def create_app(settings: Settings) -> Starlette:
    realtime = Realtime(settings)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await realtime.start()
        try:
            yield
        finally:
            await realtime.stop()

    routes = [
        Route("/health", realtime.health),
        Route("/api/health", realtime.health),
        Route("/api/broadcast", realtime.api_broadcast, methods=["POST"]),
        Route("/api/broadcast/{topic}/events/{event}", realtime.api_broadcast_event, methods=["POST"]),
        WebSocketRoute("/websocket", realtime.websocket),
        WebSocketRoute("/socket/websocket", realtime.websocket),
        WebSocketRoute("/realtime/v1/websocket", realtime.websocket),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.realtime = realtime
    return app
