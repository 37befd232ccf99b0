"""The realtime server at the frame level, run in-process on a free port against
the local Postgres: heartbeats, malformed frames, refused sockets and joins,
vsn 1.0.0, and a slow client that must not stall the others."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import jwt
import pytest
import uvicorn
from jwt.algorithms import ECAlgorithm
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from callcenter.settings import LOCAL_STATE_DIR, get_settings
from local_platform.realtime import server as server_module
from local_platform.realtime.server import Realtime, Settings, create_app

SECRETS = json.loads((LOCAL_STATE_DIR / "secrets" / "local-secrets.json").read_text())
JWK = SECRETS["private_jwk"]
ANON = SECRETS["anon_key"]


def sign(claims: dict[str, Any]) -> str:
    key = ECAlgorithm.from_jwk(json.dumps(JWK))
    return jwt.encode(claims, key, algorithm="ES256", headers={"kid": JWK["kid"]})  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(self, url: str, realtime: Realtime):
        self.url = url
        self.realtime = realtime

    def socket_url(self, *, apikey: str = ANON, vsn: str = "2.0.0") -> str:
        return f"{self.url}/websocket?apikey={apikey}&vsn={vsn}"


@pytest.fixture(scope="module")
async def server() -> AsyncIterator[Server]:
    settings = get_settings()
    port = free_port()
    public = {k: v for k, v in JWK.items() if k != "d"}
    app = create_app(
        Settings(
            host="127.0.0.1",
            port=port,
            db_url=settings.database_url,
            jwks_url=None,
            jwks={"keys": [public]},
            jwt_secret=None,
            issuer=settings.jwt_issuer,
        )
    )
    uv = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, ws="websockets-sansio", lifespan="on", log_level="warning")
    )
    task = asyncio.create_task(uv.serve())
    deadline = time.monotonic() + 20
    while not uv.started:
        assert time.monotonic() < deadline, "the realtime server did not start"
        assert not task.done(), "the realtime server stopped during startup"
        await asyncio.sleep(0.05)
    yield Server(f"ws://127.0.0.1:{port}", app.state.realtime)
    uv.should_exit = True
    await asyncio.wait_for(task, 15)


async def send(ws: ClientConnection, *frame: Any) -> None:
    await ws.send(json.dumps(list(frame)))


async def receive(ws: ClientConnection, wait: float = 5) -> Any:
    raw = await asyncio.wait_for(ws.recv(), wait)
    return raw if isinstance(raw, bytes) else json.loads(raw)


async def reply_to(ws: ClientConnection, ref: str, wait: float = 5) -> Any:
    """The phx_reply for `ref`, skipping other frames."""
    deadline = time.monotonic() + wait
    while True:
        frame = await receive(ws, max(0.1, deadline - time.monotonic()))
        if isinstance(frame, list) and frame[3] == "phx_reply" and frame[1] == ref:
            return frame


async def wait_until(condition: Callable[[], bool], what: str, wait: float = 10) -> None:
    async with asyncio.timeout(wait):
        while not condition():  # noqa: ASYNC110 - polling server state from the test
            await asyncio.sleep(0.02)
    assert condition(), what


async def test_heartbeat(server: Server) -> None:
    async with connect(server.socket_url()) as ws:
        await send(ws, None, "1", "phoenix", "heartbeat", {})
        assert await receive(ws) == [None, "1", "phoenix", "phx_reply", {"status": "ok", "response": {}}]


async def test_malformed_frames_get_an_error_and_the_socket_survives(server: Server) -> None:
    async with connect(server.socket_url()) as ws:
        await ws.send("this is not json")
        frame = await receive(ws)
        assert frame[2:4] == ["phoenix", "phx_reply"] and frame[4]["status"] == "error"
        assert "malformed message" in frame[4]["response"]["reason"]

        await ws.send(json.dumps([None, "2", "realtime:x", None, {}]))
        frame = await receive(ws)
        assert frame[1:4] == ["2", "realtime:x", "phx_reply"] and frame[4]["status"] == "error"

        await ws.send(b"\x09\x00\x00")
        frame = await receive(ws)
        assert frame[4]["status"] == "error" and "binary frame" in frame[4]["response"]["reason"]

        await send(ws, None, "3", "realtime:never-joined", "broadcast", {"type": "broadcast", "event": "e"})
        assert (await reply_to(ws, "3"))[4] == {"status": "error", "response": {"reason": "unmatched topic"}}

        await send(ws, None, "4", "phoenix", "heartbeat", {})
        assert (await reply_to(ws, "4"))[4]["status"] == "ok"


async def test_vsn_1_uses_json_objects(server: Server) -> None:
    async with connect(server.socket_url(vsn="1.0.0")) as ws:
        await ws.send(json.dumps({"topic": "phoenix", "event": "heartbeat", "payload": {}, "ref": "1"}))
        assert await receive(ws) == {
            "join_ref": None,
            "ref": "1",
            "topic": "phoenix",
            "event": "phx_reply",
            "payload": {"status": "ok", "response": {}},
        }


async def test_a_socket_with_a_bad_apikey_is_refused(server: Server) -> None:
    for apikey in ("garbage", sign({"role": "anon", "exp": int(time.time()) - 5, "iss": get_settings().jwt_issuer})):
        with pytest.raises(InvalidStatus) as caught:
            async with connect(server.socket_url(apikey=apikey)):
                pass
        assert caught.value.response.status_code == 403


async def test_a_join_with_a_bad_access_token_is_refused(server: Server) -> None:
    expired = sign({"sub": "x", "role": "authenticated", "exp": int(time.time()) - 5, "iss": get_settings().jwt_issuer})
    async with connect(server.socket_url()) as ws:
        await send(ws, "1", "1", "realtime:room", "phx_join", {"config": {}, "access_token": expired})
        frame = await reply_to(ws, "1")
        assert frame[4]["status"] == "error"
        assert frame[4]["response"]["reason"].startswith("InvalidJWTToken: Token has expired")
        await send(ws, "2", "2", "realtime:", "phx_join", {"config": {}})
        assert "TopicNameRequired" in (await reply_to(ws, "2"))[4]["response"]["reason"]


async def test_a_slow_client_is_dropped_without_stalling_others(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server_module, "QUEUE_LIMIT", 20)
    topic = f"realtime:slow-{time.monotonic_ns()}"
    join = {"config": {"broadcast": {"self": False}}}
    # The slow client is a bare TCP socket that completes the handshake, joins, and never reads again.
    host, port = server.url.removeprefix("ws://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        (
            f"GET /websocket?apikey={ANON}&vsn=2.0.0 HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    assert b" 101 " in await reader.readuntil(b"\r\n\r\n")
    join_frame = json.dumps(["1", "1", topic, "phx_join", join]).encode()
    mask = b"\x00\x00\x00\x00"  # a zero mask leaves the payload as is
    writer.write(bytes([0x81, 0x80 | 126]) + len(join_frame).to_bytes(2, "big") + mask + join_frame)
    await writer.drain()
    slow_port = writer.get_extra_info("sockname")[1]
    async with connect(server.socket_url()) as fast, connect(server.socket_url()) as sender:
        for ws in (fast, sender):
            await send(ws, "1", "1", topic, "phx_join", join)
        for ws in (fast, sender):
            assert (await reply_to(ws, "1"))[4]["status"] == "ok"
        (slow_connection,) = [c for c in server.realtime.connections if c.peer.endswith(f":{slow_port}")]
        await wait_until(lambda: topic in slow_connection.channels, "the slow client's join")

        # The fast client reads each message before the next is sent, so only the slow one can fall behind.
        count = 300  # about 20 MB: more than the kernel buffers for a client that does not read
        payload = {"type": "broadcast", "event": "big", "payload": {"blob": "x" * 65536}}
        started = time.monotonic()
        for i in range(count):
            await send(sender, "1", str(100 + i), topic, "broadcast", payload)
            frame = await receive(fast, wait=5)
            assert frame[2:4] == [topic, "broadcast"]
        assert time.monotonic() - started < 30
        await wait_until(lambda: slow_connection.close_code == 1013, "the slow client to be dropped")
        assert slow_connection.closed and slow_connection.close_code == 1013
        assert "too slow" in slow_connection.close_reason
    writer.close()
