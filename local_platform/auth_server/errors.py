"""Errors shaped as Supabase Auth sends them.

Clients that send `X-Supabase-Api-Version: 2024-01-01` (supabase-js does)
get `{"code": "<error_code>", "message": "..."}` and the header echoed back;
others get the original `{"code": <status>, "error_code": "...", "msg": "..."}`.
Both carry the machine-readable code that auth-js turns into `error.code`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

API_VERSION_HEADER = "X-Supabase-Api-Version"
API_VERSION_2024 = "2024-01-01"


class APIError(Exception):
    def __init__(self, status: int, error_code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message
        self.extra = extra


def bad_request(code: str, message: str) -> APIError:
    return APIError(400, code, message)


def unprocessable(code: str, message: str) -> APIError:
    return APIError(422, code, message)


def forbidden(code: str, message: str) -> APIError:
    return APIError(403, code, message)


def not_found(code: str, message: str) -> APIError:
    return APIError(404, code, message)


def internal(message: str) -> APIError:
    return APIError(500, "unexpected_failure", message)


def weak_password(message: str, reasons: list[str]) -> APIError:
    return APIError(422, "weak_password", message, weak_password={"reasons": reasons})


def validation(message: str) -> APIError:
    return APIError(400, "validation_failed", message)


def requested_api_version(request: Request) -> str | None:
    """2024-01-01 when the client asked for that version or a later one, else None."""
    value = request.headers.get(API_VERSION_HEADER, "").strip()
    try:
        asked = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None
    return API_VERSION_2024 if asked >= datetime(2024, 1, 1, tzinfo=UTC) else None


def error_response(request: Request, error: APIError) -> JSONResponse:
    headers: dict[str, str] = {}
    code = error.error_code or ("unexpected_failure" if error.status == 500 else "unknown")
    if error.error_code:
        headers["x-sb-error-code"] = error.error_code
    version = requested_api_version(request)
    if version:
        headers[API_VERSION_HEADER] = version
        body: dict[str, Any] = {"code": code, "message": error.message}
    else:
        body = {"code": error.status, "error_code": code, "msg": error.message}
    if "weak_password" in error.extra:
        headers["x-sb-error-code"] = "weak_password"
    body.update(error.extra)
    return JSONResponse(body, status_code=error.status, headers=headers)
