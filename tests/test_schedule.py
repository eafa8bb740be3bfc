"""The sending schedule: day offsets, send windows, roll-forward and daylight-saving changes; schedule files."""

from __future__ import annotations

import csv
import json
import mailbox
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar

from dripcourse.build import build
from dripcourse.schedule import plan, roll_forward
from dripcourse.syllabus import EmailSpec, Schedule

EVERY_DAY = tuple(range(7))
WEEKDAYS = (0, 1, 2, 3, 4)


def emails(*days: int) -> tuple[EmailSpec, ...]:
    return tuple(EmailSpec(i + 1, day, f"e{i}", f"Email {i}", "", ()) for i, day in enumerate(days))


def test_roll_forward_skips_blocked_days() -> None:
    saturday = date(2026, 3, 7)
    assert roll_forward(saturday, WEEKDAYS) == date(2026, 3, 9)
    assert roll_forward(saturday, EVERY_DAY) == saturday
    assert roll_forward(saturday, (2,)) == date(2026, 3, 11)


def test_cohort_across_the_march_change_keeps_local_time() -> None:
    schedule = Schedule("cohort", "America/New_York", time(9, 0), EVERY_DAY, date(2026, 3, 7))
    slots = plan(schedule, emails(0, 1, 2), datetime(2026, 3, 7, 9, 0))
    assert [s.local.strftime("%Y-%m-%d %H:%M %z") for s in slots] == [
        "2026-03-07 09:00 -0500",
        "2026-03-08 09:00 -0400",
        "2026-03-09 09:00 -0400",
    ]
    assert [s.utc.strftime("%H:%M") for s in slots] == ["14:00", "13:00", "13:00"]


def test_cohort_across_the_november_change_keeps_local_time() -> None:
    schedule = Schedule("cohort", "America/New_York", time(9, 0), EVERY_DAY, date(2026, 10, 31))
    slots = plan(schedule, emails(0, 1, 2), datetime(2026, 10, 31, 9, 0))
    assert [s.utc.strftime("%m-%d %H:%M") for s in slots] == ["10-31 13:00", "11-01 14:00", "11-02 14:00"]


def test_send_time_inside_the_spring_gap_becomes_a_real_instant() -> None:
    schedule = Schedule("cohort", "America/New_York", time(2, 30), EVERY_DAY, date(2026, 3, 7))
    slot = plan(schedule, emails(0, 1), datetime(2026, 3, 7, 2, 30))[1]
    assert slot.local.strftime("%Y-%m-%d %H:%M %z") == "2026-03-08 03:30 -0400"


def test_evergreen_day_0_goes_at_signup_and_a_blocked_day_pushes_the_lessons_after_it() -> None:
    schedule = Schedule("evergreen", "Europe/London", time(7, 30), WEEKDAYS)
    signup = datetime(2026, 3, 6, 22, 15, tzinfo=UTC)  # a Friday evening
    slots = plan(schedule, emails(0, 1, 3), signup)
    # Day 1 (a Saturday) moves to Monday; Day 3 keeps its two days after Day 1, so it goes on Wednesday.
    assert [s.local.strftime("%a %d %H:%M") for s in slots] == ["Fri 06 22:15", "Mon 09 07:30", "Wed 11 07:30"]
    assert [s.delay_days for s in slots] == [0, 1, 2]
    assert [s.rolled_days for s in slots] == [0, 2, 2]


# Signups at noon on each day of the week 2 to 8 March 2026, a course of Days 0-3 on weekdays only.
EVERY_WEEKDAY_SIGNUP = {
    "Mon 02": ["Mon 02 12:00", "Tue 03 07:30", "Wed 04 07:30", "Thu 05 07:30"],
    "Tue 03": ["Tue 03 12:00", "Wed 04 07:30", "Thu 05 07:30", "Fri 06 07:30"],
    "Wed 04": ["Wed 04 12:00", "Thu 05 07:30", "Fri 06 07:30", "Mon 09 07:30"],
    "Thu 05": ["Thu 05 12:00", "Fri 06 07:30", "Mon 09 07:30", "Tue 10 07:30"],
    "Fri 06": ["Fri 06 12:00", "Mon 09 07:30", "Tue 10 07:30", "Wed 11 07:30"],
    "Sat 07": ["Sat 07 12:00", "Mon 09 07:30", "Tue 10 07:30", "Wed 11 07:30"],
    "Sun 08": ["Sun 08 12:00", "Mon 09 07:30", "Tue 10 07:30", "Wed 11 07:30"],
}


def test_signups_on_every_weekday_never_get_two_lessons_in_one_slot() -> None:
    schedule = Schedule("evergreen", "Europe/London", time(7, 30), WEEKDAYS)
    for offset, (label, expected) in enumerate(EVERY_WEEKDAY_SIGNUP.items()):
        signup = datetime(2026, 3, 2 + offset, 12, 0, tzinfo=ZoneInfo("Europe/London"))
        slots = plan(schedule, emails(0, 1, 2, 3), signup)
        assert [s.local.strftime("%a %d %H:%M") for s in slots] == expected, label
        later = [s.local for s in slots[1:]]
        assert later == sorted(set(later)) and all(t.weekday() in WEEKDAYS for t in later)


