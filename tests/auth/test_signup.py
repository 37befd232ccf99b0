"""POST /signup, the confirmation email and GET/POST /verify."""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlsplit

import asyncpg

from tests.auth.conftest import SITE_URL, VERSION, Auth, Mail, new_email


def fragment(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).fragment, keep_blank_values=True).items()}


def query(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query, keep_blank_values=True).items()}


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


async def test_signup_sends_a_confirmation_link_that_signs_in(auth: Auth, mail: Mail) -> None:
    email = new_email("confirm")
    response = await auth.client.post(
        "/signup", params={"redirect_to": f"{SITE_URL}/welcome"},
        json={"email": email.upper(), "password": "secret-123", "data": {"full_name": "Ada Lovelace"}},
    )
    assert response.status_code == 200, response.text
    user = response.json()
    assert "access_token" not in user
    assert user["email"] == email
    assert user["role"] == "authenticated"
    assert user["aud"] == "authenticated"
    assert "confirmation_sent_at" in user and "email_confirmed_at" not in user
    assert user["app_metadata"] == {"provider": "email", "providers": ["email"]}
    assert user["user_metadata"] == {
        "sub": user["id"], "email": email, "email_verified": False, "phone_verified": False,
        "full_name": "Ada Lovelace",
    }
    assert [i["provider"] for i in user["identities"]] == ["email"]
    assert user["identities"][0]["identity_data"]["email"] == email

    refused = await auth.client.post(
        "/token", params={"grant_type": "password"}, json={"email": email, "password": "secret-123"}
    )
    assert refused.status_code == 400
    assert refused.json() == {"code": 400, "error_code": "email_not_confirmed", "msg": "Email not confirmed"}

    link = await mail.link(email)
    assert link.startswith(f"{auth.url}/verify?token=")
    assert link.endswith(f"&type=signup&redirect_to={SITE_URL}/welcome")
    message = (await mail.to(email))[0]
    assert message["subject"] == "Confirm Your Email"
    assert message["from"] == "Call Center <auth@callcenter.local>"

    followed = await auth.client.get(link.removeprefix(auth.url))
    assert followed.status_code == 303
    location = followed.headers["location"]
    assert location.startswith(f"{SITE_URL}/welcome#")
    session = fragment(location)
    assert session["type"] == "signup" and session["token_type"] == "bearer" and session["sb"] == ""
    assert session["expires_in"] == "3600"
    claims = auth.claims(session["access_token"])
    assert claims["sub"] == user["id"]
    assert claims["user_metadata"]["email_verified"] is True
    assert claims["amr"][0]["method"] == "otp"

    again = await auth.client.get(link.removeprefix(auth.url))
    assert again.status_code == 303
    assert fragment(again.headers["location"]) == {
        "error": "access_denied", "error_code": "otp_expired",
        "error_description": "Email link is invalid or has expired", "sb": "",
    }

    signed_in = await auth.login(email)
    assert signed_in["user"]["email_confirmed_at"]
    assert signed_in["user"]["identities"][0]["identity_data"]["email_verified"] is True


async def test_pkce_signup_link_returns_a_code_to_exchange(auth: Auth, mail: Mail) -> None:
    email = new_email("pkce")
    verifier, challenge = pkce_pair()
    response = await auth.signup(
        email, code_challenge=challenge, code_challenge_method="s256",
    )
    assert response.status_code == 200, response.text
    link = await mail.link(email)
    assert "token=pkce_" in link

    followed = await auth.client.get(link.removeprefix(auth.url))
    assert followed.status_code == 303
    location = followed.headers["location"]
    assert urlsplit(location).fragment == ""
    code = query(location)["code"]

    wrong = await auth.client.post(
        "/token", params={"grant_type": "pkce"}, headers=VERSION,
        json={"auth_code": code, "code_verifier": "x" * 50},
    )
    assert wrong.status_code == 400
    assert wrong.json()["code"] == "bad_code_verifier"

    exchanged = await auth.client.post(
        "/token", params={"grant_type": "pkce"}, json={"auth_code": code, "code_verifier": verifier}
    )
    assert exchanged.status_code == 200, exchanged.text
    body = exchanged.json()
    assert body["user"]["email"] == email
    assert auth.claims(body["access_token"])["amr"][0]["method"] == "email/signup"

    reused = await auth.client.post(
        "/token", params={"grant_type": "pkce"}, headers=VERSION,
        json={"auth_code": code, "code_verifier": verifier},
    )
    assert reused.status_code == 404
    assert reused.json()["code"] == "flow_state_not_found"


