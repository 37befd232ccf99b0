"""GET /health, GET /settings, GET /.well-known/jwks.json."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from local_platform.auth_server.context import server

VERSION = "v2.189.0-local"
_PROVIDERS = (
    "anonymous_users", "apple", "azure", "bitbucket", "discord", "facebook", "snapchat", "figma", "fly",
    "github", "gitlab", "google", "keycloak", "kakao", "linkedin", "linkedin_oidc", "notion", "spotify",
    "slack", "slack_oidc", "workos", "twitch", "twitter", "email", "phone", "zoom",
)


async def health(request: Request) -> Response:
    return JSONResponse({
        "version": VERSION,
        "name": "GoTrue",
        "description": "GoTrue is a user registration and authentication API",
    })


async def settings(request: Request) -> Response:
    config = server(request).config
    return JSONResponse({
        "external": {name: name == "email" for name in _PROVIDERS},
        "disable_signup": config.disable_signup,
        "mailer_autoconfirm": config.mailer_autoconfirm,
        "phone_autoconfirm": False,
        "sms_provider": "",
        "saml_enabled": False,
        "passkeys_enabled": False,
    })


async def jwks(request: Request) -> Response:
    return JSONResponse(server(request).keys.jwks, headers={"Cache-Control": "public, max-age=600"})
