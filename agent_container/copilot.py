"""The AI as a silent copilot while a person has the call.

When a human agent joins the call's room the session switches to the
SilentCopilotAgent: it still hears the caller (the session's STT), commits
each caller turn to the transcript, and never answers. The Copilot, next to
it:

* transcribes the human: the session's RoomIO listens to the caller only, so
  the human's microphone track gets a recognition pipeline of its own (the
  providers' VAD cutting utterances for a non-streaming STT), and each final
  utterance goes to the live transcript as a 'human' line. A track that comes
  later, goes away, or comes back with the same identity after a reconnect is
  followed through the room's events;
* has each caller turn analysed by the conversation (intent, topic,
  sentiment and its trend on the call, as when the AI has the call);
* suggests, for each caller turn, what the human could say next, the steps to
  resolve the question and the passages behind both, inserted into
  public.copilot_suggestions for that human only. Suggestions are made one at
  a time, in order, in the background: a slow model or a database error costs a
  suggestion (logged), never the call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from livekit import rtc
from livekit.agents import Agent, FlushSentinel, ModelSettings, StopResponse, llm, stt

from agent_container.conversation import CallConversation, at_utc
from agent_container.knowledge import KnowledgeRetriever
from agent_container.knowledge_brief import BriefPassage, KnowledgeBrief
from agent_container.providers import VoiceProviders
from callcenter.calls.handoff import KnowledgeUsed
from callcenter.calls.intents import Act, is_small_talk_only, recognize_acts
from callcenter.calls.suggestions import Suggestion, extract_steps, insert_suggestion
from callcenter.db import Database

log = logging.getLogger(__name__)

# What the human's audio is recognized at (silero and whisper both want 16 kHz mono).
TRANSCRIPTION_SAMPLE_RATE = 16000
# After the human's track goes away, how long the utterance still in the pipeline may take to come out.
TRANSCRIPTION_FLUSH_SECONDS = 10.0
# One suggestion, retrieval to insert; and the model's share of it (past it, the extractive answer is used).
SUGGESTION_TIMEOUT_SECONDS = 15.0
REPLY_TIMEOUT_SECONDS = 8.0
# How much of the conversation the model sees besides the question.
HISTORY_LINES = 12

COPILOT_RULES = (
    "You are the silent copilot of a human agent of {workspace} who is on a phone call with a caller. The caller "
    "cannot hear you. Write what the human agent could say next to answer the caller's latest message: one to "
    "three short spoken sentences, in the first person, friendly and plain, only from the knowledge base passages "
    "given for that message. No URLs, lists or formatting, and never offer to transfer the call."
)


# ---------------------------------------------------------------- the human's voice


def recognizer_for(providers: VoiceProviders) -> stt.STT[Any] | None:
    """A streaming recognizer for the human's audio: the providers' STT for people, behind the VAD when it
    only transcribes whole utterances (whisper). None when the providers have none."""
    recognizer = providers.recognizer_for_humans()
    if recognizer is None or recognizer.capabilities.streaming:
        return recognizer
    return stt.StreamAdapter(stt=recognizer, vad=providers.vad)


@dataclass(frozen=True)
class Utterance:
    text: str
    started_at: datetime
    ended_at: datetime


class _TrackTranscription:
    """One audio track through the recognizer, until the track ends or `stop()`."""

    def __init__(self, track: rtc.Track, recognizer: stt.STT[Any], on_utterance: Callable[[Utterance], None]) -> None:
        self.track_sid = track.sid
        self._audio = rtc.AudioStream.from_track(track=track, sample_rate=TRANSCRIPTION_SAMPLE_RATE, num_channels=1)
        self._recognition = recognizer.stream()
        self._on_utterance = on_utterance
        self._push_task = asyncio.create_task(self._push(), name=f"copilot-audio-{track.sid}")
        self._read_task = asyncio.create_task(self._read(), name=f"copilot-transcripts-{track.sid}")

    async def _push(self) -> None:
        try:
            async for event in self._audio:
                self._recognition.push_frame(event.frame)
        finally:
            # The utterance in progress is still transcribed.
            with contextlib.suppress(RuntimeError):
                self._recognition.end_input()

    async def _read(self) -> None:
        speech_started: float | None = None
        async for event in self._recognition:
            if event.type == stt.SpeechEventType.START_OF_SPEECH:
                speech_started = event.speech_start_time or event.created_at
            elif event.type == stt.SpeechEventType.FINAL_TRANSCRIPT and event.alternatives:
                heard = event.alternatives[0]
                text = heard.text.strip()
                if not text:
                    continue
                ended = event.speech_end_time or event.created_at
                started = speech_started if speech_started is not None else ended - max(heard.end_time, 0.0)
                speech_started = None
                self._on_utterance(Utterance(text, at_utc(min(started, ended)), at_utc(ended)))

    @property
    def done(self) -> bool:
        return self._read_task.done()

    async def stop(self, flush_seconds: float) -> None:
        """Stop taking audio; what was heard is still transcribed (for up to `flush_seconds`)."""
        self._push_task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._push_task
        try:
            await asyncio.wait_for(asyncio.shield(self._read_task), flush_seconds)
        except TimeoutError:
            log.warning("the human's last words were not transcribed within %.0f s", flush_seconds)
        except Exception:
            log.exception("transcribing the human failed")
        self._read_task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._read_task
        await self._recognition.aclose()
        await self._audio.aclose()


class HumanTranscriber:
    """Follows the human's microphone in the room and hands each final utterance to `on_utterance`."""

    def __init__(self, *, recognizer: stt.STT[Any], identity: str, on_utterance: Callable[[Utterance], None]) -> None:
        self._recognizer = recognizer
        self._identity = identity
        self._on_utterance = on_utterance
        self._room: rtc.Room | None = None
        self._tracks: dict[str, _TrackTranscription] = {}
        self._stopping: set[asyncio.Task[None]] = set()
        self._closed = False

    def start(self, room: rtc.Room, human: rtc.RemoteParticipant) -> None:
        self._room = room
        room.on("track_subscribed", self._on_track_subscribed)
        room.on("track_unsubscribed", self._on_track_unsubscribed)
        room.on("track_published", self._on_track_published)
        # The human may be in the room already, with the microphone subscribed (or not yet).
        for publication in human.track_publications.values():
            self._on_track_published(publication, human)
            if publication.track is not None and publication.subscribed:
                self._on_track_subscribed(publication.track, publication, human)

    def _is_human_audio(self, kind: rtc.TrackKind.ValueType, participant: rtc.RemoteParticipant) -> bool:
        return not self._closed and participant.identity == self._identity and kind == rtc.TrackKind.KIND_AUDIO

    def _on_track_published(self, publication: rtc.RemoteTrackPublication, participant: rtc.RemoteParticipant) -> None:
        # Rooms joined without auto-subscribe: ask for the human's audio.
        if self._is_human_audio(publication.kind, participant) and not publication.subscribed:
            publication.set_subscribed(True)

    def _on_track_subscribed(
        self, track: rtc.Track, publication: rtc.RemoteTrackPublication, participant: rtc.RemoteParticipant
    ) -> None:
        if not self._is_human_audio(track.kind, participant) or track.sid in self._tracks:
            return
        log.info("transcribing %s (track %s)", participant.identity, track.sid)
        self._tracks[track.sid] = _TrackTranscription(track, self._recognizer, self._on_utterance)

    def _on_track_unsubscribed(
        self, track: rtc.Track, publication: rtc.RemoteTrackPublication, participant: rtc.RemoteParticipant
    ) -> None:
        transcription = self._tracks.pop(track.sid, None)
        if transcription is None:
            return
        task = asyncio.create_task(transcription.stop(TRANSCRIPTION_FLUSH_SECONDS), name="copilot-stop-track")
        self._stopping.add(task)
        task.add_done_callback(self._stopping.discard)

    @property
    def listening(self) -> bool:
        """Whether a track of the human is being transcribed."""
        return any(not transcription.done for transcription in self._tracks.values())

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._room is not None:
            self._room.off("track_subscribed", self._on_track_subscribed)
            self._room.off("track_unsubscribed", self._on_track_unsubscribed)
            self._room.off("track_published", self._on_track_published)
        transcriptions, self._tracks = list(self._tracks.values()), {}
        # A short flush: the words the human said right before handing back belong in the transcript.
        await asyncio.gather(*(t.stop(TRANSCRIPTION_FLUSH_SECONDS / 2) for t in transcriptions))
        if self._stopping:
            await asyncio.gather(*self._stopping, return_exceptions=True)
        if isinstance(self._recognizer, stt.StreamAdapter):
            await self._recognizer.aclose()


