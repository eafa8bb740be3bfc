"""The one writer: turns a target's description and a rendered course into the files of its export folder.

Every export folder holds `manifest.json`, which says for the target what the push of the payloads must do:
per email its position, slug, the object's name as the service will know it, each request (method, path,
payload file, the values to fill from earlier responses) and its delay in the service's own terms.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from dripcourse import __version__, mergetags
from dripcourse.errors import DripcourseError, Problem
from dripcourse.exports.dialects import Dialect, Refused
from dripcourse.exports.model import Course, Limit, Piece, Request, Target
from dripcourse.jsonfile import json_bytes
from dripcourse.message import mbox
from dripcourse.model import BuiltEmail
from dripcourse.model import Course as LoadedCourse
from dripcourse.schedule import day_names

MANIFEST = "manifest.json"
MANIFEST_FORMAT = "dripcourse-export/1"


def export_files(
    target: Target, loaded: LoadedCourse, emails: list[BuiltEmail], today: date | None = None
) -> dict[str, bytes]:
    """Every file of `target`'s export folder, by relative path. Raises DripcourseError on any loss or limit.

    `today` (UTC) is checked against a cohort's send instants where the service refuses one in the past."""
    info = loaded.syllabus.course
    if today is not None and target.delays == "absolute" and loaded.syllabus.schedule.mode == "cohort":
        passed = [e for e in emails if e.slot.utc.date() < today]
        if passed:
            first = passed[0]
            raise DripcourseError(
                Problem(
                    loaded.syllabus.path,
                    f"{target.service} refuses a send time in the past, and {len(passed)} of the cohort's emails "
                    f"are due before today ({today}), from {first.rendered.lesson.file_stem} at "
                    f"{first.slot.utc:%Y-%m-%d %H:%M} UTC; set schedule.start_date to a date to come",
                )
            )
    if target.max_emails is not None and len(emails) > target.max_emails:
        raise DripcourseError(
            Problem(
                None,
                f"{target.service} takes at most {target.max_emails} emails in one automation; "
                f"the course has {len(emails)}",
            )
        )
    origin = Origins(loaded)

    def literal(dialect: Dialect, text: str, what: str) -> str:
        try:
            return dialect.text(text)
        except Refused as refused:
            raise origin.refusal(target, dialect, refused, what) from None

    campaign = info.campaign
    pieces = tuple(piece(target, email, literal, origin, campaign, loaded) for email in emails)
    course = Course(info, loaded.syllabus.schedule, campaign, pieces, literal)
    check_names(target, pieces)

    files: dict[str, bytes] = {}
    entries = []
    for request in target.before:
        files[request.file] = json_bytes(request.body(course))
    for item in pieces:
        requests = []
        for request in target.per_email:
            if not request.when(course):
                continue
            path = request.file.format(stem=item.stem, name=item.name)
            body = request.body(item, course)
            check_limits(target, request, body, item.stem)
            files[path] = json_bytes(body)
            requests.append(request_entry(request, path, item.stem))
        entries.append(email_entry(target, course, item, requests))
    for request in target.after:
        body = request.body(course)
        check_limits(target, request, body, "the course")
        files[request.file] = json_bytes(body)
    if target.files is not None:
        files.update(target.files(course))
    if target.dialect is None:
        files.update({f"{e.rendered.lesson.file_stem}.eml": e.eml for e in emails})
        files["course.mbox"] = mbox([(e.eml, e.slot.local) for e in emails])
    files["README.txt"] = readme(target, course)
    manifest = {
        "format": MANIFEST_FORMAT,
        "generator": f"dripcourse {__version__}",
        "target": target.name,
        "service": target.service,
        "api_reference": target.docs,
        "course": info.title,
        "schedule": schedule_entry(target, course),
        "before": [request_entry(r, r.file, None) for r in target.before],
        "emails": entries,
        "after": [after_entry(r, pieces) for r in target.after],
        "files": sorted([*files, MANIFEST]),
    }
    files[MANIFEST] = json_bytes(manifest)
    return files


