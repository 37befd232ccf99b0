"""Users and identities as rows of auth.users / auth.identities, and their
JSON as Supabase Auth returns it (field names, order, omitted empty fields)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg

ZERO_TIME = "0001-01-01T00:00:00Z"
NIL_UUID = uuid.UUID(int=0)


def now() -> datetime:
    return datetime.now(UTC)


def fmt_time(value: datetime | None) -> str | None:
    """RFC 3339 in UTC with trailing fractional zeros dropped, as Go prints time.Time."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text + "Z"


@dataclass
class Identity:
    id: uuid.UUID
    provider_id: str
    user_id: uuid.UUID
    identity_data: dict[str, Any]
    provider: str
    last_sign_in_at: datetime | None
    created_at: datetime | None
    updated_at: datetime | None
    email: str | None

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Identity:
        return cls(
            id=row["id"],
            provider_id=row["provider_id"],
            user_id=row["user_id"],
            identity_data=dict(row["identity_data"] or {}),
            provider=row["provider"],
            last_sign_in_at=row["last_sign_in_at"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            email=row["email"],
        )

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "identity_id": str(self.id),
            "id": self.provider_id,
            "user_id": str(self.user_id),
        }
        if self.identity_data:
            body["identity_data"] = self.identity_data
        body["provider"] = self.provider
        if self.last_sign_in_at is not None:
            body["last_sign_in_at"] = fmt_time(self.last_sign_in_at)
        body["created_at"] = fmt_time(self.created_at) or ZERO_TIME
        body["updated_at"] = fmt_time(self.updated_at) or ZERO_TIME
        if self.email:
            body["email"] = self.email
        return body


@dataclass
class User:
    id: uuid.UUID
    aud: str = ""
    role: str = ""
    email: str = ""
    encrypted_password: str | None = None
    email_confirmed_at: datetime | None = None
    invited_at: datetime | None = None
    phone: str = ""
    phone_confirmed_at: datetime | None = None
    confirmation_token: str = ""
    confirmation_sent_at: datetime | None = None
    confirmed_at: datetime | None = None
    recovery_token: str = ""
    recovery_sent_at: datetime | None = None
    email_change_token_current: str = ""
    email_change_token_new: str = ""
    email_change: str = ""
    email_change_sent_at: datetime | None = None
    email_change_confirm_status: int = 0
    phone_change: str = ""
    phone_change_sent_at: datetime | None = None
    reauthentication_sent_at: datetime | None = None
    last_sign_in_at: datetime | None = None
    app_metadata: dict[str, Any] = field(default_factory=dict)
    user_metadata: dict[str, Any] = field(default_factory=dict)
    identities: list[Identity] = field(default_factory=list)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    banned_until: datetime | None = None
    deleted_at: datetime | None = None
    is_anonymous: bool = False
    is_sso_user: bool = False

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> User:
        return cls(
            id=row["id"],
            aud=row["aud"] or "",
            role=row["role"] or "",
            email=row["email"] or "",
            encrypted_password=row["encrypted_password"],
            email_confirmed_at=row["email_confirmed_at"],
            invited_at=row["invited_at"],
            phone=row["phone"] or "",
            phone_confirmed_at=row["phone_confirmed_at"],
            confirmation_token=row["confirmation_token"] or "",
            confirmation_sent_at=row["confirmation_sent_at"],
            confirmed_at=row["confirmed_at"],
            recovery_token=row["recovery_token"] or "",
            recovery_sent_at=row["recovery_sent_at"],
            email_change_token_current=row["email_change_token_current"] or "",
            email_change_token_new=row["email_change_token_new"] or "",
            email_change=row["email_change"] or "",
            email_change_sent_at=row["email_change_sent_at"],
            email_change_confirm_status=row["email_change_confirm_status"] or 0,
            phone_change=row["phone_change"] or "",
            phone_change_sent_at=row["phone_change_sent_at"],
            reauthentication_sent_at=row["reauthentication_sent_at"],
            last_sign_in_at=row["last_sign_in_at"],
            app_metadata=dict(row["raw_app_meta_data"] or {}),
            user_metadata=dict(row["raw_user_meta_data"] or {}),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            banned_until=row["banned_until"],
            deleted_at=row["deleted_at"],
            is_anonymous=bool(row["is_anonymous"]),
            is_sso_user=bool(row["is_sso_user"]),
        )

    @property
    def is_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    @property
    def has_password(self) -> bool:
        return bool(self.encrypted_password)

    @property
    def is_banned(self) -> bool:
        return self.banned_until is not None and now() < self.banned_until

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": str(self.id), "aud": self.aud, "role": self.role, "email": self.email}

        def put_time(name: str, value: datetime | None) -> None:
            if value is not None:
                body[name] = fmt_time(value)

        put_time("email_confirmed_at", self.email_confirmed_at)
        put_time("invited_at", self.invited_at)
        body["phone"] = self.phone
        put_time("phone_confirmed_at", self.phone_confirmed_at)
        put_time("confirmation_sent_at", self.confirmation_sent_at)
        put_time("confirmed_at", self.confirmed_at)
        put_time("recovery_sent_at", self.recovery_sent_at)
        if self.email_change:
            body["new_email"] = self.email_change
        put_time("email_change_sent_at", self.email_change_sent_at)
        if self.phone_change:
            body["new_phone"] = self.phone_change
        put_time("phone_change_sent_at", self.phone_change_sent_at)
        put_time("reauthentication_sent_at", self.reauthentication_sent_at)
        put_time("last_sign_in_at", self.last_sign_in_at)
        body["app_metadata"] = self.app_metadata
        body["user_metadata"] = self.user_metadata
        body["identities"] = [identity.as_json() for identity in self.identities]
        body["created_at"] = fmt_time(self.created_at) or ZERO_TIME
        body["updated_at"] = fmt_time(self.updated_at) or ZERO_TIME
        put_time("banned_until", self.banned_until)
        put_time("deleted_at", self.deleted_at)
        body["is_anonymous"] = self.is_anonymous
        return body
