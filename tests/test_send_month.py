"""A simulated month of the shipped course: a signup every hour across six time zones, three daylight-saving
changes (United States, Europe, Australia and New Zealand), and unsubscribes along the way, for a course sent Monday to Friday.

`send --watch` runs against a clock the test controls, through a real SMTP server. What arrives must be exactly
the per-subscriber plan that `dripcourse schedule` writes: every lesson, at its planned second, to everyone
still subscribed at that moment, and nothing else.
"""

from __future__ import annotations

import contextlib
import csv
import io
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from dripcourse.build import load_course
from dripcourse.subscribers import plan_subscribers
from services.smtp import SmtpServer, header, message_id
from services.world import World

ZONES = (
    "America/New_York",
    "Europe/London",
    "Asia/Kolkata",
    "Australia/Sydney",
    "Pacific/Auckland",
    "America/Los_Angeles",
)
START = datetime(2026, 3, 1, 0, 30, tzinfo=UTC)
SIGNUP_HOURS = 30 * 24
END = START + timedelta(days=40)


class EndOfMonth(Exception):
    pass


def test_a_month_of_hourly_signups_matches_the_plan_exactly(tmp_path: Path) -> None:
    people = [
        (f"p{i:03d}@readers.example", f"P{i}", START + timedelta(hours=i), ZONES[i % len(ZONES)])
        for i in range(SIGNUP_HOURS)
    ]
    # Every seventh person unsubscribes two and a half days (and 17 minutes) after signing up.
    leaving = {email: signed + timedelta(days=2, hours=12, minutes=17) for email, _, signed, _ in people[::7]}
    with SmtpServer() as server:
        world = World(tmp_path, server.env())
        world.at(START - timedelta(minutes=1))
        events = sorted({p[2] for p in people} | set(leaving.values()))

        shown = [-1, -1]

        def refresh_lists() -> None:
            now = world.clock_time
            joined = [p for p in people if p[2] <= now]
            left = sorted(e for e, at in leaving.items() if at <= now)
            if [len(joined), len(left)] != shown:
                world.sign_up(joined)
                world.unsubscribe(*left)
                shown[:] = [len(joined), len(left)]

        def step(seconds: float) -> None:
            """The drip sleeps: wake it for its own next send, or earlier when someone signs up or leaves."""
            target = world.now + seconds
            upcoming = [e.timestamp() for e in events if world.now < e.timestamp() < target]
            world.now = min([target, *upcoming])
            if world.now >= END.timestamp():
                raise EndOfMonth
            refresh_lists()

        world.sleep = step  # type: ignore[method-assign]
        refresh_lists()
        with contextlib.suppress(EndOfMonth):
            world.send(watch=True, poll=3600)

        course = load_course(world.course)
        slugs = [e.slug for e in course.syllabus.emails]
        plan = io.StringIO()
        listing = "email,first_name,signed_up_at,timezone\n" + "".join(
            f"{e},{n},{s.isoformat()},{z}\n" for e, n, s, z in people
        )
        plan_subscribers(course.syllabus, io.StringIO(listing), plan, "people.csv")
        expected = set()
        for row in csv.DictReader(io.StringIO(plan.getvalue())):
            at = datetime.fromisoformat(row["send_at_utc"].replace("Z", "+00:00"))
            gone = leaving.get(row["email"])
            if at < END and (gone is None or at < gone):
                expected.add((row["email"], row["slug"], at))
        arrived = []
        for received in server.messages:
            slug = message_id(received.data).strip("<").split(".")[0]
            date = parsedate_to_datetime(header(received.data, "Date")).astimezone(UTC)
            arrived.append((received.recipients[0], slug, date))
        assert len(arrived) == len(set(arrived)), "a lesson arrived twice"
        assert set(arrived) == expected
        assert {slug for _, slug, _ in arrived} == set(slugs)
        # The plan really does cross the changes: New York's 08:00 is 13:00 UTC before 8 March, 12:00 after.
        times = {(email, slug): at for email, slug, at in arrived}
        # Lessons go at 07:30 in each subscriber's own zone, Monday to Friday. In London that is 07:30 UTC
        # before 29 March and 06:30 UTC after it; a lesson due on a weekend is pushed to Monday.
        zones = {email: zone for email, _, _, zone in people}
        london = [
            at for (email, slug), at in times.items() if slug == "water-matters" and zones[email] == "Europe/London"
        ]
        assert {(at.hour, at.minute) for at in london if at.month == 3 and at.day < 29} == {(7, 30)}
        assert {(at.hour, at.minute) for at in london if at.month == 4} == {(6, 30)}
        assert all(
            at.astimezone(ZoneInfo(zones[e])).weekday() < 5 for (e, slug), at in times.items() if slug != "welcome"
        )
        times = {(email, slug): at for email, slug, at in arrived}
        assert len(expected) > 1300
