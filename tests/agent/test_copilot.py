"""The copilot without audio: the steps read from a passage, the suggestion
made for each caller turn with the offline providers against a workspace
knowledge base in the running database, its row in public.copilot_suggestions
(visible to the human it is for and to managers, not to another agent), the
SilentCopilotAgent committing the caller's turn without a reply, and the
caller's turns still moving the call's live analysis (sentiment and trend)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from livekit.agents import StopResponse, llm

from agent_container.copilot import Copilot, SilentCopilotAgent, SuggestionMaker, recognizer_for
from agent_container.knowledge import KnowledgeRetriever
from agent_container.providers import SharedModels, VoiceProviders, build_voice_providers
from callcenter.calls.suggestions import Suggestion, extract_steps, insert_suggestion, is_instruction
from callcenter.db import Database
from callcenter.settings import Settings
from tests.agent.conftest import Workspaces, agent_settings_for
from tests.db import dbkit

StartCall = Any

REFUND_QUESTION = "How long does a refund take?"


# ---------------------------------------------------------------- steps


def test_a_bulleted_procedure_is_the_steps() -> None:
    passage = """Scan the QR code from your welcome email in Settings, then Mobile data.

- Keep the phone connected to Wi-Fi while the eSIM downloads.
- Restart the phone when the download finishes.
"""
    assert extract_steps(passage) == [
        "Keep the phone connected to Wi-Fi while the eSIM downloads.",
        "Restart the phone when the download finishes.",
    ]


def test_a_numbered_procedure_keeps_its_order_links_and_wrapped_lines() -> None:
    passage = """# Resetting your password

1. Open the [sign-in page](https://acme.example/login).
2. Choose **Forgot password** and enter the email
   address of your account.
3) We send you a link that is valid for one hour.
"""
    assert extract_steps(passage) == [
        "Open the sign-in page (https://acme.example/login).",
        "Choose Forgot password and enter the email address of your account.",
        "We send you a link that is valid for one hour.",
    ]


def test_instructions_in_prose_are_the_steps() -> None:
    passage = """# Refunds and returns

