"""The contract every local service follows, so the launcher stays a list."""

from __future__ import annotations

import abc

from local_platform import process
from local_platform.layout import PATHS


class Service(abc.ABC):
    name: str
    #: Shown in the summary the launcher prints.
    url: str = ""

    def install(self) -> None:  # noqa: B027 - most services have nothing to install
        """Make sure the service's binaries and packages are present (idempotent)."""

    @abc.abstractmethod
    def start(self) -> None:
        """Start the service in the background; return once it answers."""

    def stop(self) -> None:
        process.stop(self.name)

    def running(self) -> bool:
        return process.is_running(self.name)

    @property
    def log(self) -> str:
        return str(PATHS.logs / f"{self.name}.log")
