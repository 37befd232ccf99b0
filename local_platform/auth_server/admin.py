"""The admin user API (a token whose role is in GOTRUE_JWT_ADMIN_ROLES):
GET/POST /admin/users, GET/PUT/DELETE /admin/users/{id}."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from local_platform.auth_server import emails, passwords, users
from local_platform.auth_server.auth import require_admin
from local_platform.auth_server.context import Params, read_params, request_aud, server
from local_platform.auth_server.db import Conn
from local_platform.auth_server.durations import parse_duration
from local_platform.auth_server.errors import internal, not_found, unprocessable, validation
from local_platform.auth_server.models import User, now

DUPLICATE_EMAIL = "A user with this email address has already been registered"


def _uint(value: str | None, default: int) -> int:
    if value is None or value == "":
        return default
    if not value.isdigit():
        raise validation(f'Bad Pagination Parameters: strconv.ParseUint: parsing "{value}": invalid syntax')
    return int(value)


def _link_header(request: Request, page: int, per_page: int, total: int) -> str:
    pages = -(-total // per_page) if per_page else 0
    parts = urlsplit(str(request.url))
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    links = []
    path = parts.path

    def url_for(number: int) -> str:
        return urlunsplit(("", "", path, urlencode(sorted({**query, "page": str(number)}.items())), ""))

    if pages > page:
        links.append(f'<{url_for(page + 1)}>; rel="next"')
    links.append(f'<{url_for(pages)}>; rel="last"')
    return ", ".join(links)


async def list_users(request: Request) -> Response:
    claims = require_admin(request)
    page = _uint(request.query_params.get("page"), 1)
    per_page = _uint(request.query_params.get("per_page"), 50) or 50
    ascending = False
    for sort in request.query_params.getlist("sort"):
        field, _, direction = sort.partition(" ")
        if field != "created_at":
            raise validation(f"Bad Sort Parameters: bad field for sort '{field}'")
        if direction and direction.upper() not in ("ASC", "DESC"):
            raise validation(
                f"Bad Sort Parameters: bad direction for sort '{direction}', only 'asc' and 'desc' allowed"
            )
        ascending = direction.upper() == "ASC"
    aud = request_aud(request, claims)
    async with server(request).db.acquire() as conn:
        found, total = await users.list_users(
            conn, aud, page, per_page, request.query_params.get("filter", ""), ascending
        )
    return JSONResponse(
        {"users": [u.as_json() for u in found], "aud": aud},
        headers={"Link": _link_header(request, page, per_page, total), "X-Total-Count": str(total)},
    )


def _ban_duration(params: Params) -> float | None:
    value = params.text("ban_duration")
    if not value:
        return None
    if value == "none":
        return 0.0
    try:
        return parse_duration(value)
    except ValueError as error:
        raise validation(f"invalid format for ban duration: {error}") from None


async def _ban(conn: Conn, user: User, seconds: float) -> None:
    user.banned_until = None if seconds == 0 else now() + timedelta(seconds=seconds)
    await users.save(conn, user, "banned_until")


async def create_user(request: Request) -> Response:
    srv = server(request)
    config = srv.config
    claims = require_admin(request)
    params = await read_params(request)
    aud = params.text("aud") or request_aud(request, claims)
    email, phone = params.text("email"), params.text("phone")
    if not email and not phone:
        raise validation("Cannot create a user without either an email or phone")
    providers: list[str] = []
    async with srv.db.acquire() as conn:
        if email:
            email = emails.validate_email(email)
            if await users.find_duplicate_email(conn, email, aud):
                raise unprocessable("email_exists", DUPLICATE_EMAIL)
            providers.append("email")
        if phone:
            normalized = users.normalize_phone(phone)
            if normalized is None:
                raise validation("Invalid phone number format (E.164 required)")
            phone = normalized
            if await users.phone_taken(conn, phone, aud):
                raise unprocessable("phone_exists", "Phone number already registered by another user")
            providers.append("phone")
    password = params.optional_text("password")
    password_hash = params.text("password_hash")
    if password is not None and password_hash:
        raise validation("Only a password or a password hash should be provided")
    if not password and not password_hash:
        password = passwords.random_password()
    if password and len(password) > passwords.MAX_PASSWORD_LENGTH:
        raise validation("bcrypt: password length exceeds 72 bytes")
    if password_hash and not password_hash.startswith(("$2a$", "$2b$", "$2y$")):
        raise internal("Error creating user")
    user_id = uuid.uuid4()
    if params.text("id"):
        try:
            user_id = uuid.UUID(params.text("id"))
        except ValueError:
            raise validation("ID must conform to the uuid v4 format") from None
        if user_id.int == 0:
            raise validation("ID cannot be a nil uuid")
    ban = _ban_duration(params)
    user = User(
        id=user_id, aud=aud, email=email, phone=phone,
        encrypted_password=password_hash or await passwords.hash_password(password or ""),
        user_metadata=params.mapping("user_metadata") or {},
        app_metadata={"provider": providers[0], "providers": providers},
    )
    async with srv.db.acquire() as conn:
        try:
            async with conn.transaction():
                await users.insert(conn, user, params.text("role") or config.jwt_default_group)
                identities = []
                if email:
                    identities.append(await users.create_identity(
                        conn, user, "email",
                        {"sub": str(user.id), "email": email, "email_verified": False, "phone_verified": False},
                    ))
                if phone:
                    identities.append(await users.create_identity(
                        conn, user, "phone",
                        {"sub": str(user.id), "phone": phone, "email_verified": False, "phone_verified": False},
                    ))
                user.identities = identities
                app_metadata = params.mapping("app_metadata")
                if app_metadata is not None:
                    await users.update_app_metadata(conn, user, app_metadata)
                if params.flag("email_confirm"):
                    await users.confirm_email(conn, user)
                if params.flag("phone_confirm"):
                    await users.confirm_phone(conn, user)
                if ban is not None:
                    await _ban(conn, user, ban)
        except asyncpg.PostgresError as error:
            raise internal("Database error creating new user") from error
    return JSONResponse(user.as_json())


async def _load(request: Request, conn: Conn) -> User:
    try:
        user_id = uuid.UUID(request.path_params["user_id"])
    except ValueError:
        raise not_found("validation_failed", "user_id must be an UUID") from None
    user = await users.find_by_id(conn, user_id)
    if user is None:
        raise not_found("user_not_found", "User not found")
    return user


async def get_user(request: Request) -> Response:
    require_admin(request)
    async with server(request).db.acquire() as conn:
        user = await _load(request, conn)
    return JSONResponse(user.as_json())


async def update_user(request: Request) -> Response:
    srv = server(request)
    require_admin(request)
    async with srv.db.acquire() as conn:
        user = await _load(request, conn)
        params = await read_params(request)
        email, phone = params.text("email"), params.text("phone")
        if email:
            email = emails.validate_email(email)
        if phone:
            normalized = users.normalize_phone(phone)
            if normalized is None:
                raise validation("Invalid phone number format (E.164 required)")
            phone = normalized
        ban = _ban_duration(params)
        password = params.optional_text("password")
        new_hash: str | None = None
        if password is not None:
            passwords.check_strength(
                password, srv.config.password_min_length, srv.config.password_required_characters
            )
            new_hash = await passwords.hash_password(password) if password else None
        try:
            async with conn.transaction():
                await _apply_update(conn, user, params, email, phone, password is not None, new_hash, ban)
        except asyncpg.PostgresError as error:
            raise internal("Error updating user") from error
        user.identities = await users.identities_of(conn, user.id)
    return JSONResponse(user.as_json())


async def _apply_update(
    conn: Conn, user: User, params: Params, email: str, phone: str,
    set_password: bool, new_hash: str | None, ban: float | None,
) -> None:
    email_confirm, phone_confirm = params.flag("email_confirm"), params.flag("phone_confirm")
    if params.text("role"):
        user.role = params.text("role").strip()
        await users.save(conn, user, "role")
    if email_confirm:
        await users.confirm_email(conn, user)
    if phone_confirm:
        await users.confirm_phone(conn, user)
    if set_password:
        await users.set_password(conn, user, new_hash, None)
    for provider, value, confirmed in (("email", email, email_confirm), ("phone", phone, phone_confirm)):
        if not value:
            continue
        identity = await users.find_identity(conn, str(user.id), provider)
        verified_key = f"{provider}_verified"
        if identity is None:
            data: dict[str, Any] = {"sub": str(user.id), provider: value, "email_verified": False,
                                    "phone_verified": False, verified_key: confirmed}
            await users.create_identity(conn, user, provider, data)
        else:
            await users.update_identity_data(conn, identity, {provider: value, verified_key: confirmed})
        if user.is_anonymous and confirmed:
            user.is_anonymous = False
            await users.save(conn, user, "is_anonymous")
        setattr(user, provider, value)
        await users.save(conn, user, provider)
    app_metadata = params.mapping("app_metadata")
    if app_metadata is not None:
        await users.update_app_metadata(conn, user, app_metadata)
    user_metadata = params.mapping("user_metadata")
    if user_metadata is not None:
        await users.update_user_metadata(conn, user, user_metadata)
    if ban is not None:
        await _ban(conn, user, ban)


async def delete_user(request: Request) -> Response:
    srv = server(request)
    require_admin(request)
    soft = False
    if (await request.body()).strip():
        soft = (await read_params(request)).flag("should_soft_delete")
    async with srv.db.acquire() as conn:
        user = await _load(request, conn)
        async with conn.transaction():
            if soft:
                if user.deleted_at is None:
                    await users.soft_delete(conn, user)
            else:
                await conn.execute("delete from auth.users where id = $1", user.id)
    return JSONResponse({})
