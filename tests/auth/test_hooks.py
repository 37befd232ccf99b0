"""The before-user-created hook: what it receives, and how its refusals surface."""

from __future__ import annotations

import time

import asyncpg

from local_platform.auth_server.config import HookConfig
from tests.auth.conftest import VERSION, Auth, HookReceiver, Mail, StartAuth, free_port, new_email


async def _user_count(db: asyncpg.Pool, email: str) -> int:
    return int(await db.fetchval("select count(*) from auth.users where email = $1", email))


async def test_hook_receives_the_user_signed(auth: Auth, hook: HookReceiver) -> None:
    email = new_email("hooked")
    response = await auth.client.post(
        "/signup", headers={"X-Forwarded-For": "203.0.113.7"},
        json={"email": email, "password": "secret-123", "data": {"full_name": "Hook Test"}},
    )
    assert response.status_code == 200, response.text
    (payload,) = hook.calls
    assert set(payload) == {"metadata", "user"}
    metadata = payload["metadata"]
    assert metadata["name"] == "before-user-created"
    assert metadata["ip_address"] == "203.0.113.7"
    assert metadata["uuid"] and metadata["time"].endswith("Z")
    user = payload["user"]
    assert user["id"] == response.json()["id"]
    assert user["email"] == email and user["aud"] == "authenticated" and user["role"] == ""
    assert user["app_metadata"] == {"provider": "email", "providers": ["email"]}
    assert user["user_metadata"] == {"full_name": "Hook Test"}
    assert user["identities"] == [] and user["is_anonymous"] is False
    assert user["created_at"] == "0001-01-01T00:00:00Z"
    headers = hook.headers[0]
    assert headers["webhook-signature"].startswith("v1,")
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 30
    assert headers["content-type"] == "application/json"


async def test_hook_refusal_creates_nothing(auth: Auth, hook: HookReceiver, db: asyncpg.Pool, mail: Mail) -> None:
    email = new_email("refused")
    hook.reply = (200, {"error": {"http_code": 400, "message": "Sign up with your work email address."}})
    refused = await auth.client.post("/signup", headers=VERSION, json={"email": email, "password": "secret-123"})
    assert refused.status_code == 400
    assert refused.json() == {"code": "unknown", "message": "Sign up with your work email address."}
    legacy = await auth.client.post("/signup", json={"email": email, "password": "secret-123"})
    assert legacy.json() == {"code": 400, "error_code": "unknown", "msg": "Sign up with your work email address."}
    assert await _user_count(db, email) == 0
    assert await mail.to(email, count=0) == []

    hook.reply = (200, {"error": {"http_code": 0, "message": "no"}})
    assert (await auth.signup(email)).status_code == 500
    hook.reply = (200, {"error": {"message": ""}})  # an empty message is not a refusal
    assert (await auth.signup(email)).status_code == 200
    assert await _user_count(db, email) == 1


async def test_failing_hook_creates_nothing(auth: Auth, hook: HookReceiver, db: asyncpg.Pool) -> None:
    email = new_email("hook-500")
    hook.reply = (500, {"oops": True})
    response = await auth.client.post("/signup", headers=VERSION, json={"email": email, "password": "secret-123"})
    assert response.status_code == 500
    assert response.json() == {
        "code": "unexpected_failure", "message": "Unexpected status code returned from hook: 500",
    }
    hook.reply = (200, None)  # no Content-Type
    assert (await auth.signup(email)).status_code == 400
    hook.reply = (204, None)
    assert (await auth.signup(email)).status_code == 200
    assert await _user_count(db, email) == 1


async def test_unreachable_hook_creates_nothing(start_auth: StartAuth, db: asyncpg.Pool, hook: HookReceiver) -> None:
    dead = await start_auth(
        hook_before_user_created=HookConfig(uri=f"http://127.0.0.1:{free_port()}/hook", secrets=(hook.secret,))
    )
    email = new_email("unreachable")
    response = await dead.client.post("/signup", headers=VERSION, json={"email": email, "password": "secret-123"})
    assert response.status_code == 422
    assert response.json() == {
        "code": "hook_timeout_after_retry", "message": "Failed to reach hook after maximum retries",
    }
    assert await _user_count(db, email) == 0


async def test_admin_create_does_not_call_the_hook(auth: Auth, hook: HookReceiver) -> None:
    """As in Supabase Auth v2.189: only sign-ups (and invites) go through before-user-created."""
    hook.reply = (200, {"error": {"http_code": 403, "message": "no"}})
    created = await auth.client.post("/admin/users", headers=auth.service_role, json={"email": new_email("admin")})
    assert created.status_code == 200
    assert hook.calls == []
