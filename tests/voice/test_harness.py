"""The synthetic caller proven against livekit-server alone, before any agent
is involved: two participants in one room hear each other, the speech
arrives within a fraction of a second with its length intact, whisper
transcribes what was heard, and silence is heard as silence."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from callcenter.settings import Settings
from tests.voice import calls, speech
from tests.voice.caller import SyntheticCaller
from tests.voice.text import contains_all

pytestmark = pytest.mark.slow

ALICE_SAYS = "Our store opens at nine in the morning and closes at six in the evening."
BOB_SAYS = "Please send the replacement parts to my office in Denver."


@pytest.fixture
async def pair(
    settings: Settings, livekit_server: str, voice: speech.Voice
) -> AsyncIterator[tuple[SyntheticCaller, SyntheticCaller]]:
    room = f"harness-{uuid.uuid4().hex[:12]}"
    await calls.create_room(settings, room)
    alice = SyntheticCaller(livekit_server, calls.caller_token(settings, room, "alice"), voice, identity="alice")
    bob = SyntheticCaller(livekit_server, calls.caller_token(settings, room, "bob"), voice, identity="bob")
    await alice.join()
    await bob.join()
    try:
        yield alice, bob
    finally:
        await alice.leave()
        await bob.leave()
        await calls.delete_room(settings, room)


async def test_two_participants_hear_each_other_and_whisper_understands(
    pair: tuple[SyntheticCaller, SyntheticCaller], transcriber: speech.Transcriber
) -> None:
    alice, bob = pair
    for speaker, listener, text, words in (
        (alice, bob, ALICE_SAYS, ["store", "9|nine", "morning", "6|six", "evening"]),
        (bob, alice, BOB_SAYS, ["replacement", "parts", "office", "denver"]),
    ):
        said = await speaker.say(text)
        heard = await listener.wait_for_silence(said.started_at - 0.5, within=15, identity=speaker.identity)
        onset_delay = heard.start - said.started_at
        # Loopback WebRTC: the first syllable arrives within the jitter buffer's delay.
        assert 0 <= onset_delay < 0.5, onset_delay
        # The whole utterance arrived, not a fragment (piper's trailing quiet is not counted as speech).
        assert abs((heard.end - heard.start) - said.duration) < 0.5, (heard, said)
        recording = listener.recording(speaker.identity)
        text_heard = await transcriber.transcribe(recording.audio(heard.start - 0.2, heard.end + 0.3))
        assert contains_all(text_heard, words), text_heard


async def test_silence_is_heard_as_silence(pair: tuple[SyntheticCaller, SyntheticCaller]) -> None:
    alice, bob = pair
    said = await alice.say("Just one short sentence.")
    await bob.wait_for_silence(said.started_at - 0.5, within=15, identity="alice")
    recording = bob.recording("alice")
    quiet_from = said.ended_at + 0.5
    # Two seconds of the caller's microphone sending silence: frames keep arriving, none of them loud.
    await asyncio.sleep(2.0)
    assert recording.last_frame_at - quiet_from > 1.5
    assert recording.speech_spans(since=quiet_from) == []
    assert recording.first_speech_after(quiet_from) is None
