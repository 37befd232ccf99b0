"""Reading and writing auth.users and auth.identities.

Lookups ignore instance_id (Supabase Auth filters on the nil UUID), so rows
that tests or seeds insert directly without it are still found."""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from typing import Any

import asyncpg

from local_platform.auth_server.db import Conn
from local_platform.auth_server.models import NIL_UUID, Identity, User, now
from local_platform.auth_server.one_time_tokens import clear_all_for_user

# User attribute -> auth.users column, for the attributes `save` may write.
_COLUMNS = {
    "aud": "aud",
    "role": "role",
    "email": "email",
    "encrypted_password": "encrypted_password",
    "email_confirmed_at": "email_confirmed_at",
    "invited_at": "invited_at",
    "phone": "phone",
    "phone_confirmed_at": "phone_confirmed_at",
    "confirmation_token": "confirmation_token",
    "confirmation_sent_at": "confirmation_sent_at",
    "recovery_token": "recovery_token",
    "recovery_sent_at": "recovery_sent_at",
    "email_change_token_current": "email_change_token_current",
    "email_change_token_new": "email_change_token_new",
    "email_change": "email_change",
    "email_change_sent_at": "email_change_sent_at",
    "email_change_confirm_status": "email_change_confirm_status",
    "phone_change": "phone_change",
    "last_sign_in_at": "last_sign_in_at",
    "app_metadata": "raw_app_meta_data",
    "user_metadata": "raw_user_meta_data",
    "banned_until": "banned_until",
    "deleted_at": "deleted_at",
    "is_anonymous": "is_anonymous",
}
_NULLABLE_TEXT = {"email", "phone", "encrypted_password"}


async def _with_identities(conn: Conn, row: asyncpg.Record | None) -> User | None:
    if row is None:
        return None
    user = User.from_row(row)
    user.identities = await identities_of(conn, user.id)
    return user


async def find_by_id(conn: Conn, user_id: uuid.UUID, for_update: bool = False) -> User | None:
    lock = " for update" if for_update else ""
    return await _with_identities(conn, await conn.fetchrow(f"select * from auth.users where id = $1{lock}", user_id))


async def find_by_email(conn: Conn, email: str, aud: str) -> User | None:
    row = await conn.fetchrow(
        "select * from auth.users where lower(email) = lower($1) and aud = $2 and is_sso_user = false"
        " order by created_at limit 1",
        email, aud,
    )
    return await _with_identities(conn, row)


async def find_duplicate_email(conn: Conn, email: str, aud: str, current: User | None = None) -> User | None:
    """The user already holding this email (through an identity or auth.users.email), if any."""
    current_id = current.id if current else NIL_UUID
    rows = await conn.fetch(
        "select distinct user_id from auth.identities where email = lower($1) and user_id <> $2", email, current_id
    )
    for row in rows:
        user = await find_by_id(conn, row["user_id"])
        if user is not None and user.aud == aud:
            return user
    user = await find_by_email(conn, email, aud)
    if user is not None and current is not None and user.id == current.id:
        return None
    return user


async def phone_taken(conn: Conn, phone: str, aud: str) -> bool:
    return bool(await conn.fetchval("select 1 from auth.users where phone = $1 and aud = $2", phone, aud))


async def identities_of(conn: Conn, user_id: uuid.UUID) -> list[Identity]:
    rows = await conn.fetch(
        "select * from auth.identities where user_id = $1 order by created_at, provider", user_id
    )
    return [Identity.from_row(row) for row in rows]


async def insert(conn: Conn, user: User, default_role: str) -> None:
    """Create the row (triggers on auth.users see it as Supabase Auth inserts it), then set the role."""
    stamp = now()
    user.created_at = user.created_at or stamp
    user.updated_at = user.updated_at or stamp
    await conn.execute(
        """insert into auth.users (
             instance_id, id, aud, role, email, encrypted_password, email_confirmed_at, invited_at,
             phone, phone_confirmed_at, confirmation_token, recovery_token, email_change_token_new,
             email_change_token_current, email_change, phone_change, phone_change_token,
             reauthentication_token, raw_app_meta_data, raw_user_meta_data, is_super_admin,
             created_at, updated_at, is_sso_user, is_anonymous)
           values ($1, $2, $3, '', $4, $5, $6, $7, $8, $9, '', '', '', '', '', '', '', '', $10, $11, null,
                   $12, $13, $14, $15)""",
        NIL_UUID, user.id, user.aud, user.email or None, user.encrypted_password,
        user.email_confirmed_at, user.invited_at, user.phone or None, user.phone_confirmed_at,
        user.app_metadata, user.user_metadata, user.created_at, user.updated_at,
        user.is_sso_user, user.is_anonymous,
    )
    user.role = default_role.strip()
    await save(conn, user, "role")


