"""POST /token?grant_type=password | refresh_token | pkce."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from local_platform.auth_server import flow_state, passwords, sessions, users
from local_platform.auth_server.context import client, read_params, request_aud, server
from local_platform.auth_server.errors import APIError, bad_request, not_found, unprocessable, validation

INVALID_LOGIN = "Invalid login credentials"
_LEGACY_REFRESH_TOKEN = re.compile(r"^[a-z0-9]{12}$")


async def token(request: Request) -> Response:
    grant_type = request.query_params.get("grant_type", "")
    if not grant_type and request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        grant_type = str((await request.form()).get("grant_type", ""))
    if grant_type == "password":
        return await password_grant(request)
    if grant_type == "refresh_token":
        return await refresh_token_grant(request)
    if grant_type == "pkce":
        return await pkce_grant(request)
    raise bad_request("invalid_credentials", "unsupported_grant_type")


async def password_grant(request: Request) -> Response:
    srv = server(request)
    config = srv.config
    params = await read_params(request)
    email, phone, password = params.text("email"), params.text("phone"), params.text("password")
    if email and phone:
        raise validation("Only an email address or phone number should be provided on login.")
    if phone:
        raise unprocessable("phone_provider_disabled", "Phone logins are disabled")
    if not email:
        raise validation("missing email or phone")
    async with srv.db.acquire() as conn:
        user = await users.find_by_email(conn, email, request_aud(request))
        if user is None or not user.has_password:
            raise bad_request("invalid_credentials", INVALID_LOGIN)
        if user.is_banned:
            raise bad_request("user_banned", "User is banned")
        valid = await passwords.password_matches(password, user.encrypted_password)
        if not valid:
            raise bad_request("invalid_credentials", INVALID_LOGIN)
        if not user.is_confirmed:
            raise bad_request("email_not_confirmed", "Email not confirmed")
        weak: APIError | None = None
        try:
            passwords.check_strength(password, config.password_min_length, config.password_required_characters)
        except APIError as error:
            weak = error if error.error_code == "weak_password" else None
        body = await sessions.issue(conn, config, srv.keys, user, "password", client(request))
    if weak is not None:
        body["weak_password"] = {"message": weak.message, **weak.extra["weak_password"]}
    return JSONResponse(body)


async def refresh_token_grant(request: Request) -> Response:
    srv = server(request)
    params = await read_params(request)
    refresh_token = params.text("refresh_token")
    if len(refresh_token) != 12 or not _LEGACY_REFRESH_TOKEN.match(refresh_token):
        raise validation("Refresh token is not valid")
    async with srv.db.acquire() as conn:
        body = await sessions.refresh(conn, srv.config, srv.keys, refresh_token, client(request))
    return JSONResponse(body)


async def pkce_grant(request: Request) -> Response:
    srv = server(request)
    params = await read_params(request)
    auth_code, verifier = params.text("auth_code"), params.text("code_verifier")
    if not auth_code or not verifier:
        raise validation("invalid request: both auth code and code verifier should be non-empty")
    async with srv.db.acquire() as conn:
        flow = await flow_state.find_by_auth_code(conn, auth_code)
        if flow is None or flow.user_id is None:
            raise not_found("flow_state_not_found", "invalid flow state, no valid flow state found")
        if flow.is_expired(srv.config.flow_state_expiry):
            raise unprocessable("flow_state_expired", "invalid flow state, flow state has expired")
        user = await users.find_by_id(conn, flow.user_id)
        if user is None:
            raise not_found("user_not_found", "User not found")
        if not flow.verifier_matches(verifier):
            raise bad_request(
                "bad_code_verifier", "code challenge does not match previously saved code verifier"
            )
        async with conn.transaction():
            body = await sessions.issue(
                conn, srv.config, srv.keys, user, flow.authentication_method, client(request)
            )
            await flow_state.delete(conn, flow)
    return JSONResponse(body)
