"""Demo data, created through the same doors a user goes through (Supabase
Auth's admin API, then our API), so the seed cannot drift from the product.
Idempotent: run on every `./dev up`."""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx

from local_platform.runtime import Runtime

DEMO_PASSWORD = "demo-password-1"
BUSINESS = "Acme Support Co"
WORKSPACES = ("Support", "Billing")


@dataclass(frozen=True)
class DemoUser:
    email: str
    full_name: str


OWNER = DemoUser("owner@acme-support.com", "Olivia Owner")
AGENT = DemoUser("agent@acme-support.com", "Alex Agent")


def _ensure_user(client: httpx.Client, rt: Runtime, user: DemoUser) -> None:
    admin = {"Authorization": f"Bearer {rt.secrets.service_role_key}", "apikey": rt.secrets.service_role_key}
    response = client.post(
        f"{rt.auth_url}/admin/users",
        headers=admin,
        json={
            "email": user.email,
            "password": DEMO_PASSWORD,
            "email_confirm": True,
            "user_metadata": {"full_name": user.full_name},
        },
    )
    if response.status_code not in (200, 201, 422):
        response.raise_for_status()


def _sign_in(client: httpx.Client, rt: Runtime, user: DemoUser) -> dict[str, str]:
    response = client.post(
        f"{rt.auth_url}/token",
        params={"grant_type": "password"},
        headers={"apikey": rt.secrets.anon_key},
        json={"email": user.email, "password": DEMO_PASSWORD},
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def run(rt: Runtime) -> list[str]:
    with httpx.Client(timeout=15) as client:
        for user in (OWNER, AGENT):
            _ensure_user(client, rt, user)
        owner = _sign_in(client, rt, OWNER)
        agent = _sign_in(client, rt, AGENT)
        me = client.get(f"{rt.api_url}/v1/me", headers=owner).raise_for_status().json()
        if not me["businesses"]:
            created = (
                client.post(
                    f"{rt.api_url}/v1/businesses",
                    headers=owner,
                    json={"name": BUSINESS, "first_workspace_name": WORKSPACES[0]},
                )
                .raise_for_status()
                .json()
            )
            business_id = created["business"]["id"]
            support_id = created["workspace"]["id"]
            for name in WORKSPACES[1:]:
                client.post(
                    f"{rt.api_url}/v1/businesses/{business_id}/workspaces", headers=owner, json={"name": name}
                ).raise_for_status()
            invited = (
                client.post(
                    f"{rt.api_url}/v1/workspaces/{support_id}/invitations",
                    headers=owner,
                    json={"email": AGENT.email, "role": "agent"},
                )
                .raise_for_status()
                .json()
            )
            token = re.sub(r".*/invite/", "", invited["invite_url"])
            client.post(f"{rt.api_url}/v1/invitations/{token}/accept", headers=agent).raise_for_status()
    return [
        "\nDemo logins (password for both: " + DEMO_PASSWORD + ")",
        f"  {OWNER.email:<28} owner of {BUSINESS} (workspaces: {', '.join(WORKSPACES)})",
        f"  {AGENT.email:<28} agent in {WORKSPACES[0]}",
    ]