async def test_pkce_errors_go_to_the_query_and_the_fragment(auth: Auth, mail: Mail) -> None:
    email = new_email("pkce-error")
    _, challenge = pkce_pair()
    await auth.signup(email, code_challenge=challenge, code_challenge_method="s256")
    link = await mail.link(email)
    await auth.client.get(link.removeprefix(auth.url))
    again = await auth.client.get(link.removeprefix(auth.url))
    location = again.headers["location"]
    assert query(location)["error_code"] == "otp_expired"
    assert fragment(location)["error_code"] == "otp_expired"


async def test_verify_with_the_emailed_code(auth: Auth, mail: Mail) -> None:
    email = new_email("otp")
    await auth.signup(email)
    code = await mail.code(email)
    wrong_code = "000000" if code != "000000" else "111111"
    wrong = await auth.client.post(
        "/verify", headers=VERSION, json={"type": "signup", "email": email, "token": wrong_code}
    )
    assert wrong.status_code == 403
    assert wrong.json() == {"code": "otp_expired", "message": "Token has expired or is invalid"}
    verified = await auth.client.post("/verify", json={"type": "email", "email": email, "token": code})
    assert verified.status_code == 200, verified.text
    assert verified.json()["user"]["email_confirmed_at"]
    assert verified.json()["refresh_token"]


async def test_verify_with_the_token_hash(auth: Auth, mail: Mail) -> None:
    email = new_email("hash")
    await auth.signup(email)
    token_hash = query(await mail.link(email))["token"]
    mixed = await auth.client.post("/verify", json={"type": "signup", "token_hash": token_hash, "email": email})
    assert mixed.status_code == 400
    verified = await auth.client.post("/verify", json={"type": "signup", "token_hash": token_hash})
    assert verified.status_code == 200, verified.text
    assert verified.json()["user"]["email"] == email


async def test_signing_up_again_with_a_confirmed_email_reveals_nothing(auth: Auth, mail: Mail) -> None:
    email = new_email("dup")
    first = (await auth.signup(email)).json()
    await auth.client.post("/verify", json={"type": "signup", "email": email, "token": await mail.code(email)})
    again = await auth.signup(email, password="another-password", data={"x": 1})
    assert again.status_code == 200, again.text
    fake = again.json()
    assert fake["id"] != first["id"]
    assert fake["identities"] == []
    assert fake["email"] == email and fake["role"] == ""
    assert fake["user_metadata"] == {"x": 1}
    assert "email_confirmed_at" not in fake
    assert len(await mail.to(email)) == 1
    await auth.login(email)  # the password did not change


async def test_signing_up_again_unconfirmed_is_rate_limited(auth: Auth) -> None:
    email = new_email("again")
    first = (await auth.signup(email)).json()
    again = await auth.client.post("/signup", headers=VERSION, json={"email": email, "password": "secret-123"})
    assert again.status_code == 429
    assert again.json()["code"] == "over_email_send_rate_limit"
    assert again.json()["message"].startswith("For security purposes, you can only request this after ")
    assert first["id"]


