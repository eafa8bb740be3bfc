"""A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps every message it accepts."""

from __future__ import annotations

import socket
import threading
from collections import Counter
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session


def free_port() -> int:
    # aiosmtpd's Controller(port=0) cannot report the port it got, so find one first.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Received:
    envelope_from: str
    recipients: list[str]
    data: bytes

    def parsed(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=policy.default)  # type: ignore[return-value]


@dataclass
class Mailbox:
    """The handler: keeps messages, and can refuse recipients or fail on demand."""

    messages: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)  # address -> SMTP reply for RCPT
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: Any, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        with self.lock:
            self.messages.append(
                Received(str(envelope.mail_from), list(envelope.rcpt_tos), bytes(envelope.original_content or b""))
            )
            number = len(self.messages)
        return f"250 2.0.0 Ok: queued as M{number}"

    def keys(self) -> Counter[tuple[str, str]]:
        """How many messages each (recipient, Message-ID) pair got."""
        with self.lock:
            found = [(r.recipients[0], message_id(r.data)) for r in self.messages]
        return Counter(found)


def header(data: bytes, name: str) -> str:
    """One header of a raw message, without parsing the whole message (the email parser is slow)."""
    head = data.split(b"\r\n\r\n", 1)[0]
    wanted = name.lower().encode() + b":"
    for line in head.split(b"\r\n"):
        if line.lower().startswith(wanted):
            return line.split(b":", 1)[1].strip().decode()
    return ""


def message_id(data: bytes) -> str:
    return header(data, "Message-ID")


class SmtpServer:
    """`with SmtpServer() as server:` a server on 127.0.0.1:server.port."""

    def __init__(self) -> None:
        self.mailbox = Mailbox()
        self.port = free_port()
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port, data_size_limit=0)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        self.running = True
        return self

    def stop(self) -> None:
        if self.running:
            self.controller.stop()
            self.running = False

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def messages(self) -> list[Received]:
        return self.mailbox.messages

    def env(self) -> dict[str, str]:
        return {
            "DRIPCOURSE_SMTP_HOST": "127.0.0.1",
            "DRIPCOURSE_SMTP_PORT": str(self.port),
            "DRIPCOURSE_SMTP_SECURITY": "none",
        }
