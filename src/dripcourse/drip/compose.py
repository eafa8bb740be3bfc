"""Per-subscriber messages, fast: each lesson is built once by `build_message`, then filled per subscriber.

A message for one subscriber differs from its lesson's in the merge values of the body and in four headers (To,
Date, Message-ID, List-Unsubscribe). Building a whole EmailMessage per subscriber costs about 15 ms, which caps a
send at 60 messages a second; splicing the checked lesson message costs a few hundred microseconds. A test parses
both and checks they are the same message.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime, formataddr
from urllib.parse import quote, urlsplit, urlunsplit

from dripcourse import headers, mergetags
from dripcourse.message import build_message, message_bytes
from dripcourse.model import BuiltEmail
from dripcourse.syllabus import EMAIL, CourseInfo

TEXT_MARK = "dripcourse-text-part"
HTML_MARK = "dripcourse-html-part"
MARKER = re.compile("\x00([0-9]+)[.]([0-9]+)\x00")
PERSONAL_HEADERS = ("To", "Date", "Message-ID", "List-Unsubscribe")


class UnsafeValue(ValueError):
    """A subscriber value that cannot go into a header."""


@dataclass(frozen=True)
class Recipient:
    """The merge values of one subscriber."""

    email: str
    first_name: str


def unsubscribe_link(course: CourseInfo, email: str, secret: str) -> str:
    """The course's unsubscribe URL with this subscriber's address and a signature over it.

    The page at `unsubscribe_url` checks `sig` with `verify_unsubscribe` (HMAC-SHA256 with the same secret), so
    nobody can unsubscribe an address by guessing the link, and a one-click POST (RFC 8058) knows whom to remove.
    """
    parts = urlsplit(headers.serialised_url(course.unsubscribe_url, "course.unsubscribe_url"))
    query = f"{parts.query}&" if parts.query else ""
    query += f"email={quote(email, safe='@')}&sig={signature(email, secret)}"
    return urlunsplit(parts._replace(query=query))


def signature(email: str, secret: str) -> str:
    return hmac.new(secret.encode(), email.lower().encode(), hashlib.sha256).hexdigest()[:32]


def verify_unsubscribe(email: str, sig: str, secret: str) -> bool:
    return hmac.compare_digest(signature(email, secret), sig)


def send_key(course: CourseInfo, email: str, slug: str) -> str:
    """One Message-ID per subscriber and lesson, the same on every attempt: the key a provider dedupes by."""
    digest = hashlib.sha256(f"{course.title}\x00{email.lower()}\x00{slug}".encode()).hexdigest()[:24]
    return f"<{slug}.{digest}@{course.sender.email.rpartition('@')[2]}>"


def qp(text: str) -> bytes:
    """Quoted-printable with CRLF line ends (binascii is the C encoder the email package's own is a slow copy of).

    The skeleton already ends each part with a line end, as the email package adds one to content without it.
    """
    data = text.removesuffix("\n").encode("utf-8")
    return binascii.b2a_qp(data, quotetabs=False, istext=True, header=False).replace(b"\n", b"\r\n")


def header_value(value: str, field: str) -> str:
    """A subscriber's value for a header: plain text by the rules of `headers`, or UnsafeValue."""
    problem = headers.text_problem(value)
    if problem:
        raise UnsafeValue(f"{field} {problem}: {value!r}")
    return value


@dataclass
class Personal:
    """One subscriber's copy of a lesson: the MIME message, and its parts for the HTTP APIs."""

    key: str
    sender: str
    reply_to: str | None
    to: str
    subject: str
    html: str
    text: str
    unsubscribe: str
    mime: bytes

    def list_headers(self) -> list[tuple[str, str]]:
        """The one-click unsubscribe headers (RFC 8058) that every message carries."""
        return [("List-Unsubscribe", f"<{self.unsubscribe}>"), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")]


class LessonMessage:
    """One lesson, rendered once, ready to be filled for any number of subscribers."""

    def __init__(self, built: BuiltEmail, course: CourseInfo, secret: str):
        self.course = course
        self.secret = secret
        rendered = built.rendered
        self.slug = rendered.lesson.email.slug
        self.subject = rendered.lesson.email.subject
        self.tags = rendered.tags
        # Where each merge tag sits (HTML text, an attribute, a URL) is the same for every subscriber: let the
        # filler find it once, leaving a marker per (tag, context), so each subscriber costs one plain substitution.
        contexts = list(mergetags.Context)

        def marker(tag: mergetags.MergeTag, context: mergetags.Context) -> str:
            return f"\x00{self.tags.items.index(tag)}.{contexts.index(context)}\x00"

        self.html = mergetags.fill(rendered.html, self.tags, marker, html=True)
        self.text = mergetags.fill(rendered.text, self.tags, marker, html=False)
        self.contexts = contexts
        self.sender = formataddr((course.sender.name, course.sender.email), charset="utf-8")
        skeleton = build_message(
            course,
            self.slug,
            self.subject,
            TEXT_MARK,
            HTML_MARK,
            built.slot.local,
            course.unsubscribe_url,
            to="skeleton@example.com",
        )
        raw = message_bytes(skeleton, f"lesson {self.slug}")
        self.intended = skeleton.intended
        head, _, body = raw.partition(b"\r\n\r\n")
        kept = [line for line in unfold(head) if line.split(b":", 1)[0].decode() not in PERSONAL_HEADERS]
        self.head = b"\r\n".join(kept) + b"\r\n"
        before_text, _, rest = body.partition(TEXT_MARK.encode())
        between, _, after_html = rest.partition(HTML_MARK.encode())
        self.pieces = (before_text, between, after_html)

    def values(self, tag: mergetags.MergeTag, recipient: Recipient, unsubscribe: str) -> str:
        if tag.name == "first_name":
            return recipient.first_name or tag.fallback
        if tag.name == "email":
            return recipient.email
        if tag.name == "unsubscribe_url":
            return unsubscribe
        return self.course.postal_address

    def fill(self, recipient: Recipient, now: datetime) -> Personal:
        if not EMAIL.match(recipient.email):
            raise UnsafeValue(f"not an email address: {recipient.email!r}")
        name = header_value(recipient.first_name, "first_name")
        unsubscribe = unsubscribe_link(self.course, recipient.email, self.secret)
        write = mergetags.value_writer(lambda tag: self.values(tag, recipient, unsubscribe))

        def put(match: re.Match[str]) -> str:
            return write(self.tags[int(match.group(1))], self.contexts[int(match.group(2))])

        html = MARKER.sub(put, self.html)
        text = MARKER.sub(put, self.text)
        key = send_key(self.course, recipient.email, self.slug)
        to = formataddr((name, recipient.email), charset="utf-8") if name else recipient.email
        personal = (
            f"To: {to}\r\nDate: {format_datetime(now)}\r\nMessage-ID: {key}\r\nList-Unsubscribe: <{unsubscribe}>\r\n"
        ).encode("ascii")
        before_text, between, after_html = self.pieces
        mime = b"".join((self.head, personal, b"\r\n", before_text, qp(text), between, qp(html), after_html))
        # The body and the lesson's headers were checked when the lesson was built; each subscriber's head is
        # checked again, the way a receiving server parses it.
        try:
            headers.verify_head(mime, self.intended, recipient.email, f"<{unsubscribe}>", f"{self.slug} for {to}")
        except headers.HeaderError as exc:
            raise UnsafeValue(str(exc)) from None
        return Personal(key, self.sender, self.course.reply_to, to, self.subject, html, text, unsubscribe, mime)


def unfold(head: bytes) -> list[bytes]:
    """Header fields of a message head, each with its folded continuation lines kept."""
    fields: list[bytes] = []
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += b"\r\n" + line
        else:
            fields.append(line)
    return fields
