"""POST /recover and POST /resend."""

from __future__ import annotations

from tests.auth.conftest import SITE_URL, VERSION, Auth, Mail, new_email
from tests.auth.test_signup import fragment, pkce_pair, query


async def test_recover_unknown_email_reveals_nothing(auth: Auth, mail: Mail) -> None:
    email = new_email("nobody")
    response = await auth.client.post("/recover", json={"email": email})
    assert response.status_code == 200 and response.json() == {}
    assert await mail.to(email, count=0) == []


async def test_recovery_link_signs_in_to_set_a_new_password(auto: Auth, mail: Mail) -> None:
    email = new_email("recover")
    await auto.signup(email)
    response = await auto.client.post(
        "/recover", params={"redirect_to": f"{SITE_URL}/reset"}, json={"email": email}
    )
    assert response.status_code == 200, response.text
    too_soon = await auto.client.post("/recover", headers=VERSION, json={"email": email})
    assert too_soon.status_code == 429
    message = (await mail.to(email))[0]
    assert message["subject"] == "Reset Your Password"
    link = await mail.link(email, "recovery")
    followed = await auto.client.get(link.removeprefix(auto.url))
    assert followed.headers["location"].startswith(f"{SITE_URL}/reset#")
    session = fragment(followed.headers["location"])
    assert session["type"] == "recovery"
    changed = await auto.client.put(
        "/user", headers={"Authorization": f"Bearer {session['access_token']}"}, json={"password": "brand-new-1"}
    )
    assert changed.status_code == 200, changed.text
    await auto.login(email, "brand-new-1")


async def test_pkce_recovery(auto: Auth, mail: Mail) -> None:
    email = new_email("pkce-recover")
    await auto.signup(email)
    verifier, challenge = pkce_pair()
    await auto.client.post(
        "/recover", json={"email": email, "code_challenge": challenge, "code_challenge_method": "s256"}
    )
    followed = await auto.client.get((await mail.link(email, "recovery")).removeprefix(auto.url))
    code = query(followed.headers["location"])["code"]
    exchanged = await auto.client.post(
        "/token", params={"grant_type": "pkce"}, json={"auth_code": code, "code_verifier": verifier}
    )
    assert exchanged.status_code == 200, exchanged.text
    assert auto.claims(exchanged.json()["access_token"])["amr"][0]["method"] == "recovery"


async def test_resend_signup_confirmation(auth: Auth, mail: Mail) -> None:
    email = new_email("resend")
    await auth.signup(email)
    too_soon = await auth.client.post("/resend", headers=VERSION, json={"type": "signup", "email": email})
    assert too_soon.status_code == 429
    assert too_soon.json()["code"] == "over_email_send_rate_limit"
    unknown = await auth.client.post("/resend", json={"type": "signup", "email": new_email()})
    assert unknown.status_code == 200 and unknown.json() == {}
    bad_type = await auth.client.post("/resend", json={"type": "nope", "email": email})
    assert bad_type.status_code == 400

    await auth.client.post("/verify", json={"type": "signup", "email": email, "token": await mail.code(email)})
    confirmed = await auth.client.post("/resend", json={"type": "signup", "email": email})
    assert confirmed.status_code == 200 and confirmed.json() == {}
    assert len(await mail.to(email)) == 1
