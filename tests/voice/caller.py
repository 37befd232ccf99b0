"""A synthetic caller: a LiveKit participant with a microphone fed from piper
speech and ears that record every other participant's audio with arrival
times, so tests can ask "when did the agent start / stop talking, and what
did it say".

The microphone always runs, like a real one: between utterances it sends
silence at real-time pace, so the agent's VAD sees speech end. Times are
`time.monotonic()` seconds in this process. An utterance's start and end are
the moments its first and last samples leave the audio source's queue
(capture time + what was queued ahead of it), within one 10 ms frame."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from livekit import rtc

from tests.voice.speech import LISTEN_RATE, PUBLISH_RATE, Samples, Voice

FRAME_MS = 10
PUBLISH_FRAME = PUBLISH_RATE * FRAME_MS // 1000
# A short source queue: captured audio is sent at once (the default 1 s would delay speech behind silence).
SOURCE_QUEUE_MS = 50
# RMS (int16) above which a 10 ms frame counts as speech: about -40 dBFS; decoded Opus silence is near 0.
SPEECH_RMS = 330.0
# Pauses shorter than this inside speech (between words, between sentences) do not end it.
SPEECH_GAP_S = 0.6


@dataclass(frozen=True)
class Utterance:
    text: str
    started_at: float
    ended_at: float

    @property
    def duration(self) -> float:
        return self.ended_at - self.started_at


@dataclass(frozen=True)
class Span:
    start: float
    end: float


@dataclass
class Recording:
    """Audio heard from one remote participant: 10 ms frames at 16 kHz with their arrival times."""

    identity: str
    times: list[float] = field(default_factory=list)
    frames: list[Samples] = field(default_factory=list)
    levels: list[float] = field(default_factory=list)

    def add(self, at: float, samples: Samples) -> None:
        self.times.append(at)
        self.frames.append(samples)
        self.levels.append(float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) if samples.size else 0.0)

    def speech_spans(self, since: float = 0.0, until: float = float("inf"), gap: float = SPEECH_GAP_S) -> list[Span]:
        """Stretches of speech (loud frames, pauses under `gap` bridged) heard within [since, until)."""
        spans: list[Span] = []
        start: float | None = None
        last_loud = 0.0
        for at, level in zip(self.times, self.levels, strict=True):
            if at < since or at >= until:
                continue
            if level < SPEECH_RMS:
                continue
            # A frame's time is its arrival, i.e. the end of its 10 ms.
            frame_start = at - FRAME_MS / 1000
            if start is not None and frame_start - last_loud > gap:
                spans.append(Span(start, last_loud))
                start = None
            if start is None:
                start = frame_start
            last_loud = at
        if start is not None:
            spans.append(Span(start, last_loud))
        return spans

    def first_speech_after(self, since: float) -> float | None:
        for at, level in zip(self.times, self.levels, strict=True):
            if at >= since and level >= SPEECH_RMS:
                return at - FRAME_MS / 1000
        return None

    def last_speech_before(self, until: float) -> float | None:
        found: float | None = None
        for at, level in zip(self.times, self.levels, strict=True):
            if at >= until:
                break
            if level >= SPEECH_RMS:
                found = at
        return found

    def audio(self, since: float = 0.0, until: float = float("inf")) -> Samples:
        chosen = [frame for at, frame in zip(self.times, self.frames, strict=True) if since <= at < until]
        return np.concatenate(chosen).astype(np.int16) if chosen else np.zeros(0, dtype=np.int16)

    @property
    def last_frame_at(self) -> float:
        return self.times[-1] if self.times else 0.0


class SyntheticCaller:
    def __init__(self, url: str, token: str, voice: Voice, *, identity: str) -> None:
        self.url = url
        self.token = token
        self.voice = voice
        self.identity = identity
        self.room = rtc.Room()
        self.heard: dict[str, Recording] = {}
        self.agent_identity: str | None = None
        self._source = rtc.AudioSource(PUBLISH_RATE, 1, queue_size_ms=SOURCE_QUEUE_MS)
        self._pending: list[tuple[Samples, asyncio.Future[Utterance], str]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._heard_something = asyncio.Event()
        self._closed = False

    # ------------------------------------------------------------ joining

    async def join(self) -> None:
        self.room.on("track_subscribed", self._on_track_subscribed)
        await self.room.connect(self.url, self.token, rtc.RoomOptions(auto_subscribe=True))
        track = rtc.LocalAudioTrack.create_audio_track("microphone", self._source)
        await self.room.local_participant.publish_track(
            track, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
        )
        self._spawn(self._microphone())

    async def leave(self) -> None:
        if self._closed:
            return
        self._closed = True
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.room.disconnect()
        await self._source.aclose()

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _on_track_subscribed(
        self, track: rtc.Track, publication: rtc.RemoteTrackPublication, participant: rtc.RemoteParticipant
    ) -> None:
        if track.kind != rtc.TrackKind.KIND_AUDIO:
            return
        if participant.kind == rtc.ParticipantKind.PARTICIPANT_KIND_AGENT:
            self.agent_identity = participant.identity
        recording = self.heard.setdefault(participant.identity, Recording(participant.identity))
        self._spawn(self._listen(track, recording))

    async def _listen(self, track: rtc.Track, recording: Recording) -> None:
        stream = rtc.AudioStream.from_track(
            track=track, sample_rate=LISTEN_RATE, num_channels=1, frame_size_ms=FRAME_MS
        )
        try:
            async for event in stream:
                samples = np.frombuffer(event.frame.data, dtype=np.int16).copy()
                recording.add(time.monotonic(), samples)
                self._heard_something.set()
        finally:
            await stream.aclose()

    # ------------------------------------------------------------ speaking

    async def _microphone(self) -> None:
        silence = np.zeros(PUBLISH_FRAME, dtype=np.int16)
        while not self._closed:
            if not self._pending:
                await self._capture(silence)
                continue
            samples, done, text = self._pending[0]
            started_at: float | None = None
            for offset in range(0, samples.size, PUBLISH_FRAME):
                if done.cancelled():
                    break
                chunk = samples[offset : offset + PUBLISH_FRAME]
                if chunk.size < PUBLISH_FRAME:
                    chunk = np.concatenate([chunk, np.zeros(PUBLISH_FRAME - chunk.size, dtype=np.int16)])
                plays_at = await self._capture(chunk)
                if started_at is None:
                    started_at = plays_at - FRAME_MS / 1000
            ended_at = time.monotonic() + self._source.queued_duration
            self._pending.pop(0)
            if not done.done():
                done.set_result(Utterance(text, started_at or ended_at, ended_at))

    async def _capture(self, samples: Samples) -> float:
        """Queue one 10 ms frame; returns when its last sample will have left the queue."""
        frame = rtc.AudioFrame(samples.tobytes(), PUBLISH_RATE, 1, samples.size)
        await self._source.capture_frame(frame)
        return time.monotonic() + self._source.queued_duration

    async def prepare(self, text: str) -> Samples:
        """Synthesize ahead of time, so saying it starts at once."""
        return await self.voice.speak(text)

    def start_saying(self, text: str, samples: Samples | None = None) -> asyncio.Future[Utterance]:
        """Begin speaking (after anything already queued); the future resolves once it has been sent."""
        done: asyncio.Future[Utterance] = asyncio.get_running_loop().create_future()

        async def enqueue() -> None:
            audio = samples if samples is not None else await self.voice.speak(text)
            self._pending.append((audio, done, text))

        self._spawn(enqueue())
        return done

    async def say(self, text: str) -> Utterance:
        return await self.start_saying(text, await self.prepare(text))

    # ------------------------------------------------------------ listening

    def recording(self, identity: str | None = None) -> Recording:
        """What one participant (default: the agent) said. Empty until its audio track arrives."""
        who = identity or self.agent_identity
        if who is None:
            return Recording("nobody")
        return self.heard.setdefault(who, Recording(who))

    async def wait_for_agent(self, within: float) -> str:
        await _poll(lambda: self.agent_identity is not None, within, "the agent's audio track")
        assert self.agent_identity is not None
        return self.agent_identity

    async def wait_for_speech(self, since: float, within: float, identity: str | None = None) -> float:
        """When the participant started speaking at or after `since`."""
        found: list[float] = []

        def check() -> bool:
            at = self.recording(identity).first_speech_after(since)
            if at is not None:
                found.append(at)
            return at is not None

        await _poll(check, within, "speech")
        return found[0]

    async def wait_for_silence(
        self, since: float, within: float, quiet: float = 1.2, identity: str | None = None
    ) -> Span:
        """The first span of speech after `since`, once `quiet` seconds of silence have followed it."""
        found: list[Span] = []

        def check() -> bool:
            recording = self.recording(identity)
            spans = recording.speech_spans(since, gap=quiet)
            if spans and recording.last_frame_at - spans[0].end >= quiet:
                found.append(spans[0])
                return True
            return False

        await _poll(check, within, "the end of speech")
        return found[0]

    async def wait_until_quiet(self, quiet: float, within: float, identity: str | None = None) -> None:
        """Until the participant has said nothing for `quiet` seconds (frames keep arriving meanwhile)."""

        def check() -> bool:
            recording = self.recording(identity)
            last = recording.last_speech_before(float("inf")) or 0.0
            return bool(recording.times) and recording.last_frame_at - max(last, recording.times[0]) >= quiet

        await _poll(check, within, f"{quiet:.1f} s of quiet")

    async def wait_for_quiet_turn(
        self, since: float, within: float, quiet: float = 1.5, identity: str | None = None
    ) -> Span:
        """All speech from `since` until `quiet` seconds of silence: one whole spoken turn of several sentences."""
        found: list[Span] = []

        def check() -> bool:
            recording = self.recording(identity)
            spans = recording.speech_spans(since, gap=quiet)
            if spans and recording.last_frame_at - spans[-1].end >= quiet:
                found.append(Span(spans[0].start, spans[-1].end))
                return True
            return False

        await _poll(check, within, "a whole spoken turn")
        return found[0]


async def _poll(check: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if check():
            return
        await asyncio.sleep(0.02)
    raise TimeoutError(f"no {what} within {within:.0f}s")
