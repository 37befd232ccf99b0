"""Reading and editing a workspace's agent settings from the web app. Members
read them; managers (workspace admins, business owners and admins) change
them. Row level security enforces both; this module explains its refusals and
checks what the database cannot: labels that repeat, account-access topics
that are not topic labels, and a voice or language the configured voice
provider does not offer."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import asyncpg
from pydantic import BaseModel

from callcenter import tenancy
from callcenter.calls.agent_settings import AgentSettings, EscalationRules, pop_escalation_rules
from callcenter.calls.voice_catalog import VoiceProvider, check_voice_and_language
from callcenter.errors import DomainError, ErrorKind, forbidden

LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


class AgentSettingsView(AgentSettings):
    can_edit: bool
    updated_at: datetime


class AgentSettingsEdit(BaseModel):
    agent_name: str
    greeting: str
    instructions: str
    voice: str
    language: str
    escalation: EscalationRules
    intent_labels: list[str]
    topic_labels: list[str]


_SELECT = """select s.workspace_id, s.business_id, s.agent_name, s.greeting, s.instructions, s.voice, s.language,
                    s.handoff_on_request, s.max_unanswered_questions,
                    -- real (float4): -0.3 would read back as -0.30000001192092896
                    round(s.negative_sentiment_threshold::numeric, 4)::float8 as negative_sentiment_threshold,
                    s.account_access_topics, s.ring_timeout_seconds, s.intent_labels, s.topic_labels, s.updated_at,
                    w.name as workspace_name, private.can_manage_workspace(s.workspace_id) as can_edit
             from public.agent_settings s join public.workspaces w on w.id = s.workspace_id
             where s.workspace_id = $1"""


def _view(row: asyncpg.Record) -> AgentSettingsView:
    data = dict(row)
    escalation = pop_escalation_rules(data)
    return AgentSettingsView(**data, escalation=escalation)


async def get_agent_settings(conn: asyncpg.Connection, workspace_id: UUID) -> AgentSettingsView:
    row = await conn.fetchrow(_SELECT, workspace_id)
    if row is None:
        await tenancy.get_workspace(conn, workspace_id)  # 404 when the workspace is out of reach
        raise DomainError(ErrorKind.NOT_FOUND, "not_found", "This workspace has no AI agent settings yet.")
    return _view(row)


def _invalid(code: str, message: str, field: str) -> DomainError:
    return DomainError(ErrorKind.INVALID, code, message, field=field)


def _check_distinct(labels: Sequence[str], field: str, what: str) -> None:
    seen: set[str] = set()
    for label in labels:
        key = label.casefold()
        if key in seen:
            raise _invalid(
                "duplicate_label", f"{what} must be different from each other: “{label}” is there twice.", field
            )
        seen.add(key)


def check_edit(edit: AgentSettingsEdit, provider: VoiceProvider) -> None:
    if not LANGUAGE_CODE.match(edit.language):
        raise _invalid("invalid_language", "Language must be a language code such as “en” or “en-US”.", "language")
    check_voice_and_language(provider, edit.voice, edit.language)
    _check_distinct(edit.intent_labels, "intent_labels", "Intent labels")
    _check_distinct(edit.topic_labels, "topic_labels", "Topic labels")
    _check_distinct(edit.escalation.account_access_topics, "escalation.account_access_topics", "Account-access topics")
    topics = {label.casefold() for label in edit.topic_labels}
    for topic in edit.escalation.account_access_topics:
        if topic.casefold() not in topics:
            raise _invalid(
                "unknown_topic",
                f"The account-access topic “{topic}” is not one of the topic labels; add it there first.",
                "escalation.account_access_topics",
            )


async def update_agent_settings(
    conn: asyncpg.Connection, workspace_id: UUID, user_id: UUID, edit: AgentSettingsEdit, provider: VoiceProvider
) -> AgentSettingsView:
    check_edit(edit, provider)
    rules = edit.escalation
    updated = await conn.fetchval(
        """update public.agent_settings
           set agent_name = $2, greeting = $3, instructions = $4, voice = $5, language = $6,
               handoff_on_request = $7, max_unanswered_questions = $8, negative_sentiment_threshold = $9,
               account_access_topics = $10, intent_labels = $11, topic_labels = $12, updated_by = $13,
               ring_timeout_seconds = $14
           where workspace_id = $1
           returning workspace_id""",
        workspace_id,
        edit.agent_name,
        edit.greeting,
        edit.instructions,
        edit.voice,
        edit.language,
        rules.handoff_on_request,
        rules.max_unanswered_questions,
        rules.negative_sentiment_threshold,
        rules.account_access_topics,
        edit.intent_labels,
        edit.topic_labels,
        user_id,
        rules.ring_timeout_seconds,
    )
    if updated is None:
        # Row level security hid the row from the update: out of reach (404) or only readable (403).
        await get_agent_settings(conn, workspace_id)
        raise forbidden("Only workspace admins can change the AI agent.")
    return await get_agent_settings(conn, workspace_id)
