"""Request bodies. Responses use the domain models from callcenter.tenancy."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from callcenter.calls.routing import Disposition, HandoffStatus
from callcenter.knowledge.search import SearchResult
from callcenter.tenancy import BusinessRole, BusinessSummary, Invitation, WorkspaceRole, WorkspaceSummary

BusinessName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
WorkspaceName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
EmailText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=254)]


class CreateBusiness(BaseModel):
    name: BusinessName = Field(description="The company's name")
    first_workspace_name: WorkspaceName = Field(description="The first department, e.g. Support")


class CreatedBusiness(BaseModel):
    business: BusinessSummary
    workspace: WorkspaceSummary


class RenameBusiness(BaseModel):
    name: BusinessName


class CreateWorkspace(BaseModel):
    name: WorkspaceName


class RenameWorkspace(BaseModel):
    name: WorkspaceName


class ChangeWorkspaceRole(BaseModel):
    role: WorkspaceRole


class ChangeBusinessRole(BaseModel):
    role: BusinessRole


class CreateInvitation(BaseModel):
    email: EmailText
    role: WorkspaceRole = "agent"


class CreatedInvitationResponse(BaseModel):
    invitation: Invitation
    invite_url: str
    email_sent: bool


class AcceptedInvitation(BaseModel):
    workspace_id: str


class EmailCheck(BaseModel):
    email: Annotated[str, StringConstraints(max_length=320)]


class EmailCheckResult(BaseModel):
    allowed: bool
    email: str
    reason: str | None
    code: str | None


# ---------------------------------------------------------------- knowledge

KnowledgeTitle = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
# Markdown is kept as typed; its size limit (200 KB) is checked in bytes by callcenter.knowledge.sources.
ArticleBody = Annotated[str, StringConstraints(min_length=1, max_length=204800)]


class AddWebsite(BaseModel):
    url: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2048)] = Field(
        description="Where the crawl starts: an http(s) address; the crawl stays on this site and under this path"
    )
    title: KnowledgeTitle | None = Field(default=None, description="Shown in the list (default: the host name)")
    max_pages: int | None = Field(default=None, ge=1, le=10000, description="At most this many pages (default 200)")
    max_depth: int | None = Field(default=None, ge=0, le=50, description="Links followed from the start page")
    include_path_prefix: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1024)] | None = Field(
        default=None, description="Only pages under this path (default: the start page's path)"
    )
    refresh_interval_hours: int | None = Field(
        default=None, ge=1, le=720, description="Re-crawl this often (hours); none: only when asked"
    )


class SaveArticle(BaseModel):
    title: KnowledgeTitle
    body_markdown: ArticleBody


class KnowledgeSearch(BaseModel):
    query: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
    limit: int = Field(default=5, ge=1, le=20)


class KnowledgeSearchResults(BaseModel):
    results: list[SearchResult]


# ---------------------------------------------------------------- agent settings

AgentLabel = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class SaveEscalationRules(BaseModel):
    handoff_on_request: bool = Field(description="Hand the call to a person when the caller asks for one")
    max_unanswered_questions: int = Field(
        ge=0, le=20, description="Questions the knowledge base could not answer before handing off (0: never)"
    )
    negative_sentiment_threshold: float = Field(
        ge=-1, le=1, description="Hand off when the caller's sentiment score (-1..1) falls to this or below"
    )
    account_access_topics: list[AgentLabel] = Field(
        max_length=50, description="Topic labels that need a person with account access"
    )
    ring_timeout_seconds: int = Field(
        default=20, ge=5, le=120, description="Seconds an offer rings for one person before it moves to the next"
    )


class SaveAgentSettings(BaseModel):
    agent_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
    greeting: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    instructions: Annotated[str, StringConstraints(strip_whitespace=True, max_length=8000)] = ""
    voice: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] = Field(
        description="A voice of the configured provider (see GET /v1/voice/options), or 'default'"
    )
    language: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=35)] = Field(
        description="BCP 47, e.g. en or en-US"
    )
    escalation: SaveEscalationRules
    intent_labels: list[AgentLabel] = Field(min_length=1, max_length=50)
    topic_labels: list[AgentLabel] = Field(min_length=1, max_length=50)


# ---------------------------------------------------------------- calls


class EndedCall(BaseModel):
    call_id: str
    # False when the room was already gone (the call had ended on its own).
    room_closed: bool


# ---------------------------------------------------------------- human agents' console

Notes = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]


class SetPresence(BaseModel):
    status: Literal["available", "away", "offline"] = Field(
        description="on_call and wrap_up are set by the system (taking a call, handing it back, wrapping up)"
    )


class WrapUp(BaseModel):
    disposition: Disposition
    summary: Annotated[str, StringConstraints(strip_whitespace=True, max_length=8000)] = Field(
        default="", description="Replaces the call's summary when not empty"
    )
    notes: Notes = ""


class HandedBack(BaseModel):
    handoff_status: HandoffStatus


class CompleteCallback(BaseModel):
    notes: Notes = ""