You can return any unused item within 30 days of delivery.
Refunds are issued to the original payment method within 5 business days after we receive the returned item.
Start a return from the [returns page](https://acme.example/returns).
To track it, open your orders and select the return. If it is late, contact us by email.
"""
    assert extract_steps(passage) == [
        "Start a return from the returns page (https://acme.example/returns).",
        "To track it, open your orders and select the return.",
        "If it is late, contact us by email.",
    ]


def test_a_passage_that_only_informs_has_no_steps() -> None:
    passage = """# Opening hours

Our support team is available Monday to Friday, 8 am to 6 pm Eastern time.
On weekends you can reach us by email.
- Phone: Monday to Friday
"""
    assert extract_steps(passage) == []


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Restart the router.", True),
        ("Please call us back tomorrow.", True),
        ("First, unplug the charger.", True),
        ("To cancel an order, email support.", True),
        ("Refunds take five days.", False),
        ("Returns are free.", False),
        ("To be eligible, items must be unused.", False),
    ],
)
def test_an_instruction_starts_with_a_verb(sentence: str, expected: bool) -> None:
    assert is_instruction(sentence) is expected


# ---------------------------------------------------------------- suggestions


@dataclass(frozen=True)
class Team:
    human: dbkit.Actor
    other_agent: dbkit.Actor
    owner_id: uuid.UUID


@pytest.fixture(scope="module")
async def team(pool: dbkit.Pool, workspaces: Workspaces) -> AsyncIterator[Team]:
    registry = dbkit.new_registry("copilot")
    try:
        async with pool.acquire() as conn, conn.transaction():
            human = await dbkit.create_user(conn, registry, "human", full_name="Sam Agent")
            other = await dbkit.create_user(conn, registry, "other")
            for member in (human, other):
                await dbkit.add_business_member(conn, workspaces.business_id, member, "agent")
                await dbkit.add_workspace_member(
                    conn, workspaces.business_id, workspaces.with_knowledge, member, "agent"
                )
            owner_id = await conn.fetchval(
                "select user_id from public.business_members where business_id = $1 and role = 'owner'",
                workspaces.business_id,
            )
        yield Team(human, other, owner_id)
    finally:
        await dbkit.cleanup(pool, registry)


@pytest.fixture(scope="module")
async def providers(pool: dbkit.Pool, models: SharedModels, workspaces: Workspaces) -> VoiceProviders:
    return build_voice_providers(models, await agent_settings_for(pool, workspaces.with_knowledge))


def retriever_for(database: Database, models: SharedModels, settings: Settings, workspace_id: uuid.UUID) -> Any:
    return KnowledgeRetriever(database, models.embedder(), workspace_id, limit=settings.agent_retrieval_limit)


def copilot_for(call: Any, team: Team, providers: VoiceProviders, database: Database, retriever: Any) -> Copilot:
    return Copilot(
        conversation=call.conversation,
        providers=providers,
        retriever=retriever,
        database=database,
        call_id=call.call_id,
        workspace_id=call.conversation.settings.workspace_id,
        human_user_id=team.human.uid,
        human_identity=f"human-{team.human.uid}",
    )


async def go_silent(call: Any, copilot: Copilot) -> SilentCopilotAgent:
    """The call's session switched to the silent copilot agent, as when a person joins."""
    silent = SilentCopilotAgent(copilot, instructions="Stay silent.", chat_ctx=call.conversation.history_chat_context())
    call.session.update_agent(silent)
    await until(lambda: call.conversation.speak is SilentCopilotAgent._stay_silent)
    return silent


async def suggestions_seen_by(pool: dbkit.Pool, actor: dbkit.Actor, call_id: uuid.UUID) -> list[dict[str, Any]]:
    async with pool.acquire() as conn, conn.transaction():
        rows = await dbkit.fetch_as(
            conn, actor, "select * from public.copilot_suggestions where call_id = $1 order by created_at", call_id
        )
    return [dict(row) for row in rows]


async def test_suggests_what_to_say_the_steps_and_the_passages(
    start_call: StartCall,
    workspaces: Workspaces,
    team: Team,
    providers: VoiceProviders,
    database: Database,
    models: SharedModels,
    settings: Settings,
) -> None:
    async with start_call(workspaces.with_knowledge) as call:
        maker = SuggestionMaker(
            conversation=call.conversation,
            providers=providers,
            retriever=retriever_for(database, models, settings, workspaces.with_knowledge),
            call_id=call.call_id,
            workspace_id=workspaces.with_knowledge,
            human_user_id=team.human.uid,
        )
        known_before = len(call.conversation.knowledge_used)
        suggestion = await maker.suggest(REFUND_QUESTION)
        assert suggestion is not None
        assert suggestion.for_user_id == team.human.uid and suggestion.call_id == call.call_id
        assert suggestion.question == REFUND_QUESTION
        assert suggestion.say is not None and "5 business days" in suggestion.say
        assert "http" not in suggestion.say
        assert suggestion.steps == ["Start a return from the returns page."]
        assert suggestion.passages and suggestion.passages[0].title == "Refunds and returns"
        # Recorded as knowledge the call used, as the conversation records its own turns' passages.
        assert call.conversation.knowledge_used[known_before:] == suggestion.passages

        hours = await maker.suggest("When is your support team available?")
        assert hours is not None and hours.say is not None and "Monday to Friday" in hours.say
        assert hours.steps == []

        nothing = await maker.suggest("Do you sell pizza?")
        assert nothing is not None and nothing.say is None and nothing.steps == []

        for small_talk in ("Thank you!", "Hello there.", "Can I talk to your manager?", "  "):
            assert await maker.suggest(small_talk) is None, small_talk


async def test_suggestions_reach_only_the_human_they_are_for_and_managers(
    start_call: StartCall,
    workspaces: Workspaces,
    team: Team,
    providers: VoiceProviders,
    database: Database,
    models: SharedModels,
    settings: Settings,
    pool: dbkit.Pool,
) -> None:
    async with start_call(workspaces.with_knowledge) as call:
        copilot = copilot_for(
            call, team, providers, database, retriever_for(database, models, settings, workspaces.with_knowledge)
        )
        try:
            # Queued without waiting, made one after the other in the order the caller spoke.
            copilot.on_caller_turn(REFUND_QUESTION)
            copilot.on_caller_turn("Thanks.")
            copilot.on_caller_turn("How fast is express shipping?")
            await copilot.settled()
        finally:
            await copilot.aclose()
        call_id = call.call_id

    mine = await suggestions_seen_by(pool, team.human, call_id)
    assert [row["question"] for row in mine] == [REFUND_QUESTION, "How fast is express shipping?"]
    refund, shipping = mine
    assert "5 business days" in refund["say"] and "next business day" in shipping["say"]
    assert json.loads(refund["steps"]) == ["Start a return from the returns page."]
    passages = json.loads(refund["passages"])
    assert passages[0]["title"] == "Refunds and returns" and "5 business days" in passages[0]["content"]
    assert set(passages[0]) >= {"chunk_id", "source_id", "title", "url", "page", "heading_path", "content", "score"}
    assert all(row["for_user_id"] == team.human.uid for row in mine)

    assert await suggestions_seen_by(pool, team.other_agent, call_id) == []
    owner = dbkit.Actor("owner", team.owner_id, None)
    assert [row["id"] for row in await suggestions_seen_by(pool, owner, call_id)] == [row["id"] for row in mine]


async def test_a_user_cannot_write_suggestions(
    start_call: StartCall, workspaces: Workspaces, team: Team, pool: dbkit.Pool
) -> None:
    async with start_call(workspaces.with_knowledge) as call:
        call_id = call.call_id
    async with pool.acquire() as conn, conn.transaction():
        refusal = await dbkit.refused(
            conn,
            team.human,
            """insert into public.copilot_suggestions (call_id, workspace_id, for_user_id, question)
               values ($1, $2, $3, 'x')""",
            call_id,
            workspaces.with_knowledge,
            team.human.uid,
        )
    assert refusal.sqlstate == dbkit.INSUFFICIENT_PRIVILEGE


async def test_insert_keeps_a_suggestion_without_an_answer(
    start_call: StartCall, workspaces: Workspaces, team: Team, database: Database, pool: dbkit.Pool
) -> None:
    async with start_call(workspaces.with_knowledge) as call:
        call_id = call.call_id
    async with database.as_service() as conn:
        suggestion_id = await insert_suggestion(
            conn,
            Suggestion(
                call_id=call_id,
                workspace_id=workspaces.with_knowledge,
                for_user_id=team.human.uid,
                question="Do you sell pizza?",
            ),
        )
    [row] = await suggestions_seen_by(pool, team.human, call_id)
    assert row["id"] == suggestion_id and row["say"] is None
    assert json.loads(row["steps"]) == [] and json.loads(row["passages"]) == []


async def test_a_suggestion_that_fails_is_logged_and_the_next_one_is_made(
    start_call: StartCall,
    workspaces: Workspaces,
    team: Team,
    providers: VoiceProviders,
    database: Database,
    models: SharedModels,
    settings: Settings,
    pool: dbkit.Pool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with start_call(workspaces.with_knowledge) as call:
        # A suggestion for a user who does not exist breaks the foreign key: that one is lost, not the call.
        stranger = dbkit.Actor("stranger", uuid.uuid4(), None)
        broken = copilot_for(
            call,
            Team(stranger, team.other_agent, team.owner_id),
            providers,
            database,
            retriever_for(database, models, settings, workspaces.with_knowledge),
        )
        broken.on_caller_turn(REFUND_QUESTION)
        await broken.settled()
        await broken.aclose()
        assert "no copilot suggestion" in caplog.text

        copilot = copilot_for(
            call, team, providers, database, retriever_for(database, models, settings, workspaces.with_knowledge)
        )
        copilot.on_caller_turn(REFUND_QUESTION)
        await copilot.settled()
        await copilot.aclose()
        copilot.on_caller_turn("How fast is express shipping?")  # closed: ignored
        call_id = call.call_id
    assert [row["question"] for row in await suggestions_seen_by(pool, team.human, call_id)] == [REFUND_QUESTION]


async def until(check: Callable[[], bool], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


def test_whisper_is_put_behind_the_vad_for_the_human(providers: VoiceProviders) -> None:
    from livekit.agents import stt

    recognizer = recognizer_for(providers)
    assert isinstance(recognizer, stt.StreamAdapter) and recognizer.wrapped_stt is providers.stt
    assert recognizer.capabilities.streaming


# ---------------------------------------------------------------- the silent agent


async def test_the_silent_agent_commits_the_caller_turn_and_never_replies(
    start_call: StartCall,
    workspaces: Workspaces,
    team: Team,
    providers: VoiceProviders,
    database: Database,
    models: SharedModels,
    settings: Settings,
    pool: dbkit.Pool,
) -> None:
    retriever = retriever_for(database, models, settings, workspaces.with_knowledge)
    async with start_call(workspaces.with_knowledge) as call:
        added: list[llm.ChatMessage] = []
        call.session.on(
            "conversation_item_added",
            lambda event: added.append(event.item) if isinstance(event.item, llm.ChatMessage) else None,
        )
        copilot = copilot_for(call, team, providers, database, retriever)
        silent = await go_silent(call, copilot)
        lines_before = len(call.conversation.transcript)

        # What the conversation would say on its own while the person has the call is not said.
        call.conversation.say("Are you still there?")

        message = llm.ChatMessage(role="user", content=[REFUND_QUESTION])
        with pytest.raises(StopResponse):
            await silent.on_user_turn_completed(silent.chat_ctx.copy(), message)
        await copilot.settled()
        await copilot.aclose()
        await call.settle()

        assert [item.id for item in added] == [message.id]
        assert silent.chat_ctx.items[-1].id == message.id
        assert [(line.speaker, line.text) for line in call.conversation.transcript[lines_before:]] == [
            ("customer", REFUND_QUESTION)
        ]
        call_id = call.call_id
    [suggestion] = await suggestions_seen_by(pool, team.human, call_id)
    assert suggestion["question"] == REFUND_QUESTION and "5 business days" in suggestion["say"]


async def test_the_callers_turns_keep_the_calls_analysis_live_without_opening_turns(
    start_call: StartCall,
    workspaces: Workspaces,
    team: Team,
    providers: VoiceProviders,
    database: Database,
    models: SharedModels,
    settings: Settings,
    pool: dbkit.Pool,
) -> None:
    retriever = retriever_for(database, models, settings, workspaces.with_knowledge)
    async with start_call(workspaces.with_knowledge) as call:
        copilot = copilot_for(call, team, providers, database, retriever)
        silent = await go_silent(call, copilot)

        seen: list[dict[str, Any]] = []
        for text in (
            "This is ridiculous. My refund is late again and I am really angry about it!",
            "Oh that's wonderful, thank you so much, that really helps!",
        ):
            with pytest.raises(StopResponse):
                await silent.on_user_turn_completed(
                    silent.chat_ctx.copy(), llm.ChatMessage(role="user", content=[text])
                )
            await call.settle()
            row = await pool.fetchrow(
                """select intent, topic, sentiment_label, sentiment_score, sentiment_trend::text as trend
                   from public.calls where id = $1""",
                call.call_id,
            )
            assert row is not None
            seen.append(dict(row))
        await copilot.settled()
        await copilot.aclose()
        call_id = call.call_id

    angry, pleased = seen
    assert angry["sentiment_label"] == "negative" and angry["trend"] == "steady", angry
    assert pleased["sentiment_label"] == "positive" and pleased["trend"] == "improving", pleased
    assert pleased["sentiment_score"] > angry["sentiment_score"]
    assert angry["intent"] and angry["topic"]
    assert (
        call.conversation.latest_analysis is not None
        and call.conversation.latest_analysis.sentiment_label == "positive"
    )
    # The copilot's turns are the person's, not the AI's: no call_turns rows.
    assert await pool.fetchval("select count(*) from public.call_turns where call_id = $1", call_id) == 0
