"""Where the local platform keeps its state, and which loopback ports it uses.

Every port can be moved with an environment variable (CC_<NAME>_PORT)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from callcenter.settings import LOCAL_STATE_DIR, PROJECT_ROOT, RUNTIME_ENV_FILE

HOST = "127.0.0.1"


def _port(name: str, default: int) -> int:
    return int(os.environ.get(f"CC_{name.upper()}_PORT", default))


@dataclass(frozen=True)
class Ports:
    gateway: int = _port("gateway", 54321)  # Supabase-shaped URL: /auth/v1, /realtime/v1
    postgres: int = _port("postgres", 54322)
    s3: int = _port("s3", 9000)  # S3-compatible server (MinIO) for uploaded documents
    mail_http: int = _port("mail_http", 54324)
    mail_smtp: int = _port("mail_smtp", 54325)
    auth: int = _port("auth", 9999)
    realtime: int = _port("realtime", 4000)
    api: int = _port("api", 8000)
    ingest: int = _port("ingest", 8010)  # the ingestion worker's health endpoint
    web: int = _port("web", 3000)
    livekit: int = _port("livekit", 7880)  # livekit-server HTTP API and signalling WebSocket
    livekit_rtc_tcp: int = _port("livekit_rtc_tcp", 7881)  # WebRTC over TCP (ICE/TCP)
    livekit_rtc_udp: int = _port("livekit_rtc_udp", 7882)  # WebRTC over UDP, one muxed port
    agent: int = _port("agent", 8081)  # the voice agent worker's health endpoint


@dataclass(frozen=True)
class Paths:
    root: Path = PROJECT_ROOT
    state: Path = LOCAL_STATE_DIR
    runtime_env: Path = RUNTIME_ENV_FILE

    @property
    def logs(self) -> Path:
        return self.state / "logs"

    @property
    def run(self) -> Path:
        return self.state / "run"

    @property
    def pgdata(self) -> Path:
        return self.state / "pgdata"

    @property
    def secrets(self) -> Path:
        return self.state / "secrets"

    @property
    def bin(self) -> Path:
        return self.state / "bin"

    def ensure(self) -> None:
        for directory in (self.state, self.logs, self.run, self.secrets, self.bin):
            directory.mkdir(parents=True, exist_ok=True)


PORTS = Ports()
PATHS = Paths()
