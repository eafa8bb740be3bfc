"""Who gets the course: subscribers from a CSV (the `schedule` format) and unsubscribes from a CSV.

Each subscriber row becomes the ledger's row for them, with their plan: the UTC due time of every lesson, from
the same planner as `dripcourse schedule` (so the drip and the per-subscriber plan can never disagree), and a
digest of the row's fields. When the list is edited, each row's digest is compared with those the ledger holds:
only rows whose digest it does not know are read and planned, and rows whose digest disappeared are taken off.
"""

from __future__ import annotations

import csv
import hashlib
from array import array
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TextIO

from dripcourse.drip.ledger import Row, plan_text
from dripcourse.errors import DripcourseError, Problem
from dripcourse.subscribers import SIGNUP_EXPECTED, Planner, csv_rows, list_columns, parse_signup, zone_named
from dripcourse.syllabus import EMAIL, Syllabus, valid_zone

SEPARATOR = "\x1f"


@dataclass
class ListReport:
    rows: int = 0
    bad: int = 0
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class ListState:
    """What the ledger remembers of the list it last read: its size and hash, and the schedule it was planned by."""

    size: int
    sha256: str
    schedule: str
    #: the ledger holds the digest of each row of this list (older ledgers do not: the list is read whole once)
    digests: bool = False


@dataclass(frozen=True)
class ListChange:
    #: "same"; "appended" (only rows added at the end); "changed" (rows edited, added or removed anywhere); "new"
    #: (a list never read, or read under another schedule or header, or before row digests were kept)
    kind: str
    state: ListState
    offset: int = 0  # for "appended": where the new rows start, in bytes and in lines
    lines: int = 0


def list_change(path: Path, before: ListState | None, schedule: str) -> ListChange:
    """How the list changed since `before`, reading it once. Appending rows is what a signup form does, and
    then only the new rows need reading."""
    cut = before.size if before is not None and before.schedule == schedule else None
    whole = hashlib.sha256()
    prefix_digest: str | None = None
    prefix_lines = 0
    last_byte = b""
    read = 0
    with path.open("rb") as handle:
        while True:
            want = 1 << 20
            if cut is not None and prefix_digest is None:
                want = min(want, cut - read)  # read up to the old end exactly, to hash what was there before
                if want == 0:
                    prefix_digest = whole.hexdigest()
                    want = 1 << 20
            block = handle.read(want)
            if not block:
                break
            whole.update(block)
            if prefix_digest is None:
                prefix_lines += block.count(b"\n")
                last_byte = block[-1:]
            read += len(block)
    if cut is not None and prefix_digest is None and read == cut:
        prefix_digest = whole.hexdigest()
    state = ListState(read, whole.hexdigest(), schedule, digests=True)
    if before is None or before.schedule != schedule or not before.digests:
        return ListChange("new", state)
    if read == before.size and state.sha256 == before.sha256:
        return ListChange("same", state)
    if read > before.size and prefix_digest == before.sha256 and last_byte == b"\n":
        return ListChange("appended", state, before.size, prefix_lines)
    return ListChange("changed", state)


class PlanCache:
    """UTC due times per lesson for a subscriber, from `Planner` (cached per zone and local signup date)."""

    def __init__(self, syllabus: Syllabus):
        self.planner = Planner(syllabus)
        self.cohort = syllabus.schedule.mode == "cohort" and syllabus.schedule.start_date is not None
        self.times: dict[tuple[str, date], list[int]] = {}
        self.texts: dict[tuple[str, date], list[str]] = {}
        #: the first lesson goes at signup, the others at times shared by a zone and local signup date
        self.own_first = not self.cohort and self.planner.at_signup == [0]
        #: for `own_first`: the plan text after the first slot, per zone and local signup date
        self.tails: dict[tuple[str, date], str] = {}

    def text(self, signed_up: datetime, signed_up_epoch: int, zone_name: str) -> str:
        """`plan_text` of `due_times`, with the slots shared by a zone and signup date formatted once."""
        if self.cohort or not self.planner.at_signup:
            return plan_text(self.due_times(signed_up, signed_up_epoch, zone_name))
        key = (zone_name, signed_up.astimezone(zone_named(zone_name)).date())
        parts = self.texts.get(key)
        if parts is None:
            parts = [f"{due:010d}," for due in self.due_times(signed_up, signed_up_epoch, zone_name)]
            if len(self.texts) > 100_000:
                self.texts.clear()
                self.tails.clear()
            self.texts[key] = parts
            if self.own_first:
                self.tails[key] = "".join(parts[1:])
        own = f"{signed_up_epoch:010d},"
        return "".join(own if i in self.planner.at_signup else part for i, part in enumerate(parts))

    def due_times(self, signed_up: datetime, signed_up_epoch: int, zone_name: str) -> list[int]:
        # A cohort has one set of instants for every subscriber, in the course's zone.
        key = ("cohort", date.min) if self.cohort else (zone_name, signed_up.astimezone(zone_named(zone_name)).date())
        times = self.times.get(key)
        if times is None:
            slots = self.planner.cohort_scheduled(zone_name) if self.cohort else self.planner.scheduled(*key)
            times = [int(utc.timestamp()) for utc, _ in slots]
            if len(self.times) > 100_000:
                self.times.clear()
            self.times[key] = times
        if self.cohort or not self.planner.at_signup:
            return times
        times = times.copy()
        for i in self.planner.at_signup:
            times[i] = signed_up_epoch
        return times


def read_header(path: Path) -> list[str] | None:
    with path.open(encoding="utf-8-sig", newline="") as source:
        return next(csv.reader(source), None)


