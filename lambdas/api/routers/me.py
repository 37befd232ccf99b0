from uuid import UUID

from fastapi import APIRouter

from callcenter import tenancy
from lambdas.api.deps import CurrentClaims, UserConnection

router = APIRouter(prefix="/v1", tags=["me"])


@router.get("/me", response_model=tenancy.Me)
async def get_me(claims: CurrentClaims, conn: UserConnection) -> tenancy.Me:
    """The signed-in user, their businesses and the workspaces they can open."""
    return await tenancy.me(conn, UUID(claims.sub))
