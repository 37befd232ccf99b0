"""A service that is a Python module run with this virtualenv's interpreter."""

from __future__ import annotations

import sys
import urllib.request
from collections.abc import Mapping, Sequence

from local_platform import process
from local_platform.layout import HOST
from local_platform.services.base import Service


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(200 <= response.status < 500)
    except OSError:
        return False


class PythonService(Service):
    module: str
    port: int
    health_path: str = "/"
    startup_timeout: float = 30

    def arguments(self) -> Sequence[str]:
        return []

    def environment(self) -> Mapping[str, str]:
        return {}

    @property
    def url(self) -> str:  # type: ignore[override]
        return f"http://{HOST}:{self.port}"

    def healthy(self) -> bool:
        return http_ok(self.url + self.health_path)

    def running(self) -> bool:
        return process.is_running(self.name) and self.healthy()

    def start(self) -> None:
        if self.running():
            return
        process.stop(self.name)
        if process.port_open(self.port):
            raise RuntimeError(
                f"{self.name}: port {self.port} is taken by another program; set CC_{self.name.upper()}_PORT to move it"
            )
        process.spawn(
            self.name,
            [sys.executable, "-m", self.module, *self.arguments()],
            env=self.environment(),
        )
        process.wait_until(self.healthy, timeout=self.startup_timeout, what=self.name, log=process.log_file(self.name))
