"""Fixtures for the database tenancy tests (see dbkit for the helpers).

One asyncpg pool for the session. `conn` is a transaction that is always
rolled back, so most tests leave nothing behind; `world` is committed once per
module (unique emails and names) and deleted at the end of the module.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from . import dbkit


@pytest.fixture(scope="session")
async def pool() -> AsyncIterator[dbkit.Pool]:
    async with dbkit.open_pool() as created:
        await dbkit.sweep_leftovers(created)
        yield created


@pytest.fixture
async def conn(pool: dbkit.Pool) -> AsyncIterator[dbkit.Conn]:
    """A connection inside a transaction that is rolled back after the test."""
    async with pool.acquire() as connection:
        transaction = connection.transaction()
        await transaction.start()
        try:
            yield connection
        finally:
            await transaction.rollback()


@pytest.fixture(scope="module")
async def registry(request: pytest.FixtureRequest, pool: dbkit.Pool) -> AsyncIterator[dbkit.Registry]:
    created = dbkit.new_registry(request.module.__name__.rsplit(".", 1)[-1])
    try:
        yield created
    finally:
        await dbkit.cleanup(pool, created)


@pytest.fixture(scope="module")
async def world(pool: dbkit.Pool, registry: dbkit.Registry) -> dbkit.World:
    return await dbkit.build_world(pool, registry)
