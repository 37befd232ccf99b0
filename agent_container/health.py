"""The worker's health endpoint (CC_AGENT_HOST:CC_AGENT_PORT, default 127.0.0.1:8081).

livekit-agents' own health server answers 200 as soon as it listens, before
the worker has registered with livekit-server, so a launcher or a load
balancer would call the worker ready while no call can reach it yet. This one
answers 200 only once the worker is registered and livekit's own check (the
connection, the inference process) passes; livekit's server moves to an
ephemeral loopback port behind it. GET /worker passes livekit's worker info
(name, load, jobs) through."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import aiohttp
from aiohttp import web
from livekit.agents import AgentServer

log = logging.getLogger(__name__)

CHECK_TIMEOUT_SECONDS = 2.0


class HealthServer:
    def __init__(self, server: AgentServer, *, host: str, port: int) -> None:
        self._server = server
        self._host = host
        self._port = port
        self._registered = False
        server.on("worker_registered", self._on_registered)

    def _on_registered(self, *_: object) -> None:
        self._registered = True

    async def _livekit(self, path: str) -> tuple[int, str, str]:
        port = self._server.worker_info.http_port
        if not port:
            return 503, "text/plain", "the worker's HTTP server is not running"
        timeout = aiohttp.ClientTimeout(total=CHECK_TIMEOUT_SECONDS)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.get(f"http://127.0.0.1:{port}{path}") as response,
            ):
                return response.status, response.content_type, await response.text()
        except (aiohttp.ClientError, TimeoutError) as error:
            return 503, "text/plain", f"the worker does not answer: {error!r}"

    async def _health(self, _: web.Request) -> web.Response:
        if not self._registered:
            return web.Response(status=503, text="not registered with livekit-server yet")
        status, _content_type, text = await self._livekit("/")
        return web.Response(status=status, text=text)

    async def _worker(self, _: web.Request) -> web.Response:
        status, content_type, text = await self._livekit("/worker")
        return web.Response(status=status, text=text, content_type=content_type)

    async def serve(self) -> None:
        """Serves until cancelled (the CLI cancels every task of the worker's loop at shutdown)."""
        app = web.Application()
        app.add_routes([web.get("/", self._health), web.get("/worker", self._worker)])
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, self._host, self._port).start()
            log.info("health on http://%s:%d/", self._host, self._port)
            await asyncio.Event().wait()
        finally:
            with contextlib.suppress(Exception):
                await runner.cleanup()
