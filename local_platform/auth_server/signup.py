"""POST /signup with an email and password.

With GOTRUE_MAILER_AUTOCONFIRM the user is confirmed and signed in at once
(a session comes back); otherwise a confirmation email is sent and the user
comes back. Signing up again with a confirmed address returns an obfuscated
user with no identities (and sends nothing), so the response does not reveal
who has an account; with autoconfirm it is 422 user_already_exists."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from local_platform.auth_server import emails, flow_state, passwords, sessions, users
from local_platform.auth_server.context import Params, client, client_ip, read_params, request_aud, server
from local_platform.auth_server.db import Conn
from local_platform.auth_server.errors import bad_request, internal, unprocessable, validation
from local_platform.auth_server.models import User, now


class _AlreadyRegistered(Exception):
    pass


def _validate(params: Params, request: Request) -> None:
    config = server(request).config
    if not params.text("password"):
        raise validation("Signup requires a valid password")
    passwords.check_strength(params.text("password"), config.password_min_length, config.password_required_characters)
    if params.text("email") and params.text("phone"):
        raise validation("Only an email address or phone number should be provided on signup.")
    flow_state.validate_pkce_params(params.text("code_challenge_method"), params.text("code_challenge"))


def _identity_data(user: User, data: dict[str, Any]) -> dict[str, Any]:
    identity: dict[str, Any] = {
        "sub": str(user.id), "email": user.email, "email_verified": False, "phone_verified": False,
    }
    for key, value in data.items():
        identity.setdefault(key, value)
    return identity


def obfuscated_user(existing: User, email: str, aud: str, data: dict[str, Any]) -> dict[str, Any]:
    stamp = now()
    fake = User(
        id=uuid.uuid4(), aud=aud, role="", email=email, phone="",
        app_metadata={"provider": "email", "providers": ["email"]}, user_metadata=data,
        created_at=stamp, updated_at=stamp, confirmation_sent_at=stamp, is_anonymous=existing.is_anonymous,
    )
    return fake.as_json()


async def signup(request: Request) -> Response:
    srv = server(request)
    config = srv.config
    params = await read_params(request)
    if not params.text("email") and not params.text("phone"):
        raise unprocessable("anonymous_provider_disabled", "Anonymous sign-ins are disabled")
    if config.disable_signup:
        raise unprocessable("signup_disabled", "Signups not allowed for this instance")
    _validate(params, request)
    if params.text("phone"):
        raise bad_request("phone_provider_disabled", "Phone signups are disabled")
    data = params.mapping("data") or {}
    pkce = bool(params.text("code_challenge"))
    email = emails.validate_email(params.text("email"))
    aud = request_aud(request)

    async with srv.db.acquire() as conn:
        existing = await users.find_duplicate_email(conn, email, aud)
    new_user: User | None = None
    if existing is None:
        new_user = User(
            id=uuid.uuid4(), aud=aud, email=email,
            encrypted_password=await passwords.hash_password(params.text("password")),
            user_metadata=dict(data), app_metadata={"provider": "email", "providers": ["email"]},
        )
        if srv.before_user_created is not None:
            await srv.before_user_created.check(client_ip(request), new_user.as_json())

    async with srv.db.acquire() as conn:
        try:
            async with conn.transaction():
                user = await _store(conn, request, existing, new_user, data, pkce, params)
        except asyncpg.PostgresError as error:
            raise internal("Database error saving new user") from error
        except _AlreadyRegistered:
            if config.mailer_autoconfirm:
                raise unprocessable("user_already_exists", "User already registered") from None
            assert existing is not None
            return JSONResponse(obfuscated_user(existing, email, aud, data))
        if user.is_confirmed:
            return JSONResponse(await sessions.issue(conn, config, srv.keys, user, "password", client(request)))
    return JSONResponse(user.as_json())


async def _store(
    conn: Conn,
    request: Request,
    existing: User | None,
    new_user: User | None,
    data: dict[str, Any],
    pkce: bool,
    params: Params,
) -> User:
    config = server(request).config
    if existing is not None:
        if existing.is_confirmed:
            raise _AlreadyRegistered
        user = existing  # not updated: nobody has proven they own this address yet
    else:
        assert new_user is not None
        user = new_user
        await users.insert(conn, user, config.jwt_default_group)
    identity = await users.find_identity(conn, str(user.id), "email")
    if identity is None:
        identity = await users.create_identity(conn, user, "email", _identity_data(user, data))
        await users.keep_only_identity(conn, user, identity)
    user.identities = [identity]
    if not user.is_confirmed:
        if config.mailer_autoconfirm:
            await users.confirm_email(conn, user)
        else:
            if pkce:
                await flow_state.create(
                    conn, provider_type="email", method="signup",
                    challenge_method=params.text("code_challenge_method"),
                    challenge=params.text("code_challenge"), user_id=user.id,
                )
            await emails.send_confirmation(conn, request, user, pkce)
    return user
