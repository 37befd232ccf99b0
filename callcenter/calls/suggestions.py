"""Copilot suggestions: what the AI, silent while a person has the call, offers
that person for the caller's latest question — what to say next, the steps to
resolve it and the knowledge base passages behind both.

The agent worker inserts them into public.copilot_suggestions on a service
connection (row level security lets only that person, and the workspace's
managers, read them); the console receives each one through Realtime.

The steps are read from the passage that answers the question: its list items
(numbered or bulleted) when it has some, otherwise its instructions (sentences
that start with a verb in the imperative, such as "Start a return from the
returns page.")."""

from __future__ import annotations

import json
import re
from uuid import UUID

import asyncpg
from pydantic import BaseModel, Field

from callcenter.calls.handoff import KnowledgeUsed

MAX_TEXT = 20000
MAX_STEPS = 8
MAX_STEP_CHARS = 300

_LIST_ITEM = re.compile(r"^\s*(?:\d{1,2}[.)]|[-*+\u2022])\s+(?P<text>\S.*)$")
_HEADING = re.compile(r"^\s*#{1,6}\s")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
_MARKDOWN_LINK = re.compile(r"!?\[([^\]]*)\]\(([^)]*)\)")
_EMPHASIS = re.compile(r"[*_`]+")
_SPACES = re.compile(r"\s+")
# "To start a return, go to ..." / "If it fails, restart ..." / "First, open ...": the instruction follows the comma.
_LEADING_CLAUSE = re.compile(r"^(?:to|if|when|once|after|before|for)\b[^,]{1,120},\s*", re.IGNORECASE)
_LEADING_WORD = re.compile(r"^(?:first|then|next|finally|afterwards|now|please|simply|just)\b,?\s*", re.IGNORECASE)

# Verbs help-center instructions start with. A sentence opening with one of these (after the optional lead-ins
# above) is an instruction to follow.
IMPERATIVE_VERBS = frozenset(
    """access activate add allow apply ask attach bring call cancel change check choose click close complete confirm
    connect contact copy create delete describe disable disconnect download drop email enable enter fill find follow
    forward give go hold include insert install keep leave let log make mark move navigate note open pack paste pay
    plug press print provide put reach read reboot register reinstall remove renew reply request reset restart
    restore return review save scan scroll search select send set share ship sign start submit swipe switch tap
    tell turn type unplug update upgrade upload use verify visit wait wipe write""".split()  # noqa: SIM905
)


class Suggestion(BaseModel):
    """One suggestion for the person who has the call."""

    call_id: UUID
    workspace_id: UUID
    for_user_id: UUID
    # The caller's words it answers.
    question: str
    # What the person could say next; None when the knowledge base has nothing that answers the question.
    say: str | None = None
    steps: list[str] = Field(default_factory=list)
    passages: list[KnowledgeUsed] = Field(default_factory=list)


def _plain(text: str) -> str:
    """Markdown made plain for the console: a link keeps its text and its address."""
    text = _MARKDOWN_LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})" if m.group(2) else m.group(1), text)
    text = _EMPHASIS.sub("", text)
    return _SPACES.sub(" ", text).strip()


def _clip_step(text: str) -> str:
    return text if len(text) <= MAX_STEP_CHARS else text[: MAX_STEP_CHARS - 1].rstrip() + "\u2026"


def _list_items(passage: str) -> list[str]:
    items: list[str] = []
    for line in passage.splitlines():
        match = _LIST_ITEM.match(line)
        if match:
            item = _plain(match.group("text"))
            if item:
                items.append(item)
        elif items and line.strip() and line.startswith((" ", "\t")):
            # A list item wrapped onto an indented continuation line.
            items[-1] = f"{items[-1]} {_plain(line)}"
    return items


def is_instruction(sentence: str) -> bool:
    """Whether a sentence tells the reader to do something ("Start a return from the returns page.")."""
    rest = _LEADING_CLAUSE.sub("", sentence.strip(), count=1)
    rest = _LEADING_WORD.sub("", rest, count=1)
    words = re.findall(r"[A-Za-z']+", rest)
    return bool(words) and words[0].lower() in IMPERATIVE_VERBS


def _sentences(passage: str) -> list[str]:
    prose = " ".join(
        line.strip() for line in passage.splitlines() if line.strip() and not _HEADING.match(line) and "|" not in line
    )
    return [_plain(sentence) for sentence in _SENTENCE_END.split(prose) if sentence.strip()]


def extract_steps(passage: str) -> list[str]:
    """The steps a passage gives to resolve something, in its order; [] when it gives none.

    A list of two or more items is taken as the steps (a procedure written as a list); otherwise the
    passage's instructions are."""
    items = _list_items(passage)
    if len(items) >= 2:
        return [_clip_step(item) for item in items[:MAX_STEPS]]
    without_list = "\n".join(line for line in passage.splitlines() if not _LIST_ITEM.match(line))
    steps = [sentence for sentence in _sentences(without_list) if is_instruction(sentence)]
    steps += [item for item in items if is_instruction(item)]
    return [_clip_step(step) for step in steps[:MAX_STEPS]]


async def insert_suggestion(conn: asyncpg.Connection, suggestion: Suggestion) -> UUID:
    """Store a suggestion (service connection: no user writes these)."""
    suggestion_id: UUID = await conn.fetchval(
        """insert into public.copilot_suggestions
             (call_id, workspace_id, for_user_id, question, say, steps, passages)
           values ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb)
           returning id""",
        suggestion.call_id,
        suggestion.workspace_id,
        suggestion.for_user_id,
        suggestion.question[:MAX_TEXT],
        suggestion.say[:MAX_TEXT] if suggestion.say is not None else None,
        json.dumps(suggestion.steps),
        json.dumps([passage.model_dump(mode="json") for passage in suggestion.passages]),
    )
    return suggestion_id
