"""Bad syllabus and source input: one exact message per problem, naming file, line, column and field."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import BASE_SOURCE, BASE_SYLLABUS, make_course, named
from dripcourse.build import load_course
from dripcourse.cli import app
from dripcourse.errors import DripcourseError

# (name, text to replace in the base syllabus, replacement, expected problems without the "<syllabus path>:" prefix)
SYLLABUS_CASES = [
    (
        "unknown field",
        "  title: Quiet",
        "  titel: Quiet",
        ["2:3: course.titel: unknown field (did you mean 'title'?)", "2:3: course: missing required field 'title'"],
    ),
    (
        "yaml syntax",
        "  language: en\n",
        "  language: [en\n",
        ["4:9: YAML syntax error: expected ',' or ']', but got ':'"],
    ),
    (
        "time zone",
        "America/New_York",
        "America/New_Yrok",
        ["12:14: schedule.time_zone: unknown IANA time zone 'America/New_Yrok' (did you mean 'America/New_York'?)"],
    ),
    (
        "send time",
        'send_time: "08:00"',
        'send_time: "25:00"',
        ["13:14: schedule.send_time: must be a time of day like '08:00', got '25:00'"],
    ),
    (
        "unknown section",
        "habits#wake-up]",
        "habits#wake-upp]",
        ["21:30: emails[0].sections[1]: source 'habits' has no section 'wake-upp' (did you mean 'wake-up'?)"],
    ),
    (
        "unknown source",
        "[habits#evening]",
        "[habit#evening]",
        ["26:16: emails[1].sections[0]: unknown source 'habit' (did you mean 'habits'?)"],
    ),
    (
        "header injection",
        "subject: Start small",
        'subject: "Start small\\r\\nBcc: all@example.com"',
        ["19:14: emails[0].subject: contains a control character ('\\r'); it must be one line"],
    ),
    (
        "duplicate slug",
        "slug: keep-going",
        "slug: start",
        ["22:5: emails[1].slug: 'start' is already used by emails[0]"],
    ),
    ("duplicate day", "  - day: 1\n", "  - day: 0\n", ["22:5: emails[1].day: day 0 is already used by emails[0]"]),
    (
        "days out of order",
        "  - day: 0\n",
        "  - day: 3\n",
        ["22:5: emails[1].day: day 1 comes before day 3; list emails in day order"],
    ),
    (
        "bad sender email",
        "email: ada@quiet-mornings.example",
        "email: ada-at-quiet-mornings",
        ["6:12: course.sender.email: is not an email address: 'ada-at-quiet-mornings'"],
    ),
    (
        "relative unsubscribe url",
        "unsubscribe_url: https://quiet-mornings.example/unsubscribe",
        "unsubscribe_url: /unsubscribe",
        ["8:20: course.unsubscribe_url: must be an absolute http(s) URL, got '/unsubscribe'"],
    ),
    ("missing subject", "    subject: Keep going\n", "", ["22:5: emails[1]: missing required field 'subject'"]),
    (
        "cohort without start",
        "mode: evergreen",
        "mode: cohort",
        ["11:3: schedule: a cohort schedule needs 'start_date'"],
    ),
    (
        "unknown mode",
        "mode: evergreen",
        "mode: evergren",
        ["11:9: schedule.mode: must be 'evergreen' or 'cohort', got 'evergren' (did you mean 'evergreen'?)"],
    ),
    (
        "bad weekday",
        'send_time: "08:00"\n',
        'send_time: "08:00"\n  send_days: [mon, funday]\n',
        ["14:20: schedule.send_days[1]: must be a weekday (mon ... sun), got 'funday'"],
    ),
    (
        "bad brand colour",
        "  language: en\n",
        "  language: en\n  brand_color: purple\n",
        ["4:16: course.brand_color: must be a hex colour like '#7b3f61', got 'purple'"],
    ),
    (
        "reference without #",
        "[habits#evening]",
        "[habits-evening]",
        ["26:16: emails[1].sections[0]: must be 'source-id#section-id', got 'habits-evening'"],
    ),
    (
        "day not a number",
        "  - day: 1\n",
        "  - day: one\n",
        ["22:10: emails[1].day: must be a whole number of days after signup, got 'one'"],
    ),
    ("negative day", "  - day: 1\n", "  - day: -1\n", ["22:10: emails[1].day: must be from 0 to 3650, got -1"]),
    (
        "unknown merge tag",
        "    sections: [habits#evening]\n",
        "    sections: [habits#evening]\n    intro: Hello {{ firstname }}!\n",
        ["27:18: emails[1].intro: unknown merge tag 'firstname' (did you mean 'first_name'?)"],
    ),
    (
        "emails not a list",
        "emails:\n",
        "emails: many\nold_emails:\n",
        ["17:1: old_emails: unknown field (did you mean 'emails'?)", "16:9: emails: must be a list, got 'many'"],
    ),
    (
        "source path leaves folder",
        "habits: sources/habits.md",
        "habits: ../habits.md",
        ["15:11: sources.habits: must be a path inside the course folder, got '../habits.md'"],
    ),
    (
        "source file missing",
        "habits: sources/habits.md",
        "habits: sources/habbits.md",
        ["15:11: sources.habits: file not found: {course}/sources/habbits.md"],
    ),
    (
        "control character in name",
        "name: Ada Rowe",
        'name: "Ada\\x07Rowe"',
        ["5:11: course.sender.name: contains a control character ('\\x07'); it must be one line"],
    ),
]


def problems_for(course: Path) -> list[str]:
    with pytest.raises(DripcourseError) as caught:
        load_course(course)
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize(("old", "new", "expected"), named(SYLLABUS_CASES))
def test_syllabus_problem_is_reported_exactly(tmp_path: Path, old: str, new: str, expected: list[str]) -> None:
    assert old in BASE_SYLLABUS
    course = make_course(tmp_path, BASE_SYLLABUS.replace(old, new, 1))
    syllabus = course / "syllabus.yaml"
    assert sorted(problems_for(course)) == sorted(f"{syllabus}:{e.format(course=course)}" for e in expected)


SOURCE_CASES = [
    (
        "duplicate section id",
        BASE_SOURCE + "\n## Evening, again {#evening}\n\nAgain.\n",
        [
            "15: section: section id 'evening' is already used at line 11; give one of them an explicit id with {#new-id}"
        ],
    ),
    (
        "bad front matter",
        BASE_SOURCE.replace("title: Morning Habits", "title: [Morning"),
        ["2:16: YAML syntax error: expected ',' or ']', but got '<stream end>'"],
    ),
    (
        "unknown front matter field",
        BASE_SOURCE.replace("title: Morning Habits", "title: M\nauthr: Ada"),
        ["3:1: authr: unknown field (did you mean 'author'?)"],
    ),
    (
        "unknown merge tag in source",
        BASE_SOURCE.replace("Pick a", "Pick, {{ name }}, a"),
        ["9:7: unknown merge tag 'name'"],
    ),
    ("empty source", "", ["has no content: write some text, with '## ' headings for sections"]),
]


@pytest.mark.parametrize(("text", "expected"), named(SOURCE_CASES))
def test_source_problem_is_reported_exactly(tmp_path: Path, text: str, expected: list[str]) -> None:
    course = make_course(tmp_path, sources={"habits.md": text})
    source = course / "sources" / "habits.md"
    got = problems_for(course)
    assert got == [f"{source}:{e}" if e[0].isdigit() else f"{source}: {e}" for e in expected]


def test_non_utf8_source_names_the_line(tmp_path: Path) -> None:
    course = make_course(tmp_path)
    (course / "sources" / "habits.md").write_bytes("Line one\nCaf\xe9 au lait\n".encode("cp1252"))
    source = course / "sources" / "habits.md"
    assert problems_for(course) == [f"{source}:2: is not UTF-8 (byte 0xe9); save it as UTF-8"]


def test_binary_source_is_refused(tmp_path: Path) -> None:
    course = make_course(tmp_path)
    (course / "sources" / "habits.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    assert problems_for(course) == [f"{course / 'sources' / 'habits.md'}: looks like a binary file, not text"]


def test_symlinked_source_outside_the_course_is_refused(tmp_path: Path) -> None:
    course = make_course(tmp_path)
    outside = tmp_path / "secret.md"
    outside.write_text("## Secret\n\nnot for the course\n")
    (course / "sources" / "habits.md").unlink()
    (course / "sources" / "habits.md").symlink_to(outside)
    assert problems_for(course) == [
        f"{course / 'syllabus.yaml'}:15:11: sources.habits: sources/habits.md leads outside the course folder"
    ]


def test_all_problems_are_collected_in_one_run(tmp_path: Path) -> None:
    broken = BASE_SYLLABUS.replace("America/New_York", "Mars/Base").replace("slug: keep-going", "slug: Keep Going")
    course = make_course(tmp_path, broken)
    assert len(problems_for(course)) == 2


def test_missing_syllabus(tmp_path: Path) -> None:
    assert problems_for(tmp_path) == [f"{tmp_path / 'syllabus.yaml'}: no syllabus here (is this a course folder?)"]


def test_empty_syllabus(tmp_path: Path) -> None:
    course = make_course(tmp_path, "# nothing yet\n")
    assert problems_for(course) == [f"{course / 'syllabus.yaml'}: the syllabus is empty"]


def test_cli_prints_problems_without_traceback_and_exits_2(tmp_path: Path) -> None:
    course = make_course(tmp_path, BASE_SYLLABUS.replace("America/New_York", "America/New_Yrok"))
    result = CliRunner().invoke(app, ["build", str(course), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {course / 'syllabus.yaml'}:12:14: schedule.time_zone: unknown IANA time zone "
        "'America/New_Yrok' (did you mean 'America/New_York'?)\n"
    )
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_cli_lists_several_problems(tmp_path: Path) -> None:
    course = make_course(tmp_path, BASE_SYLLABUS.replace("mode: evergreen", "mode: cohort").replace("day: 1", "day: 0"))
    result = CliRunner().invoke(app, ["build", str(course), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "Error: 2 problems found:",
        f"  {course / 'syllabus.yaml'}:11:3: schedule: a cohort schedule needs 'start_date'",
        f"  {course / 'syllabus.yaml'}:22:5: emails[1].day: day 0 is already used by emails[0]",
    ]


def readme_example(opening: str) -> str:
    """The fenced block of the README that starts with `opening`."""
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    start = readme.index("```\n" + opening) + 4
    return readme[start : readme.index("```", start)]


def test_the_readme_example_of_two_problems_in_two_stages_happens_exactly(tmp_path: Path) -> None:
    """A syllabus problem (a time zone) and a reference problem (a section the source lacks) come in one report:
    the reference is checked against the source even though the syllabus itself did not read cleanly."""
    head = BASE_SYLLABUS.split("sources:")[0].replace("America/New_York", "America/New_Yrok")
    lines = [*head.splitlines(), "sources:", "  space: sources/space.md", "emails:"]
    lines += ["  - day: 0", "    slug: welcome", "    subject: Room to breathe", "    intro: |"]
    while len(lines) < 34:
        lines.append("      Space is not a verdict on the two of you.")
    lines += ["    sections: [space#intro]", "  - day: 2", "    slug: talk", "    subject: Saying it plainly"]
    lines += ["    sections:", "      - space#comunicate"]
    assert lines[39] == "      - space#comunicate"  # line 40, column 9, as the README shows it
    source = "Some distance is ordinary.\n\n## Communicate\n\nSay what you need in one sentence.\n"
    make_course(tmp_path, "\n".join(lines) + "\n", {"space.md": source})
    result = subprocess.run(
        [sys.executable, "-m", "dripcourse", "build", "course"], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert result.stderr == readme_example("Error: 2 problems found:")
    assert not (tmp_path / "out").exists()


def test_source_problems_come_with_syllabus_problems(course_factory) -> None:  # type: ignore[no-untyped-def]
    syllabus = BASE_SYLLABUS.replace('send_time: "08:00"', 'send_time: "25:00"')
    course = course_factory(syllabus, {"habits.md": BASE_SOURCE.replace("---\n\nA calm", "title: [\n---\n\nA calm")})
    with pytest.raises(DripcourseError) as caught:
        load_course(course)
    shown = [str(p) for p in caught.value.problems]
    assert shown[0].endswith("syllabus.yaml:13:14: schedule.send_time: must be a time of day like '08:00', got '25:00'")
    assert any("habits.md:" in p for p in shown[1:]), shown