def piece(
    target: Target,
    email: BuiltEmail,
    literal: Callable[[Dialect, str, str], str],
    origin: Origins,
    campaign: str,
    loaded: LoadedCourse,
) -> Piece:
    rendered = email.rendered
    lesson = rendered.lesson
    info = loaded.syllabus.course

    @cache
    def html(dialect: Dialect) -> str:
        tokens = rendered.tags.pattern
        try:
            return mergetags.fill(dialect.html(rendered.html, tokens), rendered.tags, dialect.writer(info), html=True)
        except Refused as refused:
            raise origin.refusal(target, dialect, refused, "HTML part") from None

    @cache
    def text(dialect: Dialect) -> str:
        writer = dialect.writer(info)
        try:
            # The text part's links are written out as text: a value tag in one needs the URL filter too.
            mergetags.fill(rendered.html, rendered.tags, writer, html=True)
            return mergetags.fill(dialect.text(rendered.text), rendered.tags, writer, html=False)
        except Refused as refused:
            raise origin.refusal(target, dialect, refused, "text part") from None

    stem = lesson.file_stem
    provisional = Course(info, loaded.syllabus.schedule, campaign, (), literal)
    raw = target.name_of(provisional, lesson.email, stem)
    name = target.names.make(raw) if target.names else stem
    return Piece(lesson.email, stem, name, email.slot.delay_days, email.slot.utc, html, text, literal)


def check_names(target: Target, pieces: Iterable[Piece]) -> None:
    seen: dict[str, str] = {}
    problems = []
    for item in pieces:
        if item.name in seen:
            problems.append(
                Problem(
                    None,
                    f"{target.service}: emails {seen[item.name]} and {item.stem} would both be named "
                    f"'{item.name}'; give them different slugs or subjects",
                )
            )
        seen.setdefault(item.name, item.stem)
    if problems:
        raise DripcourseError(problems)


def pointer(body: Any, path: str) -> Any:
    for part in path.strip("/").split("/"):
        body = body[int(part)] if isinstance(body, list) else body[part]
    return body


def check_limits(target: Target, request: Request, body: Any, where: str) -> None:
    for limit in target.limits:
        if limit.request != request.key:
            continue
        size = sum(measure(limit, pointer(body, field)) for field in limit.fields)
        if size > limit.maximum:
            raise DripcourseError(
                Problem(
                    None,
                    f"{target.service}: {where}: {limit.what} is {size:,} {limit.unit}; "
                    f"{target.service} allows at most {limit.maximum:,} ({limit.source})",
                )
            )


def measure(limit: Limit, value: Any) -> int:
    text = "" if value is None else str(value)
    return len(text.encode("utf-8")) if limit.unit == "bytes" else len(text)


def request_entry(request: Request, body: str, stem: str | None) -> dict[str, Any]:
    path = request.path.replace("{this.", f"{{{stem}.") if stem else request.path
    entry: dict[str, Any] = {
        "key": request.key,
        "method": request.method,
        "path": path,
        "body": body,
        "encoding": request.encoding,
    }
    if request.operation:
        entry["operation"] = request.operation
    if request.alternative_to:
        entry["alternative_to"] = request.alternative_to
    if request.encoding == "sdk":
        del entry["method"], entry["path"]  # the SDK knows the operation's protocol; the body is its parameters
    if request.fill:
        entry["fill"] = {where: ref for where, ref in request.fill}
    return entry


def after_entry(request: Request, pieces: tuple[Piece, ...]) -> dict[str, Any]:
    entry = request_entry(request, request.file, None)
    if request.key == "automation":
        entry["fill"] = {f"/actions/{i}/metadata/email_id": f"{p.stem}.email.id" for i, p in enumerate(pieces)}
    return entry


def delay_entry(target: Target, course: Course, item: Piece) -> dict[str, Any] | None:
    if target.delays == "previous":
        counted_from = "previous email" if item.spec.position > 1 else "signup"  # the first email has none before it
        return {"value": item.delay_days, "unit": "days", "counted_from": counted_from}
    if target.delays == "signup":
        return {"value": item.spec.day, "unit": "days", "counted_from": "signup"}
    if target.delays == "absolute" and course.schedule.mode == "cohort":
        return {"send_at": f"{item.utc:%Y-%m-%dT%H:%M:%SZ}"}
    return None


def email_entry(target: Target, course: Course, item: Piece, requests: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "position": item.spec.position,
        "slug": item.spec.slug,
        "day": item.spec.day,
        "name": item.name,
        "requests": requests,
        "delay": delay_entry(target, course, item),
    }


def schedule_entry(target: Target, course: Course) -> dict[str, Any]:
    schedule = course.schedule
    return {
        "mode": schedule.mode,
        "time_zone": schedule.time_zone,
        "send_time": f"{schedule.send_time:%H:%M}",
        "send_days": day_names(schedule.send_days),
        "start_date": schedule.start_date.isoformat() if schedule.start_date else None,
        "delays": target.delays,
        "by_hand": target.window(course),
    }


