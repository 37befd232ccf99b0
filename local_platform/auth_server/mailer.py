"""Auth emails over SMTP (GOTRUE_SMTP_*), with Supabase Auth's default
subjects and templates and its link format:
`{API_EXTERNAL_URL}/verify?token=<hash>&type=<signup|recovery|email_change>&redirect_to=<url>`."""

from __future__ import annotations

import asyncio
import html
import logging
import smtplib
import time
from collections import deque
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from urllib.parse import quote_plus

from local_platform.auth_server.config import Config

log = logging.getLogger("auth.mailer")


class EmailRateLimitExceeded(Exception):
    pass


def encode_redirect(url: str) -> str:
    # Supabase Auth escapes redirect_to only when it is not already escaped.
    return quote_plus(url) if any(c in url for c in "&=#") else url


def verify_link(external_url: str, token: str, kind: str, redirect_to: str) -> str:
    return (
        f"{external_url}/verify?token={quote_plus(token)}&type={quote_plus(kind)}"
        f"&redirect_to={encode_redirect(redirect_to)}"
    )


def _confirmation(link: str, otp: str) -> tuple[str, str]:
    return "Confirm Your Email", (
        "<h2>Confirm Your Email</h2>\n\n<p>Follow this link to confirm your email:</p>\n"
        f'<p><a href="{html.escape(link)}">Confirm your email address</a></p>\n'
        f"<p>Alternatively, enter the code: {otp}</p>\n"
    )


def _recovery(link: str, otp: str) -> tuple[str, str]:
    return "Reset Your Password", (
        "<h2>Reset password</h2>\n\n<p>Follow this link to reset the password for your user:</p>\n"
        f'<p><a href="{html.escape(link)}">Reset password</a></p>\n'
        f"<p>Alternatively, enter the code: {otp}</p>"
    )


def _email_change(link: str, otp: str, old: str, new: str) -> tuple[str, str]:
    return "Confirm Email Change", (
        "<h2>Confirm email address change</h2>\n\n"
        f"<p>Follow this link to confirm the update of your email address from {html.escape(old)}"
        f" to {html.escape(new)}:</p>\n"
        f'<p><a href="{html.escape(link)}">Change email address</a></p>\n'
        f"<p>Alternatively, enter the code: {otp}</p>"
    )


def _text_of(body: str, link: str) -> str:
    text = body.replace("</p>", "\n").replace("</h2>", "\n")
    for tag in ("<h2>", "<p>", "</a>"):
        text = text.replace(tag, "")
    start = text.find("<a ")
    if start != -1:
        text = text[:start] + text[text.find(">", start) + 1 :]
    return html.unescape(text).strip() + f"\n\n{link}\n"


class Mailer:
    def __init__(self, config: Config) -> None:
        self.config = config
        self._sent: deque[float] = deque()

    def _allow(self) -> bool:
        limit = self.config.rate_limit_email_sent
        if limit is None or self.config.mailer_autoconfirm:
            return True
        horizon = time.monotonic() - 3600
        while self._sent and self._sent[0] < horizon:
            self._sent.popleft()
        if len(self._sent) >= limit:
            return False
        self._sent.append(time.monotonic())
        return True

    def _deliver(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.config.smtp_host, self.config.smtp_port, timeout=10) as smtp:
            if self.config.smtp_user:
                smtp.starttls()
                smtp.login(self.config.smtp_user, self.config.smtp_pass)
            smtp.send_message(message)

    async def send(self, to: str, subject: str, body: str, link: str) -> None:
        if not self._allow():
            raise EmailRateLimitExceeded("email rate limit exceeded")
        message = EmailMessage()
        message["From"] = formataddr((self.config.smtp_sender_name, self.config.smtp_admin_email))
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain="auth.local")
        message.set_content(_text_of(body, link))
        message.add_alternative(body, subtype="html")
        if not self.config.smtp_host:
            log.warning("no GOTRUE_SMTP_HOST: not sending %r to %s (%s)", subject, to, link)
            return
        await asyncio.to_thread(self._deliver, message)

    async def confirmation(self, to: str, otp: str, token: str, redirect_to: str) -> None:
        link = verify_link(self.config.external_url, token, "signup", redirect_to)
        subject, body = _confirmation(link, otp)
        await self.send(to, subject, body, link)

    async def recovery(self, to: str, otp: str, token: str, redirect_to: str) -> None:
        link = verify_link(self.config.external_url, token, "recovery", redirect_to)
        subject, body = _recovery(link, otp)
        await self.send(to, subject, body, link)

    async def email_change(
        self, to: str, otp: str, token: str, redirect_to: str, old_email: str, new_email: str
    ) -> None:
        link = verify_link(self.config.external_url, token, "email_change", redirect_to)
        subject, body = _email_change(link, otp, old_email, new_email)
        await self.send(to, subject, body, link)

