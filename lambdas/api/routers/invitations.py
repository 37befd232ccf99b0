from fastapi import APIRouter

from callcenter import tenancy
from lambdas.api.deps import AnonConnection, UserConnection
from lambdas.api.schemas import AcceptedInvitation

router = APIRouter(prefix="/v1/invitations", tags=["invitations"])


@router.get("/{token}", response_model=tenancy.InvitationPreview)
async def preview_invitation(token: str, conn: AnonConnection) -> tenancy.InvitationPreview:
    """What the invitation link shows before anyone signs in."""
    return await tenancy.preview_invitation(conn, token)


@router.post("/{token}/accept", response_model=AcceptedInvitation)
async def accept_invitation(token: str, conn: UserConnection) -> AcceptedInvitation:
    workspace_id = await tenancy.accept_invitation(conn, token)
    return AcceptedInvitation(workspace_id=str(workspace_id))
