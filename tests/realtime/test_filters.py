"""postgres_changes filter parsing and typed matching (pure logic)."""

from __future__ import annotations

import pytest

from local_platform.realtime.filters import ColumnType, Condition, FilterError, matches, parse_filter, validate

COLUMNS = {
    "id": ColumnType("uuid", "U"),
    "name": ColumnType("text", "S"),
    "n": ColumnType("int4", "N"),
    "price": ColumnType("numeric", "N"),
    "active": ColumnType("bool", "B"),
    "at": ColumnType("timestamptz", "D"),
    "day": ColumnType("date", "D"),
    "role": ColumnType("workspace_role", "E", ("admin", "agent")),
    "tags": ColumnType("_text", "A"),
    "data": ColumnType("jsonb", "U"),
}


def match(text: str, row: dict[str, object]) -> bool:
    conditions = parse_filter(text)
    validate(conditions, COLUMNS)
    return matches(conditions, row, COLUMNS)


def test_parse_single_and_combined_conditions() -> None:
    assert parse_filter("business_id=eq.42") == (Condition("business_id", "eq", ("42",)),)
    assert parse_filter("n=gt.1,n=lt.10") == (Condition("n", "gt", ("1",)), Condition("n", "lt", ("10",)))
    assert parse_filter(None) == ()
    assert parse_filter("  ") == ()


def test_parse_values_with_dots_quotes_and_lists() -> None:
    assert parse_filter("name=eq.a.b.c") == (Condition("name", "eq", ("a.b.c",)),)
    assert parse_filter('name=eq."a,b"') == (Condition("name", "eq", ("a,b",)),)
    assert parse_filter('name=in.(x,"y,z",w)') == (Condition("name", "in", ("x", "y,z", "w")),)
    assert parse_filter('name=eq."say \\"hi\\""') == (Condition("name", "eq", ('say "hi"',)),)
    assert parse_filter("name=in.(a),n=eq.1") == (Condition("name", "in", ("a",)), Condition("n", "eq", ("1",)))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name", "expected column=operator.value"),
        ("name=eq", "expected operator.value"),
        ("name=like.%a%", "operator 'like' is not supported"),
        ("name=in.a,b", "in needs a list in parentheses"),
        ("name=in.()", "at least one value"),
        ('name=eq."open', "unbalanced double quote"),
        ("name=in.(a", "unbalanced parentheses"),
        ("name=in.(" + ",".join(str(i) for i in range(101)) + ")", "at most 100"),
    ],
)
def test_parse_errors(text: str, message: str) -> None:
    with pytest.raises(FilterError, match=message.replace("(", r"\(").replace("%", "%")):
        parse_filter(text)


def test_validate_refuses_unknown_columns_and_bad_values() -> None:
    with pytest.raises(FilterError, match="invalid column for filter nope"):
        validate(parse_filter("nope=eq.1"), COLUMNS)
    with pytest.raises(FilterError, match="invalid input value for type int4"):
        validate(parse_filter("n=eq.abc"), COLUMNS)
    with pytest.raises(FilterError, match="invalid input value for type workspace_role"):
        validate(parse_filter("role=eq.owner"), COLUMNS)
    with pytest.raises(FilterError, match="_text columns are not supported"):
        validate(parse_filter("tags=eq.x"), COLUMNS)
    with pytest.raises(FilterError, match="jsonb columns are not supported"):
        validate(parse_filter("data=eq.x"), COLUMNS)


@pytest.mark.parametrize(
    ("text", "row", "expected"),
    [
        ("n=eq.5", {"n": 5}, True),
        ("n=eq.5", {"n": 6}, False),
        ("n=neq.5", {"n": 6}, True),
        ("n=lt.10", {"n": 9}, True),
        ("n=lt.10", {"n": 10}, False),
        ("n=lte.10", {"n": 10}, True),
        ("n=gt.9", {"n": 10}, True),  # numeric, not text: "10" < "9" as strings
        ("n=gte.10", {"n": 10}, True),
        ("n=gte.10", {"n": 9}, False),
        ("price=eq.1.50", {"price": 1.5}, True),
        ("n=in.(1,2,3)", {"n": 2}, True),
        ("n=in.(1,2,3)", {"n": 4}, False),
        ("name=eq.Ann", {"name": "Ann"}, True),
        ("name=eq.Ann", {"name": "ann"}, False),
        ("name=lt.b", {"name": "a"}, True),
        ("name=lt.B", {"name": "a"}, False),  # code point order (C collation)
        ('name=in.(x,"a,b")', {"name": "a,b"}, True),
        ("active=eq.true", {"active": True}, True),
        ("active=eq.f", {"active": True}, False),
        ("active=neq.false", {"active": True}, True),
        ("at=gt.2026-01-01T00:00:00Z", {"at": "2026-06-01T12:00:00.123456+00:00"}, True),
        ("at=lt.2026-06-01 13:00:00+01", {"at": "2026-06-01T12:00:00+00:00"}, False),
        ("at=eq.2026-06-01T12:00:00", {"at": "2026-06-01T12:00:00+00:00"}, True),
        ("day=lte.2026-01-31", {"day": "2026-01-31"}, True),
        ("role=lt.agent", {"role": "admin"}, True),  # enum declaration order
        ("role=gt.admin", {"role": "agent"}, True),
        ("id=eq.ABCDEF00-0000-0000-0000-000000000001", {"id": "abcdef00-0000-0000-0000-000000000001"}, True),
        ("n=eq.1,name=eq.x", {"n": 1, "name": "x"}, True),
        ("n=eq.1,name=eq.x", {"n": 1, "name": "y"}, False),
    ],
)
def test_typed_matching(text: str, row: dict[str, object], expected: bool) -> None:
    assert match(text, row) is expected


def test_null_and_missing_columns_never_match() -> None:
    assert match("name=neq.x", {"name": None}) is False
    assert match("name=neq.x", {}) is False
    assert matches((), {}, COLUMNS) is True
