"""Businesses, department workspaces, members and invitations.

Every function takes a connection opened *as the user* (see callcenter.db), so
row level security is the authority on who may see or change what; these
functions add the checks a person needs a clear message for."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Literal
from uuid import UUID

import asyncpg
from pydantic import BaseModel

from callcenter.errors import DomainError, ErrorKind, forbidden, not_found, translated

BusinessRole = Literal["owner", "admin", "agent"]
WorkspaceRole = Literal["admin", "agent"]
InvitationStatus = Literal["pending", "accepted", "revoked", "expired"]


class UserSummary(BaseModel):
    id: UUID
    email: str
    full_name: str | None


class BusinessSummary(BaseModel):
    id: UUID
    name: str
    role: BusinessRole


class WorkspaceSummary(BaseModel):
    id: UUID
    business_id: UUID
    name: str
    role: WorkspaceRole | None
    can_manage: bool


class Me(BaseModel):
    user: UserSummary
    businesses: list[BusinessSummary]
    workspaces: list[WorkspaceSummary]


class WorkspaceDetail(WorkspaceSummary):
    business_name: str
    created_at: datetime
    member_count: int


class DeletionImpact(BaseModel):
    members: int
    pending_invitations: int
    summary: list[str]


class Member(BaseModel):
    user_id: UUID
    email: str
    full_name: str | None
    role: WorkspaceRole
    joined_at: datetime
    is_you: bool


class BusinessMember(BaseModel):
    user_id: UUID
    email: str
    full_name: str | None
    role: BusinessRole
    joined_at: datetime
    is_you: bool


class Invitation(BaseModel):
    id: UUID
    email: str
    role: WorkspaceRole
    status: InvitationStatus
    created_at: datetime
    expires_at: datetime
    invited_by_email: str | None


class CreatedInvitation(BaseModel):
    invitation: Invitation
    token: str


class InvitationPreview(BaseModel):
    business_name: str
    workspace_name: str
    email: str
    role: WorkspaceRole
    invited_by_email: str | None
    status: InvitationStatus
    expires_at: datetime


# ---------------------------------------------------------------- reads

_WORKSPACE_SUMMARY = """
    select w.id, w.business_id, w.name, wm.role,
           private.can_manage_workspace(w.id) as can_manage
    from public.workspaces w
    left join public.workspace_members wm
      on wm.workspace_id = w.id and wm.user_id = (select auth.uid())
