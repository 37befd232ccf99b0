"""Businesses, workspaces and members through the API, including every way a
request can be wrong. Row level security does the refusing; the API turns it
into a clear message."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
import pytest

from tests.api.conftest import MakeUser, User


async def onboard(api: httpx.AsyncClient, owner: User, name: str = "Acme", first: str = "Support") -> dict[str, Any]:
    response = await api.post(
        "/v1/businesses", headers=owner.headers, json={"name": name, "first_workspace_name": first}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_onboarding_creates_business_owner_and_first_workspace(
    api: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner = await make_user("owner")
    created = await onboard(api, owner, "  Acme Corp ", " Billing ")
    assert created["business"]["name"] == "Acme Corp"
    assert created["business"]["role"] == "owner"
    assert created["workspace"]["name"] == "Billing"
    me = (await api.get("/v1/me", headers=owner.headers)).json()
    assert [b["name"] for b in me["businesses"]] == ["Acme Corp"]
    assert [(w["name"], w["role"], w["can_manage"]) for w in me["workspaces"]] == [("Billing", "admin", True)]


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({"name": "", "first_workspace_name": "Support"}, "name", "can't be empty"),
        ({"name": "   ", "first_workspace_name": "Support"}, "name", "can't be empty"),
        ({"name": "x" * 101, "first_workspace_name": "Support"}, "name", "too long"),
        ({"name": "Acme", "first_workspace_name": ""}, "first_workspace_name", "can't be empty"),
        ({"name": "Acme", "first_workspace_name": "y" * 61}, "first_workspace_name", "too long"),
        ({"name": "Acme"}, "first_workspace_name", "required"),
    ],
)
async def test_onboarding_refuses_bad_names_and_creates_nothing(
    api: httpx.AsyncClient, make_user: MakeUser, body: dict[str, str], field: str, fragment: str
) -> None:
    owner = await make_user("owner")
    response = await api.post("/v1/businesses", headers=owner.headers, json=body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["field"] == field
    assert fragment in error["message"].lower()
    assert (await api.get("/v1/me", headers=owner.headers)).json()["businesses"] == []


async def test_workspaces_per_department(api: httpx.AsyncClient, make_user: MakeUser) -> None:
    owner = await make_user("owner")
    business_id = (await onboard(api, owner))["business"]["id"]
    billing = await api.post(
        f"/v1/businesses/{business_id}/workspaces", headers=owner.headers, json={"name": "Billing"}
    )
    assert billing.status_code == 201
    duplicate = await api.post(
        f"/v1/businesses/{business_id}/workspaces", headers=owner.headers, json={"name": "billing"}
    )
    assert duplicate.status_code == 409
    assert "already exists" in duplicate.json()["error"]["message"]
    names = [
        w["name"] for w in (await api.get(f"/v1/businesses/{business_id}/workspaces", headers=owner.headers)).json()
    ]
    assert names == ["Support", "Billing"]

    workspace_id = billing.json()["id"]
    renamed = await api.patch(
        f"/v1/workspaces/{workspace_id}", headers=owner.headers, json={"name": "Billing & Refunds"}
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "Billing & Refunds"

    impact = (await api.get(f"/v1/workspaces/{workspace_id}/deletion-impact", headers=owner.headers)).json()
    assert impact["members"] == 1 and any("cannot be undone" in line for line in impact["summary"])
    wrong = await api.delete(f"/v1/workspaces/{workspace_id}", headers=owner.headers, params={"confirm": "Billing"})
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "confirmation_mismatch"
    assert (await api.get(f"/v1/workspaces/{workspace_id}", headers=owner.headers)).status_code == 200
    deleted = await api.delete(
        f"/v1/workspaces/{workspace_id}", headers=owner.headers, params={"confirm": "Billing & Refunds"}
    )
    assert deleted.status_code == 204
    assert (await api.get(f"/v1/workspaces/{workspace_id}", headers=owner.headers)).status_code == 404


async def test_other_business_sees_and_changes_nothing(api: httpx.AsyncClient, make_user: MakeUser) -> None:
    owner = await make_user("owner")
    outsider = await make_user("outsider")
    created = await onboard(api, owner)
    await onboard(api, outsider, "Other Inc", "Sales")
    business_id, workspace_id = created["business"]["id"], created["workspace"]["id"]
    h = outsider.headers
    attempts = [
        await api.get(f"/v1/workspaces/{workspace_id}", headers=h),
        await api.patch(f"/v1/workspaces/{workspace_id}", headers=h, json={"name": "Pwned"}),
        await api.get(f"/v1/workspaces/{workspace_id}/members", headers=h),
        await api.get(f"/v1/workspaces/{workspace_id}/invitations", headers=h),
        await api.post(f"/v1/workspaces/{workspace_id}/invitations", headers=h, json={"email": "x@other-inc.com"}),
        await api.get(f"/v1/workspaces/{workspace_id}/deletion-impact", headers=h),
        await api.delete(f"/v1/workspaces/{workspace_id}", headers=h, params={"confirm": "Support"}),
        await api.delete(f"/v1/workspaces/{workspace_id}/members/{owner.id}", headers=h),
        await api.patch(f"/v1/businesses/{business_id}", headers=h, json={"name": "Pwned"}),
        await api.post(f"/v1/businesses/{business_id}/workspaces", headers=h, json={"name": "Pwned"}),
        await api.get(f"/v1/businesses/{business_id}/members", headers=h),
        await api.delete(f"/v1/businesses/{business_id}/members/{owner.id}", headers=h),
    ]
    assert [r.status_code for r in attempts] == [404] * len(attempts), [r.text for r in attempts]
    assert (await api.get(f"/v1/businesses/{business_id}/workspaces", headers=h)).json() == []
    me = (await api.get("/v1/me", headers=owner.headers)).json()
    assert me["businesses"][0]["name"] == "Acme"
    assert [w["name"] for w in me["workspaces"]] == ["Support"]


async def test_last_owner_cannot_leave_or_be_demoted(
    api: httpx.AsyncClient, make_user: MakeUser, db: asyncpg.Pool
) -> None:
    owner = await make_user("owner")
    business_id = (await onboard(api, owner))["business"]["id"]
    leave = await api.delete(f"/v1/businesses/{business_id}/members/{owner.id}", headers=owner.headers)
    assert leave.status_code == 409
    assert "at least one owner" in leave.json()["error"]["message"]
    demote = await api.patch(
        f"/v1/businesses/{business_id}/members/{owner.id}", headers=owner.headers, json={"role": "admin"}
    )
    assert demote.status_code == 409
    role = await db.fetchval(
        "select role::text from public.business_members where business_id = $1 and user_id = $2::uuid",
        __import__("uuid").UUID(business_id),
        owner.id,
    )
    assert role == "owner"
