"""Sessions, rotating refresh tokens and the token response.

Refresh tokens are Supabase Auth's original kind: 12 random characters in
auth.refresh_tokens, each use revoking the token and issuing a child. Using a
revoked token again is tolerated when its child was never used (the client
lost the response) or within the reuse interval; after that the whole session's
tokens are revoked (GOTRUE_SECURITY_REFRESH_TOKEN_ROTATION_ENABLED)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from local_platform.auth_server import users
from local_platform.auth_server.config import Config
from local_platform.auth_server.db import Conn
from local_platform.auth_server.errors import APIError, bad_request
from local_platform.auth_server.models import NIL_UUID, User, now
from local_platform.auth_server.tokens import SigningKeys, access_token_claims, secure_alphanumeric


@dataclass(frozen=True)
class Client:
    """Who is asking: recorded on the session as Supabase Auth does."""

    user_agent: str | None
    ip: str | None


@dataclass
class Session:
    id: uuid.UUID
    user_id: uuid.UUID
    created_at: datetime | None
    not_after: datetime | None
    aal: str | None

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Session:
        return cls(row["id"], row["user_id"], row["created_at"], row["not_after"], row["aal"])


async def find(conn: Conn, session_id: uuid.UUID, for_update: bool = False) -> Session | None:
    lock = " for update" if for_update else ""
    row = await conn.fetchrow(f"select * from auth.sessions where id = $1{lock}", session_id)
    return Session.from_row(row) if row else None


async def add_amr_claim(conn: Conn, session_id: uuid.UUID, method: str) -> None:
    stamp = now()
    await conn.execute(
        """insert into auth.mfa_amr_claims (id, session_id, created_at, updated_at, authentication_method)
           values ($1, $2, $3, $3, $4)
           on conflict on constraint mfa_amr_claims_session_id_authentication_method_pkey
           do update set updated_at = excluded.updated_at""",
        uuid.uuid4(), session_id, stamp, method,
    )


async def amr_of(conn: Conn, session_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "select authentication_method, updated_at from auth.mfa_amr_claims where session_id = $1"
        " order by updated_at desc",
        session_id,
    )
    return [{"method": r["authentication_method"], "timestamp": int(r["updated_at"].timestamp())} for r in rows]


async def _new_refresh_token(conn: Conn, user_id: uuid.UUID, session_id: uuid.UUID, parent: str | None) -> str:
    token = secure_alphanumeric(12)
    stamp = now()
    await conn.execute(
        """insert into auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at,
                                            parent, session_id)
           values ($1, $2, $3, false, $4, $4, $5, $6)""",
        NIL_UUID, token, str(user_id), stamp, parent, session_id,
    )
    return token


async def token_response(
    conn: Conn, config: Config, keys: SigningKeys, user: User, session_id: uuid.UUID, refresh_token: str
) -> dict[str, Any]:
    claims = access_token_claims(
        issuer=config.issuer, user=user, session_id=str(session_id),
        amr=await amr_of(conn, session_id), expires_in=config.jwt_exp,
    )
    return {
        "access_token": keys.sign(claims),
        "token_type": "bearer",
        "expires_in": config.jwt_exp,
        "expires_at": claims["exp"],
        "refresh_token": refresh_token,
        "user": user.as_json(),
    }


async def issue(
    conn: Conn, config: Config, keys: SigningKeys, user: User, method: str, client: Client
) -> dict[str, Any]:
    """Sign a user in: a new session, its first refresh token, and an access token."""
    stamp = now()
    session_id = uuid.uuid4()
    async with conn.transaction():
        await conn.execute(
            """insert into auth.sessions (id, user_id, created_at, updated_at, aal, user_agent, ip)
               values ($1, $2, $3, $3, 'aal1', $4, $5::text::inet)""",
            session_id, user.id, stamp, client.user_agent, client.ip,
        )
        refresh_token = await _new_refresh_token(conn, user.id, session_id, parent=None)
        user.last_sign_in_at = stamp
        await users.save(conn, user, "last_sign_in_at")
        await add_amr_claim(conn, session_id, method)
        return await token_response(conn, config, keys, user, session_id, refresh_token)


def _not_found() -> APIError:
    return bad_request("refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found")


async def refresh(
    conn: Conn, config: Config, keys: SigningKeys, refresh_token: str, client: Client
) -> dict[str, Any]:
    failure: APIError | None = None
    response: dict[str, Any] = {}
    async with conn.transaction():
        token = await conn.fetchrow("select * from auth.refresh_tokens where token = $1 for update", refresh_token)
        if token is None:
            raise _not_found()
        try:
            user_id = uuid.UUID(token["user_id"])
        except (TypeError, ValueError):
            raise _not_found() from None
        user = await users.find_by_id(conn, user_id)
        if user is None:
            raise _not_found()
        if user.is_banned:
            raise bad_request("user_banned", "Invalid Refresh Token: User Banned")
        session = await find(conn, token["session_id"], for_update=True) if token["session_id"] else None
        if session is None:
            await conn.execute("delete from auth.refresh_tokens where id = $1", token["id"])
            failure = bad_request("session_not_found", "Invalid Refresh Token: No Valid Session Found")
        elif session.not_after is not None and now() > session.not_after:
            raise bad_request("session_expired", "Invalid Refresh Token: Session Expired")
        else:
            issued = await _rotate(conn, config, token, session)
            if issued is None:
                failure = bad_request("refresh_token_already_used", "Invalid Refresh Token: Already Used")
            else:
                await conn.execute(
                    "update auth.sessions set refreshed_at = $2, updated_at = $3, user_agent = $4,"
                    " ip = $5::text::inet where id = $1",
                    session.id, datetime.now(UTC).replace(tzinfo=None), now(), client.user_agent, client.ip,
                )
                response = await token_response(conn, config, keys, user, session.id, issued)
    if failure is not None:
        raise failure
    return response


async def _rotate(conn: Conn, config: Config, token: asyncpg.Record, session: Session) -> str | None:
    """The refresh token to hand out, or None when a reused token is refused (family revoked)."""
    if token["revoked"]:
        active = await conn.fetchrow(
            "select token, parent from auth.refresh_tokens where session_id = $1 and revoked = false"
            " order by id desc limit 1",
            session.id,
        )
        if active is not None and active["parent"] == token["token"]:
            return str(active["token"])
        reuse_until = token["updated_at"] + timedelta(seconds=config.refresh_token_reuse_interval)
        if now() > reuse_until:
            if config.refresh_token_rotation:
                await conn.execute(
                    "update auth.refresh_tokens set revoked = true, updated_at = now()"
                    " where session_id = $1 and revoked = false",
                    session.id,
                )
            return None
    await conn.execute(
        "update auth.refresh_tokens set revoked = true, updated_at = $2 where id = $1", token["id"], now()
    )
    return await _new_refresh_token(conn, session.user_id, session.id, parent=token["token"])


async def logout(conn: Conn, user_id: uuid.UUID, session_id: uuid.UUID | None, scope: str) -> None:
    if session_id is not None and scope == "local":
        await conn.execute("delete from auth.sessions where id = $1", session_id)
    elif session_id is not None and scope == "others":
        await conn.execute("delete from auth.sessions where user_id = $1 and id <> $2", user_id, session_id)
    else:
        await conn.execute("delete from auth.sessions where user_id = $1", user_id)
