"""A workspace's voice agent: who it is, what it says first, how it speaks,
and when it hands the call to a person. One row per workspace
(public.agent_settings), edited in the web app, loaded by the agent per call."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
from pydantic import BaseModel, Field

from callcenter.errors import not_found


class EscalationRules(BaseModel):
    handoff_on_request: bool = True
    max_unanswered_questions: int = Field(default=2, ge=0, le=20)
    negative_sentiment_threshold: float = Field(default=-0.6, ge=-1, le=1)
    account_access_topics: list[str] = Field(default_factory=lambda: ["account changes", "payment details"])
    # How long an offer rings for one person before it moves to the next.
    ring_timeout_seconds: int = Field(default=20, ge=5, le=120)


class AgentSettings(BaseModel):
    workspace_id: UUID
    business_id: UUID
    agent_name: str
    greeting: str
    instructions: str
    voice: str
    language: str
    escalation: EscalationRules
    intent_labels: list[str]
    topic_labels: list[str]
    workspace_name: str = ""


_COLUMNS = """s.workspace_id, s.business_id, s.agent_name, s.greeting, s.instructions, s.voice, s.language,
              s.handoff_on_request, s.max_unanswered_questions, s.negative_sentiment_threshold,
              s.account_access_topics, s.ring_timeout_seconds, s.intent_labels, s.topic_labels,
              w.name as workspace_name"""


def pop_escalation_rules(columns: dict[str, Any]) -> EscalationRules:
    """The escalation rules out of an agent_settings row's flat columns (removed from `columns`)."""
    return EscalationRules(
        handoff_on_request=columns.pop("handoff_on_request"),
        max_unanswered_questions=columns.pop("max_unanswered_questions"),
        negative_sentiment_threshold=columns.pop("negative_sentiment_threshold"),
        account_access_topics=columns.pop("account_access_topics"),
        ring_timeout_seconds=columns.pop("ring_timeout_seconds"),
    )


def _from_row(row: asyncpg.Record) -> AgentSettings:
    data = dict(row)
    escalation = pop_escalation_rules(data)
    return AgentSettings(**data, escalation=escalation)


async def load_agent_settings(conn: asyncpg.Connection, workspace_id: UUID) -> AgentSettings:
    """The workspace's agent. On a user's connection RLS hides other tenants' rows (not found)."""
    row = await conn.fetchrow(
        f"""select {_COLUMNS}
            from public.agent_settings s join public.workspaces w on w.id = s.workspace_id
            where s.workspace_id = $1""",
        workspace_id,
    )
    if row is None:
        raise not_found("The workspace")
    return _from_row(row)
