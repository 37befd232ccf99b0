"""The mail catcher's SMTP side and HTTP API."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import anyio

from tests.auth.conftest import Mail, new_email


def _send(port: int, to: str, subject: str, html: str) -> None:
    message = EmailMessage()
    message["From"] = "Sender <sender@auth-tests.example>"
    message["To"] = to
    message["Subject"] = subject
    message.set_content("plain text")
    message.add_alternative(html, subtype="html")
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        smtp.send_message(message)


async def test_messages_api(mail: Mail) -> None:
    first, second = new_email("mail-a"), new_email("mail-b")
    await anyio.to_thread.run_sync(_send, mail.smtp_port, first, "One", '<a href="http://x.example/1">1</a>')
    await anyio.to_thread.run_sync(_send, mail.smtp_port, second, "Two", '<a href="http://x.example/2">2</a>')

    everything = (await mail.client.get(f"{mail.url}/api/messages")).json()
    subjects = [m["subject"] for m in everything]
    assert subjects.index("Two") < subjects.index("One")  # newest first

    (only,) = await mail.to(first)
    assert set(only) == {"id", "from", "to", "subject", "date", "text", "html", "links"}
    assert only["to"] == [first] and only["links"] == ["http://x.example/1"]
    assert only["text"].strip() == "plain text"

    one = await mail.client.get(f"{mail.url}/api/messages/{only['id']}")
    assert one.status_code == 200 and one.json()["subject"] == "One"
    assert (await mail.client.get(f"{mail.url}/api/messages/nope")).status_code == 404

    page = await mail.client.get(f"{mail.url}/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "http://x.example/1" in page.text


async def test_delete_messages(mail: Mail) -> None:
    address = new_email("mail-del")
    await anyio.to_thread.run_sync(_send, mail.smtp_port, address, "Bye", "<p>bye</p>")
    assert len(await mail.to(address)) == 1
    deleted = await mail.client.delete(f"{mail.url}/api/messages")
    assert deleted.status_code == 204
    assert (await mail.client.get(f"{mail.url}/api/messages")).json() == []
