"""The HTTP API. The same app runs under uvicorn locally and under Mangum on
Lambda: nothing happens at import beyond reading configuration, and no state
lives in the process that a second instance would miss."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from callcenter.db import Database
from callcenter.errors import DomainError, ErrorKind
from callcenter.mailer import SmtpMailer
from callcenter.settings import Settings, get_settings
from callcenter.tokens import TokenVerifier
from lambdas.api.routers import (
    agent_settings,
    auth_hooks,
    businesses,
    calls,
    console,
    email_policy,
    invitations,
    knowledge,
    knowledge_uploads,
    me,
    workspaces,
)

log = logging.getLogger(__name__)

STATUS_BY_KIND = {
    ErrorKind.INVALID: 422,
    ErrorKind.UNAUTHORIZED: 401,
    ErrorKind.FORBIDDEN: 403,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.CONFLICT: 409,
    ErrorKind.UNAVAILABLE: 503,
}


def _error(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    body: dict[str, str] = {"code": code, "message": message}
    if field:
        body["field"] = field
    return JSONResponse({"error": body}, status_code=status)


async def _domain_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)
    return _error(STATUS_BY_KIND[error.kind], error.code, error.message, error.field)


async def _validation_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    first = error.errors()[0] if error.errors() else {}
    # The first part says where the value was (body, query, path...); a field may itself be named "query".
    loc = list(first.get("loc", ()))
    if loc and loc[0] in ("body", "query", "path", "header", "cookie"):
        loc = loc[1:]
    location = [str(part) for part in loc]
    field = ".".join(location) or None
    reason = str(first.get("msg", "invalid value"))
    kind = first.get("type")
    if kind == "string_too_short":
        reason = "can't be empty"
    elif kind == "string_too_long":
        reason = f"is too long (at most {first.get('ctx', {}).get('max_length')} characters)"
    elif kind == "too_short":
        reason = f"must have at least {first.get('ctx', {}).get('min_length')} item(s)"
    elif kind == "too_long":
        reason = f"can have at most {first.get('ctx', {}).get('max_length')} items"
    elif reason.startswith("Input should"):
        reason = "should" + reason.removeprefix("Input should")
    message = f"{_field_label(loc)} {reason}." if field else f"{reason}."
    return _error(422, "invalid_request", message, field)


def _field_label(loc: list[object]) -> str:
    """`("escalation", "max_unanswered_questions")` -> "Max unanswered questions";
    `("intent_labels", 2)` -> "Intent labels item 3"."""
    names = [part for part in loc if isinstance(part, str)]
    label = (names[-1] if names else "value").replace("_", " ").capitalize()
    if loc and isinstance(loc[-1], int):
        label += f" item {loc[-1] + 1}"
    return label


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="Call Center API",
        version="0.1.0",
        description="Businesses, department workspaces, members, invitations, knowledge, the AI agent and calls.",
    )
    app.state.settings = settings
    app.state.database = Database(settings)
    app.state.token_verifier = TokenVerifier(settings)
    app.state.mailer = SmtpMailer(settings)

    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["*"],
        allow_headers=["authorization", "content-type"],
        max_age=600,
    )
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    for router in (
        me.router,
        businesses.router,
        workspaces.router,
        invitations.router,
        knowledge.router,
        knowledge_uploads.router,
        knowledge_uploads.hooks_router,
        agent_settings.router,
        calls.router,
        console.router,
        email_policy.router,
        auth_hooks.router,
    ):
        app.include_router(router)
    return app
