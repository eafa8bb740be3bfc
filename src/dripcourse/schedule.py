"""When each email goes out: day offsets, a local send time, allowed weekdays, and IANA time zones.

Send times are computed as "local date + local time in the zone", never as a fixed UTC step, so 08:00 stays
08:00 on both sides of a daylight-saving change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dripcourse.csvcells import csv_bytes
from dripcourse.jsonfile import json_bytes
from dripcourse.syllabus import WEEKDAYS, EmailSpec, Schedule


@dataclass(frozen=True)
class SendSlot:
    """One email's place in the schedule for one start (a signup or a cohort's start date)."""

    email: EmailSpec
    delay_days: int  # days after the email before it (the first: after the start)
    local: datetime
    rolled_days: int  # days later than start + day offset, from blocked days on the way

    @property
    def utc(self) -> datetime:
        return self.local.astimezone(UTC)


def roll_forward(day: date, send_days: tuple[int, ...]) -> date:
    """The first allowed weekday on or after `day`."""
    for step in range(7):
        candidate = day + timedelta(days=step)
        if candidate.weekday() in send_days:
            return candidate
    raise ValueError("send_days allows no weekday")


def delays(emails: tuple[EmailSpec, ...]) -> list[int]:
    """Days between each email and the one before it (the first counts from signup)."""
    return [email.day - (emails[i - 1].day if i else 0) for i, email in enumerate(emails)]


def plan(schedule: Schedule, emails: tuple[EmailSpec, ...], start: datetime) -> list[SendSlot]:
    """Send slots for a subscriber (evergreen: `start` is the signup) or a cohort (`start` is the start date).

    The one schedule semantics every output shares: Day 0 of an evergreen course goes out at signup; every
    other email goes out at the send time, its delay in days after the email before it (the first counts from
    the start), on the first allowed weekday on or after that day. A blocked day so pushes the lessons after
    it, as Kit counts each delay from the previous send: two lessons never share a slot and the order is kept.
    """
    zone = ZoneInfo(schedule.time_zone) if start.tzinfo is None else start.tzinfo
    local_start = start.replace(tzinfo=zone) if start.tzinfo is None else start.astimezone(zone)
    slots = []
    previous = local_start.date()
    for email, delay in zip(emails, delays(emails), strict=True):
        if email.day == 0 and schedule.mode == "evergreen":
            slots.append(SendSlot(email, delay, local_start, 0))
            continue
        actual = roll_forward(previous + timedelta(days=delay), schedule.send_days)
        local = datetime.combine(actual, schedule.send_time, tzinfo=zone)
        # Normalise times that fall in a DST gap (02:30 on a spring-forward day) to a real instant.
        local = local.astimezone(UTC).astimezone(zone)
        nominal = local_start.date() + timedelta(days=email.day)
        slots.append(SendSlot(email, delay, local, (actual - nominal).days))
        previous = actual
    return slots


def course_plan(schedule: Schedule, emails: tuple[EmailSpec, ...], preview_date: date) -> list[SendSlot]:
    """The schedule a build shows: a cohort from its start date, an evergreen course for a signup on `preview_date`."""
    first = schedule.start_date if schedule.mode == "cohort" and schedule.start_date else preview_date
    zone = ZoneInfo(schedule.time_zone)
    return plan(schedule, emails, datetime.combine(first, schedule.send_time, tzinfo=zone))


def day_names(send_days: tuple[int, ...]) -> list[str]:
    return [WEEKDAYS[d] for d in send_days]


SCHEDULE_COLUMNS = (
    "position",
    "slug",
    "subject",
    "preheader",
    "day_offset",
    "delay_after_previous_days",
    "at_signup",
    "send_time",
    "time_zone",
    "send_days",
    "local_datetime",
    "utc_datetime",
    "html",
    "text",
    "eml",
)


def schedule_rows(schedule: Schedule, slots: list[SendSlot], files: dict[str, dict[str, str]]) -> list[dict[str, Any]]:
    """One row per email. Absolute date-times only for a cohort: an evergreen course has one per subscriber."""
    rows = []
    for slot in slots:
        email = slot.email
        cohort = schedule.mode == "cohort"
        rows.append(
            {
                "position": email.position,
                "slug": email.slug,
                "subject": email.subject,
                "preheader": email.preheader,
                "day_offset": email.day,
                "delay_after_previous_days": slot.delay_days,
                "at_signup": schedule.mode == "evergreen" and email.day == 0,
                "send_time": schedule.send_time.strftime("%H:%M"),
                "time_zone": schedule.time_zone,
                "send_days": " ".join(day_names(schedule.send_days)),
                "local_datetime": slot.local.isoformat() if cohort else None,
                "utc_datetime": slot.utc.strftime("%Y-%m-%dT%H:%M:%SZ") if cohort else None,
                **files[email.slug],
            }
        )
    return rows


def schedule_csv(rows: list[dict[str, Any]]) -> bytes:
    return csv_bytes(SCHEDULE_COLUMNS, [[row[column] for column in SCHEDULE_COLUMNS] for row in rows], bom=True)


def schedule_settings(schedule: Schedule) -> dict[str, Any]:
    """The schedule as schedule.json and the manifest show it."""
    return {
        "mode": schedule.mode,
        "time_zone": schedule.time_zone,
        "send_time": schedule.send_time.strftime("%H:%M"),
        "send_days": day_names(schedule.send_days),
        "start_date": schedule.start_date.isoformat() if schedule.start_date else None,
    }


def schedule_json(schedule: Schedule, rows: list[dict[str, Any]]) -> bytes:
    return json_bytes({**schedule_settings(schedule), "emails": rows})


def cohort_calendar(title: str, domain: str, slots: list[SendSlot], stamp: datetime) -> bytes:
    """An iCalendar file with one event per send, in the course's zone with its VTIMEZONE."""
    from icalendar import Calendar, Event  # imported here: only cohort builds write a calendar

    calendar = Calendar()
    calendar.add("prodid", "-//dripcourse//course schedule//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", title)
    for slot in slots:
        email = slot.email
        event = Event()
        event.add("uid", f"{email.slug}.{email.position}@{domain}")
        event.add("dtstamp", stamp.astimezone(UTC))
        event.add("dtstart", slot.local)
        event.add("duration", timedelta(minutes=15))
        event.add("summary", f"Send: {email.subject}")
        event.add("description", f"Day {email.day}, email {email.position}: {email.preheader}")
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())
