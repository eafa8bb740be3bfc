"""The build pipeline: read and check everything, render every email, then write all outputs in one swap."""

from __future__ import annotations

import hashlib
import os
import pickle
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from dripcourse import __version__
from dripcourse.assemble import Lesson, assemble
from dripcourse.check import (
    Finding,
    Page,
    check_course,
    check_course_settings,
    keep_page,
    read_page,
    reference_findings,
)
from dripcourse.errors import DripcourseError, Problem, did_you_mean
from dripcourse.jsonfile import json_bytes
from dripcourse.message import build_message, mbox, message_bytes
from dripcourse.model import BuiltEmail, Course
from dripcourse.outputs import write_folder
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


def copies_to_send(
    course_dir: Path, slug: str | None, every: bool, preview_date: date
) -> tuple[Course, list[BuiltEmail]]:
    """`send-test`: the course and the emails to send copies of: the one named by `slug` (the first when None),
    or `every` one."""
    course = load_course(course_dir)
    slugs = [e.slug for e in course.syllabus.emails]
    if slug is not None and slug not in slugs:
        raise DripcourseError(Problem(None, f"no email with slug '{slug}'{did_you_mean(slug, slugs)}"))
    built = render_course(course, preview_date)
    return course, built if every else [b for b in built if b.rendered.lesson.email.slug == (slug or slugs[0])]


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


# Below this many emails a build renders them in one process: a forked worker costs more than it saves.
FORK_FROM = 16


def render_course(
    course: Course,
    preview_date: date,
    renderer: Renderer | None = None,
    cache: dict[str, BuiltEmail] | None = None,
    workers: int | None = None,
) -> list[BuiltEmail]:
    """Render every lesson in its preview form (merge tags filled by their fallbacks) with its .eml.

    With a `cache` (the preview server keeps one), an email whose inputs are unchanged is not rendered again:
    editing one source re-renders only the emails built from it. Without one, a course of more than FORK_FROM
    emails is rendered by `workers` processes (one a core by default), in the same order and with the same errors
    as in one process.
    """
    renderer = renderer or Renderer(course.syllabus)
    slots = course_plan(course.syllabus.schedule, course.syllabus.emails, preview_date)
    pairs = list(zip(course.lessons, slots, strict=True))
    if cache is None:
        work = partial(built_and_read, course, renderer)
        results = rendered_in_forks(pairs, work, workers or usable_cores())
        for email, page in results:
            keep_page(email.html, page)
        return [email for email, _ in results]
    info = course.syllabus.course
    built = []
    theme = renderer.theme_stamp()
    for lesson, slot in pairs:
        key = hashlib.sha256(repr((info, lesson, len(course.lessons), slot, theme)).encode()).hexdigest()
        if key not in cache:
            cache[key] = built_email(course, renderer, (lesson, slot))
        built.append(cache[key])
    return built


def built_email(course: Course, renderer: Renderer, pair: tuple[Lesson, SendSlot]) -> BuiltEmail:
    lesson, slot = pair
    info = course.syllabus.course
    rendered = renderer.render(lesson, len(course.lessons))
    html = fill_preview_html(rendered, info)
    text = fill_preview_text(rendered, info)
    msg = build_message(info, lesson.email.slug, lesson.email.subject, text, html, slot.local, info.unsubscribe_url)
    return BuiltEmail(rendered, slot, html, text, message_bytes(msg, f"emails/{lesson.email.slug}"))


def built_and_read(course: Course, renderer: Renderer, pair: tuple[Lesson, SendSlot]) -> tuple[BuiltEmail, Page]:
    """An email and its page as the lint reads it: in a forked renderer, that reading is done in parallel too."""
    email = built_email(course, renderer, pair)
    return email, read_page(email.html)


def usable_cores() -> int:
    """The cores this process may run on, on Linux; elsewhere 1. macOS forks badly once system libraries have
    started threads (Python itself no longer forks there by default), and Windows cannot fork."""
    return len(os.sched_getaffinity(0)) if sys.platform == "linux" else 1


Item = TypeVar("Item")
Result = TypeVar("Result")


def rendered_in_forks(items: list[Item], work: Callable[[Item], Result], workers: int) -> list[Result]:
    """`[work(item) for item in items]`, the later parts computed by forked copies of this process.

    The first item is done here before any fork, so every child starts with the templates compiled and the theme's
    CSS parsed. This process then does the first part while each child does one later part and sends it back
    pickled through a pipe. A child that fails sends nothing; its part is then done again here, which raises the
    same error, in the same order, as a build in one process would.
    """
    parts = min(workers, len(items) // FORK_FROM + 1) if hasattr(os, "fork") else 1
    if parts < 2:
        return [work(item) for item in items]
    results = [work(items[0])]
    rest = items[1:]
    size = -(-len(rest) // parts)
    chunks = [rest[i : i + size] for i in range(0, len(rest), size)]
    children = [fork_part(chunk, work) for chunk in chunks[1:]]
    pending = dict(children)  # child -> the pipe still to close, or -1 once a stream owns it
    try:
        results += [work(item) for item in chunks[0]]
        for chunk, (pid, pipe) in zip(chunks[1:], children, strict=True):
            with os.fdopen(pipe, "rb") as stream:
                pending[pid] = -1
                data = stream.read()
            status = os.waitpid(pid, 0)[1]
            del pending[pid]
            results += pickle.loads(data) if status == 0 and data else [work(item) for item in chunk]
    finally:
        for pid, pipe in pending.items():
            if pipe >= 0:
                os.close(pipe)
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    return results


def fork_part(chunk: list[Item], work: Callable[[Item], Result]) -> tuple[int, int]:
    """A child process doing `work` over `chunk`: its id and the read end of the pipe it answers through."""
    read, write = os.pipe()
    pid = os.fork()
    if pid:
        os.close(write)
        return pid, read
    os.close(read)
    code = 1
    try:
        data = pickle.dumps([work(item) for item in chunk], protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(write, "wb") as stream:
            stream.write(data)
        code = 0
    finally:
        os._exit(code)  # never back into the caller's code, its atexit handlers or its buffered output


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
    write_output(out_dir, files, course)
    return course


def write_output(out_dir: Path, files: dict[str, bytes], course: Course | None = None, kind: str = "build") -> None:
    """Write `files` as the folder `out_dir`, staged and swapped in whole (see dripcourse.outputs); with the
    `course` it was built from, a folder inside that course, or one holding another course's output, is refused."""
    if course is None:
        write_folder(out_dir, files, kind=kind)
    else:
        write_folder(out_dir, files, course.syllabus.root, kind=kind, title=course.syllabus.course.title)
