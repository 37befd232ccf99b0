"""The signed-in user's own endpoints: GET /user, PUT /user, POST /logout."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from local_platform.auth_server import emails, flow_state, passwords, sessions, users
from local_platform.auth_server.auth import authenticate
from local_platform.auth_server.context import read_params, request_aud, server
from local_platform.auth_server.errors import APIError, bad_request, forbidden, unprocessable, validation

DUPLICATE_EMAIL = "A user with this email address has already been registered"


async def get_user(request: Request) -> Response:
    caller = await authenticate(request)
    aud = caller.claims.get("aud")
    token_aud = aud[0] if isinstance(aud, list) and aud else aud
    if not token_aud or request_aud(request, caller.claims) != token_aud:
        raise validation("Token audience doesn't match request audience")
    return JSONResponse(caller.user.as_json())


async def update_user(request: Request) -> Response:
    srv = server(request)
    config = srv.config
    caller = await authenticate(request)
    user, session = caller.user, caller.session
    params = await read_params(request)
    aud = request_aud(request, caller.claims)
    email = params.text("email")
    if email:
        email = emails.validate_email(email)
    if params.text("phone"):
        raise bad_request("phone_provider_disabled", "Phone logins are disabled")
    password = params.optional_text("password")
    if password is not None:
        passwords.check_strength(password, config.password_min_length, config.password_required_characters)
    data = params.mapping("data")
    app_data = params.mapping("app_metadata")
    if app_data is not None and not (user.aud == config.jwt_aud and user.role == config.jwt_admin_group):
        raise forbidden("not_admin", "Updating app_metadata requires admin privileges")
    if user.is_anonymous and password and not email:
        raise unprocessable(
            "validation_failed", "Updating password of an anonymous user without an email or phone is not allowed"
        )
    pkce = bool(params.text("code_challenge"))
    flow_state.validate_pkce_params(params.text("code_challenge_method"), params.text("code_challenge"))

    async with srv.db.acquire() as conn:
        if email and email != user.email and await users.find_duplicate_email(conn, email, aud, user):
            raise unprocessable("email_exists", DUPLICATE_EMAIL)
        new_hash: str | None = None
        if password is not None and password:
            if await passwords.password_matches(password, user.encrypted_password):
                raise unprocessable("same_password", "New password should be different from the old password.")
            new_hash = await passwords.hash_password(password)
        async with conn.transaction():
            if password is not None:
                await users.set_password(conn, user, new_hash, session.id if session else None)
            if data is not None:
                await users.update_user_metadata(conn, user, data)
            if app_data is not None:
                await users.update_app_metadata(conn, user, app_data)
            if email and email != user.email:
                if pkce:
                    await flow_state.create(
                        conn, provider_type="email_change", method="email_change",
                        challenge_method=params.text("code_challenge_method"),
                        challenge=params.text("code_challenge"), user_id=user.id,
                    )
                await emails.send_email_change(conn, request, user, email, pkce)
        user.identities = await users.identities_of(conn, user.id)
    return JSONResponse(user.as_json())


async def logout(request: Request) -> Response:
    caller = await authenticate(request)
    scope = request.query_params.get("scope", "") or "global"
    if scope not in ("global", "local", "others"):
        raise validation(f'Unsupported logout scope "{scope}"')
    try:
        async with server(request).db.acquire() as conn:
            await sessions.logout(conn, caller.user.id, caller.session.id if caller.session else None, scope)
    except OSError as error:
        raise APIError(500, "unexpected_failure", "Error logging out user") from error
    return Response(status_code=204)
