"""Retrieval for a caller turn: the previous issue's hybrid search, on a service
connection scoped to the call's workspace. A slow or failing database never
holds the turn hostage: after the timeout the turn goes on without passages."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from uuid import UUID

from callcenter.db import Database
from callcenter.knowledge.embeddings import Embedder
from callcenter.knowledge.search import SearchResult, search

log = logging.getLogger(__name__)

RETRIEVAL_TIMEOUT_SECONDS = 4.0


@dataclass(frozen=True)
class Retrieval:
    results: list[SearchResult] = field(default_factory=list)
    elapsed_ms: float | None = None
    # The search could not run (database down, timeout): the knowledge base was not consulted.
    failed: bool = False


class KnowledgeRetriever:
    def __init__(
        self,
        database: Database,
        embedder: Embedder,
        workspace_id: UUID,
        *,
        limit: int,
        timeout: float = RETRIEVAL_TIMEOUT_SECONDS,
    ) -> None:
        self._database = database
        self._embedder = embedder
        self._workspace_id = workspace_id
        self._limit = limit
        self._timeout = timeout

    async def _search(self, question: str) -> list[SearchResult]:
        async with self._database.as_service() as conn:
            return await search(conn, self._embedder, self._workspace_id, question, self._limit)

    async def retrieve(self, question: str) -> Retrieval:
        started = time.perf_counter()
        try:
            results = await asyncio.wait_for(self._search(question), self._timeout)
        except Exception as error:  # any failure: answer without knowledge rather than hang
            log.warning("knowledge search failed for workspace %s: %r", self._workspace_id, error)
            return Retrieval(elapsed_ms=(time.perf_counter() - started) * 1000, failed=True)
        return Retrieval(results=results, elapsed_ms=(time.perf_counter() - started) * 1000)
