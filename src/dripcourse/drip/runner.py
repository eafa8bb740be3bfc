"""One run of the drip: settle what a crashed run left open, read the list, send every due lesson, stop.

Order of a send: claim (nobody else takes it) -> `sending`, committed before the provider is called (what is
flushed to disk when is explained in the ledger's docstring) -> the provider -> `sent`/`failed`/`deferred`. A
crash between the second and the third step leaves `sending`; the next run asks the provider (`lookup`) or
reports the send as unresolved. No path sends a message whose earlier attempt may have succeeded.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dripcourse.build import render_course
from dripcourse.drip.audience import (
    ListReport,
    ListState,
    Row,
    Unsubscribes,
    first_rows,
    list_change,
    read_changes,
    read_header,
    read_subscribers,
)
from dripcourse.drip.compose import LessonMessage, Personal, Recipient, UnsafeValue, send_key
from dripcourse.drip.ledger import Due, Ledger, OpenSend
from dripcourse.drip.providers.base import Provider, Rejected, Transient, Unknown
from dripcourse.errors import DripcourseError, Problem
from dripcourse.model import BuiltEmail, Course
from dripcourse.subscribers import not_utf8
from dripcourse.syllabus import Syllabus

Clock = Callable[[], float]
# Deferred sends in a row after which the provider is taken to be down and the run stops.
GIVE_UP_AFTER = 5


@dataclass(frozen=True)
class SendOptions:
    catch_up: timedelta = timedelta(hours=24)
    batch: int = 100
    limit: int | None = None
    retries: int = 3
    backoff: float = 2.0
    rate: float | None = None
    settle: float = 300.0
    #: with --watch, how often to look for new signups when no lesson is due sooner
    poll: float = 60.0


@dataclass
class RunReport:
    sent: int = 0
    failed: int = 0
    deferred: int = 0
    unresolved: int = 0
    resolved: int = 0
    released: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    busy: bool = False
    stopped: str | None = None
    list_report: ListReport | None = None

    def skip(self, reason: str) -> None:
        kind = reason.split(":", 1)[0]
        self.skipped[kind] = self.skipped.get(kind, 0) + 1


@dataclass
class Audience:
    """Where the list and the unsubscribes come from."""

    subscribers: Path | None
    unsubscribes: Unsubscribes
    #: a provider that holds the list itself (listmonk) gives its rows here instead of a CSV
    provider_rows: Callable[[Syllabus], Iterable[Row]] | None = None


def iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class RateLimit:
    """At most `rate` sends a second, evenly spaced."""

    def __init__(self, rate: float | None, clock: Clock):
        self.gap = 1.0 / rate if rate else 0.0
        self.clock = clock
        self.next_at = 0.0

    def wait(self, sleep: Callable[[float], None]) -> None:
        if not self.gap:
            return
        now = self.clock()
        if now < self.next_at:
            sleep(self.next_at - now)
            now = self.next_at
        self.next_at = max(now, self.next_at) + self.gap


class Drip:
    """Sends one course's due lessons through one provider, recording everything in the ledger."""

    def __init__(
        self,
        course: Course,
        ledger: Ledger,
        provider: Provider,
        audience: Audience,
        options: SendOptions,
        secret: str,
        *,
        clock: Clock = time.time,
        sleep: Callable[[float], None] = time.sleep,
        on_progress: Callable[[int, int], None] | None = None,
        built: list[BuiltEmail] | None = None,
    ):
        self.course = course
        self.ledger = ledger
        self.provider = provider
        self.audience = audience
        self.options = options
        self.clock = clock
        self.sleep = sleep
        self.on_progress = on_progress
        info = course.syllabus.course
        built = built or render_course(course, datetime.now(UTC).date())
        self.lessons = [LessonMessage(b, info, secret) for b in built]
        self.slugs = [lesson.slug for lesson in self.lessons]
        self.cohort = course.syllabus.schedule.mode == "cohort"
        self.report = RunReport()
        self.accepted: tuple[Due, str] | None = None  # sent, not yet written down
        self.gone: set[str] = set()  # unsubscribed at the provider, asked per batch
        self.failing = 0  # transient failures in a row, across subscribers
        self.limit = RateLimit(options.rate or provider.rate, clock)

    def now(self) -> int:
        return int(self.clock())

    def run(self, watch: bool = False) -> RunReport:
        """Settle, sync, send what is due; with `watch`, keep doing so, waking when the next send is due (or
        every `options.poll` seconds, to see new signups). Returns what happened."""
        ledger = self.ledger
        ledger.bind_course(self.course.syllabus.course.title, self.slugs)
        if not ledger.start_sender():
            self.report.busy = True
            return self.report
        try:
            self.provider.open()
        except Transient as exc:
            self.report.stopped = exc.reason
            return self.report
        self.limit = RateLimit(self.options.rate or self.provider.rate, self.clock)  # SES reads its quota in open()
        try:
            while True:
                self.recover()
                self.sync()
                ledger.suppress_many(self.provider.suppressions(), self.now())
                self.send_due()
                if not watch or self.report.stopped:
                    break
                self.sleep(self.until_next(self.options.poll))
        finally:
            self.provider.close()
        return self.report

    def until_next(self, poll: float) -> float:
        rows = self.ledger.query(
            "SELECT min(next_due_at) FROM subscribers WHERE listed = 1 AND next_due_at IS NOT NULL"
        )
        soonest = rows[0][0]
        wait = poll if soonest is None else min(poll, max(1.0, float(soonest) - self.clock()))
        return wait

    # -- after a crash --
    def recover(self) -> None:
        """Settle sends that a stopped sender left open: untried claims go back; sends in flight are looked up
        where the provider can, or reported as unresolved."""
        ledger = self.ledger
        open_sends = ledger.open_sends()
        dead = ledger.dead_senders({item.sender for item in open_sends if item.sender})
        for item in open_sends:
            mine = item.sender == ledger.sender
            if item.state == "claimed" and (mine or item.sender in dead):
                exact = ledger.claims_are_exact(item.sender)
                if not ledger.take_over(item):
                    continue
                if exact:
                    ledger.release(ledger.as_due(item))
                    self.report.released += 1
                else:
                    # Its `sending` mark may have been lost with the machine: it may have gone out.
                    slug = self.slugs[item.position]
                    key = send_key(self.course.syllabus.course, item.email, slug)
                    reason = "claimed by a sender whose machine restarted; it may have been sent"
                    ledger.settle(ledger.as_due(item), "unresolved", self.now(), lesson=slug, key=key, reason=reason)
                    self.report.unresolved += 1
            elif item.state in ("sending", "unresolved") and (
                mine or item.sender in dead or item.state == "unresolved"
            ):
                self.resolve(item)

    def resolve(self, item: OpenSend) -> None:
        ledger = self.ledger
        due = ledger.as_due(item)
        now = self.now()
        if item.provider != self.provider.name or not self.provider.can_lookup:
            if item.state == "sending" and ledger.take_over(item):
                ledger.settle(due, "unresolved", now, reason=f"interrupted while sending through {item.provider}")
                self.report.unresolved += 1
            return
        if now - item.updated_at < self.options.settle:
            return  # the provider may not show an accepted message yet; look again on a later run
        if not ledger.take_over(item):
            return
        try:
            found = self.provider.lookup(item.send_key, item.email)
        except (Transient, Unknown) as exc:
            ledger.settle(due, "unresolved", now, reason=f"lookup failed: {exc}")
            self.report.unresolved += 1
            return
        if found is None:
            ledger.settle(due, "unresolved", now, reason=f"{self.provider.name} cannot tell whether it was sent")
            self.report.unresolved += 1
        elif found.sent:
            ledger.settle(due, "sent", now, provider_id=found.provider_id, reason="confirmed by lookup")
            self.report.resolved += 1
        else:
            ledger.settle(due, "deferred", now, reason="not found by lookup; will be sent again", retry_at=now)
            self.report.resolved += 1

    # -- the list --
    def sync(self) -> None:
        path = self.audience.subscribers
        ledger = self.ledger
        syllabus = self.course.syllabus
        report = ListReport()
        self.report.list_report = report
        if self.audience.provider_rows is not None:
            ledger.sync(self.audience.provider_rows(syllabus))
            return
        if path is None:
            return
        if not path.is_file():
            raise DripcourseError(Problem(path, "file not found" if not path.exists() else "is not a file"))
        try:
            header = read_header(path)
            # Row digests stand for the rows' values under this header and this schedule only.
            schedule = f"{' '.join(self.slugs)} {syllabus.schedule!r} {header!r}"
            remembered = ledger.meta("list_state")
            before = ListState(**json.loads(remembered)) if remembered else None
            change = list_change(path, before, schedule)
            if change.kind == "same":
                return
            if change.kind == "appended":
                with path.open("rb") as raw:
                    raw.seek(change.offset)
                    added = io.TextIOWrapper(raw, encoding="utf-8", newline="")
                    rows = list(read_subscribers(syllabus, added, str(path), report, header, change.lines))
                # Every row before these is unchanged: an address already listed was listed by an earlier row.
                listed = ledger.listed_lines([row[0] for row in rows])
                ledger.sync(first_rows(rows, listed), whole=False)
            elif change.kind == "changed":
                self.sync_changes(path, report)
            else:
                with path.open(encoding="utf-8-sig", newline="") as source:
                    ledger.sync(read_subscribers(syllabus, source, str(path), report))
        except UnicodeDecodeError as exc:
            raise DripcourseError(not_utf8(path, exc)) from None
        ledger.set_meta("list_state", json.dumps(asdict(change.state)))

    def sync_changes(self, path: Path, report: ListReport) -> None:
        """An edited list: rows whose digest the ledger holds are unchanged; the others are read, and
        subscribers whose row is gone are taken off the list (unless an edited row lists them again)."""
        ledger = self.ledger
        with path.open(encoding="utf-8-sig", newline="") as source:
            changes = read_changes(self.course.syllabus, source, str(path), report, ledger.line_digests())
        ledger.unlist_lines(changes.gone)
        listed = ledger.listed_lines([row[0] for _, row in changes.rows])
        kept = {digest for digest in listed.values() if digest is not None}
        where: dict[int, int] = {}
        if kept:
            for position, digest in enumerate(changes.order):
                if digest in kept and digest not in where:
                    where[digest] = position
        rows = []
        for position, row in changes.rows:
            listed_by = listed.get(row[0])
            if listed_by is not None and where.get(listed_by, position) < position:
                continue  # an unchanged row earlier in the list has this address: the first row wins
            rows.append(row)
        ledger.sync(first_rows(rows, {}), whole=False)

    # -- sending --
    def send_due(self) -> None:
        ledger = self.ledger
        done = 0
        total = self.count_due()
        while self.options.limit is None or done < self.options.limit:
            want = (
                self.options.batch if self.options.limit is None else min(self.options.batch, self.options.limit - done)
            )
            claimed = ledger.claim(self.now(), want)
            if not claimed:
                break
            self.gone = self.provider.unsubscribed([due.email for due in claimed])
            try:
                for i, due in enumerate(claimed):
                    if self.report.stopped:
                        for rest in claimed[i:]:
                            ledger.release(rest)
                        return
                    self.one(due)
                    done += 1
                    if self.on_progress:
                        self.on_progress(done, max(total, done))
            finally:
                self.flush()

    def flush(self) -> None:
        """Write down the last accepted send, when no next send came to carry it in its own commit."""
        if self.accepted is not None:
            due, provider_id = self.accepted
            self.accepted = None
            self.ledger.settle(due, "sent", self.now(), provider_id=provider_id)

    def pause(self, seconds: float) -> None:
        self.flush()  # never leave an accepted send unrecorded while waiting
        self.sleep(seconds)

    def count_due(self) -> int:
        rows = self.ledger.query(
            "SELECT count(*) FROM subscribers WHERE listed = 1 AND next_due_at <= ?", (self.now(),)
        )
        return int(rows[0][0])

    def skip_reason(self, due: Due, now: int) -> str | None:
        if due.email in self.gone or due.email in self.audience.unsubscribes:
            return "unsubscribed"
        if due.suppressed:
            return f"suppressed: {due.suppressed}"
        planned = due.due_at()
        assert planned is not None
        if self.cohort and planned < due.signed_up_at:
            return f"before signup: went to the cohort at {iso(planned)}, before this subscriber joined"
        late = now - planned
        if late > self.options.catch_up.total_seconds():
            hours = self.options.catch_up.total_seconds() / 3600
            return f"too late: due {iso(planned)}, outside the {hours:g}-hour catch-up window"
        following = due.due_at(due.position + 1)
        # Two lessons of one subscriber are never sent back to back to catch up: a late lesson whose successor
        # is due as well gives way to it. (Lessons the plan itself puts in one slot both go.)
        if following is not None and planned < following <= now and due.position + 1 < len(self.lessons):
            return f"too late: due {iso(planned)}, and the next lesson ({self.slugs[due.position + 1]}) is due too"
        return None

    def one(self, due: Due) -> None:
        ledger = self.ledger
        now = self.now()
        lesson = self.lessons[due.position]
        reason = self.skip_reason(due, now)
        if reason:
            ledger.settle(due, "skipped", now, lesson=lesson.slug, reason=reason)
            self.report.skip(reason)
            return
        try:
            personal = lesson.fill(Recipient(due.address, due.first_name), datetime.fromtimestamp(now, UTC))
        except UnsafeValue as exc:
            ledger.settle(due, "failed", now, lesson=lesson.slug, reason=f"bad subscriber value: {exc}")
            self.report.failed += 1
            return
        accepted, self.accepted = self.accepted, None
        if not ledger.start(due, lesson.slug, personal.key, self.provider.name, now, sent=accepted):
            return  # another sender took it over
        self.deliver(due, personal)

    def deliver(self, due: Due, personal: Personal) -> None:
        ledger = self.ledger
        attempt = 0
        while True:
            self.limit.wait(self.pause)
            try:
                provider_id = self.provider.send(personal, due.address)
            except Transient as exc:
                attempt += 1
                if attempt <= self.options.retries:
                    self.pause(
                        exc.retry_after if exc.retry_after is not None else self.options.backoff * 2 ** (attempt - 1)
                    )
                    continue
                now = self.now()
                retry_at = now + int(max(60.0, self.options.backoff * 2**attempt))
                ledger.settle(due, "deferred", now, reason=f"{exc.reason} (after {attempt} tries)", retry_at=retry_at)
                self.report.deferred += 1
                self.failing += 1
                if self.failing >= GIVE_UP_AFTER:
                    self.report.stopped = f"{self.provider.name} keeps failing: {exc.reason}"
                return
            except Rejected as exc:
                now = self.now()
                ledger.settle(due, "failed", now, reason=exc.reason)
                if exc.suppress:
                    ledger.suppress(due.email, exc.suppress, now)
                self.report.failed += 1
                return
            except Unknown as exc:
                ledger.settle(due, "unresolved", self.now(), reason=exc.reason)
                self.report.unresolved += 1
                return
            # Written in the commit that starts the next send (or by `flush`): one disk flush per message.
            self.accepted = (due, provider_id)
            self.report.sent += 1
            self.failing = 0
            return
