"""The Starlette application: routes, CORS, error rendering and the database pool."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from local_platform.auth_server import account, admin, grants, meta, recovery, signup, verify
from local_platform.auth_server.config import Config
from local_platform.auth_server.context import AuthServer
from local_platform.auth_server.db import create_pool
from local_platform.auth_server.errors import API_VERSION_HEADER, APIError, error_response, internal
from local_platform.auth_server.hooks import BeforeUserCreatedHook
from local_platform.auth_server.mailer import Mailer
from local_platform.auth_server.tokens import SigningKeys

log = logging.getLogger("auth")

Handler = Callable[[Request], Awaitable[Response]]


def endpoint(handler: Handler) -> Handler:
    """Render APIError as Supabase Auth does; anything else is a logged 500."""

    async def run(request: Request) -> Response:
        try:
            return await handler(request)
        except APIError as error:
            if error.status >= 500:
                log.error("%s %s: %s", request.method, request.url.path, error.message, exc_info=error.__cause__)
            return error_response(request, error)
        except Exception:
            log.exception("%s %s failed", request.method, request.url.path)
            return error_response(
                request, internal("Unexpected failure, please check server logs for more information")
            )

    return run


def routes() -> list[Route]:
    table: list[tuple[str, Handler, list[str]]] = [
        ("/health", meta.health, ["GET"]),
        ("/settings", meta.settings, ["GET"]),
        ("/.well-known/jwks.json", meta.jwks, ["GET"]),
        ("/signup", signup.signup, ["POST"]),
        ("/token", grants.token, ["POST"]),
        ("/verify", verify.verify_get, ["GET"]),
        ("/verify", verify.verify_post, ["POST"]),
        ("/user", account.get_user, ["GET"]),
        ("/user", account.update_user, ["PUT"]),
        ("/logout", account.logout, ["POST"]),
        ("/recover", recovery.recover, ["POST"]),
        ("/resend", recovery.resend, ["POST"]),
        ("/admin/users", admin.list_users, ["GET"]),
        ("/admin/users", admin.create_user, ["POST"]),
        ("/admin/users/{user_id}", admin.get_user, ["GET"]),
        ("/admin/users/{user_id}", admin.update_user, ["PUT"]),
        ("/admin/users/{user_id}", admin.delete_user, ["DELETE"]),
    ]
    return [Route(path, endpoint(handler), methods=methods) for path, handler, methods in table]


def create_app(config: Config) -> Starlette:
    state = AuthServer(
        config=config,
        keys=SigningKeys(config.jwt_keys),
        mailer=Mailer(config),
        before_user_created=(
            BeforeUserCreatedHook(config.hook_before_user_created) if config.hook_before_user_created else None
        ),
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state.pool = await create_pool(config.database_url)
        try:
            yield
        finally:
            await state.pool.close()

    async def not_found(request: Request, exc: Exception) -> Response:
        return JSONResponse({"code": 404, "error_code": "not_found", "msg": "404 page not found"}, status_code=404)

    app = Starlette(
        routes=routes(),
        lifespan=lifespan,
        exception_handlers={404: not_found},
        middleware=[
            Middleware(
                CORSMiddleware,
                allow_origin_regex=".*",
                allow_credentials=True,
                allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                allow_headers=["*"],
                expose_headers=["X-Total-Count", "Link", API_VERSION_HEADER],
            )
        ],
    )
    app.state.auth = state
    return app