async def test_duplicate_signup_with_autoconfirm_is_422(auto: Auth) -> None:
    email = new_email("dup-auto")
    assert (await auto.signup(email)).status_code == 200
    again = await auto.client.post("/signup", headers=VERSION, json={"email": email, "password": "secret-123"})
    assert again.status_code == 422
    assert again.json() == {"code": "user_already_exists", "message": "User already registered"}
    assert again.headers["x-supabase-api-version"] == "2024-01-01"


async def test_autoconfirm_signup_signs_in(auto: Auth, mail: Mail, db: asyncpg.Pool) -> None:
    email = new_email("auto")
    response = await auto.signup(email, data={"full_name": "Grace Hopper"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    assert body["user"]["email_confirmed_at"]
    assert await mail.to(email, count=0) == []
    row = await db.fetchrow("select * from auth.users where email = $1", email)
    assert row is not None
    assert row["encrypted_password"].startswith("$2")
    assert row["confirmed_at"] == row["email_confirmed_at"]
    profile = await db.fetchrow("select full_name from public.profiles where id = $1", row["id"])
    assert profile is not None and profile["full_name"] == "Grace Hopper"


async def test_weak_and_missing_passwords(auth: Auth) -> None:
    email = new_email("weak")
    weak = await auth.signup(email, password="12345")
    assert weak.status_code == 422
    assert weak.json() == {
        "code": 422, "error_code": "weak_password", "msg": "Password should be at least 6 characters.",
        "weak_password": {"reasons": ["length"]},
    }
    versioned = await auth.client.post("/signup", headers=VERSION, json={"email": email, "password": "12345"})
    assert versioned.json() == {
        "code": "weak_password", "message": "Password should be at least 6 characters.",
        "weak_password": {"reasons": ["length"]},
    }
    missing = await auth.client.post("/signup", headers=VERSION, json={"email": email})
    assert missing.status_code == 400
    assert missing.json() == {"code": "validation_failed", "message": "Signup requires a valid password"}
    too_long = await auth.signup(email, password="x" * 73)
    assert too_long.status_code == 400


async def test_invalid_requests(auth: Auth) -> None:
    bad_email = await auth.client.post(
        "/signup", headers=VERSION, json={"email": "not-an-email", "password": "secret-123"}
    )
    assert bad_email.status_code == 400
    assert bad_email.json()["code"] == "validation_failed"
    anonymous = await auth.client.post("/signup", headers=VERSION, json={"password": "secret-123"})
    assert anonymous.status_code == 422
    assert anonymous.json()["code"] == "anonymous_provider_disabled"
    not_json = await auth.client.post("/signup", headers=VERSION, content=b"{nope")
    assert not_json.status_code == 400
    assert not_json.json()["code"] == "bad_json"
    challenge_only = await auth.signup(new_email(), code_challenge="a" * 43)
    assert challenge_only.status_code == 400
    assert challenge_only.json()["msg"] == "PKCE flow requires code_challenge_method and code_challenge"


async def test_redirect_to_outside_the_allow_list_falls_back_to_the_site_url(auth: Auth, mail: Mail) -> None:
    email = new_email("redirect")
    await auth.client.post(
        "/signup", params={"redirect_to": "https://evil.example.com/steal"},
        json={"email": email, "password": "secret-123"},
    )
    link = await mail.link(email)
    assert link.endswith(f"redirect_to={SITE_URL}")
    followed = await auth.client.get(link.removeprefix(auth.url))
    assert followed.headers["location"].startswith(f"{SITE_URL}#access_token=")


async def test_verify_requires_type_and_token(auth: Auth) -> None:
    no_type = await auth.client.get("/verify", params={"token": "abc"}, headers=VERSION)
    assert no_type.status_code == 400
    assert no_type.json()["message"] == "Verify requires a verification type"
    unknown = await auth.client.get(
        "/verify", params={"token": "abc", "type": "signup", "redirect_to": f"{SITE_URL}/x?keep=1"}
    )
    assert unknown.status_code == 303
    assert unknown.headers["location"].startswith(f"{SITE_URL}/x?keep=1#error=access_denied")
