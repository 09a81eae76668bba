"""Outgoing mail through one interface: ``send_mail(to, subject, body)``.

Development and tests keep messages in an outbox (``outbox()``), printed to the console in
development; production sends them by SMTP with the MAIL_* settings.
"""

from __future__ import annotations

import smtplib
import sys
from dataclasses import dataclass
from email.message import EmailMessage

from flask import Flask, current_app


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    body: str
    sender: str


class OutboxBackend:
    """Keeps every message in a list; prints it too when asked."""

    def __init__(self, echo: bool) -> None:
        self.messages: list[Message] = []
        self.echo = echo

    def send(self, message: Message) -> None:
        self.messages.append(message)
        if self.echo:
            print(
                f"\n--- mail to {message.to}: {message.subject}\n{message.body}\n--- end of mail\n",
                file=sys.stderr,
                flush=True,
            )


class SmtpBackend:
    """Sends each message by SMTP (STARTTLS or TLS as configured)."""

    def __init__(self, config) -> None:
        self.config = config

    def send(self, message: Message) -> None:
        c = self.config
        email = EmailMessage()
        email["From"] = message.sender
        email["To"] = message.to
        email["Subject"] = message.subject
        email.set_content(message.body)
        smtp_class = smtplib.SMTP_SSL if c["MAIL_USE_SSL"] else smtplib.SMTP
        with smtp_class(c["MAIL_SERVER"], c["MAIL_PORT"], timeout=c["MAIL_TIMEOUT"]) as smtp:
            if c["MAIL_USE_STARTTLS"]:
                smtp.starttls()
            if c.get("MAIL_USERNAME"):
                smtp.login(c["MAIL_USERNAME"], c["MAIL_PASSWORD"] or "")
            smtp.send_message(email)


def init_app(app: Flask) -> None:
    kind = app.config["MAIL_BACKEND"]
    if kind == "outbox":
        backend = OutboxBackend(echo=app.config["MAIL_PRINT"])
    elif kind == "smtp":
        backend = SmtpBackend(app.config)
    else:
        raise RuntimeError(f"MAIL_BACKEND={kind!r} is not 'outbox' or 'smtp'")
    app.extensions["pb.mail"] = backend


def send_mail(to: str, subject: str, body: str) -> None:
    """Send one plain-text message from MAIL_SENDER."""
    message = Message(to=to, subject=str(subject), body=str(body), sender=current_app.config["MAIL_SENDER"])
    current_app.extensions["pb.mail"].send(message)


def outbox() -> list[Message]:
    """The messages kept so far (outbox backend only)."""
    return current_app.extensions["pb.mail"].messages
