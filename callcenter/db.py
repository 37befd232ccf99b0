"""Database access. Requests act as the signed-in user: each transaction sets
the `authenticated` role and the JWT claims, exactly as PostgREST does, so row
level security decides what a user may read and write."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import cast

import asyncpg

from callcenter.settings import Settings
from callcenter.tokens import Claims


class Database:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._pool: asyncpg.Pool | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = asyncio.Lock()

    async def pool(self) -> asyncpg.Pool:
        # A pool belongs to one event loop; Lambda may hand us a new one.
        loop = asyncio.get_running_loop()
        if self._pool is None or self._loop is not loop:
            self._pool = await asyncpg.create_pool(
                self._settings.database_url,
                min_size=0,
                max_size=self._settings.database_pool_max_size,
                statement_cache_size=self._settings.database_statement_cache_size,
                command_timeout=30,
            )
            self._loop = loop
        return self._pool

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    @asynccontextmanager
    async def as_user(self, claims: Claims) -> AsyncIterator[asyncpg.Connection]:
        pool = await self.pool()
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)",
                claims.as_json(),
            )
            yield cast(asyncpg.Connection, conn)

    @asynccontextmanager
    async def as_anon(self) -> AsyncIterator[asyncpg.Connection]:
        pool = await self.pool()
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "select set_config('role', 'anon', true), set_config('request.jwt.claims', '{\"role\":\"anon\"}', true)"
            )
            yield cast(asyncpg.Connection, conn)

    @asynccontextmanager
    async def as_service(self) -> AsyncIterator[asyncpg.Connection]:
        """Bypasses row level security: only for work no user performs (webhooks, jobs)."""
        pool = await self.pool()
        async with pool.acquire() as conn, conn.transaction():
            yield cast(asyncpg.Connection, conn)
