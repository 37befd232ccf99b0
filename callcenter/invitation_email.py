"""The invitation email's words."""

from __future__ import annotations

from datetime import datetime
from html import escape

from callcenter.mailer import Email


def invitation_email(
    *, to: str, inviter: str, workspace: str, business: str, role: str, url: str, expires_at: datetime
) -> Email:
    subject = f"{inviter} invited you to {workspace} at {business}"
    when = expires_at.strftime("%d %B %Y, %H:%M UTC")
    text = (
        f"{inviter} invited you to join the {workspace} workspace of {business} as {role}.\n\n"
        f"Accept the invitation: {url}\n\n"
        f"The link works once and expires on {when}."
    )
    html = (
        f"<p>{escape(inviter)} invited you to join the <strong>{escape(workspace)}</strong> workspace of "
        f"{escape(business)} as {escape(role)}.</p>"
        f'<p><a href="{escape(url)}">Accept the invitation</a></p>'
        f"<p>The link works once and expires on {escape(when)}.</p>"
    )
    return Email(to=to, subject=subject, text=text, html=html)
