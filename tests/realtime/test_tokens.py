"""Token verification: signatures from a JWKS or an HS256 secret, expiry, issuer, required claims."""

from __future__ import annotations

import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from local_platform.realtime.tokens import TokenError, TokenVerifier, jwks_from_env

ISSUER = "http://127.0.0.1:54321/auth/v1"


def new_jwk(kid: str) -> dict[str, Any]:
    jwk: dict[str, Any] = json.loads(ECAlgorithm.to_jwk(ec.generate_private_key(ec.SECP256R1())))
    jwk.update(kid=kid, alg="ES256")
    return jwk


KEY = new_jwk("local")
OTHER = new_jwk("local")  # same kid, different key


def es256(claims: dict[str, Any], jwk: dict[str, Any] = KEY) -> str:
    return jwt.encode(claims, ECAlgorithm.from_jwk(json.dumps(jwk)), algorithm="ES256", headers={"kid": jwk["kid"]})  # type: ignore[arg-type]


def claims(**overrides: Any) -> dict[str, Any]:
    base = {"sub": "u1", "role": "authenticated", "iss": ISSUER, "exp": int(time.time()) + 60}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


@pytest.fixture
def verifier() -> TokenVerifier:
    public = {k: v for k, v in KEY.items() if k != "d"}
    return TokenVerifier(jwks={"keys": [public]}, issuer=ISSUER)


async def reason(verifier: TokenVerifier, token: Any) -> str:
    with pytest.raises(TokenError) as caught:
        await verifier.verify(token)
    return caught.value.reason


async def test_valid_token(verifier: TokenVerifier) -> None:
    assert (await verifier.verify(es256(claims())))["sub"] == "u1"


async def test_refusals(verifier: TokenVerifier) -> None:
    assert "Token has expired" in await reason(verifier, es256(claims(exp=int(time.time()) - 10)))
    assert (await reason(verifier, es256(claims(), OTHER))).startswith("JwtSignatureError")
    assert "issuer" in await reason(verifier, es256(claims(iss="https://evil.example")))
    assert "`role` and `exp` are required" in await reason(verifier, es256(claims(role=None)))
    assert "`role` and `exp` are required" in await reason(verifier, es256(claims(exp=None)))
    assert "Role 'postgres' is not accepted" in await reason(verifier, es256(claims(role="postgres")))
    assert (await reason(verifier, "nope")).startswith("MalformedJWT")
    assert "No token" in await reason(verifier, None)
    assert "HS256 tokens are not accepted" in await reason(verifier, jwt.encode(claims(), "s" * 32, algorithm="HS256"))
    unknown_kid = {**KEY, "kid": "other"}
    assert "No signing key found" in await reason(verifier, es256(claims(), unknown_kid))


async def test_hs256_only_with_a_secret() -> None:
    verifier = TokenVerifier(secret="s" * 32)
    assert (await verifier.verify(jwt.encode(claims(), "s" * 32, algorithm="HS256")))["role"] == "authenticated"
    assert (await reason(verifier, jwt.encode(claims(), "t" * 32, algorithm="HS256"))).startswith("JwtSignatureError")


def test_jwks_from_env_shapes() -> None:
    jwk = {"kty": "EC", "kid": "a"}
    assert jwks_from_env(json.dumps(jwk)) == {"keys": [jwk]}
    assert jwks_from_env(json.dumps([jwk])) == {"keys": [jwk]}
    assert jwks_from_env(json.dumps({"keys": [jwk]})) == {"keys": [jwk]}
    assert jwks_from_env("") is None
