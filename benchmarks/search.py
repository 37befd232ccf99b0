"""Search benchmark for public.search_knowledge: latency at 10k and 100k chunks,
and recall on a written question set.

    .venv/bin/python benchmarks/search.py [--scales 10000,100000] [--queries 200]
        [--distractors 0.5] [--questions benchmarks/questions/helpcenter.json]
        [--skip-latency] [--skip-recall] [--json]

Latency. A throwaway business gets a "Support" workspace (the one searched), a
"Billing" workspace beside it and a second business; the other two hold the
distractor chunks (--distractors times as many as Support), so the index scans
must filter by workspace (search_knowledge checks the caller's access to the
workspace once, then reads as its owner). Chunks are
synthetic help-center text built from templates (real tsvectors: the full-text
half does real work) with RANDOM unit vectors, not MiniLM embeddings: embedding
100k passages would take far longer than the search being measured. The
queries are the question set's questions with their real embeddings. They go
through callcenter.knowledge.search.search() (what the API calls), on
callcenter.db.Database connections: as a workspace agent (role authenticated +
JWT claims, what the API does) and as the service (the voice agent's path).
The figure is the search call alone; the query's embedding time is printed
separately. Rows are loaded with COPY; each scale's load drops the chunk
table's HNSW (this model) and GIN indexes, copies, and re-creates them with
their schema definition, in one transaction (knowledge_chunks is locked
meanwhile: do not run this against a database in use), then ANALYZE.

Recall. The fixture help center (tests/fixtures/helpcenter) is served on
loopback and crawled with the crawler library, and the fixture documents
(tests/fixtures/documents/generate.py) are extracted locally; everything is
chunked, embedded with the configured embedder and stored with
callcenter.knowledge.store, into a workspace of its own. Each question names
its source(s) and a phrase a top-5 passage must contain. Prints recall@1,
recall@5 and MRR for the hybrid search and for its two halves alone: vector
only (blank query text) and text only (no query embedding), and every miss.

Everything created (users, businesses and, through them, workspaces, sources,
documents and chunks) is deleted at the end, also after an error or Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import random
import re
import secrets
import signal
import statistics
import struct
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from callcenter.db import Database  # noqa: E402
from callcenter.knowledge import store  # noqa: E402
from callcenter.knowledge.chunking import chunk_document  # noqa: E402
from callcenter.knowledge.embeddings import Embedder, get_embedder  # noqa: E402
from callcenter.knowledge.search import SearchResult, search  # noqa: E402
from callcenter.knowledge.store import vector_literal  # noqa: E402
from callcenter.knowledge.types import ExtractedDocument  # noqa: E402
from callcenter.settings import Settings, get_settings  # noqa: E402
from callcenter.tokens import Claims  # noqa: E402

DEFAULT_QUESTIONS = ROOT / "benchmarks" / "questions" / "helpcenter.json"
# Every email and business this script creates carries this, so a later run can sweep leftovers.
EMAIL_SUFFIX = ".search-benchmark.invalid"
BUSINESS_PREFIX = "Search benchmark"
RECALL_DOCUMENTS = ("guide.docx", "handbook.pdf", "scanned.pdf", "mixed.pdf")
SEARCH_SQL = "select * from public.search_knowledge($1, $2, $3::text::extensions.vector, $4, $5)"
COPY_BATCH = 10_000


def percentile(values: Sequence[float], point: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[point - 1]


def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {
        "p50": round(percentile(ms, 50), 2),
        "p95": round(percentile(ms, 95), 2),
        "p99": round(percentile(ms, 99), 2),
        "mean": round(statistics.fmean(ms), 2) if ms else 0.0,
        "max": round(max(ms), 2) if ms else 0.0,
    }


def load_average() -> str:
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def say(enabled: bool, text: str = "") -> None:
    if enabled:
        print(text, flush=True)


# ---------------------------------------------------------------- questions


@dataclass(frozen=True)
class Question:
    question: str
    sources: tuple[str, ...]  # "article:<slug>" or "document:<file name>"
    phrase: str


def load_questions(path: Path) -> list[Question]:
    data = json.loads(path.read_text(encoding="utf-8"))
    questions = [
        Question(question=item["question"], sources=tuple(item["sources"]), phrase=item["phrase"])
        for item in data["questions"]
    ]
    for question in questions:
        for source in question.sources:
            kind, _, name = source.partition(":")
            if kind not in ("article", "document") or not name:
                raise SystemExit(f"{path}: bad source {source!r} for {question.question!r}")
    return questions


class CachedEmbedder:
    """The configured embedder's vectors for the benchmark's queries, computed once,
    so that the timed search() call measures the database and not the model."""

    def __init__(self, inner: Embedder, vectors: dict[str, list[float]]) -> None:
        self._inner = inner
        self._vectors = vectors

    @property
    def model_name(self) -> str:
        return self._inner.model_name

    @property
    def dimensions(self) -> int:
        return self._inner.dimensions

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [self._vectors[text] for text in texts]


# ---------------------------------------------------------------- the throwaway tenants


@dataclass
class World:
    tag: str
    domain: str
    user_id: uuid.UUID
    user_email: str
    business_ids: list[uuid.UUID]
    support: uuid.UUID  # searched in the latency part; the user is its agent
    billing: uuid.UUID  # same business, the user is not a member (distractors)
    other: uuid.UUID  # another business (distractors)
    recall: uuid.UUID  # the fixture sources, for recall; the user is its agent too
    support_business: uuid.UUID
    other_business: uuid.UUID
    bulk_loaded: bool = False  # the latency part loaded (and re-indexed) the chunk table

    @property
    def claims(self) -> Claims:
        raw = {"sub": str(self.user_id), "role": "authenticated", "aud": "authenticated", "email": self.user_email}
        return Claims(sub=str(self.user_id), role="authenticated", email=self.user_email, session_id=None, raw=raw)

    def business_of(self, workspace_id: uuid.UUID) -> uuid.UUID:
        return self.other_business if workspace_id == self.other else self.support_business


async def sweep_leftovers(conn: asyncpg.Connection) -> int:
    """Remove what an interrupted earlier run left (older than an hour: another run may be going on)."""
    async with conn.transaction():
        status = await conn.execute(
            """delete from public.businesses
               where name like $1 || ' %' and created_at < now() - interval '1 hour'""",
            BUSINESS_PREFIX,
        )
        await conn.execute(
            "delete from auth.users where email like '%' || $1 and created_at < now() - interval '1 hour'",
            EMAIL_SUFFIX,
        )
    return int(status.rsplit(" ", 1)[-1])


async def create_world(conn: asyncpg.Connection) -> World:
    """As postgres (like tests/db/dbkit.py): a user, two businesses, four workspaces."""
    tag = secrets.token_hex(4)
    domain = f"bench-{tag}{EMAIL_SUFFIX}"
    email = f"agent@{domain}"
    user_id = uuid.uuid4()
    async with conn.transaction():
        await conn.execute(
            """insert into auth.users (instance_id, id, aud, role, email, raw_app_meta_data,
                                       raw_user_meta_data, email_confirmed_at, created_at, updated_at)
               values ('00000000-0000-0000-0000-000000000000', $1, 'authenticated', 'authenticated', $2,
                       '{"provider": "email", "providers": ["email"]}'::jsonb,
                       '{"full_name": "Benchmark agent"}'::jsonb, now(), now(), now())""",
            user_id,
            email,
        )
        mine = await conn.fetchval(
            "insert into public.businesses (name, email_domain) values ($1, $2) returning id",
            f"{BUSINESS_PREFIX} {tag}",
            domain,
        )
        other_business = await conn.fetchval(
            "insert into public.businesses (name, email_domain) values ($1, $2) returning id",
            f"{BUSINESS_PREFIX} {tag} other",
            f"other-{domain}",
        )
        workspaces: dict[str, uuid.UUID] = {}
        for business, name in ((mine, "Support"), (mine, "Billing"), (mine, "Recall"), (other_business, "Support")):
            key = name if business == mine else "Other"
            workspaces[key] = await conn.fetchval(
                "insert into public.workspaces (business_id, name) values ($1, $2) returning id", business, name
            )
        await conn.execute(
            "insert into public.business_members (business_id, user_id, role) values ($1, $2, 'agent')", mine, user_id
        )
        for key in ("Support", "Recall"):
            await conn.execute(
                """insert into public.workspace_members (workspace_id, business_id, user_id, role)
                   values ($1, $2, $3, 'agent')""",
                workspaces[key],
                mine,
                user_id,
            )
    return World(
        tag=tag,
        domain=domain,
        user_id=user_id,
        user_email=email,
        business_ids=[mine, other_business],
        support=workspaces["Support"],
        billing=workspaces["Billing"],
        other=workspaces["Other"],
        recall=workspaces["Recall"],
        support_business=mine,
        other_business=other_business,
    )


async def delete_world(database_url: str, world: World, indexes: list[tuple[str, str]]) -> dict[str, Any]:
    """Delete the businesses (workspaces, sources, documents and chunks go with them) and the user.

    After a bulk load the chunk table's indexes hold an entry for every deleted row, and vacuuming them
    out of an HNSW graph costs minutes at 100k rows: rebuilding the indexes over the rows that remain
    takes seconds. Then VACUUM (ANALYZE), as autovacuum would, for the heap and the
    planner's statistics. Any of the indexes a failed load left missing is re-created first."""
    timings: dict[str, Any] = {}
    conn = await asyncpg.connect(database_url)
    try:
        started = time.perf_counter()
        restored = []
        for name, definition in indexes:
            if not await conn.fetchval("select 1 from pg_indexes where schemaname = 'public' and indexname = $1", name):
                await conn.execute(definition)
                restored.append(name)
        timings["restored_indexes"] = restored
        async with conn.transaction():
            # Chunks and documents first, in two statements: through the foreign keys' cascades, each
            # of the ~20k documents would delete its chunks with a statement of its own.
            workspaces = [world.support, world.billing, world.other, world.recall]
            await conn.execute("delete from public.knowledge_chunks where workspace_id = any($1::uuid[])", workspaces)
            await conn.execute(
                "delete from public.knowledge_documents where workspace_id = any($1::uuid[])", workspaces
            )
            await conn.execute("delete from public.businesses where id = any($1::uuid[])", world.business_ids)
            await conn.execute("delete from auth.users where id = $1", world.user_id)
        timings["delete_seconds"] = round(time.perf_counter() - started, 1)
        if world.bulk_loaded:
            # Every index of the two tables (the btrees grew too), over the rows that remain.
            started = time.perf_counter()
            await conn.execute("reindex table public.knowledge_chunks")
            await conn.execute("reindex table public.knowledge_documents")
            timings["reindex_seconds"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        await conn.execute("vacuum (analyze) public.knowledge_chunks, public.knowledge_documents")
        timings["vacuum_seconds"] = round(time.perf_counter() - started, 1)
    finally:
        await conn.close()
    return timings


async def add_source(
    conn: asyncpg.Connection,
    world: World,
    workspace_id: uuid.UUID,
    kind: str,
    title: str,
    *,
    url: str | None = None,
    file_name: str | None = None,
    byte_size: int | None = None,
) -> uuid.UUID:
    """A ready source, as postgres. Saving a website queues a crawl (trigger): the job is marked done in the
    same transaction, so a running ingestion worker never sees it."""
    async with conn.transaction():
        source_id: uuid.UUID = await conn.fetchval(
            """insert into public.knowledge_sources
                 (workspace_id, business_id, kind, title, url, file_name, byte_size, storage_key, status,
                  last_refreshed_at)
               values ($1, $2, $3::public.knowledge_source_kind, $4, $5, $6, $7, $8, 'ready', now())
               returning id""",
            workspace_id,
            world.business_of(workspace_id),
            kind,
            title,
            url,
            file_name,
            byte_size,
            f"workspaces/{workspace_id}/{uuid.uuid4()}/{file_name}" if file_name else None,
        )
        await conn.execute(
            """update public.knowledge_jobs set status = 'succeeded', finished_at = now()
               where source_id = $1 and status in ('queued', 'running')""",
            source_id,
        )
    return source_id


# ---------------------------------------------------------------- synthetic help-center text

TOPICS: dict[str, tuple[list[str], list[str], list[str]]] = {
    # topic: (titles, headings, sentences)
    "password": (
        ["Reset your password", "Sign-in problems", "Password requirements", "Locked out of your account"],
        ["From the login page", "If the email never arrives", "Password rules", "Account lockout"],
        [
            "Click Forgot password on the sign-in page and enter your work email.",
            "The reset link in the email is valid for {hours} hours.",
            "Passwords need at least {n} characters and cannot match your last {small} passwords.",
            "After {small} failed sign-in attempts the account is locked for {minutes} minutes.",
            "If the reset email does not arrive, check your spam folder or ask an admin to resend it.",
            "{Roles} can force a password reset for any member from the Members page.",
        ],
    ),
    "two-factor": (
        ["Turn on two-factor authentication", "Lost your authenticator app", "Single sign-on"],
        ["Set up an authenticator", "Recovery codes", "Enforce for everyone", "SAML settings"],
        [
            "Two-factor authentication asks for a six-digit code from an authenticator app at every sign-in.",
            "Keep your {small} recovery codes somewhere safe; each one works once.",
            "{Roles} can require two-factor authentication for the whole business under {menu}.",
            "Single sign-on with {idp} is available on the {plan} plan.",
            "If you lose your phone, use a recovery code and set up the authenticator again.",
        ],
    ),
    "billing": (
        ["Plans and pricing", "Change your plan", "Extra minutes", "Seats and users"],
        ["Compare plans", "Upgrading", "Downgrading", "Usage limits", "Seats"],
        [
            "The {plan} plan includes {minutes_incl} minutes and {seats} seats per month.",
            "Minutes beyond your plan cost {cents} cents each and appear on the next invoice.",
            "Upgrades take effect immediately and are prorated for the rest of the billing period.",
            "Downgrades apply from the next billing period; unused minutes do not carry over.",
            "Every plan includes unlimited workspaces and unlimited knowledge sources.",
            "Annual billing saves {pct} percent compared with paying monthly.",
        ],
    ),
    "invoices": (
        ["Download invoices", "Company details on invoices", "Invoice questions"],
        ["Where to find them", "VAT and tax numbers", "Billing address", "Credit notes"],
        [
            "Invoices are issued on the first day of each month and emailed to the owners.",
            "Add your VAT number and billing address under {menu} before the invoice is issued.",
            "Past invoices cannot be changed, but billing support can issue a credit note.",
            "Each invoice lists plan fees, extra minutes and phone number rental separately.",
            "Invoices are available as PDF for the last {months} months.",
        ],
    ),
    "payments": (
        ["Update your payment card", "Failed payments", "Pay by bank transfer", "Accepted currencies"],
        ["Change the card", "Retries", "Bank transfer", "Currencies"],
        [
            "Only business owners can replace the payment card under {menu}.",
            "If a payment fails we retry after {small} days and email the owner each time.",
            "Bank transfer is available on the {plan} plan with annual billing.",
            "We accept US dollars, euros and British pounds.",
            "After {small} failed payments outgoing calls are paused until the balance is paid.",
        ],
    ),
    "refunds": (
        ["Refund policy", "Ask for a refund", "What is not refunded"],
        ["Eligibility", "How to ask", "Timing", "Exceptions"],
        [
            "We refund unused prepaid minutes within {days} days of purchase.",
            "Refunds reach the original card within {small} to {days} business days.",
            "Monthly plan fees for a month already started are not refunded.",
            "Write to billing support from the owner account with the invoice number.",
            "Phone number rental and porting fees are not refundable.",
        ],
    ),
    "numbers": (
        ["Get a phone number", "Port an existing number", "Toll-free numbers", "Release a number"],
        ["Choose a number", "Porting", "Countries", "Releasing"],
        [
            "Open the workspace, choose {menu}, then Get a number and pick a country and area code.",
            "Porting an existing number takes {small} to {days} business days.",
            "Local and toll-free numbers are available in {countries} countries, including {country}.",
            "Your previous carrier must confirm the transfer with a port authorization code.",
            "A released number is kept for {days} days before it goes back to the carrier.",
        ],
    ),
    "routing": (
        ["Call routing", "Business hours", "Holiday schedules", "Queues and overflow"],
        ["Routing rules", "Opening hours", "Holidays", "Overflow", "Wait music"],
        [
            "Calls outside business hours go to voicemail or to the after-hours message.",
            "Set opening hours per workspace under {menu}; each day can have several ranges.",
            "When every agent is busy the caller waits in the queue for up to {minutes} minutes.",
            "Holiday schedules override the usual hours for the dates you choose.",
            "Overflow rules can send waiting callers to another workspace after {minutes} minutes.",
        ],
    ),
    "voicemail": (
        ["Voicemail", "Voicemail greetings", "Voicemail notifications"],
        ["Leaving a message", "Greetings", "Notifications", "Transcripts"],
        [
            "When no human agent is idle the caller can leave a voicemail.",
            "Voicemails appear on the Calls page with a transcript and a recording.",
            "Every agent of the workspace gets a notification by email and in the app.",
            "Record a custom voicemail greeting under {menu}, up to {minutes} minutes long.",
            "Voicemails are kept for {months} months and then deleted.",
        ],
    ),
    "recording": (
        ["Call recording and transcripts", "Recording consent", "Transcript retention"],
        ["Consent", "Retention", "Deleting a recording", "Exports"],
        [
            "Every call is transcribed live, turn by turn, with the speaker.",
            "The greeting tells callers that the call is recorded; the wording can change but not disappear.",
            "Transcripts are kept for {months} months; admins can delete a single call's transcript.",
            "Export transcripts as CSV or JSON from {menu}.",
            "Recordings can be turned off per workspace for regulated industries.",
        ],
    ),
    "agent": (
        ["Configure the AI agent", "Agent voice and greeting", "Handoff to a human", "What the AI answers"],
        ["Voice", "Greeting", "Handoff", "Knowledge", "Escalation rules"],
        [
            "The AI agent answers only from the workspace's knowledge base.",
            "Pick one of {small} voices and the language the agent speaks under {menu}.",
            "When the AI cannot help, an idle agent joins the same call from the browser.",
            "The AI stays on the call as a silent copilot and suggests answers to the human agent.",
            "Escalation rules hand the call over when the caller asks for a person or sounds upset.",
            "Test the agent from the browser before publishing a new greeting.",
        ],
    ),
    "knowledge": (
        ["Add knowledge sources", "Crawl your help center", "Upload documents", "Write articles"],
        ["Websites", "Documents", "Articles", "Refresh schedule", "Test your knowledge"],
        [
            "Add your help center's address and we crawl it, staying under the path you give.",
            "Upload Word and PDF files up to {mb} MB; scanned pages are read with OCR.",
            "Articles written in the app are indexed as soon as they are saved.",
            "Schedule a refresh every {hours} hours to keep crawled pages current.",
            "Use the Test your knowledge box to see which passages the agent would use.",
        ],
    ),
    "team": (
        ["Invite teammates", "Roles and permissions", "Remove a member"],
        ["Invitations", "Roles", "Removing members", "Transferring ownership"],
        [
            "{Roles} can invite human agents to any workspace from the Members page.",
            "Invitations expire after {hours} hours and can be resent.",
            "Agents only see the workspaces they were invited to.",
            "Removing a member ends their sessions within a minute.",
            "Ownership can be transferred to an admin; a business always keeps at least one owner.",
        ],
    ),
    "integrations": (
        ["Connect {app}", "Integrations overview", "Webhooks", "API keys"],
        ["Connecting", "Syncing contacts", "Webhooks", "API keys", "Rate limits"],
        [
            "Connect {app} under {menu} to log every call on the matching contact.",
            "Contacts sync from {app} every {minutes} minutes.",
            "Webhooks send call.started and call.ended events to your endpoint.",
            "API keys are shown once; store them in your secret manager.",
            "The API allows {n} requests per minute per key; error E{code} means the limit was reached.",
        ],
    ),
    "audio": (
        ["Audio troubleshooting", "Headset setup", "Browser permissions", "Call quality"],
        ["Microphone", "Speakers", "Browser", "Network", "Error codes"],
        [
            "Allow microphone access in your browser's site settings, then reload the page.",
            "Echo usually comes from speakers: use a headset with a microphone.",
            "Choppy audio points to the network; a wired connection fixes most cases.",
            "Error E{code} means the browser blocked the microphone.",
            "Supported browsers are the latest versions of Chrome, Edge, Firefox and Safari.",
        ],
    ),
    "privacy": (
        ["Data retention", "Export your data", "Delete your account", "Privacy and GDPR"],
        ["Retention", "Exports", "Deletion", "Data processing agreement", "Subprocessors"],
        [
            "Export call transcripts and the knowledge base before you cancel.",
            "After cancellation data is kept for {days} days and then deleted for good.",
            "Sign the data processing agreement from {menu}.",
            "Personal data is stored in {region} and never used to train models.",
            "Callers can ask for their recordings to be deleted; admins do it from the Calls page.",
        ],
    ),
    "reports": (
        ["Call reports", "Agent performance", "Export reports", "Dashboards"],
        ["Call volume", "Handle time", "Satisfaction", "Exports", "Scheduling"],
        [
            "Reports show call volume, average handle time and how many calls the AI resolved.",
            "Filter reports by workspace, agent and date range under {menu}.",
            "Schedule a weekly report by email for {roles}.",
            "The AI resolution rate counts calls that ended without a handoff.",
            "Reports keep {months} months of history.",
        ],
    ),
    "sms": (
        ["Text messages", "SMS auto-replies", "Messaging limits"],
        ["Turning on texting", "Auto-replies", "Limits", "Countries"],
        [
            "Numbers in the United States and Canada can also receive text messages.",
            "Texts are answered by the same AI agent from the same knowledge base.",
            "Turn on texting under {menu}.",
            "Each number can send {n} messages per day.",
            "Replies to STOP unsubscribe the sender automatically.",
        ],
    ),
}
GENERIC = [
    "Changes take effect within a minute for everyone in the workspace.",
    "Only {roles} can change this setting.",
    "You can undo this within {days} days from {menu}.",
    "Contact support from the help menu if this does not solve the problem.",
    "This works the same way in the mobile app.",
    "See the related articles below for more details.",
    "Your account manager can enable this for the {plan} plan.",
    "The status page shows any ongoing incident.",
]
SLOTS: dict[str, list[str]] = {
    "menu": [
        "Settings, Billing",
        "Settings, Security",
        "Settings, Developers",
        "Workspace, Phone",
        "Workspace, Agent",
        "Workspace, Hours",
        "Members",
        "Knowledge, Sources",
        "Calls, History",
        "Reports",
        "Settings, Integrations",
        "Settings, Privacy",
    ],
    "plan": ["Starter", "Growth", "Scale", "Enterprise"],
    "roles": ["owners", "admins", "owners and admins", "workspace admins"],
    "app": ["Salesforce", "HubSpot", "Zendesk", "Slack", "Microsoft Teams", "Shopify", "Intercom", "Freshdesk"],
    "idp": ["Okta", "Azure AD", "Google Workspace", "OneLogin"],
    "country": ["the United Kingdom", "Germany", "France", "Canada", "Australia", "Spain", "Japan", "Brazil"],
    "region": ["the European Union", "the United States", "Canada", "Australia"],
}


def _fill(template: str, rng: random.Random) -> str:
    values = {name: rng.choice(options) for name, options in SLOTS.items()}
    values["Roles"] = values["roles"].capitalize()
    values.update(
        n=str(rng.choice([8, 10, 12, 60, 100, 120, 500, 1000])),
        small=str(rng.randint(2, 7)),
        hours=str(rng.choice([12, 24, 48, 72])),
        minutes=str(rng.choice([2, 5, 10, 15, 30])),
        days=str(rng.choice([7, 10, 14, 30, 60, 90])),
        months=str(rng.choice([6, 12, 13, 24, 36])),
        minutes_incl=f"{rng.choice([500, 1000, 3000, 15000]):,}",
        seats=str(rng.choice([3, 5, 15, 50])),
        cents=str(rng.randint(2, 9)),
        pct=str(rng.choice([10, 15, 20])),
        countries=str(rng.choice([20, 40, 60])),
        mb=str(rng.choice([10, 25, 50])),
        code=str(rng.randint(1000, 9999)),
    )
    return template.format(**values)


# (title, heading path, page, content)
ChunkSpec = tuple[str, tuple[str, ...], int | None, str]


@dataclass
class SyntheticDocument:
    id: uuid.UUID
    source_id: uuid.UUID
    url: str | None
    title: str
    chunks: list[ChunkSpec]


class Corpus:
    """Help-center-like chunks from templates: titles, heading paths, 300-1100 characters each.
    Each topic's templates are filled a few hundred times up front (slots: menus, plans, numbers,
    apps...) and passages drawn from those sentences, which keeps 200k chunks to seconds."""

    def __init__(self, seed: int, variants: int = 400) -> None:
        self.rng = random.Random(seed)
        self.topics = list(TOPICS)
        self.pages = 0
        self.sentences = {
            topic: [_fill(self.rng.choice(templates), self.rng) for _ in range(variants)]
            for topic, (_, _, templates) in TOPICS.items()
        }
        self.generic = [_fill(self.rng.choice(GENERIC), self.rng) for _ in range(variants)]

    def _content(self, topic: str) -> str:
        rng = self.rng
        sentences = self.sentences[topic]
        parts: list[str] = []
        size = 0
        target = rng.randint(300, 1100)
        while size < target:
            part = rng.choice(sentences if rng.random() < 0.75 else self.generic)
            parts.append(part)
            size += len(part) + 1
        if rng.random() < 0.25:  # a list, as crawled pages have
            return " ".join(parts[:2]) + "\n" + "\n".join(f"- {part}" for part in parts[2:])
        return " ".join(parts)

    def website_document(self, source_id: uuid.UUID, base_url: str) -> SyntheticDocument:
        rng = self.rng
        topic = rng.choice(self.topics)
        titles, headings, _ = TOPICS[topic]
        title = _fill(rng.choice(titles), rng)
        self.pages += 1
        url = f"{base_url}/articles/{topic}-{self.pages}"
        chunks: list[ChunkSpec] = []
        for _ in range(rng.randint(3, 12)):
            path = (rng.choice(headings),) if rng.random() < 0.7 else tuple(rng.sample(headings, 2))
            chunks.append((title, path, None, self._content(topic)))
        return SyntheticDocument(uuid.uuid4(), source_id, url, title, chunks)

    def manual(self, source_id: uuid.UUID, title: str) -> SyntheticDocument:
        """An uploaded PDF: 20-60 chunks over pages, several topics."""
        rng = self.rng
        chunks: list[ChunkSpec] = []
        page = 1
        for _ in range(rng.randint(20, 60)):
            topic = rng.choice(self.topics)
            heading = TOPICS[topic][1]
            chunks.append(
                (
                    title,
                    (rng.choice(TOPICS[topic][0]).replace("{app}", "your CRM"), rng.choice(heading)),
                    page,
                    self._content(topic),
                )
            )
            page += rng.random() < 0.5
        return SyntheticDocument(uuid.uuid4(), source_id, None, title, chunks)


# ---------------------------------------------------------------- bulk loading


def _identity(value: bytes) -> bytes:
    return value


def random_unit_vectors(rng: np.random.Generator, count: int, dimensions: int) -> list[bytes]:
    """pgvector's binary form (dimensions, unused, big-endian float4s) of random unit vectors."""
    vectors = rng.standard_normal((count, dimensions), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    header = struct.pack(">HH", dimensions, 0)
    big_endian = vectors.astype(">f4")
    return [header + row.tobytes() for row in big_endian]


@dataclass
class Loader:
    """Keeps adding synthetic chunks to a workspace, in documents under a website and manual sources."""

    world: World
    workspace_id: uuid.UUID
    website: uuid.UUID
    corpus: Corpus
    chunks: int = 0
    documents: int = 0
    manual_sources: list[uuid.UUID] = field(default_factory=list)

    def plan(self, sources: list[uuid.UUID], target: int) -> Iterator[SyntheticDocument]:
        """Documents until the workspace holds `target` chunks: most from crawled pages, about one in seven
        from manuals (uploaded PDFs; `sources` hands out fresh document sources for them)."""
        rng = self.corpus.rng
        base = f"https://help.{self.world.domain}/{self.workspace_id.hex[:8]}"
        while self.chunks < target:
            if rng.random() < 0.03 and sources:
                self.manual_sources.append(sources.pop())
                document = self.corpus.manual(self.manual_sources[-1], f"Manual {len(self.manual_sources)}")
            else:
                document = self.corpus.website_document(self.website, base)
            extra = len(document.chunks) - (target - self.chunks)
            if extra > 0:
                document.chunks = document.chunks[: len(document.chunks) - extra]
            self.chunks += len(document.chunks)
            self.documents += 1
            yield document


async def copy_documents(
    conn: asyncpg.Connection,
    workspace_id: uuid.UUID,
    documents: list[SyntheticDocument],
    model: str,
    dimensions: int,
    vector_rng: np.random.Generator,
) -> int:
    await conn.copy_records_to_table(
        "knowledge_documents",
        schema_name="public",
        columns=["id", "workspace_id", "source_id", "url", "title", "content_hash", "page_count"],
        records=[
            (
                d.id,
                workspace_id,
                d.source_id,
                d.url,
                d.title,
                secrets.token_hex(16),
                max((page for _, _, page, _ in d.chunks if page is not None), default=None),
            )
            for d in documents
        ],
    )
    rows: list[tuple[Any, ...]] = []
    for d in documents:
        for ordinal, (title, path, page, content) in enumerate(d.chunks):
            rows.append((workspace_id, d.source_id, d.id, ordinal, title, list(path), d.url, page, content, model))
    written = 0
    for start in range(0, len(rows), COPY_BATCH):
        batch = rows[start : start + COPY_BATCH]
        vectors = random_unit_vectors(vector_rng, len(batch), dimensions)
        await conn.copy_records_to_table(
            "knowledge_chunks",
            schema_name="public",
            columns=[
                "workspace_id",
                "source_id",
                "document_id",
                "ordinal",
                "title",
                "heading_path",
                "url",
                "page",
                "content",
                "embedding_model",
                "embedding",
            ],
            records=[(*row, vector) for row, vector in zip(batch, vectors, strict=True)],
        )
        written += len(batch)
    return written


async def chunk_indexes(conn: asyncpg.Connection, model: str) -> list[tuple[str, str]]:
    """(name, definition) of the chunk table's indexes a bulk load rebuilds: this model's partial HNSW
    index and the full-text GIN index."""
    rows = await conn.fetch(
        """select indexname, indexdef from pg_indexes
           where schemaname = 'public' and tablename = 'knowledge_chunks'
             and ((indexdef ilike '%using hnsw%' and indexdef like '%' || quote_literal($1) || '%')
                  or indexdef ilike '%using gin%')
           order by indexname""",
        model,
    )
    return [(row["indexname"], row["indexdef"]) for row in rows]


@dataclass
class LoadTiming:
    rows: int = 0
    documents: int = 0
    copy_seconds: float = 0.0
    index_seconds: float = 0.0
    analyze_seconds: float = 0.0


async def load_stage(
    conn: asyncpg.Connection,
    loaders: list[tuple[Loader, int]],
    indexes: list[tuple[str, str]],
    model: str,
    dimensions: int,
    vector_rng: np.random.Generator,
    new_sources: dict[uuid.UUID, list[uuid.UUID]],
) -> LoadTiming:
    """One transaction: drop the indexes, COPY every loader up to its target, build the indexes once."""
    timing = LoadTiming()
    async with conn.transaction():
        await conn.execute("set local maintenance_work_mem = '1GB'")
        await conn.execute(f"set local max_parallel_maintenance_workers = {max(1, (os.cpu_count() or 2) - 1)}")
        for name, _ in indexes:
            await conn.execute(f'drop index public."{name}"')
        started = time.perf_counter()
        for loader, target in loaders:
            documents = list(loader.plan(new_sources[loader.workspace_id], target))
            for start in range(0, len(documents), 2000):
                timing.rows += await copy_documents(
                    conn, loader.workspace_id, documents[start : start + 2000], model, dimensions, vector_rng
                )
            timing.documents += len(documents)
        timing.copy_seconds = time.perf_counter() - started
        started = time.perf_counter()
        for _, definition in indexes:
            await conn.execute(definition)
        timing.index_seconds = time.perf_counter() - started
    started = time.perf_counter()
    await conn.execute("analyze public.knowledge_chunks, public.knowledge_documents, public.knowledge_sources")
    timing.analyze_seconds = time.perf_counter() - started
    return timing


async def manual_sources(
    conn: asyncpg.Connection, world: World, workspace_id: uuid.UUID, count: int
) -> list[uuid.UUID]:
    """`count` document sources (one uploaded manual each) in one statement."""
    rows = await conn.fetch(
        """insert into public.knowledge_sources
             (workspace_id, business_id, kind, title, file_name, content_type, byte_size, status, last_refreshed_at)
           select $1, $2, 'document', 'Manual ' || n, 'manual-' || n || '.pdf', 'application/pdf', 250000, 'ready',
                  now()
           from generate_series(1, $3) n
           returning id""",
        workspace_id,
        world.business_of(workspace_id),
        count,
    )
    return [row["id"] for row in rows]


# ---------------------------------------------------------------- latency


@dataclass
class Timed:
    seconds: list[float] = field(default_factory=list)  # the search call, per query
    results: list[int] = field(default_factory=list)
    outside: int = 0  # results from a source outside the searched workspace (must stay 0)
    text_ranked: dict[str, int] = field(default_factory=dict)  # query -> results the full-text half found


async def timed_searches(
    database: Database,
    world: World,
    embedder: CachedEmbedder,
    queries: Sequence[str],
    *,
    as_user: bool,
    workspace_id: uuid.UUID,
    allowed_sources: set[uuid.UUID],
) -> Timed:
    """Each query in its own transaction, as the API runs a request."""
    timed = Timed()
    for query in queries:
        context = database.as_user(world.claims) if as_user else database.as_service()
        async with context as conn:
            started = time.perf_counter()
            results = await search(conn, embedder, workspace_id, query, 5)
            timed.seconds.append(time.perf_counter() - started)
        timed.results.append(len(results))
        timed.outside += sum(result.source_id not in allowed_sources for result in results)
        timed.text_ranked[query] = sum(result.text_rank is not None for result in results)
    return timed


async def explain_search(
    database_url: str,
    world: World,
    workspace_id: uuid.UUID,
    query: str,
    vector: list[float],
    model: str,
    *,
    as_user: bool,
) -> tuple[list[str], list[str]]:
    """The executed plans inside search_knowledge (auto_explain, with ANALYZE), as the user (role
    authenticated and JWT claims) or as the service: the fused query's, and the first full-text level's."""
    conn = await asyncpg.connect(database_url)
    messages: list[str] = []

    def listener(_: Any, message: Any) -> None:
        messages.append(str(message.message))

    conn.add_log_listener(listener)
    try:
        async with conn.transaction():
            await conn.execute("load 'auto_explain'")
            await conn.execute(
                """set local auto_explain.log_min_duration = 0; set local auto_explain.log_nested_statements = on;
                   set local auto_explain.log_analyze = on; set local auto_explain.log_buffers = on;
                   set local client_min_messages = log"""
            )
            if as_user:
                await conn.execute(
                    "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)",
                    world.claims.as_json(),
                )
            await conn.fetch(SEARCH_SQL, workspace_id, query, vector_literal(vector), model, 5)
            await conn.execute("set local client_min_messages = notice")
    finally:
        conn.remove_log_listener(listener)
        await conn.close()
    inner = [message for message in messages if "vector_hits" in message]
    text = [message for message in messages if "ts_rank_cd" in message and "vector_hits" not in message]
    # The query vector's literal is thousands of characters long.
    fused = [
        re.sub(r"'\[[^\]]{80,}\]'", "'[query vector]'", line)
        for line in (inner[-1] if inner else "\n".join(messages)).splitlines()
    ]
    return fused, (text[0].splitlines() if text else [])


def plan_nodes(plan: list[str], width: int = 200) -> list[str]:
    """The plan's nodes with their conditions and filters (the JSON report has the whole plan)."""
    start = next((i for i, line in enumerate(plan) if line.lstrip().startswith(("Limit", "Sort", "Hash", "Nested"))), 0)
    keep = ("->", "SubPlan", "Filter:", "Index Cond:", "Recheck Cond:", "Hash Cond:", "Rows Removed by Filter", "JIT:")
    lines = [line.rstrip() for line in plan[start:] if line.strip()]
    shown = [line for i, line in enumerate(lines) if i == 0 or line.lstrip().startswith(keep)]
    return [line if len(line) <= width else line[: width - 3] + "..." for line in shown]


async def latency_benchmark(
    args: argparse.Namespace,
    settings: Settings,
    database: Database,
    world: World,
    embedder: Embedder,
    questions: list[Question],
    verbose: bool,
) -> dict[str, Any]:
    model, dimensions = embedder.model_name, embedder.dimensions
    queries = [question.question for question in questions]
    # Real query embeddings, and how long one takes (what a request adds on top of the search call).
    await embedder.embed(queries[:2])  # loads the model
    embed_seconds: list[float] = []
    vectors: dict[str, list[float]] = {}
    for query in queries:
        started = time.perf_counter()
        vectors[query] = (await embedder.embed([query]))[0]
        embed_seconds.append(time.perf_counter() - started)
    cached = CachedEmbedder(embedder, vectors)
    runs = [queries[i % len(queries)] for i in range(args.queries)]
    random.Random(args.seed).shuffle(runs)

    conn = await asyncpg.connect(settings.database_url)
    await conn.set_type_codec("vector", schema="extensions", encoder=_identity, decoder=_identity, format="binary")
    indexes = await chunk_indexes(conn, model)
    report: dict[str, Any] = {
        "model": model,
        "dimensions": dimensions,
        "vectors": "random unit vectors (not model embeddings); query vectors are real",
        "queries_per_role": args.queries,
        "distinct_queries": len(queries),
        "distractor_ratio": args.distractors,
        "rebuilt_indexes": [name for name, _ in indexes],
        "query_embedding_ms": summary_ms(embed_seconds),
        "scales": [],
    }
    say(verbose, f"Latency: {len(queries)} questions embedded with {model} (real vectors), {args.queries} searches")
    say(verbose, f"per scale and role after a warm-up pass; chunk vectors are RANDOM unit vectors in {dimensions}")
    say(verbose, "dimensions with template help-center text (real tsvectors), not model embeddings.")
    say(verbose, f"Distractors: {args.distractors:g} x the Support chunks, in another workspace of the same business")
    say(verbose, "and in another business. Each load: drop HNSW+GIN, COPY, rebuild once, ANALYZE.")
    try:
        corpus = Corpus(args.seed)
        vector_rng = np.random.default_rng(args.seed)
        loaders: dict[uuid.UUID, Loader] = {}
        sources: dict[uuid.UUID, set[uuid.UUID]] = {}
        for workspace_id in (world.support, world.billing, world.other):
            website = await add_source(
                conn,
                world,
                workspace_id,
                "website",
                "Help center",
                url=f"https://help.{world.domain}/{workspace_id.hex[:8]}",
            )
            loaders[workspace_id] = Loader(world, workspace_id, website, corpus)
            sources[workspace_id] = {website}
        for scale in args.scales:
            distractors = round(scale * args.distractors)
            targets = [
                (loaders[world.support], scale),
                (loaders[world.billing], distractors // 2),
                (loaders[world.other], distractors - distractors // 2),
            ]
            fresh: dict[uuid.UUID, list[uuid.UUID]] = {}
            for loader, target in targets:
                # Enough document sources for the manuals this stage may draw (3% of documents, about 1 chunk in 7).
                wanted = max(0, target - loader.chunks) // 150 + 2
                fresh[loader.workspace_id] = await manual_sources(conn, world, loader.workspace_id, wanted)
                sources[loader.workspace_id].update(fresh[loader.workspace_id])
            world.bulk_loaded = True
            timing = await load_stage(conn, targets, indexes, model, dimensions, vector_rng, fresh)
            total = await conn.fetchval(
                "select count(*) from public.knowledge_chunks where embedding_model = $1", model
            )
            say(verbose)
            say(
                verbose,
                f"{scale:,} chunks in Support (+{distractors:,} distractors; {total:,} {model} chunks in the table): "
                f"loaded {timing.rows:,} rows in {timing.documents:,} documents, COPY {timing.copy_seconds:.1f} s, "
                f"index build {timing.index_seconds:.1f} s, analyze {timing.analyze_seconds:.1f} s",
            )
            stage: dict[str, Any] = {
                "chunks": scale,
                "distractor_chunks": distractors,
                "model_chunks_in_table": total,
                "load": dataclasses.asdict(timing),
                "roles": {},
            }
            for as_user in (True, False):  # warm-up: every distinct query once
                await timed_searches(
                    database,
                    world,
                    cached,
                    queries,
                    as_user=as_user,
                    workspace_id=world.support,
                    allowed_sources=sources[world.support],
                )
            last: Timed | None = None
            for role, as_user in (("user", True), ("service", False)):
                timed = await timed_searches(
                    database,
                    world,
                    cached,
                    runs,
                    as_user=as_user,
                    workspace_id=world.support,
                    allowed_sources=sources[world.support],
                )
                last = last or timed
                stats = summary_ms(timed.seconds)
                matched = sum(1 for count in timed.text_ranked.values() if count)
                stage["roles"][role] = {
                    **stats,
                    "mean_results": round(statistics.fmean(timed.results), 2),
                    "results_outside_workspace": timed.outside,
                    "queries_with_full_text_hits": matched,
                }
                label = "user (authenticated)" if as_user else "service"
                say(
                    verbose,
                    f"  {label:<27} p50 {stats['p50']:6.1f} ms   p95 {stats['p95']:6.1f} ms   "
                    f"p99 {stats['p99']:6.1f} ms   mean {stats['mean']:6.1f} ms   max {stats['max']:6.1f} ms   "
                    f"({statistics.fmean(timed.results):.1f} results, {timed.outside} from other workspaces)",
                )
            say(
                verbose,
                f"  (the full-text half found passages for {stage['roles']['user']['queries_with_full_text_hits']} "
                f"of the {len(queries)} distinct queries; the vector half for all)",
            )
            report["scales"].append(stage)
        # The plans at the largest scale, for the query whose full-text half found the most (both halves work).
        assert last is not None
        query = max(queries, key=lambda q: (last.text_ranked.get(q, 0), -queries.index(q)))
        hnsw = [name for name, definition in indexes if "hnsw" in definition.lower()]
        report["explain"] = {"query": query}
        for role, as_user in (("user", True), ("service", False)):
            plan, text_plan = await explain_search(
                settings.database_url, world, world.support, query, vectors[query], model, as_user=as_user
            )
            used = bool(hnsw) and any(f"Index Scan using {hnsw[0]}" in line for line in plan)
            gin = any("knowledge_chunks_fts_idx" in line for line in text_plan)
            report["explain"][role] = {
                "hnsw_index_used": used,
                "plan": plan,
                "full_text_gin_index_used": gin,
                "full_text_plan": text_plan,
            }
            say(verbose)
            say(
                verbose,
                f"EXPLAIN ANALYZE at {args.scales[-1]:,} chunks as the {role} (auto_explain of the queries inside "
                f'search_knowledge), "{query}": HNSW index used: {"yes" if used else "NO"}; '
                f"GIN index used by the full-text half: {'yes' if gin else 'NO'}",
            )
            for line in plan_nodes(plan):
                say(verbose, f"  {line}")
            if text_plan:
                say(verbose, "  full text, first level:")
                for line in plan_nodes(text_plan):
                    say(verbose, f"    {line}")
        emb = report["query_embedding_ms"]
        say(verbose)
        say(
            verbose,
            f"Query embedding ({model}, one query, this process): p50 {emb['p50']:.1f} ms, "
            f"p95 {emb['p95']:.1f} ms (not included above)",
        )
    finally:
        await conn.close()
    return report


# ---------------------------------------------------------------- recall


@dataclass
class IngestedSources:
    website: uuid.UUID
    documents: dict[str, uuid.UUID]  # file name -> source id
    skipped: dict[str, str]  # file name -> why
    pages: int
    chunks: int
    seconds: float


async def index_document(
    database: Database, embedder: Embedder, workspace_id: uuid.UUID, source_id: uuid.UUID, document: ExtractedDocument
) -> int:
    """What the ingestion worker does with one document (callcenter.knowledge.ingestion.JobContext.index)."""
    chunks = chunk_document(document)
    if not chunks:
        return 0
    vectors = await embedder.embed([chunk.embedding_text() for chunk in chunks])
    async with database.as_service() as conn:
        await store.write_document(
            conn,
            workspace_id=workspace_id,
            source_id=source_id,
            document=document,
            chunks=chunks,
            vectors=vectors,
            embedding_model=embedder.model_name,
        )
        await store.refresh_chunk_count(conn, source_id)
    return len(chunks)


async def ingest_fixtures(database: Database, world: World, embedder: Embedder) -> IngestedSources:
    from callcenter.knowledge.crawler import AddressPolicy, CrawledPage, CrawlLimits, PageStatus, crawl_site
    from callcenter.knowledge.extraction import ExtractionError, extract
    from tests.fixtures.documents.generate import FIXTURES
    from tests.fixtures.helpcenter.server import Site, serve
    from tests.fixtures.helpcenter.site import build_help_center

    started = time.perf_counter()
    chunks = pages = 0
    site = Site()
    with serve(site) as base:
        center = build_help_center(site, base)
        async with database.as_service() as conn:
            website = await add_source(conn, world, world.recall, "website", "Acme help center", url=center.start_url)
        limits = CrawlLimits(per_host_delay_seconds=0.0, progress_interval_seconds=0.0)
        crawl = crawl_site(center.start_url, limits=limits, policy=AddressPolicy.allowing(networks=["127.0.0.1/32"]))
        async with crawl:
            async for event in crawl:
                if isinstance(event, CrawledPage) and event.status is not PageStatus.UNCHANGED:
                    document = event.document
                    if document.url != event.url:  # as the crawl job does
                        document = dataclasses.replace(document, url=event.url)
                    chunks += await index_document(database, embedder, world.recall, website, document)
                    pages += 1
    documents: dict[str, uuid.UUID] = {}
    skipped: dict[str, str] = {}
    for name in RECALL_DOCUMENTS:
        data = FIXTURES[name]()
        try:
            document = await asyncio.to_thread(extract, data, name)
        except ExtractionError as error:  # e.g. Tesseract missing for the scanned one
            skipped[name] = error.message
            continue
        async with database.as_service() as conn:
            source_id = await add_source(
                conn, world, world.recall, "document", name, file_name=name, byte_size=len(data)
            )
        documents[name] = source_id
        chunks += await index_document(database, embedder, world.recall, source_id, document)
    return IngestedSources(website, documents, skipped, pages, chunks, time.perf_counter() - started)


def _normalized(text: str) -> str:
    return " ".join(text.split()).casefold()


@dataclass
class Passage:
    source_id: uuid.UUID
    url: str | None
    title: str
    heading_path: list[str]
    page: int | None
    content: str
    vector_rank: int | None
    text_rank: int | None

    @classmethod
    def of(cls, row: SearchResult | asyncpg.Record) -> Passage:
        if isinstance(row, SearchResult):
            return cls(
                row.source_id,
                row.url,
                row.title,
                row.heading_path,
                row.page,
                row.content,
                row.vector_rank,
                row.text_rank,
            )
        return cls(
            row["source_id"],
            row["url"],
            row["document_title"] or row["source_title"],
            list(row["heading_path"]),
            row["page"],
            row["content"],
            row["vector_rank"],
            row["text_rank"],
        )

    def cite(self, ingested: IngestedSources) -> str:
        if self.source_id == ingested.website and self.url:
            where = "article:" + urlsplit(self.url).path.rstrip("/").rsplit("/", 1)[-1]
        else:
            names = [name for name, source in ingested.documents.items() if source == self.source_id]
            where = "document:" + (names[0] if names else "?")
        place = " > ".join([self.title, *self.heading_path])
        if self.page is not None:
            place += f", page {self.page}"
        text = " ".join(self.content.split())
        return f"{where} [{place}] {text[:90]}{'...' if len(text) > 90 else ''}"


def answers(passage: Passage, question: Question, ingested: IngestedSources) -> bool:
    if _normalized(question.phrase) not in _normalized(passage.content):
        return False
    for source in question.sources:
        kind, _, name = source.partition(":")
        if kind == "article":
            if (
                passage.source_id == ingested.website
                and passage.url is not None
                and urlsplit(passage.url).path.rstrip("/") == f"/help/articles/{name}"
            ):
                return True
        elif ingested.documents.get(name) == passage.source_id:
            return True
    return False


def first_hit(passages: list[Passage], question: Question, ingested: IngestedSources) -> int | None:
    for position, passage in enumerate(passages, start=1):
        if answers(passage, question, ingested):
            return position
    return None


def scores(ranks: list[int | None]) -> dict[str, float]:
    total = len(ranks) or 1
    return {
        "recall@1": round(sum(rank == 1 for rank in ranks) / total, 3),
        "recall@5": round(sum(rank is not None and rank <= 5 for rank in ranks) / total, 3),
        "mrr@5": round(sum(1 / rank for rank in ranks if rank is not None and rank <= 5) / total, 3),
    }


async def recall_benchmark(
    database: Database, world: World, embedder: Embedder, questions: list[Question], verbose: bool
) -> dict[str, Any]:
    ingested = await ingest_fixtures(database, world, embedder)
    say(
        verbose,
        f"Recall: fixture help center crawled on loopback ({ingested.pages} pages) and "
        f"{len(ingested.documents)} fixture documents, {ingested.chunks} chunks with {embedder.model_name} "
        f"in {ingested.seconds:.1f} s",
    )
    for name, why in ingested.skipped.items():
        say(verbose, f"  skipped {name}: {why}")
    usable = [
        q
        for q in questions
        if any(s.startswith("article:") or s.partition(":")[2] in ingested.documents for s in q.sources)
    ]
    vectors = await embedder.embed([q.question for q in usable])
    cached = CachedEmbedder(embedder, {q.question: v for q, v in zip(usable, vectors, strict=True)})
    variants: dict[str, list[int | None]] = {"hybrid": [], "vector only": [], "text only": []}
    details: list[dict[str, Any]] = []
    for question, vector in zip(usable, vectors, strict=True):
        async with database.as_user(world.claims) as conn:
            hybrid = [Passage.of(r) for r in await search(conn, cached, world.recall, question.question, 5)]
            # The two halves alone: a blank text matches nothing, a missing embedding skips the vector half.
            vector_only = [
                Passage.of(r)
                for r in await conn.fetch(SEARCH_SQL, world.recall, "", vector_literal(vector), embedder.model_name, 5)
            ]
            text_only = [
                Passage.of(r)
                for r in await conn.fetch(SEARCH_SQL, world.recall, question.question, None, embedder.model_name, 5)
            ]
        ranks = {
            "hybrid": first_hit(hybrid, question, ingested),
            "vector only": first_hit(vector_only, question, ingested),
            "text only": first_hit(text_only, question, ingested),
        }
        for variant, rank in ranks.items():
            variants[variant].append(rank)
        hit = hybrid[ranks["hybrid"] - 1] if ranks["hybrid"] else None
        details.append(
            {
                "question": question.question,
                "expected": {"sources": list(question.sources), "phrase": question.phrase},
                "rank": ranks,
                "hit_vector_rank": hit.vector_rank if hit else None,
                "hit_text_rank": hit.text_rank if hit else None,
                "first": hybrid[0].cite(ingested) if hybrid else None,
            }
        )
    table = {variant: scores(ranks) for variant, ranks in variants.items()}
    say(verbose, f"{len(usable)} questions ({len(questions) - len(usable)} skipped), top 5, as the workspace agent:")
    say(verbose, f"  {'variant':<12} {'recall@1':>9} {'recall@5':>9} {'MRR@5':>7}")
    for variant, row in table.items():
        say(verbose, f"  {variant:<12} {row['recall@1']:>9.3f} {row['recall@5']:>9.3f} {row['mrr@5']:>7.3f}")
    helped = [d["question"] for d in details if d["rank"]["hybrid"] and not d["rank"]["vector only"]]
    hurt = [d["question"] for d in details if d["rank"]["vector only"] and not d["rank"]["hybrid"]]
    better = sum(
        1
        for d in details
        if d["rank"]["hybrid"] and (not d["rank"]["vector only"] or d["rank"]["hybrid"] < d["rank"]["vector only"])
    )
    worse = sum(
        1
        for d in details
        if d["rank"]["vector only"] and (not d["rank"]["hybrid"] or d["rank"]["hybrid"] > d["rank"]["vector only"])
    )
    say(
        verbose,
        f"  fusion vs vector only: {better} questions ranked higher, {worse} lower; "
        f"found only with fusion: {len(helped)}, lost by fusion: {len(hurt)}",
    )
    for question in helped:
        say(verbose, f"    + {question}")
    for question in hurt:
        say(verbose, f"    - {question}")
    misses = [d for d in details if not d["rank"]["hybrid"]]
    late = [d for d in details if d["rank"]["hybrid"] and d["rank"]["hybrid"] > 1]
    say(verbose, f"Misses (not in the hybrid top 5): {len(misses)}")
    for d in misses:
        expected = d["expected"]
        say(verbose, f"  Q: {d['question']}")
        say(verbose, f'     expected {" or ".join(expected["sources"])} with "{expected["phrase"]}"')
        say(verbose, f"     first:   {d['first']}")
    if late:
        say(verbose, f"Found below rank 1: {len(late)}")
        for d in late:
            say(verbose, f"  #{d['rank']['hybrid']} {d['question']}  (first: {d['first']})")
    return {
        "questions": len(usable),
        "skipped_questions": len(questions) - len(usable),
        "pages_crawled": ingested.pages,
        "documents": sorted(ingested.documents),
        "documents_skipped": ingested.skipped,
        "chunks": ingested.chunks,
        "ingest_seconds": round(ingested.seconds, 1),
        "scores": table,
        "fusion_vs_vector": {
            "ranked_higher": better,
            "ranked_lower": worse,
            "found_only_with_fusion": helped,
            "lost_by_fusion": hurt,
        },
        "details": details,
    }


# ---------------------------------------------------------------- main


@contextlib.asynccontextmanager
async def cancel_on_sigterm() -> AsyncIterator[None]:
    """SIGTERM cancels the run like Ctrl-C does, so the cleanup below runs either way."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    if task is not None:
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        yield
    finally:
        loop.remove_signal_handler(signal.SIGTERM)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    verbose = not args.json
    settings = get_settings()
    embedder = get_embedder(settings)
    questions = load_questions(args.questions)
    database = Database(settings)
    dsn = urlsplit(settings.database_url)
    report: dict[str, Any] = {
        "database": f"{dsn.hostname}:{dsn.port}",
        "cpus": os.cpu_count(),
        "load_average_start": load_average(),
        "questions_file": str(
            args.questions.relative_to(ROOT) if args.questions.is_relative_to(ROOT) else args.questions
        ),
    }
    say(
        verbose,
        f"Search benchmark: public.search_knowledge on {report['database']}, {os.cpu_count()} CPU cores, "
        f"load average {report['load_average_start']}",
    )
    conn = await asyncpg.connect(settings.database_url)
    try:
        report["server"] = await conn.fetchval(
            "select current_setting('server_version') || ', pgvector ' || extversion from pg_extension "
            "where extname = 'vector'"
        )
        swept = await sweep_leftovers(conn)
        if swept:
            say(verbose, f"(removed {swept} businesses left by an interrupted earlier run)")
        indexes = await chunk_indexes(conn, embedder.model_name)
        world = await create_world(conn)
    finally:
        await conn.close()
    try:
        async with cancel_on_sigterm():
            if not args.skip_recall:
                say(verbose)
                report["recall"] = await recall_benchmark(database, world, embedder, questions, verbose)
            if not args.skip_latency:
                say(verbose)
                report["latency"] = await latency_benchmark(
                    args, settings, database, world, embedder, questions, verbose
                )
    finally:
        await database.close()
        started = time.perf_counter()
        cleanup = await asyncio.shield(delete_world(settings.database_url, world, indexes))
        cleanup["seconds"] = round(time.perf_counter() - started, 1)
        report["cleanup"] = cleanup
        report["load_average_end"] = load_average()
        steps = ", ".join(
            f"{step.removesuffix('_seconds')} {cleanup[step]:.1f} s"
            for step in ("delete_seconds", "reindex_seconds", "vacuum_seconds")
            if step in cleanup
        )
        say(verbose)
        say(
            verbose,
            f"Cleaned up (the businesses with their workspaces, sources, documents and chunks, and the user) "
            f"in {cleanup['seconds']:.1f} s: {steps}"
            + (f"; re-created missing indexes {cleanup['restored_indexes']}" if cleanup["restored_indexes"] else "")
            + f". Load average now {report['load_average_end']}.",
        )
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="10000,100000", help="chunks in the searched workspace, ascending")
    parser.add_argument("--queries", type=int, default=200, help="timed searches per scale and role")
    parser.add_argument("--distractors", type=float, default=0.5, help="chunks in other workspaces, per searched one")
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--skip-recall", action="store_true")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of the text report")
    args = parser.parse_args()
    args.scales = sorted(int(value.replace("_", "")) for value in args.scales.split(",") if value.strip())
    args.questions = args.questions.resolve()
    if not args.scales or args.scales[0] < 1 or args.queries < 1:
        parser.error("--scales and --queries must be positive")
    try:
        report = asyncio.run(run(args))
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("interrupted (what the run created was deleted)", file=sys.stderr)
        return 130
    if args.json:
        print(json.dumps(report, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
