"""AWS: Amazon Transcribe (streaming) and Amazon Polly through
livekit-plugins-aws, with the OpenAI-compatible chat model as the brain
(`openai_base_url`; the grounded responder when it fails). Credentials come
from the task role (or the usual AWS environment variables)."""

from __future__ import annotations

from typing import Any

from livekit.agents import stt, tts
from livekit.plugins import aws

from agent_container.providers.base import DEFAULT_VOICE, SharedModels, VoiceProviders
from agent_container.providers.offline import local_turn_detector
from agent_container.providers.openai import chat_llm
from callcenter.calls.agent_settings import AgentSettings

# Transcribe wants a full locale; a bare language gets its most common one.
_DEFAULT_LOCALES = {
    "en": "en-US", "es": "es-US", "fr": "fr-FR", "de": "de-DE", "it": "it-IT", "pt": "pt-BR", "nl": "nl-NL",
    "ja": "ja-JP", "ko": "ko-KR", "zh": "zh-CN", "hi": "hi-IN", "ar": "ar-SA",
}  # fmt: skip


def transcribe_locale(language: str) -> str:
    if "-" in language:
        primary, region = language.split("-", 1)
        return f"{primary.lower()}-{region.upper()}"
    return _DEFAULT_LOCALES.get(language.lower(), "en-US")


def build(models: SharedModels, agent: AgentSettings) -> VoiceProviders:
    settings = models.settings
    locale = transcribe_locale(agent.language)
    voice = aws.tts.DEFAULT_VOICE if agent.voice == DEFAULT_VOICE else agent.voice
    fallback_stt: list[stt.STT[Any]] = [aws.STT(region=settings.aws_region, language=locale)]
    fallback_tts: list[tts.TTS[Any]] = [aws.TTS(region=settings.aws_region, speech_engine="neural", voice=voice)]
    if locale.startswith("en"):
        fallback_stt.append(models.offline_stt("en"))
        fallback_tts.append(models.offline_tts())
    vad = models.vad()
    return VoiceProviders(
        name="aws",
        llm=chat_llm(settings, models),
        stt=stt.FallbackAdapter(fallback_stt, vad=vad),
        tts=tts.FallbackAdapter(fallback_tts),
        vad=vad,
        turn_detection=local_turn_detector(),
        answer_finder=models.answer_finder(),
    )
