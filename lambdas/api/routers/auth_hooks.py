"""Supabase Auth hooks. Auth calls these over HTTP, signed with Standard Webhooks."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from standardwebhooks import Webhook, WebhookVerificationError

from callcenter.email_policy import default_policy
from lambdas.api.deps import SettingsDep

router = APIRouter(prefix="/hooks/auth", tags=["auth hooks"], include_in_schema=False)


def _reject(status: int, message: str) -> JSONResponse:
    # Supabase Auth reads {"error": {"http_code", "message"}} and refuses the sign-up with it.
    return JSONResponse({"error": {"http_code": status, "message": message}})


@router.post("/before-user-created")
async def before_user_created(request: Request, settings: SettingsDep) -> JSONResponse:
    """Refuse free-mail and disposable domains inside Supabase Auth, so no client can bypass the check."""
    body = await request.body()
    secret = settings.auth_hook_secret.removeprefix("v1,")
    if not secret:
        return JSONResponse({"message": "hook secret not configured"}, status_code=500)
    try:
        payload: dict[str, Any] = Webhook(secret).verify(body, dict(request.headers))
    except WebhookVerificationError:
        return JSONResponse({"message": "invalid webhook signature"}, status_code=401)
    user = payload.get("user") or {}
    email = str(user.get("email") or "")
    if not email:
        return _reject(400, "Sign up with your work email address.")
    verdict = default_policy().check(email)
    if not verdict.allowed:
        return _reject(400, verdict.message or "Use your work email address.")
    return JSONResponse({})
