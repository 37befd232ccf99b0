"""Fixtures for the voice tests: the real livekit-server (the launcher's, started
through its service if it is not running), the real agent worker (the
launcher's if it is running, otherwise one started here), a synthetic
caller's voice and ears, and a workspace with known knowledge."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from callcenter.settings import Settings, get_settings
from local_platform.layout import PORTS
from tests.db import dbkit
from tests.voice import speech
from tests.voice.workers import WorkerProcess, agent_container_present, health_ok


@pytest.fixture(scope="session")
def settings() -> Settings:
    configured = get_settings()
    if not configured.livekit_api_secret:
        pytest.fail("LIVEKIT_API_SECRET is not set: run ./dev up (it writes .local/runtime.env)", pytrace=False)
    return configured


@pytest.fixture(scope="session")
def livekit_server(settings: Settings) -> str:
    """The launcher's livekit-server; started (built if needed) when it is not running."""
    from local_platform.services.livekit import LiveKit

    server = LiveKit()
    if not server.running():
        server.install()
        server.start()
    return settings.livekit_url


@pytest.fixture(scope="session")
def voice() -> speech.Voice:
    return speech.voice()


@pytest.fixture(scope="session")
def transcriber() -> speech.Transcriber:
    return speech.transcriber()


@pytest.fixture(scope="session")
async def pool() -> AsyncIterator[dbkit.Pool]:
    async with dbkit.open_pool() as created:
        yield created


@pytest.fixture(scope="session")
def agent_worker(settings: Settings, livekit_server: str) -> Iterator[str]:
    """The agent name to dispatch calls to, with a worker registered under it: the launcher's worker when it
    runs, otherwise one started here under a name of its own (so no one else's calls reach it, and stopping
    it at the end harms no one else's)."""
    if health_ok(PORTS.agent):
        yield settings.livekit_agent_name
        return
    if not agent_container_present():
        pytest.fail("agent_container is not there yet: the voice agent worker cannot start", pytrace=False)
    agent_name = f"{settings.livekit_agent_name}-tests-{uuid.uuid4().hex[:6]}"
    worker = WorkerProcess(settings, agent_name=agent_name, label="session")
    worker.start()
    try:
        worker.wait_ready()
        yield agent_name
    finally:
        worker.stop()


@pytest.fixture(scope="session")
def call_settings(settings: Settings, agent_worker: str) -> Settings:
    """Settings whose agent name is the one calls are dispatched to."""
    return settings.model_copy(update={"livekit_agent_name": agent_worker})
