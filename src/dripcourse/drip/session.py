"""The `send` and `status` commands as library calls: find the ledger, open it, run, report."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dripcourse.build import load_course
from dripcourse.drip.audience import Unsubscribes
from dripcourse.drip.ledger import Ledger, OpenSend, open_ledger, slot_at
from dripcourse.drip.providers.registry import make_provider
from dripcourse.drip.runner import Audience, Drip, RunReport, SendOptions, iso
from dripcourse.errors import DripcourseError, OutputError, Problem

LEDGER_FILE = "ledger.sqlite"
SECRET_VARIABLE = "DRIPCOURSE_UNSUBSCRIBE_SECRET"


def ledger_location(course_dir: Path, ledger: str | None) -> str:
    """`--ledger` as given, or the SQLite file beside the syllabus."""
    return ledger or str(course_dir / LEDGER_FILE)


def send(
    course_dir: Path,
    via: str,
    env: Mapping[str, str],
    *,
    ledger: str | None = None,
    subscribers: Path | None = None,
    unsubscribes: Path | None = None,
    options: SendOptions | None = None,
    watch: bool = False,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    on_progress: Callable[[int, int], None] | None = None,
) -> RunReport:
    """Send every due lesson of the course at `course_dir` through `via`; see the README's 'Running the drip'."""
    course = load_course(course_dir)
    secret = env.get(SECRET_VARIABLE, "")
    if len(secret) < 16:
        raise OutputError(
            Problem(
                None,
                f"set {SECRET_VARIABLE} to a random string of at least 16 characters: it signs each subscriber's"
                " one-click unsubscribe link (see the README)",
            )
        )
    provider = make_provider(via, env, course.syllabus.course.sender.email)
    audience = Audience(subscribers, Unsubscribes(unsubscribes))
    if via == "listmonk" and subscribers is None:
        audience.provider_rows = provider.list_rows  # type: ignore[attr-defined]
    elif subscribers is None:
        raise DripcourseError(
            Problem(None, "--subscribers is required (a CSV with email,first_name,signed_up_at,timezone)")
        )
    if subscribers is not None and not subscribers.is_file():
        raise DripcourseError(Problem(subscribers, "file not found" if not subscribers.exists() else "is not a file"))
    store = open_ledger(ledger_location(course_dir, ledger))
    try:
        drip = Drip(
            course,
            store,
            provider,
            audience,
            options or SendOptions(),
            secret,
            clock=clock,
            sleep=sleep,
            on_progress=on_progress,
        )
        return drip.run(watch=watch)
    finally:
        store.close()


def unresolved(course_dir: Path, ledger: str | None = None) -> list[OpenSend]:
    store = open_existing(course_dir, ledger)
    try:
        return store.open_sends(("unresolved", "sending"))
    finally:
        store.close()


def decide(course_dir: Path, ledger: str | None, choices: list[tuple[str, bool]], now: float) -> None:
    """Settle unresolved sends by hand; each choice is ('SLUG:EMAIL', sent?)."""
    store = open_existing(course_dir, ledger)
    try:
        problems = []
        for spec, sent in choices:
            slug, _, email = spec.partition(":")
            if not email or not store.decide(email, slug, sent, int(now)):
                problems.append(Problem(None, f"no unresolved send {spec!r} (write it as SLUG:EMAIL)"))
        if problems:
            raise DripcourseError(problems)
    finally:
        store.close()


def open_existing(course_dir: Path, ledger: str | None) -> Ledger:
    where = ledger_location(course_dir, ledger)
    if not where.startswith(("postgresql://", "postgres://")) and not Path(where).is_file():
        raise OutputError(Problem(where, "no ledger here yet: nothing has been sent (run dripcourse send first)"))
    return open_ledger(where)


@dataclass(frozen=True)
class LessonStatus:
    position: int
    slug: str
    sent: int
    due: int
    waiting: int
    in_flight: int
    failed: int
    skipped: int
    unresolved: int


@dataclass(frozen=True)
class Status:
    lessons: list[LessonStatus]
    subscribers: int
    listed: int
    suppressed: int
    person: list[tuple[str, str, str]] | None = None


def status(course_dir: Path, ledger: str | None, now: float, subscriber: str | None = None) -> Status:
    """Per lesson: sent, due now, waiting, failed, skipped, unresolved; with `subscriber`, where they are."""
    course = load_course(course_dir)
    store = open_existing(course_dir, ledger)
    try:
        counts = store.lesson_counts()
        cursors = store.cursor_counts(int(now))
        lessons = []
        for position, email in enumerate(course.syllabus.emails):
            due, waiting = cursors.get(position, (0, 0))
            lessons.append(
                LessonStatus(
                    position + 1,
                    email.slug,
                    counts.get((position, "sent"), 0),
                    due,
                    waiting,
                    counts.get((position, "claimed"), 0) + counts.get((position, "sending"), 0),
                    counts.get((position, "failed"), 0),
                    counts.get((position, "skipped"), 0),
                    counts.get((position, "unresolved"), 0),
                )
            )
        total, listed, suppressed = store.totals()
        person = None
        if subscriber is not None:
            person = where_is(store, subscriber, [e.slug for e in course.syllabus.emails])
        return Status(lessons, total, listed, suppressed, person)
    finally:
        store.close()


def where_is(store: Ledger, email: str, slugs: list[str]) -> list[tuple[str, str, str]]:
    row, sends = store.subscriber(email)
    if row is None:
        raise DripcourseError(Problem(None, f"no subscriber {email!r} in the ledger"))
    plan = row[5]
    recorded: dict[int, Any] = {s[0]: s for s in sends}
    lines = []
    for position, slug in enumerate(slugs):
        due = slot_at(plan, position)
        when = iso(due) if due is not None else "-"
        if position in recorded:
            _, _, state, provider_id, reason, updated_at, _ = recorded[position]
            detail = reason or provider_id or ""
            lines.append((slug, f"{state} {iso(int(updated_at))}", f"due {when}" + (f"; {detail}" if detail else "")))
        else:
            lines.append((slug, "planned", f"due {when}" + ("" if row[6] else "; not on the current list")))
    return lines
