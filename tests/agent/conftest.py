"""Fixtures for the agent tests: a business with two workspaces in the running
database (one with a small help-center knowledge base indexed by the
knowledge code, one with none), removed afterwards; the worker's shared
models; and a text-mode AgentSession running the CallAgent against the real
call record, retrieval, analysis and summary."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
from livekit.agents import AgentSession, ConversationItemAddedEvent, llm

from agent_container.call_agent import CallAgent
from agent_container.conversation import CallConversation
from agent_container.handoff_flow import HandoffFlow
from agent_container.knowledge import KnowledgeRetriever
from agent_container.providers import SharedModels
from callcenter.calls.agent_settings import AgentSettings, EscalationRules, load_agent_settings
from callcenter.calls.analysis import build_call_analyzer
from callcenter.calls.records import CallRecorder
from callcenter.calls.summary import build_call_summarizer
from callcenter.db import Database
from callcenter.settings import Settings
from tests.db import dbkit
from tests.seed_knowledge import index_article

HELP_CENTER = {
    "Refunds and returns": """# Refunds and returns

You can return any unused item within 30 days of delivery.
Refunds are issued to the original payment method within 5 business days after we receive the returned item.
Start a return from the [returns page](https://acme.example/returns).
""",
    "Shipping": """# Shipping

Standard shipping takes 3 to 5 business days. Express shipping arrives the next business day if you order
before 2 pm. Shipping is free on orders over 50 dollars.
""",
    "Contact us": """# Opening hours

Our support team is available Monday to Friday, 8 am to 6 pm Eastern time.
On weekends you can reach us by email.
""",
}


# The handoff flow follows the queue this often in these tests (1 s in a call).
HANDOFF_TICK_SECONDS = 0.2


@dataclass(frozen=True)
class Workspaces:
    business_id: uuid.UUID
    with_knowledge: uuid.UUID
    empty: uuid.UUID


@pytest.fixture(scope="session")
async def pool() -> AsyncIterator[dbkit.Pool]:
    async with dbkit.open_pool() as created:
        yield created


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings(database_url=dbkit.DATABASE_URL, voice_provider="offline", call_analysis_provider="local")


@pytest.fixture(scope="session")
def models(settings: Settings) -> SharedModels:
    return SharedModels(settings)


@pytest.fixture(scope="session")
async def database(settings: Settings) -> AsyncIterator[Database]:
    created = Database(settings)
    try:
        yield created
    finally:
        await created.close()


@pytest.fixture(scope="session")
async def workspaces(pool: dbkit.Pool) -> AsyncIterator[Workspaces]:
    registry = dbkit.new_registry("agent")
    try:
        async with pool.acquire() as conn, conn.transaction():
            owner = await dbkit.create_user(conn, registry, "owner")
            business, support = await dbkit.create_business(conn, registry, owner, registry.name("Acme"), "Support")
            empty = await dbkit.add_workspace(conn, business, "Empty")
            for title, body in HELP_CENTER.items():
                await index_article(conn, support, business, title, body)
        yield Workspaces(business, support, empty)
    finally:
        await dbkit.cleanup(pool, registry)


async def agent_settings_for(pool: dbkit.Pool, workspace_id: uuid.UUID, **escalation: object) -> AgentSettings:
    async with pool.acquire() as conn:
        loaded = await load_agent_settings(conn, workspace_id)  # type: ignore[arg-type]
    rules = loaded.escalation.model_copy(update=escalation)
    return loaded.model_copy(update={"escalation": EscalationRules.model_validate(rules.model_dump())})


@dataclass
class CallUnderTest:
    session: AgentSession[None]
    agent: CallAgent
    conversation: CallConversation
    recorder: CallRecorder
    ended: list[str]
    flow: HandoffFlow

    @property
    def call_id(self) -> uuid.UUID:
        return self.recorder.call_id

    async def settle(self) -> None:
        """Wait for the background judgement of every turn and for the recorder to store everything."""
        await self.conversation.settled()
        for _ in range(200):
            if self.recorder.pending == 0:
                return
            await _sleep(0.05)
        raise AssertionError(f"{self.recorder.pending} writes still pending")


async def _sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


CallFactory = Callable[..., Awaitable[CallUnderTest]]


@pytest.fixture
async def start_call(
    pool: dbkit.Pool, database: Database, models: SharedModels, settings: Settings
) -> AsyncIterator[Callable[..., object]]:
    """`async with start_call(workspace_id, **escalation) as call:` a text-mode call with the grounded responder."""
    opened: list[CallUnderTest] = []

    @asynccontextmanager
    async def factory(
        workspace_id: uuid.UUID,
        room_name: str | None = None,
        position_update_seconds: float = 60.0,
        join_timeout_seconds: float = 30.0,
        **escalation: object,
    ) -> AsyncIterator[CallUnderTest]:
        agent_settings = await agent_settings_for(pool, workspace_id, **escalation)
        recorder, resume = await CallRecorder.open(
            database,
            workspace_id=workspace_id,
            room_name=room_name or f"call-test-{uuid.uuid4()}",
            channel="browser",
            worker_id="tests/agent",
            caller_identity="tester",
            heartbeat_seconds=0,
        )
        conversation = CallConversation(
            settings=agent_settings,
            recorder=recorder,
            resume=resume,
            retriever=KnowledgeRetriever(
                database, models.embedder(), workspace_id, limit=settings.agent_retrieval_limit
            ),
            answer_finder=models.answer_finder(),
            analyzer=build_call_analyzer(settings),
            summarizer=build_call_summarizer(settings),
        )
        ended: list[str] = []
        conversation.end_call = lambda: ended.append("goodbye")
        flow = HandoffFlow(
            conversation,
            database,
            workspace_id=workspace_id,
            reconnect_grace_seconds=1.0,
            join_timeout_seconds=join_timeout_seconds,
            tick_seconds=HANDOFF_TICK_SECONDS,
            position_update_seconds=position_update_seconds,
        )
        agent = CallAgent(conversation)
        async with AgentSession[None](llm=models.grounded_llm(), vad=None) as session:

            @session.on("conversation_item_added")
            def item_added(event: ConversationItemAddedEvent) -> None:
                if isinstance(event.item, llm.ChatMessage):
                    conversation.on_message(event.item)

            await session.start(agent)
            await asyncio.wait_for(agent.opening_said(), 10)
            call = CallUnderTest(session, agent, conversation, recorder, ended, flow)
            opened.append(call)
            try:
                yield call
            finally:
                await flow.aclose()
                await conversation.close()

    yield factory
