"""The call summary: what the caller wanted, what the AI answered and from
which sources, what stayed unanswered and how the call ended. Written when a
call ends (calls.summary) and when the AI hands it to a person (the context
packet).

"local" is extractive and deterministic: it quotes the caller and names the
sources. "openai" asks a chat model for a few sentences and falls back to the
local summary on any error.

The transcript alone says what was asked and said; the turn records (when
given) say exactly which questions the knowledge base answered and from which
passages. Without them, an AI reply that says it has no answer marks the
question as unanswered."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from callcenter.calls.agent_settings import AgentSettings
from callcenter.calls.analysis.chat import ChatCompletionError, ChatCompletions
from callcenter.calls.handoff import HandoffReason, TranscriptLine
from callcenter.calls.intents import Act, read_utterance
from callcenter.calls.records import MAX_SUMMARY, TurnRecord
from callcenter.settings import Settings

log = logging.getLogger(__name__)

MAX_QUOTED = 3
MAX_QUOTE_CHARS = 160
MAX_SOURCES = 5

# How the AI says it has no answer (the grounded responder and the usual LLM phrasings).
_NO_ANSWER = re.compile(
    r"\b(?:(?:don'?t|do\s+not)\s+(?:have|know|see)|(?:couldn'?t|could\s+not|can'?t|cannot|wasn'?t\s+able\s+to"
    r"|was\s+not\s+able\s+to|unable\s+to)\s+(?:find|answer|help\s+with)|no\s+information|not\s+sure"
    r"|(?:isn'?t|is\s+not|wasn'?t)\s+in\s+(?:the|my|our)\s+knowledge|nothing\s+(?:about|on)\s+that)\b",
    re.IGNORECASE,
)

_REASONS = {
    HandoffReason.REQUESTED_PERSON: "the caller asked for a person",
    HandoffReason.UNANSWERED_QUESTIONS: "questions went unanswered",
    HandoffReason.NEGATIVE_SENTIMENT: "the caller was upset",
    HandoffReason.NEEDS_ACCOUNT_ACCESS: "the request needs someone with account access",
}


@runtime_checkable
class CallSummarizer(Protocol):
    async def summarize(
        self,
        transcript: Sequence[TranscriptLine],
        settings: AgentSettings,
        *,
        turns: Sequence[TurnRecord] = (),
        handoff_reason: HandoffReason | None = None,
    ) -> str: ...


@dataclass(frozen=True)
class _Question:
    text: str
    answered: bool | None
    sources: tuple[str, ...]


def _quote(text: str) -> str:
    text = " ".join(text.split())
    if len(text) > MAX_QUOTE_CHARS:
        text = text[: MAX_QUOTE_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return f"\u201c{text}\u201d"


def _quotes(texts: Sequence[str]) -> str:
    quoted = [_quote(text) for text in texts[:MAX_QUOTED]]
    more = len(texts) - len(quoted)
    if more > 0:
        quoted.append(f"{more} more")
    if len(quoted) == 1:
        return quoted[0]
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _is_content(text: str) -> bool:
    reading = read_utterance(text)
    return bool(reading.content_words)


def _questions_from_turns(turns: Sequence[TurnRecord]) -> list[_Question]:
    latest: dict[int, TurnRecord] = {}
    for turn in turns:
        latest[turn.turn_index] = turn
    questions = []
    for turn in sorted(latest.values(), key=lambda t: t.turn_index):
        if turn.answered is None and not _is_content(turn.user_text):
            continue
        sources = tuple(dict.fromkeys(k.citation for k in turn.knowledge_used if k.citation))
        questions.append(_Question(turn.user_text, turn.answered, sources))
    return questions


def _questions_from_transcript(transcript: Sequence[TranscriptLine]) -> list[_Question]:
    questions = []
    for index, line in enumerate(transcript):
        if line.speaker != "customer" or not _is_content(line.text):
            continue
        reply = next((later for later in transcript[index + 1 :] if later.speaker != "customer"), None)
        answered = None if reply is None else not _NO_ANSWER.search(reply.text)
        questions.append(_Question(line.text, answered, ()))
    return questions


class LocalCallSummarizer:
    async def summarize(
        self,
        transcript: Sequence[TranscriptLine],
        settings: AgentSettings,
        *,
        turns: Sequence[TurnRecord] = (),
        handoff_reason: HandoffReason | None = None,
    ) -> str:
        return summarize_locally(transcript, settings, turns=turns, handoff_reason=handoff_reason)


def summarize_locally(
    transcript: Sequence[TranscriptLine],
    settings: AgentSettings,
    *,
    turns: Sequence[TurnRecord] = (),
    handoff_reason: HandoffReason | None = None,
) -> str:
    agent = settings.agent_name or "The AI"
    caller_lines = [line.text for line in transcript if line.speaker == "customer" and line.text.strip()]
    if not caller_lines and not turns:
        return "The caller did not say anything."
    questions = _questions_from_turns(turns) if turns else _questions_from_transcript(transcript)
    sentences: list[str] = []

    asked = [q.text for q in questions]
    sentences.append(
        f"The caller wanted help with {_quotes(asked)}." if asked else "The caller did not ask a question."
    )

    answered = [q for q in questions if q.answered]
    if answered:
        sources = list(dict.fromkeys(source for q in answered for source in q.sources))
        count = "the question" if len(questions) == 1 else f"{len(answered)} of {len(questions)} questions"
        if sources:
            listed = "; ".join(sources[:MAX_SOURCES]) + (
                f" and {len(sources) - MAX_SOURCES} more" if len(sources) > MAX_SOURCES else ""
            )
            sentences.append(f"{agent} answered {count} from the knowledge base ({listed}).")
        else:
            sentences.append(f"{agent} answered {count}.")
    unanswered = [q.text for q in questions if q.answered is False]
    if unanswered:
        sentences.append(f"{agent} could not answer {_quotes(unanswered)}.")

    sentences.append(_ending(transcript, caller_lines, handoff_reason))
    return " ".join(sentences)[:MAX_SUMMARY]


def _ending(transcript: Sequence[TranscriptLine], caller_lines: Sequence[str], reason: HandoffReason | None) -> str:
    if reason is not None:
        return f"The call was handed to a person because {_REASONS[reason]}."
    if any(line.speaker == "human" for line in transcript):
        return "A person from the team joined the call."
    if any(Act.REQUEST_PERSON in read_utterance(text).acts for text in caller_lines):
        return "The caller asked to speak to a person."
    if not caller_lines:
        return "The caller said nothing more."
    last = read_utterance(caller_lines[-1]).acts
    if Act.GOODBYE in last:
        return "The caller said goodbye."
    if Act.THANKS in last:
        return "The caller thanked the agent at the end."
    return f"The caller's last words were {_quote(caller_lines[-1])}."


# ---------------------------------------------------------------- OpenAI

SYSTEM_PROMPT = """You write the summary of a customer's phone call with {agent}, the AI voice agent of {workspace}, \
for the support team. In at most four plain sentences say: what the caller wanted; what the AI answered \
and from which sources (name them as given); what stayed unanswered (quote the question); how the call ended. \
Use only what the transcript says. No greeting, no bullet points."""

