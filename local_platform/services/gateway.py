"""nginx as the gateway in front of auth and realtime (Supabase's Kong, locally)."""

from __future__ import annotations

import shutil
from pathlib import Path
from string import Template

from local_platform import process
from local_platform.layout import HOST, PATHS, PORTS
from local_platform.services.base import Service
from local_platform.services.python_service import http_ok

TEMPLATE = Path(__file__).resolve().parent.parent / "gateway" / "nginx.conf.tmpl"


class Gateway(Service):
    name = "gateway"

    @property
    def url(self) -> str:  # type: ignore[override]
        return f"http://{HOST}:{PORTS.gateway}"

    def install(self) -> None:
        if shutil.which("nginx") is None:
            raise RuntimeError("nginx is missing: install Debian's nginx-light (the dev script does this)")

    def healthy(self) -> bool:
        return http_ok(self.url + "/health")

    def running(self) -> bool:
        return process.is_running(self.name) and self.healthy()

    def start(self) -> None:
        if self.running():
            return
        process.stop(self.name)
        state = PATHS.state
        (state / "nginx").mkdir(parents=True, exist_ok=True)
        config = Template(TEMPLATE.read_text()).safe_substitute(
            STATE=str(state),
            LOGS=str(PATHS.logs),
            HOST=HOST,
            GATEWAY_PORT=PORTS.gateway,
            AUTH_PORT=PORTS.auth,
            REALTIME_PORT=PORTS.realtime,
        )
        conf = state / "nginx" / "nginx.conf"
        conf.write_text(config)
        nginx = shutil.which("nginx") or "nginx"
        process.spawn(
            self.name, [nginx, "-p", str(state / "nginx"), "-c", str(conf), "-e", str(PATHS.logs / "gateway.log")]
        )
        process.wait_until(self.healthy, timeout=15, what="gateway", log=process.log_file(self.name))
