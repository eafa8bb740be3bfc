"""One rule for a cohort's times: every email has one instant for everyone, at the send time in the course's zone
from its start date, in schedule.csv, in every subscriber's plan and in the exports. listmonk, the target that
schedules a cohort by instants, documents `send_at` as one timestamp per campaign (its campaigns API) that goes to
the whole list, and refuses one in the past.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from pathlib import Path

import pytest

from conftest import BASE_SYLLABUS, cli, make_course
from dripcourse.export import export

COHORT = BASE_SYLLABUS.replace(
    "mode: evergreen", "mode: cohort\n  start_date: 2027-03-12\n  send_days: [mon, tue, wed, thu, fri]"
).replace('send_time: "08:00"', 'send_time: "07:30"')
SUBSCRIBERS = (
    "email,first_name,signed_up_at,timezone\n"
    "tokyo@readers.example,Aiko,2027-03-01T09:00:00+09:00,Asia/Tokyo\n"
    "early@readers.example,Bea,2027-03-12T06:00:00-05:00,America/New_York\n"  # 90 minutes before lesson 1
    "late@readers.example,Cal,2027-03-12T09:00:00-05:00,\n"  # after lesson 1
)


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


@pytest.fixture
def cohort(tmp_path: Path) -> Path:
    return make_course(tmp_path, COHORT)


def test_plan_schedule_and_listmonk_agree_on_every_instant(cohort: Path, tmp_path: Path) -> None:
    assert cli("build", str(cohort), "--out", str(tmp_path / "out"))[0] == 0
    assert (tmp_path / "out" / "schedule.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # Excel's UTF-8 mark
    schedule = {r["slug"]: r["utc_datetime"] for r in read_csv(tmp_path / "out" / "schedule.csv")}
    assert schedule == {"start": "2027-03-12T12:30:00Z", "keep-going": "2027-03-15T11:30:00Z"}  # 07:30 New York

    files = export("listmonk", cohort, tmp_path / "lm", date(2026, 3, 2))
    campaigns = [json.loads(files[n]) for n in sorted(files) if n.startswith("campaigns/") and "status" not in n]
    assert [c["send_at"] for c in campaigns] == list(schedule.values())

    subscribers = tmp_path / "subs.csv"
    subscribers.write_text(SUBSCRIBERS, encoding="utf-8")
    code, output = cli("schedule", str(cohort), "-s", str(subscribers), "--out", str(tmp_path / "plan.csv"))
    assert code == 0, output
    rows = read_csv(tmp_path / "plan.csv")
    by_person: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_person.setdefault(row["email"], []).append(row)
    for row in rows:
        assert row["send_at_utc"] == schedule[row["slug"]], row
        shown = datetime.fromisoformat(row["send_at_local"])
        assert shown == datetime.fromisoformat(row["send_at_utc"].replace("Z", "+00:00"))
    # The subscriber in Tokyo sees the New York instant in Tokyo time.
    assert [r["send_at_local"] for r in by_person["tokyo@readers.example"]] == [
        "2027-03-12T21:30:00+09:00",
        "2027-03-15T20:30:00+09:00",
    ]
    assert [r["slug"] for r in by_person["early@readers.example"]] == ["start", "keep-going"]
    assert [r["slug"] for r in by_person["late@readers.example"]] == ["keep-going"]


def test_listmonk_refuses_a_cohort_whose_dates_have_passed(tmp_path: Path) -> None:
    past = make_course(tmp_path, COHORT.replace("start_date: 2027-03-12", "start_date: 2026-02-20"))
    code, output = cli("export", "listmonk", str(past), "--out", str(tmp_path / "lm"))
    assert code == 2, output
    assert "listmonk refuses a send time in the past" in output
    assert "before today (2026-03-02), from 01-start at 2026-02-20 12:30 UTC" in output
    assert not (tmp_path / "lm").exists()
    assert cli("export", "kit", str(past), "--out", str(tmp_path / "kit"))[0] == 0


def test_kit_readme_says_its_sequence_has_one_time_zone(tmp_path: Path) -> None:
    files = export("kit", make_course(tmp_path), tmp_path / "kit", date(2026, 3, 2))
    readme = " ".join(files["README.txt"].decode().split())
    assert "A Kit sequence has one time zone (America/New_York)" in readme
    assert "each subscriber's own zone" in readme