def row_digest(row: list[str]) -> int:
    """A 64-bit digest of a row's fields: a row whose digest the ledger holds is known without being read."""
    joined = SEPARATOR.join(row)
    if joined.count(SEPARATOR) != len(row) - 1:  # a field holds the separator itself: digest the exact fields
        joined = repr(row)
    return int.from_bytes(hashlib.blake2b(joined.encode(), digest_size=8).digest(), "big", signed=True)


class ListReader:
    """Rows for `Ledger.sync` from `email,first_name,signed_up_at,timezone`; bad rows go to `report.problems`.

    With `header`, `source` starts part-way through the file (after `first_line` lines): only the rows added
    since the last run are read."""

    def __init__(
        self,
        syllabus: Syllabus,
        source: TextIO,
        file_name: str,
        report: ListReport,
        header: list[str] | None = None,
        first_line: int = 0,
    ):
        self.reader = csv.reader(source)
        columns = list_columns(next(self.reader, None) if header is None else header, file_name)
        self.file_name = file_name
        self.report = report
        self.first_line = first_line
        self.at_email = columns.index("email")
        self.at_signup = columns.index("signed_up_at")
        self.at_name = columns.index("first_name") if "first_name" in columns else None
        self.at_zone = columns.index("timezone") if "timezone" in columns else None
        self.course_zone = syllabus.schedule.time_zone
        self.known_zones: dict[str, bool] = {self.course_zone: True}
        self.plans = PlanCache(syllabus)
        self.position = -1

    def rows(self, known: set[int] | None = None, order: array[int] | None = None) -> Iterator[Row]:
        """Each valid row; with `known`, only rows whose digest is not in it (those that are, are taken out of it);
        with `order`, every row's digest is appended to it. `position` is the row's place among those not blank.

        One loop with everything in locals: it runs once per subscriber, a million times for a large list."""
        reader, report, file_name, first_line = self.reader, self.report, self.file_name, self.first_line
        at_email, at_signup, at_name, at_zone = self.at_email, self.at_signup, self.at_name, self.at_zone
        course_zone, known_zones, plans = self.course_zone, self.known_zones, self.plans
        match, blake2b, separator = EMAIL.match, hashlib.blake2b, SEPARATOR
        own_first, tails = plans.own_first, plans.tails
        self.position = -1
        for row in csv_rows(reader, lambda: reader.line_num + first_line, file_name):
            if isinstance(row, Problem):
                report.bad += 1
                report.problems.append(row)
                continue
            if not row or not (row[0].strip() or "".join(row).strip()):
                continue
            self.position += 1
            joined = separator.join(row)
            if joined.count(separator) == len(row) - 1:
                digest = int.from_bytes(blake2b(joined.encode(), digest_size=8).digest(), "big", signed=True)
            else:
                digest = row_digest(row)
            if order is not None:
                order.append(digest)
            if known is not None and digest in known:
                known.remove(digest)
                continue
            width = len(row)
            address = row[at_email].strip() if width > at_email else ""
            zone_name = (row[at_zone].strip() if at_zone is not None and width > at_zone else "") or course_zone
            if zone_name not in known_zones:
                known_zones[zone_name] = valid_zone(zone_name)
            problem = None
            if not match(address):
                problem = "email", f"not an email address: {address!r}"
            elif not known_zones[zone_name]:
                problem = "timezone", f"unknown IANA time zone {zone_name!r}"
            else:
                raw = row[at_signup] if width > at_signup else ""
                try:
                    signed_up = parse_signup(raw, zone_name)
                    epoch = int(signed_up.timestamp())
                except (ValueError, OverflowError):
                    problem = "signed_up_at", f"must be {SIGNUP_EXPECTED}, got {raw!r}"
            if problem is not None:
                report.bad += 1
                line = reader.line_num + first_line
                report.problems.append(Problem(file_name, problem[1], line, None, problem[0]))
                continue
            report.rows += 1
            first_name = row[at_name].strip() if at_name is not None and width > at_name else ""
            if own_first:  # the usual plan: Day 0 at signup, then lessons shared by a zone and signup date
                tail = tails.get((zone_name, signed_up.astimezone(zone_named(zone_name)).date()))
                plan = f"{epoch:010d},{tail}" if tail is not None else plans.text(signed_up, epoch, zone_name)
            else:
                plan = plans.text(signed_up, epoch, zone_name)
            yield address.lower(), address, first_name, epoch, zone_name, plan, digest


def read_subscribers(
    syllabus: Syllabus,
    source: TextIO,
    file_name: str,
    report: ListReport,
    header: list[str] | None = None,
    first_line: int = 0,
) -> Iterator[Row]:
    """Every valid row of the list (see `ListReader`)."""
    return ListReader(syllabus, source, file_name, report, header, first_line).rows()


@dataclass
class Changes:
    """What an edited list holds that the ledger does not know."""

    #: (position among the list's rows, row) of each valid row whose digest the ledger does not hold
    rows: list[tuple[int, Row]]
    #: the digest of every row, in the list's order
    order: array[int]
    #: digests the ledger holds that the list no longer has
    gone: set[int]


def read_changes(syllabus: Syllabus, source: TextIO, file_name: str, report: ListReport, known: set[int]) -> Changes:
    """Compare the list with the digests of the rows the ledger holds (`known`, emptied as rows are found): only
    rows that are new or edited are checked and planned."""
    order: array[int] = array("q")
    reader = ListReader(syllabus, source, file_name, report)
    rows = [(reader.position, row) for row in reader.rows(known, order)]
    return Changes(rows, order, known)


def first_rows(rows: list[Row], listed: Mapping[str, object]) -> list[Row]:
    """`rows` without those whose address is in `listed` or came in an earlier row: the first row wins."""
    seen = set(listed)
    kept = []
    for row in rows:
        if row[0] not in seen:
            seen.add(row[0])
            kept.append(row)
    return kept


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
