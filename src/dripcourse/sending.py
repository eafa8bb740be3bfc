"""Test sends over SMTP: every merge tag filled with sample values, the subject marked [TEST].

The password comes only from the environment or a prompt; it is never printed, logged, written or put into an
error message.
"""

from __future__ import annotations

import ipaddress
import re
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import make_msgid

from dripcourse import mergetags
from dripcourse.errors import DripcourseError, EnvironmentFault, Problem
from dripcourse.message import build_message, message_bytes
from dripcourse.model import BuiltEmail
from dripcourse.syllabus import CourseInfo

SECURITY_MODES = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
SAMPLE_FIRST_NAME = "Alex"
TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def is_local(self) -> bool:
        return self.host.lower() in LOCAL_HOSTS


def smtp_settings(
    env: Mapping[str, str],
    host: str | None = None,
    port: int | None = None,
    user: str | None = None,
    security: str | None = None,
) -> SmtpSettings:
    """Settings from flags, falling back to DRIPCOURSE_SMTP_* variables. The password only ever comes from env."""
    security = (security or env.get("DRIPCOURSE_SMTP_SECURITY") or "starttls").lower()
    if security not in SECURITY_MODES:
        raise DripcourseError(Problem(None, f"--security must be one of {', '.join(SECURITY_MODES)}, got {security!r}"))
    host = host or env.get("DRIPCOURSE_SMTP_HOST")
    if not host:
        raise DripcourseError(Problem(None, "no SMTP host: pass --host or set DRIPCOURSE_SMTP_HOST"))
    problem = host_problem(host)
    if problem:
        raise DripcourseError(Problem(None, f"SMTP host {host!r} {problem}"))
    # `--port 0` is a port asked for, not a missing one: it is refused below, never replaced by the default.
    raw_port = port if port is not None else env.get("DRIPCOURSE_SMTP_PORT") or DEFAULT_PORTS[security]
    try:
        port = int(raw_port)
    except ValueError:
        raise DripcourseError(Problem(None, f"DRIPCOURSE_SMTP_PORT must be a number, got {raw_port!r}")) from None
    if not 1 <= port <= 65535:
        raise DripcourseError(Problem(None, f"the SMTP port must be from 1 to 65535, got {port}"))
    return SmtpSettings(
        host,
        port,
        security,
        user or env.get("DRIPCOURSE_SMTP_USER") or None,
        env.get("DRIPCOURSE_SMTP_PASSWORD") or None,
    )


def host_problem(host: str) -> str | None:
    """Why `host` cannot be an SMTP server name or IP address (RFC 1035 lengths, IDNA for other scripts), or None."""
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        longest = max(host.split("."), key=len)
        if len(longest) > 63:
            return f"has a label of {len(longest)} characters; each dot-separated part may be at most 63"
        return "is not a valid host name"
    if len(ascii_host) > 253:
        return f"is {len(ascii_host)} characters; a host name may be at most 253"
    if not re.fullmatch(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)(?:\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?", ascii_host):
        return "is not a valid host name (letters, digits, hyphens and dots)"
    return None


def sample_value(tag: mergetags.MergeTag, course: CourseInfo, to: str) -> str:
    if tag.name == "first_name":
        return SAMPLE_FIRST_NAME
    if tag.name == "email":
        return to
    if tag.name == "unsubscribe_url":
        return course.unsubscribe_url
    return course.postal_address


def test_message(email: BuiltEmail, course: CourseInfo, to: str, now: datetime) -> bytes:
    rendered = email.rendered
    write = mergetags.value_writer(lambda tag: sample_value(tag, course, to))
    html = mergetags.fill(rendered.html, rendered.tags, write, html=True)
    text = mergetags.fill(rendered.text, rendered.tags, write, html=False)
    spec = rendered.lesson.email
    msg = build_message(course, spec.slug, f"[TEST] {spec.subject}", text, html, now, course.unsubscribe_url, to=to)
    msg.replace_header("Message-ID", make_msgid("test", domain=course.sender.email.rpartition("@")[2]))
    return message_bytes(msg, f"test copy of {spec.slug}")


def send_tests(emails: list[BuiltEmail], course: CourseInfo, to: str, settings: SmtpSettings, now: datetime) -> int:
    """Send each email to `to`; returns how many were sent. A server that cannot be reached, refuses the login or
    refuses a message is the environment's fault, not the course's: an EnvironmentFault (exit 1)."""
    if settings.user and settings.security == "none" and not settings.is_local:
        raise DripcourseError(
            Problem(
                None,
                f"refusing to log in to {settings.host} over an unencrypted connection; use --security starttls or ssl",
            )
        )
    if settings.user and not settings.password:
        raise DripcourseError(Problem(None, "no SMTP password: set DRIPCOURSE_SMTP_PASSWORD"))
    try:
        with connect(settings) as server:
            if settings.user and settings.password:
                server.login(settings.user, settings.password)
            for email in emails:
                server.sendmail(course.sender.email, [to], test_message(email, course, to, now))
    except smtplib.SMTPAuthenticationError as exc:
        raise EnvironmentFault(
            Problem(None, f"SMTP login as {settings.user} failed: {exc.smtp_code} {scrub(exc.smtp_error, settings)}")
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise EnvironmentFault(
            Problem(None, f"sending through {settings.host}:{settings.port} failed: {scrub(exc, settings)}")
        ) from None
    return len(emails)


def connect(settings: SmtpSettings) -> smtplib.SMTP:
    if settings.security == "ssl":
        return smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=TIMEOUT_SECONDS, context=ssl.create_default_context()
        )
    server = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT_SECONDS)
    if settings.security == "starttls":
        server.starttls(context=ssl.create_default_context())
    return server


def scrub(detail: object, settings: SmtpSettings) -> str:
    text = detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail)
    return text.replace(settings.password, "********") if settings.password else text
