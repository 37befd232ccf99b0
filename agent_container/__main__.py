"""`python -m agent_container start` (also `dev`, `console`, `download-files`...: livekit-agents' CLI)."""

from __future__ import annotations

from livekit.agents import cli

from agent_container.worker import build_server


def main() -> None:
    cli.run_app(build_server())


if __name__ == "__main__":
    main()
