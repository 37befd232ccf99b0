"""FastAPI dependencies: settings, the database, the caller's verified identity."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import asyncpg
from fastapi import Depends, Header, Request

from callcenter.db import Database
from callcenter.errors import DomainError, ErrorKind
from callcenter.knowledge import embeddings
from callcenter.knowledge.embeddings import Embedder
from callcenter.mailer import Mailer
from callcenter.settings import Settings
from callcenter.tokens import Claims, InvalidToken, TokenVerifier


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def get_mailer(request: Request) -> Mailer:
    mailer: Mailer = request.app.state.mailer
    return mailer


async def get_claims(request: Request, authorization: Annotated[str | None, Header()] = None) -> Claims:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise DomainError(ErrorKind.UNAUTHORIZED, "not_signed_in", "Sign in to continue.")
    verifier: TokenVerifier = request.app.state.token_verifier
    try:
        claims = await verifier.verify(authorization[7:].strip())
    except InvalidToken as error:
        raise DomainError(ErrorKind.UNAUTHORIZED, "invalid_token", str(error)) from error
    if claims.role != "authenticated":
        raise DomainError(ErrorKind.UNAUTHORIZED, "invalid_token", "This endpoint needs a signed-in user's session.")
    return claims


CurrentClaims = Annotated[Claims, Depends(get_claims)]
DatabaseDep = Annotated[Database, Depends(get_database)]


async def user_connection(claims: CurrentClaims, database: DatabaseDep) -> AsyncIterator[asyncpg.Connection]:
    """A transaction acting as the signed-in user (row level security applies)."""
    async with database.as_user(claims) as conn:
        yield conn


async def anon_connection(database: DatabaseDep) -> AsyncIterator[asyncpg.Connection]:
    async with database.as_anon() as conn:
        yield conn


# scope="function": commit before the response is sent, so a client never reads stale data.
UserConnection = Annotated[asyncpg.Connection, Depends(user_connection, scope="function")]
AnonConnection = Annotated[asyncpg.Connection, Depends(anon_connection, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]
MailerDep = Annotated[Mailer, Depends(get_mailer)]


def get_embedder(settings: SettingsDep) -> Embedder:
    """The configured embedder (built once per process; a local model loads on first use)."""
    return embeddings.get_embedder(settings)


EmbedderDep = Annotated[Embedder, Depends(get_embedder)]
