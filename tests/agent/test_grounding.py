"""The grounded responder's pieces: choosing answer sentences from passages,
making text speakable, and the knowledge brief the agent hands the LLM."""

from __future__ import annotations

import pytest
from livekit.agents import llm

from agent_container.grounding import AnswerFinder, speakable, split_sentences
from agent_container.knowledge_brief import (
    MARKER,
    BriefPassage,
    KnowledgeBrief,
    brief_for_latest_turn,
    has_brief_for_latest_turn,
    latest_user_message,
)
from agent_container.plugins.grounded_llm import (
    GOODBYE,
    GREETING,
    HANDOFF_ACCEPTED,
    HANDOFF_DECLINED,
    NO_ANSWER,
    THANKS,
    GroundedLLM,
    GroundedResponder,
)
from agent_container.providers import SharedModels

PASSAGES = [
    "Refunds are issued to the original payment method within 5 business days after we receive the returned item. "
    "You can return any unused item within 30 days of delivery. See https://acme.example/returns for the form.",
    "Standard shipping takes 3 to 5 business days. Express shipping arrives the next business day if you order "
    "before 2 pm. Shipping is free on orders over $50.",
    "Our support team is available Monday to Friday, 8 am to 6 pm Eastern time. On weekends you can reach us by "
    "email at help@acme.example.",
    "To reset your password, click **Forgot password** on the sign-in page and follow the link in the email.",
]


@pytest.fixture(scope="module")
def finder(models: SharedModels) -> AnswerFinder:
    return models.answer_finder()


def test_speakable_text_has_no_urls_or_markdown() -> None:
    assert speakable("See the [returns page](https://acme.example/returns) or www.acme.example.") == (
        "See the returns page or."
    )
    assert speakable("- **Bold** and `code` | cell |") == "Bold and code cell"
    assert split_sentences("Short. This one has words. Visit https://x.example now.") == ["This one has words."]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How long does a refund take?", "within 5 business days"),
        ("When is your support team open?", "Monday to Friday"),
        ("can I return something I bought three weeks ago", "within 30 days of delivery"),
        ("how do I change my password", "Forgot password"),
        ("How much does shipping cost?", "free on orders over $50"),
    ],
)
async def test_picks_the_sentences_that_answer(finder: AnswerFinder, question: str, expected: str) -> None:
    selection = await finder.select(question, PASSAGES)
    assert selection.answered
    assert expected in selection.text
    assert 1 <= len(selection.sentences) <= 3
    assert "http" not in selection.text and "**" not in selection.text


@pytest.mark.parametrize(
    "question", ["Do you sell pizza?", "What is the capital of France?", "Do you have a store in Chicago?"]
)
async def test_finds_no_answer_where_there_is_none(finder: AnswerFinder, question: str) -> None:
    selection = await finder.select(question, PASSAGES)
    assert not selection.answered and selection.text == ""
    assert selection.best_score < finder.threshold


async def test_answer_sentences_keep_the_knowledge_base_order(finder: AnswerFinder) -> None:
    selection = await finder.select("shipping times and shipping cost", PASSAGES)
    positions = [(sentence.passage_index, sentence.position) for sentence in selection.sentences]
    assert positions == sorted(positions) and len(positions) >= 2


async def test_nothing_to_choose_from(finder: AnswerFinder) -> None:
    assert not (await finder.select("How long does a refund take?", [])).answered
    assert not (await finder.select("", PASSAGES)).answered


def _brief(question: str, *passages: str, handoff_on_request: bool = True) -> KnowledgeBrief:
    return KnowledgeBrief(
        question=question,
        passages=[BriefPassage(title="Help", content=text) for text in passages],
        handoff_on_request=handoff_on_request,
    )


def test_the_brief_survives_the_chat_context() -> None:
    brief = _brief("How long does a refund take?", PASSAGES[0])
    text = brief.to_text()
    assert MARKER in text and "Answer only from these passages" in text
    assert KnowledgeBrief.from_text(text) == brief
    assert KnowledgeBrief.from_text("no marker here") is None
    assert KnowledgeBrief.from_text(f"{MARKER}\n{{not json") is None


def test_only_the_brief_after_the_latest_caller_message_counts() -> None:
    chat_ctx = llm.ChatContext.empty()
    chat_ctx.add_message(role="user", content="How long does a refund take?")
    chat_ctx.items.append(_brief("How long does a refund take?", PASSAGES[0]).to_message())
    chat_ctx.add_message(role="assistant", content="Five business days.")
    assert has_brief_for_latest_turn(chat_ctx)
    chat_ctx.add_message(role="user", content="And shipping?")
    assert not has_brief_for_latest_turn(chat_ctx)
    assert brief_for_latest_turn(chat_ctx) is None
    message = latest_user_message(chat_ctx)
    assert message is not None and message.text_content == "And shipping?"


@pytest.mark.parametrize(
    ("utterance", "brief", "expected"),
    [
        ("Hello!", None, GREETING),
        ("Thank you so much.", None, THANKS),
        ("Goodbye.", None, GOODBYE),
        ("Can I speak to a human?", None, HANDOFF_ACCEPTED),
        ("Can I speak to a human?", _brief("Can I speak to a human?", handoff_on_request=False), HANDOFF_DECLINED),
        ("How long does a refund take?", None, NO_ANSWER),
        ("How long does a refund take?", _brief("How long does a refund take?"), NO_ANSWER),
        ("Do you sell pizza?", _brief("Do you sell pizza?", *PASSAGES), NO_ANSWER),
    ],
)
async def test_responder_replies(
    finder: AnswerFinder, utterance: str, brief: KnowledgeBrief | None, expected: str
) -> None:
    assert await GroundedResponder(finder).reply(utterance, brief) == expected


async def test_the_llm_streams_the_answer_sentence_by_sentence(finder: AnswerFinder) -> None:
    chat_ctx = llm.ChatContext.empty()
    chat_ctx.add_message(role="system", content="You are a helpful agent.")
    chat_ctx.add_message(role="user", content="shipping times and shipping cost")
    chat_ctx.items.append(_brief("shipping times and shipping cost", *PASSAGES).to_message())
    chunks: list[str] = []
    async with GroundedLLM(finder).chat(chat_ctx=chat_ctx) as stream:
        async for chunk in stream:
            if chunk.delta and chunk.delta.content:
                chunks.append(chunk.delta.content)
    assert len(chunks) >= 2
    reply = "".join(chunks)
    assert "3 to 5 business days" in reply and reply == await GroundedResponder(finder).reply("", chat_brief(chat_ctx))


def chat_brief(chat_ctx: llm.ChatContext) -> KnowledgeBrief | None:
    return brief_for_latest_turn(chat_ctx)
