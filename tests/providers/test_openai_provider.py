"""The production `openai` provider (agent_container/providers/openai.py over
livekit-plugins-openai) against a loopback fake of OpenAI's documented HTTP
API: a caller turn is answered by the hosted chat model with the retrieved
passages in its request; speech goes through the hosted transcription and
speech endpoints. When the hosted service fails (HTTP 500) or stops answering
(a hang longer than the timeout), each model gives way to its offline
counterpart within a bounded time: the caller is understood, answered from
the knowledge base, and hears the answer."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import numpy as np
import pytest
from livekit import rtc
from livekit.agents import stt, tts
from livekit.plugins.openai.realtime import realtime_model

from agent_container.copilot import recognizer_for
from agent_container.providers import PROVIDERS, SharedModels, VoiceProviders
from agent_container.providers.openai import LLM_ATTEMPT_TIMEOUT_SECONDS
from callcenter.calls.agent_settings import AgentSettings
from callcenter.settings import Settings
from tests.fakes.openai_server import API_KEY, SPEECH_RATE, Mode, Script
from tests.providers.conftest import TextCallFactory

QUESTION = "How long do refunds take?"
# Words of the knowledge base's answer (the grounded responder quotes the passage).
GROUNDED_FACT = "5 business days"
# A hosted model that errors must give way at once: no noticeable dead air.
ERROR_BOUND_S = 3.0
# A hosted model that does not answer at all gives way within this (the caller hears nothing meanwhile).
HANG_BOUND_S = LLM_ATTEMPT_TIMEOUT_SECONDS + 3.0


def reply_text(result: Any) -> str:
    message = result.expect.next_event(type="message").event().item
    assert message.role == "assistant", message
    return str(message.text_content or "")


def chat_messages(script: Script) -> str:
    requests = script.received("/v1/chat/completions")
    assert requests, "the hosted chat model was never asked"
    return json.dumps(requests[-1].body["messages"])


async def test_the_hosted_llm_answers_with_the_retrieved_passages(
    text_call: TextCallFactory, script: Script, settings: Settings
) -> None:
    script.reply = "Your refund reaches the original card within five business days of the return arriving."
    async with text_call() as call:
        result = await asyncio.wait_for(call.session.run(user_input=QUESTION), 20)
    assert reply_text(result) == script.reply
    request = script.received("/v1/chat/completions")[-1]
    assert request.auth == f"Bearer {API_KEY}"
    assert request.body["model"] == settings.openai_llm_model and request.body["stream"] is True
    sent = chat_messages(script)
    # Grounding reaches the hosted model: the caller's question and the knowledge base's passage.
    assert QUESTION in sent and GROUNDED_FACT in sent, sent
    assert "Opening hours" not in sent or "Refunds" in sent


@pytest.mark.parametrize("mode", ["error", "hang"])
async def test_a_failing_hosted_llm_gives_way_to_the_grounded_responder(
    text_call: TextCallFactory, script: Script, mode: Mode
) -> None:
    async with text_call() as call:
        script.mode = mode
        started = time.monotonic()
        result = await asyncio.wait_for(call.session.run(user_input=QUESTION), 30)
        elapsed = time.monotonic() - started
    text = reply_text(result)
    print(f"\n  hosted LLM {mode}: grounded reply after {elapsed:.2f} s: {text!r}")
    assert GROUNDED_FACT in text, text
    assert script.received("/v1/chat/completions"), "the hosted model was not tried first"
    assert elapsed < (ERROR_BOUND_S if mode == "error" else HANG_BOUND_S), elapsed


# ---------------------------------------------------------------- speech in


def spoken(models: SharedModels, text: str, trailing_silence: float = 1.5) -> list[rtc.AudioFrame]:
    """Piper speech as 20 ms frames, then silence so the VAD sees the utterance end."""
    voice = models.piper_voice()
    chunks = list(voice.synthesize(text))
    rate = int(chunks[0].sample_rate)
    samples = np.concatenate([chunk.audio_int16_array for chunk in chunks]).astype(np.int16)
    samples = np.concatenate([np.zeros(rate // 2, np.int16), samples, np.zeros(int(rate * trailing_silence), np.int16)])
    step = rate // 50
    return [
        rtc.AudioFrame(samples[i : i + step].tobytes(), rate, 1, samples[i : i + step].size)
        for i in range(0, samples.size - step + 1, step)
    ]


async def transcribe_stream(adapter: stt.STT[Any], frames: list[rtc.AudioFrame], within: float) -> list[str]:
    """What the session's speech path (the provider's STT stream) finally transcribes from the frames."""
    finals: list[str] = []
    stream = adapter.stream()

    async def feed() -> None:
        for frame in frames:
            stream.push_frame(frame)
            await asyncio.sleep(0)  # let the stream work meanwhile, like a live microphone
        stream.end_input()

    async def read() -> None:
        async for event in stream:
            if event.type == stt.SpeechEventType.FINAL_TRANSCRIPT and event.alternatives[0].text.strip():
                finals.append(event.alternatives[0].text.strip())

    feeding = asyncio.ensure_future(feed())
    try:
        await asyncio.wait_for(read(), within)
    finally:
        feeding.cancel()
        await stream.aclose()
    return finals


async def test_the_hosted_transcription_hears_the_caller(
    providers: VoiceProviders, models: SharedModels, script: Script, settings: Settings
) -> None:
    assert providers.stt is not None
    script.transcript = "When does the store open on Saturdays?"
    finals = await transcribe_stream(providers.stt, spoken(models, QUESTION), within=30)
    assert finals == [script.transcript], finals
    request = script.received("/v1/audio/transcriptions")[-1]
    assert request.body["model"] == settings.openai_stt_model
    audio = request.body["file"]["content"]
    assert audio[:4] == b"RIFF" and audio[8:12] == b"WAVE" and len(audio) > 16_000, len(audio)


async def test_with_the_realtime_model_a_person_who_joins_is_transcribed_by_the_hosted_endpoint(
    models: SharedModels, agent_settings: AgentSettings, script: Script, settings: Settings
) -> None:
    """The speech-to-speech model hears only the caller; the copilot transcribes the human agent's microphone
    through the transcription endpoint (whisper behind it)."""
    realtime = PROVIDERS["openai_realtime"](models, agent_settings)
    assert realtime.stt is None
    recognizer = recognizer_for(realtime)
    assert recognizer is not None
    script.transcript = "Your replacement parts ship from our Denver office."
    finals = await transcribe_stream(recognizer, spoken(models, "Your replacement parts ship from Denver."), within=30)
    assert finals == [script.transcript], finals
    assert script.received("/v1/audio/transcriptions")[-1].body["model"] == settings.openai_stt_model


@pytest.mark.parametrize("mode", ["error", "hang"])
async def test_a_failing_hosted_transcription_gives_way_to_whisper(
    providers: VoiceProviders, models: SharedModels, script: Script, mode: Mode
) -> None:
    assert providers.stt is not None
    frames = spoken(models, QUESTION)
    script.mode = mode
    started = time.monotonic()
    finals = await transcribe_stream(providers.stt, frames, within=60)
    elapsed = time.monotonic() - started
    print(f"\n  hosted STT {mode}: {finals!r} after {elapsed:.2f} s")
    # The caller's words are not lost: the same utterance is transcribed offline.
    assert any("refund" in text.lower() for text in finals), finals
    assert script.received("/v1/audio/transcriptions"), "the hosted transcription was not tried first"
    assert elapsed < HANG_BOUND_S + 3.0, elapsed


# ---------------------------------------------------------------- speech out


async def synthesize(adapter: tts.TTS[Any], text: str, within: float) -> tuple[float, float, int]:
    """(seconds of audio, seconds until the first audio, sample rate) of what the caller would hear."""
    started = time.monotonic()
    first: float | None = None
    seconds = 0.0
    rate = 0

    async def collect() -> None:
        nonlocal first, seconds, rate
        async with adapter.synthesize(text) as stream:
            async for audio in stream:
                if first is None:
                    first = time.monotonic() - started
                seconds += audio.frame.samples_per_channel / audio.frame.sample_rate
                rate = audio.frame.sample_rate

    await asyncio.wait_for(collect(), within)
    assert first is not None, "no audio"
    return seconds, first, rate


async def test_the_hosted_voice_speaks_the_reply(providers: VoiceProviders, script: Script, settings: Settings) -> None:
    assert providers.tts is not None
    script.speech_seconds = 0.8
    seconds, first, _ = await synthesize(providers.tts, "Refunds take five business days.", within=20)
    request = script.received("/v1/audio/speech")[-1]
    assert request.body["input"] == "Refunds take five business days."
    assert request.body["model"] == settings.openai_tts_model
    print(
        f"\n  hosted TTS ({request.body.get('response_format')}, {request.body.get('stream_format')}): "
        f"{seconds:.2f} s of audio, first after {first:.2f} s"
    )
    # The fake's audio (its tone, decoded from the requested format), not piper's.
    assert abs(seconds - script.speech_seconds) < 0.15, seconds
    assert providers.tts.sample_rate >= SPEECH_RATE


async def test_with_the_realtime_model_the_lines_said_as_written_are_spoken_in_the_models_voice(
    models: SharedModels, agent_settings: AgentSettings, script: Script, settings: Settings
) -> None:
    """The greeting and the handoff lines go through session.say(), which OpenAI's Realtime API cannot do:
    the bundle speaks them through the speech endpoint, in the realtime model's voice."""
    realtime = PROVIDERS["openai_realtime"](models, agent_settings)
    assert realtime.tts is not None and agent_settings.voice == "default"
    script.speech_seconds = 0.8
    seconds, _, _ = await synthesize(realtime.tts, "Thanks for calling, how can I help?", within=20)
    request = script.received("/v1/audio/speech")[-1]
    assert request.body["input"] == "Thanks for calling, how can I help?"
    assert request.body["voice"] == realtime_model.DEFAULT_VOICE
    assert abs(seconds - script.speech_seconds) < 0.15, seconds


@pytest.mark.parametrize("mode", ["error", "hang"])
async def test_a_failing_hosted_voice_gives_way_to_piper(providers: VoiceProviders, script: Script, mode: Mode) -> None:
    assert providers.tts is not None
    script.mode = mode
    text = "Refunds are issued to the original payment method within five business days."
    seconds, first, _ = await synthesize(providers.tts, text, within=60)
    print(f"\n  hosted TTS {mode}: piper's {seconds:.2f} s of audio, first after {first:.2f} s")
    assert script.received("/v1/audio/speech"), "the hosted voice was not tried first"
    assert seconds > 2.0, seconds  # the whole sentence, spoken
    assert first < (ERROR_BOUND_S if mode == "error" else HANG_BOUND_S), first
