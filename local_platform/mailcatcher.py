"""Mail catcher: an SMTP server that keeps the last messages in memory, and a
small HTTP server to read them (what Inbucket/Mailpit are to a Supabase CLI
project).

    python -m local_platform.mailcatcher --host 127.0.0.1 --http-port 54324 --smtp-port 54325

HTTP:
    GET    /api/messages[?to=address]  newest first
    GET    /api/messages/{id}
    DELETE /api/messages
    GET    /                           an HTML inbox

Each message: id, from, to[], subject, date, text, html, links[] (every URL
found in the body, in order, without duplicates). Nothing is written to disk;
only the newest `--keep` messages are kept."""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import email.utils
import functools
import html
import re
import secrets
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import uvicorn
from aiosmtpd.smtp import SMTP, Envelope, Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

_HREF = re.compile(r"""href\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_URL = re.compile(r"""https?://[^\s"'<>]+""")


@dataclass(frozen=True)
class Message:
    id: str
    sender: str
    to: tuple[str, ...]
    subject: str
    date: str
    text: str
    html: str
    links: tuple[str, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "from": self.sender,
            "to": list(self.to),
            "subject": self.subject,
            "date": self.date,
            "text": self.text,
            "html": self.html,
            "links": list(self.links),
        }


def _part(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    if part is None or part.get_content_subtype() != subtype:
        return ""
    content = part.get_content()
    return content.replace("\r\n", "\n") if isinstance(content, str) else ""


def extract_links(text: str, html_body: str) -> tuple[str, ...]:
    found = [html.unescape(link) for link in _HREF.findall(html_body)]
    found += _URL.findall(text)
    found += [html.unescape(link) for link in _URL.findall(html_body)]
    return tuple(dict.fromkeys(link.rstrip(".,;)") for link in found if link.startswith("http")))


def parse(raw: bytes, recipients: list[str], sender: str | None) -> Message:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    text, html_body = _part(message, "plain"), _part(message, "html")
    date = message["date"]
    try:
        when = email.utils.parsedate_to_datetime(str(date)) if date else datetime.now(UTC)
    except (TypeError, ValueError):
        when = datetime.now(UTC)
    return Message(
        id=secrets.token_hex(8),
        sender=str(message["from"] or sender or ""),
        to=tuple(recipients),
        subject=str(message["subject"] or ""),
        date=when.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        text=text,
        html=html_body,
        links=extract_links(text, html_body),
    )


class Mailbox:
    """The newest messages first, at most `keep` of them."""

    def __init__(self, keep: int = 500) -> None:
        self._messages: deque[Message] = deque(maxlen=keep)

    def add(self, message: Message) -> None:
        self._messages.appendleft(message)

    def list(self, to: str | None = None) -> list[Message]:
        if not to:
            return list(self._messages)
        wanted = to.strip().lower()
        return [m for m in self._messages if any(r.lower() == wanted for r in m.to)]

    def get(self, message_id: str) -> Message | None:
        return next((m for m in self._messages if m.id == message_id), None)

    def clear(self) -> None:
        self._messages.clear()


class SMTPHandler:
    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        content = raw.encode() if isinstance(raw, str) else raw
        self.mailbox.add(parse(content, list(envelope.rcpt_tos), envelope.mail_from))
        return "250 Message accepted for delivery"


def _inbox_page(messages: list[Message]) -> str:
    rows = []
    for m in messages:
        links = "".join(
            f'<li><a href="{html.escape(link)}">{html.escape(link)}</a></li>' for link in m.links
        )
        rows.append(
            "<article>"
            f"<h2>{html.escape(m.subject) or '(no subject)'}</h2>"
            f"<p><b>To:</b> {html.escape(', '.join(m.to))} &middot; <b>From:</b> {html.escape(m.sender)}"
            f" &middot; {html.escape(m.date)}</p>"
            f"<ul>{links}</ul>"
            f"<details><summary>Body</summary><pre>{html.escape(m.text or m.html)}</pre></details>"
            "</article>"
        )
    body = "".join(rows) or "<p>No messages yet.</p>"
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Mail catcher</title>"
        "<style>body{font:15px system-ui;max-width:60rem;margin:2rem auto;padding:0 1rem}"
        "article{border-bottom:1px solid #ddd;padding:.5rem 0}h2{font-size:1.1rem;margin:.3rem 0}"
        "pre{white-space:pre-wrap}</style></head><body>"
        f"<h1>Mail catcher ({len(messages)})</h1>{body}</body></html>"
    )


def create_http_app(mailbox: Mailbox) -> Starlette:
    async def list_messages(request: Request) -> Response:
        messages = mailbox.list(request.query_params.get("to"))
        return JSONResponse([m.as_json() for m in messages])

    async def get_message(request: Request) -> Response:
        message = mailbox.get(request.path_params["message_id"])
        if message is None:
            return JSONResponse({"error": "message not found"}, status_code=404)
        return JSONResponse(message.as_json())

    async def delete_messages(request: Request) -> Response:
        mailbox.clear()
        return Response(status_code=204)

    async def inbox(request: Request) -> Response:
        return HTMLResponse(_inbox_page(mailbox.list(request.query_params.get("to"))))

    return Starlette(
        routes=[
            Route("/", inbox, methods=["GET"]),
            Route("/api/messages", list_messages, methods=["GET"]),
            Route("/api/messages", delete_messages, methods=["DELETE"]),
            Route("/api/messages/{message_id}", get_message, methods=["GET"]),
        ]
    )


async def serve(host: str, http_port: int, smtp_port: int, keep: int = 500) -> None:
    mailbox = Mailbox(keep)
    loop = asyncio.get_running_loop()
    smtp_factory = functools.partial(SMTP, SMTPHandler(mailbox), enable_SMTPUTF8=True)
    smtp_server = await loop.create_server(smtp_factory, host=host, port=smtp_port)
    config = uvicorn.Config(create_http_app(mailbox), host=host, port=http_port, log_level="warning")
    try:
        await uvicorn.Server(config).serve()
    finally:
        smtp_server.close()
        await smtp_server.wait_closed()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local_platform.mailcatcher", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--http-port", type=int, default=54324)
    parser.add_argument("--smtp-port", type=int, default=54325)
    parser.add_argument("--keep", type=int, default=500, help="how many messages to keep")
    args = parser.parse_args(argv)
    print(
        f"mail catcher: SMTP on {args.host}:{args.smtp_port}, inbox on http://{args.host}:{args.http_port}",
        flush=True,
    )
    asyncio.run(serve(args.host, args.http_port, args.smtp_port, args.keep))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
