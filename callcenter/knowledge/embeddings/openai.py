"""OpenAI embeddings (`POST {base_url}/embeddings`) through httpx.

Retries rate limits, server errors, timeouts and dropped connections with
exponential backoff (honouring Retry-After); anything else is reported with
the API's own message. Any OpenAI-compatible server works through base_url."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from typing import Any

import httpx

from callcenter.knowledge.embeddings.base import EmbeddingError, batches
from callcenter.settings import Settings

# Dimensions of the models this deployment has indexes for (knowledge_embedding_models).
KNOWN_DIMENSIONS = {"text-embedding-3-small": 1536}
RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})
# The API accepts up to 2048 inputs per request; smaller requests retry cheaper.
MAX_BATCH = 256


class OpenAIEmbedder:
    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = "https://api.openai.com/v1",
        model: str = "text-embedding-3-small",
        dimensions: int | None = None,
        timeout: float = 30.0,
        max_retries: int = 4,
        batch_size: int = 128,
        backoff_base: float = 0.5,
    ) -> None:
        if model not in KNOWN_DIMENSIONS and dimensions is None:
            raise ValueError(f"Unknown dimensions for embedding model {model!r}")
        self._api_key = api_key
        self._base_url = base_url.rstrip("/")
        self._model = model
        self._dimensions = dimensions or KNOWN_DIMENSIONS[model]
        self._timeout = timeout
        self._max_retries = max_retries
        self._batch_size = min(max(1, batch_size), MAX_BATCH)
        self._backoff_base = backoff_base

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIEmbedder:
        return cls(
            settings.openai_api_key,
            base_url=settings.openai_base_url,
            model=settings.openai_embedding_model,
            timeout=settings.openai_timeout_seconds,
            max_retries=settings.openai_max_retries,
            batch_size=max(settings.embedding_batch_size, 64),
        )

    @property
    def model_name(self) -> str:
        return self._model

    @property
    def dimensions(self) -> int:
        return self._dimensions

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        if not self._api_key:
            raise EmbeddingError("OpenAI embeddings are selected but no OpenAI API key is configured.")
        vectors: list[list[float]] = []
        timeout = httpx.Timeout(self._timeout, connect=min(self._timeout, 10.0))
        async with httpx.AsyncClient(timeout=timeout) as client:
            for batch in batches(texts, self._batch_size):
                # The API refuses empty strings; a lone space embeds as "nothing".
                inputs = [text if text.strip() else " " for text in batch]
                vectors.extend(await self._request(client, inputs))
        return vectors

    async def _request(self, client: httpx.AsyncClient, inputs: list[str]) -> list[list[float]]:
        body = {"model": self._model, "input": inputs, "encoding_format": "float"}
        headers = {"Authorization": f"Bearer {self._api_key}"}
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await client.post(f"{self._base_url}/embeddings", json=body, headers=headers)
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as error:
                if attempt > self._max_retries:
                    raise EmbeddingError(
                        "The embedding service did not answer. Try again in a few minutes.", retryable=True
                    ) from error
                await asyncio.sleep(self._delay(attempt, None))
                continue
            if response.status_code == 200:
                return self._vectors(response, len(inputs))
            if response.status_code in RETRYABLE_STATUS and attempt <= self._max_retries:
                await asyncio.sleep(self._delay(attempt, response.headers.get("retry-after")))
                continue
            raise _error(response)

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        if retry_after:
            try:
                return min(float(retry_after), 60.0)
            except ValueError:
                pass
        return float(self._backoff_base * 2 ** (attempt - 1) * (1 + random.random() / 4))

    def _vectors(self, response: httpx.Response, expected: int) -> list[list[float]]:
        try:
            payload: dict[str, Any] = response.json()
            items = sorted(payload["data"], key=lambda item: int(item["index"]))
            vectors = [[float(x) for x in item["embedding"]] for item in items]
        except (ValueError, KeyError, TypeError) as error:
            raise EmbeddingError("The embedding service sent an answer that could not be read.") from error
        if len(vectors) != expected or any(len(v) != self._dimensions for v in vectors):
            raise EmbeddingError(
                f"The embedding service returned {len(vectors)} vectors of the wrong shape "
                f"(expected {expected} of {self._dimensions} dimensions)."
            )
        return vectors


def _error(response: httpx.Response) -> EmbeddingError:
    detail = ""
    try:
        error = response.json().get("error") or {}
        detail = str(error.get("message") or "")
    except (ValueError, AttributeError):
        detail = response.text[:200]
    retryable = response.status_code in RETRYABLE_STATUS
    if response.status_code == 401:
        summary = "The OpenAI API key was refused"
    elif response.status_code == 429:
        summary = "The embedding service is rate limiting or out of quota"
    elif retryable:
        summary = "The embedding service is having trouble"
    else:
        summary = f"The embedding service refused the request ({response.status_code})"
    return EmbeddingError(f"{summary}: {detail}" if detail else f"{summary}.", retryable=retryable)
