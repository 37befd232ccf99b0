"""GET /verify (the link in an email) and POST /verify (token_hash, or email + code).

GET confirms and redirects (303) to the redirect_to URL: with `?code=` when the
link came from a PKCE flow (token prefixed `pkce_`), with the session in the
fragment (`#access_token=...&type=signup`) otherwise, and with
`error`/`error_code`/`error_description` (in the fragment, and for PKCE also in
the query) when the link is invalid or expired. POST returns the session."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from local_platform.auth_server import emails, flow_state, one_time_tokens, passwords, sessions, users
from local_platform.auth_server.context import client, read_params, request_aud, server
from local_platform.auth_server.db import Conn
from local_platform.auth_server.errors import APIError, bad_request, forbidden, validation
from local_platform.auth_server.models import User, now
from local_platform.auth_server.redirects import referrer
from local_platform.auth_server.tokens import token_hash

SINGLE_CONFIRMATION_ACCEPTED = (
    "Confirmation link accepted. Please proceed to confirm link sent to the other email"
)
_OAUTH_ERRORS = {
    400: "invalid_request", 401: "unauthorized_client", 403: "access_denied",
    500: "server_error", 503: "temporarily_unavailable",
}
_TOKEN_TYPES = {
    "email": (one_time_tokens.CONFIRMATION, one_time_tokens.RECOVERY),
    "signup": (one_time_tokens.CONFIRMATION,),
    "invite": (one_time_tokens.CONFIRMATION,),
    "recovery": (one_time_tokens.RECOVERY,),
    "magiclink": (one_time_tokens.RECOVERY,),
    "email_change": (one_time_tokens.EMAIL_CHANGE_CURRENT, one_time_tokens.EMAIL_CHANGE_NEW),
}


def _encode(values: list[tuple[str, str]]) -> str:
    return urlencode(sorted(values, key=lambda item: item[0]))


def _with_query(url: str, extra: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in extra]
    return urlunsplit(parts._replace(query=_encode(query + list(extra.items()))))


def error_redirect(error: APIError, redirect_to: str, pkce: bool) -> str:
    extra = {}
    if error.status in _OAUTH_ERRORS:
        extra["error"] = _OAUTH_ERRORS[error.status]
    extra["error_code"] = error.error_code
    extra["error_description"] = error.message
    url = _with_query(redirect_to, extra) if pkce else redirect_to
    parts = urlsplit(url)
    return urlunsplit(parts._replace(fragment=_encode([*extra.items(), ("sb", "")])))


def message_redirect(message: str, redirect_to: str, pkce: bool) -> str:
    url = _with_query(redirect_to, {"message": message}) if pkce else _with_query(redirect_to, {})
    return urlunsplit(urlsplit(url)._replace(fragment=_encode([("message", message), ("sb", "")])))


async def verify_get(request: Request) -> Response:
    kind = request.query_params.get("type", "")
    token = request.query_params.get("token", "")
    srv = server(request)
    redirect_to = referrer(request, srv.config.site_url, srv.config.uri_allow_list)
    if not kind:
        raise validation("Verify requires a verification type")
    if not token:
        raise validation("Verify requires a token or a token hash")
    pkce = token.startswith(flow_state.PKCE_PREFIX)
    async with srv.db.acquire() as conn:
        try:
            async with conn.transaction():
                found, kind = await _user_for_token_hash(conn, kind, token, srv.config.mailer_otp_exp)
                user = await _apply(conn, request, kind, found, token, token)
                if user is None:
                    return RedirectResponse(message_redirect(SINGLE_CONFIRMATION_ACCEPTED, redirect_to, pkce), 303)
                if pkce:
                    code = await _issue_auth_code(conn, user, kind)
                    return RedirectResponse(_with_query(redirect_to, {"code": code}), 303)
                body = await sessions.issue(conn, srv.config, srv.keys, user, "otp", client(request))
        except APIError as error:
            return RedirectResponse(error_redirect(error, redirect_to, pkce), 303)
    fragment = _encode([
        ("access_token", body["access_token"]), ("token_type", body["token_type"]),
        ("expires_in", str(body["expires_in"])), ("expires_at", str(body["expires_at"])),
        ("refresh_token", body["refresh_token"]), ("type", kind), ("sb", ""),
    ])
    return RedirectResponse(f"{redirect_to}#{fragment}", 303)


async def verify_post(request: Request) -> Response:
    srv = server(request)
    params = await read_params(request)
    kind, token, hashed = params.text("type"), params.text("token"), params.text("token_hash")
    email, phone = params.text("email"), params.text("phone")
    if not kind:
        raise validation("Verify requires a verification type")
    if bool(token) == bool(hashed):
        raise validation("Verify requires either a token or a token hash")
    if token:
        if phone and not email:
            raise bad_request("phone_provider_disabled", "Phone logins are disabled")
        if not (email and not phone):
            raise validation("Only an email address or phone number should be provided on verify")
        try:
            email = emails.validate_email(email)
        except APIError:
            raise APIError(422, "validation_failed", "Invalid email format") from None
        hashed = token_hash(email, token)
    elif email or phone or params.text("redirect_to"):
        raise validation("Only the token_hash and type should be provided")
    async with srv.db.acquire() as conn, conn.transaction():
        if token:
            user, kind = await _user_for_email_and_code(conn, request, kind, email, hashed)
        else:
            user, kind = await _user_for_token_hash(conn, kind, hashed, srv.config.mailer_otp_exp)
        verified = await _apply(conn, request, kind, user, token, hashed)
        if verified is None:
            return JSONResponse({"msg": SINGLE_CONFIRMATION_ACCEPTED, "code": "200"})
        body = await sessions.issue(conn, srv.config, srv.keys, verified, "otp", client(request))
    return JSONResponse(body)


def _expired(sent_at: Any, seconds: int) -> bool:
    return sent_at is None or (now() - sent_at).total_seconds() > seconds


async def _user_for_token_hash(conn: Conn, kind: str, hashed: str, otp_exp: int) -> tuple[User, str]:
    if kind not in _TOKEN_TYPES:
        raise validation("Invalid email verification type")
    found = await one_time_tokens.find_user_id(conn, hashed, *_TOKEN_TYPES[kind])
    user = await users.find_by_id(conn, found[0]) if found else None
    if user is None:
        raise forbidden("otp_expired", "Email link is invalid or has expired")
    if user.is_banned:
        raise forbidden("user_banned", "User is banned")
    sent_at = {
        "signup": user.confirmation_sent_at, "invite": user.confirmation_sent_at,
        "recovery": user.recovery_sent_at, "magiclink": user.recovery_sent_at,
        "email_change": user.email_change_sent_at,
    }.get(kind)
    if kind == "email":
        kind, sent_at = "signup", user.confirmation_sent_at
        if user.recovery_token == hashed:
            kind, sent_at = "magiclink", user.recovery_sent_at
    if _expired(sent_at, otp_exp):
        raise forbidden("otp_expired", "Email link is invalid or has expired")
    return user, kind


def _otp_valid(hashed: str, expected: str, sent_at: Any, otp_exp: int) -> bool:
    if not expected or sent_at is None or _expired(sent_at, otp_exp):
        return False
    return hashed == expected or flow_state.PKCE_PREFIX + hashed == expected


async def _user_for_email_and_code(
    conn: Conn, request: Request, kind: str, email: str, hashed: str
) -> tuple[User, str]:
    aud = request_aud(request)
    otp_exp = server(request).config.mailer_otp_exp
    user: User | None
    if kind == "email_change":
        user = None
        for candidate in (hashed, flow_state.PKCE_PREFIX + hashed):
            found = await one_time_tokens.find_user_id(
                conn, candidate, one_time_tokens.EMAIL_CHANGE_CURRENT, one_time_tokens.EMAIL_CHANGE_NEW
            )
            if found:
                user = await users.find_by_id(conn, found[0])
                break
        if user is not None and user.aud != aud:
            user = None
    else:
        user = await users.find_by_email(conn, email, aud)
    if user is None:
        raise forbidden("otp_expired", "Token has expired or is invalid")
    if user.is_banned:
        raise forbidden("user_banned", "User is banned")
    valid = False
    if kind == "email":
        if _otp_valid(hashed, user.confirmation_token, user.confirmation_sent_at, otp_exp):
            valid, kind = True, "signup"
        elif _otp_valid(hashed, user.recovery_token, user.recovery_sent_at, otp_exp):
            valid, kind = True, "magiclink"
    elif kind in ("signup", "invite"):
        valid = _otp_valid(hashed, user.confirmation_token, user.confirmation_sent_at, otp_exp)
    elif kind in ("recovery", "magiclink"):
        valid = _otp_valid(hashed, user.recovery_token, user.recovery_sent_at, otp_exp)
    elif kind == "email_change":
        valid = any(
            _otp_valid(hashed, expected, user.email_change_sent_at, otp_exp)
            for expected in (user.email_change_token_current, user.email_change_token_new)
        )
    elif kind in ("sms", "phone_change"):
        raise bad_request("phone_provider_disabled", "Phone logins are disabled")
    if not valid:
        raise forbidden("otp_expired", "Token has expired or is invalid")
    return user, kind


async def _apply(
    conn: Conn, request: Request, kind: str, user: User, token: str, hashed: str
) -> User | None:
    """Act on a verified token. None: the first of two email change confirmations."""
    if kind in ("signup", "invite"):
        await _confirm_signup(conn, user)
    elif kind in ("recovery", "magiclink"):
        user.recovery_token = ""
        await users.save(conn, user, "recovery_token")
        await one_time_tokens.clear_all_for_user(conn, user.id)
        if not user.is_confirmed:
            await users.confirm_email(conn, user)
    elif kind == "email_change":
        if not await _confirm_email_change(conn, request, user, token, hashed):
            return None
    else:
        raise validation("Unsupported verification type")
    await users.update_providers(conn, user)
    user.identities = await users.identities_of(conn, user.id)
    return user


async def _confirm_signup(conn: Conn, user: User) -> None:
    if not user.has_password and user.invited_at is not None:
        await users.set_password(conn, user, await passwords.hash_password(passwords.random_password()), None)
    await users.confirm_email(conn, user)
    for identity in user.identities:
        if identity.email and user.email and identity.email == user.email:
            await users.update_identity_data(conn, identity, {"email_verified": True})


async def _confirm_email_change(conn: Conn, request: Request, user: User, token: str, hashed: str) -> bool:
    """True when the email changed; False after the first of two confirmations (secure email change)."""
    config = server(request).config
    double = config.secure_email_change and not config.mailer_autoconfirm
    if double and user.email_change_confirm_status == 0 and user.email:
        is_current = await one_time_tokens.find_user_id(conn, hashed, one_time_tokens.EMAIL_CHANGE_CURRENT)
        is_new = await one_time_tokens.find_user_id(conn, hashed, one_time_tokens.EMAIL_CHANGE_NEW)
        user.email_change_confirm_status = 1
        if is_current or hashed == user.email_change_token_current or token == user.email_change_token_current:
            user.email_change_token_current = ""
            await one_time_tokens.clear(conn, user.id, one_time_tokens.EMAIL_CHANGE_CURRENT)
        elif is_new or hashed == user.email_change_token_new or token == user.email_change_token_new:
            user.email_change_token_new = ""
            await one_time_tokens.clear(conn, user.id, one_time_tokens.EMAIL_CHANGE_NEW)
        await users.save(
            conn, user, "email_change_confirm_status", "email_change_token_current", "email_change_token_new"
        )
        return False
    new_email = user.email_change
    identity = await users.find_identity(conn, str(user.id), "email")
    if identity is None:
        await users.create_identity(conn, user, "email", {
            "sub": str(user.id), "email": new_email, "email_verified": True, "phone_verified": False,
        })
    else:
        await users.update_identity_data(conn, identity, {"email": new_email, "email_verified": True})
    if user.is_anonymous:
        user.is_anonymous = False
        await users.save(conn, user, "is_anonymous")
    user.email, user.email_change = new_email, ""
    user.email_change_token_current = user.email_change_token_new = ""
    user.email_change_confirm_status = 0
    await users.save(
        conn, user, "email", "email_change", "email_change_token_current", "email_change_token_new",
        "email_change_confirm_status",
    )
    await one_time_tokens.clear_all_for_user(conn, user.id)
    if not user.is_confirmed:
        await users.confirm_email(conn, user)
    return True


async def _issue_auth_code(conn: Conn, user: User, kind: str) -> str:
    flow = await flow_state.latest_for_user(conn, user.id, kind)
    if flow is None:
        raise bad_request(
            "flow_state_not_found", "No associated flow state found. 422: No valid flow state found for user."
        )
    if not flow.code_challenge:
        raise bad_request(
            "flow_state_not_found",
            "No associated flow state found. 422: Flow state does not have an auth code (not a PKCE flow).",
        )
    await flow_state.record_auth_code_issued(conn, flow)
    assert flow.auth_code is not None
    return flow.auth_code
