"""The knowledge ingestion worker: claims jobs from public.knowledge_jobs and
runs them (crawl a website, index an article, read an uploaded document).

Locally it runs as a long-lived process (`python -m lambdas.ingest.worker`,
the launcher's `ingest` service): it listens for the database's
`knowledge_jobs` notification, polls as a fallback, queues scheduled
re-crawls, and answers GET /healthz. In AWS the same `Worker.run_once()`
runs from a Lambda (lambdas.ingest.handler). Any number of workers can run:
claims use `for update skip locked`.

Changing the embedding provider re-indexes: the scheduling pass (at start and
every SCHEDULE_EVERY_SECONDS) queues each source whose chunks carry another
model's vectors, once per model (callcenter.knowledge.jobs.enqueue_reindex).
Until its job has run, its old chunks are still found by full text."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import time
from collections.abc import Mapping
from datetime import timedelta

import asyncpg

from callcenter.db import Database
from callcenter.knowledge import jobs, uploads
from callcenter.knowledge.embeddings import Embedder, get_embedder
from callcenter.knowledge.ingestion import JobHandler, handlers, run_job
from callcenter.knowledge.jobs import JobKind
from callcenter.settings import Settings, get_settings

log = logging.getLogger("ingest")

# How often scheduled re-crawls are looked for.
SCHEDULE_EVERY_SECONDS = 30.0


class Worker:
    def __init__(
        self,
        settings: Settings,
        *,
        database: Database | None = None,
        embedder: Embedder | None = None,
        registry: Mapping[JobKind, JobHandler] | None = None,
        worker_id: str | None = None,
    ) -> None:
        self.settings = settings
        self.database = database or Database(settings)
        self.embedder = embedder or get_embedder(settings)
        self.registry = dict(registry or handlers())
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}"
        self.jobs_run = 0
        self.last_outcome: str | None = None
        self._wake = asyncio.Event()
        self._last_schedule = 0.0

    async def run_once(self) -> str | None:
        """Run the next due job, if any. Returns its end state, or None when the queue is empty."""
        async with self.database.as_service() as conn:
            job = await jobs.claim(conn, self.worker_id, lease=self._lease(), embedding_model=self.embedder.model_name)
        if job is None:
            return None
        started = time.monotonic()
        outcome = await run_job(
            job, database=self.database, embedder=self.embedder, settings=self.settings, registry=self.registry
        )
        self.jobs_run += 1
        self.last_outcome = outcome
        log.info(
            "job %s %s for source %s: %s in %.1fs", job.id, job.kind, job.source_id, outcome, time.monotonic() - started
        )
        return outcome

    async def drain(self, max_jobs: int = 100) -> int:
        """Run due jobs until none is left (or max_jobs ran). Returns how many ran."""
        ran = 0
        while ran < max_jobs and await self.run_once() is not None:
            ran += 1
        return ran

    async def schedule(self) -> int:
        """Queue the re-crawls whose time has come and the re-indexing of sources embedded with
        another model than this worker's; fail uploads whose file never arrived.
        Runs when the worker starts and every SCHEDULE_EVERY_SECONDS. Returns the jobs queued."""
        self._last_schedule = time.monotonic()
        async with self.database.as_service() as conn:
            queued = await jobs.enqueue_due_refreshes(conn)
            reindex = await jobs.enqueue_reindex(conn, self.embedder.model_name)
            expired = await uploads.expire_stale_uploads(conn, self.settings)
        if queued:
            log.info("queued %d scheduled refresh(es)", queued)
        if reindex:
            log.info("queued %d source(s) for re-indexing with %s", reindex, self.embedder.model_name)
        if expired:
            log.info("marked %d upload(s) whose file never arrived as failed", expired)
        return queued + reindex

    async def run_forever(self, stop: asyncio.Event) -> None:
        listener = await self._listen()
        try:
            while not stop.is_set():
                try:
                    if time.monotonic() - self._last_schedule >= SCHEDULE_EVERY_SECONDS:
                        await self.schedule()
                    if await self.run_once() is not None:
                        continue
                except (OSError, asyncpg.PostgresError) as error:
                    log.warning("database unavailable (%s); retrying", error)
                    await asyncio.sleep(2)
                    continue
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wait(stop), timeout=self.settings.ingest_poll_seconds)
        finally:
            if listener is not None:
                await listener.close()
            await self.database.close()

    async def _wait(self, stop: asyncio.Event) -> None:
        waits = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waits:
                waiter.cancel()

    async def _listen(self) -> asyncpg.Connection | None:
        try:
            conn = await asyncpg.connect(self.settings.database_url, statement_cache_size=0)
            await conn.add_listener("knowledge_jobs", lambda *_: self._wake.set())
        except (OSError, asyncpg.PostgresError) as error:
            log.info("not listening for job notifications (%s); polling", error)
            return None
        return conn

    def _lease(self) -> timedelta:
        return timedelta(seconds=self.settings.ingest_job_lease_seconds)

    def health(self) -> dict[str, object]:
        return {"status": "ok", "worker": self.worker_id, "jobs_run": self.jobs_run, "last_outcome": self.last_outcome}


async def _serve_health(worker: Worker, host: str, port: int) -> asyncio.Server:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readline(), timeout=5)
            ok = request.split(b" ")[1:2] == [b"/healthz"] if request else False
            body = json.dumps(worker.health() if ok else {"error": "not found"}).encode()
            status = b"200 OK" if ok else b"404 Not Found"
            writer.write(
                b"HTTP/1.1 "
                + status
                + b"\r\nContent-Type: application/json\r\nConnection: close\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(handle, host, port)


async def main_async(host: str, port: int) -> None:
    settings = get_settings()
    worker = Worker(settings)
    # Load the embedding model before taking work, so the first job is not the slow one.
    warm_up = getattr(worker.embedder, "warm_up", None)
    if callable(warm_up):
        await asyncio.to_thread(warm_up)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    server = await _serve_health(worker, host, port)
    log.info("ingest worker %s ready (health on http://%s:%d/healthz)", worker.worker_id, host, port)
    try:
        await worker.run_forever(stop)
    finally:
        server.close()
        await server.wait_closed()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Knowledge ingestion worker")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8010)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(main_async(args.host, args.port))


if __name__ == "__main__":
    main()
