"""What every handler needs: the server's state, the request's JSON
parameters (decoded as Supabase Auth's Go structs decode them), the caller's
address and the audience it asks for."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from local_platform.auth_server.config import Config
from local_platform.auth_server.db import Pool
from local_platform.auth_server.errors import APIError
from local_platform.auth_server.hooks import BeforeUserCreatedHook
from local_platform.auth_server.mailer import Mailer
from local_platform.auth_server.sessions import Client
from local_platform.auth_server.tokens import SigningKeys

AUD_HEADER = "X-JWT-AUD"


@dataclass
class AuthServer:
    config: Config
    keys: SigningKeys
    mailer: Mailer
    before_user_created: BeforeUserCreatedHook | None
    pool: Pool | None = None

    @property
    def db(self) -> Pool:
        assert self.pool is not None, "database pool not started"
        return self.pool


def server(request: Request) -> AuthServer:
    state: AuthServer = request.app.state.auth
    return state


def _bad_json(detail: str) -> APIError:
    return APIError(400, "bad_json", f"Could not parse request body as JSON: {detail}")


def _mismatch(value: Any, name: str, go_type: str) -> str:
    kinds = {str: "string", bool: "bool", int: "number", float: "number", list: "array", dict: "object"}
    return f"json: cannot unmarshal {kinds.get(type(value), 'value')} into Go struct field .{name} of type {go_type}"


class Params:
    """A JSON object body; absent and null fields read as Go's zero values."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def has(self, name: str) -> bool:
        return self.data.get(name) is not None

    def text(self, name: str) -> str:
        value = self.data.get(name)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise _bad_json(_mismatch(value, name, "string"))
        return value

    def optional_text(self, name: str) -> str | None:
        return self.text(name) if self.has(name) else None

    def flag(self, name: str) -> bool:
        value = self.data.get(name)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise _bad_json(_mismatch(value, name, "bool"))
        return value

    def mapping(self, name: str) -> dict[str, Any] | None:
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise _bad_json(_mismatch(value, name, "map[string]interface {}"))
        return value


async def read_params(request: Request) -> Params:
    body = await request.body()
    if len(body) > 1 << 20:
        raise APIError(413, "request_entity_too_large", "Request body too large (max 1048576 bytes)")
    if not body.strip():
        raise _bad_json("unexpected end of JSON input")
    try:
        data = json.loads(body)
    except ValueError as error:
        raise _bad_json(str(error)) from None
    if not isinstance(data, dict):
        raise _bad_json(f"json: cannot unmarshal {type(data).__name__} into Go value of type api.Params")
    return Params(data)


def client_ip(request: Request) -> str:
    forwarded = request.headers.get("x-forwarded-for", "")
    for candidate in (part.strip() for part in forwarded.split(",")):
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return request.client.host if request.client else ""


def client(request: Request) -> Client:
    ip = client_ip(request)
    try:
        ipaddress.ip_address(ip)
    except ValueError:
        ip = ""
    return Client(user_agent=request.headers.get("user-agent") or None, ip=ip or None)


def request_aud(request: Request, claims: dict[str, Any] | None = None) -> str:
    config = server(request).config
    header = request.headers.get(AUD_HEADER)
    if header:
        return header
    if claims is not None and claims.get("role") not in config.jwt_admin_roles:
        aud = claims.get("aud")
        if isinstance(aud, list):
            aud = aud[0] if aud else ""
        if isinstance(aud, str) and aud:
            return aud
    return config.jwt_aud
