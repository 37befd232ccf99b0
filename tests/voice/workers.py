"""Agent worker processes: the one the launcher runs (`./dev up`, service
`agent`), or ones a test starts itself (`python -m agent_container start` on
a health port of its own, optionally under an agent name of its own so only
it receives that test's dispatches, which lets the test kill it)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from callcenter.settings import LOCAL_STATE_DIR, PROJECT_ROOT, Settings

# Models load before the worker registers: 20-40 s on 2 cores.
STARTUP_TIMEOUT_S = 120.0


def health_ok(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def agent_container_present() -> bool:
    return (PROJECT_ROOT / "agent_container" / "__main__.py").exists()


class WorkerProcess:
    def __init__(self, settings: Settings, *, agent_name: str, label: str, extra_env: dict[str, str] | None = None):
        self.settings = settings
        self.agent_name = agent_name
        self.port = free_port()
        self.log_path: Path = LOCAL_STATE_DIR / "logs" / f"agent-test-{label}.log"
        self._extra_env = extra_env or {}
        self._process: subprocess.Popen[bytes] | None = None
        self._log_start = 0

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self._log_start = log.tell()
        env = {
            **os.environ,
            "CC_AGENT_PORT": str(self.port),
            "LIVEKIT_URL": self.settings.livekit_url,
            "LIVEKIT_API_KEY": self.settings.livekit_api_key,
            "LIVEKIT_API_SECRET": self.settings.livekit_api_secret,
            "LIVEKIT_AGENT_NAME": self.agent_name,
            "DATABASE_URL": self.settings.database_url,
            **self._extra_env,
        }
        self._process = subprocess.Popen(
            [sys.executable, "-m", "agent_container", "start"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    def registered(self) -> bool:
        """The health endpoint answers before the worker has registered with the server; the log says when."""
        if not self.log_path.exists():
            return False
        with self.log_path.open("rb") as log:
            log.seek(self._log_start)
            return b"registered worker" in log.read()

    def wait_ready(self, timeout: float = STARTUP_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"the agent worker exited with {self._process.returncode}:\n{self.log_tail()}")
            if health_ok(self.port) and self.registered():
                return
            time.sleep(0.3)
        raise TimeoutError(f"the agent worker was not ready within {timeout:.0f}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def kill(self) -> None:
        """SIGKILL the worker and its job processes, as a crashed host would."""
        if self._process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, signal.SIGKILL)
        self._process.wait(timeout=10)

    def stop(self, timeout: float = 15.0) -> None:
        if self._process is None or self._process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, signal.SIGTERM)
        try:
            self._process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
