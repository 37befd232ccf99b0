"""What the AI does once it decided a person should take the call.

1. The decision is stored through routing.request_human (by the call's
   recorder, in order with its other writes); the call waits in the
   workspace's queue and is offered to the longest-idle available agent.
2. While the call waits, a task ticks every second: routing.dispatch (expires
   offers nobody answered and offers the call to the next agent) then
   routing.handoff_state. When nobody is available the AI says so once, with
   the caller's place in line, keeps answering questions and offers a
   callback; about every minute it repeats the place in line.
3. A participant `human-<user id>` joins the room (the person accepted the
   offer): the AI says who is joining, then goes silent; the session runs the
   SilentCopilotAgent (the caller's turns go to the transcript and to the
   Copilot, never to a reply; the Copilot transcribes the person).
4. The person leaves: handed back -> the AI takes the caller back at once;
   still connected -> the person has `human_reconnect_grace_seconds` to
   rejoin (a page reload takes a second or two). If they are not back a few
   seconds in, the AI asks the caller to hold on, so the grace is not dead
   air; at its end routing.human_dropped and the AI takes the caller back.
   A person who accepted but never joins the room within
   `human_join_timeout_seconds` is treated the same way (routing.human_dropped,
   "couldn't join after all"). Taking back = the CallAgent again, with the
   whole transcript and a "back with you" line, never the greeting; a new
   request may hand off again.

Everything the flow learns comes from the room and the database, so a worker
that takes over a call mid-handoff picks up where the dead one stopped
(`resume`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any
from uuid import UUID

from livekit import rtc
from livekit.agents import AgentSession

from agent_container import handoff_lines
from agent_container.call_agent import CallAgent, instructions_for
from agent_container.conversation import CallConversation
from agent_container.copilot import Copilot, SilentCopilotAgent
from agent_container.knowledge import KnowledgeRetriever
from agent_container.providers import VoiceProviders
from callcenter.calls import routing
from callcenter.calls.records import retrying
from callcenter.calls.routing import HandoffState, HandoffStatus
from callcenter.db import Database

log = logging.getLogger(__name__)

# How far into the reconnect grace the caller is asked to hold on: a reload is back well before.
HOLD_LINE_AFTER_GRACE_FRACTION = 0.4

TICK_SECONDS = 1.0
POSITION_UPDATE_SECONDS = 60.0
QUEUED = frozenset({HandoffStatus.WAITING, HandoffStatus.OFFERED})


class HandoffFlow:
    def __init__(
        self,
        conversation: CallConversation,
        database: Database,
        *,
        workspace_id: UUID,
        reconnect_grace_seconds: float,
        join_timeout_seconds: float,
        tick_seconds: float = TICK_SECONDS,
        position_update_seconds: float = POSITION_UPDATE_SECONDS,
    ) -> None:
        self._conversation = conversation
        self._database = database
        self._workspace_id = workspace_id
        self._grace = reconnect_grace_seconds
        self._join_timeout = join_timeout_seconds
        self._tick = tick_seconds
        self._position_every = position_update_seconds
        self.state: HandoffState = HandoffState(status=conversation.resume.handoff_status)
        self._queue_announced_at: float | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._follower: asyncio.Task[None] | None = None
        # The room part (attach()); without it (text-mode tests) the flow only follows the queue.
        self._session: AgentSession[None] | None = None
        self._room: rtc.Room | None = None
        self._copilot_factory: Callable[[UUID, str], Copilot] | None = None
        self._copilot: Copilot | None = None
        self._human: str | None = None  # identity of the person who has the call
        self._human_back = asyncio.Event()
        self._closed = False
        conversation.events = self

    @property
    def call_id(self) -> UUID:
        return self._conversation.recorder.call_id

    @property
    def holds_caller(self) -> bool:
        """Whether the caller is waiting for, or talking with, a person (their silence is no reason to hang up)."""
        return self._human is not None or self.state.status in {*QUEUED, HandoffStatus.CONNECTED}

    @property
    def in_copilot_mode(self) -> bool:
        return self._copilot is not None

    # ------------------------------------------------------------ HandoffEvents

    def handoff_requested(self, stored: asyncio.Future[HandoffState | None]) -> None:
        self._queue_announced_at = None
        self._follow(self._after_request(stored))

    def callback_requested(self, note: str) -> None:
        self._spawn(self._create_callback(note), "create-callback-task")

    async def _create_callback(self, note: str) -> None:
        async def create() -> UUID:
            async with self._database.as_service() as conn:
                return await routing.create_callback_task(conn, self.call_id, note)

        task_id = await retrying(create)
        log.info("call %s: callback task %s", self.call_id, task_id)

    # ------------------------------------------------------------ the queue

    def _follow(self, work: Coroutine[Any, Any, None]) -> None:
        if self._follower is not None and not self._follower.done():
            self._follower.cancel()
        self._follower = self._spawn(work, "follow-handoff")

    async def _after_request(self, stored: asyncio.Future[HandoffState | None]) -> None:
        state = await stored
        if state is None:
            log.error("call %s: the handoff request was refused by the database", self.call_id)
            return
        self._observe(state)
        await self._follow_queue()

    async def _follow_queue(self) -> None:
        while not self._closed and self.state.status in QUEUED:
            await asyncio.sleep(self._tick)
            try:
                async with self._database.as_service() as conn:
                    await routing.dispatch(conn, self._workspace_id)
                    state = await routing.handoff_state(conn, self.call_id)
            except Exception as error:  # a database blip: the queue lives in the database, try again next tick
                log.warning("call %s: following the handoff failed: %r", self.call_id, error)
                continue
            self._observe(state)
        if not self._closed and self.state.status == HandoffStatus.CONNECTED:
            await self._await_join(self._join_timeout)

    def _observe(self, state: HandoffState) -> None:
        if state.status != self.state.status:
            log.info("call %s: handoff %s -> %s", self.call_id, self.state.status, state.status)
        self.state = state
        if state.status != HandoffStatus.WAITING:
            return
        now = time.monotonic()
        if self._queue_announced_at is None:
            self._queue_announced_at = now
            self._conversation.say(handoff_lines.queue_busy(state.queue_position))
        elif now - self._queue_announced_at >= self._position_every:
            self._queue_announced_at = now
            self._conversation.say(handoff_lines.queue_update(state.queue_position))

    # ------------------------------------------------------------ the room

    def attach(
        self, session: AgentSession[None], room: rtc.Room, copilot_factory: Callable[[UUID, str], Copilot]
    ) -> None:
        """Watch the room for the person joining and leaving. `copilot_factory(user_id, identity)`."""
        self._session = session
        self._room = room
        self._copilot_factory = copilot_factory
        room.on("participant_connected", self._participant_connected)
        room.on("participant_disconnected", self._participant_disconnected)

    async def resume(self) -> None:
        """Pick up a handoff a dead worker left under way (the session runs already)."""
        status = self.state.status
        if status in QUEUED:
            self._queue_announced_at = None
            self._follow(self._follow_queue())
        elif status == HandoffStatus.CONNECTED:
            human = self._human_in_room()
            if human is not None:
                await self._human_joined(human, announce=False)
            else:
                # The person may still be joining, or their line dropped: they have the longer of both waits.
                self._follow(self._await_join(max(self._join_timeout, self._grace)))

    def _human_in_room(self) -> rtc.RemoteParticipant | None:
        if self._room is None:
            return None
        for participant in self._room.remote_participants.values():
            if routing.is_human_identity(participant.identity):
                return participant
        return None

    def _participant_connected(self, participant: rtc.RemoteParticipant) -> None:
        if routing.is_human_identity(participant.identity):
            self._spawn(self._human_joined(participant, announce=participant.identity != self._human), "human-joined")

    def _participant_disconnected(self, participant: rtc.RemoteParticipant) -> None:
        if participant.identity == self._human:
            self._human_back.clear()
            self._spawn(self._human_left(participant.identity), "human-left")

    async def _human_joined(self, participant: rtc.RemoteParticipant, *, announce: bool) -> None:
        user_id = routing.user_id_from_identity(participant.identity)
        async with self._database.as_service() as conn:
            state = await routing.handoff_state(conn, self.call_id)
        self.state = state
        if state.status != HandoffStatus.CONNECTED or state.human_user_id != user_id or user_id is None:
            log.warning("call %s: %s joined but does not have the call (%s)", self.call_id, participant.identity, state)
            return
        rejoined = self._human == participant.identity
        self._human = participant.identity
        self._human_back.set()
        if self._follower is not None:
            self._follower.cancel()
        await self._close_copilot()  # a rejoin: the old transcription listened to the track that is gone
        if announce and not rejoined:
            await self._announce(handoff_lines.connecting(participant.name or state.human_name))
        await self._enter_copilot_mode(participant, user_id)

    async def _announce(self, line: str) -> None:
        assert self._session is not None
        self._conversation.expect_line(line)
        try:
            handle = self._session.say(line, allow_interruptions=False)
        except RuntimeError as error:
            log.info("call %s: not announcing: %s", self.call_id, error)
            return
        await handle.wait_for_playout()

    async def _enter_copilot_mode(self, participant: rtc.RemoteParticipant, user_id: UUID) -> None:
        assert self._session is not None and self._room is not None and self._copilot_factory is not None
        copilot = self._copilot_factory(user_id, participant.identity)
        self._copilot = copilot
        self._session.output.set_audio_enabled(False)
        self._session.update_agent(
            SilentCopilotAgent(
                copilot,
                instructions=instructions_for(self._conversation),
                chat_ctx=self._conversation.history_chat_context(),
            )
        )
        await copilot.start(self._room, participant)
        log.info("call %s: %s has the call; the AI is the copilot", self.call_id, participant.identity)

    async def _human_left(self, identity: str) -> None:
        async with self._database.as_service() as conn:
            state = await routing.handoff_state(conn, self.call_id)
        self.state = state
        if state.status == HandoffStatus.RETURNED:
            await self.take_back()
        elif state.status == HandoffStatus.CONNECTED:
            await self._wait_for_return(identity)

    async def _wait_for_return(self, identity: str) -> None:
        """The person's line dropped: they may come back within the grace."""
        log.info("call %s: waiting %.0f s for %s to come back", self.call_id, self._grace, identity)
        started = time.monotonic()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._human_back.wait(), self._grace * HOLD_LINE_AFTER_GRACE_FRACTION)
            return
        await self._ask_caller_to_hold()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._human_back.wait(), max(0.0, self._grace - (time.monotonic() - started)))
            return
        await self._give_up_on_human(handoff_lines.DROPPED)

    async def _ask_caller_to_hold(self) -> None:
        """One line through the silent copilot's muted output; silent again after it unless the AI took the caller
        back meanwhile."""
        if self._session is None or self._closed or self._human_back.is_set():
            return
        copilot = self._session.current_agent
        if not isinstance(copilot, SilentCopilotAgent):
            return
        copilot.will_say(handoff_lines.HOLD_ON)
        self._session.output.set_audio_enabled(True)
        try:
            await self._announce(handoff_lines.HOLD_ON)
        finally:
            if self._human is not None:
                self._session.output.set_audio_enabled(False)

    async def _await_join(self, within_seconds: float) -> None:
        """The person has the call (accepted the offer) but is not in the room: they must join within `within_seconds`,
        else the AI takes the caller back; a browser that accepted and never joined must not hold the caller."""
        if self._human is not None or self._human_in_room() is not None:
            return
        self._human_back.clear()
        log.info("call %s: waiting %.0f s for the person who accepted to join", self.call_id, within_seconds)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._human_back.wait(), within_seconds)
            return
        # Words of the person in the transcript: they were on the call (a worker took it over after their line
        # dropped); none: they never joined.
        was_on_call = any(line.speaker == "human" for line in self._conversation.transcript)
        await self._give_up_on_human(handoff_lines.DROPPED if was_on_call else handoff_lines.NOT_JOINED)

    async def _give_up_on_human(self, line: str) -> None:
        async with self._database.as_service() as conn:
            dropped = await routing.human_dropped(conn, self.call_id)
            state = await routing.handoff_state(conn, self.call_id)
        self.state = state
        if dropped:
            await self._take_back(line, "the person did not come back")
        elif state.status == HandoffStatus.RETURNED:
            await self._take_back(handoff_lines.BACK, "handed back")

    async def take_back(self) -> None:
        """The person handed the caller back: the CallAgent with the whole transcript, and a line saying it is back."""
        await self._take_back(handoff_lines.BACK, "handed back")

    async def _take_back(self, line: str, why: str) -> None:
        if self._closed:
            return
        self._human = None
        if self._follower is not None and self._follower is not asyncio.current_task():
            self._follower.cancel()  # a wait for the person to join is over
        await self._close_copilot()
        self._conversation.handoff_over()
        if self._session is None:
            self._conversation.say(line)
            return
        self._session.output.set_audio_enabled(True)
        self._session.update_agent(CallAgent(self._conversation, opening=line))
        log.info("call %s: the AI has the caller back (%s)", self.call_id, why)

    async def _close_copilot(self) -> None:
        copilot, self._copilot = self._copilot, None
        if copilot is not None:
            try:
                await copilot.aclose()
            except Exception:
                log.exception("call %s: closing the copilot failed", self.call_id)

    # ------------------------------------------------------------ lifetime

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        task = asyncio.create_task(work, name=f"{name}-{self.call_id}")
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("call %s: %s failed: %r", self.call_id, task.get_name(), error, exc_info=error)

    async def settled(self) -> None:
        """Wait for the callback and announcement tasks in flight (tests); the queue follower keeps running."""
        while pending := [task for task in self._tasks if task is not self._follower]:
            await asyncio.wait(pending)

    async def aclose(self) -> None:
        self._closed = True
        for task in list(self._tasks):
            if task.get_name().startswith("create-callback-task"):
                continue  # the caller was promised a callback: let it be written
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._close_copilot()


def copilot_factory(
    conversation: CallConversation,
    *,
    providers: VoiceProviders,
    retriever: KnowledgeRetriever,
    database: Database,
    workspace_id: UUID,
) -> Callable[[UUID, str], Copilot]:
    def build(user_id: UUID, identity: str) -> Copilot:
        return Copilot(
            conversation=conversation,
            providers=providers,
            retriever=retriever,
            database=database,
            call_id=conversation.recorder.call_id,
            workspace_id=workspace_id,
            human_user_id=user_id,
            human_identity=identity,
        )

    return build