# ---------------------------------------------------------------- suggestions


def _worth_a_suggestion(question: str) -> bool:
    """Greetings, thanks, yes/no and requests for someone else need no knowledge: no suggestion."""
    return bool(question) and not is_small_talk_only(question) and Act.REQUEST_PERSON not in recognize_acts(question)


class SuggestionMaker:
    """Builds the suggestion for one caller turn: retrieval, the answer the passages give, the model's wording
    of it for the human (the extractive answer when there is no text model or it fails) and the steps."""

    def __init__(
        self,
        *,
        conversation: CallConversation,
        providers: VoiceProviders,
        retriever: KnowledgeRetriever,
        call_id: UUID,
        workspace_id: UUID,
        human_user_id: UUID,
    ) -> None:
        self._conversation = conversation
        self._providers = providers
        self._retriever = retriever
        self._call_id = call_id
        self._workspace_id = workspace_id
        self._human_user_id = human_user_id

    async def suggest(self, question: str) -> Suggestion | None:
        question = question.strip()
        if not _worth_a_suggestion(question):
            return None
        retrieval = await self._retriever.retrieve(question)
        passages = [KnowledgeUsed.from_search_result(result) for result in retrieval.results]
        # The knowledge consulted during the call (a later handoff's context lists it).
        self._conversation.knowledge_used.extend(passages)
        selection = await self._providers.answer_finder.select(question, [passage.content for passage in passages])
        say: str | None = None
        steps: list[str] = []
        if selection.answered:
            best = max(selection.sentences, key=lambda sentence: sentence.score)
            steps = extract_steps(passages[best.passage_index].content)
            say = await self._reply(question, passages, extractive=selection.text)
        return Suggestion(
            call_id=self._call_id,
            workspace_id=self._workspace_id,
            for_user_id=self._human_user_id,
            question=question,
            say=say,
            steps=steps,
            passages=passages,
        )

    def _chat_context(self, question: str, passages: list[KnowledgeUsed]) -> llm.ChatContext:
        settings = self._conversation.settings
        chat_ctx = llm.ChatContext.empty()
        chat_ctx.add_message(
            role="system", content=COPILOT_RULES.format(workspace=settings.workspace_name or "the business")
        )
        history = list(self._conversation.transcript[-HISTORY_LINES:])
        if history and history[-1].speaker == "customer" and history[-1].text.strip() == question:
            history.pop()
        for line in history:
            # The person and the AI both speak for the business: the assistant's side of the conversation.
            role: Literal["user", "assistant"] = "user" if line.speaker == "customer" else "assistant"
            chat_ctx.add_message(role=role, content=line.text, created_at=line.at.timestamp())
        chat_ctx.add_message(role="user", content=question)
        brief = KnowledgeBrief(
            question=question,
            passages=[BriefPassage(title=passage.citation, content=passage.content) for passage in passages],
            handoff_on_request=False,
        )
        chat_ctx.items.append(brief.to_message())
        return chat_ctx

    async def _reply(self, question: str, passages: list[KnowledgeUsed], *, extractive: str) -> str:
        model = self._providers.llm
        if not isinstance(model, llm.LLM):  # a speech-to-speech model cannot write text on the side
            return extractive
        try:
            text = await asyncio.wait_for(
                _complete(model, self._chat_context(question, passages)), REPLY_TIMEOUT_SECONDS
            )
        except Exception as error:
            log.warning("the copilot's reply could not be worded by %s: %r", model.label, error)
            return extractive
        return text or extractive


