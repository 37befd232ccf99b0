"""A workspace's knowledge sources, as its people see and change them.

Every function takes a connection opened *as the user* (callcenter.db), so
row level security decides; these functions add the checks a person needs a
clear message for. Saving a source queues its indexing in the same
transaction (a database trigger), so an article is re-indexed as soon as it
is saved."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

import asyncpg
from pydantic import BaseModel

from callcenter import tenancy
from callcenter.errors import DomainError, ErrorKind, forbidden, not_found, translated
from callcenter.knowledge.store import PROGRESS_KEYS

SourceKind = Literal["website", "article", "document"]
SourceStatus = Literal["queued", "processing", "ready", "failed", "cancelled"]

MAX_TITLE_CHARS = 200
MAX_ARTICLE_BYTES = 200 * 1024
MAX_URL_CHARS = 2048
DEFAULT_MAX_PAGES = 200
DEFAULT_MAX_DEPTH = 5


class Progress(BaseModel):
    pages_found: int = 0
    pages_fetched: int = 0
    pages_indexed: int = 0
    pages_skipped: int = 0
    pages_failed: int = 0
    document_pages: int = 0
    document_pages_extracted: int = 0


class Source(BaseModel):
    id: UUID
    workspace_id: UUID
    kind: SourceKind
    title: str
    url: str | None
    file_name: str | None
    status: SourceStatus
    status_detail: str | None
    progress: Progress
    chunk_count: int
    last_refreshed_at: datetime | None
    next_refresh_at: datetime | None
    refresh_interval_hours: int | None
    max_pages: int | None
    max_depth: int | None
    include_path_prefix: str | None
    created_at: datetime
    updated_at: datetime


class Article(BaseModel):
    id: UUID
    title: str
    body_markdown: str
    status: SourceStatus
    status_detail: str | None
    chunk_count: int
    updated_at: datetime


_SOURCE = """
    select id, workspace_id, kind::text as kind, title, url, file_name, status::text as status, status_detail,
           progress, chunk_count, last_refreshed_at, next_refresh_at,
           (extract(epoch from refresh_interval) / 3600)::integer as refresh_interval_hours,
           max_pages, max_depth, include_path_prefix, created_at, updated_at
    from public.knowledge_sources
"""
_ARTICLE = """
    select id, title, body_markdown, status::text as status, status_detail, chunk_count, updated_at
    from public.knowledge_sources
