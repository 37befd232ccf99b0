"""Voice-to-voice latency of the agent over real LiveKit with the offline providers.

A synthetic caller (tests/voice: piper speech in, whisper to check the
answers) places calls the way the API does and asks the knowledge-base
questions of tests/voice/facts.py in turn. Voice to voice is measured on the
caller's side: from the moment the caller's last sample was sent to the first
loud 10 ms frame of the agent's reply received. The per-stage breakdown is
what the worker stored in call_turns (end of turn, STT, retrieval, LLM first
token, TTS first audio, total).

    .venv/bin/python benchmarks/voice_latency.py                 # 21 turns over 3 calls
    .venv/bin/python benchmarks/voice_latency.py --turns 40 --turns-per-call 10
    .venv/bin/python benchmarks/voice_latency.py --use-running-worker   # the launcher's worker

Needs the local platform (./dev up: Postgres, the ingestion worker, livekit-server).
By default it starts a worker of its own under an agent name of its own, so
nothing else shares it."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg

from callcenter.settings import Settings, get_settings
from local_platform.services.livekit import LiveKit
from tests.voice import calls, facts, speech
from tests.voice.bench import describe_ms, percentile
from tests.voice.conversation import Conversation
from tests.voice.text import missing
from tests.voice.workers import WorkerProcess
from tests.voice.workspace import create_knowledge_workspace, remove_workspace

STAGES = ("end_of_turn_ms", "stt_ms", "retrieval_ms", "llm_first_token_ms", "tts_first_audio_ms", "total_ms")


async def run_call(
    settings: Settings, workspace_id: uuid.UUID, questions: list[facts.Question], pool: asyncpg.Pool
) -> dict[str, Any]:
    placed = await calls.place_call(settings, workspace_id)
    conversation = await Conversation.start(settings, placed, speech.voice(), speech.transcriber())
    results: list[dict[str, Any]] = []
    try:
        greeting = await conversation.hear_greeting()
        for question in questions:
            try:
                reply = await conversation.ask(question.text)
            except TimeoutError as error:
                results.append({"question": question.text, "error": str(error)})
                await conversation.caller.wait_until_quiet(1.5, within=30)
                continue
            results.append(
                {
                    "question": question.text,
                    "latency_ms": reply.latency * 1000,
                    "reply": reply.text,
                    "answered": not missing(reply.text, list(question.expected)),
                }
            )
    finally:
        await conversation.hang_up()
    row = await calls.wait_for_call_row(pool, placed.room_name)
    # The worker writes turns off the critical path; give the last ones a moment after hang-up.
    deadline = time.monotonic() + 30
    turns: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        turns = await calls.turns(pool, row["id"])
        status = await pool.fetchval("select status::text from public.calls where id = $1", row["id"])
        if status in ("ended", "failed") and len(turns) >= len([r for r in results if "latency_ms" in r]):
            break
        await asyncio.sleep(0.5)
    return {
        "room": placed.room_name,
        "greeting_after_join_ms": (greeting.span.start - conversation.joined_at) * 1000,
        "turns": results,
        "stored_turns": [{stage: turn[stage] for stage in ("turn_index", "user_text", *STAGES)} for turn in turns],
    }


async def main(args: argparse.Namespace) -> int:
    settings = get_settings()
    if not LiveKit().running():
        print("livekit-server is not running: ./dev up", file=sys.stderr)
        return 1
    pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=4)
    worker: WorkerProcess | None = None
    workspace = await create_knowledge_workspace(pool, "latency-bench", facts.ARTICLES, greeting=facts.GREETING)
    try:
        if not args.use_running_worker:
            agent_name = f"{settings.livekit_agent_name}-bench-{uuid.uuid4().hex[:6]}"
            worker = WorkerProcess(settings, agent_name=agent_name, label="voice-latency")
            started = time.monotonic()
            worker.start()
            await asyncio.to_thread(worker.wait_ready)
            print(f"worker ready in {time.monotonic() - started:.1f}s (agent name {agent_name})", flush=True)
            settings = settings.model_copy(update={"livekit_agent_name": agent_name})
        for question in facts.QUESTIONS:
            await speech.voice().speak(question.text)

        ordered = [facts.QUESTIONS[i % len(facts.QUESTIONS)] for i in range(args.turns)]
        per_call = [ordered[i : i + args.turns_per_call] for i in range(0, len(ordered), args.turns_per_call)]
        results = []
        for index, questions in enumerate(per_call, start=1):
            result = await run_call(settings, workspace.workspace_id, questions, pool)
            results.append(result)
            done = [t for t in result["turns"] if "latency_ms" in t]
            print(
                f"call {index}/{len(per_call)}: {len(done)}/{len(questions)} replies, "
                f"greeting {result['greeting_after_join_ms']:.0f} ms after joining",
                flush=True,
            )
    finally:
        if worker is not None:
            worker.stop()
        await remove_workspace(pool, workspace)
        await pool.close()

    turns = [turn for result in results for turn in result["turns"]]
    latencies = [turn["latency_ms"] for turn in turns if "latency_ms" in turn]
    stored = [turn for result in results for turn in result["stored_turns"]]
    if args.json:
        print(json.dumps({"results": results}, default=str, indent=2))
        return 0

    machine = f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}"
    print(f"\nVoice-to-voice latency over real LiveKit, offline providers ({machine})")
    print(f"  turns asked {len(turns)}, replied {len(latencies)}, errors {len(turns) - len(latencies)}")
    print(f"  answers with the expected facts: {sum(1 for t in turns if t.get('answered'))}/{len(turns)}")
    print(f"  caller side, end of caller audio -> first agent audio: {describe_ms(latencies)}")
    print(f"  mean {sum(latencies) / max(len(latencies), 1):.0f} ms")
    print(f"\nPer-stage breakdown stored by the worker (call_turns, {len(stored)} turns):")
    for stage in STAGES:
        values = [float(turn[stage]) for turn in stored if turn[stage] is not None]
        print(f"  {stage:<20} {describe_ms(values)}")
    worst = sorted((t for t in turns if "latency_ms" in t), key=lambda t: -t["latency_ms"])[:3]
    print("\nSlowest turns:")
    for turn in worst:
        print(f"  {turn['latency_ms']:6.0f} ms  {turn['question']!r} -> {turn['reply'][:80]!r}")
    missed = [t for t in turns if "latency_ms" in t and not t["answered"]]
    for turn in missed:
        print(f"  missing facts: {turn['question']!r} -> {turn['reply'][:100]!r}")
    p95 = percentile(latencies, 95)
    print(
        f"\nSUMMARY voice-to-voice p50 {percentile(latencies, 50):.0f} ms, p95 {p95:.0f} ms over {len(latencies)} turns"
    )
    return 0 if latencies and len(latencies) == len(turns) else 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=21, help="caller turns in all (at least 20 for the figures)")
    parser.add_argument("--turns-per-call", type=int, default=7)
    parser.add_argument("--use-running-worker", action="store_true", help="the launcher's worker, not one of its own")
    parser.add_argument("--json", action="store_true")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
