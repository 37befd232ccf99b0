"""The knowledge job queue (public.knowledge_jobs), drained by the ingestion
worker. Service connections only: clients queue work by saving a source (a
trigger) or through public.refresh_knowledge_source / cancel_knowledge_source.

A source has at most one active job. Workers claim with `for update skip
locked`, so any number can run side by side; a job whose worker went silent
for longer than the lease is taken over. Failures that may pass (a timeout, a
rate limit) are retried with exponential backoff; the others fail the source
with the reason in words its representative understands."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal
from uuid import UUID

import asyncpg

JobKind = Literal["crawl", "index_article", "ingest_document"]
RETRY_BASE = timedelta(seconds=30)


@dataclass(frozen=True)
class Job:
    id: UUID
    workspace_id: UUID
    source_id: UUID
    kind: JobKind
    attempts: int
    max_attempts: int


def retry_delay(attempts: int) -> timedelta:
    """30 s, 2 min, 8 min, ... capped at an hour."""
    delay: timedelta = RETRY_BASE * 4 ** max(attempts - 1, 0)
    return min(delay, timedelta(hours=1))


async def enqueue(conn: asyncpg.Connection, source_id: UUID, kind: JobKind | None = None) -> UUID:
    """Queue a source's job (e.g. when an uploaded document's file has arrived).
    If one is already queued, that one stands; if one is running, it runs again after."""
    job_id: UUID = await conn.fetchval(
        """select private.enqueue_knowledge_job(s.id, coalesce($2::public.knowledge_job_kind,
                                                             private.knowledge_job_kind_for(s.kind)))
           from public.knowledge_sources s where s.id = $1""",
        source_id,
        kind,
    )
    if job_id is None:
        raise LookupError(f"knowledge source {source_id} does not exist")
    return job_id


async def claim(
    conn: asyncpg.Connection, worker: str, lease: timedelta, embedding_model: str | None = None
) -> Job | None:
    """Take the next job that is due (or whose worker went silent) and mark its source processing.
    `embedding_model`: the worker's, recorded on the source (see `enqueue_reindex`)."""
    async with conn.transaction():
        row = await conn.fetchrow(
            """with next as (
                 -- The job and its source are locked together and never waited for: a source being
                 -- deleted (which locks it, then its jobs) is simply skipped.
                 select j.id from public.knowledge_jobs j
                 join public.knowledge_sources s on s.id = j.source_id
                 where (j.status = 'queued' and j.run_after <= now())
                    or (j.status = 'running' and j.locked_at < now() - $2::interval)
                 order by j.run_after, j.created_at
                 for update of j skip locked
                 for no key update of s skip locked
                 limit 1
               )
               update public.knowledge_jobs j
                  set status = 'running', attempts = j.attempts + 1, locked_at = now(), locked_by = $1
                 from next where j.id = next.id
               returning j.id, j.workspace_id, j.source_id, j.kind::text as kind, j.attempts, j.max_attempts""",
            worker,
            lease,
        )
        if row is None:
            return None
        await conn.execute(
            """update public.knowledge_sources
                  set status = 'processing', status_detail = null, cancel_requested_at = null,
                      progress = '{}'::jsonb, indexed_with_model = coalesce($2, indexed_with_model)
                where id = $1""",
            row["source_id"],
            embedding_model,
        )
    return Job(**dict(row))


async def heartbeat(conn: asyncpg.Connection, job: Job) -> bool:
    """Extend the job's lease. Returns whether its cancellation was requested."""
    cancel_requested = await conn.fetchval(
        """with touched as (
             update public.knowledge_jobs set locked_at = now() where id = $1 and status = 'running' returning id
           )
           select s.cancel_requested_at is not null or not exists (select 1 from touched)
           from public.knowledge_sources s where s.id = $2""",
        job.id,
        job.source_id,
    )
    # A source deleted mid-run counts as cancelled.
    return cancel_requested is None or bool(cancel_requested)


async def _lock_source_first(conn: asyncpg.Connection, source_id: UUID) -> None:
    """Lock the source before its job row. Deleting a source (or its workspace or business) locks the
    source and then cascades to its jobs; taking the locks in the same order means a job finishing while
    its source is deleted waits instead of deadlocking."""
    await conn.execute("select 1 from public.knowledge_sources where id = $1 for no key update", source_id)


async def complete(conn: asyncpg.Connection, job: Job, detail: str | None = None) -> None:
    """The job did its work: the source is ready (or queued again if it was saved meanwhile)."""
    async with conn.transaction():
        await _lock_source_first(conn, job.source_id)
        rerun = await conn.fetchval(
            """update public.knowledge_jobs
                  set status = (case when rerun_requested then 'queued' else 'succeeded' end)
                               ::public.knowledge_job_status,
                      attempts = case when rerun_requested then 0 else attempts end,
                      run_after = now(), rerun_requested = false, locked_at = null, locked_by = null,
                      finished_at = case when rerun_requested then null else now() end, last_error = null
                where id = $1 and status = 'running'
            returning status = 'queued'""",
            job.id,
        )
        if rerun is None:
            return  # cancelled or taken over meanwhile
        await conn.execute(
            """update public.knowledge_sources
                  set status = $2::public.knowledge_source_status, status_detail = $3, last_refreshed_at = now(),
                      chunk_count = (select count(*) from public.knowledge_chunks where source_id = $1)
                where id = $1""",
            job.source_id,
            "queued" if rerun else "ready",
            detail,
        )