async def _complete(model: llm.LLM[Any], chat_ctx: llm.ChatContext) -> str:
    parts: list[str] = []
    async with model.chat(chat_ctx=chat_ctx) as stream:
        async for chunk in stream:
            if chunk.delta is not None and chunk.delta.content:
                parts.append(chunk.delta.content)
    return "".join(parts).strip()


# ---------------------------------------------------------------- the copilot


class Copilot:
    def __init__(
        self,
        *,
        conversation: CallConversation,
        providers: VoiceProviders,
        retriever: KnowledgeRetriever,
        database: Database,
        call_id: UUID,
        workspace_id: UUID,
        human_user_id: UUID,
        human_identity: str,
    ) -> None:
        self.conversation = conversation
        self._database = database
        self._human_identity = human_identity
        self._maker = SuggestionMaker(
            conversation=conversation,
            providers=providers,
            retriever=retriever,
            call_id=call_id,
            workspace_id=workspace_id,
            human_user_id=human_user_id,
        )
        recognizer = recognizer_for(providers)
        self._transcriber: HumanTranscriber | None = None
        if recognizer is None:
            log.warning("provider %s has no speech-to-text: the human's words are not transcribed", providers.name)
        else:
            self._transcriber = HumanTranscriber(
                recognizer=recognizer, identity=human_identity, on_utterance=self._on_human_utterance
            )
        self._questions: asyncio.Queue[str] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._closed = False

    async def start(self, room: rtc.Room, human: rtc.RemoteParticipant) -> None:
        """Start transcribing the human (now, or as soon as their microphone track arrives)."""
        if self._transcriber is not None and not self._closed:
            self._transcriber.start(room, human)

    @property
    def transcribing(self) -> bool:
        return self._transcriber is not None and self._transcriber.listening

    def _on_human_utterance(self, utterance: Utterance) -> None:
        self.conversation.add_line(
            "human",
            utterance.text,
            started_at=utterance.started_at,
            ended_at=utterance.ended_at,
            identity=self._human_identity,
        )

    def on_caller_turn(self, text: str) -> None:
        """Queue a suggestion for this caller turn and its analysis (intent, topic, sentiment for the live
        board); both are made in the background."""
        if self._closed or not text.strip():
            return
        self.conversation.analyze_caller_line(text)
        self._questions.put_nowait(text)
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._suggest_in_order(), name="copilot-suggestions")

    async def _suggest_in_order(self) -> None:
        while not self._questions.empty():
            question = self._questions.get_nowait()
            started = time.perf_counter()
            try:
                await asyncio.wait_for(self._suggest(question), SUGGESTION_TIMEOUT_SECONDS)
            except Exception:
                log.exception("no copilot suggestion for %r", question)
            else:
                log.debug("copilot suggestion in %.0f ms", (time.perf_counter() - started) * 1000)
            finally:
                self._questions.task_done()

    async def _suggest(self, question: str) -> None:
        suggestion = await self._maker.suggest(question)
        if suggestion is None:
            return
        async with self._database.as_service() as conn:
            await insert_suggestion(conn, suggestion)

    async def settled(self) -> None:
        """Until every queued caller turn has had its suggestion made (or given up on)."""
        await self._questions.join()

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._worker
        while not self._questions.empty():
            self._questions.get_nowait()
            self._questions.task_done()
        if self._transcriber is not None:
            await self._transcriber.aclose()


