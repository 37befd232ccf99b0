"""The workspace's voice agent for one call.

It greets with the workspace's greeting (or, on a call another worker was
holding, apologizes and carries on from the transcript so far; on a call a
human hands back, says it is back), answers from
the workspace's knowledge and follows its instructions. Knowledge is looked up
the moment the caller's turn ends (`on_user_turn_completed`), before the LLM
runs, and handed to it in the turn's context; a lookup that takes a moment is
covered by a short filler so the line never goes silent. Text turns (tests,
chat input) reach the LLM without that hook, so `llm_node` looks the
knowledge up for them. A turn the agent answers itself (a callback it
arranged) does not reach the LLM at all."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterable
from datetime import UTC, datetime

from livekit.agents import Agent, FlushSentinel, ModelSettings, llm
from livekit.agents.voice import SpeechHandle

from agent_container.conversation import CallConversation
from agent_container.knowledge_brief import has_brief_for_latest_turn, latest_user_message

log = logging.getLogger(__name__)

# A lookup slower than this gets a filler line first.
FILLER_AFTER_SECONDS = 0.6
FILLER = "One moment, let me check."
RESUMED = "Sorry about that, we got cut off for a moment. Where were we?"

VOICE_RULES = (
    "You are {agent_name}, the voice assistant of {workspace}. You are on a phone call: answer in one to three "
    "short spoken sentences, never read out URLs, lists or formatting, and answer only from the knowledge base "
    "passages you are given for each turn. If they do not answer the question, say plainly that you don't have "
    "information on that and offer to connect the caller with a person. If the caller asks for a person, tell "
    "them a colleague will take over and ask them to stay on the line."
)


def instructions_for(conversation: CallConversation) -> str:
    settings = conversation.settings
    rules = VOICE_RULES.format(agent_name=settings.agent_name, workspace=settings.workspace_name or "the business")
    extra = settings.instructions.strip()
    return f"{rules}\n\n{extra}" if extra else rules


class CallAgent(Agent):
    def __init__(self, conversation: CallConversation, *, opening: str | None = None) -> None:
        """`opening`: what to say first instead of the greeting (the caller is already on the line)."""
        super().__init__(
            instructions=instructions_for(conversation),
            chat_ctx=conversation.history_chat_context() if conversation.transcript else None,
        )
        self._conversation = conversation
        self._opening_line = opening
        self._opening: SpeechHandle | None = None
        self._opening_started = asyncio.Event()

    @property
    def conversation(self) -> CallConversation:
        return self._conversation

    async def on_enter(self) -> None:
        self._conversation.speak = self._speak
        opening = self._opening_line
        if opening is None:
            opening = RESUMED if self._conversation.resume.resumed else self._conversation.settings.greeting
        self._conversation.say(opening)

    def _speak(self, text: str) -> None:
        try:
            handle = self.session.say(text)
        except RuntimeError as error:  # the session is closing: nobody is listening any more
            log.info("not saying %r: %s", text, error)
            return
        if self._opening is None:
            self._opening = handle
            self._opening_started.set()

    async def opening_said(self) -> None:
        """Wait until the greeting (or the resume line) has been said."""
        await self._opening_started.wait()
        assert self._opening is not None
        await self._opening

    async def on_user_turn_completed(self, turn_ctx: llm.ChatContext, new_message: llm.ChatMessage) -> None:
        if not (new_message.text_content or "").strip():
            return
        lookup = asyncio.ensure_future(self._conversation.prepare_turn(new_message))
        done, _ = await asyncio.wait({lookup}, timeout=FILLER_AFTER_SECONDS)
        if not done:
            self._say_filler()
        brief = await lookup
        turn_ctx.items.append(brief.to_message())

    def _say_filler(self) -> None:
        # Not part of the chat history (the LLM need not see it), but the caller hears it: into the transcript.
        started = datetime.now(UTC)
        try:
            handle = self.session.say(FILLER, add_to_chat_ctx=False)
        except RuntimeError as error:
            log.info("no filler: %s", error)
            return

        def written(_: object) -> None:
            self._conversation.add_line(
                "ai", FILLER, started_at=started, ended_at=datetime.now(UTC), interrupted=handle.interrupted
            )

        handle.add_done_callback(written)

    async def llm_node(
        self, chat_ctx: llm.ChatContext, tools: list[llm.Tool], model_settings: ModelSettings
    ) -> AsyncIterable[llm.ChatChunk | str | FlushSentinel]:
        message = latest_user_message(chat_ctx)
        if not has_brief_for_latest_turn(chat_ctx) and message is not None and (message.text_content or "").strip():
            brief = await self._conversation.prepare_turn(message)
            chat_ctx = chat_ctx.copy()
            chat_ctx.items.append(brief.to_message())
        scripted = self._conversation.scripted_reply(message) if message is not None else None
        if scripted is not None:
            yield scripted
            return
        async for chunk in Agent.default.llm_node(self, chat_ctx, tools, model_settings):
            yield chunk
