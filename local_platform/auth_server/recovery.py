"""POST /recover (password reset email) and POST /resend (signup
confirmation or email change email again). Both answer 200 `{}` for unknown
addresses, so they do not reveal who has an account."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from local_platform.auth_server import emails, flow_state, users
from local_platform.auth_server.context import read_params, request_aud, server
from local_platform.auth_server.errors import bad_request, validation


async def recover(request: Request) -> Response:
    srv = server(request)
    params = await read_params(request)
    if not params.text("email"):
        raise validation("Password recovery requires an email")
    email = emails.validate_email(params.text("email"))
    challenge, method = params.text("code_challenge"), params.text("code_challenge_method")
    flow_state.validate_pkce_params(method, challenge)
    async with srv.db.acquire() as conn:
        user = await users.find_by_email(conn, email, request_aud(request))
        if user is None:
            return JSONResponse({})
        if challenge:
            await flow_state.create(
                conn, provider_type="recovery", method="recovery", challenge_method=method,
                challenge=challenge, user_id=user.id,
            )
        async with conn.transaction():
            await emails.send_recovery(conn, request, user, bool(challenge))
    return JSONResponse({})


async def resend(request: Request) -> Response:
    srv = server(request)
    params = await read_params(request)
    kind, email, phone = params.text("type"), params.text("email"), params.text("phone")
    challenge, method = params.text("code_challenge"), params.text("code_challenge_method")
    if kind in ("signup", "email_change"):
        flow_state.validate_pkce_params(method, challenge)
    elif kind not in ("sms", "phone_change"):
        raise validation("Missing one of these types: signup, email_change, sms, phone_change")
    if not email and kind == "signup":
        raise validation("Type provided requires an email address")
    if not phone and kind == "sms":
        raise validation("Type provided requires a phone number")
    if email and phone:
        raise validation("Only an email address or phone number should be provided.")
    if phone:
        raise bad_request("phone_provider_disabled", "Phone logins are disabled")
    if not email:
        raise validation("Missing email address or phone number")
    email = emails.validate_email(email)
    pkce = bool(challenge)
    async with srv.db.acquire() as conn:
        user = await users.find_by_email(conn, email, request_aud(request))
        if user is None:
            return JSONResponse({})
        if (kind == "signup" and user.is_confirmed) or (kind == "email_change" and not user.email_change):
            return JSONResponse({})
        if kind not in ("signup", "email_change"):
            return JSONResponse({})
        async with conn.transaction():
            if pkce:
                await flow_state.create(
                    conn, provider_type="email/signup" if kind == "signup" else "email_change",
                    method=kind, challenge_method=method, challenge=challenge, user_id=user.id,
                )
            if kind == "signup":
                await emails.send_confirmation(conn, request, user, pkce)
            else:
                await emails.send_email_change(conn, request, user, user.email_change, pkce)
    return JSONResponse({})
