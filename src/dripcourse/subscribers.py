"""Per-subscriber send plans: who gets which email when, streamed from a CSV of any length."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dripcourse.csvcells import safe_cell
from dripcourse.errors import DripcourseError, OutputError, Problem
from dripcourse.outputs import replacing
from dripcourse.schedule import plan
from dripcourse.sources import UTF16_BOMS, looks_utf16
from dripcourse.syllabus import EARLIEST, EMAIL, LATEST, Syllabus, valid_zone

REQUIRED_COLUMNS = ("email", "signed_up_at")
MAX_FIELD_CHARS = 1000  # no address, name, date or zone is longer; a longer field is a broken or hostile file
PLAN_COLUMNS = ("email", "first_name", "position", "slug", "subject", "time_zone", "send_at_utc", "send_at_local")


@dataclass
class PlanStats:
    subscribers: int = 0
    skipped: int = 0
    sends: int = 0


@lru_cache(maxsize=1024)
def zone_named(name: str) -> ZoneInfo:
    return ZoneInfo(name)


NEEDS_QUOTES = re.compile(r'[,"\r\n]')
PROGRESS_EVERY = 10_000
STRICT_SHOWN = 50  # bad rows listed by a --strict run; the rest are counted


def csv_field(value: str) -> str:
    """One CSV field, formula-safe (`csvcells`) and quoted only when it must be (csv.writer's QUOTE_MINIMAL)."""
    value = safe_cell(value)
    if NEEDS_QUOTES.search(value):
        return '"' + value.replace('"', '""') + '"'
    return value


class Planner:
    """Plan rows for one course. The rows of a (zone, signup date) pair are formatted once and reused, which is
    what keeps a million-subscriber list fast: most subscribers share a zone and a signup day with others."""

    def __init__(self, syllabus: Syllabus):
        self.schedule = syllabus.schedule
        self.emails = syllabus.emails
        self.fixed = [f"{e.position},{csv_field(e.slug)},{csv_field(e.subject)}," for e in self.emails]
        self.cache: dict[tuple[str, date], list[tuple[datetime, str]]] = {}
        self.texts: dict[tuple[str, date], list[str]] = {}
        self.zone_fields: dict[str, str] = {}
        self.at_signup = [i for i, e in enumerate(self.emails) if e.day == 0 and self.schedule.mode == "evergreen"]

    def scheduled(self, zone_name: str, local_date: date) -> list[tuple[datetime, str]]:
        """Per email: its UTC instant and the row text after the address and name, with `local_date` as day 0."""
        key = (zone_name, local_date)
        found = self.cache.get(key)
        if found is None:
            zone_field = csv_field(zone_name)
            start = datetime.combine(local_date, self.schedule.send_time, tzinfo=zone_named(zone_name))
            found = []
            for slot, fixed in zip(plan(self.schedule, self.emails, start), self.fixed, strict=True):
                utc = slot.utc
                found.append((utc, f"{fixed}{zone_field},{utc:%Y-%m-%dT%H:%M:%SZ},{slot.local.isoformat()}\n"))
            if len(self.cache) > 100_000:
                self.cache.clear()
                self.texts.clear()
            self.cache[key] = found
            self.texts[key] = [text for _, text in found]
        return found

    def cohort_scheduled(self, zone_name: str) -> list[tuple[datetime, str]]:
        """A cohort's emails for a subscriber in `zone_name`: the same instants for everyone, at the send time in
        the course's zone from the start date (as a listmonk campaign's send_at or a broadcast goes out); the
        subscriber's zone only changes the local time the row shows."""
        key = (f"cohort:{zone_name}", date.min)
        found = self.cache.get(key)
        if found is None:
            assert self.schedule.start_date is not None
            zone, zone_field = zone_named(zone_name), csv_field(zone_name)
            course_zone = zone_named(self.schedule.time_zone)
            start = datetime.combine(self.schedule.start_date, self.schedule.send_time, tzinfo=course_zone)
            found = []
            for slot, fixed in zip(plan(self.schedule, self.emails, start), self.fixed, strict=True):
                local = slot.utc.astimezone(zone).isoformat()
                found.append((slot.utc, f"{fixed}{zone_field},{slot.utc:%Y-%m-%dT%H:%M:%SZ},{local}\n"))
            self.cache[key] = found
        return found

    def rows(self, prefix: str, signed_up: datetime, zone_name: str) -> tuple[str, int]:
        """The plan rows of one subscriber as CSV text, and how many there are."""
        if self.schedule.mode == "cohort" and self.schedule.start_date:
            # A late joiner gets only the emails still to come.
            texts = [text for utc, text in self.cohort_scheduled(zone_name) if utc >= signed_up]
        else:
            local_signup = signed_up.astimezone(zone_named(zone_name))
            key = (zone_name, local_signup.date())
            if key not in self.texts:
                self.scheduled(*key)
            texts = self.texts[key]
            if self.at_signup:
                zone_field = self.zone_fields.get(zone_name) or self.zone_fields.setdefault(
                    zone_name, csv_field(zone_name)
                )
                utc_text = signed_up.astimezone(UTC).isoformat(timespec="seconds")[:-6] + "Z"
                texts = texts.copy()
                for i in self.at_signup:
                    texts[i] = f"{self.fixed[i]}{zone_field},{utc_text},{local_signup.isoformat(timespec='seconds')}\n"
        # Every row ends with a newline, so joining on the prefix puts it at the start of each following row.
        return (prefix + prefix.join(texts), len(texts)) if texts else ("", 0)


class SeenAddresses:
    """The addresses read so far, as 8-byte digests in an open-addressing table: about 12 bytes a subscriber, so a
    list of a million costs some 12 MB, not the hundreds a set of strings would. Two addresses share a digest
    with odds of one in 2**64 per pair."""

    def __init__(self) -> None:
        self.table = array("Q", bytes(8 * 1024))
        self.count = 0

    def add(self, address: str) -> bool:
        """Record `address` (case-insensitively); False when it was already there."""
        key = int.from_bytes(hashlib.blake2b(address.lower().encode(), digest_size=8).digest(), "big") | 1
        if self.count * 10 >= len(self.table) * 7:
            self.grow()
        mask = len(self.table) - 1
        slot = key & mask
        while self.table[slot]:
            if self.table[slot] == key:
                return False
            slot = (slot + 1) & mask
        self.table[slot] = key
        self.count += 1
        return True

    def grow(self) -> None:
        old = self.table
        self.table = array("Q", bytes(16 * len(old)))
        mask = len(self.table) - 1
        for key in old:
            if key:
                slot = key & mask
                while self.table[slot]:
                    slot = (slot + 1) & mask
                self.table[slot] = key


def not_utf8(path: Path, exc: UnicodeDecodeError) -> Problem:
    """What to say about a subscriber list that does not decode: UTF-16 by name (what Excel's "Unicode text"
    writes), anything else with the reason."""
    with path.open("rb") as handle:
        head = handle.read(4096)
    if head.startswith(UTF16_BOMS) or looks_utf16(head):
        return Problem(path, "is UTF-16 text; save it as CSV UTF-8")
    return Problem(path, f"is not UTF-8 text ({exc.reason})")


def parse_signup(raw: str, zone_name: str) -> datetime:
    """A signup time; ValueError for text that is not one, or a date outside EARLIEST..LATEST."""
    value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    if not EARLIEST <= value.date() <= LATEST:
        raise ValueError(f"out of range: {raw}")
    return value if value.tzinfo else value.replace(tzinfo=zone_named(zone_name))


SIGNUP_EXPECTED = f"a date-time like 2026-03-02T09:30:00Z, from {EARLIEST.year} to {LATEST.year}"


def list_columns(header: list[str] | None, file_name: str) -> list[str]:
    """A subscriber list's column names, lowercased; DripcourseError when there is no header or it lacks one of
    REQUIRED_COLUMNS."""
    if header is None:
        raise DripcourseError(Problem(file_name, "is empty; expected a header row", 1))
    columns = [name.strip().lower() for name in header]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise DripcourseError(
            Problem(file_name, f"missing column(s) {', '.join(missing)}; found {', '.join(columns)}", 1)
        )
    return columns


def csv_rows(reader: Iterator[list[str]], line_num: Callable[[], int], file_name: str) -> Iterator[list[str] | Problem]:
    """The rows of a subscriber CSV; a row that cannot be read, or holds a field over MAX_FIELD_CHARS, comes as
    a Problem with its line, and reading goes on with the next row."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            reason = "a field is over 131,072 characters" if "field limit" in str(exc) else str(exc)
            yield Problem(
                file_name, f"cannot be read: {reason}; a field may be at most {MAX_FIELD_CHARS:,}", line_num()
            )
            continue
        longest = max(map(len, row), default=0)
        if longest > MAX_FIELD_CHARS:
            yield Problem(
                file_name, f"a field is {longest:,} characters; a field may be at most {MAX_FIELD_CHARS:,}", line_num()
            )
            continue
        yield row


def check_plan_file(out: Path, inputs: list[Path], force: bool) -> None:
    """A plan file goes where a new file can be made, and never over one of the files the plan is made from."""
    if out.is_dir():
        raise OutputError(Problem(out, "is a folder; give the plan a file name, like plan.csv"))
    folder = out.parent
    if not folder.is_dir():
        what = "is a file, not a folder" if folder.exists() else "does not exist"
        raise OutputError(Problem(out, f"cannot be written: the folder {folder} {what}"))
    for item in inputs:
        if item.exists() and out.exists() and os.path.samefile(item, out):  # a link, a hard link, another spelling
            raise OutputError(Problem(out, f"is {item}, which the plan is made from; choose another --out"))
    if (out.exists() or out.is_symlink()) and not force:
        raise OutputError(Problem(out, "already exists; pass --force to replace it"))


def plan_file(
    syllabus: Syllabus,
    subscribers: Path,
    out: Path,
    *,
    strict: bool = False,
    force: bool = False,
    on_problem: Callable[[Problem], None] = lambda problem: None,
    on_progress: Callable[[int, int], None] | None = None,
) -> PlanStats:
    """`dripcourse schedule`: plan the subscribers in the CSV file `subscribers` into the file `out`.

    The plan is written beside `out` and moved into place only when it is whole, so a failed run leaves an
    earlier plan as it was; an existing plan is replaced only with `force`. `on_progress(bytes read, file size)`.
    """
    if subscribers.is_dir():
        raise DripcourseError(Problem(subscribers, "is a folder; give the subscriber CSV file"))
    if not subscribers.is_file():
        raise DripcourseError(Problem(subscribers, "file not found"))
    check_plan_file(out, [subscribers, *syllabus.input_files()], force)
    size = subscribers.stat().st_size
    with subscribers.open("rb") as head:
        if looks_utf16(head.read(4096)):  # UTF-16 without a byte-order mark decodes as UTF-8, NULs and all
            raise DripcourseError(Problem(subscribers, "is UTF-16 text; save it as CSV UTF-8"))
    try:
        with (
            subscribers.open("rb") as raw,
            replacing(out) as staging,
            io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as source,
            open(staging, "w", encoding="utf-8", newline="") as sink,
        ):
            stats = plan_subscribers(
                syllabus,
                source,
                sink,
                str(subscribers),
                strict=strict,
                on_problem=on_problem,
                on_progress=None if on_progress is None else lambda _line: on_progress(raw.tell(), size),
            )
    except UnicodeDecodeError as exc:
        raise DripcourseError(not_utf8(subscribers, exc)) from None
    return stats


def plan_subscribers(
    syllabus: Syllabus,
    source: TextIO,
    sink: TextIO,
    file_name: str,
    *,
    strict: bool = False,
    on_problem: Callable[[Problem], None] = lambda problem: None,
    on_progress: Callable[[int], None] | None = None,
) -> PlanStats:
    """Read `email,first_name,signed_up_at,timezone` rows from `source`, write one plan row per send to `sink`.

    Bad rows are reported through `on_problem` with their line number and skipped; with `strict` they count as
    errors: every one is read, and DripcourseError lists them (the first STRICT_SHOWN, then how many more).
    Memory stays flat: rows are read, planned and written one at a time.
    """
    reader = csv.reader(source)
    columns = list_columns(next(reader, None), file_name)
    at = {name: columns.index(name) for name in ("email", "first_name", "signed_up_at", "timezone") if name in columns}
    planner = Planner(syllabus)
    course_zone = syllabus.schedule.time_zone
    sink.write(",".join(PLAN_COLUMNS) + "\n")
    stats = PlanStats()
    known_zones: dict[str, bool] = {course_zone: True}
    seen = SeenAddresses()
    errors: list[Problem] = []

    def skip(problem: Problem) -> None:
        """A bad row: reported now, or kept for the strict run's error (the first STRICT_SHOWN)."""
        stats.skipped += 1
        if not strict:
            on_problem(problem)
        elif len(errors) < STRICT_SHOWN:
            errors.append(problem)

    for row in csv_rows(reader, lambda: reader.line_num, file_name):
        if on_progress is not None and reader.line_num % PROGRESS_EVERY == 0:
            on_progress(reader.line_num)
        if isinstance(row, Problem):
            stats.subscribers += 1
            skip(row)
            continue
        if not row or not any(cell.strip() for cell in row):
            continue
        line = reader.line_num
        stats.subscribers += 1
        problem = None
        address = row[at["email"]].strip() if len(row) > at["email"] else ""
        zone_name = (
            row[at["timezone"]].strip() if "timezone" in at and len(row) > at["timezone"] else ""
        ) or course_zone
        if zone_name not in known_zones:
            known_zones[zone_name] = valid_zone(zone_name)
        if not EMAIL.match(address):
            problem = Problem(file_name, f"not an email address: {address!r}", line, None, "email")
        elif not known_zones[zone_name]:
            problem = Problem(file_name, f"unknown IANA time zone {zone_name!r}", line, None, "timezone")
        else:
            raw = row[at["signed_up_at"]] if len(row) > at["signed_up_at"] else ""
            try:
                signed_up = parse_signup(raw, zone_name)
            except (ValueError, ZoneInfoNotFoundError, OverflowError):
                problem = Problem(file_name, f"must be {SIGNUP_EXPECTED}, got {raw!r}", line, None, "signed_up_at")
        if problem is None and not seen.add(address):
            problem = Problem(
                file_name, f"{address} is listed twice; planned once, from its first row", line, None, "email"
            )
        if problem is not None:
            skip(problem)
            continue
        first_name = row[at["first_name"]].strip() if "first_name" in at and len(row) > at["first_name"] else ""
        text, count = planner.rows(f"{csv_field(address)},{csv_field(first_name)},", signed_up, zone_name)
        sink.write(text)
        stats.sends += count
    if errors:
        more = stats.skipped - len(errors)
        tail = [Problem(file_name, f"and {more} more bad rows")] if more else []
        raise DripcourseError(errors + tail)
    return stats
