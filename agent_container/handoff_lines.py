"""What the AI says around a handoff: the queue, callbacks, a colleague joining
and taking the caller back. One place, so the agent, the flow and the tests
agree on every word."""

from __future__ import annotations

import re

QUEUE_BUSY = (
    "All of my colleagues are busy with other callers right now. You're number {position} in line. "
    "I can keep helping you in the meantime, or a colleague can call you back. Would you like a callback?"
)
QUEUE_UPDATE = "Thanks for holding. You're number {position} in line."
CALLBACK_CONFIRMED = (
    "Of course. A colleague will call you back at this number. Is there anything else I can help with meanwhile?"
)
CONNECTING = "I'm connecting you with {name} now."
A_COLLEAGUE = "a colleague"
BACK = "Thanks for holding, I'm back with you. Is there anything else I can help with?"
HOLD_ON = "One moment please, my colleague's line is reconnecting."
DROPPED = "It looks like my colleague's line dropped. I'm back with you. Is there anything else I can help with?"
NOT_JOINED = "My colleague couldn't join after all. I'm back with you. Is there anything else I can help with?"

_OFFERS_CALLBACK = re.compile(r"\bwould you like a call\s*back\b", re.IGNORECASE)


def offers_callback(line: str) -> bool:
    return bool(_OFFERS_CALLBACK.search(line))


def queue_busy(position: int | None) -> str:
    return QUEUE_BUSY.format(position=position or 1)


def queue_update(position: int | None) -> str:
    return QUEUE_UPDATE.format(position=position or 1)


def connecting(name: str | None) -> str:
    return CONNECTING.format(name=(name or "").strip() or A_COLLEAGUE)
