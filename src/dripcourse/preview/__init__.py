"""The browser preview: an index of the whole sequence that works from disk, and the `serve` loop."""

from __future__ import annotations

import json
from functools import cache
from typing import TYPE_CHECKING, Any

import jinja2
from markupsafe import Markup

from dripcourse.check import GMAIL_CLIP_BYTES

if TYPE_CHECKING:
    from dripcourse.build import BuiltEmail, Course
    from dripcourse.check import Finding


def send_label(email: BuiltEmail, mode: str) -> str:
    spec, slot = email.rendered.lesson.email, email.slot
    if mode == "cohort":
        return f"{slot.local:%a %d %b %Y, %H:%M %Z}"
    if spec.day == 0:
        return "At signup"
    return f"{spec.day} day{'s' if spec.day != 1 else ''} after signup, {slot.local:%H:%M}"


@cache
def index_template() -> jinja2.Template:
    env = jinja2.Environment(loader=jinja2.PackageLoader("dripcourse", "preview"), autoescape=True)
    return env.get_template("index.html")


def index_html(course: Course, emails: list[BuiltEmail], findings: list[Finding]) -> str:
    """The preview page. Everything it needs is inside it, so it opens from file:// as well as from a server."""
    info, schedule = course.syllabus.course, course.syllabus.schedule
    rows: list[dict[str, Any]] = []
    data = []
    for email in emails:
        lesson = email.rendered.lesson
        size = len(email.html.encode("utf-8"))
        percent = round(size * 100 / GMAIL_CLIP_BYTES)
        headers = email.eml.split(b"\r\n\r\n", 1)[0].decode("ascii", "replace").replace("\r\n", "\n")
        rows.append(
            {
                "stem": lesson.file_stem,
                "day": lesson.email.day,
                "when": send_label(email, schedule.mode),
                "subject": lesson.email.subject,
                "preheader": lesson.email.preheader,
                "words": lesson.word_count,
                "minutes": lesson.reading_minutes,
                "bytes": size,
                "percent": percent,
                "size_class": "bad" if percent >= 100 else "warn" if percent >= 80 else "",
                "findings": [f for f in findings if f.email == lesson.file_stem],
            }
        )
        data.append(
            {
                "stem": lesson.file_stem,
                "path": f"emails/{lesson.file_stem}.html",
                "html": email.html,
                "text": email.text,
                "headers": headers,
            }
        )
    when = f"{schedule.mode}, {schedule.send_time:%H:%M} {schedule.time_zone}"
    if schedule.start_date:
        when += f", starting {schedule.start_date:%a %d %b %Y}"
    return index_template().render(
        title=info.title,
        summary=f"{len(emails)} emails from {info.sender.name} <{info.sender.email}> · {when}",
        sender=info.sender.name,
        accent=info.brand_color,
        emails=rows,
        course_findings=[f for f in findings if f.email == "course"],
        # JSON inside <script>: with every "<" escaped, no email can end the script element early.
        data=Markup(json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")),
    )
