"""Bring the database to the state a Supabase project has, then apply
`supabase/migrations` in order, recording each one as Supabase does."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg

from local_platform.layout import PATHS

PLATFORM_SQL = [
    Path(__file__).parent / "sql" / "00_supabase_roles.sql",
    Path(__file__).parent / "realtime" / "sql" / "realtime_schema.sql",
    Path(__file__).parent / "auth_server" / "schema.sql",
]
MIGRATIONS_DIR = PATHS.root / "supabase" / "migrations"


def migration_files() -> list[Path]:
    return sorted(MIGRATIONS_DIR.glob("*.sql"))


async def apply_all(database_url: str) -> list[str]:
    """Apply platform bootstrap SQL and pending migrations. Returns the versions applied."""
    conn = await asyncpg.connect(database_url)
    try:
        for script in PLATFORM_SQL:
            async with conn.transaction():
                await conn.execute(script.read_text())
        applied = {
            row["version"] for row in await conn.fetch("select version from supabase_migrations.schema_migrations")
        }
        newly_applied: list[str] = []
        for path in migration_files():
            version, _, name = path.stem.partition("_")
            if version in applied:
                continue
            sql = path.read_text()
            async with conn.transaction():
                await conn.execute(sql)
                await conn.execute(
                    "insert into supabase_migrations.schema_migrations (version, name, statements) values ($1, $2, $3)",
                    version,
                    name,
                    [sql],
                )
            newly_applied.append(path.name)
        return newly_applied
    finally:
        await conn.close()


def run(database_url: str) -> list[str]:
    return asyncio.run(apply_all(database_url))
