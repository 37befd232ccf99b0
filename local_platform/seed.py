"""Demo data: a business with two department workspaces and two logins."""

from __future__ import annotations

from local_platform.runtime import Runtime


def run(rt: Runtime) -> list[str]:
    return []
