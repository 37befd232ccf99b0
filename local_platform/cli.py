"""`./dev up | down | status | logs NAME` for the local platform."""

from __future__ import annotations

import argparse
import os
import sys
import time

from local_platform import migrate, process, runtime
from local_platform.layout import HOST, PATHS, PORTS
from local_platform.services.agent import Agent
from local_platform.services.api import Api
from local_platform.services.auth import Auth
from local_platform.services.base import Service
from local_platform.services.gateway import Gateway
from local_platform.services.ingest import Ingest
from local_platform.services.livekit import LiveKit
from local_platform.services.mail import Mail
from local_platform.services.postgres import Postgres
from local_platform.services.realtime import Realtime
from local_platform.services.s3 import S3
from local_platform.services.web import Web


def services(rt: runtime.Runtime) -> list[Service]:
    """Start order. The SIP bridge slots in after LiveKit."""
    return [
        Postgres(),
        S3(site_url=rt.site_url, api_url=rt.api_url),
        LiveKit(),
        Mail(),
        Auth(rt),
        Realtime(rt),
        Api(),
        Ingest(),
        Agent(),
        Gateway(),
        Web(rt),
    ]


def _say(message: str) -> None:
    print(message, flush=True)


def up(only: list[str] | None = None, seed: bool = True) -> int:
    started = time.monotonic()
    PATHS.ensure()
    rt = runtime.load()
    rt.write()
    os.environ.update(rt.env())
    for service in services(rt):
        if only and service.name not in only:
            continue
        step = time.monotonic()
        service.install()
        was_running = service.running()
        service.start()
        state = "already running" if was_running else "started"
        _say(f"  {service.name:<9} {state:<16} {time.monotonic() - step:5.1f}s  {service.url}")
        if isinstance(service, Postgres):
            applied = migrate.run(rt.database_url)
            if applied:
                _say(f"  migrations applied: {', '.join(applied)}")
    if seed and not only:
        from local_platform import seed as demo_seed

        for line in demo_seed.run(rt):
            _say(line)
    _say(f"\nThe platform is up ({time.monotonic() - started:.1f}s).")
    _say(f"  Web app          {rt.site_url}")
    _say(f"  API              {rt.api_url}/docs")
    _say(f"  Supabase URL     {rt.supabase_url}  (auth: /auth/v1, realtime: /realtime/v1)")
    _say(f"  Mail inbox       {rt.mail_url}")
    _say(f"  LiveKit          {rt.livekit_url}  (voice agent worker health: http://{HOST}:{PORTS.agent}/)")
    _say(f"  Postgres         {rt.database_url}")
    _say(f"  Logs             {PATHS.logs}")
    _say("  Stop with        ./dev down")
    return 0


def down() -> int:
    rt = runtime.load()
    for service in reversed(services(rt)):
        service.stop()
        _say(f"  {service.name:<9} stopped")
    return 0


def status() -> int:
    rt = runtime.load()
    all_up = True
    for service in services(rt):
        running = service.running()
        all_up &= running
        _say(f"  {service.name:<9} {'running' if running else 'stopped':<8} {service.url}")
    return 0 if all_up else 1


def logs(name: str) -> int:
    path = process.log_file(name)
    if not path.exists():
        _say(f"no log for {name}; logs are in {PATHS.logs}")
        return 1
    sys.stdout.write(path.read_text(errors="replace")[-20000:])
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="./dev", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    up_parser = commands.add_parser("up", help="install what is missing, start everything, seed demo data")
    up_parser.add_argument("services", nargs="*", help="only these services (default: all)")
    up_parser.add_argument("--no-seed", action="store_true")
    commands.add_parser("down", help="stop every service")
    commands.add_parser("status", help="which services are running")
    logs_parser = commands.add_parser("logs", help="print a service's log")
    logs_parser.add_argument("name")
    args = parser.parse_args(argv)
    _ = PORTS
    if args.command == "up":
        return up(args.services or None, seed=not args.no_seed)
    if args.command == "down":
        return down()
    if args.command == "status":
        return status()
    return logs(args.name)
