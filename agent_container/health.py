"""The worker's health endpoint (CC_AGENT_HOST:CC_AGENT_PORT, default 127.0.0.1:8081).

GET / answers 200 only when a call dispatched now would be answered at once:
the worker is registered with livekit-server, livekit's own check (the
connection, the inference process) passes, and at least one warm job process
(speech models loaded by `prewarm`, no call yet) is ready to take it. Otherwise
503, saying which of these is missing. livekit-agents' own health server
answers 200 as soon as it listens, before the worker has registered and
while its job processes are still loading their models; a launcher or a load
balancer trusting it would send calls to a worker that cannot take them yet.
livekit's server moves to an ephemeral loopback port behind this one.

A worker whose every call slot is taken also answers 200: it is healthy, and
it reports itself full to livekit-server, which sends it no calls.

GET /worker passes livekit's worker info (name, load, jobs) through."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

import aiohttp
from aiohttp import web
from livekit.agents import AgentServer
from livekit.agents.ipc.job_executor import JobExecutor
from livekit.agents.ipc.proc_pool import ProcPool

log = logging.getLogger(__name__)

CHECK_TIMEOUT_SECONDS = 2.0
# How often and how long the health server looks for the process pool while AgentServer.run() creates it.
_POOL_POLL_SECONDS = 0.01
_POOL_POLLS = 3000


@dataclass(frozen=True)
class JobProcesses:
    # Initialized (models loaded) and not running a call: the next call starts in one of these.
    warm: int
    on_call: int
    # Started, still loading their models.
    starting: int

    def describe(self) -> str:
        return f"{self.warm} warm, {self.starting} starting, {self.on_call} on a call"


class JobProcessReadiness:
    """Which of an AgentServer's job processes are warm, from its process pool's events.

    livekit-agents 1.8.9 has no public accessor for the pool: AgentServer.run() creates it as
    `_proc_pool` and starts it a moment later. The pool's events ("process_ready" once a process is
    initialized, "process_job_launched" when a call takes it, "process_closed") are its public side."""

    def __init__(self) -> None:
        self._pool: ProcPool | None = None
        self._initialized: set[JobExecutor] = set()

    def watch(self, pool: ProcPool) -> None:
        # A process that became ready before this would count as starting: health errs towards 503, never 200.
        self._pool = pool
        pool.on("process_ready", self._on_ready)
        pool.on("process_closed", self._on_closed)

    # Named methods: the pool's emitter inspects each listener's signature, which builtins like set.add lack.
    def _on_ready(self, process: JobExecutor) -> None:
        self._initialized.add(process)

    def _on_closed(self, process: JobExecutor) -> None:
        self._initialized.discard(process)

    async def watch_when_created(self, server: AgentServer) -> None:
        """Watch the server's pool as soon as run() has created it (run() creates it before its first await and
        spawns its processes after: a task started just before run() sees it at once)."""
        for _ in range(_POOL_POLLS):
            if (pool := getattr(server, "_proc_pool", None)) is not None:
                self.watch(pool)
                return
            await asyncio.sleep(_POOL_POLL_SECONDS)
        log.error("the worker created no job process pool: health stays 503")

    def current(self) -> JobProcesses:
        if self._pool is None:
            return JobProcesses(warm=0, on_call=0, starting=0)
        processes = list(self._pool.processes)
        on_call = sum(1 for p in processes if p.running_job is not None)
        warm = sum(1 for p in processes if p.running_job is None and p in self._initialized)
        return JobProcesses(warm=warm, on_call=on_call, starting=len(processes) - on_call - warm)


class HealthServer:
    def __init__(self, server: AgentServer, *, host: str, port: int, max_calls: int) -> None:
        self._server = server
        self._host = host
        self._port = port
        self._max_calls = max_calls
        self._registered = False
        self.job_processes = JobProcessReadiness()
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
        processes = self.job_processes.current()
        if not self._registered:
            return web.Response(
                status=503, text=f"not registered with livekit-server yet (job processes: {processes.describe()})"
            )
        full = processes.on_call >= self._max_calls
        if processes.warm == 0 and not full:
            return web.Response(
                status=503, text=f"no warm job process to take a call yet (job processes: {processes.describe()})"
            )
        status, _content_type, text = await self._livekit("/")
        if status != 200:
            return web.Response(status=status, text=text)
        if full:
            return web.Response(text=f"OK, full: every call slot is taken (job processes: {processes.describe()})")
        return web.Response(text=f"OK (job processes: {processes.describe()})")

    async def _worker(self, _: web.Request) -> web.Response:
        status, content_type, text = await self._livekit("/worker")
        return web.Response(status=status, text=text, content_type=content_type)

    async def serve(self) -> None:
        """Serves until cancelled. Start it before AgentServer.run(): it answers 503 while the worker starts, and
        it must see the job processes become ready."""
        # Started just before run(), this returns at once, before any job process is spawned.
        await self.job_processes.watch_when_created(self._server)
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
