"""Configuration from Supabase Auth's own environment variable names
(GOTRUE_*, API_EXTERNAL_URL, DATABASE_URL, PORT), with its defaults."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from local_platform.auth_server.durations import parse_duration


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "t", "true", "yes", "y", "on"}


def _list(value: str | None) -> tuple[str, ...]:
    return tuple(item.strip() for item in (value or "").split(",") if item.strip())


@dataclass(frozen=True)
class HookConfig:
    uri: str
    secrets: tuple[str, ...]  # "v1,whsec_<base64>", several separated by "|"


@dataclass(frozen=True)
class Config:
    database_url: str
    external_url: str  # API_EXTERNAL_URL: where this server is reached (…/auth/v1)
    site_url: str
    uri_allow_list: tuple[str, ...]
    jwt_keys: tuple[dict[str, Any], ...]
    host: str = "127.0.0.1"
    port: int = 9999
    jwt_aud: str = "authenticated"
    jwt_issuer: str = ""
    jwt_default_group: str = "authenticated"
    jwt_admin_roles: tuple[str, ...] = ("service_role", "supabase_admin")
    jwt_admin_group: str = "admin"
    jwt_exp: int = 3600
    disable_signup: bool = False
    mailer_autoconfirm: bool = False
    mailer_otp_exp: int = 86400
    mailer_otp_length: int = 6
    secure_email_change: bool = True
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_pass: str = ""
    smtp_admin_email: str = ""
    smtp_sender_name: str = ""
    smtp_max_frequency: float = 60.0
    rate_limit_email_sent: float | None = None  # emails per hour across the instance; None: unlimited
    password_min_length: int = 6
    password_required_characters: tuple[str, ...] = ()
    refresh_token_rotation: bool = True
    refresh_token_reuse_interval: int = 10
    flow_state_expiry: float = 300.0
    hook_before_user_created: HookConfig | None = None

    @property
    def issuer(self) -> str:
        return self.jwt_issuer or self.external_url

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Config:
        def get(name: str, default: str = "") -> str:
            value = env.get(name)
            return default if value is None or value == "" else value

        keys = json.loads(get("GOTRUE_JWT_KEYS", "[]"))
        if not isinstance(keys, list) or not keys:
            raise ValueError("GOTRUE_JWT_KEYS must be a JSON array of private JWKs")
        hook = None
        if _bool(env.get("GOTRUE_HOOK_BEFORE_USER_CREATED_ENABLED")):
            hook = HookConfig(
                uri=get("GOTRUE_HOOK_BEFORE_USER_CREATED_URI"),
                secrets=tuple(
                    s.strip() for s in get("GOTRUE_HOOK_BEFORE_USER_CREATED_SECRETS").split("|") if s.strip()
                ),
            )
        email_rate = get("GOTRUE_RATE_LIMIT_EMAIL_SENT")
        admin_roles = _list(env.get("GOTRUE_JWT_ADMIN_ROLES")) or ("service_role", "supabase_admin")
        return cls(
            host=get("GOTRUE_API_HOST", "127.0.0.1"),
            port=int(get("PORT", get("GOTRUE_API_PORT", "9999"))),
            database_url=get("DATABASE_URL", get("GOTRUE_DB_DATABASE_URL")),
            external_url=get("API_EXTERNAL_URL").rstrip("/"),
            site_url=get("GOTRUE_SITE_URL"),
            uri_allow_list=_list(env.get("GOTRUE_URI_ALLOW_LIST")),
            jwt_keys=tuple(keys),
            jwt_aud=get("GOTRUE_JWT_AUD", "authenticated"),
            jwt_issuer=get("GOTRUE_JWT_ISSUER"),
            jwt_default_group=get("GOTRUE_JWT_DEFAULT_GROUP_NAME", "authenticated"),
            jwt_admin_roles=admin_roles,
            jwt_admin_group=get("GOTRUE_JWT_ADMIN_GROUP_NAME", "admin"),
            jwt_exp=int(get("GOTRUE_JWT_EXP", "3600")),
            disable_signup=_bool(env.get("GOTRUE_DISABLE_SIGNUP")),
            mailer_autoconfirm=_bool(env.get("GOTRUE_MAILER_AUTOCONFIRM")),
            mailer_otp_exp=int(get("GOTRUE_MAILER_OTP_EXP", "86400")),
            mailer_otp_length=min(max(int(get("GOTRUE_MAILER_OTP_LENGTH", "6")), 6), 10),
            secure_email_change=_bool(env.get("GOTRUE_MAILER_SECURE_EMAIL_CHANGE_ENABLED"), default=True),
            smtp_host=get("GOTRUE_SMTP_HOST"),
            smtp_port=int(get("GOTRUE_SMTP_PORT", "587")),
            smtp_user=get("GOTRUE_SMTP_USER"),
            smtp_pass=get("GOTRUE_SMTP_PASS"),
            smtp_admin_email=get("GOTRUE_SMTP_ADMIN_EMAIL"),
            smtp_sender_name=get("GOTRUE_SMTP_SENDER_NAME"),
            smtp_max_frequency=parse_duration(get("GOTRUE_SMTP_MAX_FREQUENCY", "1m")) or 60.0,
            rate_limit_email_sent=float(email_rate) if email_rate else None,
            password_min_length=max(int(get("GOTRUE_PASSWORD_MIN_LENGTH", "6")), 6),
            password_required_characters=tuple(
                s for s in get("GOTRUE_PASSWORD_REQUIRED_CHARACTERS").split(":") if s
            ),
            refresh_token_rotation=_bool(
                env.get("GOTRUE_SECURITY_REFRESH_TOKEN_ROTATION_ENABLED"), default=True
            ),
            refresh_token_reuse_interval=int(get("GOTRUE_SECURITY_REFRESH_TOKEN_REUSE_INTERVAL", "10")),
            flow_state_expiry=max(
                parse_duration(get("GOTRUE_EXTERNAL_FLOW_STATE_EXPIRY_DURATION", "300s")), 300.0
            ),
            hook_before_user_created=hook,
        )
