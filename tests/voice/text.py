"""Matching what whisper heard against what was expected.

Case and punctuation do not matter, and whisper writes numbers as digits ("9")
where piper said words ("nine"), so an expected word may list alternatives:
"9|nine".

Whisper tiny on a busy CPU also mishears a letter or splits a word now and then
("cart" for "card", "lock or" for "locker"). A word of four letters or more
therefore matches one edit away (two from eight letters), spaces ignored.
Numbers and short words must match exactly: they carry the facts the tests
check, and one edit turns "sam" into "san" or "72" into "73".
"""

from __future__ import annotations

import re


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower().replace("'", ""))


def allowed_edits(expected: str) -> int:
    if any(char.isdigit() for char in expected) or len(expected) < 4:
        return 0
    return 1 if len(expected) < 8 else 2


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


def matches_option(heard: list[str], option: str) -> bool:
    wanted = words(option)
    if not wanted:
        return False
    target = "".join(wanted)
    limit = allowed_edits(target)
    if limit == 0:
        return f" {' '.join(wanted)} " in f" {' '.join(heard)} "
    # A run of heard words with one more or one fewer word than expected covers a split or a merge.
    for start in range(len(heard)):
        for size in range(max(1, len(wanted) - 1), len(wanted) + 2):
            run = heard[start : start + size]
            if len(run) == size and edit_distance("".join(run), target) <= limit:
                return True
    return False


def contains(text: str, expected: str) -> bool:
    heard = words(text)
    return any(matches_option(heard, option) for option in expected.split("|"))


def contains_all(text: str, expected: list[str]) -> bool:
    return all(contains(text, item) for item in expected)


def missing(text: str, expected: list[str]) -> list[str]:
    return [item for item in expected if not contains(text, item)]
