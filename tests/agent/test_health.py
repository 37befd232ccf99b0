"""The worker's health endpoint (agent_container.health) answers 200 only once a
warm job process can take a call.

The defect it guards against: under load a worker's job processes took longer
to load their models than livekit-agents waits for them, the worker registered
with livekit-server anyway, and health turned green while no process could
run a call. These tests reproduce that order of events with livekit-agents'
real process pool and a real AgentServer registering with the running
livekit-server; job processes run as threads here so the test can hold their
model loading (`prewarm`) until it chooses."""

from __future__ import annotations

import asyncio
import multiprocessing
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from livekit.agents import AgentServer, JobContext, JobExecutorType, JobProcess
from livekit.agents.ipc.proc_pool import ProcPool

from agent_container.health import HealthServer, JobProcesses, JobProcessReadiness
from callcenter.settings import Settings, get_settings

# livekit-agents waits initialize + 2 s for the idle processes before registering; a process whose model
# loading takes longer than initialize is replaced, and the worker registers while the replacement loads.
INITIALIZE_TIMEOUT_S = 2.0


class Gate:
    """Holds every job process in `prewarm` until opened (their models 'load' only then)."""

    def __init__(self) -> None:
        self._open = threading.Event()

    def prewarm(self, _: JobProcess) -> None:
        self._open.wait(60)

    def open(self) -> None:
        self._open.set()


async def wait_for(check: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {within:.0f}s")
        await asyncio.sleep(0.05)


async def test_a_job_process_counts_as_warm_only_once_its_models_are_loaded() -> None:
    gate = Gate()

    async def entrypoint(_: JobContext) -> None:
        return None

    pool = ProcPool(
        initialize_process_fnc=gate.prewarm,
        job_entrypoint_fnc=entrypoint,
        session_end_fnc=None,
        simulation_end_fnc=None,
        num_idle_processes=2,
        initialize_timeout=30,
        close_timeout=2,
        session_end_timeout=2,
        inference_executor=None,
        job_executor_type=JobExecutorType.THREAD,
        mp_ctx=multiprocessing.get_context("forkserver"),
        memory_warn_mb=0,
        memory_limit_mb=0,
        http_proxy=None,
        loop=asyncio.get_running_loop(),
    )
    readiness = JobProcessReadiness()
    readiness.watch(pool)
    starting = asyncio.create_task(pool.start())
    try:
        await wait_for(lambda: readiness.current().starting == 2, 10, "the pool did not start two processes")
        await asyncio.sleep(0.5)
        assert readiness.current() == JobProcesses(warm=0, on_call=0, starting=2)

        gate.open()
        await wait_for(lambda: readiness.current().warm == 2, 10, "the processes did not become warm")
        assert readiness.current() == JobProcesses(warm=2, on_call=0, starting=0)
        await starting
    finally:
        gate.open()
        await pool.aclose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def live_settings() -> Settings:
    settings = get_settings()
    if not settings.livekit_api_secret:
        pytest.fail("LIVEKIT_API_SECRET is not set: run ./dev up (it writes .local/runtime.env)", pytrace=False)
    return settings


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


@pytest.fixture
async def slow_worker(live_settings: Settings) -> AsyncIterator[tuple[AgentServer, HealthServer, Gate, str]]:
    """A worker registering under an agent name of its own whose job processes load only when the gate opens,
    with the HealthServer started just before it, as agent_container.worker does."""
    gate = Gate()
    server = AgentServer(
        ws_url=live_settings.livekit_url,
        api_key=live_settings.livekit_api_key,
        api_secret=live_settings.livekit_api_secret,
        host="127.0.0.1",
        port=0,
        setup_fnc=gate.prewarm,
        num_idle_processes=1,
        job_executor_type=JobExecutorType.THREAD,
        initialize_process_timeout=INITIALIZE_TIMEOUT_S,
    )

    async def entrypoint(_: JobContext) -> None:
        return None

    server.rtc_session(entrypoint, agent_name=f"health-test-{uuid.uuid4().hex[:8]}")
    port = free_port()
    health = HealthServer(server, host="127.0.0.1", port=port, max_calls=1)
    tasks: list[asyncio.Task[Any]] = [asyncio.create_task(health.serve())]
    tasks.append(asyncio.create_task(server.run()))
    try:
        yield server, health, gate, f"http://127.0.0.1:{port}/"
    finally:
        gate.open()
        await server.aclose()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def test_a_registered_worker_is_unhealthy_until_a_job_process_is_warm(
    slow_worker: tuple[AgentServer, HealthServer, Gate, str],
) -> None:
    server, health, gate, url = slow_worker
    registered = asyncio.Event()
    server.on("worker_registered", lambda *_: registered.set())

    async def health_now() -> tuple[int, str] | None:
        try:
            return await get(url)
        except aiohttp.ClientConnectionError:
            return None  # not listening yet

    answers: list[tuple[int, str]] = []
    deadline = time.monotonic() + INITIALIZE_TIMEOUT_S + 20
    while not registered.is_set():
        assert time.monotonic() < deadline, f"the worker did not register; health said {answers[-3:]}"
        if (answer := await health_now()) is not None:
            answers.append(answer)
        await asyncio.sleep(0.1)
    before = [answer for answer in answers if answer[0] != 503]
    assert not before, f"healthy before registering: {before}"
    assert any("not registered" in text for _, text in answers), answers

    # Registered, its first process replaced after timing out, the replacement still loading: not ready.
    assert health.job_processes.current().warm == 0
    for _ in range(5):
        answer = await health_now()
        assert answer is not None
        status, text = answer
        assert status == 503, text
        assert "no warm job process" in text and "0 warm" in text, text
        await asyncio.sleep(0.1)

    gate.open()
    await wait_for(lambda: health.job_processes.current().warm >= 1, 15, "no process became warm")
    status, text = await get(url)
    assert status == 200, text
    assert "1 warm" in text, text
    status, worker = await get(url + "worker")
    assert status == 200 and '"agent_name": "health-test-' in worker, worker
