"""How many concurrent calls one agent worker holds on this machine, offline providers.

One worker of its own (`python -m agent_container start` under an agent name
of its own) takes every call. The benchmark ramps the number of simultaneous
calls (1, 2, 3, 4, 6, 8 by default); at each level every synthetic caller
places its call the way the API does, waits for the greeting and asks
`--questions` knowledge-base questions, starting at staggered moments so the
turns do not all land together. Per level it prints voice-to-voice latency
(caller side: end of caller audio to first agent audio), errors (no agent, no
greeting, no reply within 20 s), and the worker's process tree CPU (percent of
one core, summed over the worker and its job processes) and RSS. The ramp
stops at the first level whose p95 exceeds `--threshold` seconds or that has
errors; the last level before it is what one worker holds.

    .venv/bin/python benchmarks/agent_concurrency.py
    .venv/bin/python benchmarks/agent_concurrency.py --levels 1,2,4,8 --questions 4 --threshold 2.5

The synthetic callers run in this process on the same machine (WebRTC Opus
encode/decode for every call), so their CPU is printed too: on a small
machine they compete with the worker."""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg

from callcenter.settings import Settings, get_settings
from local_platform.services.livekit import LiveKit
from tests.voice import calls, facts, speech
from tests.voice.bench import TreeSampler, TreeUsage, describe_ms, percentile
from tests.voice.conversation import Conversation
from tests.voice.workers import WorkerProcess
from tests.voice.workspace import create_knowledge_workspace, remove_workspace

# Between levels: the previous calls' job processes shut down and the worker's pool refills.
SETTLE_S = 8.0


@dataclass
class CallOutcome:
    latencies_ms: list[float] = field(default_factory=list)
    greeting_ms: float | None = None
    errors: list[str] = field(default_factory=list)


@dataclass
class Level:
    calls: int
    outcomes: list[CallOutcome]
    worker: TreeUsage
    callers: TreeUsage
    seconds: float

    @property
    def latencies_ms(self) -> list[float]:
        return [value for outcome in self.outcomes for value in outcome.latencies_ms]

    @property
    def errors(self) -> list[str]:
        return [error for outcome in self.outcomes for error in outcome.errors]


async def one_call(
    settings: Settings, workspace_id: uuid.UUID, questions: list[facts.Question], delay: float
) -> CallOutcome:
    outcome = CallOutcome()
    await asyncio.sleep(delay)
    try:
        placed = await calls.place_call(settings, workspace_id)
        conversation = await Conversation.start(settings, placed, speech.voice(), None)
    except Exception as error:  # any failure to start a call is an error figure
        outcome.errors.append(f"placing the call: {error!r}")
        return outcome
    try:
        greeting = await conversation.hear_greeting()
        outcome.greeting_ms = (greeting.span.start - conversation.joined_at) * 1000
        for question in questions:
            reply = await conversation.ask(question.text)
            outcome.latencies_ms.append(reply.latency * 1000)
    except TimeoutError as error:
        outcome.errors.append(str(error))
    finally:
        await conversation.hang_up()
    return outcome


async def run_level(
    settings: Settings, workspace_id: uuid.UUID, count: int, questions: int, worker_pid: int, rng: random.Random
) -> Level:
    worker_sampler, caller_sampler = TreeSampler(worker_pid), TreeSampler(os.getpid(), exclude=(worker_pid,))
    worker_sampler.start()
    caller_sampler.start()
    started = time.monotonic()
    tasks = []
    for index in range(count):
        chosen = rng.sample(list(facts.QUESTIONS), k=min(questions, len(facts.QUESTIONS)))
        tasks.append(one_call(settings, workspace_id, chosen, delay=index * 1.5 + rng.uniform(0, 1.0)))
    outcomes = list(await asyncio.gather(*tasks))
    seconds = time.monotonic() - started
    return Level(count, outcomes, await worker_sampler.stop(), await caller_sampler.stop(), seconds)


