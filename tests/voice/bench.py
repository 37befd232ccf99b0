"""Figures for the voice benchmarks: percentiles, and CPU / memory of a worker's
process tree (the worker and its job processes) sampled while calls run."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import psutil  # type: ignore[import-untyped]  # no stubs in the dev dependencies


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if values else float("nan")


def describe_ms(values: Sequence[float]) -> str:
    """`values` in milliseconds."""
    if not values:
        return "n=0"
    return (
        f"n={len(values):<3} p50 {percentile(values, 50):7.0f}  p95 {percentile(values, 95):7.0f}  "
        f"min {min(values):7.0f}  max {max(values):7.0f} ms"
    )


@dataclass
class TreeUsage:
    cpu_percent: list[float] = field(default_factory=list)  # of one core, summed over the tree
    rss_mb: list[float] = field(default_factory=list)
    processes: list[int] = field(default_factory=list)

    def summary(self) -> str:
        if not self.cpu_percent:
            return "no samples"
        return (
            f"CPU avg {np.mean(self.cpu_percent):5.0f}% max {max(self.cpu_percent):5.0f}% (of one core)  "
            f"RSS max {max(self.rss_mb):6.0f} MB  processes max {max(self.processes)}"
        )


class TreeSampler:
    """Samples a process and its descendants every `interval` seconds until stopped,
    leaving out the subtrees of `exclude` (e.g. a worker the benchmark process started)."""

    def __init__(self, pid: int, interval: float = 0.5, exclude: tuple[int, ...] = ()) -> None:
        self.root = psutil.Process(pid)
        self.interval = interval
        self.exclude = exclude
        self.usage = TreeUsage()
        self._known: dict[int, psutil.Process] = {}
        self._task: asyncio.Task[None] | None = None

    def _tree(self) -> list[psutil.Process]:
        try:
            current = [self.root, *self.root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []
        excluded = set(self.exclude)
        for pid in self.exclude:
            with contextlib.suppress(psutil.NoSuchProcess):
                excluded.update(child.pid for child in psutil.Process(pid).children(recursive=True))
        tree = []
        for process in current:
            if process.pid in excluded:
                continue
            # cpu_percent needs the same Process object between calls to measure an interval.
            known = self._known.setdefault(process.pid, process)
            tree.append(known)
        return tree

    def sample(self) -> None:
        cpu = rss = 0.0
        alive = 0
        for process in self._tree():
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                cpu += process.cpu_percent(None)
                rss += process.memory_info().rss / 1e6
                alive += 1
        self.usage.cpu_percent.append(cpu)
        self.usage.rss_mb.append(rss)
        self.usage.processes.append(alive)

    async def _run(self) -> None:
        self._tree()
        for process in self._known.values():
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                process.cpu_percent(None)
        while True:
            await asyncio.sleep(self.interval)
            await asyncio.to_thread(self.sample)

    def start(self) -> None:
        self.usage = TreeUsage()
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> TreeUsage:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        return self.usage
