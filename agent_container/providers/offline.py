"""Offline: whisper tiny.en (faster-whisper), the grounded responder, piper,
silero VAD and LiveKit's end-of-turn model run locally — no keys, no network.
The default when no provider keys are configured."""

from __future__ import annotations

from livekit.agents import inference

from agent_container.providers.base import SharedModels, VoiceProviders
from callcenter.calls.agent_settings import AgentSettings


def local_turn_detector() -> inference.TurnDetector:
    # "v1-mini" runs in process (livekit-local-inference); without a version, dev mode would pick the cloud model.
    return inference.TurnDetector(version="v1-mini")


def build(models: SharedModels, agent: AgentSettings) -> VoiceProviders:
    # whisper tiny.en and the joe voice speak English only; "default" and "joe" are the one voice there is.
    return VoiceProviders(
        name="offline",
        llm=models.grounded_llm(),
        stt=models.offline_stt("en"),
        tts=models.offline_tts(),
        vad=models.vad(),
        turn_detection=local_turn_detector(),
        answer_finder=models.answer_finder(),
    )
