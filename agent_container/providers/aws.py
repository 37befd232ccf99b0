"""AWS: Amazon Transcribe (streaming) and Amazon Polly through
livekit-plugins-aws, with the OpenAI-compatible chat model as the brain
(`openai_base_url`; the grounded responder when it fails). Credentials come
from the task role (or the usual AWS environment variables)."""

from __future__ import annotations

import sys
from typing import Any

from livekit.agents import stt
from livekit.plugins import aws

from agent_container.providers.base import DEFAULT_VOICE, SharedModels, VoiceProviders
from agent_container.providers.offline import local_turn_detector
from agent_container.providers.openai import chat_llm, text_to_speech
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
    if sys.version_info < (3, 12):
        # livekit-plugins-aws streams to Transcribe through aws_sdk_transcribe_streaming, which needs 3.12.
        raise RuntimeError(
            "The aws voice provider needs Python 3.12 or newer (Amazon Transcribe's streaming SDK); "
            "the agent container image runs 3.12. Use VOICE_PROVIDER=offline or openai on this interpreter."
        )
    settings = models.settings
    locale = transcribe_locale(agent.language)
    voice = aws.tts.DEFAULT_VOICE if agent.voice == DEFAULT_VOICE else agent.voice
    english = locale.startswith("en")  # the offline models speak English only
    # Transcribe streams, so its fallback is between streams (whisper takes over from the next utterance).
    fallback_stt: list[stt.STT[Any]] = [aws.STT(region=settings.aws_region, language=locale)]
    if english:
        fallback_stt.append(models.offline_stt("en"))
    polly = aws.TTS(region=settings.aws_region, speech_engine="neural", voice=voice)
    vad = models.vad()
    return VoiceProviders(
        name="aws",
        llm=chat_llm(settings, models),
        stt=stt.FallbackAdapter(fallback_stt, vad=vad, max_retry_per_stt=0),
        tts=text_to_speech(polly, models.offline_tts() if english else None),
        vad=vad,
        turn_detection=local_turn_detector(),
        answer_finder=models.answer_finder(),
    )
