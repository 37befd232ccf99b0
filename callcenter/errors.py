"""Domain errors: a stable code, a message a person understands, and a kind
the API maps to an HTTP status."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum

import asyncpg


class ErrorKind(StrEnum):
    INVALID = "invalid"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    UNAVAILABLE = "unavailable"


class DomainError(Exception):
    def __init__(self, kind: ErrorKind, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.code = code
        self.message = message
        self.field = field


def not_found(what: str) -> DomainError:
    return DomainError(ErrorKind.NOT_FOUND, "not_found", f"{what} was not found, or you do not have access to it.")


def forbidden(message: str) -> DomainError:
    return DomainError(ErrorKind.FORBIDDEN, "forbidden", message)


# SQL functions refuse with `raise ... using errcode = <state>, hint = '<code>'`: the hint is the
# error's code, the SQLSTATE its kind. A hint that is not a snake_case code is Postgres' own advice.
_KIND_BY_SQLSTATE = {
    "P0001": ErrorKind.CONFLICT,  # raise_exception
    "P0002": ErrorKind.NOT_FOUND,  # no_data_found
    "42501": ErrorKind.FORBIDDEN,  # insufficient_privilege
    "22023": ErrorKind.INVALID,  # invalid_parameter_value
}
_HINT_CODE = re.compile(r"[a-z][a-z0-9_]*")


@contextmanager
def translated(conflict_message: str = "That already exists.") -> Iterator[None]:
    """Turn the database's refusals (RLS, constraints, raised exceptions) into DomainErrors."""
    try:
        yield
    except asyncpg.PostgresError as error:
        raise from_postgres(error, conflict_message) from error


def from_postgres(error: asyncpg.PostgresError, conflict_message: str) -> DomainError:
    state = str(getattr(error, "sqlstate", ""))
    hint = getattr(error, "hint", None) or ""
    message = str(getattr(error, "message", error))
    kind = _KIND_BY_SQLSTATE.get(state)
    if kind is not None and _HINT_CODE.fullmatch(hint):
        return DomainError(kind, hint, message)
    if state == "42501":  # insufficient_privilege, including RLS refusals
        return forbidden("You do not have permission to do that.")
    if state == "23505":  # unique_violation
        return DomainError(ErrorKind.CONFLICT, "already_exists", conflict_message)
    if state in {"23514", "22001", "23502"}:  # check, string too long, not null
        return DomainError(ErrorKind.INVALID, "invalid_value", "A value is empty or too long.")
    if state == "23503":
        return not_found("A related record")
    if state == "P0001":
        return DomainError(ErrorKind.CONFLICT, "refused", message)
    if state == "P0002":
        return not_found("That record")
    raise error
