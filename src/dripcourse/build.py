"""The build pipeline: read and check everything, render every email, then write all outputs in one swap."""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from dripcourse import __version__
from dripcourse.assemble import Lesson, assemble
from dripcourse.check import Finding, check_course, check_course_settings, reference_findings
from dripcourse.errors import DripcourseError, OutputError, Problem
from dripcourse.jsonfile import json_bytes
from dripcourse.message import build_message, mbox, message_bytes
from dripcourse.model import BuiltEmail, Course
from dripcourse.preview import index_html
from dripcourse.render import Renderer, fill_preview_html, fill_preview_text
from dripcourse.schedule import (
    SendSlot,
    cohort_calendar,
    course_plan,
    schedule_csv,
    schedule_json,
    schedule_rows,
    schedule_settings,
)
from dripcourse.sources import BrokenRef, Source, broken_refs, load_sources
from dripcourse.syllabus import Syllabus, SyllabusProblems, load_syllabus

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Reading:
    """A course folder as read: the syllabus (None when it has problems), the sources that read cleanly, the
    problems of the syllabus and the sources, and the section references that name no section."""

    syllabus: Syllabus | None
    sources: dict[str, Source]
    problems: list[Problem]
    broken: list[BrokenRef]

    def all_problems(self) -> list[Problem]:
        return self.problems + [b.problem for b in self.broken]


def read_course(course_dir: Path) -> Reading:
    """Read the syllabus and every source it names, even when the syllabus has problems, so that one run reports
    the problems of every file. Raises only when there is no syllabus to read at all."""
    syllabus: Syllabus | None
    try:
        syllabus = load_syllabus(course_dir)
        problems: list[Problem] = []
        entries, emails, ideas = syllabus.sources, syllabus.emails, syllabus.ideas
    except SyllabusProblems as exc:
        syllabus, problems = None, exc.problems
        entries, emails, ideas = exc.sources, exc.emails, exc.ideas
    sources, source_problems = load_sources(course_dir, entries.values())
    return Reading(syllabus, sources, problems + source_problems, broken_refs(emails, ideas, sources))


def load_course(course_dir: Path) -> Course:
    """Read and assemble a course folder; raises DripcourseError with every problem of every file."""
    reading = read_course(course_dir)
    problems = reading.all_problems()
    if problems or reading.syllabus is None:
        raise DripcourseError(problems)
    return Course(reading.syllabus, reading.sources, assemble(reading.syllabus, reading.sources))


def lint(course_dir: Path, preview_date: date) -> list[Finding]:
    """`check`: build the course in memory and lint every email. A broken section reference is a finding on the
    email that holds it; any other input problem is an error, as in every command."""
    reading = read_course(course_dir)
    if reading.problems or reading.syllabus is None:
        raise DripcourseError(reading.all_problems())
    if reading.broken:
        return check_course_settings(reading.syllabus) + reference_findings(reading.broken)
    course = Course(reading.syllabus, reading.sources, assemble(reading.syllabus, reading.sources))
    return check_course(course, render_course(course, preview_date))


def render_course(
    course: Course, preview_date: date, renderer: Renderer | None = None, cache: dict[str, BuiltEmail] | None = None
) -> list[BuiltEmail]:
    """Render every lesson in its preview form (merge tags filled by their fallbacks) with its .eml.

    With a `cache` (the preview server keeps one), an email whose inputs are unchanged is not rendered again:
    editing one source re-renders only the emails built from it.
    """
    renderer = renderer or Renderer(course.syllabus)
    info = course.syllabus.course
    slots = course_plan(course.syllabus.schedule, course.syllabus.emails, preview_date)
    built = []
    theme = renderer.theme_stamp() if cache is not None else ""
    for lesson, slot in zip(course.lessons, slots, strict=True):
        key = ""
        if cache is not None:
            key = hashlib.sha256(repr((info, lesson, len(course.lessons), slot, theme)).encode()).hexdigest()
            if key in cache:
                built.append(cache[key])
                continue
        rendered = renderer.render(lesson, len(course.lessons))
        html = fill_preview_html(rendered, info)
        text = fill_preview_text(rendered, info)
        msg = build_message(info, lesson.email.slug, lesson.email.subject, text, html, slot.local, info.unsubscribe_url)
        built.append(BuiltEmail(rendered, slot, html, text, message_bytes(msg, f"emails/{lesson.email.slug}")))
        if cache is not None:
            cache[key] = built[-1]
    return built


