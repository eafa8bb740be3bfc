"""Turn a rendered email into an RFC 5322 message: multipart/alternative, text first, HTML last."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from dripcourse.syllabus import CourseInfo

# The SMTP policy writes CRLF line ends, so a .eml file can go to an SMTP server as it is.
EML_POLICY = policy.SMTP.clone(max_line_length=78)
# The recipient written into the preview .eml files; a test send or a mailing service puts the real one.
PREVIEW_RECIPIENT = "Reader <reader@example.com>"


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
    to: str | None = None,
) -> EmailMessage:
    msg = EmailMessage(policy=EML_POLICY)
    local, _, domain = course.sender.email.rpartition("@")
    msg["From"] = Address(course.sender.name, local, domain)
    msg["To"] = to or PREVIEW_RECIPIENT
    if course.reply_to:
        msg["Reply-To"] = course.reply_to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id(course, slug)
    msg["MIME-Version"] = "1.0"
    msg["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    msg.set_boundary(f"=_dripcourse_{digest(course, slug)}")
    return msg


def message_bytes(msg: EmailMessage) -> bytes:
    return msg.as_bytes(policy=EML_POLICY)


def mbox(messages: list[tuple[bytes, datetime]]) -> bytes:
    """An mboxrd file: LF line ends, a From_ line per message, body lines starting with 'From ' quoted with '>'."""
    parts = []
    for data, when in messages:
        body = re.sub(rb"^(>*From )", rb">\1", data.replace(b"\r\n", b"\n"), flags=re.M).rstrip(b"\n")
        stamp = when.astimezone(UTC)
        from_line = f"From dripcourse@localhost {stamp:%a %b} {stamp.day:2d} {stamp:%H:%M:%S %Y}\n"
        parts.append(from_line.encode("ascii") + body + b"\n\n")
    return b"".join(parts)
