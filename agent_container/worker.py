"""The worker process: an AgentServer registered under the configured agent
name (explicit dispatch only: a call's room asks for it by name), serving its
health on CC_AGENT_HOST:CC_AGENT_PORT (default 127.0.0.1:8081; 200 once
registered with a warm job process ready) and running the call supervisor
next to it in the main process. Each job process loads the speech models once
(`prewarm`) and shares them with the calls it runs."""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from livekit.agents import AgentServer, JobContext, JobProcess

from agent_container.health import HealthServer
from agent_container.providers import SharedModels
from agent_container.session import run_call
from agent_container.supervisor import CallSupervisor
from callcenter.db import Database
from callcenter.settings import Settings, get_settings

log = logging.getLogger(__name__)

DEFAULT_PORT = 8081
# Loopback unless told otherwise (CC_AGENT_HOST=0.0.0.0 in the container, for the load balancer's checks).
DEFAULT_HOST = "127.0.0.1"
# Calls one worker takes at once (CC_AGENT_MAX_CALLS). The worker reports itself full at that many jobs:
# livekit's default, CPU load, marks a small busy host unavailable even when it has room for a call.
DEFAULT_MAX_CALLS = 4
_MODELS_KEY = "callcenter_models"
_DATABASE_KEY = "callcenter_database"


def health_port() -> int:
    return int(os.environ.get("CC_AGENT_PORT") or DEFAULT_PORT)


def health_host() -> str:
    return os.environ.get("CC_AGENT_HOST") or DEFAULT_HOST


def max_calls() -> int:
    return max(1, int(os.environ.get("CC_AGENT_MAX_CALLS") or DEFAULT_MAX_CALLS))


def load(server: AgentServer) -> float:
    """The share of the worker's call slots in use (1.0: full)."""
    return min(1.0, len(server.active_jobs) / max_calls())


def prewarm(proc: JobProcess) -> None:
    settings = get_settings()
    models = SharedModels(settings)
    models.prewarm()
    proc.userdata[_MODELS_KEY] = models
    proc.userdata[_DATABASE_KEY] = Database(settings)


def export_livekit_environment(settings: Settings) -> None:
    """livekit-agents reads the server and keys from the environment; locally they come from the runtime file."""
    os.environ.setdefault("LIVEKIT_URL", settings.livekit_url)
    os.environ.setdefault("LIVEKIT_API_KEY", settings.livekit_api_key)
    if settings.livekit_api_secret:
        os.environ.setdefault("LIVEKIT_API_SECRET", settings.livekit_api_secret)


def build_server(settings: Settings | None = None) -> AgentServer:
    settings = settings or get_settings()
    export_livekit_environment(settings)
    server = CallCenterServer(
        settings,
        ws_url=settings.livekit_url,
        api_key=settings.livekit_api_key,
        api_secret=settings.livekit_api_secret,
        # livekit's own HTTP server answers before the worker is registered: it moves to an ephemeral
        # loopback port behind the HealthServer.
        host="127.0.0.1",
        port=0,
        setup_fnc=prewarm,
        load_fnc=load,
        # One warm process per call slot. livekit-agents estimates a new job's load from the idle pool
        # (threshold / idle processes), so a smaller pool refuses simultaneous calls the worker has room for,
        # and livekit-server drops a dispatch every worker refused.
        num_idle_processes=max_calls(),
        # Full when every call slot is taken (load reaches 1.0).
        load_threshold=0.99,
        # Loading whisper, piper, silero and the embedder takes a few seconds on a small machine.
        initialize_process_timeout=90.0,
    )

    server.rtc_session(call, agent_name=settings.livekit_agent_name)
    return server


class CallCenterServer(AgentServer):
    """An AgentServer with the health endpoint and the call supervisor on its event loop. They start just before
    the server itself: the health endpoint answers (503) while the models load, and it watches the job
    processes become ready from the start."""

    def __init__(self, settings: Settings, **options: Any) -> None:
        super().__init__(**options)
        self._settings = settings

    async def run(self, *, devmode: bool = False, unregistered: bool = False) -> None:
        health = HealthServer(self, host=health_host(), port=health_port(), max_calls=max_calls())
        beside = [
            asyncio.create_task(health.serve(), name="health"),
            asyncio.create_task(CallSupervisor(self._settings).run(), name="call-supervisor"),
        ]
        for task in beside:
            task.add_done_callback(_report_stopped)
        try:
            await super().run(devmode=devmode, unregistered=unregistered)
        finally:
            for task in beside:
                task.cancel()


def _report_stopped(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("%s stopped: %r", task.get_name(), error, exc_info=error)


async def call(ctx: JobContext) -> None:
    """One call (runs in a job process; module level so the process pool can pickle it)."""
    models = ctx.proc.userdata.get(_MODELS_KEY)
    database = ctx.proc.userdata.get(_DATABASE_KEY)
    if not isinstance(models, SharedModels) or not isinstance(database, Database):  # prewarm did not run
        models = SharedModels(get_settings())
        database = Database(models.settings)
    ctx.log_context_fields = {"room": ctx.room.name}
    await run_call(ctx, models, database)
