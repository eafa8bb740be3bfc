"""The browser preview: an index of the whole sequence that works from disk, and the `serve` loop."""

from __future__ import annotations

import json
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

import jinja2
from markupsafe import Markup

from dripcourse.check import GMAIL_CLIP_BYTES, Element, read_page
from dripcourse.render import compiled_templates

if TYPE_CHECKING:
    from dripcourse.check import Finding
    from dripcourse.model import BuiltEmail, Course
    from dripcourse.syllabus import CourseInfo

# How many characters of the subject and the preheader an inbox list shows before it cuts them with "…".
# Clients cut by pixel width, so these are the published measurements for their usual screens:
# - preheaders: Litmus's preview-text table (Gmail in the browser 97, Gmail for iOS 90), as republished at
#   https://themarketer.com/resources/knowledge-base/how-long-should-your-preview-texts-be
# - subjects in Gmail: about 70 on desktop, about 40 in the app, https://typecount.com/blog/email-subject-line-length
# - Apple Mail on an iPhone 14: 48 characters of subject and 99 of preheader, measured by
#   https://www.emailtooltester.com/en/blog/email-subject-lines-character-limit/
INBOX_CLIENTS: dict[str, dict[str, Any]] = {
    "gmail-desktop": {"label": "Gmail desktop", "subject": 70, "preheader": 97, "one_line": True},
    "gmail-mobile": {"label": "Gmail app", "subject": 40, "preheader": 90, "one_line": False},
    "apple-mail": {"label": "Apple Mail, iPhone", "subject": 48, "preheader": 99, "one_line": False},
}


def send_label(email: BuiltEmail, mode: str) -> str:
    spec, slot = email.rendered.lesson.email, email.slot
    if mode == "cohort":
        return f"{slot.local:%a %d %b %Y, %H:%M %Z}"
    if spec.day == 0:
        return "At signup"
    return f"{spec.day} day{'s' if spec.day != 1 else ''} after signup, {slot.local:%H:%M}"


def link_check(element: Element, course: CourseInfo) -> dict[str, Any]:
    href = element.attrs.get("href", "")
    parts = urlsplit(href)
    notes = []
    if href == course.unsubscribe_url:
        notes.append("unsubscribe link")
    if any(key.startswith("utm_") for key, _ in parse_qsl(parts.query)):
        notes.append("UTM tagged")
    if not parts.scheme:
        status, notes = "error", [*notes, "relative: it has no site to resolve against in an inbox"]
    elif parts.scheme == "http":
        status, notes = "warning", [*notes, "plain http"]
    else:
        status = "ok"
    text = " ".join("".join(element.text).split())
    return {"index": element.index, "text": text or "(no text)", "url": href, "status": status, "notes": notes}


def image_check(element: Element) -> dict[str, Any]:
    src, attrs = element.attrs.get("src", ""), element.attrs
    scheme = urlsplit(src).scheme
    problems = []
    if not attrs.get("alt", "").strip():
        problems.append(("error", "no alt text"))
    if not scheme:
        problems.append(("error", "relative URL"))
    elif scheme != "https":
        problems.append(("error", "not https"))
    if not attrs.get("width"):
        problems.append(("warning", "no width"))
    status = "error" if any(s == "error" for s, _ in problems) else "warning" if problems else "ok"
    return {
        "index": element.index,
        "url": src,
        "alt": attrs.get("alt", ""),
        "size": f"{attrs['width']} x {attrs.get('height') or 'auto'}" if attrs.get("width") else "",
        "status": status,
        "notes": [note for _, note in problems],
    }


def finding_target(finding: Finding, elements: list[Element]) -> str:
    """Where a finding points in the viewer: an element index, the inbox (subject, preheader) or the footer."""
    for element in elements:
        if element.markup == finding.element:
            return f"el-{element.index}"
    if finding.element in ("subject", "preheader"):
        return "inbox"
    if finding.element == "footer":
        return "footer"
    return ""


@cache
def index_template() -> jinja2.Template:
    """The preview page's template, its compiled form kept between runs as the theme's is (see KeptTemplates)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("dripcourse", "preview"),
        autoescape=True,
        bytecode_cache=compiled_templates("preview"),
    )
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
        elements = read_page(email.html).elements
        own = [f for f in findings if f.email == lesson.file_stem]
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
                "errors": sum(f.severity == "error" for f in own),
                "warnings": sum(f.severity == "warning" for f in own),
            }
        )
        data.append(
            {
                "stem": lesson.file_stem,
                "path": f"emails/{lesson.file_stem}.html",
                "subject": lesson.email.subject,
                "preheader": lesson.email.preheader,
                "html": email.html,
                "text": email.text,
                "headers": headers,
                "findings": [
                    {
                        "severity": f.severity,
                        "element": f.element,
                        "message": f.message,
                        "target": finding_target(f, elements),
                    }
                    for f in own
                ],
                "links": [link_check(e, info) for e in elements if e.tag == "a"],
                "images": [image_check(e) for e in elements if e.tag == "img"],
            }
        )
    when = f"{schedule.mode}, {schedule.send_time:%H:%M} {schedule.time_zone}"
    if schedule.start_date:
        when += f", starting {schedule.start_date:%a %d %b %Y}"
    course_findings = [
        {"severity": f.severity, "element": f.element, "message": f.message} for f in findings if f.email == "course"
    ]
    return index_template().render(
        title=info.title,
        summary=f"{len(emails)} emails from {info.sender.name} <{info.sender.email}> · {when}",
        sender=info.sender.name,
        accent=info.brand_color,
        emails=rows,
        clients=INBOX_CLIENTS,
        # JSON inside <script>: with every "<" escaped, no email can end the script element early.
        data=script_json(data),
        settings=script_json(
            {"clients": INBOX_CLIENTS, "course_findings": course_findings, "sender": info.sender.name}
        ),
    )


def script_json(value: object) -> Markup:
    return Markup(json.dumps(value, ensure_ascii=False).replace("<", "\\u003c"))
