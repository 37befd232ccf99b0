"""The FastAPI app that Mangum serves on Lambda, here under uvicorn."""

from __future__ import annotations

from collections.abc import Sequence

from local_platform.layout import HOST, PORTS
from local_platform.services.python_service import PythonService


class Api(PythonService):
    name = "api"
    module = "uvicorn"
    port = PORTS.api
    health_path = "/healthz"

    def arguments(self) -> Sequence[str]:
        return [
            "lambdas.api.app:create_app",
            "--factory",
            "--host",
            HOST,
            "--port",
            str(PORTS.api),
            "--workers",
            "1",
            "--no-access-log",
        ]
