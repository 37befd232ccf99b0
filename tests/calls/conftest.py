"""Fixtures for the calls tests: a business with a workspace in the running
database (removed afterwards), the Database the agent uses, and the
workspace's agent settings as the worker loads them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from callcenter.calls.agent_settings import AgentSettings, EscalationRules, load_agent_settings
from callcenter.db import Database
from callcenter.settings import Settings
from tests.db import dbkit


@dataclass(frozen=True)
class Tenant:
    business_id: uuid.UUID
    workspace_id: uuid.UUID
    other_workspace_id: uuid.UUID
    settings: AgentSettings


@pytest.fixture(scope="session")
async def pool() -> AsyncIterator[dbkit.Pool]:
    async with dbkit.open_pool() as created:
        yield created


@pytest.fixture(scope="module")
async def tenant(request: pytest.FixtureRequest, pool: dbkit.Pool) -> AsyncIterator[Tenant]:
    registry = dbkit.new_registry(request.module.__name__.rsplit(".", 1)[-1])
    try:
        async with pool.acquire() as conn, conn.transaction():
            owner = await dbkit.create_user(conn, registry, "owner")
            business, workspace = await dbkit.create_business(
                conn, registry, owner, registry.name("Calls Co"), "Support"
            )
            other = await dbkit.add_workspace(conn, business, "Billing")
            settings = await load_agent_settings(conn, workspace)
        yield Tenant(business, workspace, other, settings)
    finally:
        await dbkit.cleanup(pool, registry)


@pytest.fixture
async def db() -> AsyncIterator[Database]:
    database = Database(Settings(database_url=dbkit.DATABASE_URL))
    try:
        yield database
    finally:
        await database.close()


def agent_settings(**escalation: object) -> AgentSettings:
    """Agent settings with the schema's default labels, without a database."""
    return AgentSettings(
        workspace_id=uuid.uuid4(),
        business_id=uuid.uuid4(),
        agent_name="Alex",
        greeting="Hello, thanks for calling. How can I help you today?",
        instructions="",
        voice="default",
        language="en",
        escalation=EscalationRules.model_validate(escalation),
        intent_labels=[
            "ask a question",
            "report a problem",
            "billing question",
            "cancel service",
            "talk to a person",
            "other",
        ],
        topic_labels=[
            "orders and shipping",
            "returns and refunds",
            "billing and payments",
            "account changes",
            "payment details",
            "technical problem",
            "general question",
        ],
        workspace_name="Support",
    )
