from uuid import UUID

from fastapi import APIRouter, status

from callcenter import tenancy
from lambdas.api.deps import CurrentClaims, UserConnection
from lambdas.api.schemas import ChangeBusinessRole, CreateBusiness, CreatedBusiness, CreateWorkspace, RenameBusiness

router = APIRouter(prefix="/v1/businesses", tags=["businesses"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CreatedBusiness)
async def create_business(body: CreateBusiness, conn: UserConnection) -> CreatedBusiness:
    """Onboarding: the business, its owner (you) and its first workspace, in one step."""
    business, workspace = await tenancy.create_business(conn, body.name, body.first_workspace_name)
    return CreatedBusiness(business=business, workspace=workspace)


@router.patch("/{business_id}", response_model=tenancy.BusinessSummary)
async def rename_business(business_id: UUID, body: RenameBusiness, conn: UserConnection) -> tenancy.BusinessSummary:
    return await tenancy.rename_business(conn, business_id, body.name)


@router.get("/{business_id}/workspaces", response_model=list[tenancy.WorkspaceSummary])
async def list_workspaces(business_id: UUID, conn: UserConnection) -> list[tenancy.WorkspaceSummary]:
    return await tenancy.list_workspaces(conn, business_id)


@router.post("/{business_id}/workspaces", status_code=status.HTTP_201_CREATED, response_model=tenancy.WorkspaceSummary)
async def create_workspace(
    business_id: UUID, body: CreateWorkspace, claims: CurrentClaims, conn: UserConnection
) -> tenancy.WorkspaceSummary:
    return await tenancy.create_workspace(conn, business_id, UUID(claims.sub), body.name)


@router.get("/{business_id}/members", response_model=list[tenancy.BusinessMember])
async def list_business_members(
    business_id: UUID, claims: CurrentClaims, conn: UserConnection
) -> list[tenancy.BusinessMember]:
    return await tenancy.list_business_members(conn, business_id, UUID(claims.sub))


@router.patch("/{business_id}/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def change_business_role(
    business_id: UUID, user_id: UUID, body: ChangeBusinessRole, conn: UserConnection
) -> None:
    await tenancy.change_business_role(conn, business_id, user_id, body.role)


@router.delete("/{business_id}/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_business_member(business_id: UUID, user_id: UUID, conn: UserConnection) -> None:
    """Remove someone from the business (and so from all its workspaces). The last owner cannot be removed."""
    await tenancy.remove_business_member(conn, business_id, user_id)
