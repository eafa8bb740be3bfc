"""Who gets the course: subscribers from a CSV (the `schedule` format) and unsubscribes from a CSV.

Each subscriber row becomes the ledger's row for them, with their plan: the UTC due time of every lesson, from
the same planner as `dripcourse schedule` (so the drip and the per-subscriber plan can never disagree).
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TextIO

from dripcourse.drip.ledger import plan_text
from dripcourse.errors import DripcourseError, Problem
from dripcourse.subscribers import REQUIRED_COLUMNS, Planner, parse_signup, zone_named
from dripcourse.syllabus import EMAIL, Syllabus, valid_zone

Row = tuple[str, str, str, int, str, str]


@dataclass
class ListReport:
    rows: int = 0
    bad: int = 0
    problems: list[Problem] = field(default_factory=list)


def fingerprint(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class PlanCache:
    """UTC due times per lesson for a subscriber, from `Planner` (cached per zone and local signup date)."""

    def __init__(self, syllabus: Syllabus):
        self.planner = Planner(syllabus)
        self.cohort = syllabus.schedule.mode == "cohort" and syllabus.schedule.start_date is not None
        self.times: dict[tuple[str, date], list[int]] = {}

    def due_times(self, signed_up: datetime, signed_up_epoch: int, zone_name: str) -> list[int]:
        if self.cohort and self.planner.schedule.start_date is not None:
            key = (zone_name, self.planner.schedule.start_date)
        else:
            key = (zone_name, signed_up.astimezone(zone_named(zone_name)).date())
        times = self.times.get(key)
        if times is None:
            times = [int(utc.timestamp()) for utc, _ in self.planner.scheduled(*key)]
            if len(self.times) > 100_000:
                self.times.clear()
            self.times[key] = times
        if self.cohort or not self.planner.at_signup:
            return times
        times = times.copy()
        for i in self.planner.at_signup:
            times[i] = signed_up_epoch
        return times


def read_subscribers(syllabus: Syllabus, source: TextIO, file_name: str, report: ListReport) -> Iterator[Row]:
    """Rows for `Ledger.sync` from `email,first_name,signed_up_at,timezone`; bad rows go to `report.problems`."""
    reader = csv.reader(source)
    header = next(reader, None)
    if header is None:
        raise DripcourseError(Problem(file_name, "is empty; expected a header row", 1))
    columns = [name.strip().lower() for name in header]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise DripcourseError(
            Problem(file_name, f"missing column(s) {', '.join(missing)}; found {', '.join(columns)}", 1)
        )
    at_email = columns.index("email")
    at_signup = columns.index("signed_up_at")
    at_name = columns.index("first_name") if "first_name" in columns else None
    at_zone = columns.index("timezone") if "timezone" in columns else None
    course_zone = syllabus.schedule.time_zone
    known_zones: dict[str, bool] = {course_zone: True}
    plans = PlanCache(syllabus)
    for row in reader:
        if not row or not any(cell.strip() for cell in row):
            continue
        line = reader.line_num
        width = len(row)
        address = row[at_email].strip() if width > at_email else ""
        zone_name = (row[at_zone].strip() if at_zone is not None and width > at_zone else "") or course_zone
        if zone_name not in known_zones:
            known_zones[zone_name] = valid_zone(zone_name)
        problem = None
        if not EMAIL.match(address):
            problem = Problem(file_name, f"not an email address: {address!r}", line, None, "email")
        elif not known_zones[zone_name]:
            problem = Problem(file_name, f"unknown IANA time zone {zone_name!r}", line, None, "timezone")
        else:
            raw = row[at_signup] if width > at_signup else ""
            try:
                signed_up = parse_signup(raw, zone_name)
                epoch = int(signed_up.timestamp())
            except (ValueError, OverflowError):
                problem = Problem(
                    file_name, f"not a date-time like 2026-03-02T09:30:00Z: {raw!r}", line, None, "signed_up_at"
                )
        if problem is not None:
            report.bad += 1
            report.problems.append(problem)
            continue
        report.rows += 1
        first_name = row[at_name].strip() if at_name is not None and width > at_name else ""
        yield (
            address.lower(),
            address,
            first_name,
            epoch,
            zone_name,
            plan_text(plans.due_times(signed_up, epoch, zone_name)),
        )


class Unsubscribes:
    """The addresses in an unsubscribe CSV (an `email` column), read again whenever the file changes."""

    def __init__(self, path: Path | None):
        self.path = path
        self.stamp: tuple[int, int] | None = None
        self.emails: set[str] = set()

    def refresh(self) -> set[str]:
        if self.path is None:
            return self.emails
        try:
            stat = self.path.stat()
        except OSError:
            raise DripcourseError(Problem(self.path, "file not found")) from None
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp != self.stamp:
            self.emails = read_unsubscribes(self.path)
            self.stamp = stamp
        return self.emails

    def __contains__(self, email: str) -> bool:
        return email in self.refresh()


def read_unsubscribes(path: Path) -> set[str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = [name.strip().lower() for name in next(reader, [])]
        if "email" not in header:
            raise DripcourseError(Problem(path, f"missing column email; found {', '.join(header) or 'nothing'}", 1))
        at = header.index("email")
        return {row[at].strip().lower() for row in reader if len(row) > at and row[at].strip()}
