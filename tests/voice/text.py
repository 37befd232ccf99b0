"""Matching what whisper heard against what was expected: case and punctuation
do not matter, and whisper writes numbers as digits ("9") where piper said
words ("nine"), so an expected word may list alternatives: "9|nine"."""

from __future__ import annotations

import re


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower().replace("'", ""))


def contains(text: str, expected: str) -> bool:
    heard = " " + " ".join(words(text)) + " "
    return any(f" {' '.join(words(option))} " in heard for option in expected.split("|"))


def contains_all(text: str, expected: list[str]) -> bool:
    return all(contains(text, item) for item in expected)


def missing(text: str, expected: list[str]) -> list[str]:
    return [item for item in expected if not contains(text, item)]
