"""The call supervisor: in every worker's main process (never in a job
process), a sweep every few seconds (`callcenter.calls.supervision`) over
calls whose agent stopped heartbeating and calls still ringing with no agent:
a caller left alone gets the agent dispatched again (a call's agent takes it
over with its transcript); a call whose dispatches found no worker a few
times fails; a call nobody is on any more is closed with a summary. The same
sweep moves the handoff queue along (ring timeouts, offers to free people).
Any number of workers sweep at once; claims in the database keep them from
acting twice on one call."""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket

from callcenter.calls.summary import build_call_summarizer
from callcenter.calls.supervision import CallSweeper, LiveKitRoomControl
from callcenter.db import Database
from callcenter.settings import Settings

log = logging.getLogger(__name__)

SWEEP_INTERVAL_SECONDS = 5.0


def claimant_id() -> str:
    return f"supervisor:{socket.gethostname()}:{os.getpid()}"[:200]


class CallSupervisor:
    def __init__(self, settings: Settings, *, interval_seconds: float = SWEEP_INTERVAL_SECONDS) -> None:
        self._settings = settings
        self._interval = interval_seconds

    async def run(self) -> None:
        """Sweeps until cancelled (the CLI cancels every task of the worker's loop at shutdown)."""
        database = Database(self._settings)
        sweeper = CallSweeper(
            database,
            LiveKitRoomControl(self._settings),
            build_call_summarizer(self._settings),
            claimant=claimant_id(),
            default_agent_name=self._settings.livekit_agent_name,
        )
        try:
            while True:
                # Jitter keeps the workers of a fleet from sweeping in lockstep.
                await asyncio.sleep(self._interval * random.uniform(0.8, 1.2))
                try:
                    for result in await sweeper.sweep():
                        log.info("call %s (%s): %s", result.call_id, result.room_name, result.outcome.value)
                except Exception:
                    log.exception("the call sweep failed; trying again")
        finally:
            await database.close()
