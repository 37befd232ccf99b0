"""A workspace's knowledge: sources (websites, articles; documents are uploaded
through their own routes), their status, and search."""

from __future__ import annotations

import logging
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, BackgroundTasks, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from callcenter import tenancy
from callcenter.knowledge import search, sources
from callcenter.settings import Settings
from lambdas.api.deps import CurrentClaims, EmbedderDep, SettingsDep, UserConnection
from lambdas.api.schemas import AddWebsite, KnowledgeSearch, KnowledgeSearchResults, KnowledgeTitle, SaveArticle

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/workspaces/{workspace_id}/knowledge", tags=["knowledge"])


@router.get("/sources", response_model=list[sources.Source])
async def list_sources(workspace_id: UUID, conn: UserConnection) -> list[sources.Source]:
    """Every source with its live status; the web app also follows changes through Supabase Realtime."""
    return await sources.list_sources(conn, workspace_id)


@router.get("/sources/{source_id}", response_model=sources.Source)
async def get_source(workspace_id: UUID, source_id: UUID, conn: UserConnection) -> sources.Source:
    return await sources.get_source(conn, workspace_id, source_id)


@router.post("/websites", status_code=status.HTTP_201_CREATED, response_model=sources.Source)
async def add_website(
    workspace_id: UUID, body: AddWebsite, claims: CurrentClaims, conn: UserConnection
) -> sources.Source:
    """Add a help center to crawl. The crawl starts right away."""
    return await sources.add_website(
        conn,
        workspace_id,
        UUID(claims.sub),
        body.url,
        max_pages=body.max_pages,
        max_depth=body.max_depth,
        refresh_interval_hours=body.refresh_interval_hours,
        include_path_prefix=body.include_path_prefix,
        title=body.title,
    )


class UpdateWebsite(BaseModel):
    """A website's settings; fields left out stay as they are. Changing the address, the path or a
    limit re-crawls the site."""

    model_config = ConfigDict(extra="forbid")

    title: KnowledgeTitle | None = Field(default=None, description="Shown in the list")
    url: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2048)] | None = Field(
        default=None, description="Where the crawl starts: an http(s) address"
    )
    max_pages: int | None = Field(default=None, ge=1, le=10000, description="At most this many pages (null: 200)")
    max_depth: int | None = Field(default=None, ge=0, le=50, description="Links followed from the start page (null: 5)")
    include_path_prefix: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1024)] | None = Field(
        default=None, description="Only pages under this path (null or empty: the start page's folder)"
    )
    refresh_interval_hours: int | None = Field(
        default=None, ge=1, le=720, description="Re-crawl this often (hours); null: only when asked"
    )


@router.patch("/websites/{source_id}", response_model=sources.Source)
async def update_website(
    workspace_id: UUID, source_id: UUID, body: UpdateWebsite, conn: UserConnection
) -> sources.Source:
    """Change a website's settings (workspace admins). A new address, path or limit re-crawls it."""
    changes = sources.WebsiteChanges(**body.model_dump(), fields_set=frozenset(body.model_fields_set))
    return await sources.update_website(conn, workspace_id, source_id, changes)


@router.post("/sources/{source_id}/refresh", status_code=status.HTTP_202_ACCEPTED, response_model=sources.Source)
async def refresh_source(workspace_id: UUID, source_id: UUID, conn: UserConnection) -> sources.Source:
    """Re-crawl a website, re-index an article or re-read a document."""
    return await sources.refresh_source(conn, workspace_id, source_id)


@router.post("/sources/{source_id}/cancel", status_code=status.HTTP_202_ACCEPTED, response_model=sources.Source)
async def cancel_source(workspace_id: UUID, source_id: UUID, conn: UserConnection) -> sources.Source:
    """Stop a queued or running update; what was indexed so far stays searchable."""
    return await sources.cancel_source(conn, workspace_id, source_id)


@router.delete("/sources/{source_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_source(
    workspace_id: UUID, source_id: UUID, conn: UserConnection, settings: SettingsDep, background: BackgroundTasks
) -> None:
    """Delete a source and everything indexed from it (an uploaded file is removed from storage too)."""
    storage_key = await sources.delete_source(conn, workspace_id, source_id)
    if storage_key:
        background.add_task(_remove_file, settings, storage_key)


def _remove_file(settings: Settings, storage_key: str) -> None:
    from callcenter.knowledge.uploads import delete_object

    try:
        delete_object(settings, storage_key)
    except Exception:  # the source is gone either way; an orphan file is only storage
        log.exception("could not delete %s from storage", storage_key)


@router.post("/articles", status_code=status.HTTP_201_CREATED, response_model=sources.Source)
async def create_article(
    workspace_id: UUID, body: SaveArticle, claims: CurrentClaims, conn: UserConnection
) -> sources.Source:
    """Write an article (Markdown). It is indexed as soon as it is saved."""
    return await sources.create_article(conn, workspace_id, UUID(claims.sub), body.title, body.body_markdown)


@router.get("/articles/{source_id}", response_model=sources.Article)
async def get_article(workspace_id: UUID, source_id: UUID, conn: UserConnection) -> sources.Article:
    return await sources.get_article(conn, workspace_id, source_id)


@router.put("/articles/{source_id}", response_model=sources.Article)
async def update_article(
    workspace_id: UUID, source_id: UUID, body: SaveArticle, conn: UserConnection
) -> sources.Article:
    """Save an article; it is re-indexed right away."""
    return await sources.update_article(conn, workspace_id, source_id, body.title, body.body_markdown)


@router.post("/search", response_model=KnowledgeSearchResults)
async def search_knowledge(
    workspace_id: UUID, body: KnowledgeSearch, conn: UserConnection, embedder: EmbedderDep
) -> KnowledgeSearchResults:
    """Hybrid search (meaning + words) over this workspace's knowledge: passages with where they came from."""
    await tenancy.get_workspace(conn, workspace_id)
    return KnowledgeSearchResults(results=await search.search(conn, embedder, workspace_id, body.query, body.limit))