def report(level: Level, threshold_ms: float) -> str:
    latencies = level.latencies_ms
    greetings = [o.greeting_ms for o in level.outcomes if o.greeting_ms is not None]
    verdict = (
        "errors"
        if level.errors
        else ("over threshold" if percentile(latencies, 95) > threshold_ms else "ok")
        if latencies
        else "no replies"
    )
    lines = [
        f"{level.calls} concurrent call(s), {level.seconds:.0f}s: {verdict}",
        f"  voice-to-voice  {describe_ms(latencies)}",
        f"  greeting after join  {describe_ms(greetings)}",
        f"  errors {len(level.errors)}" + (f": {level.errors[:3]}" if level.errors else ""),
        f"  worker   {level.worker.summary()}",
        f"  callers  {level.callers.summary()}",
    ]
    return "\n".join(lines)


async def main(args: argparse.Namespace) -> int:
    settings = get_settings()
    if not LiveKit().running():
        print("livekit-server is not running: ./dev up", file=sys.stderr)
        return 1
    levels = [int(value) for value in args.levels.split(",")]
    threshold_ms = args.threshold * 1000
    rng = random.Random(args.seed)
    pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=4)
    workspace = await create_knowledge_workspace(pool, "concurrency-bench", facts.ARTICLES, greeting=facts.GREETING)
    agent_name = f"{settings.livekit_agent_name}-concurrency-{uuid.uuid4().hex[:6]}"
    worker = WorkerProcess(settings, agent_name=agent_name, label="agent-concurrency")
    results: list[Level] = []
    try:
        started = time.monotonic()
        worker.start()
        await asyncio.to_thread(worker.wait_ready)
        assert worker.pid is not None
        print(f"worker ready in {time.monotonic() - started:.1f}s; idle: ", end="", flush=True)
        idle = TreeSampler(worker.pid)
        idle.start()
        await asyncio.sleep(3)
        print((await idle.stop()).summary(), flush=True)
        settings = settings.model_copy(update={"livekit_agent_name": agent_name})
        for question in facts.QUESTIONS:
            await speech.voice().speak(question.text)
        machine = f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}"
        print(f"threshold: voice-to-voice p95 <= {args.threshold:.1f}s and no errors ({machine})\n", flush=True)
        for count in levels:
            level = await run_level(settings, workspace.workspace_id, count, args.questions, worker.pid, rng)
            results.append(level)
            print(report(level, threshold_ms) + "\n", flush=True)
            if level.errors or not level.latencies_ms or percentile(level.latencies_ms, 95) > threshold_ms:
                break
            await asyncio.sleep(SETTLE_S)
    finally:
        worker.stop()
        await remove_workspace(pool, workspace)
        await pool.close()

    held = [
        level.calls
        for level in results
        if not level.errors and level.latencies_ms and percentile(level.latencies_ms, 95) <= threshold_ms
    ]
    print("level  calls  turns  errors  v2v p50   v2v p95   worker CPU max  worker RSS max")
    for level in results:
        latencies = level.latencies_ms
        print(
            f"{results.index(level) + 1:>5}  {level.calls:>5}  {len(latencies):>5}  {len(level.errors):>6}  "
            f"{percentile(latencies, 50):6.0f} ms {percentile(latencies, 95):6.0f} ms  "
            f"{max(level.worker.cpu_percent, default=0):11.0f} %  {max(level.worker.rss_mb, default=0):10.0f} MB"
        )
    reached_end = len(held) == len(levels)
    print(
        f"\nSUMMARY one worker held {max(held, default=0)} concurrent call(s) within p95 <= {args.threshold:.1f}s"
        + (" (the highest level tried; try more with --levels)" if reached_end else "")
    )
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--levels", default="1,2,3,4,6,8", help="concurrent calls per step, comma-separated")
    parser.add_argument("--questions", type=int, default=3, help="questions each caller asks")
    parser.add_argument("--threshold", type=float, default=2.5, help="voice-to-voice p95 limit in seconds")
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
