"""Knowledge for tests that need a workspace with answers: an article indexed by
the production knowledge code (chunked, embedded, stored), what the ingestion
worker does for an article, without waiting for a job."""

from __future__ import annotations

import uuid

from callcenter.knowledge import store
from callcenter.knowledge.chunking import chunk_document
from callcenter.knowledge.embeddings import get_embedder
from callcenter.knowledge.markdown import markdown_to_document
from tests.db import dbkit


async def index_article(
    conn: dbkit.Conn, workspace_id: uuid.UUID, business_id: uuid.UUID, title: str, body: str
) -> None:
    source_id = await conn.fetchval(
        """insert into public.knowledge_sources (workspace_id, business_id, kind, title, body_markdown)
           values ($1, $2, 'article', $3, $4) returning id""",
        workspace_id,
        business_id,
        title,
        body,
    )
    document = markdown_to_document(title, body)
    chunks = chunk_document(document)
    embedder = get_embedder()
    vectors = await embedder.embed([chunk.embedding_text() for chunk in chunks])
    await store.write_document(
        conn,  # type: ignore[arg-type]
        workspace_id=workspace_id,
        source_id=source_id,
        document=document,
        chunks=chunks,
        vectors=vectors,
        embedding_model=embedder.model_name,
    )