_SPEAKERS = {"customer": "Caller", "ai": "{agent} (AI)", "human": "Team member"}


def _transcript_text(
    transcript: Sequence[TranscriptLine], agent: str, turns: Sequence[TurnRecord], reason: HandoffReason | None
) -> str:
    lines = [f"{_SPEAKERS[line.speaker].format(agent=agent)}: {line.text}" for line in transcript]
    notes = []
    for question in _questions_from_turns(turns):
        state = {True: "answered", False: "NOT answered", None: "not a question"}[question.answered]
        sources = f" from {'; '.join(question.sources)}" if question.sources else ""
        notes.append(f"- {_quote(question.text)}: {state}{sources}")
    text = "Transcript:\n" + "\n".join(lines)
    if notes:
        text += "\n\nKnowledge base lookups:\n" + "\n".join(notes)
    if reason is not None:
        text += f"\n\nThe AI handed the call to a person because {_REASONS[reason]}."
    return text


class OpenAICallSummarizer:
    def __init__(self, chat: ChatCompletions, fallback: CallSummarizer | None = None) -> None:
        self._chat = chat
        self._fallback = fallback or LocalCallSummarizer()

    async def summarize(
        self,
        transcript: Sequence[TranscriptLine],
        settings: AgentSettings,
        *,
        turns: Sequence[TurnRecord] = (),
        handoff_reason: HandoffReason | None = None,
    ) -> str:
        if not transcript:
            return await self._fallback.summarize(transcript, settings, turns=turns, handoff_reason=handoff_reason)
        agent = settings.agent_name or "the AI"
        try:
            content = await self._chat.complete(
                [
                    {
                        "role": "system",
                        "content": SYSTEM_PROMPT.format(agent=agent, workspace=settings.workspace_name or "a business"),
                    },
                    {"role": "user", "content": _transcript_text(transcript, agent, turns, handoff_reason)},
                ],
                max_tokens=400,
            )
        except ChatCompletionError as error:
            log.warning("call summary: OpenAI failed (%s); summarizing offline", error)
            return await self._fallback.summarize(transcript, settings, turns=turns, handoff_reason=handoff_reason)
        return content.strip()[:MAX_SUMMARY]


def _local(settings: Settings) -> CallSummarizer:
    return LocalCallSummarizer()


def _openai(settings: Settings) -> CallSummarizer:
    # Read by people, after the call or at the handoff: it may take a little longer than the live analysis.
    return OpenAICallSummarizer(ChatCompletions.from_settings(settings, timeout=15.0))


SUMMARIZERS: dict[str, Callable[[Settings], CallSummarizer]] = {"local": _local, "openai": _openai}


def build_call_summarizer(settings: Settings) -> CallSummarizer:
    """Keyed by the same choice as the live analysis (`resolved_call_analysis_provider`)."""
    provider = settings.resolved_call_analysis_provider
    try:
        factory = SUMMARIZERS[provider]
    except KeyError:
        known = ", ".join(sorted(SUMMARIZERS))
        raise ValueError(f"Unknown call summary provider {provider!r} (known: {known})") from None
    return factory(settings)
