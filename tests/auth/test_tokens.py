"""Password sign-in, access token claims, refresh token rotation, JWKS."""

from __future__ import annotations

import asyncio
import time

import httpx
import jwt

from tests.auth.conftest import VERSION, Auth, new_email


async def refresh(auth: Auth, token: str) -> httpx.Response:
    return await auth.client.post(
        "/token", params={"grant_type": "refresh_token"}, headers=VERSION, json={"refresh_token": token}
    )


async def test_password_grant_issues_supabase_shaped_tokens(auto: Auth) -> None:
    email = new_email("claims")
    user = (await auto.signup(email, data={"plan": "pro"})).json()["user"]
    before = int(time.time())
    body = await auto.login(email)
    assert set(body) == {"access_token", "token_type", "expires_in", "expires_at", "refresh_token", "user"}
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    assert len(body["refresh_token"]) == 12
    header = jwt.get_unverified_header(body["access_token"])
    assert header == {"alg": "ES256", "kid": auto.private_jwk["kid"], "typ": "JWT"}
    claims = auto.claims(body["access_token"])
    assert list(claims) == [
        "iss", "sub", "aud", "exp", "iat", "email", "phone", "app_metadata", "user_metadata", "role", "aal",
        "amr", "session_id", "is_anonymous",
    ]
    assert claims["iss"] == auto.url
    assert claims["sub"] == user["id"]
    assert claims["aud"] == "authenticated" and claims["role"] == "authenticated"
    assert claims["email"] == email and claims["phone"] == ""
    assert claims["app_metadata"] == {"provider": "email", "providers": ["email"]}
    assert claims["user_metadata"]["plan"] == "pro"
    assert claims["aal"] == "aal1" and claims["is_anonymous"] is False
    assert claims["amr"][0]["method"] == "password" and claims["amr"][0]["timestamp"] >= before
    assert claims["exp"] - claims["iat"] == 3600 and body["expires_at"] == claims["exp"]
    assert body["user"]["last_sign_in_at"]


async def test_wrong_credentials(auto: Auth) -> None:
    email = new_email("wrong")
    await auto.signup(email)
    for credentials in ({"email": email, "password": "nope-nope"}, {"email": new_email(), "password": "x" * 8}):
        response = await auto.client.post("/token", params={"grant_type": "password"}, json=credentials)
        assert response.status_code == 400
        assert response.json() == {"code": 400, "error_code": "invalid_credentials", "msg": "Invalid login credentials"}
    unsupported = await auto.client.post("/token", params={"grant_type": "magic"}, json={})
    assert unsupported.status_code == 400
    assert unsupported.json()["msg"] == "unsupported_grant_type"


async def test_refresh_rotates_and_tolerates_a_lost_response(auto: Auth) -> None:
    email = new_email("rotate")
    await auto.signup(email)
    first = await auto.login(email)
    t1 = first["refresh_token"]
    r1 = await refresh(auto, t1)
    assert r1.status_code == 200, r1.text
    t2 = r1.json()["refresh_token"]
    assert t2 != t1
    assert auto.claims(r1.json()["access_token"])["session_id"] == auto.claims(first["access_token"])["session_id"]
    # The client never stored t2 and retries with t1: it gets t2 again.
    assert (await refresh(auto, t1)).json()["refresh_token"] == t2
    t3 = (await refresh(auto, t2)).json()["refresh_token"]
    # Its child already used, t1 is still tolerated within the reuse interval (concurrent tabs).
    tolerated = await refresh(auto, t1)
    assert tolerated.status_code == 200
    t4 = tolerated.json()["refresh_token"]
    assert t4 not in (t1, t2, t3)
    await asyncio.sleep(1.3)
    # Later reuse of an old token is refused and revokes the whole session's tokens.
    reused = await refresh(auto, t2)
    assert reused.status_code == 400
    assert reused.json() == {"code": "refresh_token_already_used", "message": "Invalid Refresh Token: Already Used"}
    await asyncio.sleep(1.3)
    revoked = await refresh(auto, t4)
    assert revoked.status_code == 400
    assert revoked.json()["code"] == "refresh_token_already_used"


async def test_refresh_token_errors(auto: Auth) -> None:
    missing = await refresh(auto, "abcdefghijkl")
    assert missing.status_code == 400
    assert missing.json() == {
        "code": "refresh_token_not_found", "message": "Invalid Refresh Token: Refresh Token Not Found",
    }
    malformed = await refresh(auto, "short")
    assert malformed.status_code == 400
    assert malformed.json() == {"code": "validation_failed", "message": "Refresh token is not valid"}


async def test_jwks_has_only_public_keys(auth: Auth) -> None:
    response = await auth.client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    (key,) = response.json()["keys"]
    assert "d" not in key
    assert key == {
        "alg": "ES256", "crv": "P-256", "key_ops": ["verify"], "kid": auth.private_jwk["kid"], "kty": "EC",
        "use": "sig", "x": auth.private_jwk["x"], "y": auth.private_jwk["y"],
    }
    assert jwt.PyJWK(key).key is not None


async def test_health_settings_and_cors(auth: Auth) -> None:
    health = (await auth.client.get("/health")).json()
    assert health["name"] == "GoTrue"
    settings = (await auth.client.get("/settings")).json()
    assert settings["external"]["email"] is True and settings["external"]["google"] is False
    assert settings["mailer_autoconfirm"] is False and settings["disable_signup"] is False
    preflight = await auth.client.options(
        "/token",
        headers={
            "Origin": "http://127.0.0.1:3000", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "apikey,authorization,content-type,x-client-info,x-supabase-api-version",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "http://127.0.0.1:3000"
    assert preflight.headers["access-control-allow-credentials"] == "true"
    assert "apikey" in preflight.headers["access-control-allow-headers"].lower()
