"""The one place that maps configuration (`Settings.resolved_call_analysis_provider`) to an analyzer."""

from __future__ import annotations

from collections.abc import Callable

from callcenter.calls.analysis.base import CallAnalyzer
from callcenter.settings import Settings


def _local(settings: Settings) -> CallAnalyzer:
    from callcenter.calls.analysis.local import LocalCallAnalyzer
    from callcenter.knowledge.embeddings import get_embedder

    return LocalCallAnalyzer(get_embedder(settings))


def _openai(settings: Settings) -> CallAnalyzer:
    from callcenter.calls.analysis.chat import ChatCompletions
    from callcenter.calls.analysis.openai import OpenAICallAnalyzer

    return OpenAICallAnalyzer(ChatCompletions.from_settings(settings), fallback=_local(settings))


ANALYZERS: dict[str, Callable[[Settings], CallAnalyzer]] = {
    "local": _local,
    "openai": _openai,
}


def build_call_analyzer(settings: Settings) -> CallAnalyzer:
    provider = settings.resolved_call_analysis_provider
    try:
        factory = ANALYZERS[provider]
    except KeyError:
        known = ", ".join(sorted(ANALYZERS))
        raise ValueError(f"Unknown call analysis provider {provider!r} (known: {known})") from None
    return factory(settings)