async def save(conn: Conn, user: User, *attributes: str) -> None:
    """Write only these attributes (and updated_at), like pop's UpdateOnly."""
    user.updated_at = now()
    assignments, values = [], []
    for index, attribute in enumerate(attributes, start=2):
        value: Any = getattr(user, attribute)
        if attribute in _NULLABLE_TEXT and value == "":
            value = None
        assignments.append(f"{_COLUMNS[attribute]} = ${index}")
        values.append(value)
    assignments.append(f"updated_at = ${len(attributes) + 2}")
    await conn.execute(
        f"update auth.users set {', '.join(assignments)} where id = $1", user.id, *values, user.updated_at
    )
    if "email_confirmed_at" in attributes or "phone_confirmed_at" in attributes:
        user.confirmed_at = await conn.fetchval("select confirmed_at from auth.users where id = $1", user.id)


def merge_metadata(current: dict[str, Any], updates: dict[str, Any]) -> dict[str, Any]:
    """Supabase Auth's metadata update: set each key, delete the keys set to null."""
    merged = dict(current)
    for key, value in updates.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


async def update_user_metadata(conn: Conn, user: User, updates: dict[str, Any]) -> None:
    user.user_metadata = merge_metadata(user.user_metadata, updates)
    await save(conn, user, "user_metadata")


async def update_app_metadata(conn: Conn, user: User, updates: dict[str, Any]) -> None:
    user.app_metadata = merge_metadata(user.app_metadata, updates)
    await save(conn, user, "app_metadata")


async def update_providers(conn: Conn, user: User) -> None:
    rows = await conn.fetch(
        "select provider from auth.identities where user_id = $1 order by created_at", user.id
    )
    providers = list(dict.fromkeys(row["provider"] for row in rows))
    updates: dict[str, Any] = {"providers": providers}
    if providers:
        updates["provider"] = providers[0]
    await update_app_metadata(conn, user, updates)


async def confirm_email(conn: Conn, user: User) -> None:
    user.confirmation_token = ""
    user.email_confirmed_at = now()
    await save(conn, user, "confirmation_token", "email_confirmed_at")
    await update_user_metadata(conn, user, {"email_verified": True})
    await clear_all_for_user(conn, user.id)


async def confirm_phone(conn: Conn, user: User) -> None:
    user.confirmation_token = ""
    user.phone_confirmed_at = now()
    await save(conn, user, "confirmation_token", "phone_confirmed_at")
    await clear_all_for_user(conn, user.id)


async def set_password(conn: Conn, user: User, encrypted: str | None, keep_session: uuid.UUID | None) -> None:
    """Store a new password hash, drop pending email tokens and sign out every other session."""
    user.encrypted_password = encrypted
    user.confirmation_token = user.recovery_token = ""
    user.email_change_token_current = user.email_change_token_new = ""
    user.confirmation_sent_at = user.recovery_sent_at = user.email_change_sent_at = None
    await save(
        conn, user, "encrypted_password", "confirmation_token", "confirmation_sent_at", "recovery_token",
        "recovery_sent_at", "email_change_token_current", "email_change_token_new", "email_change_sent_at",
    )
    await conn.execute(
        "update auth.users set phone_change_token = '', phone_change_sent_at = null,"
        " reauthentication_token = '', reauthentication_sent_at = null where id = $1",
        user.id,
    )
    await clear_all_for_user(conn, user.id)
    if keep_session is None:
        await conn.execute("delete from auth.sessions where user_id = $1", user.id)
    else:
        await conn.execute(
            "delete from auth.sessions where user_id = $1 and id <> $2", user.id, keep_session
        )