"""


def _source(row: asyncpg.Record) -> Source:
    data: dict[str, Any] = dict(row)
    progress = data.pop("progress")
    values = json.loads(progress) if isinstance(progress, str) else dict(progress or {})
    return Source(**data, progress=Progress(**{k: int(v) for k, v in values.items() if k in PROGRESS_KEYS}))


# ---------------------------------------------------------------- validation


def invalid(code: str, message: str, field: str) -> DomainError:
    return DomainError(ErrorKind.INVALID, code, message, field=field)


def normalize_website_url(raw: str) -> str:
    """An http(s) address with a host and no credentials, without its fragment.
    (Whether the host may be fetched is decided at crawl time, after DNS.)"""
    url = raw.strip()
    message = "Enter a web address that starts with http:// or https://, such as https://help.example.com."
    if not url or len(url) > MAX_URL_CHARS or any(ch.isspace() for ch in url):
        raise invalid("invalid_url", message, "url")
    try:
        parts = urlsplit(url)
        port = parts.port
        hostname = parts.hostname
    except ValueError:
        raise invalid("invalid_url", message, "url") from None
    if parts.scheme.lower() not in ("http", "https") or not hostname:
        raise invalid("invalid_url", message, "url")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise invalid("invalid_url", "Leave out the user name and password: the address must not contain them.", "url")
    try:
        host = hostname.encode("idna").decode("ascii") if not hostname.startswith("[") else hostname
    except UnicodeError:
        raise invalid("invalid_url", message, "url") from None
    if not host.strip(".") or ".." in host:
        raise invalid("invalid_url", message, "url")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host.lower() + (f":{port}" if port is not None else "")
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, ""))


def default_path_prefix(url: str) -> str:
    """Stay under the path the crawl starts from (its folder, if it names a file)."""
    path = urlsplit(url).path or "/"
    last = path.rsplit("/", 1)[-1]
    if "." in last:
        path = path[: len(path) - len(last)]
    return path or "/"


def _interval(hours: int | None) -> timedelta | None:
    return timedelta(hours=hours) if hours else None


# ---------------------------------------------------------------- reads


async def _workspace(conn: asyncpg.Connection, workspace_id: UUID) -> tenancy.WorkspaceDetail:
    return await tenancy.get_workspace(conn, workspace_id)


async def _managed_workspace(conn: asyncpg.Connection, workspace_id: UUID, action: str) -> tenancy.WorkspaceDetail:
    workspace = await _workspace(conn, workspace_id)
    if not workspace.can_manage:
        raise forbidden(f"You need to be an admin of this workspace to {action}.")
    return workspace


async def list_sources(conn: asyncpg.Connection, workspace_id: UUID) -> list[Source]:
    await _workspace(conn, workspace_id)
    rows = await conn.fetch(_SOURCE + " where workspace_id = $1 order by created_at desc, id", workspace_id)
    return [_source(row) for row in rows]


async def get_source(conn: asyncpg.Connection, workspace_id: UUID, source_id: UUID) -> Source:
    row = await conn.fetchrow(_SOURCE + " where id = $1 and workspace_id = $2", source_id, workspace_id)
    if row is None:
        await _workspace(conn, workspace_id)
        raise not_found("That knowledge source")
    return _source(row)


async def get_article(conn: asyncpg.Connection, workspace_id: UUID, source_id: UUID) -> Article:
    row = await conn.fetchrow(
        _ARTICLE + " where id = $1 and workspace_id = $2 and kind = 'article'", source_id, workspace_id
    )
    if row is None:
        await _workspace(conn, workspace_id)
        raise not_found("That article")
    return Article(**dict(row))


# ---------------------------------------------------------------- articles


def _check_article(title: str, body_markdown: str) -> tuple[str, str]:
    title = title.strip()
    if not title:
        raise invalid("invalid_request", "Title can't be empty.", "title")
    if len(title) > MAX_TITLE_CHARS:
        raise invalid("invalid_request", f"Title is too long (at most {MAX_TITLE_CHARS} characters).", "title")
    if not body_markdown.strip():
        raise invalid("invalid_request", "Body markdown can't be empty.", "body_markdown")
    if len(body_markdown.encode()) > MAX_ARTICLE_BYTES:
        raise invalid(
            "too_large", f"The article is too long (at most {MAX_ARTICLE_BYTES // 1024} KB).", "body_markdown"
        )
    return title, body_markdown


async def create_article(
    conn: asyncpg.Connection, workspace_id: UUID, user_id: UUID, title: str, body_markdown: str
) -> Source:
    title, body_markdown = _check_article(title, body_markdown)
    workspace = await _managed_workspace(conn, workspace_id, "write articles")
    with translated():
        source_id = await conn.fetchval(
            """insert into public.knowledge_sources (workspace_id, business_id, kind, title, body_markdown, created_by)
               values ($1, $2, 'article', $3, $4, $5) returning id""",
            workspace_id,
            workspace.business_id,
            title,
            body_markdown,
            user_id,
        )
    return await get_source(conn, workspace_id, source_id)


async def update_article(
    conn: asyncpg.Connection, workspace_id: UUID, source_id: UUID, title: str, body_markdown: str
) -> Article:
    title, body_markdown = _check_article(title, body_markdown)
    current = await get_article(conn, workspace_id, source_id)
    await _managed_workspace(conn, workspace_id, "edit articles")
    if (current.title, current.body_markdown) != (title, body_markdown):
        with translated():
            await conn.execute(
                """update public.knowledge_sources set title = $3, body_markdown = $4
                   where id = $1 and workspace_id = $2""",
                source_id,
                workspace_id,
                title,
                body_markdown,
            )
    return await get_article(conn, workspace_id, source_id)


# ---------------------------------------------------------------- websites


async def add_website(
    conn: asyncpg.Connection,
    workspace_id: UUID,
    user_id: UUID,
    url: str,
    *,
    max_pages: int | None = None,
    max_depth: int | None = None,
    refresh_interval_hours: int | None = None,
    include_path_prefix: str | None = None,
    title: str | None = None,
) -> Source:
    url = normalize_website_url(url)
    include_path_prefix = _check_path_prefix(include_path_prefix)
    workspace = await _managed_workspace(conn, workspace_id, "add websites to its knowledge")
    host = urlsplit(url).hostname or url
    with translated("This website is already in this workspace's knowledge."):
        source_id = await conn.fetchval(
            """insert into public.knowledge_sources
                 (workspace_id, business_id, kind, title, url, max_pages, max_depth, include_path_prefix,
                  refresh_interval, created_by)
               values ($1, $2, 'website', $3, $4, $5, $6, $7, $8, $9) returning id""",
            workspace_id,
            workspace.business_id,
            (title or host).strip()[:MAX_TITLE_CHARS],
            url,
            max_pages or DEFAULT_MAX_PAGES,
            DEFAULT_MAX_DEPTH if max_depth is None else max_depth,
            include_path_prefix or default_path_prefix(url),
            _interval(refresh_interval_hours),
            user_id,
        )
    return await get_source(conn, workspace_id, source_id)


class WebsiteChanges(BaseModel):
    """What a representative may change on a website source; a field left out stays as it is."""

    title: str | None = None
    url: str | None = None
    max_pages: int | None = None
    max_depth: int | None = None
    include_path_prefix: str | None = None  # None or "": the start page's folder
    refresh_interval_hours: int | None = None  # None: only when asked
    fields_set: frozenset[str] = frozenset()


def _check_path_prefix(include_path_prefix: str | None) -> str | None:
    prefix = (include_path_prefix or "").strip() or None
    if prefix is not None and (not prefix.startswith("/") or any(ch.isspace() or ch in "?#" for ch in prefix)):
        message = "The path to stay under must start with /, such as /help."
        raise invalid("invalid_request", message, "include_path_prefix")
    return prefix


async def update_website(
    conn: asyncpg.Connection, workspace_id: UUID, source_id: UUID, changes: WebsiteChanges
) -> Source:
    """Change a website's settings. A new address, path or page/depth limit re-crawls it
    (the database queues the crawl in the same transaction); a new schedule moves the next refresh."""
    current = await get_source(conn, workspace_id, source_id)
    if current.kind != "website":
        raise not_found("That website")
    await _managed_workspace(conn, workspace_id, "change its websites")
    given = changes.fields_set
    values: dict[str, Any] = {}
    if "title" in given:
        title = (changes.title or "").strip()
        if not title:
            raise invalid("invalid_request", "Title can't be empty.", "title")
        values["title"] = title[:MAX_TITLE_CHARS]
    url = current.url or ""
    if "url" in given:
        url = normalize_website_url(changes.url or "")
        values["url"] = url
    if "include_path_prefix" in given:
        values["include_path_prefix"] = _check_path_prefix(changes.include_path_prefix) or default_path_prefix(url)
    elif url != current.url:
        values["include_path_prefix"] = default_path_prefix(url)
    if "max_pages" in given:
        values["max_pages"] = changes.max_pages or DEFAULT_MAX_PAGES
    if "max_depth" in given:
        values["max_depth"] = DEFAULT_MAX_DEPTH if changes.max_depth is None else changes.max_depth
    if "refresh_interval_hours" in given:
        values["refresh_interval"] = _interval(changes.refresh_interval_hours)
    current_values = {
        "title": current.title,
        "url": current.url,
        "include_path_prefix": current.include_path_prefix,
        "max_pages": current.max_pages,
        "max_depth": current.max_depth,
        "refresh_interval": _interval(current.refresh_interval_hours),
    }
    changed = {name: value for name, value in values.items() if current_values[name] != value}
    if changed:
        assignments = ", ".join(f"{name} = ${index}" for index, name in enumerate(changed, start=3))
        with translated("This website is already in this workspace's knowledge."):
            updated = await conn.fetchval(
                f"update public.knowledge_sources set {assignments} where id = $1 and workspace_id = $2 returning id",
                source_id,
                workspace_id,
                *changed.values(),
            )
        if updated is None:
            raise forbidden("You need to be an admin of this workspace to change its websites.")
    return await get_source(conn, workspace_id, source_id)


# ---------------------------------------------------------------- any source


async def refresh_source(conn: asyncpg.Connection, workspace_id: UUID, source_id: UUID) -> Source:
    """Re-crawl a website, re-index an article, re-read a document."""
    await get_source(conn, workspace_id, source_id)
    await _managed_workspace(conn, workspace_id, "refresh its knowledge")
    with translated():
        await conn.execute("select public.refresh_knowledge_source($1)", source_id)
    return await get_source(conn, workspace_id, source_id)


async def cancel_source(conn: asyncpg.Connection, workspace_id: UUID, source_id: UUID) -> Source:
    """Stop a queued or running update. What was indexed so far stays searchable."""
    await get_source(conn, workspace_id, source_id)
    await _managed_workspace(conn, workspace_id, "cancel updates of its knowledge")
    with translated():
        await conn.execute("select public.cancel_knowledge_source($1)", source_id)
    return await get_source(conn, workspace_id, source_id)


async def delete_source(conn: asyncpg.Connection, workspace_id: UUID, source_id: UUID) -> str | None:
    """Delete a source; its documents, chunks and jobs go with it.
    Returns the uploaded file's storage key, if any, for the caller to remove from storage."""
    await get_source(conn, workspace_id, source_id)
    await _managed_workspace(conn, workspace_id, "delete knowledge sources")
    deleted = await conn.fetchrow(
        "delete from public.knowledge_sources where id = $1 and workspace_id = $2 returning id, storage_key",
        source_id,
        workspace_id,
    )
    if deleted is None:
        raise forbidden("You need to be an admin of this workspace to delete knowledge sources.")
    storage_key: str | None = deleted["storage_key"]
    return storage_key


def storage_prefix(workspace_id: UUID) -> str:
    """Every uploaded document's object key starts with this (the database checks it)."""
    return f"workspaces/{workspace_id}/"
