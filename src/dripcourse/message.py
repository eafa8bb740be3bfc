"""Turn a rendered email into an RFC 5322 message: multipart/alternative, text first, HTML last."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

from dripcourse import headers
from dripcourse.syllabus import CourseInfo

# The SMTP policy writes CRLF line ends, so a .eml file can go to an SMTP server as it is.
EML_POLICY = headers.SMTP_POLICY
# The recipient written into the preview .eml files; a test send or a mailing service puts the real one.
PREVIEW_RECIPIENT = ("Reader", "reader@example.com")


class CourseMessage(EmailMessage):
    """An EmailMessage that knows the headers it was meant to have, so its bytes can be checked against them."""

    intended: dict[str, str | None]


def digest(course: CourseInfo, slug: str) -> str:
    return hashlib.sha256(f"{course.title}\x00{course.sender.email}\x00{slug}".encode()).hexdigest()[:20]


def message_id(course: CourseInfo, slug: str) -> str:
    """The same course and slug always give the same Message-ID, so builds are byte-identical."""
    domain = course.sender.email.rpartition("@")[2]
    return f"<{slug}.{digest(course, slug)}@{domain}>"


def build_message(
    course: CourseInfo,
    slug: str,
    subject: str,
    text: str,
    html: str,
    date: datetime,
    unsubscribe_url: str,
    to: str | tuple[str, str] | None = None,
) -> CourseMessage:
    """The message of one email, every header built from checked parts (see `headers`).

    `to` is an address, or a (display name, address) pair; the preview recipient when None.
    """
    sender = headers.checked_address(course.sender.name, course.sender.email, "course.sender")
    name, address = ("", to) if isinstance(to, str) else to or PREVIEW_RECIPIENT
    recipient = headers.checked_address(name, address, "recipient")
    msg = CourseMessage(policy=EML_POLICY)
    msg.intended = {}

    def put(name: str, value: object, expected: str | None) -> None:
        msg[name] = value
        msg.intended[name] = expected

    put("From", sender, str(sender))
    put("To", recipient, str(recipient))
    if course.reply_to:
        reply_to = headers.checked_address("", course.reply_to, "course.reply_to")
        put("Reply-To", reply_to, str(reply_to))
    put("Subject", headers.checked_text(subject, "subject"), subject)
    put("Date", format_datetime(date), None)
    put("Message-ID", message_id(course, slug), None)
    put("MIME-Version", "1.0", "1.0")
    unsubscribe = headers.list_unsubscribe(unsubscribe_url)
    put("List-Unsubscribe", unsubscribe, unsubscribe)
    put("List-Unsubscribe-Post", "List-Unsubscribe=One-Click", "List-Unsubscribe=One-Click")
    msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    msg.set_boundary(f"=_dripcourse_{digest(course, slug)}")
    msg.intended["Content-Type"] = None
    return msg


def message_bytes(msg: CourseMessage, what: str = "message") -> bytes:
    """The message as CRLF bytes, after checking that it parses back to exactly the headers it was built with."""
    data = msg.as_bytes(policy=EML_POLICY)
    headers.verify(data, msg.intended, what)
    return data


def mbox(messages: list[tuple[bytes, datetime]]) -> bytes:
    """An mboxrd file: LF line ends, a From_ line per message, body lines starting with 'From ' quoted with '>'."""
    parts = []
    for data, when in messages:
        body = re.sub(rb"^(>*From )", rb">\1", data.replace(b"\r\n", b"\n"), flags=re.M).rstrip(b"\n")
        stamp = when.astimezone(UTC)
        from_line = f"From dripcourse@localhost {stamp:%a %b} {stamp.day:2d} {stamp:%H:%M:%S %Y}\n"
        parts.append(from_line.encode("ascii") + body + b"\n\n")
    return b"".join(parts)