async def fail(conn: asyncpg.Connection, job: Job, reason: str, *, retryable: bool) -> bool:
    """Record a failure. Retries later if it may pass and attempts remain (returns True);
    otherwise the source is failed with `reason`, which its representative reads."""
    async with conn.transaction():
        await _lock_source_first(conn, job.source_id)
        row = await conn.fetchrow(
            """select attempts, max_attempts, rerun_requested from public.knowledge_jobs
               where id = $1 and status = 'running'""",
            job.id,
        )
        if row is None:
            return False
        # Saved again meanwhile: try the new version from scratch.
        again = row["rerun_requested"] or (retryable and row["attempts"] < row["max_attempts"])
        delay = timedelta(0) if row["rerun_requested"] else retry_delay(row["attempts"])
        await conn.execute(
            """update public.knowledge_jobs
                  set status = case when $2 then 'queued' else 'failed' end::public.knowledge_job_status,
                      run_after = now() + $3::interval, attempts = case when $4 then 0 else attempts end,
                      rerun_requested = false, locked_at = null, locked_by = null, last_error = $5,
                      finished_at = case when $2 then null else now() end
                where id = $1""",
            job.id,
            again,
            delay,
            bool(row["rerun_requested"]),
            reason[:2000],
        )
        if again and not row["rerun_requested"]:
            minutes = max(1, round(delay.total_seconds() / 60))
            detail = f"{reason} Trying again in about {minutes} minute{'s' if minutes != 1 else ''}."
        else:
            detail = reason
        await conn.execute(
            """update public.knowledge_sources
                  set status = $2::public.knowledge_source_status, status_detail = $3,
                      chunk_count = (select count(*) from public.knowledge_chunks where source_id = $1)
                where id = $1""",
            job.source_id,
            "queued" if again else "failed",
            detail[:2000],
        )
    return bool(again)


async def cancelled(conn: asyncpg.Connection, job: Job, detail: str) -> None:
    """The worker stopped a running job because its cancellation was requested."""
    async with conn.transaction():
        await _lock_source_first(conn, job.source_id)
        await conn.execute(
            """update public.knowledge_jobs
                  set status = 'cancelled', finished_at = now(), locked_at = null, locked_by = null,
                      rerun_requested = false, last_error = 'Cancelled while running.'
                where id = $1 and status = 'running'""",
            job.id,
        )
        await conn.execute(
            """update public.knowledge_sources
                  set status = 'cancelled', status_detail = $2,
                      chunk_count = (select count(*) from public.knowledge_chunks where source_id = $1)
                where id = $1""",
            job.source_id,
            detail[:2000],
        )


async def enqueue_due_refreshes(conn: asyncpg.Connection, limit: int = 20) -> int:
    """Queue the scheduled re-crawls that are due (skipping sources already at work)."""
    async with conn.transaction():
        due = await conn.fetch(
            """select s.id from public.knowledge_sources s
               where s.next_refresh_at <= now() and s.refresh_interval is not null
                 and not exists (select 1 from public.knowledge_jobs j
                                 where j.source_id = s.id and j.status in ('queued', 'running'))
               order by s.next_refresh_at
               for no key update of s skip locked
               limit $1""",
            limit,
        )
        for row in due:
            # Pushed forward now so it is not queued twice; completion sets it from last_refreshed_at.
            await conn.execute(
                "update public.knowledge_sources set next_refresh_at = now() + refresh_interval where id = $1",
                row["id"],
            )
            await enqueue(conn, row["id"])
    return len(due)


async def enqueue_reindex(conn: asyncpg.Connection, embedding_model: str, limit: int = 50) -> int:
    """Queue a new indexing of the sources whose chunks were embedded with another model than
    `embedding_model` (the embedding provider was changed). Once per model: a source is skipped
    when a worker with this model already took one of its jobs (`indexed_with_model`, set by
    `claim`), even if that job failed, so a site that cannot be crawled is not retried forever.
    Meanwhile search still finds the old chunks through full text. Recently changed sources go first."""
    async with conn.transaction():
        stale = await conn.fetch(
            """select s.id from public.knowledge_sources s
               where s.indexed_with_model is distinct from $1
                 and (s.kind <> 'document' or s.storage_key is not null)
                 and exists (select 1 from public.knowledge_chunks c
                             where c.source_id = s.id and c.embedding_model <> $1)
                 and not exists (select 1 from public.knowledge_jobs j
                                 where j.source_id = s.id and j.status in ('queued', 'running'))
               order by s.updated_at desc
               for no key update of s skip locked
               limit $2""",
            embedding_model,
            limit,
        )
        for row in stale:
            await enqueue(conn, row["id"])
    return len(stale)