def output_files(course: Course, emails: list[BuiltEmail]) -> dict[str, bytes]:
    """Every file of out/, by relative path."""
    files: dict[str, bytes] = {}
    entries = []
    paths: dict[str, dict[str, str]] = {}
    for item in emails:
        lesson = item.rendered.lesson
        stem = f"emails/{lesson.file_stem}"
        own = {
            "html": item.html.encode("utf-8"),
            "txt": item.text.encode("utf-8"),
            "eml": item.eml,
        }
        for ext, data in own.items():
            files[f"{stem}.{ext}"] = data
        paths[lesson.email.slug] = {"html": f"{stem}.html", "text": f"{stem}.txt", "eml": f"{stem}.eml"}
        entries.append(manifest_entry(lesson, item.slot, {ext: (f"{stem}.{ext}", len(d)) for ext, d in own.items()}))
    schedule = course.syllabus.schedule
    slots = [item.slot for item in emails]
    rows = schedule_rows(schedule, slots, paths)
    files["schedule.csv"] = schedule_csv(rows)
    files["schedule.json"] = schedule_json(schedule, rows)
    files["course.mbox"] = mbox([(item.eml, item.slot.local) for item in emails])
    if schedule.mode == "cohort":
        info = course.syllabus.course
        domain = info.sender.email.rpartition("@")[2]
        files["course.ics"] = cohort_calendar(info.title, domain, slots, slots[0].local)
    files["index.html"] = index_html(course, emails, check_course(course, emails)).encode("utf-8")
    manifest: dict[str, Any] = {
        "generator": f"dripcourse {__version__}",
        "course": course.syllabus.course.title,
        "schedule": schedule_settings(schedule),
        "emails": entries,
        "files": sorted([*files, MANIFEST]),
    }
    files[MANIFEST] = json_bytes(manifest)
    return files


def manifest_entry(lesson: Lesson, slot: SendSlot, files: dict[str, tuple[str, int]]) -> dict[str, Any]:
    email = lesson.email
    return {
        "position": email.position,
        "day": email.day,
        "slug": email.slug,
        "subject": email.subject,
        "preheader": email.preheader,
        "sections": [str(ref) for ref in email.sections],
        "word_count": lesson.word_count,
        "reading_minutes": lesson.reading_minutes,
        "send_at_local": slot.local.isoformat(),
        "files": {ext: {"path": path, "bytes": size} for ext, (path, size) in files.items()},
    }


def build(course_dir: Path, out_dir: Path, preview_date: date) -> Course:
    """Build a course folder into `out_dir`. Nothing is written unless every input is good."""
    course = load_course(course_dir)
    emails = render_course(course, preview_date)
    files = output_files(course, emails)
    write_output(out_dir, files)
    return course


def foreign_files(out_dir: Path) -> list[str]:
    """Files in an existing output folder that the last build did not write."""
    if not out_dir.exists():
        return []
    present = sorted(str(p.relative_to(out_dir)) for p in out_dir.rglob("*") if not p.is_dir())
    try:
        owned = set(json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))["files"])
    except (OSError, ValueError, KeyError, TypeError):
        owned = set()
    return [p for p in present if p not in owned]


def write_output(out_dir: Path, files: dict[str, bytes]) -> None:
    """Write `files` into a temporary folder beside `out_dir`, then swap it in.

    The previous output stays whole until the swap; a folder holding files dripcourse did not write is refused,
    so nothing the user made is ever deleted.
    """
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(Problem(out_dir, "exists and is not a folder"))
    stray = foreign_files(out_dir)
    if stray:
        shown = ", ".join(stray[:5]) + (f" and {len(stray) - 5} more" if len(stray) > 5 else "")
        raise OutputError(
            Problem(out_dir, f"holds files dripcourse did not write ({shown}); choose an empty or new output folder")
        )
    parent = out_dir.absolute().parent
    parent.mkdir(parents=True, exist_ok=True)
    for leftover in parent.glob(f".{out_dir.name}.dripcourse-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.dripcourse-", dir=parent))
    try:
        for relative, data in files.items():
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        staging.chmod(0o755)
        swap_in(staging, out_dir.absolute())
    finally:
        shutil.rmtree(staging, ignore_errors=True)


RENAME_EXCHANGE = 2


def swap_in(staging: Path, out_dir: Path) -> None:
    """Put `staging` in place of `out_dir`; afterwards `staging` holds the old output (or is gone)."""
    if not out_dir.exists():
        staging.rename(out_dir)
        return
    if exchange(staging, out_dir):
        return
    old = staging.with_name(staging.name + "-old")
    out_dir.rename(old)
    staging.rename(out_dir)
    old.rename(staging)


def exchange(a: Path, b: Path) -> bool:
    """Atomically swap two folders with Linux renameat2(RENAME_EXCHANGE); False where that is not available."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), RENAME_EXCHANGE)
    return bool(result == 0)
