"""SMTP: one connection reused for every message, reopened when the server drops it."""

from __future__ import annotations

import contextlib
import re
import smtplib
from collections.abc import Mapping

from dripcourse.drip.compose import Personal
from dripcourse.drip.providers.base import Provider, ProviderError, Rejected, Transient, Unknown
from dripcourse.errors import DripcourseError
from dripcourse.sending import SmtpSettings, connect, scrub, smtp_settings

LEADING_DOT = re.compile(rb"(?m)^\.")
# Enhanced status codes (RFC 3463) that mean the mailbox does not exist or cannot ever receive mail.
HARD_BOUNCE = re.compile(r"\b5\.1\.[0-36]\b|\b5\.7\.1\b")


class SmtpProvider(Provider):
    name = "smtp"

    def __init__(self, settings: SmtpSettings, sender: str):
        self.settings = settings
        self.sender = sender
        self.conn: smtplib.SMTP | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str], sender: str) -> SmtpProvider:
        try:
            return cls(smtp_settings(env), sender)
        except DripcourseError as exc:
            raise ProviderError(str(exc.problems[0].message)) from None

    def where(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    def open(self) -> None:
        settings = self.settings
        if settings.user and settings.security == "none" and not settings.is_local:
            raise ProviderError(f"refusing to log in to {settings.host} over an unencrypted connection")
        if settings.user and not settings.password:
            raise ProviderError("no SMTP password: set DRIPCOURSE_SMTP_PASSWORD")
        try:
            self.conn = connect(settings)
            self.conn.ehlo_or_helo_if_needed()
            if settings.user and settings.password:
                self.conn.login(settings.user, settings.password)
        except smtplib.SMTPAuthenticationError as exc:
            raise ProviderError(f"SMTP login as {settings.user} failed: {exc.smtp_code}") from None
        except (smtplib.SMTPException, OSError) as exc:
            self.conn = None
            raise Transient(f"cannot connect to {self.where()}: {scrub(exc, settings)}") from None

    def send(self, message: Personal, to_email: str) -> str:
        if self.conn is None:
            self.open()
        conn = self.conn
        assert conn is not None
        try:
            # Both addresses passed the EMAIL pattern (no spaces, quotes or brackets): no quoting to work out.
            code, reply = conn.docmd("MAIL", f"FROM:<{self.sender}>")
            if code != 250:
                self.reset()
                if code >= 500:
                    raise ProviderError(f"{self.where()} refuses the sender {self.sender}: {code} {text(reply)}")
                raise Transient(f"MAIL FROM: {code} {text(reply)}")
            code, reply = conn.docmd("RCPT", f"TO:<{to_email}>")
            if code not in (250, 251):
                self.reset()
                reason = f"RCPT TO: {code} {text(reply)}"
                if code >= 500:
                    raise Rejected(reason, reason if HARD_BOUNCE.search(text(reply)) or code == 550 else None)
                raise Transient(reason)
            code, reply = conn.docmd("DATA")
            if code != 354:
                self.reset()
                reason = f"DATA: {code} {text(reply)}"
                raise Rejected(reason) if code >= 500 else Transient(reason)
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self.conn = None
            raise Transient(f"connection to {self.where()} lost before the message: {exc}") from None
        try:
            # The terminating dot goes last: a connection lost while sending means the server never took it.
            conn.send(LEADING_DOT.sub(b"..", message.mime) + b"\r\n.\r\n")
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self.conn = None
            raise Transient(f"connection to {self.where()} lost while sending: {exc}") from None
        try:
            code, reply = conn.getreply()
        except (TimeoutError, smtplib.SMTPServerDisconnected, OSError) as exc:
            self.conn = None
            raise Unknown(f"no answer from {self.where()} after the message was sent: {exc}") from None
        if code != 250:
            reason = f"after DATA: {code} {text(reply)}"
            raise Rejected(reason) if code >= 500 else Transient(reason)
        return text(reply)[:200]

    def reset(self) -> None:
        try:
            if self.conn is not None:
                self.conn.rset()
        except (smtplib.SMTPException, OSError):
            self.conn = None

    def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.conn.quit()
            self.conn = None


def text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
