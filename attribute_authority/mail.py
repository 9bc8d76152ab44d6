"""The mail port and its two adapters: .eml files in the outbox (embedded default) and SMTP
(production, IDBEHEER_SMTP_URL such as smtp://host:25 or smtps://user:pass@host:465)."""
from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

SENDER = "lb-idbeheer <no-reply@idbeheer.vlaanderen.be>"


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Deliver or raise; a raised error leaves the notice to be retried."""


def compose(to: str, subject: str, body: str, sender: str = SENDER) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Message-ID"] = make_msgid(domain="idbeheer.vlaanderen.be")
    message.set_content(body)
    return message


class OutboxMailer:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = message["Message-ID"].strip("<>").replace("@", "_").replace("/", "_")
        tmp = self.folder / f".{name}.tmp"
        tmp.write_bytes(bytes(message))
        tmp.rename(self.folder / f"{name}.eml")  # atomic: a reader never sees half a mail


class SmtpMailer:
    def __init__(self, url: str, timeout: float = 20) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps", "smtp+starttls"):
            raise ValueError("IDBEHEER_SMTP_URL must start with smtp://, smtps:// or smtp+starttls://")
        self.scheme, self.host = parts.scheme, parts.hostname or "localhost"
        self.port = parts.port or (465 if parts.scheme == "smtps" else 25)
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.timeout = timeout

    def send(self, message: EmailMessage) -> None:
        client: smtplib.SMTP
        if self.scheme == "smtps":
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                      context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with client:
            if self.scheme == "smtp+starttls":
                client.starttls(context=ssl.create_default_context())
            if self.user:
                client.login(self.user, self.password or "")
            client.send_message(message)
