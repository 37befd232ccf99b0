"""What a call's agent job is told when it is dispatched into the call's room.

The API (browser test calls) and the SIP dispatch rule (phone calls) put this
JSON in the LiveKit agent dispatch metadata; the worker reads it to know the
call and the workspace whose settings and knowledge it must use."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ValidationError

from callcenter.errors import DomainError, ErrorKind

ROOM_PREFIX = "call-"


class CallDispatch(BaseModel):
    workspace_id: UUID
    # Set when the call record already exists (browser test calls); phone
    # calls get theirs from the worker when the caller's SIP participant joins.
    call_id: UUID | None = None

    def to_metadata(self) -> str:
        return self.model_dump_json(exclude_none=True)

    @classmethod
    def from_metadata(cls, metadata: str | None) -> CallDispatch:
        if not metadata:
            raise DomainError(ErrorKind.INVALID, "bad_dispatch", "The call was dispatched without a workspace.")
        try:
            return cls.model_validate_json(metadata)
        except ValidationError as error:
            raise DomainError(
                ErrorKind.INVALID, "bad_dispatch", f"The dispatch metadata is not valid: {error.errors()[0]['msg']}"
            ) from None


def room_name_for(call_id: UUID) -> str:
    return f"{ROOM_PREFIX}{call_id}"
