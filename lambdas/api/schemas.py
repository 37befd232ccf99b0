"""Request bodies. Responses use the domain models from callcenter.tenancy."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

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