class SilentCopilotAgent(Agent):
    """The agent while a person has the call: it listens to the caller and says nothing.

    In livekit-agents 1.8.9 a StopResponse raised from on_user_turn_completed drops the caller's message
    (AgentActivity returns before it reaches the chat context or `conversation_item_added`), so the message is
    committed here, the way the activity commits a turn it does not reply to."""

    def __init__(self, copilot: Copilot, *, instructions: str, chat_ctx: llm.ChatContext | None) -> None:
        super().__init__(instructions=instructions, chat_ctx=chat_ctx)
        self._copilot = copilot
        self._lines_to_say: list[str] = []

    @property
    def copilot(self) -> Copilot:
        return self._copilot

    async def on_enter(self) -> None:
        # Lines the conversation would say on its own (a prompt to a silent caller) stay unsaid.
        self._copilot.conversation.speak = self._stay_silent

    @staticmethod
    def _stay_silent(text: str) -> None:
        log.info("copilot mode: not saying %r", text)

    async def on_user_turn_completed(self, turn_ctx: llm.ChatContext, new_message: llm.ChatMessage) -> None:
        text = (new_message.text_content or "").strip()
        if text:
            self._chat_ctx.items.append(new_message)
            self.session._conversation_item_added(new_message)
            self._copilot.on_caller_turn(text)
        raise StopResponse()

    async def llm_node(
        self, chat_ctx: llm.ChatContext, tools: list[llm.Tool], model_settings: ModelSettings
    ) -> AsyncIterable[llm.ChatChunk | str | FlushSentinel]:
        # Nothing asks this agent for a reply; should something, it has none.
        return
        yield

    def will_say(self, line: str) -> None:
        """Let one line through to speech (the handoff flow asking the caller to hold on while the person's line
        is down); everything else stays unsaid."""
        self._lines_to_say.append(line)

    async def tts_node(self, text: AsyncIterable[str], model_settings: ModelSettings) -> AsyncIterable[rtc.AudioFrame]:
        # Whatever else reaches speech while the person has the call is dropped: the copilot never talks over them.
        spoken = "".join([chunk async for chunk in text])
        if spoken not in self._lines_to_say:
            return
        self._lines_to_say.remove(spoken)
        async for frame in Agent.default.tts_node(self, _text_once(spoken), model_settings):
            yield frame


async def _text_once(text: str) -> AsyncIterable[str]:
    yield text
