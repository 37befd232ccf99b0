"""Fixtures for the hosted-provider tests: a loopback fake of OpenAI's chat,
transcription and speech endpoints (reset to answer normally before each
test), settings that point the production `openai` provider at it, a
workspace with a small knowledge base in the running Postgres (indexed by the
knowledge code), and a text-mode call running the CallAgent on the provider's
models."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import pytest
from livekit.agents import AgentSession, ConversationItemAddedEvent, llm

from agent_container.call_agent import CallAgent
from agent_container.conversation import CallConversation
from agent_container.knowledge import KnowledgeRetriever
from agent_container.providers import SharedModels, VoiceProviders, build_voice_providers
from callcenter.calls.agent_settings import AgentSettings, load_agent_settings
from callcenter.calls.analysis import build_call_analyzer
from callcenter.calls.records import CallRecorder
from callcenter.calls.summary import build_call_summarizer
from callcenter.db import Database
from callcenter.settings import Settings
from tests.db import dbkit
from tests.fakes.openai_server import API_KEY, Script, fake_openai
from tests.seed_knowledge import index_article

ARTICLES = {
    "Refunds": (
        "# Refunds\n\nRefunds are issued to the original payment method within 5 business days "
        "after we receive the returned item. You can return any unused item within 30 days of delivery."
    ),
    "Opening hours": (
        "# Opening hours\n\nOur support team is available Monday to Friday, 8 am to 6 pm Eastern time. "
        "On weekends you can reach us by email."
    ),
}


@pytest.fixture(scope="session")
def fake() -> Iterator[tuple[str, Script]]:
    with fake_openai() as served:
        yield served


@pytest.fixture
def script(fake: tuple[str, Script]) -> Script:
    """The fake's script, back to answering normally with an empty log."""
    _, current = fake
    current.reset()
    return current


@pytest.fixture(scope="session")
def settings(fake: tuple[str, Script]) -> Settings:
    base_url, _ = fake
    return Settings(
        database_url=dbkit.DATABASE_URL,
        voice_provider="openai",
        openai_base_url=base_url,
        openai_api_key=API_KEY,
        call_analysis_provider="local",
        embedding_provider="local",
    )


@pytest.fixture(scope="session")
def models(settings: Settings) -> SharedModels:
    return SharedModels(settings)


@pytest.fixture(scope="session")
async def pool() -> AsyncIterator[dbkit.Pool]:
    async with dbkit.open_pool() as created:
        yield created


@pytest.fixture(scope="session")
async def database(settings: Settings) -> AsyncIterator[Database]:
    created = Database(settings)
    try:
        yield created
    finally:
        await created.close()


@pytest.fixture(scope="session")
async def workspace_id(pool: dbkit.Pool) -> AsyncIterator[uuid.UUID]:
    registry = dbkit.new_registry("providers")
    try:
        async with pool.acquire() as conn, conn.transaction():
            owner = await dbkit.create_user(conn, registry, "owner")
            business, support = await dbkit.create_business(conn, registry, owner, registry.name("Acme"), "Support")
            for title, body in ARTICLES.items():
                await index_article(conn, support, business, title, body)
        yield support
    finally:
        await dbkit.cleanup(pool, registry)


@pytest.fixture(scope="session")
async def agent_settings(pool: dbkit.Pool, workspace_id: uuid.UUID) -> AgentSettings:
    async with pool.acquire() as conn:
        return await load_agent_settings(conn, workspace_id)  # type: ignore[arg-type]


@pytest.fixture
def providers(models: SharedModels, agent_settings: AgentSettings) -> VoiceProviders:
    """The production bundle for `voice_provider="openai"` (hosted models first, offline ones behind them), new
    for each test: a fallback adapter remembers which of its models failed."""
    built = build_voice_providers(models, agent_settings)
    assert built.name == "openai"
    return built


@dataclass
class TextCall:
    session: AgentSession[None]
    conversation: CallConversation
    recorder: CallRecorder


class TextCallFactory(Protocol):
    def __call__(self) -> Any: ...


@pytest.fixture
async def text_call(
    database: Database,
    models: SharedModels,
    settings: Settings,
    workspace_id: uuid.UUID,
    agent_settings: AgentSettings,
    providers: VoiceProviders,
) -> AsyncIterator[TextCallFactory]:
    """`async with text_call() as call:` a text-mode call whose LLM is the provider's (hosted, then grounded)."""

    @asynccontextmanager
    async def factory() -> AsyncIterator[TextCall]:
        recorder, resume = await CallRecorder.open(
            database,
            workspace_id=workspace_id,
            room_name=f"call-test-{uuid.uuid4()}",
            channel="browser",
            worker_id="tests/providers",
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
            answer_finder=providers.answer_finder,
            analyzer=build_call_analyzer(settings),
            summarizer=build_call_summarizer(settings),
        )
        conversation.end_call = lambda: None
        agent = CallAgent(conversation)
        assert isinstance(providers.llm, llm.LLM)
        async with AgentSession[None](llm=providers.llm, vad=None) as session:

            @session.on("conversation_item_added")
            def item_added(event: ConversationItemAddedEvent) -> None:
                if isinstance(event.item, llm.ChatMessage):
                    conversation.on_message(event.item)

            await session.start(agent)
            await asyncio.wait_for(agent.opening_said(), 10)
            try:
                yield TextCall(session, conversation, recorder)
            finally:
                await conversation.close()

    yield factory
