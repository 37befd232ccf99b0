"""The voice agent worker (a Fargate service in AWS), as a long-running process.

`python -m agent_container start` registers with livekit-server under the
agent name and waits for explicit dispatches, one job per call room. It
reads LIVEKIT_URL / LIVEKIT_API_KEY / LIVEKIT_API_SECRET and the database URL
from the runtime env, and serves its health on CC_AGENT_PORT: GET / answers
200 once the worker is registered with the server and a job process is warm."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from local_platform.layout import PORTS
from local_platform.services.python_service import PythonService


class Agent(PythonService):
    name = "agent"
    module = "agent_container"
    port = PORTS.agent
    # Loading the speech models (VAD, whisper, piper, embeddings) and registering takes 20-40 s on 2 cores.
    startup_timeout = 120

    def arguments(self) -> Sequence[str]:
        return ["start"]

    def environment(self) -> Mapping[str, str]:
        return {"CC_AGENT_PORT": str(PORTS.agent)}
