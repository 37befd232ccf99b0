"""The offline speech plugins on real audio: piper speaks, whisper listens."""

from __future__ import annotations

import re
import time

import numpy as np
import pytest
from livekit import rtc

from agent_container.plugins.faster_whisper_stt import FasterWhisperSTT
from agent_container.plugins.piper_tts import PiperTTS
from agent_container.providers import SharedModels

SENTENCES = "Refunds are issued within five business days. Express shipping arrives the next business day."


def words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def overlap(expected: str, heard: str) -> float:
    expected_words, heard_words = words(expected), set(words(heard))
    return sum(word in heard_words for word in expected_words) / len(expected_words)


@pytest.fixture(scope="module")
def tts(models: SharedModels) -> PiperTTS:
    return models.offline_tts()


@pytest.fixture(scope="module")
def stt(models: SharedModels) -> FasterWhisperSTT:
    return models.offline_stt("en")


async def speak(tts: PiperTTS, text: str) -> list[rtc.AudioFrame]:
    frames = []
    async with tts.synthesize(text) as stream:
        async for audio in stream:
            frames.append(audio.frame)
    return frames


async def test_piper_speaks_and_whisper_hears_it(tts: PiperTTS, stt: FasterWhisperSTT) -> None:
    frames = await speak(tts, SENTENCES)
    assert {frame.sample_rate for frame in frames} == {22050} and {frame.num_channels for frame in frames} == {1}
    seconds = sum(frame.samples_per_channel for frame in frames) / 22050
    assert 3 < seconds < 12
    event = await stt.recognize(frames)
    heard = event.alternatives[0].text
    assert overlap(SENTENCES, heard) >= 0.8, heard
    assert event.alternatives[0].confidence > 0.3


async def test_whisper_hears_phone_quality_audio(tts: PiperTTS, stt: FasterWhisperSTT) -> None:
    """A SIP caller arrives at 8 kHz: resampled for whisper, still understood."""
    question = "When is your support team available on weekends?"
    frames = await speak(tts, question)
    resampler = rtc.AudioResampler(22050, 8000, num_channels=1)
    narrowband = [out for frame in frames for out in resampler.push(frame)] + list(resampler.flush())
    heard = (await stt.recognize(narrowband)).alternatives[0].text
    assert overlap(question, heard) >= 0.8, heard


async def test_piper_streams_a_text_sentence_by_sentence(tts: PiperTTS) -> None:
    """The first sentence plays while the others are still being synthesized."""
    text = " ".join([SENTENCES] * 3)
    started = time.perf_counter()
    first: float | None = None
    async with tts.synthesize(text) as stream:
        async for _ in stream:
            first = first if first is not None else time.perf_counter() - started
    total = time.perf_counter() - started
    assert first is not None and first < 0.5 * total, (first, total)


async def test_silence_and_noise_are_not_words(stt: FasterWhisperSTT) -> None:
    silence = rtc.AudioFrame(b"\0\0" * 16000 * 2, 16000, 1, 16000 * 2)
    assert (await stt.recognize(silence)).alternatives[0].text == ""
    too_short = rtc.AudioFrame(b"\0\0" * 800, 16000, 1, 800)
    assert (await stt.recognize(too_short)).alternatives[0].text == ""
    rng = np.random.default_rng(7)
    hiss = (rng.normal(0, 300, 16000 * 2)).astype(np.int16)
    heard = (await stt.recognize(rtc.AudioFrame(hiss.tobytes(), 16000, 1, len(hiss)))).alternatives[0].text
    assert len(words(heard)) <= 2, heard
