"""The before-user-created hook that Supabase Auth calls: signed, and strict."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from standardwebhooks import Webhook

from callcenter.settings import get_settings

HOOK = "/hooks/auth/before-user-created"


def signed(payload: dict[str, object], secret: str | None = None) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    message_id = f"msg_{uuid.uuid4().hex}"
    secret = (secret or get_settings().auth_hook_secret).removeprefix("v1,")
    now = datetime.now(UTC)
    signature = Webhook(secret).sign(message_id, now, body.decode())
    return body, {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
    }


def payload(email: str) -> dict[str, object]:
    return {
        "metadata": {"uuid": str(uuid.uuid4()), "time": datetime.now(UTC).isoformat(), "name": "before-user-created"},
        "user": {"id": str(uuid.uuid4()), "email": email, "aud": "authenticated", "role": ""},
    }


@pytest.mark.parametrize(
    ("email", "allowed"),
    [
        ("ceo@acme-industries.com", True),
        ("  CEO@Acme-Industries.COM ", True),
        ("someone@gmail.com", False),
        ("someone@GMAIL.com", False),
        ("someone@mail.yahoo.co.uk", False),
        ("temp@mailinator.com", False),
        ("temp@sub.mailinator.com", False),
        ("", False),
    ],
)
async def test_hook_verdicts(api: httpx.AsyncClient, email: str, allowed: bool) -> None:
    body, headers = signed(payload(email))
    response = await api.post(HOOK, content=body, headers=headers)
    assert response.status_code == 200
    if allowed:
        assert response.json() == {}
    else:
        error = response.json()["error"]
        assert error["http_code"] == 400
        assert "work email" in error["message"]


async def test_hook_refuses_unsigned_or_forged_calls(api: httpx.AsyncClient) -> None:
    body, headers = signed(payload("ceo@acme-industries.com"))
    unsigned = await api.post(HOOK, content=body, headers={"content-type": "application/json"})
    assert unsigned.status_code == 401
    forged_body, forged_headers = signed(payload("ceo@acme-industries.com"), secret="v1,whsec_" + "A" * 43 + "=")
    forged = await api.post(HOOK, content=forged_body, headers=forged_headers)
    assert forged.status_code == 401
    tampered = await api.post(HOOK, content=body.replace(b"acme-industries.com", b"gmail.com"), headers=headers)
    assert tampered.status_code == 401
