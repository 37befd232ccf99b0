"""The API accepts only valid Supabase sessions of this project."""

from __future__ import annotations

import time
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from tests.api.conftest import MakeUser, session_claims, sign


def _foreign_jwk(kid: str) -> dict[str, Any]:
    import json

    jwk: dict[str, Any] = json.loads(ECAlgorithm.to_jwk(ec.generate_private_key(ec.SECP256R1())))
    jwk["kid"] = kid
    return jwk


async def test_valid_session_is_accepted(api: httpx.AsyncClient, make_user: MakeUser) -> None:
    user = await make_user()
    response = await api.get("/v1/me", headers=user.headers)
    assert response.status_code == 200, response.text
    assert response.json()["user"]["email"] == user.email


@pytest.mark.parametrize(
    ("case", "expected_message"),
    [
        ("missing", "Sign in to continue."),
        ("malformed", "malformed"),
        ("garbage_segments", "malformed"),
        ("expired", "expired"),
        ("other_issuer", "another project"),
        ("unknown_key", "unknown key"),
        ("same_kid_other_key", "not valid"),
        ("hs256_without_secret", "algorithm"),
        ("alg_none", "algorithm"),
        ("anon_role", "signed-in user"),
        ("wrong_audience", "not valid"),
    ],
)
async def test_bad_sessions_are_refused(
    api: httpx.AsyncClient, make_user: MakeUser, case: str, expected_message: str
) -> None:
    user = await make_user()
    claims = session_claims(user.id, user.email)
    headers: dict[str, str] = {}
    if case == "malformed":
        headers = {"Authorization": "Bearer not-a-jwt"}
    elif case == "garbage_segments":
        headers = {"Authorization": "Bearer aaa.bbb.ccc"}
    elif case == "expired":
        claims.update(exp=int(time.time()) - 3600, iat=int(time.time()) - 7200)
        headers = {"Authorization": f"Bearer {sign(claims)}"}
    elif case == "other_issuer":
        claims["iss"] = "https://evil.example.com/auth/v1"
        headers = {"Authorization": f"Bearer {sign(claims)}"}
    elif case == "unknown_key":
        headers = {"Authorization": f"Bearer {sign(claims, _foreign_jwk('not-our-kid'))}"}
    elif case == "same_kid_other_key":
        from tests.api.conftest import _private_jwk

        headers = {"Authorization": f"Bearer {sign(claims, _foreign_jwk(_private_jwk()['kid']))}"}
    elif case == "hs256_without_secret":
        headers = {"Authorization": f"Bearer {jwt.encode(claims, 'x' * 40, algorithm='HS256')}"}
    elif case == "alg_none":
        headers = {"Authorization": f"Bearer {jwt.encode(claims, None, algorithm='none')}"}
    elif case == "anon_role":
        claims["role"] = "anon"
        headers = {"Authorization": f"Bearer {sign(claims)}"}
    elif case == "wrong_audience":
        claims["aud"] = "someone-else"
        headers = {"Authorization": f"Bearer {sign(claims)}"}
    response = await api.get("/v1/me", headers=headers)
    assert response.status_code == 401, response.text
    assert expected_message in response.json()["error"]["message"]
