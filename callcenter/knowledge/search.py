"""Hybrid search over a workspace's knowledge, with citations.

The query is embedded with the configured model and handed, with its text,
to public.search_knowledge (vector + full text, fused by reciprocal rank).
On a user's connection row level security decides what is found; the voice
agent calls it on a service connection with the workspace of the call. If the
embedding service fails, search still answers from full text alone."""

from __future__ import annotations

import logging
from typing import Literal
from uuid import UUID

import asyncpg
from pydantic import BaseModel

from callcenter.knowledge.embeddings import Embedder, EmbeddingError
from callcenter.knowledge.store import vector_literal

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 1000
MAX_RESULTS = 20


class SearchResult(BaseModel):
    chunk_id: UUID
    source_id: UUID
    source_kind: Literal["website", "article", "document"]
    source_title: str
    # The page, article or file the passage is from, and where it sits in it.
    title: str
    url: str | None
    page: int | None
    heading_path: list[str]
    content: str
    score: float
    vector_rank: int | None
    text_rank: int | None

    @property
    def citation(self) -> str:
        """Where a passage is from, in one line: "Refund policy > Timing (https://…)"."""
        place = " > ".join(part for part in (self.title or self.source_title, *self.heading_path) if part)
        if self.page is not None:
            place += f", page {self.page}"
        return f"{place} ({self.url})" if self.url else place


async def search(
    conn: asyncpg.Connection, embedder: Embedder, workspace_id: UUID, query: str, limit: int = 5
) -> list[SearchResult]:
    query = query.strip()[:MAX_QUERY_CHARS]
    if not query:
        return []
    vector: str | None = None
    try:
        vector = vector_literal((await embedder.embed([query]))[0])
    except EmbeddingError as error:
        log.warning("searching full text only: %s", error.message)
    rows = await conn.fetch(
        """select chunk_id, source_id, source_kind::text as source_kind, source_title,
                  coalesce(nullif(document_title, ''), source_title) as title, url, page, heading_path, content,
                  score, vector_rank, text_rank
           from public.search_knowledge($1, $2, $3::text::extensions.vector, $4, $5)""",
        workspace_id,
        query,
        vector,
        embedder.model_name,
        max(1, min(limit, MAX_RESULTS)),
    )
    return [SearchResult(**dict(row)) for row in rows]
