from datetime import timedelta
from uuid import UUID

from fastapi import APIRouter, Query, status

from callcenter import tenancy
from callcenter.email_policy import default_policy
from callcenter.errors import DomainError, ErrorKind
from callcenter.invitation_email import invitation_email
from lambdas.api.deps import CurrentClaims, MailerDep, SettingsDep, UserConnection
from lambdas.api.schemas import ChangeWorkspaceRole, CreatedInvitationResponse, CreateInvitation, RenameWorkspace

router = APIRouter(prefix="/v1/workspaces", tags=["workspaces"])


@router.get("/{workspace_id}", response_model=tenancy.WorkspaceDetail)
async def get_workspace(workspace_id: UUID, conn: UserConnection) -> tenancy.WorkspaceDetail:
    return await tenancy.get_workspace(conn, workspace_id)


@router.patch("/{workspace_id}", response_model=tenancy.WorkspaceSummary)
async def rename_workspace(workspace_id: UUID, body: RenameWorkspace, conn: UserConnection) -> tenancy.WorkspaceSummary:
    return await tenancy.rename_workspace(conn, workspace_id, body.name)


@router.get("/{workspace_id}/deletion-impact", response_model=tenancy.DeletionImpact)
async def deletion_impact(workspace_id: UUID, conn: UserConnection) -> tenancy.DeletionImpact:
    """What goes with a workspace if it is deleted, in sentences for the confirmation dialog."""
    return await tenancy.deletion_impact(conn, workspace_id)


@router.delete("/{workspace_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_workspace(
    workspace_id: UUID,
    conn: UserConnection,
    confirm: str = Query(description="The workspace's exact name, typed by the user to confirm"),
) -> None:
    await tenancy.delete_workspace(conn, workspace_id, confirm)


@router.get("/{workspace_id}/members", response_model=list[tenancy.Member])
async def list_members(workspace_id: UUID, claims: CurrentClaims, conn: UserConnection) -> list[tenancy.Member]:
    return await tenancy.list_members(conn, workspace_id, UUID(claims.sub))


@router.patch("/{workspace_id}/members/{user_id}", response_model=tenancy.Member)
async def change_member_role(
    workspace_id: UUID, user_id: UUID, body: ChangeWorkspaceRole, claims: CurrentClaims, conn: UserConnection
) -> tenancy.Member:
    return await tenancy.change_member_role(conn, workspace_id, user_id, body.role, UUID(claims.sub))


@router.delete("/{workspace_id}/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_member(workspace_id: UUID, user_id: UUID, conn: UserConnection) -> None:
    await tenancy.remove_member(conn, workspace_id, user_id)


@router.get("/{workspace_id}/invitations", response_model=list[tenancy.Invitation])
async def list_invitations(workspace_id: UUID, conn: UserConnection) -> list[tenancy.Invitation]:
    return await tenancy.list_invitations(conn, workspace_id)


@router.post(
    "/{workspace_id}/invitations", status_code=status.HTTP_201_CREATED, response_model=CreatedInvitationResponse
)
async def create_invitation(
    workspace_id: UUID,
    body: CreateInvitation,
    claims: CurrentClaims,
    conn: UserConnection,
    settings: SettingsDep,
    mailer: MailerDep,
) -> CreatedInvitationResponse:
    """Invite someone by email. The link is emailed and also returned, so it can be shared by hand."""
    verdict = default_policy().check(body.email)
    if not verdict.allowed:
        raise DomainError(ErrorKind.INVALID, str(verdict.refusal), verdict.message or "", field="email")
    created = await tenancy.create_invitation(
        conn, workspace_id, UUID(claims.sub), verdict.email, body.role, timedelta(hours=settings.invitation_ttl_hours)
    )
    invite_url = f"{settings.site_url.rstrip('/')}/invite/{created.token}"
    workspace = await tenancy.get_workspace(conn, workspace_id)
    email_sent = True
    try:
        await mailer.send(
            invitation_email(
                to=verdict.email,
                inviter=claims.email or "A colleague",
                workspace=workspace.name,
                business=workspace.business_name,
                role=body.role,
                url=invite_url,
                expires_at=created.invitation.expires_at,
            )
        )
    except OSError:
        # The invitation stands; the admin can copy the link from the response instead.
        email_sent = False
    return CreatedInvitationResponse(invitation=created.invitation, invite_url=invite_url, email_sent=email_sent)


@router.delete("/{workspace_id}/invitations/{invitation_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_invitation(workspace_id: UUID, invitation_id: UUID, conn: UserConnection) -> None:
    await tenancy.revoke_invitation(conn, workspace_id, invitation_id)
