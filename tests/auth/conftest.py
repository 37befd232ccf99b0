"""The local Supabase Auth stand-in, started in-process on free ports against
the shared Postgres, with its own mail catcher (SMTP + HTTP), its own signing
key and its own before-user-created hook receiver. Every test uses fresh
email addresses under @auth-tests.example; those users are deleted at the end."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import secrets
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field, replace
from typing import Any

import asyncpg
import httpx
import jwt
import pytest
import uvicorn
from aiosmtpd.smtp import SMTP
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm
from standardwebhooks import Webhook
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from callcenter.settings import get_settings
from local_platform import mailcatcher
from local_platform.auth_server.app import create_app
from local_platform.auth_server.config import Config, HookConfig

DOMAIN = "auth-tests.example"
SITE_URL = "http://127.0.0.1:3000"
VERSION = {"X-Supabase-Api-Version": "2024-01-01"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def new_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}@{DOMAIN}"


async def serve(app: Any, port: int) -> tuple[uvicorn.Server, asyncio.Task[None]]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            return server, task
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    raise RuntimeError("server did not start")


async def stop(server: uvicorn.Server, task: asyncio.Task[None]) -> None:
    server.should_exit = True
    await task


# --- mail -------------------------------------------------------------------------------------


@dataclass
class Mail:
    url: str
    smtp_port: int
    mailbox: mailcatcher.Mailbox
    client: httpx.AsyncClient

    async def to(self, address: str, count: int = 1) -> list[dict[str, Any]]:
        """Messages for this address, newest first; waits briefly for `count` of them."""
        messages: list[dict[str, Any]] = []
        for _ in range(50):
            messages = (await self.client.get(f"{self.url}/api/messages", params={"to": address})).json()
            if len(messages) >= count:
                return messages
            await asyncio.sleep(0.05)
        return messages

    async def link(self, address: str, kind: str = "signup") -> str:
        for message in await self.to(address):
            for link in message["links"]:
                if f"type={kind}" in link:
                    return str(link)
        raise AssertionError(f"no {kind} link mailed to {address}")

    async def code(self, address: str) -> str:
        message = (await self.to(address))[0]
        match = re.search(r"enter the code: (\d{6})", message["text"])
        assert match, message["text"]
        return match.group(1)


@pytest.fixture(scope="session")
async def mail() -> AsyncIterator[Mail]:
    mailbox = mailcatcher.Mailbox(keep=2000)
    smtp_port, http_port = free_port(), free_port()
    smtp = await asyncio.get_running_loop().create_server(
        lambda: SMTP(mailcatcher.SMTPHandler(mailbox), enable_SMTPUTF8=True),
        host="127.0.0.1", port=smtp_port,
    )
    server, task = await serve(mailcatcher.create_http_app(mailbox), http_port)
    async with httpx.AsyncClient(timeout=10) as client:
        yield Mail(f"http://127.0.0.1:{http_port}", smtp_port, mailbox, client)
    await stop(server, task)
    smtp.close()
    await smtp.wait_closed()


# --- before-user-created hook receiver --------------------------------------------------------


@dataclass
class HookReceiver:
    url: str
    secret: str
    calls: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    # What to answer: (status, JSON body or None for an empty body).
    reply: tuple[int, Any] = (200, {})

    def reset(self) -> None:
        self.calls.clear()
        self.headers.clear()
        self.reply = (200, {})


@pytest.fixture(scope="session")
async def hook_receiver() -> AsyncIterator[HookReceiver]:
    secret = "v1,whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    port = free_port()
    receiver = HookReceiver(f"http://127.0.0.1:{port}/hook", secret)

    async def hook(request: Request) -> Response:
        body = await request.body()
        Webhook(secret.removeprefix("v1,")).verify(body, dict(request.headers))  # raises if badly signed
        receiver.calls.append(json.loads(body))
        receiver.headers.append(dict(request.headers))
        status, answer = receiver.reply
        if answer is None:
            return Response(status_code=status)
        return JSONResponse(answer, status_code=status)

    server, task = await serve(Starlette(routes=[Route("/hook", hook, methods=["POST"])]), port)
    yield receiver
    await stop(server, task)


@pytest.fixture
def hook(hook_receiver: HookReceiver) -> HookReceiver:
    return hook_receiver


# --- auth servers -----------------------------------------------------------------------------


def new_private_jwk() -> dict[str, Any]:
    jwk: dict[str, Any] = json.loads(ECAlgorithm.to_jwk(ec.generate_private_key(ec.SECP256R1())))
    jwk.update({"kid": secrets.token_hex(8), "alg": "ES256", "use": "sig", "key_ops": ["sign", "verify"]})
    return jwk


@dataclass
class Auth:
    url: str
    config: Config
    client: httpx.AsyncClient
    private_jwk: dict[str, Any]

    def sign(self, claims: dict[str, Any]) -> str:
        key = ECAlgorithm.from_jwk(json.dumps(self.private_jwk))
        return jwt.encode(claims, key, algorithm="ES256", headers={"kid": self.private_jwk["kid"]})  # type: ignore[arg-type]

    def claims(self, access_token: str) -> dict[str, Any]:
        key = ECAlgorithm.from_jwk(json.dumps({k: v for k, v in self.private_jwk.items() if k != "d"}))
        return jwt.decode(access_token, key, algorithms=["ES256"], audience="authenticated")  # type: ignore[arg-type]

    @property
    def service_role(self) -> dict[str, str]:
        return {"Authorization": "Bearer " + self.sign({"role": "service_role", "iss": self.config.issuer})}

    async def signup(self, email: str, password: str = "secret-123", **body: Any) -> httpx.Response:
        return await self.client.post("/signup", json={"email": email, "password": password, **body})

    async def login(self, email: str, password: str = "secret-123") -> dict[str, Any]:
        response = await self.client.post(
            "/token", params={"grant_type": "password"}, json={"email": email, "password": password}
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


StartAuth = Callable[..., Coroutine[Any, Any, Auth]]


@pytest.fixture(scope="session")
async def start_auth(mail: Mail) -> AsyncIterator[StartAuth]:
    running: list[tuple[uvicorn.Server, asyncio.Task[None], httpx.AsyncClient]] = []

    async def start(**overrides: Any) -> Auth:
        port = free_port()
        jwk = new_private_jwk()
        config = Config(
            host="127.0.0.1", port=port, database_url=get_settings().database_url,
            external_url=f"http://127.0.0.1:{port}", site_url=SITE_URL,
            uri_allow_list=(f"{SITE_URL}/**", "http://localhost:3000/**"), jwt_keys=(jwk,),
            jwt_admin_roles=("service_role",), smtp_host="127.0.0.1", smtp_port=mail.smtp_port,
            smtp_admin_email="auth@callcenter.local", smtp_sender_name="Call Center",
        )
        config = replace(config, **overrides)
        server, task = await serve(create_app(config), port)
        client = httpx.AsyncClient(base_url=config.external_url, timeout=30, follow_redirects=False)
        running.append((server, task, client))
        return Auth(config.external_url, config, client, jwk)

    yield start
    for server, task, client in running:
        await client.aclose()
        await stop(server, task)


@pytest.fixture(scope="session")
async def auth(start_auth: StartAuth, hook_receiver: HookReceiver) -> Auth:
    """Email confirmation on (as on the local platform), with the hook."""
    return await start_auth(
        hook_before_user_created=HookConfig(uri=hook_receiver.url, secrets=(hook_receiver.secret,))
    )


@pytest.fixture(scope="session")
async def auto(start_auth: StartAuth) -> Auth:
    """GOTRUE_MAILER_AUTOCONFIRM=true, no hook, a 1 s refresh token reuse interval."""
    return await start_auth(mailer_autoconfirm=True, refresh_token_reuse_interval=1)


@pytest.fixture(scope="session")
async def db() -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(get_settings().database_url, min_size=1, max_size=2)
    yield pool
    await pool.execute("delete from auth.users where email like $1", f"%@{DOMAIN}")
    await pool.close()


@pytest.fixture(autouse=True)
def _each_test(db: asyncpg.Pool, hook_receiver: HookReceiver) -> None:
    """Every test depends on `db`, so its teardown (deleting test users) runs last; hooks allow by default."""
    hook_receiver.reset()
