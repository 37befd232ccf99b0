"""GET/PUT /user and POST /logout, and how sessions end."""

from __future__ import annotations

import time
import uuid
from typing import Any

from tests.auth.conftest import VERSION, Auth, Mail, new_email
from tests.auth.test_signup import fragment


def bearer(session: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {session['access_token']}", **VERSION}


async def test_get_user(auto: Auth) -> None:
    email = new_email("me")
    signed_up = (await auto.signup(email)).json()
    me = await auto.client.get("/user", headers=bearer(signed_up))
    assert me.status_code == 200, me.text
    assert me.json()["id"] == signed_up["user"]["id"]
    assert me.json()["email"] == email
    assert me.json()["identities"][0]["provider"] == "email"

    missing = await auto.client.get("/user", headers=VERSION)
    assert missing.status_code == 401
    assert missing.json() == {"code": "no_authorization", "message": "This endpoint requires a valid Bearer token"}


async def test_bad_tokens_are_refused(auto: Auth, start_auth: Any) -> None:
    other = await start_auth()
    email = new_email("foreign")
    user_id = (await auto.signup(email)).json()["user"]["id"]
    now = int(time.time())
    claims = {"sub": user_id, "aud": "authenticated", "role": "authenticated", "iat": now, "exp": now + 60}
    foreign = await auto.client.get("/user", headers={"Authorization": f"Bearer {other.sign(claims)}", **VERSION})
    assert foreign.status_code == 403 and foreign.json()["code"] == "bad_jwt"
    expired = auto.sign({**claims, "exp": now - 10})
    response = await auto.client.get("/user", headers={"Authorization": f"Bearer {expired}", **VERSION})
    assert response.status_code == 403
    assert response.json()["message"].startswith("invalid JWT: unable to parse or verify signature")
    ghost = auto.sign({**claims, "sub": str(uuid.uuid4())})
    response = await auto.client.get("/user", headers={"Authorization": f"Bearer {ghost}", **VERSION})
    assert response.status_code == 403 and response.json()["code"] == "user_not_found"
    no_session = auto.sign({**claims, "session_id": str(uuid.uuid4())})
    response = await auto.client.get("/user", headers={"Authorization": f"Bearer {no_session}", **VERSION})
    assert response.status_code == 403 and response.json()["code"] == "session_not_found"


async def test_logout_scopes(auto: Auth) -> None:
    email = new_email("logout")
    await auto.signup(email)
    one, two, three = await auto.login(email), await auto.login(email), await auto.login(email)

    bad = await auto.client.post("/logout", params={"scope": "everything"}, headers=bearer(one))
    assert bad.status_code == 400

    local = await auto.client.post("/logout", params={"scope": "local"}, headers=bearer(one))
    assert local.status_code == 204
    gone = await auto.client.get("/user", headers=bearer(one))
    assert gone.status_code == 403
    assert gone.json() == {
        "code": "session_not_found", "message": "Session from session_id claim in JWT does not exist",
    }
    assert (await auto.client.get("/user", headers=bearer(two))).status_code == 200
    refreshed = await auto.client.post(
        "/token", params={"grant_type": "refresh_token"}, json={"refresh_token": one["refresh_token"]}
    )
    assert refreshed.status_code == 400
    assert refreshed.json()["error_code"] == "refresh_token_not_found"

    others = await auto.client.post("/logout", params={"scope": "others"}, headers=bearer(two))
    assert others.status_code == 204
    assert (await auto.client.get("/user", headers=bearer(two))).status_code == 200
    assert (await auto.client.get("/user", headers=bearer(three))).status_code == 403

    everywhere = await auto.client.post("/logout", headers=bearer(two))
    assert everywhere.status_code == 204
    assert (await auto.client.get("/user", headers=bearer(two))).status_code == 403


async def test_update_metadata_and_password(auto: Auth) -> None:
    email = new_email("update")
    session = (await auto.signup(email, data={"full_name": "Old", "keep": True})).json()
    other = await auto.login(email)

    updated = await auto.client.put(
        "/user", headers=bearer(session), json={"data": {"full_name": "New", "keep": None, "team": "support"}}
    )
    assert updated.status_code == 200, updated.text
    metadata = updated.json()["user_metadata"]
    assert metadata["full_name"] == "New" and metadata["team"] == "support" and "keep" not in metadata

    same = await auto.client.put("/user", headers=bearer(session), json={"password": "secret-123"})
    assert same.status_code == 422
    assert same.json()["code"] == "same_password"
    weak = await auto.client.put("/user", headers=bearer(session), json={"password": "123"})
    assert weak.status_code == 422 and weak.json()["code"] == "weak_password"

    changed = await auto.client.put("/user", headers=bearer(session), json={"password": "new-secret-456"})
    assert changed.status_code == 200, changed.text
    assert (await auto.client.get("/user", headers=bearer(session))).status_code == 200
    assert (await auto.client.get("/user", headers=bearer(other))).status_code == 403
    await auto.login(email, "new-secret-456")

    admin_only = await auto.client.put("/user", headers=bearer(session), json={"app_metadata": {"role": "x"}})
    assert admin_only.status_code == 403 and admin_only.json()["code"] == "not_admin"


async def test_email_change_needs_both_addresses_confirmed(auth: Auth, mail: Mail) -> None:
    old, new = new_email("old"), new_email("new")
    await auth.signup(old)
    await auth.client.post("/verify", json={"type": "signup", "email": old, "token": await mail.code(old)})
    session = await auth.login(old)
    taken = new_email("taken")
    await auth.signup(taken)
    duplicate = await auth.client.put("/user", headers=bearer(session), json={"email": taken})
    assert duplicate.status_code == 422 and duplicate.json()["code"] == "email_exists"

    response = await auth.client.put("/user", headers=bearer(session), json={"email": new})
    assert response.status_code == 200, response.text
    assert response.json()["email"] == old and response.json()["new_email"] == new

    to_new = await mail.link(new, "email_change")
    to_old = await mail.link(old, "email_change")
    first = await auth.client.get(to_new.removeprefix(auth.url))
    assert first.status_code == 303
    assert fragment(first.headers["location"])["message"].startswith("Confirmation link accepted")
    second = await auth.client.get(to_old.removeprefix(auth.url))
    assert second.status_code == 303
    signed_in = fragment(second.headers["location"])
    assert signed_in["type"] == "email_change"
    me = (await auth.client.get("/user", headers=bearer(signed_in))).json()
    assert me["email"] == new and "new_email" not in me
    assert me["identities"][0]["identity_data"]["email"] == new
    await auth.login(new)
