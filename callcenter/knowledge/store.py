"""Writing a source's documents and chunks. Only the ingestion worker writes
these tables, on a service connection (callcenter.db.Database.as_service):
clients have no write privilege on them."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from uuid import UUID

import asyncpg

from callcenter.knowledge.chunking import Chunk
from callcenter.knowledge.types import ExtractedDocument

PROGRESS_KEYS = (
    "pages_found",
    "pages_fetched",
    "pages_indexed",
    "pages_skipped",
    "pages_failed",
    "document_pages",
    "document_pages_extracted",
)


def vector_literal(vector: Sequence[float]) -> str:
    """pgvector's text form; sent as text and cast, so no client-side codec is needed."""
    return "[" + ",".join(f"{x:.7g}" for x in vector) + "]"


async def document_hashes(
    conn: asyncpg.Connection, source_id: UUID, embedding_model: str | None = None
) -> dict[str | None, str]:
    """URL (None for an article or a file) -> content hash of what is indexed now.
    With `embedding_model`, a document holding vectors of another model gets an empty hash,
    so a re-crawl counts it as changed and embeds it again."""
    rows = await conn.fetch(
        """select d.url, case when $2::text is not null and exists (
                   select 1 from public.knowledge_chunks c where c.document_id = d.id and c.embedding_model <> $2
                 ) then '' else d.content_hash end as content_hash
           from public.knowledge_documents d where d.source_id = $1""",
        source_id,
        embedding_model,
    )
    return {row["url"]: row["content_hash"] for row in rows}


async def write_document(
    conn: asyncpg.Connection,
    *,
    workspace_id: UUID,
    source_id: UUID,
    document: ExtractedDocument,
    chunks: Sequence[Chunk],
    vectors: Sequence[Sequence[float]],
    embedding_model: str,
) -> UUID:
    """Replace one document's chunks with these, atomically: a search sees the old
    chunks or the new ones, never a mix or none."""
    if len(chunks) != len(vectors):
        raise ValueError(f"{len(chunks)} chunks but {len(vectors)} vectors")
    async with conn.transaction():
        document_id: UUID = await conn.fetchval(
            """insert into public.knowledge_documents (workspace_id, source_id, url, title, content_hash, page_count)
               values ($1, $2, $3, $4, $5, $6)
               on conflict (source_id, url) do update
                 set title = excluded.title, content_hash = excluded.content_hash,
                     page_count = excluded.page_count, fetched_at = now()
               returning id""",
            workspace_id,
            source_id,
            document.url,
            document.title[:500],
            document.content_hash,
            document.page_count,
        )
        await conn.execute("delete from public.knowledge_chunks where document_id = $1", document_id)
        await conn.executemany(
            """insert into public.knowledge_chunks
                 (workspace_id, source_id, document_id, ordinal, title, heading_path, url, page, content,
                  embedding_model, embedding)
               values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::text::extensions.vector)""",
            [
                (
                    workspace_id,
                    source_id,
                    document_id,
                    chunk.ordinal,
                    chunk.title,
                    list(chunk.heading_path),
                    chunk.url,
                    chunk.page,
                    chunk.content,
                    embedding_model,
                    vector_literal(vector),
                )
                for chunk, vector in zip(chunks, vectors, strict=True)
            ],
        )
    return document_id


async def delete_documents_except(conn: asyncpg.Connection, source_id: UUID, keep: Collection[str | None]) -> int:
    """Drop the documents (and their chunks) a refresh no longer found."""
    keep_urls = [url for url in keep if url is not None]
    keep_null = any(url is None for url in keep)
    status = await conn.execute(
        """delete from public.knowledge_documents
           where source_id = $1
             and not (url = any($2::text[]) or (url is null and $3))""",
        source_id,
        keep_urls,
        keep_null,
    )
    return int(status.rsplit(" ", 1)[-1])


async def delete_documents(conn: asyncpg.Connection, source_id: UUID, urls: Collection[str]) -> int:
    """Drop these pages (and their chunks): a re-crawl found them gone."""
    status = await conn.execute(
        "delete from public.knowledge_documents where source_id = $1 and url = any($2::text[])", source_id, list(urls)
    )
    return int(status.rsplit(" ", 1)[-1])


async def refresh_chunk_count(conn: asyncpg.Connection, source_id: UUID) -> int:
    count: int = await conn.fetchval(
        """update public.knowledge_sources
           set chunk_count = (select count(*) from public.knowledge_chunks where source_id = $1)
           where id = $1 returning chunk_count""",
        source_id,
    )
    return count or 0


async def merge_progress(conn: asyncpg.Connection, source_id: UUID, values: Mapping[str, int]) -> None:
    unknown = set(values) - set(PROGRESS_KEYS)
    if unknown:
        raise ValueError(f"unknown progress keys: {sorted(unknown)}")
    await conn.execute(
        "update public.knowledge_sources set progress = progress || $2::jsonb where id = $1",
        source_id,
        json.dumps(dict(values)),
    )
