"""Build a pinned Go program into .local/bin once (`go install module@version`).

A version stamp next to the binary makes later runs skip the build; a
changed pin rebuilds it."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from local_platform.layout import PATHS


def _go() -> str:
    found = shutil.which("go") or ("/usr/local/go/bin/go" if Path("/usr/local/go/bin/go").exists() else None)
    if found is None:
        raise RuntimeError("building the local services needs Go 1.26 or newer on PATH (https://go.dev/doc/install)")
    return found


def install(
    service: str, module: str, version: str, binary_name: str, *, built_name: str | None = None, expected: str = ""
) -> Path:
    """Build `module@version` into .local/bin/`binary_name` unless that version is already there.

    `built_name` is the name Go gives the binary (the last element of the
    package path) when it differs from the name we want."""
    binary = PATHS.bin / binary_name
    stamp = PATHS.bin / f"{binary_name}.version"
    if binary.exists() and stamp.exists() and stamp.read_text().strip() == version:
        return binary
    note = f" ({expected})" if expected else ""
    print(f"  {service:<9} building {binary_name} from {module}@{version}, once{note}", flush=True)
    started = time.monotonic()
    PATHS.ensure()
    result = subprocess.run(
        [_go(), "install", f"{module}@{version}"],
        env={**os.environ, "GOBIN": str(PATHS.bin), "CGO_ENABLED": "0", "GOFLAGS": "-buildvcs=false"},
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{service}: go install {module}@{version} failed:\n{result.stderr[-4000:]}")
    if built_name and built_name != binary_name:
        (PATHS.bin / built_name).replace(binary)
    stamp.write_text(version + "\n")
    print(f"  {service:<9} {binary_name} built in {time.monotonic() - started:.0f}s", flush=True)
    return binary
