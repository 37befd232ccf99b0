"""Analysis by an OpenAI model with structured output: the response is a JSON
object whose intent and topic can only be the workspace's own labels (a JSON
schema with enums, `strict`). On any failure or timeout the turn is analyzed
offline instead, so the live view never waits on, or breaks with, the API."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from callcenter.calls.agent_settings import AgentSettings
from callcenter.calls.analysis.base import CallAnalyzer, TurnAnalysis, clamp_score
from callcenter.calls.analysis.chat import ChatCompletionError, ChatCompletions, parse_json_object

log = logging.getLogger(__name__)

# The caller's earlier utterances sent along for context.
HISTORY_TURNS = 6

SYSTEM_PROMPT = """You analyze one turn of a customer's phone call to {workspace} for a live dashboard.
Classify the customer's latest utterance, reading earlier utterances only for context:
- intent: what the customer wants, one of the allowed intent labels;
- topic: what the call is about, one of the allowed topic labels;
- sentiment_label and sentiment_score: how the customer feels right now, from -1 (very negative) \
to 1 (very positive); neutral is about 0."""


def analysis_schema(settings: AgentSettings) -> dict[str, Any]:
    return {
        "type": "json_schema",
        "json_schema": {
            "name": "turn_analysis",
            "strict": True,
            "schema": {
                "type": "object",
                "properties": {
                    "intent": {"type": "string", "enum": list(settings.intent_labels)},
                    "topic": {"type": "string", "enum": list(settings.topic_labels)},
                    "sentiment_label": {"type": "string", "enum": ["negative", "neutral", "positive"]},
                    "sentiment_score": {"type": "number", "minimum": -1, "maximum": 1},
                },
                "required": ["intent", "topic", "sentiment_label", "sentiment_score"],
                "additionalProperties": False,
            },
        },
    }


class OpenAICallAnalyzer:
    def __init__(self, chat: ChatCompletions, fallback: CallAnalyzer) -> None:
        self._chat = chat
        self._fallback = fallback

    async def analyze(self, utterance: str, history: Sequence[str], settings: AgentSettings) -> TurnAnalysis:
        try:
            return await self._analyze(utterance, history, settings)
        except ChatCompletionError as error:
            log.warning("call analysis: OpenAI failed (%s); analyzing offline", error)
            return await self._fallback.analyze(utterance, history, settings)

    async def _analyze(self, utterance: str, history: Sequence[str], settings: AgentSettings) -> TurnAnalysis:
        earlier = list(history)[-HISTORY_TURNS:]
        user = json.dumps({"earlier_utterances": earlier, "latest_utterance": utterance}, ensure_ascii=False)
        content = await self._chat.complete(
            [
                {"role": "system", "content": SYSTEM_PROMPT.format(workspace=settings.workspace_name or "a business")},
                {"role": "user", "content": user},
            ],
            response_format=analysis_schema(settings),
            max_tokens=200,
        )
        data = parse_json_object(content)
        # A compatible server may not enforce the schema: check what `strict` promises.
        if data.get("intent") not in settings.intent_labels or data.get("topic") not in settings.topic_labels:
            raise ChatCompletionError(f"labels outside the workspace's lists: {data!r}")
        try:
            data["sentiment_score"] = clamp_score(float(data["sentiment_score"]))
            return TurnAnalysis.model_validate(data)
        except (KeyError, TypeError, ValueError, ValidationError) as error:
            raise ChatCompletionError(f"structured output does not match the schema: {data!r}") from error
