"""The Next.js app: dependencies installed from the lockfile, built when its
sources change, then served with `next start`."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from local_platform import process
from local_platform.layout import HOST, PATHS, PORTS
from local_platform.runtime import Runtime
from local_platform.services.base import Service
from local_platform.services.python_service import http_ok

WEB = PATHS.root / "web"
IGNORED = {"node_modules", ".next", "next-env.d.ts"}


def _source_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted(WEB.rglob("*")):
        relative = path.relative_to(WEB)
        if relative.parts[0] in IGNORED or not path.is_file():
            continue
        digest.update(str(relative).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _run(command: list[str], what: str) -> None:
    log = process.log_file("web-build")
    with log.open("ab") as handle:
        result = subprocess.run(command, cwd=WEB, stdout=handle, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-40:])
        raise RuntimeError(f"{what} failed (see {log}):\n{tail}")


class Web(Service):
    name = "web"

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    @property
    def url(self) -> str:  # type: ignore[override]
        return f"http://{HOST}:{PORTS.web}"

    def install(self) -> None:
        lock = WEB / "package-lock.json"
        stamp = PATHS.state / "web-deps.sha256"
        lock_digest = hashlib.sha256(lock.read_bytes()).hexdigest()
        if not (WEB / "node_modules").exists() or not stamp.exists() or stamp.read_text() != lock_digest:
            _run(["npm", "ci", "--no-audit", "--no-fund"], "npm ci (web)")
            stamp.write_text(lock_digest)
        build_stamp = PATHS.state / "web-build.sha256"
        digest = _source_digest()
        if not (WEB / ".next" / "BUILD_ID").exists() or not build_stamp.exists() or build_stamp.read_text() != digest:
            _run(["npx", "next", "build"], "next build")
            build_stamp.write_text(digest)

    def healthy(self) -> bool:
        return http_ok(self.url + "/login")

    def running(self) -> bool:
        return process.is_running(self.name) and self.healthy()

    def start(self) -> None:
        if self.running():
            return
        process.stop(self.name)
        rt = self.runtime
        process.spawn(
            self.name,
            [str(Path("node_modules") / ".bin" / "next"), "start", "-H", HOST, "-p", str(PORTS.web)],
            cwd=WEB,
            env={
                "SUPABASE_URL": rt.supabase_url,
                "SUPABASE_ANON_KEY": rt.secrets.anon_key,
                "API_URL": rt.api_url,
                "MAIL_CATCHER_URL": rt.mail_url,
                "NODE_ENV": "production",
            },
        )
        process.wait_until(self.healthy, timeout=60, what="web", log=process.log_file(self.name))
