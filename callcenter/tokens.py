"""Verify Supabase access tokens.

Asymmetric signing keys are fetched from the project's JWKS endpoint and
cached; the legacy HS256 secret is used only when configured."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
from jwt import PyJWK

from callcenter.settings import Settings

ASYMMETRIC_ALGORITHMS = ("ES256", "RS256", "EdDSA")
JWKS_TTL_SECONDS = 600
# A kid we have not seen may be a freshly rotated key: refetch, but not more often than this.
JWKS_MIN_REFRESH_SECONDS = 30


class InvalidToken(Exception):
    """The token is missing, malformed, expired, or not ours. The message is safe to show."""


@dataclass(frozen=True)
class Claims:
    sub: str
    role: str
    email: str | None
    session_id: str | None
    raw: dict[str, Any] = field(repr=False)

    def as_json(self) -> str:
        return json.dumps(self.raw)


class TokenVerifier:
    def __init__(self, settings: Settings, http: httpx.AsyncClient | None = None) -> None:
        self._settings = settings
        self._http = http
        self._keys: dict[str, PyJWK] = {}
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def _fetch_jwks(self) -> None:
        client = self._http or httpx.AsyncClient(timeout=5)
        try:
            response = await client.get(self._settings.jwks_url)
            response.raise_for_status()
            keys = response.json().get("keys", [])
        except (httpx.HTTPError, ValueError) as error:
            raise InvalidToken("Cannot verify the session right now (signing keys unavailable).") from error
        finally:
            if self._http is None:
                await client.aclose()
        self._keys = {key["kid"]: PyJWK(key) for key in keys if "kid" in key}
        self._fetched_at = time.monotonic()

    async def _key_for(self, kid: str) -> PyJWK:
        age = time.monotonic() - self._fetched_at
        if kid not in self._keys or age > JWKS_TTL_SECONDS:
            async with self._lock:
                age = time.monotonic() - self._fetched_at
                stale = age > JWKS_TTL_SECONDS
                unknown_and_may_refresh = kid not in self._keys and age > JWKS_MIN_REFRESH_SECONDS
                if stale or unknown_and_may_refresh or not self._keys:
                    await self._fetch_jwks()
        if kid not in self._keys:
            raise InvalidToken("The session token was signed by an unknown key.")
        return self._keys[kid]

    async def verify(self, token: str) -> Claims:
        if not token or token.count(".") != 2:
            raise InvalidToken("The session token is malformed.")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise InvalidToken("The session token is malformed.") from error
        algorithm = header.get("alg")
        key: Any
        if algorithm in ASYMMETRIC_ALGORITHMS:
            key = (await self._key_for(str(header.get("kid", "")))).key
        elif algorithm == "HS256" and self._settings.supabase_jwt_secret:
            key = self._settings.supabase_jwt_secret
        else:
            raise InvalidToken("The session token uses an algorithm this project does not accept.")
        try:
            payload: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self._settings.jwt_audience,
                issuer=self._settings.jwt_issuer,
                options={"require": ["exp", "sub", "iss", "aud"]},
                leeway=5,
            )
        except jwt.ExpiredSignatureError as error:
            raise InvalidToken("The session has expired. Sign in again.") from error
        except jwt.InvalidIssuerError as error:
            raise InvalidToken("The session token was issued by another project.") from error
        except jwt.PyJWTError as error:
            raise InvalidToken(f"The session token is not valid: {error}.") from error
        return Claims(
            sub=str(payload["sub"]),
            role=str(payload.get("role", "")),
            email=payload.get("email"),
            session_id=payload.get("session_id"),
            raw=payload,
        )
