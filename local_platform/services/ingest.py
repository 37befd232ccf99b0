"""The knowledge ingestion worker (a Lambda in AWS), as a long-running process."""

from __future__ import annotations

from collections.abc import Sequence

from local_platform.layout import HOST, PORTS
from local_platform.services.python_service import PythonService


class Ingest(PythonService):
    name = "ingest"
    module = "lambdas.ingest.worker"
    port = PORTS.ingest
    health_path = "/healthz"
    # The embedding model loads before the worker reports healthy.
    startup_timeout = 60

    def arguments(self) -> Sequence[str]:
        return ["--host", HOST, "--port", str(PORTS.ingest)]
