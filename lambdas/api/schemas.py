"""Request bodies. Responses use the domain models from callcenter.tenancy."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

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
