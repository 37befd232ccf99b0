"""One record per caller turn: what was asked, what was looked up, what the AI
said, how the turn was judged, and how long each stage took.

A turn opens when the caller's message is committed (its id keys the turn),
and the next AI reply closes it. Latency comes from livekit's per-message
metrics — end of turn delay and transcription delay on the caller's message,
LLM first token, TTS first audio and the end-to-end latency on the AI's — plus
the retrieval time measured here. Each update is written again under the same
turn_index (the recorder upserts)."""

from __future__ import annotations

from dataclasses import dataclass, field

from livekit.agents import llm

from callcenter.calls.analysis import TurnAnalysis
from callcenter.calls.handoff import KnowledgeUsed
from callcenter.calls.records import TurnRecord


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None or seconds < 0 else round(seconds * 1000, 1)


@dataclass
class Turn:
    index: int
    message_id: str
    user_text: str
    end_of_turn_ms: float | None = None
    stt_ms: float | None = None
    retrieval_ms: float | None = None
    knowledge_used: list[KnowledgeUsed] = field(default_factory=list)
    retrieval_failed: bool = False
    reply_text: str | None = None
    reply_interrupted: bool = False
    llm_first_token_ms: float | None = None
    tts_first_audio_ms: float | None = None
    end_to_end_ms: float | None = None
    answered: bool | None = None
    analysis: TurnAnalysis | None = None

    def take_user_metrics(self, message: llm.ChatMessage) -> None:
        metrics = message.metrics
        self.end_of_turn_ms = _ms(metrics.get("end_of_turn_delay")) or self.end_of_turn_ms
        self.stt_ms = _ms(metrics.get("transcription_delay")) or self.stt_ms

    def take_reply(self, message: llm.ChatMessage) -> None:
        metrics = message.metrics
        self.reply_text = message.text_content or ""
        self.reply_interrupted = message.interrupted
        self.llm_first_token_ms = _ms(metrics.get("llm_node_ttft"))
        self.tts_first_audio_ms = _ms(metrics.get("tts_node_ttfb"))
        self.end_to_end_ms = _ms(metrics.get("e2e_latency"))

    @property
    def total_ms(self) -> float | None:
        """Caller stopped speaking -> AI started speaking: livekit's end-to-end figure when it has one,
        otherwise the sum of the stages that ran."""
        if self.end_to_end_ms is not None:
            return self.end_to_end_ms
        stages = [self.end_of_turn_ms, self.retrieval_ms, self.llm_first_token_ms, self.tts_first_audio_ms]
        known = [stage for stage in stages if stage is not None]
        return round(sum(known), 1) if known and self.reply_text is not None else None

    def record(self) -> TurnRecord:
        return TurnRecord(
            turn_index=self.index,
            user_text=self.user_text,
            reply_text=self.reply_text,
            knowledge_used=list(self.knowledge_used),
            answered=self.answered,
            analysis=self.analysis,
            end_of_turn_ms=self.end_of_turn_ms,
            stt_ms=self.stt_ms,
            retrieval_ms=self.retrieval_ms,
            llm_first_token_ms=self.llm_first_token_ms,
            tts_first_audio_ms=self.tts_first_audio_ms,
            total_ms=self.total_ms,
        )


class TurnLedger:
    def __init__(self, first_index: int = 0) -> None:
        self._next_index = first_index
        self._by_message: dict[str, Turn] = {}
        self._awaiting_reply: Turn | None = None

    def open(self, message: llm.ChatMessage) -> tuple[Turn, bool]:
        """The turn of this caller message, and whether it is new (the same message opens one turn only)."""
        turn = self._by_message.get(message.id)
        if turn is not None:
            return turn, False
        turn = Turn(index=self._next_index, message_id=message.id, user_text=(message.text_content or "").strip())
        turn.take_user_metrics(message)
        self._next_index += 1
        self._by_message[message.id] = turn
        self._awaiting_reply = turn
        return turn, True

    def get(self, message_id: str) -> Turn | None:
        return self._by_message.get(message_id)

    def close_with_reply(self, message: llm.ChatMessage) -> Turn | None:
        """Pair an AI reply with the latest caller turn still waiting for one (None: not a reply to a turn)."""
        turn, self._awaiting_reply = self._awaiting_reply, None
        if turn is not None:
            turn.take_reply(message)
        return turn

    @property
    def turns(self) -> list[Turn]:
        return sorted(self._by_message.values(), key=lambda turn: turn.index)
