"""What an export target is made of: a declarative description (in `exports.services`) that `exports.writer`
reads.

A target names its merge-tag dialect, the API requests that create its objects (each payload file is exactly
the body of one request), its name rules and size limits, how it counts delays, and the steps its README
gives. Values an API hands back (an id) or that only the user knows (a list id, a sending domain) are written
as references, `{course.sequence.id}` or `{input:list_ids}`, in the export manifest, never guessed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dripcourse.exports.dialects import Dialect
from dripcourse.syllabus import CourseInfo, EmailSpec, Schedule


@dataclass(frozen=True)
class NameRule:
    """The characters and length a service allows in an object's name; `source` is where that is documented."""

    source: str
    max_length: int | None = None
    disallowed: str = r"[^A-Za-z0-9_-]+"
    lower: bool = False
    first: str | None = None  # a pattern the first character must match, else the name gets "course-" before it

    def make(self, raw: str) -> str:
        name = re.sub(self.disallowed, "-", raw).strip("-") if self.disallowed else raw
        if self.lower:
            name = name.lower()
        if self.first and not re.match(self.first, name):
            name = f"course-{name}"
        if self.max_length is not None and len(name) > self.max_length:
            # Shortened names keep a stable hash of the whole name, so they stay unique and repeatable.
            digest = hashlib.sha256(raw.encode("utf-8")).hexdigest()[:8]
            name = name[: self.max_length - 9].rstrip("-_. ") + "-" + digest
        return name


@dataclass(frozen=True)
class Limit:
    """A documented size limit on one or more fields of a request body (summed when several)."""

    request: str
    fields: tuple[str, ...]  # JSON pointers into the body
    maximum: int
    unit: str  # "characters" or "bytes"
    what: str
    source: str


@dataclass(frozen=True)
class Piece:
    """One email as a target sees it: its position, schedule and name, and its parts in a dialect."""

    spec: EmailSpec
    stem: str
    name: str
    delay_days: int  # days after the email before it
    utc: datetime
    html: Callable[[Dialect], str]  # the HTML part, filled in that dialect
    text: Callable[[Dialect], str]  # the plain-text part, filled in that dialect
    literal: Callable[[Dialect, str, str], str]  # a course string (subject, preheader) as text in that dialect

    def subject(self, dialect: Dialect) -> str:
        return self.literal(dialect, self.spec.subject, "subject")

    def preheader(self, dialect: Dialect) -> str:
        return self.literal(dialect, self.spec.preheader, "preheader")


@dataclass(frozen=True)
class Course:
    """The course-wide values payloads use."""

    info: CourseInfo
    schedule: Schedule
    campaign: str
    pieces: tuple[Piece, ...]
    literal: Callable[[Dialect, str, str], str]


@dataclass(frozen=True)
class Request:
    """One API call that creates an object: `body` builds exactly the request body written to `file`."""

    key: str
    method: str
    path: str
    file: str  # may hold {stem} and {name}
    body: Callable[..., Any]  # (Piece, Course) for an email's request, (Course) for a course-wide one
    # "json"; "form" for multipart form fields (Mailgun); "sdk": the body is the parameters of `operation`, for
    # an SDK to encode (SES v1 is the AWS Query protocol, form-encoded `Action=CreateTemplate`, not this JSON).
    encoding: str = "json"
    fill: tuple[tuple[str, str], ...] = ()  # (JSON pointer, reference): values known only at push time
    operation: str | None = None  # the SDK operation, for AWS (botocore) targets
    when: Callable[[Course], bool] = lambda course: True  # whether this course needs the request at all
    alternative_to: str | None = None  # the key of a request this one replaces: make one of the two, never both


@dataclass(frozen=True)
class Target:
    """One mailing service's export, as data."""

    name: str
    service: str
    dialect: Dialect | None  # None: the preview values (the .eml target)
    docs: str  # the API reference the requests follow
    delays: str  # "previous", "signup", "absolute" or "none": how the service counts delays
    names: NameRule | None = None
    name_of: Callable[[Course, EmailSpec, str], str] = lambda course, spec, stem: f"{course.campaign}-{stem}"
    before: tuple[Request, ...] = ()  # course-wide requests made before the emails'
    per_email: tuple[Request, ...] = ()
    after: tuple[Request, ...] = ()  # course-wide requests made after the emails'
    files: Callable[[Course], dict[str, bytes]] | None = None  # files beside the payloads (HTML, ZIP, CSV)
    limits: tuple[Limit, ...] = ()
    max_emails: int | None = None
    push: bool = True  # whether `dripcourse push` makes this target's requests (its README says so)
    steps: Callable[[Course], list[str]] = lambda course: []
    window: Callable[[Course], list[str]] = lambda course: []  # what the service cannot express, and what to do
