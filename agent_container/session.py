"""One call: the job the worker runs when a call's room dispatches the agent.

1. Read the dispatch (CallDispatch JSON in the job metadata). Without a valid
   one the job leaves at once; a workspace that does not exist gets a short
   apology and the call ends.
2. Link the caller: the first participant that is not an agent. A SIP
   participant is a phone call (its number from `sip.phoneNumber`), anyone
   else a browser test call.
3. Open the call record (or take over the one a dead worker left) and run an
   AgentSession on the configured voice providers with the CallAgent.
4. Every committed utterance goes to the transcript as it happens; when the
   caller leaves (or says goodbye) the call is closed with a summary.
5. A handoff to a person (queue, the person joining, the AI as silent copilot,
   taking the caller back) is the HandoffFlow's, watching the same room.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from livekit import rtc
from livekit.agents import (
    Agent,
    AgentSession,
    CloseEvent,
    ConversationItemAddedEvent,
    ErrorEvent,
    JobContext,
    TurnHandlingOptions,
    UserStateChangedEvent,
    llm,
    room_io,
)
from livekit.agents.types import NOT_GIVEN

from agent_container.call_agent import CallAgent
from agent_container.conversation import CallConversation
from agent_container.handoff_flow import HandoffFlow, copilot_factory
from agent_container.knowledge import KnowledgeRetriever
from agent_container.providers import SharedModels, VoiceProviders, build_voice_providers
from callcenter.calls.agent_settings import AgentSettings, EscalationRules, load_agent_settings
from callcenter.calls.analysis import build_call_analyzer
from callcenter.calls.dispatch import CallDispatch
from callcenter.calls.records import CallRecorder
from callcenter.calls.summary import build_call_summarizer
from callcenter.db import Database
from callcenter.errors import DomainError, ErrorKind

log = logging.getLogger(__name__)

CALLER_JOIN_TIMEOUT_SECONDS = 120.0
# A caller silent this long is asked whether they are still there; silent again, the call ends.
AWAY_SECONDS = 15.0
STILL_THERE = "Are you still there?"
NOBODY_THERE = "It seems we got disconnected. Please call again any time. Goodbye."
UNKNOWN_WORKSPACE = "Sorry, this number is not set up to take calls right now. Please try again later. Goodbye."
TROUBLE = "Sorry, I'm having a little trouble right now. Could you say that again?"


def turn_handling(providers: VoiceProviders) -> TurnHandlingOptions:
    return TurnHandlingOptions(
        turn_detection=providers.turn_detection,
        endpointing={"min_delay": 0.3, "max_delay": 2.0},
        interruption={
            "enabled": True,
            # VAD barge-in runs here; "adaptive" would call LiveKit's hosted model.
            "mode": "vad",
            # Half a second of speech before the agent stops: a cough or a line click is not a barge-in.
            "min_duration": 0.6,
            "min_words": 0,
            # Speech that turns out to be noise (no words follow) lets the agent carry on where it stopped.
            "resume_false_interruption": True,
            "false_interruption_timeout": 1.5,
        },
        # Every turn's context changes after the turn ends (retrieved passages), which would discard a
        # preemptive generation every time: it would only cost CPU.
        preemptive_generation={"enabled": False},
    )


def build_session(providers: VoiceProviders) -> AgentSession[None]:
    return AgentSession(
        stt=providers.stt if providers.stt is not None else NOT_GIVEN,
        llm=providers.llm,
        tts=providers.tts if providers.tts is not None else NOT_GIVEN,
        vad=providers.vad,
        turn_handling=turn_handling(providers),
        user_away_timeout=AWAY_SECONDS,
    )


@dataclass(frozen=True)
class Caller:
    participant: rtc.RemoteParticipant
    channel: Literal["phone", "browser"]
    number: str | None

    @classmethod
    def from_participant(cls, participant: rtc.RemoteParticipant) -> Caller:
        if participant.kind == rtc.ParticipantKind.PARTICIPANT_KIND_SIP:
            return cls(participant, "phone", participant.attributes.get("sip.phoneNumber") or None)
        return cls(participant, "browser", None)


def worker_id_for(ctx: JobContext) -> str:
    return f"{ctx.worker_id}/{ctx.job.id}"


async def run_call(ctx: JobContext, models: SharedModels, database: Database) -> None:
    try:
        dispatch = CallDispatch.from_metadata(ctx.job.metadata)
    except DomainError as error:
        log.error("room %s: %s; leaving", ctx.room.name, error.message)
        ctx.shutdown(reason=error.message)
        return

    try:
        async with database.as_service() as conn:
            settings = await load_agent_settings(conn, dispatch.workspace_id)
    except DomainError as error:
        if error.kind != ErrorKind.NOT_FOUND:
            raise
        log.error("room %s: workspace %s not found", ctx.room.name, dispatch.workspace_id)
        await apologize_and_leave(ctx, models, dispatch)
        return

    await ctx.connect()
    try:
        participant = await asyncio.wait_for(ctx.wait_for_participant(), CALLER_JOIN_TIMEOUT_SECONDS)
    except TimeoutError:
        log.info("room %s: nobody joined; leaving", ctx.room.name)
        ctx.shutdown(reason="no caller")
        return
    caller = Caller.from_participant(participant)

    recorder, resume = await CallRecorder.open(
        database,
        workspace_id=settings.workspace_id,
        room_name=ctx.room.name,
        channel=caller.channel,
        worker_id=worker_id_for(ctx),
        call_id=dispatch.call_id,
        caller_number=caller.number,
        caller_identity=participant.identity,
    )
    providers = build_voice_providers(models, settings)
    retriever = KnowledgeRetriever(
        database, models.embedder(), settings.workspace_id, limit=models.settings.agent_retrieval_limit
    )
    conversation = CallConversation(
        settings=settings,
        recorder=recorder,
        resume=resume,
        retriever=retriever,
        answer_finder=providers.answer_finder,
        analyzer=build_call_analyzer(models.settings),
        summarizer=build_call_summarizer(models.settings),
    )
    flow = HandoffFlow(
        conversation,
        database,
        workspace_id=settings.workspace_id,
        reconnect_grace_seconds=models.settings.human_reconnect_grace_seconds,
        join_timeout_seconds=models.settings.human_join_timeout_seconds,
    )
    session = build_session(providers)
    flow.attach(
        session,
        ctx.room,
        copilot_factory(
            conversation,
            providers=providers,
            retriever=retriever,
            database=database,
            workspace_id=settings.workspace_id,
        ),
    )

    def end_call(reason: str) -> Callable[[], None]:
        def hang_up() -> None:
            # Whatever is still being said is said; closing the session then deletes the room (hangs up).
            log.info("call %s: hanging up (%s)", resume.call_id, reason)
            session.shutdown(drain=True)

        return hang_up

    conversation.end_call = end_call("the caller said goodbye")
    wire_session(
        session,
        conversation,
        on_nobody_there=end_call("the caller went silent"),
        on_hold=lambda: flow.holds_caller,
        ctx=ctx,
    )

    async def finish(reason: str) -> None:
        log.info("call %s ends: %s", resume.call_id, reason)
        await flow.aclose()
        failure = conversation.failure
        await conversation.close(status="failed" if failure else "ended", detail=failure)

    ctx.add_shutdown_callback(finish)
    await session.start(
        agent=CallAgent(conversation),
        room=ctx.room,
        room_options=room_io.RoomOptions(
            participant_identity=participant.identity, close_on_disconnect=True, delete_room_on_close=True
        ),
    )
    await flow.resume()


def wire_session(
    session: AgentSession[None],
    conversation: CallConversation,
    *,
    on_nobody_there: Callable[[], None],
    on_hold: Callable[[], bool],
    ctx: JobContext,
) -> None:
    """`on_hold()`: whether the caller is waiting for or talking with a person (silence is expected then)."""
    away_prompts = 0

    @session.on("conversation_item_added")
    def item_added(event: ConversationItemAddedEvent) -> None:
        if isinstance(event.item, llm.ChatMessage):
            conversation.on_message(event.item)

    @session.on("user_state_changed")
    def user_state(event: UserStateChangedEvent) -> None:
        nonlocal away_prompts
        if event.new_state == "speaking":
            away_prompts = 0
        elif event.new_state == "away" and on_hold():
            asyncio.get_running_loop().call_soon(session.reset_away_timer)
        elif event.new_state == "away":
            away_prompts += 1
            if away_prompts == 1:
                conversation.say(STILL_THERE)
                # livekit reports "away" again only after the caller was active: mark them listening now so
                # a second silence after the prompt reaches the hang-up.
                asyncio.get_running_loop().call_soon(session.reset_away_timer)
            else:
                conversation.say(NOBODY_THERE)
                on_nobody_there()

    @session.on("error")
    def failed(event: ErrorEvent) -> None:
        recoverable = getattr(event.error, "recoverable", True)
        log.warning("session error from %s (recoverable=%s): %r", type(event.source).__name__, recoverable, event.error)
        if not recoverable and isinstance(event.source, llm.LLM):
            conversation.say(TROUBLE)

    @session.on("close")
    def closed(event: CloseEvent) -> None:
        if event.error is not None:
            conversation.failure = f"The voice session failed: {event.error.error!r}"
        ctx.shutdown(reason=f"session closed: {event.reason.value}")


class _Apology(Agent):
    def __init__(self) -> None:
        super().__init__(instructions="Apologize that the line is not set up and end the call.")

    async def on_enter(self) -> None:
        handle = self.session.say(UNKNOWN_WORKSPACE, allow_interruptions=False)
        await handle.wait_for_playout()
        self.session.shutdown(drain=True)


async def apologize_and_leave(ctx: JobContext, models: SharedModels, dispatch: CallDispatch) -> None:
    """A short apology in the provider's default voice, then the job ends."""
    await ctx.connect()
    try:
        await asyncio.wait_for(ctx.wait_for_participant(), CALLER_JOIN_TIMEOUT_SECONDS)
    except TimeoutError:
        ctx.shutdown(reason="unknown workspace, no caller")
        return
    placeholder = AgentSettings(
        workspace_id=dispatch.workspace_id,
        business_id=dispatch.workspace_id,
        agent_name="",
        greeting=UNKNOWN_WORKSPACE,
        instructions="",
        voice="default",
        language="en",
        escalation=EscalationRules(),
        intent_labels=["other"],
        topic_labels=["other"],
    )
    session = build_session(build_voice_providers(models, placeholder))

    @session.on("close")
    def closed(_: CloseEvent) -> None:
        ctx.shutdown(reason="unknown workspace")

    # Deleting the room on close hangs up the caller (a phone caller would otherwise hear silence).
    await session.start(agent=_Apology(), room=ctx.room, room_options=room_io.RoomOptions(delete_room_on_close=True))
