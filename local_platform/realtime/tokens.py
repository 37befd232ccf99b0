"""JWT verification for socket API keys, channel access tokens and REST calls.

Asymmetric keys come from a JWKS: given inline (JWT_JWKS) and/or fetched from
JWKS_URL (cached; fetched again when a token names an unknown key id, at most
every few seconds). HS256 tokens are accepted only when JWT_SECRET is set.
Errors carry Supabase Realtime's error codes so realtime-js shows familiar
reasons ("InvalidJWTToken: Token has expired 3 seconds ago")."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import httpx
import jwt

log = logging.getLogger("realtime.tokens")

ASYMMETRIC_ALGORITHMS = ("ES256", "RS256", "EdDSA")
DB_ROLES = ("anon", "authenticated", "service_role")
JWKS_REFETCH_INTERVAL = 5.0

Claims = dict[str, Any]


class TokenError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    @property
    def reason(self) -> str:
        return f"{self.code}: {self.message}"


class TokenVerifier:
    def __init__(
        self,
        *,
        jwks_url: str | None = None,
        jwks: dict[str, Any] | None = None,
        secret: str | None = None,
        issuer: str | None = None,
    ):
        self.jwks_url = jwks_url or None
        self.secret = secret or None
        self.issuer = issuer or None
        self._keys: dict[str, jwt.PyJWK] = {}
        self._static_keys: dict[str, jwt.PyJWK] = self._parse_jwks(jwks) if jwks else {}
        self._fetched_at = 0.0
        self._fetch_lock = asyncio.Lock()

    @staticmethod
    def _parse_jwks(data: dict[str, Any]) -> dict[str, jwt.PyJWK]:
        keys: dict[str, jwt.PyJWK] = {}
        for index, entry in enumerate(data.get("keys", [])):
            if not isinstance(entry, dict):
                continue
            public = {k: v for k, v in entry.items() if k not in ("d", "p", "q", "dp", "dq", "qi", "key_ops")}
            try:
                key = jwt.PyJWK(public)
            except jwt.PyJWTError as error:
                log.warning("ignoring JWKS key %s: %s", entry.get("kid", index), error)
                continue
            keys[str(entry.get("kid", f"#{index}"))] = key
        return keys

    async def _fetch(self) -> None:
        """Fetch JWKS_URL again (a token named a key id we do not know), at most every few seconds."""
        if self.jwks_url is None:
            return
        async with self._fetch_lock:
            if self._fetched_at and time.monotonic() - self._fetched_at < JWKS_REFETCH_INTERVAL:
                return
            self._fetched_at = time.monotonic()
            try:
                async with httpx.AsyncClient(timeout=5) as client:
                    response = await client.get(self.jwks_url)
                    response.raise_for_status()
                    self._keys = self._parse_jwks(response.json())
                log.info("loaded %d signing key(s) from %s", len(self._keys), self.jwks_url)
            except (httpx.HTTPError, ValueError) as error:
                log.error("could not fetch signing keys from %s: %s", self.jwks_url, error)

    async def _key_for(self, kid: str | None) -> jwt.PyJWK | None:
        for attempt in range(2):
            keys = {**self._keys, **self._static_keys}
            if kid is not None and kid in keys:
                return keys[kid]
            if kid is None and len(keys) == 1:
                return next(iter(keys.values()))
            if self.jwks_url is None or attempt:
                break
            await self._fetch()
        return None

    async def verify(self, token: Any) -> Claims:
        if not isinstance(token, str) or not token:
            raise TokenError("InvalidJWTToken", "No token was provided")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise TokenError("MalformedJWT", "The token provided is not a valid JWT") from None
        alg = header.get("alg")
        key: Any
        if alg == "HS256":
            if self.secret is None:
                raise TokenError("JwtSignatureError", "HS256 tokens are not accepted (no JWT_SECRET is configured)")
            key = self.secret
        elif alg in ASYMMETRIC_ALGORITHMS:
            kid = header.get("kid")
            found = await self._key_for(kid if isinstance(kid, str) else None)
            if found is None:
                raise TokenError("JwtSignatureError", f"No signing key found for kid {kid!r}")
            key = found.key
        else:
            raise TokenError("JwtSignatureError", f"Algorithm {alg!r} is not accepted")
        try:
            claims: Claims = jwt.decode(
                token,
                key,
                algorithms=[str(alg)],
                options={"verify_aud": False, "require": ["exp"]},
            )
        except jwt.ExpiredSignatureError:
            expired_for = self._expired_for(token)
            raise TokenError("InvalidJWTToken", f"Token has expired {expired_for} seconds ago") from None
        except jwt.MissingRequiredClaimError:
            raise TokenError("InvalidJWTToken", "Fields `role` and `exp` are required in JWT") from None
        except jwt.InvalidSignatureError:
            raise TokenError("JwtSignatureError", "Failed to validate JWT signature") from None
        except jwt.DecodeError:
            raise TokenError("MalformedJWT", "The token provided is not a valid JWT") from None
        except jwt.PyJWTError as error:
            raise TokenError("InvalidJWTToken", str(error)) from None
        if not isinstance(claims.get("exp"), int | float) or not isinstance(claims.get("role"), str):
            raise TokenError("InvalidJWTToken", "Fields `role` and `exp` are required in JWT")
        if claims["role"] not in DB_ROLES:
            raise TokenError(
                "InvalidJWTToken", f"Role {claims['role']!r} is not accepted (one of {', '.join(DB_ROLES)})"
            )
        if self.issuer is not None and claims.get("iss") != self.issuer:
            raise TokenError("InvalidJWTToken", f"Token issuer {claims.get('iss')!r} is not accepted")
        return claims

    @staticmethod
    def _expired_for(token: str) -> int:
        try:
            exp = jwt.decode(token, options={"verify_signature": False}).get("exp")
            return max(0, int(time.time() - float(str(exp))))
        except (jwt.PyJWTError, TypeError, ValueError):
            return 0


def seconds_left(claims: Claims) -> float:
    return float(claims["exp"]) - time.time()


def jwks_from_env(value: str | None) -> dict[str, Any] | None:
    """JWT_JWKS: a JWKS ({"keys": [...]}), a single JWK, or a list of JWKs."""
    if not value:
        return None
    data = json.loads(value)
    if isinstance(data, list):
        return {"keys": data}
    if isinstance(data, dict) and "keys" not in data:
        return {"keys": [data]}
    if isinstance(data, dict):
        return data
    raise ValueError("JWT_JWKS must be a JWKS object, a JWK or a list of JWKs")
