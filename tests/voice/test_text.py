"""The tolerant matcher the voice tests use for what whisper heard."""

from __future__ import annotations

import pytest

from tests.voice.text import contains, edit_distance, missing


@pytest.mark.parametrize(
    ("heard", "expected"),
    [
        ("When do you refund the rival in my cart?", "card"),
        ("Is it in the lock or?", "locker"),
        ("The parcellocker is free", "parcel locker"),
        ("Refunds take 9 days.", "9|nine"),
        ("It's Green Valley!", "green valley"),
        ("Replacment parts", "replacement"),
    ],
)
def test_matches_what_whisper_tiny_gets_nearly_right(heard: str, expected: str) -> None:
    assert contains(heard, expected)


@pytest.mark.parametrize(
    ("heard", "expected"),
    [
        ("Refunds take 73 hours.", "72"),
        ("This is San.", "sam"),
        ("Thanks for holding.", "reached"),
        ("I can help with that.", "green valley"),
        ("", "card"),
    ],
)
def test_numbers_short_words_and_other_words_do_not_match(heard: str, expected: str) -> None:
    assert not contains(heard, expected)


def test_missing_lists_only_what_was_not_heard() -> None:
    assert missing("Your refund arrives on your cart in five days", ["refund", "card", "9|nine"]) == ["9|nine"]


def test_edit_distance() -> None:
    assert edit_distance("card", "cart") == 1
    assert edit_distance("locker", "lockor") == 1
    assert edit_distance("", "abc") == 3
