"""The offline brain: a livekit-agents LLM that answers only from the
knowledge the agent retrieved for the turn.

It reads the caller's latest message and the knowledge brief that follows it
(agent_container.knowledge_brief), recognizes conversational acts with
callcenter.calls.intents, and replies deterministically:

* a request for a person: says a colleague will take over (or, when the
  workspace does not hand calls over on request, that it will keep helping);
* greetings, thanks, goodbyes, yes/no alone: a short fitting reply;
* a question: the most relevant sentences of the passages (AnswerFinder),
  read aloud without URLs or markdown; when none is relevant, says plainly
  that the knowledge base has no information on it and offers a person.

Replies stream sentence by sentence so speech can start on the first one."""

from __future__ import annotations

from typing import Any

from livekit.agents import llm
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, NOT_GIVEN, APIConnectOptions, NotGivenOr
from livekit.agents.utils import shortuuid

from agent_container.grounding import AnswerFinder, speakable, split_sentences
from agent_container.knowledge_brief import KnowledgeBrief, brief_for_latest_turn, latest_user_message
from callcenter.calls.intents import Act, is_small_talk_only, recognize_acts

NO_ANSWER = (
    "I'm sorry, I don't have information about that in my knowledge base. I can connect you with a person who can help."
)
HANDOFF_ACCEPTED = "Of course. I'm bringing in a colleague who can help you. Please stay on the line."
HANDOFF_DECLINED = "I'm not able to transfer you right now, but I'm happy to help. What do you need?"
GOODBYE = "Thank you for calling. Goodbye!"
THANKS_AND_GOODBYE = "You're welcome. Thank you for calling, goodbye!"
THANKS = "You're welcome. Is there anything else I can help you with?"
GREETING = "Hello! How can I help you today?"
AFFIRM = "Sure. What would you like to know?"
DENY = "Alright. Is there anything else I can help you with?"
DIDNT_CATCH = "Sorry, I didn't catch that. Could you say it again?"


class GroundedResponder:
    """Decides the reply; the LLM plugin below streams it."""

    def __init__(self, finder: AnswerFinder) -> None:
        self._finder = finder

    async def reply(self, utterance: str, brief: KnowledgeBrief | None) -> str:
        # The brief holds the caller's words as the agent understood them in context (a "yes" to the
        # offer of a person is a request for one).
        utterance = (brief.question if brief is not None else utterance).strip()
        if not utterance:
            return DIDNT_CATCH
        acts = recognize_acts(utterance)
        if Act.REQUEST_PERSON in acts:
            return HANDOFF_ACCEPTED if brief is None or brief.handoff_on_request else HANDOFF_DECLINED
        if is_small_talk_only(utterance):
            return self._small_talk(acts)
        if brief is None or not brief.passages:
            return NO_ANSWER
        selection = await self._finder.select(utterance, [passage.content for passage in brief.passages])
        if not selection.answered:
            return NO_ANSWER
        return selection.text

    @staticmethod
    def _small_talk(acts: set[Act]) -> str:
        if Act.GOODBYE in acts:
            return THANKS_AND_GOODBYE if Act.THANKS in acts else GOODBYE
        if Act.THANKS in acts:
            return THANKS
        if Act.GREETING in acts:
            return GREETING
        if Act.DENY in acts:
            return DENY
        if Act.AFFIRM in acts:
            return AFFIRM
        return DIDNT_CATCH


class GroundedLLM(llm.LLM[Any]):
    def __init__(self, finder: AnswerFinder) -> None:
        super().__init__()
        self._responder = GroundedResponder(finder)

    @property
    def model(self) -> str:
        return "grounded-responder"

    @property
    def provider(self) -> str:
        return "callcenter"

    @property
    def responder(self) -> GroundedResponder:
        return self._responder

    def chat(
        self,
        *,
        chat_ctx: llm.ChatContext,
        tools: list[llm.Tool] | None = None,
        conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS,
        parallel_tool_calls: NotGivenOr[bool] = NOT_GIVEN,
        tool_choice: NotGivenOr[llm.ToolChoice] = NOT_GIVEN,
        extra_kwargs: NotGivenOr[dict[str, Any]] = NOT_GIVEN,
    ) -> GroundedLLMStream:
        return GroundedLLMStream(self, chat_ctx=chat_ctx, tools=tools or [], conn_options=conn_options)


class GroundedLLMStream(llm.LLMStream):
    def __init__(
        self,
        grounded: GroundedLLM,
        *,
        chat_ctx: llm.ChatContext,
        tools: list[llm.Tool],
        conn_options: APIConnectOptions,
    ) -> None:
        super().__init__(grounded, chat_ctx=chat_ctx, tools=tools, conn_options=conn_options)
        self._grounded = grounded

    async def _run(self) -> None:
        message = latest_user_message(self._chat_ctx)
        utterance = message.text_content or "" if message is not None else ""
        reply = await self._grounded.responder.reply(utterance, brief_for_latest_turn(self._chat_ctx))
        request_id = shortuuid("grounded_")
        sentences = split_sentences(reply, min_words=1) or [speakable(reply)]
        for index, sentence in enumerate(sentences):
            text = sentence if index == 0 else f" {sentence}"
            self._event_ch.send_nowait(
                llm.ChatChunk(id=request_id, delta=llm.ChoiceDelta(role="assistant", content=text))
            )
        words = len(reply.split())
        self._event_ch.send_nowait(
            llm.ChatChunk(
                id=request_id,
                usage=llm.CompletionUsage(
                    completion_tokens=words, prompt_tokens=len(utterance.split()), total_tokens=words
                ),
            )
        )
