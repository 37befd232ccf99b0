"""What a call's AgentSession is built from, whatever the provider."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from livekit.agents import llm, stt, tts, vad
from livekit.agents.voice.turn import TurnDetectionMode

from agent_container.grounding import AnswerFinder
from agent_container.plugins.faster_whisper_stt import FasterWhisperSTT, load_whisper_model
from agent_container.plugins.grounded_llm import GroundedLLM
from agent_container.plugins.piper_tts import PiperTTS, load_piper_voice
from callcenter.knowledge.embeddings import Embedder, get_embedder
from callcenter.settings import Settings

DEFAULT_VOICE = "default"
# Named outside VoiceProviders, whose `stt` field hides the module there.
SpeechToText = stt.STT[Any]


@dataclass
class VoiceProviders:
    """The models one call talks with. `llm` is a RealtimeModel for speech-to-speech providers: then `stt` is
    None (the model hears the caller itself) and `tts` only speaks the lines said as written (the greeting,
    the handoff lines); the model speaks its answers itself."""

    name: str
    llm: llm.LLM[Any] | llm.RealtimeModel
    stt: stt.STT[Any] | None
    tts: tts.TTS[Any] | None
    vad: vad.VAD
    turn_detection: TurnDetectionMode | None
    # Decides whether the retrieved passages answer the caller (shared with the grounded responder).
    answer_finder: AnswerFinder
    # Transcribes a voice the session does not listen to (the human agent's microphone while the AI is the
    # copilot), when it differs from `stt`: speech-to-speech providers have no `stt` of their own.
    human_stt: SpeechToText | None = None

    def recognizer_for_humans(self) -> SpeechToText | None:
        return self.human_stt if self.human_stt is not None else self.stt


class SharedModels:
    """The heavy local models, loaded once per worker process and shared by every call it runs:
    silero VAD, whisper, the piper voice, the embedder. Each loads on first use; `prewarm()`
    loads them all up front (the worker's setup function) so the first call is not slower."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._vad: vad.VAD | None = None
        self._whisper: Any = None
        self._piper: Any = None
        self._finder: AnswerFinder | None = None

    @property
    def settings(self) -> Settings:
        return self._settings

    def vad(self) -> vad.VAD:
        with self._lock:
            if self._vad is None:
                from livekit.plugins import silero

                self._vad = silero.VAD.load()
            return self._vad

    def whisper_model(self) -> Any:
        with self._lock:
            if self._whisper is None:
                self._whisper = load_whisper_model(self._settings)
            return self._whisper

    def piper_voice(self) -> Any:
        with self._lock:
            if self._piper is None:
                self._piper = load_piper_voice()
            return self._piper

    def embedder(self) -> Embedder:
        return get_embedder(self._settings)

    def answer_finder(self) -> AnswerFinder:
        with self._lock:
            if self._finder is None:
                self._finder = AnswerFinder(self.embedder())
            return self._finder

    def offline_stt(self, language: str) -> FasterWhisperSTT:
        return FasterWhisperSTT(self.whisper_model(), language=language)

    def offline_tts(self) -> PiperTTS:
        return PiperTTS(self.piper_voice())

    def grounded_llm(self) -> GroundedLLM:
        return GroundedLLM(self.answer_finder())

    def prewarm(self) -> None:
        self.vad()
        self.whisper_model()
        self.piper_voice()
        warm_up = getattr(self.embedder(), "warm_up", None)
        if callable(warm_up):
            warm_up()
