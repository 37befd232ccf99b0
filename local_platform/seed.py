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


# A starting knowledge base, so a test call from the web app has answers.
DEMO_ARTICLES: dict[str, list[tuple[str, str]]] = {
    "Support": [
        (
            "Shipping and delivery",
            "# Shipping and delivery\n\n## Delivery times\n\nStandard delivery takes 3 to 5 business days. "
            "Express delivery arrives the next business day when you order before 2 pm.\n\n"
            "## Parcel lockers\n\nA parcel locker keeps your parcel for 72 hours. After that it goes back to "
            "our warehouse and we contact you to arrange a new delivery.\n",
        ),
        (
            "Returns and refunds",
            "# Returns and refunds\n\n## Returning an item\n\nYou can return any item within 30 days of "
            "delivery. Print the free return label from your order page and drop the parcel at any post office."
            "\n\n## Refund timing\n\nRefunds reach your original payment method within 5 business days after "
            "the warehouse receives the return.\n",
        ),
    ],
    "Billing": [
        (
            "Invoices and payment methods",
            "# Invoices and payment methods\n\n## Invoices\n\nInvoices are emailed on the first day of each "
            "month and are also available under Billing in your account.\n\n## Payment methods\n\nWe accept "
            "Visa, Mastercard, American Express and bank transfer. Card payments are charged on the invoice date."
            "\n",
        ),
    ],
}


def _workspaces(client: httpx.Client, rt: Runtime, headers: dict[str, str]) -> list[dict[str, str]]:
    me = client.get(f"{rt.api_url}/v1/me", headers=headers).raise_for_status().json()
    workspaces: list[dict[str, str]] = me["workspaces"]
    return workspaces


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
            workspace_ids = {workspace["name"]: workspace["id"] for workspace in _workspaces(client, rt, owner)}
            for workspace_name, articles in DEMO_ARTICLES.items():
                for title, body in articles:
                    client.post(
                        f"{rt.api_url}/v1/workspaces/{workspace_ids[workspace_name]}/knowledge/articles",
                        headers=owner,
                        json={"title": title, "body_markdown": body},
                    ).raise_for_status()
    return [
        "\nDemo logins (password for both: " + DEMO_PASSWORD + ")",
        f"  {OWNER.email:<28} owner of {BUSINESS} (workspaces: {', '.join(WORKSPACES)})",
        f"  {AGENT.email:<28} agent in {WORKSPACES[0]}",
    ]
