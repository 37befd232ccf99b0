"""API tests run against the API the local platform serves (uvicorn), with
users created in the database and sessions signed by the local auth key, the
same key whose public half the API fetches from /auth/v1/.well-known/jwks.json."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import jwt
import pytest
from jwt.algorithms import ECAlgorithm

from callcenter.settings import LOCAL_STATE_DIR, get_settings


@dataclass
class User:
    id: str
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def _private_jwk() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((LOCAL_STATE_DIR / "secrets" / "local-secrets.json").read_text())
    return data["private_jwk"]  # type: ignore[no-any-return]


def sign(claims: dict[str, Any], jwk: dict[str, Any] | None = None) -> str:
    jwk = jwk or _private_jwk()
    key = ECAlgorithm.from_jwk(json.dumps(jwk))
    return jwt.encode(claims, key, algorithm="ES256", headers={"kid": jwk["kid"]})  # type: ignore[arg-type]


def session_claims(user_id: str, email: str, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": get_settings().jwt_issuer,
        "aud": "authenticated",
        "sub": user_id,
        "email": email,
        "role": "authenticated",
        "iat": now,
        "exp": now + 600,
        "session_id": str(uuid.uuid4()),
    }
    claims.update(overrides)
    return claims


@pytest.fixture(scope="session")
async def db() -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(get_settings().database_url, min_size=1, max_size=4)
    yield pool
    await pool.close()


@pytest.fixture(scope="session")
async def api() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=get_settings().api_url, timeout=20) as client:
        yield client


MakeUser = Callable[..., Coroutine[Any, Any, User]]


@pytest.fixture
async def make_user(db: asyncpg.Pool) -> AsyncIterator[MakeUser]:
    created: list[str] = []

    async def factory(prefix: str = "user", domain: str | None = None) -> User:
        user_id = str(uuid.uuid4())
        email = f"{prefix}-{user_id[:8]}@{domain or 'corp-' + user_id[:6] + '.com'}"
        await db.execute(
            """insert into auth.users (id, aud, role, email, email_confirmed_at, raw_user_meta_data, created_at)
               values ($1, 'authenticated', 'authenticated', $2, now(), '{}'::jsonb, now())""",
            uuid.UUID(user_id),
            email,
        )
        created.append(user_id)
        return User(user_id, email, sign(session_claims(user_id, email)))

    yield factory
    ids = [uuid.UUID(u) for u in created]
    await db.execute(
        """delete from public.businesses
           where id in (select business_id from public.business_members where user_id = any($1))""",
        ids,
    )
    await db.execute("delete from auth.users where id = any($1)", ids)
