"""How the agent hands the passages it retrieved for a caller turn to the LLM.

Retrieval runs as soon as the caller's turn ends; the passages go into the
turn's chat context as one system message, right after the caller's message:
a short instruction any LLM can follow, a marker line, then the passages as
JSON. Hosted LLMs read it as text; the grounded responder parses the JSON
after the marker. The message lives only in that turn's context, so passages
never pile up in the conversation history."""

from __future__ import annotations

import json
from collections.abc import Sequence

from livekit.agents import llm
from pydantic import BaseModel, ValidationError

MARKER = "[callcenter knowledge brief v1]"
_EXTRA_KEY = "callcenter_knowledge_brief"

GUIDANCE = (
    "Knowledge base passages for the caller's latest message follow (JSON after the marker line). "
    "Answer only from these passages, in one to three short spoken sentences, without URLs, lists or "
    "formatting. If they do not answer the question, say plainly that you don't have information on that "
    "and offer to connect the caller with a person."
)


class BriefPassage(BaseModel):
    title: str
    content: str


class KnowledgeBrief(BaseModel):
    question: str
    passages: list[BriefPassage]
    # Whether the workspace hands a call to a person when the caller asks for one.
    handoff_on_request: bool = True

    def to_text(self) -> str:
        return f"{GUIDANCE}\n{MARKER}\n{self.model_dump_json()}"

    def to_message(self) -> llm.ChatMessage:
        return llm.ChatMessage(role="system", content=[self.to_text()], extra={_EXTRA_KEY: True})

    @classmethod
    def from_text(cls, text: str) -> KnowledgeBrief | None:
        _, found, payload = text.partition(MARKER)
        if not found:
            return None
        try:
            return cls.model_validate(json.loads(payload))
        except (ValueError, ValidationError):
            return None


def _is_brief(item: llm.ChatItem) -> bool:
    return isinstance(item, llm.ChatMessage) and item.role == "system" and MARKER in (item.text_content or "")


def latest_user_message(chat_ctx: llm.ChatContext) -> llm.ChatMessage | None:
    for item in reversed(chat_ctx.items):
        if isinstance(item, llm.ChatMessage) and item.role == "user":
            return item
    return None


def brief_for_latest_turn(chat_ctx: llm.ChatContext) -> KnowledgeBrief | None:
    """The brief given for the caller's latest message (one placed before it belongs to an older turn)."""
    items: Sequence[llm.ChatItem] = chat_ctx.items
    for item in reversed(items):
        if isinstance(item, llm.ChatMessage) and item.role == "user":
            return None
        if _is_brief(item):
            assert isinstance(item, llm.ChatMessage)
            return KnowledgeBrief.from_text(item.text_content or "")
    return None


def has_brief_for_latest_turn(chat_ctx: llm.ChatContext) -> bool:
    return any(_is_brief(item) for item in _after_latest_user_message(chat_ctx))


def _after_latest_user_message(chat_ctx: llm.ChatContext) -> list[llm.ChatItem]:
    items = list(chat_ctx.items)
    for index in range(len(items) - 1, -1, -1):
        item = items[index]
        if isinstance(item, llm.ChatMessage) and item.role == "user":
            return items[index + 1 :]
    return []


def without_briefs(chat_ctx: llm.ChatContext) -> llm.ChatContext:
    """A copy without any brief (e.g. before handing the context to a provider that keeps history)."""
    return llm.ChatContext([item for item in chat_ctx.items if not _is_brief(item)])
