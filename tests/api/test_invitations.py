"""Inviting human agents: the email, the link, and every way acceptance can go wrong."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from callcenter.settings import get_settings
from tests.api.conftest import MakeUser, User
from tests.api.test_tenancy_api import onboard


async def invite(
    api: httpx.AsyncClient, admin: User, workspace_id: str, email: str, role: str = "agent"
) -> httpx.Response:
    return await api.post(
        f"/v1/workspaces/{workspace_id}/invitations", headers=admin.headers, json={"email": email, "role": role}
    )


def token_of(response: httpx.Response) -> str:
    url: str = response.json()["invite_url"]
    return url.rsplit("/invite/", 1)[1]


async def mails_to(address: str) -> list[dict[str, Any]]:
    mail_url = get_settings().model_extra.get("mail_catcher_url") if get_settings().model_extra else None
    async with httpx.AsyncClient(base_url=mail_url or "http://127.0.0.1:54324", timeout=10) as client:
        messages: list[dict[str, Any]] = (await client.get("/api/messages", params={"to": address})).json()
    return messages


async def test_invite_accept_and_see_only_that_workspace(api: httpx.AsyncClient, make_user: MakeUser) -> None:
    owner = await make_user("owner")
    created = await onboard(api, owner)
    business_id, support_id = created["business"]["id"], created["workspace"]["id"]
    await api.post(f"/v1/businesses/{business_id}/workspaces", headers=owner.headers, json={"name": "Billing"})
    agent = await make_user("agent")

    response = await invite(api, owner, support_id, f"  {agent.email.upper()} ")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["invitation"]["email"] == agent.email
    assert body["invitation"]["status"] == "pending"
    assert body["email_sent"] is True
    token = token_of(response)
    mails = await mails_to(agent.email)
    assert mails and any(token in link for link in mails[0]["links"])

    preview = await api.get(f"/v1/invitations/{token}")
    assert preview.status_code == 200
    assert preview.json()["workspace_name"] == "Support" and preview.json()["status"] == "pending"

    accepted = await api.post(f"/v1/invitations/{token}/accept", headers=agent.headers)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["workspace_id"] == support_id
    me = (await api.get("/v1/me", headers=agent.headers)).json()
    assert [(b["name"], b["role"]) for b in me["businesses"]] == [("Acme", "agent")]
    assert [(w["name"], w["role"], w["can_manage"]) for w in me["workspaces"]] == [("Support", "agent", False)]

    reused = await api.post(f"/v1/invitations/{token}/accept", headers=agent.headers)
    assert reused.status_code == 409 and "already used" in reused.json()["error"]["message"]
    members = (await api.get(f"/v1/workspaces/{support_id}/members", headers=agent.headers)).json()
    assert {m["email"] for m in members} == {owner.email, agent.email}

    # An agent cannot manage: no invitations, no role changes, no new workspaces.
    assert (await invite(api, agent, support_id, "friend@elsewhere-corp.com")).status_code == 403
    promote = await api.patch(
        f"/v1/workspaces/{support_id}/members/{agent.id}", headers=agent.headers, json={"role": "admin"}
    )
    assert promote.status_code == 403
    new_ws = await api.post(f"/v1/businesses/{business_id}/workspaces", headers=agent.headers, json={"name": "Mine"})
    assert new_ws.status_code == 403


@pytest.mark.parametrize(
    ("email", "code"),
    [
        ("someone@gmail.com", "free_email_domain"),
        ("x@mailinator.com", "disposable_email_domain"),
        ("nope", "invalid_email"),
    ],
)
async def test_invitations_need_a_business_email(
    api: httpx.AsyncClient, make_user: MakeUser, email: str, code: str
) -> None:
    owner = await make_user("owner")
    workspace_id = (await onboard(api, owner))["workspace"]["id"]
    response = await invite(api, owner, workspace_id, email)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == code
    assert (await api.get(f"/v1/workspaces/{workspace_id}/invitations", headers=owner.headers)).json() == []


async def test_acceptance_failures_change_nothing(
    api: httpx.AsyncClient, make_user: MakeUser, db: asyncpg.Pool
) -> None:
    owner = await make_user("owner")
    workspace_id = (await onboard(api, owner))["workspace"]["id"]
    invited, stranger = await make_user("invited"), await make_user("stranger")

    first = await invite(api, owner, workspace_id, invited.email)
    duplicate = await invite(api, owner, workspace_id, invited.email)
    assert duplicate.status_code == 409 and "pending invitation" in duplicate.json()["error"]["message"]

    wrong_user = await api.post(f"/v1/invitations/{token_of(first)}/accept", headers=stranger.headers)
    assert wrong_user.status_code == 403 and invited.email in wrong_user.json()["error"]["message"]

    unknown = await api.post("/v1/invitations/not-a-real-token/accept", headers=invited.headers)
    assert unknown.status_code == 404
    assert (await api.get("/v1/invitations/not-a-real-token")).status_code == 404

    invitation_id = first.json()["invitation"]["id"]
    revoked = await api.delete(f"/v1/workspaces/{workspace_id}/invitations/{invitation_id}", headers=owner.headers)
    assert revoked.status_code == 204
    after_revoke = await api.post(f"/v1/invitations/{token_of(first)}/accept", headers=invited.headers)
    assert after_revoke.status_code == 409 and "revoked" in after_revoke.json()["error"]["message"]

    second = await invite(api, owner, workspace_id, invited.email)
    await db.execute(
        "update public.invitations set expires_at = now() - interval '1 minute' where id = $1",
        uuid.UUID(second.json()["invitation"]["id"]),
    )
    expired = await api.post(f"/v1/invitations/{token_of(second)}/accept", headers=invited.headers)
    assert expired.status_code == 409 and "expired" in expired.json()["error"]["message"]
    assert (await api.get(f"/v1/invitations/{token_of(second)}")).json()["status"] == "expired"

    for user in (invited, stranger):
        me = (await api.get("/v1/me", headers=user.headers)).json()
        assert me["businesses"] == [] and me["workspaces"] == []
    statuses = [
        i["status"] for i in (await api.get(f"/v1/workspaces/{workspace_id}/invitations", headers=owner.headers)).json()
    ]
    assert sorted(statuses) == ["expired", "revoked"]

    # Once expired, the same person can be invited again; the old link stays dead.
    third = await invite(api, owner, workspace_id, invited.email)
    assert third.status_code == 201, third.text
    statuses = [
        i["status"] for i in (await api.get(f"/v1/workspaces/{workspace_id}/invitations", headers=owner.headers)).json()
    ]
    assert sorted(statuses) == ["pending", "revoked", "revoked"]
    assert (await api.post(f"/v1/invitations/{token_of(second)}/accept", headers=invited.headers)).status_code == 409


async def test_member_removed_while_signed_in_loses_access_at_once(api: httpx.AsyncClient, make_user: MakeUser) -> None:
    owner = await make_user("owner")
    workspace_id = (await onboard(api, owner))["workspace"]["id"]
    agent = await make_user("agent")
    accepted = await api.post(
        f"/v1/invitations/{token_of(await invite(api, owner, workspace_id, agent.email))}/accept", headers=agent.headers
    )
    assert accepted.status_code == 200
    assert (await api.get(f"/v1/workspaces/{workspace_id}", headers=agent.headers)).status_code == 200

    removed = await api.delete(f"/v1/workspaces/{workspace_id}/members/{agent.id}", headers=owner.headers)
    assert removed.status_code == 204
    # Same session token, next request: the workspace is gone for them.
    assert (await api.get(f"/v1/workspaces/{workspace_id}", headers=agent.headers)).status_code == 404
    assert (await api.get(f"/v1/workspaces/{workspace_id}/members", headers=agent.headers)).status_code == 404
    assert (await api.get("/v1/me", headers=agent.headers)).json()["workspaces"] == []