def days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def delay_text(target: Target, course: Course, item: Piece) -> str:
    delay = delay_entry(target, course, item)
    if delay is None:
        return f"day {item.spec.day} after signup (sent by your own code)"
    if "send_at" in delay:
        return f"send_at {delay['send_at']}"
    if delay["counted_from"] == "signup":
        return "at signup" if item.spec.day == 0 else f"{days(delay['value'])} after signup"
    if item.spec.position > 1:
        return f"wait {days(delay['value'])} after the previous email"
    return "at signup" if item.delay_days == 0 else f"wait {days(delay['value'])} after signup"


def readme(target: Target, course: Course) -> bytes:
    schedule = course.schedule
    lines = [
        f"{course.info.title}: export for {target.service}",
        "",
        f"{len(course.pieces)} emails. Schedule: {schedule.mode}, {schedule.send_time:%H:%M} {schedule.time_zone}, "
        f"on {', '.join(day_names(schedule.send_days))}.",
        f"API reference: {target.docs}",
        "manifest.json lists every request (method, path, payload file) in order"
        + (
            f"; `dripcourse push {target.name}` makes them through the API, with credentials from the "
            "environment, and can be run again to update (docs/push.md). Or make them from your own script."
            if target.push
            else ", for your own script (`dripcourse push` does not support this target)."
        ),
        "",
        "To load it:",
        *[f"{n}. {step}" for n, step in enumerate(target.steps(course), start=1)],
        "",
        "Delays:",
        *[
            f"  {p.stem} ({p.name if p.name != p.stem else p.spec.subject}): {delay_text(target, course, p)}"
            for p in course.pieces
        ],
    ]
    notes = target.window(course)
    if notes:
        lines += ["", "Send window (set by hand where the service cannot hold it):", *[f"- {n}" for n in notes]]
    return ("\n".join(lines) + "\n").encode("utf-8")


class Origins:
    """Finds where a piece of course text was written, for a refusal that names the file and line."""

    def __init__(self, loaded: LoadedCourse):
        self.syllabus = loaded.syllabus

    @cached_property
    def lines(self) -> list[tuple[Path, int, str]]:
        """(file, line number, line) of the syllabus, the sources and the course's own templates, read only when
        a refusal needs them (an export that refuses nothing reads none)."""
        syllabus = self.syllabus
        paths = [syllabus.path, *(syllabus.root / entry.path for entry in syllabus.sources.values())]
        own_templates = syllabus.root / "templates"
        if own_templates.is_dir():
            paths += sorted(p for p in own_templates.rglob("*") if p.is_file())
        found: list[tuple[Path, int, str]] = []
        for path in paths:
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            found += [(path, number, line) for number, line in enumerate(text.split("\n"), start=1)]
        return found

    def find(self, snippet: str) -> tuple[Path, int] | None:
        for size in range(len(snippet), 1, -1):
            needle = snippet[:size]
            for path, number, line in self.lines:
                if needle in line:
                    return path, number
        return None

    def find_link(self, snippet: str) -> tuple[Path, int] | None:
        """The first line with a link that holds the merge tag `snippet` opens."""
        link = re.compile(r"https?://[^\s)\"'<>]*?" + re.escape(snippet).replace(r"\ ", r"\s*") + r"(?![A-Za-z0-9_])")
        return next(((path, number) for path, number, line in self.lines if link.search(line)), None)

    def refusal(self, target: Target, dialect: Dialect, refused: Refused, what: str) -> DripcourseError:
        if refused.in_link:
            name = refused.snippet.removeprefix("{{ ")
            message = (
                f"'{name}' inside a link: {target.service}'s template engine ({dialect.engine}) has no URL "
                "filter, so a subscriber's value would reach the link unencoded; link to a page without it "
                "(docs/exports.md lists the services that can)"
            )
            found = self.find_link(refused.snippet)
            return DripcourseError(Problem(found[0], message, found[1]) if found else Problem(None, message))
        message = (
            f"'{refused.snippet}' would be read by {target.service}'s template engine ({dialect.engine}) in the "
            f"{what}, which has no way to escape it; rephrase it (docs/exports.md lists what each service reads)"
        )
        found = self.find(re.sub(r"\s+$", "", refused.snippet))
        if found is None:
            return DripcourseError(Problem(None, message))
        return DripcourseError(Problem(found[0], message, found[1]))
