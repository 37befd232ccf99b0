"""Sending the emails that carry a one-time token: signup confirmation,
password recovery and email change. Each stores the token hash on the user and
in auth.one_time_tokens, and respects the per-user frequency limit
(GOTRUE_SMTP_MAX_FREQUENCY, 1 minute by default)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from datetime import datetime, timedelta

from starlette.requests import Request

from local_platform.auth_server import one_time_tokens, users
from local_platform.auth_server.context import AuthServer, server
from local_platform.auth_server.db import Conn
from local_platform.auth_server.errors import APIError, internal, validation
from local_platform.auth_server.flow_state import with_flow_prefix
from local_platform.auth_server.mailer import EmailRateLimitExceeded
from local_platform.auth_server.models import User, now
from local_platform.auth_server.redirects import referrer
from local_platform.auth_server.tokens import generate_otp, token_hash

log = logging.getLogger("auth.emails")


def validate_email(email: str) -> str:
    if not email:
        raise validation("An email address is required")
    if len(email) > 255:
        raise validation("An email address is too long")
    if not users.email_format_ok(email):
        raise validation("Unable to validate email address: invalid format")
    return email.lower()


def check_frequency(sent_at: datetime | None, seconds: float) -> None:
    if sent_at is None:
        return
    allowed_at = sent_at + timedelta(seconds=seconds)
    if allowed_at > now():
        left = int((allowed_at - now()).total_seconds())
        raise APIError(
            429, "over_email_send_rate_limit",
            f"For security purposes, you can only request this after {left} seconds.",
        )


async def _deliver(sending: Awaitable[None], what: str) -> None:
    try:
        await sending
    except EmailRateLimitExceeded:
        raise APIError(429, "over_email_send_rate_limit", "email rate limit exceeded") from None
    except OSError as error:
        log.warning("sending %s failed: %s", what, error)
        raise internal(f"Error sending {what}") from error


def _redirect_to(request: Request, srv: AuthServer) -> str:
    return referrer(request, srv.config.site_url, srv.config.uri_allow_list)


async def send_confirmation(conn: Conn, request: Request, user: User, pkce: bool) -> None:
    srv = server(request)
    check_frequency(user.confirmation_sent_at, srv.config.smtp_max_frequency)
    otp = generate_otp(srv.config.mailer_otp_length)
    token = with_flow_prefix(token_hash(user.email, otp), pkce)
    await _deliver(
        srv.mailer.confirmation(user.email, otp, token, _redirect_to(request, srv)), "confirmation email"
    )
    user.confirmation_token = token
    user.confirmation_sent_at = now()
    await users.save(conn, user, "confirmation_token", "confirmation_sent_at")
    await one_time_tokens.create(conn, user.id, user.email, token, one_time_tokens.CONFIRMATION)


async def send_recovery(conn: Conn, request: Request, user: User, pkce: bool) -> None:
    srv = server(request)
    check_frequency(user.recovery_sent_at, srv.config.smtp_max_frequency)
    otp = generate_otp(srv.config.mailer_otp_length)
    token = with_flow_prefix(token_hash(user.email, otp), pkce)
    await _deliver(srv.mailer.recovery(user.email, otp, token, _redirect_to(request, srv)), "recovery email")
    user.recovery_token = token
    user.recovery_sent_at = now()
    await users.save(conn, user, "recovery_token", "recovery_sent_at")
    await one_time_tokens.create(conn, user.id, user.email, token, one_time_tokens.RECOVERY)


async def send_email_change(conn: Conn, request: Request, user: User, new_email: str, pkce: bool) -> None:
    """Mail the new address (and, with secure email change, the current one) a confirmation link."""
    srv = server(request)
    config = srv.config
    check_frequency(user.email_change_sent_at, config.smtp_max_frequency)
    otp_new = generate_otp(config.mailer_otp_length)
    user.email_change = new_email
    user.email_change_token_new = with_flow_prefix(token_hash(new_email, otp_new), pkce)
    otp_current = ""
    user.email_change_token_current = ""
    secure = config.secure_email_change and bool(user.email)
    if secure:
        otp_current = generate_otp(config.mailer_otp_length)
        user.email_change_token_current = with_flow_prefix(token_hash(user.email, otp_current), pkce)
    user.email_change_confirm_status = 0
    redirect_to = _redirect_to(request, srv)
    await _deliver(
        srv.mailer.email_change(
            new_email, otp_new, user.email_change_token_new, redirect_to, user.email, new_email
        ),
        "email change email",
    )
    if secure:
        await _deliver(
            srv.mailer.email_change(
                user.email, otp_current, user.email_change_token_current, redirect_to, user.email, new_email
            ),
            "email change email",
        )
    user.email_change_sent_at = now()
    await users.save(
        conn, user, "email_change_token_current", "email_change_token_new", "email_change",
        "email_change_sent_at", "email_change_confirm_status",
    )
    if user.email_change_token_current:
        await one_time_tokens.create(
            conn, user.id, user.email, user.email_change_token_current, one_time_tokens.EMAIL_CHANGE_CURRENT
        )
    await one_time_tokens.create(
        conn, user.id, new_email, user.email_change_token_new, one_time_tokens.EMAIL_CHANGE_NEW
    )
