"""OpenAI Chat Completions (`POST {base_url}/chat/completions`) through httpx,
for the call analysis and the call summary. Any OpenAI-compatible server works
through the base URL; an empty API key sends no Authorization header (local
servers such as vLLM or Ollama need none).

No retries here: both callers fall back to their offline implementation
instead, so a slow or failing provider never holds up a call."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import httpx

from callcenter.settings import Settings

# Live analysis runs after every caller turn: a slower answer is worth less than the offline one.
DEFAULT_TIMEOUT_SECONDS = 10.0


class ChatCompletionError(Exception):
    """The chat completion failed or said nothing usable."""


class ChatCompletions:
    def __init__(self, api_key: str, *, base_url: str, model: str, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        self._api_key = api_key
        self._url = f"{base_url.rstrip('/')}/chat/completions"
        self.model = model
        self._timeout = timeout

    @classmethod
    def from_settings(cls, settings: Settings, *, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> ChatCompletions:
        return cls(
            settings.openai_api_key,
            base_url=settings.openai_base_url,
            model=settings.openai_analysis_model,
            timeout=min(timeout, settings.openai_timeout_seconds),
        )

    async def complete(
        self,
        messages: Sequence[dict[str, str]],
        *,
        response_format: dict[str, Any] | None = None,
        max_tokens: int | None = None,
    ) -> str:
        """The assistant message's content. Raises ChatCompletionError on any failure,
        a refusal, an empty answer or one cut short by the token limit."""
        # No temperature: reasoning models accept only the default.
        body: dict[str, Any] = {"model": self.model, "messages": list(messages)}
        if response_format is not None:
            body["response_format"] = response_format
        if max_tokens is not None:
            body["max_completion_tokens"] = max_tokens
        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        timeout = httpx.Timeout(self._timeout, connect=min(self._timeout, 5.0))
        try:
            async with httpx.AsyncClient(timeout=timeout) as client:
                response = await client.post(self._url, json=body, headers=headers)
        except httpx.HTTPError as error:
            raise ChatCompletionError(f"chat completion request failed: {error!r}") from error
        if response.status_code != 200:
            raise ChatCompletionError(f"chat completion returned {response.status_code}: {_api_message(response)}")
        try:
            choice = response.json()["choices"][0]
            message = choice["message"]
        except (ValueError, KeyError, IndexError, TypeError) as error:
            raise ChatCompletionError("chat completion response has no choices[0].message") from error
        if message.get("refusal"):
            raise ChatCompletionError(f"the model refused: {message['refusal']}")
        if choice.get("finish_reason") not in (None, "stop"):
            raise ChatCompletionError(f"chat completion stopped early ({choice.get('finish_reason')})")
        content = message.get("content")
        if not isinstance(content, str) or not content.strip():
            raise ChatCompletionError("chat completion returned no content")
        return content


def _api_message(response: httpx.Response) -> str:
    try:
        return str(response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return response.text[:200]


def parse_json_object(content: str) -> dict[str, Any]:
    try:
        value = json.loads(content)
    except ValueError as error:
        raise ChatCompletionError("structured output is not JSON") from error
    if not isinstance(value, dict):
        raise ChatCompletionError("structured output is not a JSON object")
    return value
