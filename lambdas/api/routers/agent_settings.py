"""A workspace's AI agent: its settings (members read, managers change) and the
voices and languages the configured voice provider offers for the form."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from callcenter.calls import agent_settings_edit, voice_catalog
from callcenter.calls.agent_settings import EscalationRules
from callcenter.calls.agent_settings_edit import AgentSettingsEdit, AgentSettingsView
from lambdas.api.deps import CurrentClaims, SettingsDep, UserConnection
from lambdas.api.schemas import SaveAgentSettings

router = APIRouter(tags=["agent"])


@router.get("/v1/workspaces/{workspace_id}/agent", response_model=AgentSettingsView)
async def get_agent_settings(workspace_id: UUID, conn: UserConnection) -> AgentSettingsView:
    """The agent's name, greeting, instructions, voice, language, escalation rules and analysis labels."""
    return await agent_settings_edit.get_agent_settings(conn, workspace_id)


@router.put("/v1/workspaces/{workspace_id}/agent", response_model=AgentSettingsView)
async def save_agent_settings(
    workspace_id: UUID, body: SaveAgentSettings, claims: CurrentClaims, conn: UserConnection, settings: SettingsDep
) -> AgentSettingsView:
    """Replace the agent's settings (workspace admins). The next call uses them."""
    edit = AgentSettingsEdit(
        **body.model_dump(exclude={"escalation"}), escalation=EscalationRules(**body.escalation.model_dump())
    )
    return await agent_settings_edit.update_agent_settings(
        conn, workspace_id, UUID(claims.sub), edit, voice_catalog.configured_provider(settings)
    )


@router.get("/v1/voice/options", response_model=voice_catalog.VoiceOptions)
async def voice_options(_: CurrentClaims, settings: SettingsDep) -> voice_catalog.VoiceOptions:
    """Every voice provider's voices and languages, and which provider this deployment uses."""
    return voice_catalog.voice_options(settings)
