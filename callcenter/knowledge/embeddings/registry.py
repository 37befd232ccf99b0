"""The one place that maps configuration to an embedder."""

from __future__ import annotations

from collections.abc import Callable

from callcenter.knowledge.embeddings.base import Embedder
from callcenter.settings import Settings, get_settings


def _local(settings: Settings) -> Embedder:
    # Imported here: onnxruntime is needed only where the local model runs.
    from callcenter.knowledge.embeddings.local import MiniLmEmbedder

    return MiniLmEmbedder.from_settings(settings)


def _openai(settings: Settings) -> Embedder:
    from callcenter.knowledge.embeddings.openai import OpenAIEmbedder

    return OpenAIEmbedder.from_settings(settings)


PROVIDERS: dict[str, Callable[[Settings], Embedder]] = {
    "local": _local,
    "openai": _openai,
}

_CONFIG_FIELDS = {
    "embedding_provider", "embedding_batch_size", "embedding_local_threads", "embedding_local_model_path",
    "embedding_local_tokenizer_path", "openai_api_key", "openai_base_url", "openai_embedding_model",
    "openai_timeout_seconds", "openai_max_retries",
}
_cache: dict[str, Embedder] = {}


def build_embedder(settings: Settings) -> Embedder:
    """A new embedder for `settings` (tests; most code wants `get_embedder`)."""
    try:
        factory = PROVIDERS[settings.embedding_provider]
    except KeyError:
        known = ", ".join(sorted(PROVIDERS))
        raise ValueError(f"Unknown embedding provider {settings.embedding_provider!r} (known: {known})") from None
    return factory(settings)


def get_embedder(settings: Settings | None = None) -> Embedder:
    """The process's embedder for this configuration, built once (the local model loads lazily on first use)."""
    settings = settings or get_settings()
    key = settings.model_dump_json(include=_CONFIG_FIELDS)
    embedder = _cache.get(key)
    if embedder is None:
        embedder = _cache[key] = build_embedder(settings)
    return embedder
