"""`dripcourse check`: rules over built emails that need no outside tools. Nothing here reads a file; the build
hands the rules a course and its emails (build.lint)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

from dripcourse.model import BuiltEmail, Course
from dripcourse.render import LINK_SCHEMES
from dripcourse.sources import BrokenRef
from dripcourse.syllabus import CourseInfo, Syllabus

GMAIL_CLIP_BYTES = 102_400  # Gmail clips a message whose HTML is larger and hides the rest behind a link
SIZE_WARNING_BYTES = 80 * 1024
SUBJECT_MAX = 60
PREHEADER_RANGE = (40, 130)
PLACEHOLDER_DOMAINS = re.compile(r"(?:^|[@./])example\.(?:com|org|net)\b|\.invalid\b|\.example\b", re.I)


@dataclass(frozen=True)
class Finding:
    severity: str  # "error" or "warning"
    email: str  # the email's file stem, or "course" for course-wide findings
    element: str
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.email}: {self.element}: {self.message}"


@dataclass
class Element:
    """A link or image of an email, numbered in document order as the browser's `querySelectorAll("a, img")`."""

    index: int
    tag: str
    attrs: dict[str, str]
    markup: str
    text: list[str] = field(default_factory=list)


class ElementCollector(HTMLParser):
    """Links (with their text) and images outside comments, so Outlook-only markup is skipped as a browser does
    (and not linted twice), and all the text of the page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.open_links: list[Element] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ("a", "img"):
            return
        values = {name: value or "" for name, value in attrs}
        element = Element(len(self.elements), tag, values, short(self.get_starttag_text() or f"<{tag}>"))
        self.elements.append(element)
        if tag == "a":
            self.open_links.append(element)
        elif self.open_links:
            self.open_links[-1].text.append(f"[image: {values.get('alt') or 'no alt text'}]")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self.open_links:
            self.open_links.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self.open_links:
            self.open_links[-1].text.append(data)


@dataclass(frozen=True)
class Page:
    elements: list[Element]
    text: str


PAGES_KEPT = 256
pages: dict[str, Page] = {}


def read_page(html: str) -> Page:
    """An email's links, images and text, parsed once for both the lint and the preview page."""
    page = pages.get(html)
    if page is None:
        collector = ElementCollector()
        collector.feed(html)
        collector.close()
        page = Page(collector.elements, "".join(collector.text))
        keep_page(html, page)
    return page


def keep_page(html: str, page: Page) -> None:
    """Remember a page read in another process (a forked renderer), so this one does not read it again."""
    if len(pages) >= PAGES_KEPT:
        del pages[next(iter(pages))]
    pages[html] = page


def short(markup: str, limit: int = 80) -> str:
    markup = re.sub(r'\s+style=(?:"[^"]*"|\'[^\']*\')', "", markup)
    return markup if len(markup) <= limit else markup[: limit - 1] + "…"


def check_email(email: BuiltEmail, course: CourseInfo) -> list[Finding]:
    lesson = email.rendered.lesson
    name = lesson.file_stem
    findings: list[Finding] = []

    def add(severity: str, element: str, message: str) -> None:
        findings.append(Finding(severity, name, element, message))

    size = len(email.html.encode("utf-8"))
    if size > GMAIL_CLIP_BYTES:
        add("error", "html", f"{size:,} bytes; Gmail clips HTML over {GMAIL_CLIP_BYTES:,} bytes")
    elif size > SIZE_WARNING_BYTES:
        add("warning", "html", f"{size:,} bytes; close to Gmail's clipping limit of {GMAIL_CLIP_BYTES:,} bytes")
    subject = lesson.email.subject
    if len(subject) > SUBJECT_MAX:
        add("warning", "subject", f"{len(subject)} characters; inboxes cut subjects after about {SUBJECT_MAX}")
    low, high = PREHEADER_RANGE
    preheader = lesson.email.preheader
    if not preheader:
        add("warning", "preheader", "missing; the inbox will show the first words of the body instead")
    elif not low <= len(preheader) <= high:
        add("warning", "preheader", f"{len(preheader)} characters; aim for {low} to {high}")

    page = read_page(email.html)
    unsubscribe_found = False
    for item in page.elements:
        tag, attrs, element = item.tag, item.attrs, item.markup
        if tag == "img":
            src = attrs.get("src") or ""
            if not (attrs.get("alt") or "").strip():
                add("error", element, "image has no alt text")
            if not src:  # the sanitizer dropped an address of another scheme (javascript:, data:, ftp:...)
                add("error", element, "image without an address; only https images are kept")
            elif not urlsplit(src).scheme:
                add("error", element, "relative image URL; mail clients need an absolute https URL")
            elif urlsplit(src).scheme != "https":
                add("error", element, "image is not served over https")
            if not attrs.get("width"):
                add("warning", element, "image has no width attribute; Outlook may show it at full size")
            continue
        href = attrs.get("href") or ""
        if href == course.unsubscribe_url:
            unsubscribe_found = True
        scheme = urlsplit(href).scheme.lower()
        if not href:
            add("error", element, f"link without an address; only {', '.join(sorted(LINK_SCHEMES))} links are kept")
        elif not scheme:
            add("error", element, "relative link; it has no site to resolve against in an inbox")
        elif scheme not in LINK_SCHEMES:
            add("error", element, f"{scheme}: link; only {', '.join(sorted(LINK_SCHEMES))} links are kept")
        elif scheme == "http":
            add("warning", element, "plain-http link; use https")
    if not unsubscribe_found:
        add("error", "footer", "no unsubscribe link")
    if course.postal_address not in page.text or course.postal_address not in email.text:
        add("error", "footer", "postal address missing from the HTML or the text part")
    return findings


def check_course_settings(syllabus: Syllabus) -> list[Finding]:
    course = syllabus.course
    values = {
        "course.sender.email": course.sender.email,
        "course.reply_to": course.reply_to or "",
        "course.unsubscribe_url": course.unsubscribe_url,
        "course.website": course.website,
    }
    findings = [
        Finding("warning", "course", field, f"placeholder value {value!r}; replace it before sending")
        for field, value in values.items()
        if PLACEHOLDER_DOMAINS.search(urlsplit(value).netloc or value)
    ]
    if re.search(r"\bexample\b", course.postal_address, re.I):
        findings.append(
            Finding(
                "warning",
                "course",
                "course.postal_address",
                f"placeholder value {course.postal_address!r}; replace it before sending",
            )
        )
    return findings


def reference_findings(broken: list[BrokenRef]) -> list[Finding]:
    """Broken section references, as findings on the emails that hold them (or on the course, for an idea's)."""
    return [Finding("error", b.email.file_stem if b.email else "course", b.element, b.problem.message) for b in broken]


def check_course(course: Course, emails: list[BuiltEmail]) -> list[Finding]:
    findings = check_course_settings(course.syllabus)
    for email in emails:
        findings += check_email(email, course.syllabus.course)
    return findings
