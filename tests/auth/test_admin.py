"""The admin user API, behind a service_role token."""

from __future__ import annotations

import uuid

import asyncpg

from tests.auth.conftest import VERSION, Auth, new_email


async def test_admin_requires_an_admin_role(auth: Auth) -> None:
    missing = await auth.client.get("/admin/users", headers=VERSION)
    assert missing.status_code == 401 and missing.json()["code"] == "no_authorization"
    anon = auth.sign({"role": "anon", "iss": auth.config.issuer})
    refused = await auth.client.get("/admin/users", headers={"Authorization": f"Bearer {anon}", **VERSION})
    assert refused.status_code == 403
    assert refused.json() == {"code": "not_admin", "message": "User not allowed"}


async def test_create_get_update_delete(auth: Auth, db: asyncpg.Pool) -> None:
    admin = {**auth.service_role, **VERSION}
    email = new_email("admin")
    created = await auth.client.post(
        "/admin/users", headers=admin,
        json={
            "email": email, "password": "secret-123", "email_confirm": True,
            "user_metadata": {"full_name": "Olivia Owner"}, "app_metadata": {"tier": "gold"},
        },
    )
    assert created.status_code == 200, created.text
    user = created.json()
    assert user["email"] == email and user["role"] == "authenticated" and user["email_confirmed_at"]
    assert user["app_metadata"] == {"provider": "email", "providers": ["email"], "tier": "gold"}
    assert user["user_metadata"] == {"full_name": "Olivia Owner", "email_verified": True}
    assert user["identities"][0]["identity_data"]["email"] == email
    assert (await db.fetchval("select full_name from public.profiles where id = $1", uuid.UUID(user["id"]))) == (
        "Olivia Owner"
    )
    await auth.login(email)

    duplicate = await auth.client.post("/admin/users", headers=admin, json={"email": email.upper()})
    assert duplicate.status_code == 422
    assert duplicate.json()["code"] == "email_exists"

    fetched = await auth.client.get(f"/admin/users/{user['id']}", headers=admin)
    assert fetched.status_code == 200 and fetched.json()["email"] == email

    updated = await auth.client.put(
        f"/admin/users/{user['id']}", headers=admin,
        json={"user_metadata": {"team": "billing"}, "ban_duration": "24h"},
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["user_metadata"]["team"] == "billing"
    assert updated.json()["banned_until"]
    banned = await auth.client.post(
        "/token", params={"grant_type": "password"}, headers=VERSION, json={"email": email, "password": "secret-123"}
    )
    assert banned.status_code == 400 and banned.json()["code"] == "user_banned"
    unbanned = await auth.client.put(f"/admin/users/{user['id']}", headers=admin, json={"ban_duration": "none"})
    assert "banned_until" not in unbanned.json()
    session = await auth.login(email)

    deleted = await auth.client.delete(f"/admin/users/{user['id']}", headers=admin)
    assert deleted.status_code == 200 and deleted.json() == {}
    gone = await auth.client.get(f"/admin/users/{user['id']}", headers=admin)
    assert gone.status_code == 404 and gone.json()["code"] == "user_not_found"
    me = await auth.client.get("/user", headers={"Authorization": f"Bearer {session['access_token']}", **VERSION})
    assert me.status_code == 403 and me.json()["code"] == "user_not_found"
    not_uuid = await auth.client.get("/admin/users/nope", headers=admin)
    assert not_uuid.status_code == 404


async def test_create_without_password_and_unconfirmed(auth: Auth) -> None:
    admin = {**auth.service_role, **VERSION}
    email = new_email("nopass")
    created = await auth.client.post("/admin/users", headers=admin, json={"email": email})
    assert created.status_code == 200
    assert "email_confirmed_at" not in created.json()
    refused = await auth.client.post(
        "/token", params={"grant_type": "password"}, headers=VERSION, json={"email": email, "password": "whatever1"}
    )
    assert refused.status_code == 400 and refused.json()["code"] == "invalid_credentials"
    nothing = await auth.client.post("/admin/users", headers=admin, json={})
    assert nothing.status_code == 400


async def test_list_users_paginates(auth: Auth) -> None:
    admin = {**auth.service_role, **VERSION}
    for _ in range(3):
        created = await auth.client.post("/admin/users", headers=admin, json={"email": new_email("list")})
        assert created.status_code == 200
    page = await auth.client.get("/admin/users", headers=admin, params={"page": "1", "per_page": "2"})
    assert page.status_code == 200
    body = page.json()
    assert body["aud"] == "authenticated" and len(body["users"]) == 2
    total = int(page.headers["x-total-count"])
    assert total >= 3
    assert 'rel="next"' in page.headers["link"] and 'rel="last"' in page.headers["link"]
    assert "page=2" in page.headers["link"]
    newest_first = [u["created_at"] for u in body["users"]]
    assert newest_first == sorted(newest_first, reverse=True)
    empty_params = await auth.client.get("/admin/users", headers=admin, params={"page": "", "per_page": ""})
    assert empty_params.status_code == 200


async def test_soft_delete(auth: Auth, db: asyncpg.Pool) -> None:
    admin = {**auth.service_role, **VERSION}
    email = new_email("soft")
    user_id = (await auth.client.post("/admin/users", headers=admin, json={"email": email})).json()["id"]
    try:
        deleted = await auth.client.request(
            "DELETE", f"/admin/users/{user_id}", headers=admin, json={"should_soft_delete": True}
        )
        assert deleted.status_code == 200
        row = await db.fetchrow("select email, deleted_at from auth.users where id = $1", uuid.UUID(user_id))
        assert row is not None
        assert row["deleted_at"] is not None and row["email"] != email
    finally:
        await db.execute("delete from auth.users where id = $1", uuid.UUID(user_id))
