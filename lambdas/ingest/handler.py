"""The Lambda entry point for ingestion (wired by the deployment issue).

Invoked on a schedule (EventBridge) or by the storage event of an uploaded
document, it runs due jobs until the queue is empty or the invocation is close
to its time limit. Handlers for the S3 object-created event queue the
document's job first (see callcenter.knowledge.jobs.enqueue)."""

from __future__ import annotations

import asyncio
from typing import Any

from callcenter.settings import get_settings
from lambdas.ingest.s3_event import handle_event
from lambdas.ingest.worker import Worker

# Leave this much of the invocation's time unused: a job is not started after it.
SAFETY_MARGIN_MS = 120_000

_worker: Worker | None = None


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global _worker
    if _worker is None:
        _worker = Worker(get_settings())
    worker = _worker

    async def run() -> int:
        if event.get("Records"):
            # An uploaded document's s3:ObjectCreated event: queue its job, then run it below.
            await handle_event(event, database=worker.database, settings=worker.settings)
        await worker.schedule()
        ran = 0
        while context is None or context.get_remaining_time_in_millis() > SAFETY_MARGIN_MS:
            if await worker.run_once() is None:
                break
            ran += 1
        return ran

    return {"jobs_run": asyncio.run(run())}
