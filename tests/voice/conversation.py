"""One synthetic caller talking with the agent: join a placed call, hear the
greeting, ask questions and time the replies. Voice-to-voice latency is
measured on the caller's side: from the moment the caller's last sample was
sent to the first loud 10 ms frame of the agent's reply that arrived."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from callcenter.settings import Settings
from tests.voice import calls
from tests.voice.caller import Span, SyntheticCaller, Utterance
from tests.voice.speech import Transcriber, Voice

# The agent greets on join; models are already loaded in an idle job process, so this is generous.
GREETING_TIMEOUT_S = 45.0
REPLY_TIMEOUT_S = 20.0
# A reply is over when the agent has been quiet this long (sentences inside one reply pause less).
END_OF_REPLY_QUIET_S = 1.5


@dataclass(frozen=True)
class Reply:
    question: Utterance
    span: Span
    text: str

    @property
    def latency(self) -> float:
        """Voice to voice: end of the caller's audio to the first audio of the agent's reply."""
        return self.span.start - self.question.ended_at


class Conversation:
    def __init__(self, caller: SyntheticCaller, placed: calls.PlacedCall, transcriber: Transcriber | None) -> None:
        self.caller = caller
        self.placed = placed
        self.transcriber = transcriber
        self.joined_at = 0.0
        self.greeting: Reply | None = None

    @classmethod
    async def start(
        cls, settings: Settings, placed: calls.PlacedCall, voice: Voice, transcriber: Transcriber | None
    ) -> Conversation:
        identity = f"caller-{uuid.uuid4().hex[:8]}"
        caller = SyntheticCaller(
            settings.livekit_url, calls.caller_token(settings, placed.room_name, identity), voice, identity=identity
        )
        conversation = cls(caller, placed, transcriber)
        conversation.joined_at = time.monotonic()
        await caller.join()
        return conversation

    async def hear_greeting(self, within: float = GREETING_TIMEOUT_S) -> Reply:
        await self.caller.wait_for_agent(within)
        span = await self.caller.wait_for_quiet_turn(self.joined_at, within, quiet=END_OF_REPLY_QUIET_S)
        self.greeting = Reply(Utterance("", self.joined_at, self.joined_at), span, await self._transcribe(span))
        return self.greeting

    async def ask(self, question: str, within: float = REPLY_TIMEOUT_S) -> Reply:
        said = await self.caller.say(question)
        span = await self.caller.wait_for_quiet_turn(said.ended_at, within, quiet=END_OF_REPLY_QUIET_S)
        return Reply(said, span, await self._transcribe(span))

    async def _transcribe(self, span: Span) -> str:
        if self.transcriber is None:
            return ""
        audio = self.caller.recording().audio(span.start - 0.2, span.end + 0.3)
        return await self.transcriber.transcribe(audio)

    async def hang_up(self) -> None:
        await self.caller.leave()
