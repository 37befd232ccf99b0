"""Everything one call keeps track of, apart from LiveKit itself: the transcript,
the turns (knowledge used, analysis, latency), the live analysis and the
handoff decision. The agent and the session feed it; it writes through the
CallRecorder, which never blocks. What happens after the decision (the queue,
the human joining, taking the caller back) is the HandoffEvents listener's
(agent_container.handoff_flow).

On the critical path of a turn only retrieval runs (`prepare_turn`). The
analysis, the "was it answered" judgement, the handoff policy and the
handoff context run afterwards in one background task, turn after turn in
order, so the policy sees the turns as they happened. The handoff request is
stored before the summary is made (the summary follows it). While a person
has the call, the caller's lines go through the same analysis
(`analyze_caller_line`), so the live board's sentiment keeps moving."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, Protocol

from livekit.agents import llm

from agent_container import handoff_lines
from agent_container.grounding import AnswerFinder
from agent_container.knowledge import KnowledgeRetriever, Retrieval
from agent_container.knowledge_brief import BriefPassage, KnowledgeBrief
from agent_container.turns import Turn, TurnLedger
from callcenter.calls.agent_settings import AgentSettings
from callcenter.calls.analysis import CallAnalyzer, SentimentTrend, TurnAnalysis
from callcenter.calls.handoff import HandoffContext, HandoffPolicy, HandoffReason, KnowledgeUsed, TranscriptLine
from callcenter.calls.intents import Act, is_small_talk_only, recognize_acts
from callcenter.calls.records import CallRecorder, ResumeState, Speaker
from callcenter.calls.routing import HandoffState, HandoffStatus
from callcenter.calls.summary import CallSummarizer

log = logging.getLogger(__name__)

ANALYSIS_TIMEOUT_SECONDS = 8.0
SUMMARY_TIMEOUT_SECONDS = 10.0

HANDOFF_ANNOUNCEMENT = {
    HandoffReason.UNANSWERED_QUESTIONS: (
        "I'm sorry I couldn't answer that. I'm bringing in a colleague who can help you. Please stay on the line."
    ),
    HandoffReason.NEGATIVE_SENTIMENT: (
        "I'm sorry about the trouble. I'm bringing in a colleague who can help you right away. Please stay on the line."
    ),
    HandoffReason.NEEDS_ACCOUNT_ACCESS: (
        "That needs someone with access to your account. I'm bringing in a colleague who can help. "
        "Please stay on the line."
    ),
}
# The caller asked for a person: the reply to that turn already says a colleague is coming.
# What a "yes" to the offer of a person is taken as.
ACCEPTED_OFFER = "Yes, please connect me with a person."
_OFFERS_PERSON = re.compile(r"\bconnect you (?:with|to) (?:a|an) (?:person|colleague|agent|human)\b", re.IGNORECASE)


# A handoff in one of these is under way: the policy does not decide again until the call is back with the AI.
HANDOFF_UNDER_WAY = frozenset({HandoffStatus.WAITING, HandoffStatus.OFFERED, HandoffStatus.CONNECTED})


class HandoffEvents(Protocol):
    """Who acts on the conversation's handoff decisions (agent_container.handoff_flow.HandoffFlow)."""

    def handoff_requested(self, stored: asyncio.Future[HandoffState | None]) -> None:
        """The decision was queued for the database; `stored` resolves with the call's handoff state."""

    def callback_requested(self, note: str) -> None:
        """The caller asked to be called back (the AI has confirmed it)."""


def at_utc(timestamp: float | None) -> datetime:
    """A Unix timestamp as an aware datetime (now when there is none)."""
    return datetime.fromtimestamp(timestamp, UTC) if timestamp else datetime.now(UTC)


@dataclass(frozen=True)
class _Judgement:
    # None: a caller line while a person has the call, analysed for the live board only (no turn, no policy).
    turn: Turn | None
    utterance: str
    passages: list[str]


