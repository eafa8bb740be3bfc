"""Per-subscriber plans from a CSV: streaming, bad rows reported with their line, --strict."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dripcourse.build import load_course
from dripcourse.cli import app
from dripcourse.errors import DripcourseError
from dripcourse.subscribers import plan_subscribers

SUBSCRIBERS = """\
email,first_name,signed_up_at,timezone
ann@readers.example,Ann,2026-03-06T22:15:00Z,
"bo@readers.example","Bo, Jr.",2026-03-06 09:00,America/New_York
not-an-address,Cy,2026-03-06T09:00:00Z,
dee@readers.example,Dee,last tuesday,
eve@readers.example,Eve,2026-03-06T09:00:00Z,Europe/Lodnon

fay@readers.example,Fay,2026-03-09T12:00:00+01:00,Asia/Tokyo
"""


def run_plan(mini_course: Path, text: str, strict: bool = False) -> tuple[list[dict[str, str]], list[str]]:
    problems: list[str] = []
    sink = io.StringIO()
    plan_subscribers(
        load_course(mini_course).syllabus,
        io.StringIO(text),
        sink,
        "subs.csv",
        strict=strict,
        on_problem=lambda p: problems.append(str(p)),
    )
    return list(csv.DictReader(io.StringIO(sink.getvalue()))), problems


def test_plan_rows_and_bad_rows(mini_course: Path) -> None:
    rows, problems = run_plan(mini_course, SUBSCRIBERS)
    assert problems == [
        "subs.csv:4: email: not an email address: 'not-an-address'",
        "subs.csv:5: signed_up_at: must be a date-time like 2026-03-02T09:30:00Z, from 1970 to 9000, got 'last tuesday'",
        "subs.csv:6: timezone: unknown IANA time zone 'Europe/Lodnon'",
    ]
    assert [(r["email"], r["slug"], r["send_at_utc"], r["send_at_local"]) for r in rows] == [
        # Ann: course zone (Europe/London); Friday-night signup, day 2 is Sunday -> Monday 07:30.
        ("ann@readers.example", "welcome", "2026-03-06T22:15:00Z", "2026-03-06T22:15:00+00:00"),
        ("ann@readers.example", "water-matters", "2026-03-09T07:30:00Z", "2026-03-09T07:30:00+00:00"),
        # Bo: a naive time is read in his own zone.
        ("bo@readers.example", "welcome", "2026-03-06T14:00:00Z", "2026-03-06T09:00:00-05:00"),
        ("bo@readers.example", "water-matters", "2026-03-09T11:30:00Z", "2026-03-09T07:30:00-04:00"),
        ("fay@readers.example", "welcome", "2026-03-09T11:00:00Z", "2026-03-09T20:00:00+09:00"),
        ("fay@readers.example", "water-matters", "2026-03-10T22:30:00Z", "2026-03-11T07:30:00+09:00"),
    ]
    assert rows[2]["first_name"] == "Bo, Jr."


def test_strict_counts_every_bad_row_as_an_error(mini_course: Path) -> None:
    with pytest.raises(DripcourseError) as caught:
        run_plan(mini_course, SUBSCRIBERS, strict=True)
    assert [str(p) for p in caught.value.problems] == [
        "subs.csv:4: email: not an email address: 'not-an-address'",
        "subs.csv:5: signed_up_at: must be a date-time like 2026-03-02T09:30:00Z, from 1970 to 9000, got 'last tuesday'",
        "subs.csv:6: timezone: unknown IANA time zone 'Europe/Lodnon'",
    ]


def test_strict_lists_the_first_fifty_bad_rows_and_counts_the_rest(mini_course: Path) -> None:
    rows = "".join(f"bad{n},X,2026-03-06T09:00:00Z,\n" for n in range(70))
    with pytest.raises(DripcourseError) as caught:
        run_plan(mini_course, "email,first_name,signed_up_at,timezone\n" + rows, strict=True)
    shown = [str(p) for p in caught.value.problems]
    assert len(shown) == 51
    assert shown[-1] == "subs.csv: and 20 more bad rows"


def test_missing_column_is_an_error(mini_course: Path) -> None:
    with pytest.raises(DripcourseError) as caught:
        run_plan(mini_course, "email,first_name\nann@readers.example,Ann\n")
    assert str(caught.value) == "subs.csv:1: missing column(s) signed_up_at; found email, first_name"


def test_cohort_late_joiner_gets_only_the_emails_to_come(mini_course: Path) -> None:
    syllabus = mini_course / "syllabus.yaml"
    syllabus.write_text(syllabus.read_text().replace("mode: evergreen", "mode: cohort\n  start_date: 2026-03-02"))
    rows, _ = run_plan(mini_course, "email,signed_up_at\nann@readers.example,2026-03-03T12:00:00Z\n")
    assert [(r["slug"], r["send_at_utc"]) for r in rows] == [("water-matters", "2026-03-04T07:30:00Z")]


def test_cli_writes_the_plan_reports_skips_and_never_overwrites(mini_course: Path, tmp_path: Path) -> None:
    subs = tmp_path / "subs.csv"
    subs.write_text(SUBSCRIBERS)
    plan = tmp_path / "plan.csv"
    args = ["schedule", str(mini_course), "--subscribers", str(subs), "--out", str(plan)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Planned 6 sends for 3 subscribers into {plan}; skipped 3 bad rows\n"
    assert result.stderr.splitlines()[0] == f"Skipped: {subs}:4: email: not an email address: 'not-an-address'"
    assert len(plan.read_text().splitlines()) == 7
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 1
    assert again.stderr == f"Error: {plan}: already exists; pass --force to replace it\n"
    strict = CliRunner().invoke(app, [*args, "--force", "--strict"])
    assert strict.exit_code == 2
    assert len(plan.read_text().splitlines()) == 7, "a failed run leaves the previous plan whole"
    assert not list(tmp_path.glob(".plan.csv.partial"))


def test_memory_stays_flat_on_a_long_list(mini_course: Path) -> None:
    """Ten times the subscribers must not mean more memory: rows are streamed, only a bounded cache is kept, and
    the duplicate check holds an 8-byte digest per address (up to 20 bytes with its table's free slots)."""
    import tracemalloc

    syllabus = load_course(mini_course).syllabus

    def peak_for(count: int) -> int:
        lines = ["email,signed_up_at"] + [
            f"r{n}@readers.example,2026-0{1 + n % 9}-1{n % 10}T08:00:00Z" for n in range(count)
        ]
        source = io.StringIO("\n".join(lines) + "\n")
        del lines
        tracemalloc.start()
        plan_subscribers(syllabus, source, _NullSink(), "subs.csv")
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return peak

    small, large = peak_for(2_000), peak_for(20_000)
    assert large < small * 1.5 + 256 * 1024 + 20 * 20_000, (small, large)


class _NullSink(io.StringIO):
    def write(self, text: str) -> int:
        return len(text)
