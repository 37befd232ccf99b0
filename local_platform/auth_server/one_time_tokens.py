"""auth.one_time_tokens: the hashes of what was emailed, one per user and kind."""

from __future__ import annotations

import uuid

from local_platform.auth_server.db import Conn

CONFIRMATION = "confirmation_token"
RECOVERY = "recovery_token"
EMAIL_CHANGE_NEW = "email_change_token_new"
EMAIL_CHANGE_CURRENT = "email_change_token_current"


async def create(conn: Conn, user_id: uuid.UUID, relates_to: str, token_hash: str, token_type: str) -> None:
    await clear(conn, user_id, token_type)
    await conn.execute(
        """insert into auth.one_time_tokens (id, user_id, token_type, token_hash, relates_to)
           values ($1, $2, $3::auth.one_time_token_type, $4, $5)""",
        uuid.uuid4(), user_id, token_type, token_hash, relates_to.lower(),
    )


async def clear(conn: Conn, user_id: uuid.UUID, token_type: str) -> None:
    await conn.execute(
        "delete from auth.one_time_tokens where user_id = $1 and token_type = $2::auth.one_time_token_type",
        user_id, token_type,
    )


async def clear_all_for_user(conn: Conn, user_id: uuid.UUID) -> None:
    await conn.execute("delete from auth.one_time_tokens where user_id = $1", user_id)


async def find_user_id(conn: Conn, token_hash: str, *token_types: str) -> tuple[uuid.UUID, str] | None:
    """(user id, token type) of the token with this hash among these kinds."""
    row = await conn.fetchrow(
        """select user_id, token_type::text as token_type from auth.one_time_tokens
           where token_hash = $1 and token_type::text = any($2::text[]) limit 1""",
        token_hash, list(token_types),
    )
    return (row["user_id"], row["token_type"]) if row else None
