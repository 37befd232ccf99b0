"""TokenVerifier on its own: the HS256 fallback is used only when configured."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from callcenter.settings import Settings
from callcenter.tokens import InvalidToken, TokenVerifier

SECRET = "a-legacy-supabase-jwt-secret-of-32-chars-or-more"


def _claims(settings: Settings) -> dict[str, object]:
    now = int(time.time())
    return {
        "iss": settings.jwt_issuer,
        "aud": "authenticated",
        "sub": "u1",
        "role": "authenticated",
        "iat": now,
        "exp": now + 60,
    }


async def test_hs256_accepted_only_with_configured_secret() -> None:
    with_secret = Settings(supabase_jwt_secret=SECRET)
    token = jwt.encode(_claims(with_secret), SECRET, algorithm="HS256")
    claims = await TokenVerifier(with_secret).verify(token)
    assert claims.sub == "u1" and claims.role == "authenticated"

    without_secret = Settings(supabase_jwt_secret="")
    with pytest.raises(InvalidToken, match="algorithm"):
        await TokenVerifier(without_secret).verify(token)


async def test_hs256_with_the_wrong_secret_is_refused() -> None:
    settings = Settings(supabase_jwt_secret=SECRET)
    token = jwt.encode(_claims(settings), "some-other-secret-that-is-long-enough!!", algorithm="HS256")
    with pytest.raises(InvalidToken, match="not valid"):
        await TokenVerifier(settings).verify(token)


async def test_unreachable_jwks_is_a_clear_error() -> None:
    settings = Settings(supabase_url="http://127.0.0.1:9")  # nothing listens on the discard port
    header = base64.urlsafe_b64encode(json.dumps({"alg": "ES256", "kid": "x"}).encode()).rstrip(b"=").decode()
    body = base64.urlsafe_b64encode(json.dumps(_claims(settings)).encode()).rstrip(b"=").decode()
    token = f"{header}.{body}.c2lnbmF0dXJl"
    with pytest.raises(InvalidToken, match="signing keys unavailable"):
        await TokenVerifier(settings).verify(token)
