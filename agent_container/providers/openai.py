"""OpenAI: transcription, chat completions and text-to-speech through
livekit-plugins-openai, or the Realtime speech-to-speech model. The chat
model is reached through `openai_base_url`, so any OpenAI-compatible server
(vLLM, Ollama, LM Studio...) works. Each hosted model falls back to its
offline counterpart when it errors or times out, so a call never goes silent.

The plugin's own timeouts are long for a phone call (30 s of read timeout per
speech request, retries with pauses between them), so each hosted speech model
runs under a deadline here, without retries: an error or silence gives way to
the offline model at once. Speech-to-text falls back per utterance (the same
recorded utterance goes to whisper), so the caller's words are not lost when
the hosted transcription fails."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from livekit.agents import APITimeoutError, llm, stt, tts, utils, vad
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, NOT_GIVEN, APIConnectOptions, NotGivenOr
from livekit.plugins import openai

from agent_container.providers.base import DEFAULT_VOICE, SharedModels, VoiceProviders
from agent_container.providers.offline import local_turn_detector
from callcenter.calls.agent_settings import AgentSettings
from callcenter.settings import Settings

# A hosted LLM that has not produced its first token by then gives way to the grounded responder.
LLM_ATTEMPT_TIMEOUT_SECONDS = 6.0
# A hosted transcription of one utterance, or the next piece of hosted speech, that takes longer gives way to
# the offline model (typical: well under a second).
SPEECH_ATTEMPT_TIMEOUT_SECONDS = 5.0


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


class DeadlineSTT(stt.STT[Any]):
    """A non-streaming STT whose recognition of one utterance must finish within `deadline` seconds."""

    def __init__(self, inner: stt.STT[Any], *, deadline: float = SPEECH_ATTEMPT_TIMEOUT_SECONDS) -> None:
        super().__init__(capabilities=inner.capabilities)
        self._inner = inner
        self._deadline = deadline

    @property
    def model(self) -> str:
        return self._inner.model

    @property
    def provider(self) -> str:
        return self._inner.provider

    async def _recognize_impl(
        self, buffer: utils.AudioBuffer, *, language: NotGivenOr[str] = NOT_GIVEN, conn_options: APIConnectOptions
    ) -> stt.SpeechEvent:
        try:
            return await asyncio.wait_for(
                self._inner.recognize(buffer, language=language, conn_options=conn_options), self._deadline
            )
        except TimeoutError:
            raise APITimeoutError(f"{self._inner.label} did not transcribe within {self._deadline:.0f}s") from None

    async def aclose(self) -> None:
        await self._inner.aclose()


class DeadlineTTS(tts.TTS[Any]):
    """A non-streaming TTS whose first audio, and each next piece, must arrive within `deadline` seconds."""

    def __init__(self, inner: tts.TTS[Any], *, deadline: float = SPEECH_ATTEMPT_TIMEOUT_SECONDS) -> None:
        super().__init__(
            capabilities=tts.TTSCapabilities(streaming=False),
            sample_rate=inner.sample_rate,
            num_channels=inner.num_channels,
        )
        self._inner = inner
        self._deadline = deadline

    @property
    def model(self) -> str:
        return self._inner.model

    @property
    def provider(self) -> str:
        return self._inner.provider

    def synthesize(
        self, text: str, *, conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS
    ) -> tts.ChunkedStream:
        return _DeadlineStream(tts=self, input_text=text, conn_options=conn_options)

    def prewarm(self) -> None:
        self._inner.prewarm()

    async def aclose(self) -> None:
        await self._inner.aclose()


class _DeadlineStream(tts.ChunkedStream):
    def __init__(self, *, tts: DeadlineTTS, input_text: str, conn_options: APIConnectOptions) -> None:
        super().__init__(tts=tts, input_text=input_text, conn_options=conn_options)
        self._deadline_tts = tts

    async def _run(self, output_emitter: tts.AudioEmitter) -> None:
        outer = self._deadline_tts
        inner = outer._inner
        output_emitter.initialize(
            request_id=utils.shortuuid(), sample_rate=inner.sample_rate, num_channels=inner.num_channels,
            mime_type="audio/pcm",
        )  # fmt: skip
        # Retries are the fallback adapter's business (the next TTS), not a second wait on this one.
        attempt = dataclasses.replace(self._conn_options, max_retry=0)
        async with inner.synthesize(self.input_text, conn_options=attempt) as stream:
            audio = stream.__aiter__()
            while True:
                try:
                    piece = await asyncio.wait_for(audio.__anext__(), outer._deadline)
                except StopAsyncIteration:
                    break
                except TimeoutError:
                    raise APITimeoutError(f"{inner.label} did not speak within {outer._deadline:.0f}s") from None
                output_emitter.push(piece.frame.data.tobytes())
        output_emitter.flush()


def speech_to_text(hosted: stt.STT[Any], offline: stt.STT[Any] | None, vad: vad.VAD) -> stt.STT[Any]:
    """The hosted STT with the offline one behind it, falling back per utterance: the VAD cuts the caller's
    speech into utterances first, and an utterance the hosted model fails on is transcribed offline (a fallback
    between streams would drop the utterance that was in flight)."""
    models: list[stt.STT[Any]] = [DeadlineSTT(hosted)]
    if offline is not None:
        models.append(offline)
    fallback = stt.FallbackAdapter(models, vad=vad, max_retry_per_stt=0)
    return stt.StreamAdapter(stt=fallback, vad=vad)


def text_to_speech(hosted: tts.TTS[Any], offline: tts.TTS[Any] | None) -> tts.TTS[Any]:
    """The hosted TTS with the offline one behind it; an error or silence from the hosted one moves on at once."""
    models: list[tts.TTS[Any]] = [DeadlineTTS(hosted)]
    if offline is not None:
        models.append(offline)
    return tts.FallbackAdapter(models, max_retry_per_tts=0)


def transcription(models: SharedModels, agent: AgentSettings) -> stt.STT[Any]:
    """OpenAI's transcription endpoint for the agent's language, whisper behind it for English."""
    settings = models.settings
    language = agent.language.split("-", 1)[0]
    hosted = openai.STT(
        model=settings.openai_stt_model,
        language=language,
        api_key=settings.openai_api_key,
        base_url=settings.openai_base_url,
    )
    english = language == "en"  # the offline models speak English only
    return speech_to_text(hosted, models.offline_stt("en") if english else None, models.vad())


def speech(
    models: SharedModels, agent: AgentSettings, *, default_voice: str = openai.tts.DEFAULT_VOICE
) -> tts.TTS[Any]:
    """OpenAI's speech endpoint in the agent's voice, piper behind it for English."""
    settings = models.settings
    hosted = openai.TTS(
        model=settings.openai_tts_model,
        voice=default_voice if agent.voice == DEFAULT_VOICE else agent.voice,
        api_key=settings.openai_api_key,
        base_url=settings.openai_base_url,
    )
    english = agent.language.split("-", 1)[0] == "en"  # the offline models speak English only
    return text_to_speech(hosted, models.offline_tts() if english else None)


def build(models: SharedModels, agent: AgentSettings) -> VoiceProviders:
    settings = models.settings
    return VoiceProviders(
        name="openai",
        llm=chat_llm(settings, models),
        stt=transcription(models, agent),
        tts=speech(models, agent),
        vad=models.vad(),
        turn_detection=local_turn_detector(),
        answer_finder=models.answer_finder(),
    )


def build_realtime(models: SharedModels, agent: AgentSettings) -> VoiceProviders:
    settings = models.settings
    default_voice = openai.realtime.realtime_model.DEFAULT_VOICE
    model = openai.realtime.RealtimeModel(
        model=settings.openai_realtime_model,
        voice=default_voice if agent.voice == DEFAULT_VOICE else agent.voice,
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
        # The model answers in its own voice; the lines the agent says as written (the greeting, the handoff
        # lines) need a TTS: OpenAI's Realtime API has no "say this text".
        tts=speech(models, agent, default_voice=default_voice),  # the same voice as the model's
        vad=models.vad(),
        turn_detection=local_turn_detector(),
        answer_finder=models.answer_finder(),
        # The model hears the caller itself; a person who joins is transcribed by the transcription endpoint.
        human_stt=transcription(models, agent),
    )
