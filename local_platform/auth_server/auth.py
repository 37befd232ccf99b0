"""Who is calling: a user with a live session (Bearer access token) or an
admin (a token whose role is in GOTRUE_JWT_ADMIN_ROLES, e.g. service_role)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from local_platform.auth_server import sessions, users
from local_platform.auth_server.context import server
from local_platform.auth_server.errors import APIError, bad_request, forbidden
from local_platform.auth_server.models import NIL_UUID, User

_BEARER = re.compile(r"^bearer (\S+)$", re.IGNORECASE)


@dataclass
class Caller:
    claims: dict[str, Any]
    user: User
    session: sessions.Session | None


def bearer_token(request: Request) -> str:
    match = _BEARER.match(request.headers.get("authorization", ""))
    if match is None:
        raise APIError(401, "no_authorization", "This endpoint requires a valid Bearer token")
    return match.group(1)


def verified_claims(request: Request) -> dict[str, Any]:
    return server(request).keys.verify(bearer_token(request))


async def authenticate(request: Request) -> Caller:
    """The user behind the access token; 403 if the token, user or session is gone."""
    claims = verified_claims(request)
    subject = claims.get("sub")
    if not subject:
        raise forbidden("bad_jwt", "invalid claim: missing sub claim")
    try:
        user_id = uuid.UUID(str(subject))
    except ValueError:
        raise bad_request("bad_jwt", "invalid claim: sub claim must be a UUID") from None
    async with server(request).db.acquire() as conn:
        user = await users.find_by_id(conn, user_id)
        if user is None:
            raise forbidden("user_not_found", "User from sub claim in JWT does not exist")
        session = None
        session_claim = claims.get("session_id")
        if session_claim and session_claim != str(NIL_UUID):
            try:
                session_id = uuid.UUID(str(session_claim))
            except ValueError:
                raise forbidden("bad_jwt", "invalid claim: session_id claim must be a UUID") from None
            session = await sessions.find(conn, session_id)
            if session is None:
                raise forbidden("session_not_found", "Session from session_id claim in JWT does not exist")
    return Caller(claims, user, session)


def require_admin(request: Request) -> dict[str, Any]:
    claims = verified_claims(request)
    if claims.get("role") in server(request).config.jwt_admin_roles:
        return claims
    raise forbidden("not_admin", "User not allowed")
