"""The before-user-created HTTP hook (GOTRUE_HOOK_BEFORE_USER_CREATED_*).

Sent as Supabase Auth sends it: a JSON POST of `{"metadata": {...}, "user": {...}}`
signed with Standard Webhooks headers for every configured `v1,whsec_...`
secret. The hook refuses a user by answering `{"error": {"http_code": N,
"message": "..."}}` (http_code 0 means 500). Timeouts, retries and the
errors for unreachable or misbehaving hooks follow Supabase Auth's HTTP hook
dispatcher: 5 s in all, 3 attempts, 2 s apart."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from standardwebhooks import Webhook

from local_platform.auth_server.config import HookConfig
from local_platform.auth_server.errors import APIError, internal
from local_platform.auth_server.models import fmt_time

PAYLOAD_LIMIT = 200 * 1024


def _signatures(secrets: tuple[str, ...], message_id: str, when: datetime, payload: str) -> str:
    signatures = []
    for secret in secrets:
        if not secret.startswith("v1,"):
            raise internal("Error generating signatures: invalid signature format")
        signatures.append(Webhook(secret.removeprefix("v1,")).sign(message_id, when, payload))
    return ", ".join(signatures)


def _check_hook_error(body: bytes) -> None:
    try:
        data = json.loads(body)
    except ValueError:
        return
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return
    message = error.get("message")
    if not isinstance(message, str) or not message:
        return
    code = error.get("http_code")
    status = code if isinstance(code, int) and not isinstance(code, bool) and code else 500
    raise APIError(status, "", message)


class HTTPHook:
    def __init__(
        self, config: HookConfig, name: str, timeout: float = 5.0, retries: int = 3, backoff: float = 2.0
    ) -> None:
        self.config = config
        self.name = name
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff

    def payload(self, ip_address: str, extra: dict[str, Any]) -> str:
        metadata: dict[str, Any] = {
            "uuid": str(uuid.uuid4()),
            "time": fmt_time(datetime.now(UTC)),
            "name": self.name,
        }
        if ip_address:
            metadata["ip_address"] = ip_address
        return json.dumps({"metadata": metadata, **extra}, separators=(",", ":"))

    async def invoke(self, ip_address: str, extra: dict[str, Any]) -> None:
        if not self.config.uri.startswith(("http:", "https:")):
            raise internal(f"Error running hook URI: {self.config.uri}")
        payload = self.payload(ip_address, extra)
        try:
            async with asyncio.timeout(self.timeout), httpx.AsyncClient(timeout=self.timeout) as client:
                await self._dispatch(client, payload)
        except TimeoutError:
            raise APIError(
                422, "hook_timeout", f"Failed to reach hook within maximum time of {self.timeout:f} seconds"
            ) from None

    async def _dispatch(self, client: httpx.AsyncClient, payload: str) -> None:
        for attempt in range(self.retries):
            message_id = str(uuid.uuid4())
            when = datetime.now(UTC)
            headers = {
                "Content-Type": "application/json",
                "webhook-id": message_id,
                "webhook-timestamp": str(int(when.timestamp())),
                "webhook-signature": _signatures(self.config.secrets, message_id, when, payload),
                "Accept-Encoding": "identity",
            }
            try:
                response = await client.post(self.config.uri, content=payload.encode(), headers=headers)
            except httpx.TimeoutException:
                raise TimeoutError from None
            except httpx.TransportError:
                if attempt < self.retries - 1:
                    await asyncio.sleep(self.backoff)
                    continue
                raise APIError(422, "hook_timeout_after_retry", "Failed to reach hook after maximum retries") from None
            status = response.status_code
            if status == 204:
                return
            if status in (200, 202):
                self._check_body(response)
                return
            if status in (429, 503):
                if response.headers.get("retry-after"):
                    continue
                raise internal("Service currently unavailable due to hook")
            if status == 400:
                raise internal("Invalid payload sent to hook")
            if status == 401:
                raise internal("Hook requires authorization token")
            raise internal(f"Unexpected status code returned from hook: {status}")
        raise internal("Service currently unavailable due to hook")

    @staticmethod
    def _check_body(response: httpx.Response) -> None:
        content_type = response.headers.get("content-type", "")
        if not content_type:
            raise APIError(
                400, "hook_payload_invalid_content_type", "Invalid Content-Type: Missing Content-Type header"
            )
        if content_type.split(";", 1)[0].strip().lower() != "application/json":
            raise APIError(
                400, "hook_payload_invalid_content_type",
                f"Invalid JSON response. Received content-type: {content_type}",
            )
        body = response.content
        if len(body) > PAYLOAD_LIMIT:
            raise APIError(
                422, "hook_payload_over_size_limit", f"Payload size exceeded size limit of {PAYLOAD_LIMIT} bytes"
            )
        _check_hook_error(body)
        try:
            json.loads(body)
        except ValueError:
            raise internal("Error unmarshaling JSON output.") from None


class BeforeUserCreatedHook(HTTPHook):
    def __init__(self, config: HookConfig) -> None:
        super().__init__(config, "before-user-created")

    async def check(self, ip_address: str, user: dict[str, Any]) -> None:
        """Return if the hook lets this user be created; raise the hook's refusal otherwise."""
        await self.invoke(ip_address, {"user": user})
