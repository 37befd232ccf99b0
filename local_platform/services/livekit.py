"""LiveKit, the media server every call's room lives on: livekit-server built
from its Go module and run on loopback.

It runs like `livekit-server --dev` (one UDP port, no TURN, no Redis) but with
an API key and secret generated once in .local/secrets instead of the public
`devkey: secret`, and from a config file instead of flags, because flags
cannot set the RTC TCP port or the advertised node IP. The node IP is
127.0.0.1 and loopback ICE candidates are on, so browsers and the agent
worker on this machine reach the media ports. HTTP/WebSocket and UDP media
listen on 127.0.0.1 only; the ICE/TCP listener has no bind option upstream
(it listens on every interface) but only 127.0.0.1 candidates are advertised.
Health: GET / on the HTTP port answers "OK"."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from local_platform import go_install, process
from local_platform.layout import HOST, PATHS, PORTS
from local_platform.services.base import Service
from local_platform.services.python_service import http_ok

MODULE = "github.com/livekit/livekit-server/cmd/server"
# v1.13.0 and v1.13.1 (and master) carry `replace` directives that `go install` refuses.
VERSION = "v1.13.5"
# livekit-server warns about (and production refuses) shorter secrets.
MIN_SECRET_LENGTH = 32


@dataclass(frozen=True)
class LiveKitCredentials:
    api_key: str
    api_secret: str


def credentials() -> LiveKitCredentials:
    """The local server's API key pair, generated once in .local/secrets."""
    PATHS.ensure()
    path = PATHS.secrets / "livekit.json"
    if path.exists():
        stored = LiveKitCredentials(**json.loads(path.read_text()))
        if len(stored.api_secret) >= MIN_SECRET_LENGTH:
            return stored
    created = LiveKitCredentials(api_key="API" + secrets.token_hex(6), api_secret=secrets.token_urlsafe(36))
    path.write_text(json.dumps(created.__dict__, indent=2))
    path.chmod(0o600)
    return created


def server_url() -> str:
    """The WebSocket URL the API and the agent worker use (and, locally, browsers too)."""
    return f"ws://{HOST}:{PORTS.livekit}"


def runtime_env() -> dict[str, str]:
    """What the API, the agent worker and the web app need to reach LiveKit (see callcenter.settings)."""
    keys = credentials()
    return {
        "LIVEKIT_URL": server_url(),
        "LIVEKIT_PUBLIC_URL": server_url(),
        "LIVEKIT_API_KEY": keys.api_key,
        "LIVEKIT_API_SECRET": keys.api_secret,
    }


def _binary() -> Path:
    return PATHS.bin / "livekit-server"


def config_file() -> Path:
    return PATHS.state / "livekit" / "livekit.yaml"


def config_yaml() -> str:
    """The server configuration. JSON is valid YAML, so it is written as JSON (no YAML library needed)."""
    keys = credentials()
    config = {
        "port": PORTS.livekit,
        "bind_addresses": [HOST],
        "rtc": {
            "tcp_port": PORTS.livekit_rtc_tcp,
            # One UDP port for every peer (a UDP mux), as --dev does.
            "udp_port": PORTS.livekit_rtc_udp,
            "node_ip": HOST,
            "use_external_ip": False,
            "enable_loopback_candidate": True,
            # Listen for (and advertise) media on loopback only.
            "ips": {"includes": [f"{HOST}/32"]},
        },
        "keys": {keys.api_key: keys.api_secret},
        "logging": {"level": "info"},
    }
    return json.dumps(config, indent=2) + "\n"


class LiveKit(Service):
    name = "livekit"

    @property
    def url(self) -> str:  # type: ignore[override]
        return server_url()

    def install(self) -> None:
        # The module's main package is cmd/server, so Go names the binary `server`.
        go_install.install(
            self.name, MODULE, VERSION, _binary().name, built_name="server", expected="about 2-3 minutes on 2 cores"
        )

    def healthy(self) -> bool:
        return http_ok(f"http://{HOST}:{PORTS.livekit}/")

    def running(self) -> bool:
        return process.is_running(self.name) and self.healthy()

    def start(self) -> None:
        if self.running():
            return
        process.stop(self.name)
        for port in (PORTS.livekit, PORTS.livekit_rtc_tcp):
            if process.port_open(port):
                raise RuntimeError(
                    f"livekit: port {port} is taken by another program; set CC_LIVEKIT_PORT / CC_LIVEKIT_RTC_TCP_PORT"
                )
        config = config_file()
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(config_yaml())
        config.chmod(0o600)  # it holds the API secret
        process.spawn(self.name, [str(_binary()), "--config", str(config)])
        process.wait_until(self.healthy, timeout=30, what="livekit-server", log=process.log_file(self.name))
