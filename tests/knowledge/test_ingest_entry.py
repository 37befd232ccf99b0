"""The ingestion worker's entry points: the Lambda handler and the local service's health."""

from __future__ import annotations

import httpx

from lambdas.ingest import handler as lambda_entry
from local_platform.layout import HOST, PORTS


class _AlmostOutOfTime:
    def get_remaining_time_in_millis(self) -> int:
        return 1_000


def test_the_lambda_handler_starts_no_job_near_its_time_limit() -> None:
    assert lambda_entry.handler({}, _AlmostOutOfTime()) == {"jobs_run": 0}


def test_the_local_worker_answers_its_health_check() -> None:
    response = httpx.get(f"http://{HOST}:{PORTS.ingest}/healthz", timeout=5)
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert httpx.get(f"http://{HOST}:{PORTS.ingest}/nope", timeout=5).status_code == 404
