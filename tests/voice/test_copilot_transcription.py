"""The copilot over real livekit-server: this process joins a call's room the
way the agent worker does and runs the SilentCopilotAgent and the Copilot with
the offline providers (silero, whisper tiny.en, the grounded responder) on a
real call record. A synthetic caller asks a question and a synthetic human
agent (identity human-<user id>) answers it, both speaking piper audio:

* the caller's turn reaches the transcript and a suggestion for the human, and
  the AI says nothing at all;
* the human's words are transcribed into the transcript as 'human' lines with
  their identity, also after the human drops out and joins again."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
from livekit import rtc
from livekit.agents import AgentSession, ConversationItemAddedEvent, TurnHandlingOptions, llm, room_io
from livekit.agents.types import NOT_GIVEN

from agent_container.call_agent import instructions_for
from agent_container.conversation import CallConversation
from agent_container.copilot import Copilot, SilentCopilotAgent
from agent_container.knowledge import KnowledgeRetriever
from agent_container.providers import SharedModels, VoiceProviders, build_voice_providers
from callcenter.calls.agent_settings import load_agent_settings
from callcenter.calls.analysis import build_call_analyzer
from callcenter.calls.records import CallRecorder
from callcenter.calls.summary import build_call_summarizer
from callcenter.db import Database
from callcenter.settings import Settings
from tests.db import dbkit
from tests.voice import calls, speech
from tests.voice.caller import SyntheticCaller
from tests.voice.text import missing
from tests.voice.workspace import KnowledgeWorkspace, create_knowledge_workspace, remove_workspace

pytestmark = pytest.mark.slow

ARTICLES = {
    "Refunds": "# Refunds\n\nRefunds are issued to your card within five business days after the return arrives.\n"
    "Start a return from the orders page.",
}
CALLER_ASKS = "When do refunds arrive on my card?"
CALLER_WORDS = ["refunds|refund", "card"]
HUMAN_SAYS = "I have sent the replacement parts to your office in Denver."
HUMAN_WORDS = ["replacement", "parts", "office", "denver"]
HUMAN_SAYS_AGAIN = "Sorry, my line dropped. The parcel arrives on Thursday morning."
HUMAN_WORDS_AGAIN = ["parcel", "arrives", "thursday", "morning"]
WITHIN_S = 45.0


@dataclass(frozen=True)
class Desk:
    workspace: KnowledgeWorkspace
    human: dbkit.Actor


@pytest.fixture(scope="module")
async def desk(pool: dbkit.Pool) -> AsyncIterator[Desk]:
    created = await create_knowledge_workspace(pool, "copilot", ARTICLES)
    try:
        async with pool.acquire() as conn:
            human = await dbkit.create_user(conn, created.registry, "human", full_name="Sam Agent")
            await dbkit.add_business_member(conn, created.business_id, human, "agent")
            await dbkit.add_workspace_member(conn, created.business_id, created.workspace_id, human, "agent")
        yield Desk(created, human)
    finally:
        await remove_workspace(pool, created)


@pytest.fixture(scope="module")
def offline_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"voice_provider": "offline", "call_analysis_provider": "local"})


@pytest.fixture(scope="module")
def models(offline_settings: Settings) -> SharedModels:
    return SharedModels(offline_settings)


@pytest.fixture
async def database(offline_settings: Settings) -> AsyncIterator[Database]:
    created = Database(offline_settings)
    try:
        yield created
    finally:
        await created.close()


@dataclass
class CopilotRoom:
    """The agent's side of a call's room: the call record, the conversation, the copilot."""

    room: rtc.Room
    room_name: str
    conversation: CallConversation
    providers: VoiceProviders
    copilot: Copilot
    recorder: CallRecorder
    human_identity: str

    @property
    def call_id(self) -> uuid.UUID:
        return self.recorder.call_id


RoomFactory = Callable[[], Awaitable[CopilotRoom]]


@asynccontextmanager
async def copilot_room(
    settings: Settings, livekit_server: str, pool: dbkit.Pool, database: Database, models: SharedModels, desk: Desk
) -> AsyncIterator[CopilotRoom]:
    workspace_id = desk.workspace.workspace_id
    room_name = f"copilot-test-{uuid.uuid4().hex[:12]}"
    await calls.create_room(settings, room_name)
    async with pool.acquire() as conn:
        agent_settings = await load_agent_settings(conn, workspace_id)  # type: ignore[arg-type]
    recorder, resume = await CallRecorder.open(
        database,
        workspace_id=workspace_id,
        room_name=room_name,
        channel="browser",
        worker_id="tests/voice/copilot",
        caller_identity="caller",
        heartbeat_seconds=0,
    )
    retriever = KnowledgeRetriever(database, models.embedder(), workspace_id, limit=settings.agent_retrieval_limit)
    providers = build_voice_providers(models, agent_settings)
    conversation = CallConversation(
        settings=agent_settings,
        recorder=recorder,
        resume=resume,
        retriever=retriever,
        answer_finder=providers.answer_finder,
        analyzer=build_call_analyzer(models.settings),
        summarizer=build_call_summarizer(models.settings),
    )
    human_identity = f"human-{desk.human.uid}"
    copilot = Copilot(
        conversation=conversation,
        providers=providers,
        retriever=retriever,
        database=database,
        call_id=recorder.call_id,
        workspace_id=workspace_id,
        human_user_id=desk.human.uid,
        human_identity=human_identity,
    )
    room = rtc.Room()
    await room.connect(livekit_server, calls.caller_token(settings, room_name, "copilot-agent"))
    try:
        yield CopilotRoom(room, room_name, conversation, providers, copilot, recorder, human_identity)
    finally:
        await copilot.aclose()
        await conversation.close()
        await room.disconnect()
        await calls.delete_room(settings, room_name)


async def until(check: Callable[[], Awaitable[bool]], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.2)
    raise TimeoutError(f"no {what} within {within:.0f}s")


async def segments(db: asyncpg.Pool, call_id: uuid.UUID, speaker: str) -> list[dict[str, Any]]:
    return [line for line in await calls.transcript(db, call_id) if line["speaker"] == speaker]


def heard(text: str, expected: list[str]) -> bool:
    """Loosely: whisper tiny on a busy CPU mishears a word now and then, so one word in four may be missing."""
    return len(missing(text, expected)) <= len(expected) // 4


async def wait_for_words(
    db: asyncpg.Pool, call_id: uuid.UUID, speaker: str, expected: list[str], *, after: int = 0
) -> list[dict[str, Any]]:
    """The speaker's lines from the `after`-th on, once together they say the expected words (the VAD may cut one
    utterance in two)."""
    found: list[dict[str, Any]] = []

    async def said() -> bool:
        found[:] = (await segments(db, call_id, speaker))[after:]
        return heard(" ".join(line["text"] for line in found), expected)

    try:
        await until(said, WITHIN_S, f"{speaker} line saying {expected}")
    except TimeoutError:
        raise AssertionError(f"{speaker} lines: {[line['text'] for line in found]}") from None
    return found


async def join(settings: Settings, livekit_server: str, voice: speech.Voice, room: CopilotRoom, identity: str) -> Any:
    person = SyntheticCaller(
        livekit_server, calls.caller_token(settings, room.room_name, identity), voice, identity=identity
    )
    await person.join()
    return person


async def remote(room: rtc.Room, identity: str) -> rtc.RemoteParticipant:
    async def present() -> bool:
        return identity in room.remote_participants

    await until(present, 15, f"participant {identity}")
    return room.remote_participants[identity]


async def test_the_copilot_hears_both_sides_and_the_ai_stays_silent(
    settings: Settings,
    livekit_server: str,
    pool: dbkit.Pool,
    database: Database,
    models: SharedModels,
    desk: Desk,
    voice: speech.Voice,
) -> None:
    async with copilot_room(settings, livekit_server, pool, database, models, desk) as room:
        caller = await join(settings, livekit_server, voice, room, "caller")
        human = await join(settings, livekit_server, voice, room, room.human_identity)
        try:
            providers = room.providers
            session: AgentSession[None] = AgentSession(
                stt=providers.stt if providers.stt is not None else NOT_GIVEN,
                llm=providers.llm,
                tts=providers.tts if providers.tts is not None else NOT_GIVEN,
                vad=providers.vad,
                # The worker's end-of-turn model needs the job's inference process: VAD turns here.
                turn_handling=TurnHandlingOptions(turn_detection="vad"),
            )
            replies: list[str] = []

            @session.on("conversation_item_added")
            def item_added(event: ConversationItemAddedEvent) -> None:
                if isinstance(event.item, llm.ChatMessage):
                    room.conversation.on_message(event.item)
                    if event.item.role == "assistant":
                        replies.append(event.item.text_content or "")

            agent = SilentCopilotAgent(room.copilot, instructions=instructions_for(room.conversation), chat_ctx=None)
            await session.start(
                agent=agent, room=room.room, room_options=room_io.RoomOptions(participant_identity="caller")
            )
            await room.copilot.start(room.room, await remote(room.room, room.human_identity))
            try:
                asked = await caller.say(CALLER_ASKS)
                questions = await wait_for_words(pool, room.call_id, "customer", CALLER_WORDS)
                assert all(line["speaker_identity"] is None for line in questions)

                await human.say(HUMAN_SAYS)
                lines = await wait_for_words(pool, room.call_id, "human", HUMAN_WORDS)
                assert all(line["speaker_identity"] == room.human_identity for line in lines)
                # Timed like the speech (the lines are ordered by it on the call page).
                assert all(line["started_at"] < line["ended_at"] for line in lines)
                assert questions[0]["started_at"] < lines[0]["started_at"]

                answers: list[asyncpg.Record] = []

                async def suggested() -> bool:
                    answers[:] = await pool.fetch(
                        "select * from public.copilot_suggestions where call_id = $1 and say like $2",
                        room.call_id,
                        "%five business days%",
                    )
                    return bool(answers)

                await until(suggested, WITHIN_S, "suggestion")
                assert answers[0]["for_user_id"] == desk.human.uid
                assert "Refunds" in {passage["title"] for passage in json.loads(answers[0]["passages"])}

                # Nobody heard the AI: no reply was made, nothing was played into the room.
                await asyncio.sleep(2.0)
                assert replies == []
                for listener in (caller, human):
                    assert "copilot-agent" in listener.heard  # its audio track is there, and silent
                    assert listener.recording("copilot-agent").speech_spans(since=asked.started_at) == []
                assert {line["speaker"] for line in await calls.transcript(pool, room.call_id)} == {"customer", "human"}
            finally:
                await session.aclose()
        finally:
            await caller.leave()
            await human.leave()


async def test_the_human_is_transcribed_again_after_rejoining(
    settings: Settings,
    livekit_server: str,
    pool: dbkit.Pool,
    database: Database,
    models: SharedModels,
    desk: Desk,
    voice: speech.Voice,
) -> None:
    async with copilot_room(settings, livekit_server, pool, database, models, desk) as room:
        human = await join(settings, livekit_server, voice, room, room.human_identity)
        try:
            await room.copilot.start(room.room, await remote(room.room, room.human_identity))
            await human.say(HUMAN_SAYS)
            first = await wait_for_words(pool, room.call_id, "human", HUMAN_WORDS)
        finally:
            await human.leave()

        async def gone() -> bool:
            return room.human_identity not in room.room.remote_participants and not room.copilot.transcribing

        await until(gone, 15, "departure of the human")
        # The same person is back (a reload, a dropped network): their new microphone track is followed.
        human = await join(settings, livekit_server, voice, room, room.human_identity)
        try:
            await human.say(HUMAN_SAYS_AGAIN)
            again = await wait_for_words(pool, room.call_id, "human", HUMAN_WORDS_AGAIN, after=len(first))
            assert all(line["speaker_identity"] == room.human_identity for line in again)
        finally:
            await human.leave()