class CallConversation:
    def __init__(
        self,
        *,
        settings: AgentSettings,
        recorder: CallRecorder,
        resume: ResumeState,
        retriever: KnowledgeRetriever,
        answer_finder: AnswerFinder,
        analyzer: CallAnalyzer,
        summarizer: CallSummarizer,
    ) -> None:
        self.settings = settings
        self.recorder = recorder
        self.resume = resume
        self._retriever = retriever
        self._finder = answer_finder
        self._analyzer = analyzer
        self._summarizer = summarizer
        self._policy = HandoffPolicy(settings.escalation)
        self._trend = SentimentTrend()
        self._ledger = TurnLedger(resume.next_turn_index)
        self.transcript: list[TranscriptLine] = list(resume.transcript)
        self.knowledge_used: list[KnowledgeUsed] = []
        self.latest_analysis: TurnAnalysis | None = None
        self.handoff: HandoffContext | None = None
        self._handoff_already_requested = resume.handoff_status in HANDOFF_UNDER_WAY
        self.events: HandoffEvents | None = None
        # Replies the agent gives without the LLM, by caller message id (a callback is confirmed as arranged).
        self._scripted: dict[str, str] = {}
        self._callback_turns: set[int] = set()
        self._judgements: asyncio.Queue[_Judgement] = asyncio.Queue()
        self._judge_task: asyncio.Task[None] | None = None
        self._pending: set[str] = set()
        # Speaks a line to the caller (set by the agent once the session runs).
        self.speak: Callable[[str], None] | None = None
        # Ends the call after the goodbye has been said (set by the session).
        self.end_call: Callable[[], None] | None = None
        self._goodbye_turn: int | None = None
        self._closed = False
        # Why the call failed (a provider error closed the session), for the call's status detail.
        self.failure: str | None = None

    # ------------------------------------------------------------ the critical path

    async def prepare_turn(self, message: llm.ChatMessage) -> KnowledgeBrief:
        """Retrieve knowledge for a caller message (once per message) and queue its judgement."""
        turn, new = self._ledger.open(message)
        if not new:
            return self._brief(turn.user_text, turn.knowledge_used, accepted_offer=False)
        utterance = turn.user_text
        acts = recognize_acts(utterance)
        accepted_offer = self._accepts_offer_of_person(acts)
        callback = self._asks_for_callback(acts)
        if callback:
            self._arrange_callback(message, turn, utterance)
        retrieval = Retrieval()
        if self._needs_knowledge(utterance, acts) and not accepted_offer and not callback:
            started = time.perf_counter()
            retrieval = await self._retriever.retrieve(utterance)
            turn.retrieval_ms = round((time.perf_counter() - started) * 1000, 1)
        turn.retrieval_failed = retrieval.failed
        turn.knowledge_used = [KnowledgeUsed.from_search_result(result) for result in retrieval.results]
        self.knowledge_used.extend(turn.knowledge_used)
        if Act.GOODBYE in acts and is_small_talk_only(utterance):
            self._goodbye_turn = turn.index
        self.recorder.record_turn(turn.record())
        judged_utterance = ACCEPTED_OFFER if accepted_offer else utterance
        self._judgements.put_nowait(_Judgement(turn, judged_utterance, [p.content for p in turn.knowledge_used]))
        self._ensure_judge()
        return self._brief(utterance, turn.knowledge_used, accepted_offer=accepted_offer)

    def _brief(self, question: str, knowledge: list[KnowledgeUsed], *, accepted_offer: bool) -> KnowledgeBrief:
        return KnowledgeBrief(
            question=ACCEPTED_OFFER if accepted_offer else question,
            passages=[BriefPassage(title=item.citation, content=item.content) for item in knowledge],
            handoff_on_request=self.settings.escalation.handoff_on_request,
        )

    @staticmethod
    def _needs_knowledge(utterance: str, acts: set[Act]) -> bool:
        return bool(utterance) and Act.REQUEST_PERSON not in acts and not is_small_talk_only(utterance)

    def _last_ai_line(self) -> str:
        return next((line.text for line in reversed(self.transcript) if line.speaker == "ai"), "")

    def _accepts_offer_of_person(self, acts: set[Act]) -> bool:
        return acts == {Act.AFFIRM} and bool(_OFFERS_PERSON.search(self._last_ai_line()))

    def _asks_for_callback(self, acts: set[Act]) -> bool:
        """ "Call me back", or a plain yes right after the AI offered a callback."""
        if Act.REQUEST_CALLBACK in acts:
            return True
        return acts == {Act.AFFIRM} and handoff_lines.offers_callback(self._last_ai_line())

    def _arrange_callback(self, message: llm.ChatMessage, turn: Turn, utterance: str) -> None:
        self._callback_turns.add(turn.index)
        self._scripted[message.id] = handoff_lines.CALLBACK_CONFIRMED
        question = self._policy.unanswered_question
        note = f"The caller asked to be called back: {utterance!r}."
        if question:
            note += f" Unanswered question: {question!r}."
        if self.events is not None:
            self.events.callback_requested(note)
        else:
            log.warning("a callback was requested but nobody arranges callbacks on this call")

    def scripted_reply(self, message: llm.ChatMessage) -> str | None:
        """The reply to this caller message when the agent gives it itself (not the LLM)."""
        return self._scripted.get(message.id)

    # ------------------------------------------------------------ transcript

    def on_message(self, message: llm.ChatMessage) -> None:
        """A committed message of the conversation (livekit's conversation_item_added)."""
        text = (message.text_content or "").strip()
        if message.role not in ("user", "assistant") or not text:
            return
        metrics = message.metrics
        started = at_utc(metrics.get("started_speaking_at") or message.created_at)
        ended = max(at_utc(metrics.get("stopped_speaking_at") or message.created_at), started)
        if message.role == "user":
            self.add_line("customer", text, started_at=started, ended_at=ended)
            turn = self._ledger.get(message.id)
            if turn is not None:
                turn.take_user_metrics(message)
                self.recorder.record_turn(turn.record())
            return
        self.add_line("ai", text, started_at=started, ended_at=ended, interrupted=message.interrupted)
        if self._is_pending_line(text, message.interrupted):
            return
        reply_to = self._ledger.close_with_reply(message)
        if reply_to is None:
            return
        self.recorder.record_turn(reply_to.record())
        if reply_to.index == self._goodbye_turn and not message.interrupted and self.end_call is not None:
            self.end_call()

    def add_line(
        self,
        speaker: Speaker,
        text: str,
        *,
        started_at: datetime,
        ended_at: datetime,
        identity: str | None = None,
        interrupted: bool = False,
    ) -> None:
        self.recorder.add_segment(
            speaker,
            text,
            started_at=started_at,
            ended_at=ended_at,
            speaker_identity=identity,
            interrupted=interrupted,
        )
        self.transcript.append(TranscriptLine(speaker=speaker, text=text, at=started_at))

    def say(self, text: str) -> None:
        """A line the agent says on its own (not a reply): it must not be paired with a caller turn."""
        self._pending.add(text)
        if self.speak is not None:
            self.speak(text)

    def _is_pending_line(self, text: str, interrupted: bool) -> bool:
        for line in self._pending:
            if text == line or (interrupted and line.startswith(text)):
                self._pending.discard(line)
                return True
        return False

    def expect_line(self, text: str) -> None:
        """A line about to be said directly on the session (not through `say`): not a reply to a turn."""
        self._pending.add(text)

    def history_chat_context(self) -> llm.ChatContext:
        """The transcript so far as chat history (a call resumed by another worker, or taken back from a
        human, continues from it). What the human said counts as said by the business: the assistant."""
        chat_ctx = llm.ChatContext.empty()
        for line in self.transcript:
            role: Literal["user", "assistant"] = "user" if line.speaker == "customer" else "assistant"
            chat_ctx.add_message(role=role, content=line.text, created_at=line.at.timestamp())
        return chat_ctx

    def handoff_over(self) -> None:
        """The call is back with the AI: a new request for a person (or another rule) may hand it off again."""
        self._handoff_already_requested = False
        self._policy = HandoffPolicy(self.settings.escalation)

    # ------------------------------------------------------------ off the critical path

    def _ensure_judge(self) -> None:
        if self._judge_task is None or self._judge_task.done():
            self._judge_task = asyncio.create_task(self._judge_turns(), name="call-judge-turns")

    async def _judge_turns(self) -> None:
        while not self._judgements.empty():
            judgement = self._judgements.get_nowait()
            try:
                await self._judge(judgement)
            except Exception:
                log.exception("judging %r failed", judgement.utterance)
            finally:
                self._judgements.task_done()

    def analyze_caller_line(self, text: str) -> None:
        """A caller line the AI does not answer (a person has the call): its intent, topic and sentiment still
        reach the call, in order with the turns, off the critical path; it opens no turn."""
        text = text.strip()
        if not text or self._closed:
            return
        self._judgements.put_nowait(_Judgement(None, text, []))
        self._ensure_judge()

    async def _judge(self, judgement: _Judgement) -> None:
        turn, utterance = judgement.turn, judgement.utterance
        spoken = turn.user_text if turn is not None else utterance
        history = [line.text for line in self.transcript if line.speaker == "customer" and line.text != spoken]
        analysis = await self._analyze(utterance, history)
        trend = None
        if analysis is not None:
            trend = self._trend.add(analysis.sentiment_score)
            self.latest_analysis = analysis
            self.recorder.update_analysis(analysis, trend)
        if turn is None:
            return
        turn.analysis = analysis
        turn.answered = await self._answered(turn, utterance, judgement.passages)
        self.recorder.record_turn(turn.record())
        if self._handoff_already_requested or turn.index in self._callback_turns:
            return
        reason = self._policy.observe(utterance=utterance, answered=turn.answered, analysis=analysis)
        if reason is not None:
            await self._hand_off(reason, analysis, trend)

    async def _analyze(self, utterance: str, history: list[str]) -> TurnAnalysis | None:
        try:
            return await asyncio.wait_for(
                self._analyzer.analyze(utterance, history, self.settings), ANALYSIS_TIMEOUT_SECONDS
            )
        except Exception as error:
            log.warning("call analysis failed: %r", error)
            return None

    async def _answered(self, turn: Turn, utterance: str, passages: list[str]) -> bool | None:
        """None when there was nothing to answer (small talk, a request for a person) or the knowledge
        base could not be consulted; otherwise whether a passage answers the question."""
        if turn.index in self._callback_turns:
            return None
        if turn.retrieval_failed or not self._needs_knowledge(utterance, recognize_acts(utterance)):
            return None
        return (await self._finder.select(utterance, passages)).answered

    async def _hand_off(self, reason: HandoffReason, analysis: TurnAnalysis | None, trend: str | None) -> None:
        self._handoff_already_requested = True
        # The request goes to the queue at once; the summary (seconds with a hosted model) follows it.
        self.handoff = HandoffContext(
            reason=reason,
            intent=analysis.intent if analysis else None,
            topic=analysis.topic if analysis else None,
            sentiment_label=analysis.sentiment_label if analysis else None,
            sentiment_score=analysis.sentiment_score if analysis else None,
            sentiment_trend=trend,  # type: ignore[arg-type]
            knowledge_used=list(self.knowledge_used),
            transcript=list(self.transcript),
            unanswered_question=self._policy.unanswered_question,
        )
        stored = self.recorder.request_handoff(self.handoff)
        log.info("handoff requested: %s", reason)
        announcement = HANDOFF_ANNOUNCEMENT.get(reason)
        if announcement is not None:
            self.say(announcement)
        if self.events is not None:
            self.events.handoff_requested(stored)
        summary = await self.summarize(handoff_reason=reason)
        if summary:
            self.handoff = self.handoff.model_copy(update={"summary": summary})
            self.recorder.add_handoff_summary(summary)

    async def summarize(self, *, handoff_reason: HandoffReason | None = None) -> str:
        turns = [turn.record() for turn in self._ledger.turns]
        try:
            return await asyncio.wait_for(
                self._summarizer.summarize(
                    list(self.transcript), self.settings, turns=turns, handoff_reason=handoff_reason
                ),
                SUMMARY_TIMEOUT_SECONDS,
            )
        except Exception as error:
            log.warning("call summary failed: %r", error)
            return ""

    async def settled(self) -> None:
        """Wait until every queued turn has been judged (tests, and before closing the call)."""
        await self._judgements.join()

    async def close(self, *, status: Literal["ended", "failed"] = "ended", detail: str | None = None) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            await asyncio.wait_for(self.settled(), ANALYSIS_TIMEOUT_SECONDS + SUMMARY_TIMEOUT_SECONDS)
        except TimeoutError:
            log.warning("closing the call before every turn was judged")
        reason = self.handoff.reason if self.handoff is not None else None
        summary = await self.summarize(handoff_reason=reason) if self.transcript else None
        await self.recorder.close(status=status, summary=summary or None, detail=detail)