"""


def _workspace_summary(row: asyncpg.Record) -> WorkspaceSummary:
    return WorkspaceSummary(
        id=row["id"],
        business_id=row["business_id"],
        name=row["name"],
        role=row["role"],
        can_manage=row["can_manage"],
    )


async def me(conn: asyncpg.Connection, user_id: UUID) -> Me:
    profile = await conn.fetchrow("select id, email, full_name from public.profiles where id = $1", user_id)
    if profile is None:
        raise not_found("Your profile")
    businesses = await conn.fetch(
        """select b.id, b.name, m.role from public.businesses b
           join public.business_members m on m.business_id = b.id and m.user_id = $1
           order by b.created_at""",
        user_id,
    )
    workspaces = await conn.fetch(_WORKSPACE_SUMMARY + " order by w.created_at")
    return Me(
        user=UserSummary(**dict(profile)),
        businesses=[BusinessSummary(**dict(b)) for b in businesses],
        workspaces=[_workspace_summary(w) for w in workspaces],
    )


async def list_workspaces(conn: asyncpg.Connection, business_id: UUID) -> list[WorkspaceSummary]:
    rows = await conn.fetch(_WORKSPACE_SUMMARY + " where w.business_id = $1 order by w.created_at", business_id)
    return [_workspace_summary(r) for r in rows]


async def get_workspace(conn: asyncpg.Connection, workspace_id: UUID) -> WorkspaceDetail:
    row = await conn.fetchrow(
        """select w.id, w.business_id, w.name, wm.role, w.created_at, b.name as business_name,
                  private.can_manage_workspace(w.id) as can_manage,
                  (select count(*) from public.workspace_members x where x.workspace_id = w.id) as member_count
           from public.workspaces w
           join public.businesses b on b.id = w.business_id
           left join public.workspace_members wm on wm.workspace_id = w.id and wm.user_id = (select auth.uid())
           where w.id = $1""",
        workspace_id,
    )
    if row is None:
        raise not_found("That workspace")
    return WorkspaceDetail(**dict(row))


# ---------------------------------------------------------------- businesses and workspaces


async def create_business(
    conn: asyncpg.Connection, name: str, first_workspace_name: str
) -> tuple[BusinessSummary, WorkspaceSummary]:
    with translated("A workspace with that name already exists."):
        business_id = await conn.fetchval("select public.create_business($1, $2)", name, first_workspace_name)
    business = await conn.fetchrow(
        "select b.id, b.name, 'owner'::text as role from public.businesses b where b.id = $1", business_id
    )
    workspaces = await list_workspaces(conn, business_id)
    assert business is not None and workspaces
    return BusinessSummary(**dict(business)), workspaces[0]


async def rename_business(conn: asyncpg.Connection, business_id: UUID, name: str) -> BusinessSummary:
    with translated():
        row = await conn.fetchrow(
            """update public.businesses set name = $2 where id = $1
               returning id, name, private.business_role_of(id)::text as role""",
            business_id,
            name,
        )
    if row is None:
        await _explain_business_refusal(conn, business_id, "rename this business")
    assert row is not None
    return BusinessSummary(**dict(row))


async def _explain_business_refusal(conn: asyncpg.Connection, business_id: UUID, action: str) -> None:
    visible = await conn.fetchval("select exists (select 1 from public.businesses where id = $1)", business_id)
    if not visible:
        raise not_found("That business")
    raise forbidden(f"Only owners and admins can {action}.")


async def create_workspace(conn: asyncpg.Connection, business_id: UUID, user_id: UUID, name: str) -> WorkspaceSummary:
    role = await conn.fetchval("select private.business_role_of($1)::text", business_id)
    if role is None:
        raise not_found("That business")
    if role not in ("owner", "admin"):
        raise forbidden("Only owners and admins can create workspaces.")
    with translated(f"A workspace named “{name}” already exists in this business."):
        workspace_id = await conn.fetchval(
            "insert into public.workspaces (business_id, name, created_by) values ($1, $2, $3) returning id",
            business_id,
            name,
            user_id,
        )
        # The creator manages the department they created, and appears in its team.
        await conn.execute(
            """insert into public.workspace_members (workspace_id, business_id, user_id, role)
               values ($1, $2, $3, 'admin') on conflict do nothing""",
            workspace_id,
            business_id,
            user_id,
        )
    rows = await conn.fetch(_WORKSPACE_SUMMARY + " where w.id = $1", workspace_id)
    return _workspace_summary(rows[0])


async def rename_workspace(conn: asyncpg.Connection, workspace_id: UUID, name: str) -> WorkspaceSummary:
    with translated(f"A workspace named “{name}” already exists in this business."):
        updated = await conn.fetchval(
            "update public.workspaces set name = $2 where id = $1 returning id", workspace_id, name
        )
    if updated is None:
        await _explain_workspace_refusal(conn, workspace_id, "rename this workspace")
    rows = await conn.fetch(_WORKSPACE_SUMMARY + " where w.id = $1", workspace_id)
    return _workspace_summary(rows[0])


async def _explain_workspace_refusal(conn: asyncpg.Connection, workspace_id: UUID, action: str) -> None:
    visible = await conn.fetchval("select exists (select 1 from public.workspaces where id = $1)", workspace_id)
    if not visible:
        raise not_found("That workspace")
    raise forbidden(f"You need to be an admin to {action}.")


async def deletion_impact(conn: asyncpg.Connection, workspace_id: UUID) -> DeletionImpact:
    await get_workspace(conn, workspace_id)
    members = await conn.fetchval("select count(*) from public.workspace_members where workspace_id = $1", workspace_id)
    pending = await conn.fetchval(
        """select count(*) from public.invitations
           where workspace_id = $1 and accepted_at is null and revoked_at is null and expires_at > now()""",
        workspace_id,
    )
    summary = [
        f"{members} member{'s' if members != 1 else ''} lose access to this workspace "
        "(they stay in the business and keep their other workspaces).",
        f"{pending} pending invitation{'s' if pending != 1 else ''} stop working.",
        "Its AI agent, phone number, knowledge base and call history are deleted with it.",
        "This cannot be undone.",
    ]
    return DeletionImpact(members=members, pending_invitations=pending, summary=summary)


async def delete_workspace(conn: asyncpg.Connection, workspace_id: UUID, confirm_name: str) -> None:
    workspace = await get_workspace(conn, workspace_id)
    if confirm_name.strip() != workspace.name:
        raise DomainError(
            ErrorKind.INVALID,
            "confirmation_mismatch",
            f"Type the workspace name “{workspace.name}” exactly to confirm.",
            field="confirm",
        )
    deleted = await conn.fetchval("delete from public.workspaces where id = $1 returning id", workspace_id)
    if deleted is None:
        raise forbidden("Only business owners and admins can delete a workspace.")


# ---------------------------------------------------------------- members


async def list_members(conn: asyncpg.Connection, workspace_id: UUID, user_id: UUID) -> list[Member]:
    await get_workspace(conn, workspace_id)
    rows = await conn.fetch(
        """select m.user_id, p.email, p.full_name, m.role, m.created_at as joined_at, m.user_id = $2 as is_you
           from public.workspace_members m join public.profiles p on p.id = m.user_id
           where m.workspace_id = $1 order by m.created_at""",
        workspace_id,
        user_id,
    )
    return [Member(**dict(r)) for r in rows]


async def change_member_role(
    conn: asyncpg.Connection, workspace_id: UUID, member_id: UUID, role: WorkspaceRole, user_id: UUID
) -> Member:
    updated = await conn.fetchval(
        "update public.workspace_members set role = $3 where workspace_id = $1 and user_id = $2 returning user_id",
        workspace_id,
        member_id,
        role,
    )
    if updated is None:
        await _explain_member_refusal(conn, workspace_id, member_id, "change roles")
    return next(m for m in await list_members(conn, workspace_id, user_id) if m.user_id == member_id)


async def remove_member(conn: asyncpg.Connection, workspace_id: UUID, member_id: UUID) -> None:
    removed = await conn.fetchval(
        "delete from public.workspace_members where workspace_id = $1 and user_id = $2 returning user_id",
        workspace_id,
        member_id,
    )
    if removed is None:
        await _explain_member_refusal(conn, workspace_id, member_id, "remove members")


async def _explain_member_refusal(conn: asyncpg.Connection, workspace_id: UUID, member_id: UUID, action: str) -> None:
    await get_workspace(conn, workspace_id)
    exists = await conn.fetchval(
        "select exists (select 1 from public.workspace_members where workspace_id = $1 and user_id = $2)",
        workspace_id,
        member_id,
    )
    if not exists:
        raise not_found("That member")
    raise forbidden(f"You need to be an admin of this workspace to {action}.")


async def list_business_members(conn: asyncpg.Connection, business_id: UUID, user_id: UUID) -> list[BusinessMember]:
    rows = await conn.fetch(
        """select m.user_id, p.email, p.full_name, m.role, m.created_at as joined_at, m.user_id = $2 as is_you
           from public.business_members m join public.profiles p on p.id = m.user_id
           where m.business_id = $1 order by m.created_at""",
        business_id,
        user_id,
    )
    if not rows:
        raise not_found("That business")
    return [BusinessMember(**dict(r)) for r in rows]


async def _explain_business_member_refusal(
    conn: asyncpg.Connection, business_id: UUID, member_id: UUID, action: str
) -> None:
    target_role = await conn.fetchval(
        "select role::text from public.business_members where business_id = $1 and user_id = $2",
        business_id,
        member_id,
    )
    if target_role is None:
        await _explain_business_refusal(conn, business_id, action)
        raise not_found("That member")
    if target_role == "owner":
        raise forbidden(f"Only owners can {action} for an owner.")
    raise forbidden(f"Only owners and admins can {action}.")


async def change_business_role(
    conn: asyncpg.Connection, business_id: UUID, member_id: UUID, role: BusinessRole
) -> None:
    if role == "owner" and await conn.fetchval("select private.business_role_of($1)::text", business_id) == "admin":
        raise forbidden("Only owners can make someone an owner.")
    with translated():
        updated = await conn.fetchval(
            "update public.business_members set role = $3 where business_id = $1 and user_id = $2 returning user_id",
            business_id,
            member_id,
            role,
        )
    if updated is None:
        await _explain_business_member_refusal(conn, business_id, member_id, "change the role")


async def remove_business_member(conn: asyncpg.Connection, business_id: UUID, member_id: UUID) -> None:
    with translated():
        removed = await conn.fetchval(
            "delete from public.business_members where business_id = $1 and user_id = $2 returning user_id",
            business_id,
            member_id,
        )
    if removed is None:
        await _explain_business_member_refusal(conn, business_id, member_id, "remove someone from the business")


# ---------------------------------------------------------------- invitations


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


_INVITATION = """
    select i.id, i.email, i.role, i.created_at, i.expires_at, p.email as invited_by_email,
      case when i.revoked_at is not null then 'revoked'
           when i.accepted_at is not null then 'accepted'
           when i.expires_at <= now() then 'expired'
           else 'pending' end as status
    from public.invitations i left join public.profiles p on p.id = i.invited_by