def test_a_single_send_day_gives_one_lesson_a_week_in_order() -> None:
    schedule = Schedule("cohort", "America/Chicago", time(9, 0), (2,), date(2026, 3, 2))
    slots = plan(schedule, emails(0, 1, 2), datetime(2026, 3, 2, 9, 0))
    assert [s.local.strftime("%a %Y-%m-%d %H:%M %z") for s in slots] == [
        "Wed 2026-03-04 09:00 -0600",
        "Wed 2026-03-11 09:00 -0500",  # after the 8 March change
        "Wed 2026-03-18 09:00 -0500",
    ]


def test_evergreen_across_the_march_change_keeps_local_time_with_pushed_lessons() -> None:
    schedule = Schedule("evergreen", "America/New_York", time(9, 0), WEEKDAYS)
    signup = datetime(2026, 3, 7, 10, 0, tzinfo=ZoneInfo("America/New_York"))  # Saturday before the change
    slots = plan(schedule, emails(0, 1, 2), signup)
    assert [s.utc.strftime("%a %d %H:%M") for s in slots] == ["Sat 07 15:00", "Mon 09 13:00", "Tue 10 13:00"]


def test_per_subscriber_plan_agrees_with_the_schedule(mini_course: Path) -> None:
    import io

    from dripcourse.subscribers import plan_subscribers
    from dripcourse.syllabus import load_syllabus

    syllabus = load_syllabus(mini_course)  # Days 0 and 2, 07:30 Europe/London, Monday to Friday
    sink = io.StringIO()
    plan_subscribers(syllabus, io.StringIO("email,signed_up_at\na@b.example,2026-03-06T12:00:00Z\n"), sink, "s.csv")
    rows = list(csv.DictReader(io.StringIO(sink.getvalue())))
    slots = plan(syllabus.schedule, syllabus.emails, datetime(2026, 3, 6, 12, 0, tzinfo=UTC))
    assert [r["send_at_utc"] for r in rows] == [s.utc.strftime("%Y-%m-%dT%H:%M:%SZ") for s in slots]
    assert [r["send_at_local"][:10] for r in rows] == ["2026-03-06", "2026-03-09"]


def cohort_course(mini_course: Path) -> Path:
    syllabus = mini_course / "syllabus.yaml"
    syllabus.write_text(syllabus.read_text().replace("mode: evergreen", "mode: cohort\n  start_date: 2026-03-27"))
    return mini_course


def test_schedule_csv_and_json_parse_back(mini_course: Path, tmp_path: Path) -> None:
    build(cohort_course(mini_course), tmp_path / "out", date(2026, 1, 1))
    rows = list(csv.DictReader((tmp_path / "out" / "schedule.csv").open(encoding="utf-8-sig")))
    assert [(r["position"], r["slug"], r["day_offset"], r["delay_after_previous_days"]) for r in rows] == [
        ("1", "welcome", "0", "0"),
        ("2", "water-matters", "2", "2"),
    ]
    # Europe/London moves to summer time on 29 March 2026; day 2 (a Sunday) rolls to Monday 30 March.
    assert [(r["local_datetime"], r["utc_datetime"]) for r in rows] == [
        ("2026-03-27T07:30:00+00:00", "2026-03-27T07:30:00Z"),
        ("2026-03-30T07:30:00+01:00", "2026-03-30T06:30:00Z"),
    ]
    assert rows[1]["send_days"] == "mon tue wed thu fri" and rows[1]["eml"] == "emails/02-water-matters.eml"
    document = json.loads((tmp_path / "out" / "schedule.json").read_text())
    assert document["mode"] == "cohort" and document["start_date"] == "2026-03-27"
    assert document["emails"][1]["utc_datetime"] == "2026-03-30T06:30:00Z"


def test_evergreen_schedule_has_no_absolute_times_and_no_calendar(mini_course: Path, tmp_path: Path) -> None:
    build(mini_course, tmp_path / "out", date(2026, 1, 1))
    rows = list(csv.DictReader((tmp_path / "out" / "schedule.csv").open(encoding="utf-8-sig")))
    assert rows[0]["at_signup"] == "true" and rows[0]["local_datetime"] == ""
    assert not (tmp_path / "out" / "course.ics").exists()


def test_cohort_calendar_parses_with_icalendar(mini_course: Path, tmp_path: Path) -> None:
    build(cohort_course(mini_course), tmp_path / "out", date(2026, 1, 1))
    calendar = icalendar.Calendar.from_ical((tmp_path / "out" / "course.ics").read_bytes())
    zones = [tz["TZID"] for tz in calendar.walk("VTIMEZONE")]
    assert zones == ["Europe/London"]
    events = calendar.walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in events] == ["Send: Your first better cup", "Send: The ingredient you forget"]
    start = events[1].decoded("DTSTART")
    assert start.astimezone(UTC) == datetime(2026, 3, 30, 6, 30, tzinfo=UTC)
    assert events[1]["DTSTART"].params["TZID"] == "Europe/London"


def test_mbox_holds_every_message(mini_course: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(mini_course, out, date(2026, 1, 1))
    box = mailbox.mbox(out / "course.mbox")
    assert [m["Subject"] for m in box] == ["Your first better cup", "The ingredient you forget"]
    assert all(m.is_multipart() for m in box)
