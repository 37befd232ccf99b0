"""`python -m local_platform.realtime`: serve the realtime stand-in with uvicorn."""

from __future__ import annotations

import logging
import os
import sys

import uvicorn

from local_platform.realtime.server import Settings, create_app
from local_platform.realtime.tokens import jwks_from_env


def settings_from_env() -> Settings:
    db_url = os.environ.get("DB_URL") or os.environ.get("DATABASE_URL")
    if not db_url:
        raise SystemExit("realtime: set DB_URL to the Postgres connection string")
    return Settings(
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "4000")),
        db_url=db_url,
        jwks_url=os.environ.get("JWKS_URL") or None,
        jwks=jwks_from_env(os.environ.get("JWT_JWKS")),
        jwt_secret=os.environ.get("JWT_SECRET") or None,
        issuer=os.environ.get("JWT_ISSUER") or None,
    )


def main() -> int:
    level = os.environ.get("LOG_LEVEL", "INFO").upper()
    logging.basicConfig(
        level=level, stream=sys.stdout, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    settings = settings_from_env()
    if settings.jwks is None and settings.jwks_url is None and settings.jwt_secret is None:
        raise SystemExit("realtime: set JWT_JWKS, JWKS_URL or JWT_SECRET so tokens can be verified")
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        ws="websockets-sansio",
        ws_max_size=1024 * 1024,
        ws_ping_interval=20,
        ws_ping_timeout=20,
        lifespan="on",
        access_log=False,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
