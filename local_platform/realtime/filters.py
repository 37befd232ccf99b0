"""postgres_changes filters: `column=op.value`, several joined by commas (AND).

Operators: eq, neq, lt, lte, gt, gte and in.(a,b,...). Values may be
double-quoted to hold commas or parentheses (`name=eq."a,b"`). Values are
compared with the column's Postgres type in mind: numbers as numbers,
booleans, timestamps and dates as points in time, enums in declaration order,
everything else as text in code point order (the local database's collation
is C.UTF-8). A NULL column never matches, as in SQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

OPERATORS = ("eq", "neq", "lt", "lte", "gt", "gte", "in")
MAX_IN_VALUES = 100


class FilterError(ValueError):
    pass


@dataclass(frozen=True)
class ColumnType:
    name: str  # pg_type.typname, e.g. "int4", "uuid", "timestamptz", "_text"
    category: str = "S"  # pg_type.typcategory: N numeric, B boolean, D date/time, E enum, A array, U user, S string
    enum_labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Condition:
    column: str
    op: str
    values: tuple[str, ...]  # one value, or several for `in`


def _split_outside(text: str, separator: str) -> list[str]:
    """Split on `separator` where it is not inside double quotes or parentheses."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    quoted = False
    escaped = False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
            continue
        if char == "\\" and quoted:
            current.append(char)
            escaped = True
            continue
        if char == '"':
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
        if char == separator and not quoted and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    if quoted:
        raise FilterError("unbalanced double quote")
    if depth != 0:
        raise FilterError("unbalanced parentheses")
    parts.append("".join(current))
    return parts


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        inner = value[1:-1]
        out: list[str] = []
        escaped = False
        for char in inner:
            if escaped:
                out.append(char)
                escaped = False
            elif char == "\\":
                escaped = True
            else:
                out.append(char)
        return "".join(out)
    return value


def parse_filter(text: str | None) -> tuple[Condition, ...]:
    if text is None or text.strip() == "":
        return ()
    conditions: list[Condition] = []
    for part in _split_outside(text, ","):
        column, sep, rest = part.strip().partition("=")
        if not sep or not column:
            raise FilterError(f"expected column=operator.value, got {part!r}")
        op, dot, raw_value = rest.partition(".")
        if not dot:
            raise FilterError(f"expected operator.value after {column}=, got {rest!r}")
        if op not in OPERATORS:
            raise FilterError(f"operator {op!r} is not supported (supported: {', '.join(OPERATORS)})")
        if op == "in":
            if not (raw_value.startswith("(") and raw_value.endswith(")")):
                raise FilterError(f"in needs a list in parentheses, got {raw_value!r}")
            items = tuple(_unquote(item.strip()) for item in _split_outside(raw_value[1:-1], ","))
            if items == ("",):
                raise FilterError("in needs at least one value")
            if len(items) > MAX_IN_VALUES:
                raise FilterError(f"in takes at most {MAX_IN_VALUES} values")
            conditions.append(Condition(column, op, items))
        else:
            conditions.append(Condition(column, op, (_unquote(raw_value),)))
    return tuple(conditions)


# ---------------------------------------------------------------- typed comparison


def _as_datetime(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value.strip().replace(" ", "T", 1))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)  # the local database runs in UTC
    return parsed


_TRUE = {"t", "true", "y", "yes", "on", "1"}
_FALSE = {"f", "false", "n", "no", "off", "0"}


def _convert(value: Any, column_type: ColumnType) -> Any:
    """The comparable form of a row value (JSON) or a filter value (text)."""
    category = column_type.category
    if category == "N":
        if isinstance(value, bool):
            raise ValueError("not a number")
        return Decimal(str(value))
    if category == "B":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError("not a boolean")
    if category == "D":
        text = str(value)
        if column_type.name == "date":
            return dt.date.fromisoformat(text.strip())
        if column_type.name in ("timestamptz", "timestamp"):
            return _as_datetime(text)
        return text
    if category == "E" and column_type.enum_labels:
        text = str(value)
        if text not in column_type.enum_labels:
            raise ValueError(f"invalid input value for enum {column_type.name}")
        return column_type.enum_labels.index(text)
    if column_type.name == "uuid":
        return str(value).strip().lower()
    if isinstance(value, str):
        return value
    return str(value)


def validate(conditions: Sequence[Condition], columns: Mapping[str, ColumnType]) -> None:
    """Refuse filters on unknown columns or with values the column's type cannot hold."""
    for condition in conditions:
        column_type = columns.get(condition.column)
        if column_type is None:
            raise FilterError(f"invalid column for filter {condition.column}")
        if column_type.category == "A" or column_type.name in ("json", "jsonb"):
            raise FilterError(f"filters on {column_type.name} columns are not supported by the local realtime server")
        for value in condition.values:
            try:
                _convert(value, column_type)
            except (ValueError, InvalidOperation):
                raise FilterError(
                    f"invalid input value for type {column_type.name}: {value!r} (filter on {condition.column})"
                ) from None


def _compare(op: str, left: Any, right: Any) -> bool:
    if op == "eq":
        return bool(left == right)
    if op == "neq":
        return bool(left != right)
    if op == "lt":
        return bool(left < right)
    if op == "lte":
        return bool(left <= right)
    if op == "gt":
        return bool(left > right)
    if op == "gte":
        return bool(left >= right)
    raise FilterError(f"unknown operator {op}")


def matches(conditions: Sequence[Condition], row: Mapping[str, Any], columns: Mapping[str, ColumnType]) -> bool:
    for condition in conditions:
        value = row.get(condition.column)
        if value is None:
            return False
        column_type = columns.get(condition.column, ColumnType("text"))
        try:
            left = _convert(value, column_type)
            rights = [_convert(v, column_type) for v in condition.values]
            if condition.op == "in":
                if not any(left == right for right in rights):
                    return False
            elif not _compare(condition.op, left, rights[0]):
                return False
        except (ValueError, TypeError, InvalidOperation):
            return False
    return True
