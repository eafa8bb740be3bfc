"""A small world for send tests: a course folder, a subscriber list, unsubscribes, and a clock the test moves."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dripcourse.drip import session
from dripcourse.drip.runner import RunReport, SendOptions

SECRET = "a-test-secret-of-enough-length"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REPO = Path(__file__).resolve().parents[2]


@dataclass
class World:
    root: Path
    env: dict[str, str]
    via: str = "smtp"
    course_name: str = "mini"
    now: float = datetime(2026, 3, 2, 12, 0, tzinfo=UTC).timestamp()  # a Monday
    sleeps: list[float] = field(default_factory=list)
    ledger: str | None = None

    def __post_init__(self) -> None:
        source = REPO / "course" if self.course_name == "shipped" else FIXTURES / self.course_name
        self.course = self.root / "course"
        if not self.course.exists():
            shutil.copytree(source, self.course)
        self.subscribers = self.root / "subscribers.csv"
        self.unsubscribes = self.root / "unsubscribes.csv"
        self.unsubscribes.write_text("email\n", encoding="utf-8")
        self.env = {**self.env, "DRIPCOURSE_UNSUBSCRIBE_SECRET": SECRET}

    @property
    def clock_time(self) -> datetime:
        return datetime.fromtimestamp(self.now, UTC)

    def at(self, when: datetime) -> None:
        self.now = when.timestamp()

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta).total_seconds()

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def sign_up(self, rows: list[tuple[str, str, datetime, str]]) -> None:
        """Write the list: (email, first name, signed up at, zone)."""
        lines = ["email,first_name,signed_up_at,timezone"]
        lines += [f"{e},{n},{s.isoformat()},{z}" for e, n, s, z in rows]
        self.subscribers.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def unsubscribe(self, *emails: str) -> None:
        self.unsubscribes.write_text("email\n" + "".join(f"{e}\n" for e in emails), encoding="utf-8")

    def send(self, **options: Any) -> RunReport:
        watch = options.pop("watch", False)
        return session.send(
            self.course,
            self.via,
            self.env,
            ledger=self.ledger,
            subscribers=self.subscribers,
            unsubscribes=self.unsubscribes,
            options=SendOptions(**options),
            watch=watch,
            clock=lambda: self.now,
            sleep=self.sleep,
        )