async def create_identity(conn: Conn, user: User, provider: str, data: dict[str, Any]) -> Identity:
    if isinstance(data.get("email"), str):
        data = {**data, "email": data["email"].lower()}
    stamp = now()
    row = await conn.fetchrow(
        """insert into auth.identities (id, provider_id, user_id, identity_data, provider,
                                        last_sign_in_at, created_at, updated_at)
           values ($1, $2, $3, $4, $5, $6, $6, $6) returning *""",
        uuid.uuid4(), str(data["sub"]), user.id, data, provider, stamp,
    )
    assert row is not None
    return Identity.from_row(row)


async def find_identity(conn: Conn, provider_id: str, provider: str) -> Identity | None:
    row = await conn.fetchrow(
        "select * from auth.identities where provider_id = $1 and provider = $2", provider_id, provider
    )
    return Identity.from_row(row) if row else None


async def update_identity_data(conn: Conn, identity: Identity, updates: dict[str, Any]) -> None:
    identity.identity_data = merge_metadata(identity.identity_data, updates)
    if isinstance(identity.identity_data.get("email"), str):
        identity.identity_data["email"] = identity.identity_data["email"].lower()
    identity.updated_at = now()
    row = await conn.fetchrow(
        "update auth.identities set identity_data = $2, updated_at = $3 where id = $1 returning email",
        identity.id, identity.identity_data, identity.updated_at,
    )
    identity.email = row["email"] if row else identity.email


async def keep_only_identity(conn: Conn, user: User, identity: Identity) -> None:
    """After a (re)signup: the user's metadata becomes the identity's data, other identities go."""
    await update_user_metadata(conn, user, dict(identity.identity_data))
    await conn.execute("delete from auth.identities where user_id = $1 and id <> $2", user.id, identity.id)
    await update_providers(conn, user)


async def list_users(
    conn: Conn, aud: str, page: int, per_page: int, filter_text: str, ascending: bool = False
) -> tuple[list[User], int]:
    where, args = "aud = $1", [aud]
    if filter_text:
        where += " and (email like $2 or raw_user_meta_data ->> 'full_name' ilike $2)"
        args.append(f"%{filter_text}%")
    total = int(await conn.fetchval(f"select count(*) from auth.users where {where}", *args))
    order = "asc" if ascending else "desc"
    offset = max(page - 1, 0) * per_page
    rows = await conn.fetch(
        f"select * from auth.users where {where} order by created_at {order}, id"
        f" limit {int(per_page)} offset {int(offset)}",
        *args,
    )
    users = []
    for row in rows:
        user = User.from_row(row)
        user.identities = await identities_of(conn, user.id)
        users.append(user)
    return users, total


def _obfuscate(user_id: uuid.UUID, value: str) -> str:
    digest = hashlib.sha256((str(user_id) + value).encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


async def soft_delete(conn: Conn, user: User) -> None:
    """Keep the row but make it unusable and anonymous, as Supabase Auth's soft delete."""
    user.email = _obfuscate(user.id, user.email)
    user.phone = _obfuscate(user.id, user.phone)[:15]
    user.email_change = _obfuscate(user.id, user.email_change)
    user.phone_change = _obfuscate(user.id, user.phone_change)[:15]
    user.encrypted_password = None
    user.confirmation_token = user.recovery_token = ""
    user.email_change_token_current = user.email_change_token_new = ""
    user.deleted_at = now()
    await save(
        conn, user, "email", "phone", "encrypted_password", "email_change", "phone_change",
        "confirmation_token", "recovery_token", "email_change_token_current", "email_change_token_new",
        "deleted_at",
    )
    await clear_all_for_user(conn, user.id)
    user.user_metadata, user.app_metadata = {}, {}
    await save(conn, user, "user_metadata", "app_metadata")
    await conn.execute("delete from auth.sessions where user_id = $1", user.id)
    for identity in await identities_of(conn, user.id):
        await conn.execute(
            "update auth.identities set identity_data = '{}'::jsonb, provider_id = $2 where id = $1",
            identity.id,
            _obfuscate(identity.user_id, f"{identity.provider}:{identity.provider_id}"),
        )


_EMAIL = re.compile(
    r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$"
)
_E164 = re.compile(r"^[1-9][0-9]{1,14}$")


def email_format_ok(email: str) -> bool:
    return bool(_EMAIL.match(email))


def normalize_phone(phone: str) -> str | None:
    formatted = phone.removeprefix("+").replace(" ", "")
    return formatted if _E164.match(formatted) else None