"""


async def list_invitations(conn: asyncpg.Connection, workspace_id: UUID) -> list[Invitation]:
    workspace = await get_workspace(conn, workspace_id)
    if not workspace.can_manage:
        raise forbidden("You need to be an admin of this workspace to see its invitations.")
    rows = await conn.fetch(_INVITATION + " where i.workspace_id = $1 order by i.created_at desc", workspace_id)
    return [Invitation(**dict(r)) for r in rows]


async def create_invitation(
    conn: asyncpg.Connection, workspace_id: UUID, user_id: UUID, email: str, role: WorkspaceRole, ttl: timedelta
) -> CreatedInvitation:
    workspace = await get_workspace(conn, workspace_id)
    if not workspace.can_manage:
        raise forbidden("You need to be an admin of this workspace to invite people.")
    already = await conn.fetchval(
        """select exists (select 1 from public.workspace_members m join public.profiles p on p.id = m.user_id
           where m.workspace_id = $1 and p.email = $2)""",
        workspace_id,
        email,
    )
    if already:
        raise DomainError(
            ErrorKind.CONFLICT, "already_member", f"{email} is already a member of this workspace.", "email"
        )
    # An expired invitation no longer blocks inviting the same person again.
    await conn.execute(
        """update public.invitations set revoked_at = now()
           where workspace_id = $1 and email = $2 and accepted_at is null and revoked_at is null
             and expires_at <= now()""",
        workspace_id,
        email,
    )
    token = secrets.token_urlsafe(32)
    with translated(f"{email} already has a pending invitation to this workspace. Revoke it to send a new one."):
        invitation_id = await conn.fetchval(
            """insert into public.invitations
                 (business_id, workspace_id, email, role, token_hash, invited_by, expires_at)
               values ($1, $2, $3, $4, $5, $6, $7) returning id""",
            workspace.business_id,
            workspace_id,
            email,
            role,
            _hash(token),
            user_id,
            datetime.now(UTC) + ttl,
        )
    row = await conn.fetchrow(_INVITATION + " where i.id = $1", invitation_id)
    assert row is not None
    return CreatedInvitation(invitation=Invitation(**dict(row)), token=token)


async def revoke_invitation(conn: asyncpg.Connection, workspace_id: UUID, invitation_id: UUID) -> None:
    revoked = await conn.fetchval(
        """update public.invitations set revoked_at = now()
           where id = $1 and workspace_id = $2 and accepted_at is null and revoked_at is null returning id""",
        invitation_id,
        workspace_id,
    )
    if revoked is None:
        visible = await conn.fetchrow(
            _INVITATION + " where i.id = $1 and i.workspace_id = $2", invitation_id, workspace_id
        )
        if visible is None:
            raise not_found("That invitation")
        raise DomainError(ErrorKind.CONFLICT, "not_pending", f"That invitation is already {visible['status']}.")


async def preview_invitation(conn: asyncpg.Connection, token: str) -> InvitationPreview:
    row = await conn.fetchrow(
        """select business_name, workspace_name, email, role, invited_by_email, status, expires_at
           from public.invitation_preview($1)""",
        token,
    )
    if row is None:
        raise not_found("That invitation")
    return InvitationPreview(**dict(row))


async def accept_invitation(conn: asyncpg.Connection, token: str) -> UUID:
    with translated():
        workspace_id: UUID = await conn.fetchval("select public.accept_invitation($1)", token)
    return workspace_id
