"""OpenAI: transcription, chat completions and text-to-speech through
livekit-plugins-openai, or the Realtime speech-to-speech model. The chat
model is reached through `openai_base_url`, so any OpenAI-compatible server
(vLLM, Ollama, LM Studio...) works. Each hosted model falls back to its
offline counterpart when it errors or times out, so a call never goes silent."""

from __future__ import annotations

from typing import Any

from livekit.agents import llm, stt, tts
from livekit.plugins import openai

from agent_container.providers.base import DEFAULT_VOICE, SharedModels, VoiceProviders
from agent_container.providers.offline import local_turn_detector
from callcenter.calls.agent_settings import AgentSettings
from callcenter.settings import Settings

# A hosted LLM that has not produced its first token by then gives way to the grounded responder.
LLM_ATTEMPT_TIMEOUT_SECONDS = 6.0


def chat_llm(settings: Settings, models: SharedModels) -> llm.LLM[Any]:
    """The OpenAI-compatible chat model, with the grounded responder as the last resort."""
    hosted = openai.LLM(
        model=settings.openai_llm_model,
        api_key=settings.openai_api_key or "unused",
        base_url=settings.openai_base_url,
        temperature=0.2,
        max_retries=0,
    )
    return llm.FallbackAdapter([hosted, models.grounded_llm()], attempt_timeout=LLM_ATTEMPT_TIMEOUT_SECONDS)


def build(models: SharedModels, agent: AgentSettings) -> VoiceProviders:
    settings = models.settings
    language = agent.language.split("-", 1)[0]
    hosted_stt = openai.STT(
        model=settings.openai_stt_model,
        language=language,
        api_key=settings.openai_api_key,
        base_url=settings.openai_base_url,
    )
    hosted_tts = openai.TTS(
        model=settings.openai_tts_model,
        voice=openai.tts.DEFAULT_VOICE if agent.voice == DEFAULT_VOICE else agent.voice,
        api_key=settings.openai_api_key,
        base_url=settings.openai_base_url,
    )
    fallback_stt: list[stt.STT[Any]] = [hosted_stt]
    fallback_tts: list[tts.TTS[Any]] = [hosted_tts]
    if language == "en":  # the offline models speak English only
        fallback_stt.append(models.offline_stt("en"))
        fallback_tts.append(models.offline_tts())
    vad = models.vad()
    return VoiceProviders(
        name="openai",
        llm=chat_llm(settings, models),
        stt=stt.FallbackAdapter(fallback_stt, vad=vad),
        tts=tts.FallbackAdapter(fallback_tts),
        vad=vad,
        turn_detection=local_turn_detector(),
        answer_finder=models.answer_finder(),
    )


def build_realtime(models: SharedModels, agent: AgentSettings) -> VoiceProviders:
    settings = models.settings
    model = openai.realtime.RealtimeModel(
        model=settings.openai_realtime_model,
        voice=openai.realtime.realtime_model.DEFAULT_VOICE if agent.voice == DEFAULT_VOICE else agent.voice,
        api_key=settings.openai_api_key,
        base_url=settings.openai_base_url,
        # Turns are decided here (VAD + the end-of-turn model), so the agent retrieves knowledge
        # for each turn before the model answers it.
        turn_detection=None,
    )
    return VoiceProviders(
        name="openai_realtime",
        llm=model,
        stt=None,
        tts=None,
        vad=models.vad(),
        turn_detection=local_turn_detector(),
        answer_finder=models.answer_finder(),
    )
