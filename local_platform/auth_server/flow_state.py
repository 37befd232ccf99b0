"""PKCE flow state (auth.flow_state): the code challenge sent with a signup,
recovery or email change, and the auth code the verify link hands out."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from local_platform.auth_server.db import Conn
from local_platform.auth_server.errors import APIError, validation
from local_platform.auth_server.models import now

PKCE_PREFIX = "pkce_"
_CHALLENGE = re.compile(r"^[a-zA-Z._~0-9-]+$")

# Verification types and grant names -> the authentication method recorded in the amr claim.
_METHODS = {
    "signup": "email/signup",
    "email/signup": "email/signup",
    "recovery": "recovery",
    "magiclink": "magiclink",
    "invite": "invite",
    "email_change": "email_change",
    "otp": "otp",
    "password": "password",
}


def authentication_method(name: str) -> str:
    if name.endswith("signup"):
        return "email/signup"
    if name not in _METHODS:
        raise APIError(500, "unexpected_failure", f'unsupported authentication method "{name}"')
    return _METHODS[name]


def validate_pkce_params(method: str, challenge: str) -> None:
    if bool(challenge) != bool(method):
        raise validation("PKCE flow requires code_challenge_method and code_challenge")
    if challenge:
        if not 43 <= len(challenge) <= 128:
            raise validation("code challenge has to be between 43 and 128 characters")
        if not _CHALLENGE.match(challenge):
            raise validation(
                "code challenge can only contain alphanumeric characters, hyphens, periods, "
                "underscores and tildes"
            )


def with_flow_prefix(token: str, pkce: bool) -> str:
    return PKCE_PREFIX + token if pkce else token


@dataclass
class FlowState:
    id: uuid.UUID
    user_id: uuid.UUID | None
    auth_code: str | None
    authentication_method: str
    code_challenge: str | None
    code_challenge_method: str | None
    provider_type: str
    created_at: datetime
    auth_code_issued_at: datetime | None

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> FlowState:
        return cls(
            id=row["id"],
            user_id=row["user_id"],
            auth_code=row["auth_code"],
            authentication_method=row["authentication_method"],
            code_challenge=row["code_challenge"],
            code_challenge_method=row["code_challenge_method"],
            provider_type=row["provider_type"],
            created_at=row["created_at"],
            auth_code_issued_at=row["auth_code_issued_at"],
        )

    def is_expired(self, expiry_seconds: float) -> bool:
        start = self.created_at
        if self.auth_code_issued_at is not None and self.authentication_method == "magiclink":
            start = self.auth_code_issued_at
        return now() > start + timedelta(seconds=expiry_seconds)

    def verifier_matches(self, verifier: str) -> bool:
        challenge = self.code_challenge or ""
        method = (self.code_challenge_method or "").lower()
        if method == "s256":
            digest = hashlib.sha256(verifier.encode()).digest()
            expected = base64.urlsafe_b64encode(digest).decode().rstrip("=")
            return hmac.compare_digest(challenge, expected)
        if method == "plain":
            return hmac.compare_digest(challenge, verifier)
        return False


async def create(
    conn: Conn, *, provider_type: str, method: str, challenge_method: str, challenge: str, user_id: uuid.UUID
) -> FlowState:
    if challenge_method.lower() not in ("s256", "plain"):
        raise APIError(500, "unexpected_failure", f'unsupported code_challenge method "{challenge_method}"')
    stamp = now()
    row = await conn.fetchrow(
        """insert into auth.flow_state (id, user_id, auth_code, code_challenge_method, code_challenge,
                                        provider_type, provider_access_token, provider_refresh_token,
                                        created_at, updated_at, authentication_method)
           values ($1, $2, $3, $4::auth.code_challenge_method, $5, $6, '', '', $7, $7, $8)
           returning *""",
        uuid.uuid4(), user_id, str(uuid.uuid4()), challenge_method.lower(), challenge,
        provider_type, stamp, authentication_method(method),
    )
    assert row is not None
    return FlowState.from_row(row)


async def latest_for_user(conn: Conn, user_id: uuid.UUID, method: str) -> FlowState | None:
    row = await conn.fetchrow(
        """select * from auth.flow_state where user_id = $1 and authentication_method = $2
           order by created_at desc, id desc limit 1""",
        user_id, authentication_method(method),
    )
    return FlowState.from_row(row) if row else None


async def find_by_auth_code(conn: Conn, auth_code: str) -> FlowState | None:
    row = await conn.fetchrow("select * from auth.flow_state where auth_code = $1", auth_code)
    return FlowState.from_row(row) if row else None


async def record_auth_code_issued(conn: Conn, flow: FlowState) -> None:
    flow.auth_code_issued_at = now()
    await conn.execute(
        "update auth.flow_state set auth_code_issued_at = $2, updated_at = $2 where id = $1",
        flow.id, flow.auth_code_issued_at,
    )


async def delete(conn: Conn, flow: FlowState) -> None:
    await conn.execute("delete from auth.flow_state where id = $1", flow.id)
