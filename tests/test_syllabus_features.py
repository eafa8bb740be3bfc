"""Syllabus features an editor needs: a section's heading replaced or hidden per email, article numbering kept out
of headings unless asked for, and coverage by idea in `dripcourse sources`."""

from __future__ import annotations

from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import make_course, named
from dripcourse.assemble import without_number
from dripcourse.build import load_course, render_course
from dripcourse.cli import app
from dripcourse.errors import DripcourseError
from dripcourse.model import BuiltEmail

# The section under test goes on line 15, ideas from line 20 on, so every expected position below is fixed.
SYLLABUS = """\
course:
  title: Quiet Mornings
  sender: {{name: Ada Rowe, email: ada@quiet-mornings.example}}
  postal_address: 4 Dawn Street, Bristol BS1 5TR
  unsubscribe_url: https://quiet-mornings.example/unsubscribe
  website: https://quiet-mornings.example
sources:
  habits: sources/habits.md
emails:
  - day: 0
    slug: start
    subject: Start small
    sections:
      - habits#intro
      - {section}
  - day: 1
    slug: evening
    subject: The evening
    sections: [habits#evening]
{ideas}"""

SOURCE = """\
---
title: Morning Habits
---

A calm morning is built the night before, one small choice at a time.

## 1. Wake up at one time {#wake-up}

Pick a wake-up time you can keep on weekends too.

## 2) The evening sets the morning {#evening}

Put the phone in another room and lay out tomorrow's clothes.

## Step 3: Keep a glass of water by the bed {#water}

Drink it before coffee.
"""


def course_with(tmp_path: Path, section: str = "habits#wake-up", ideas: str = "", numbers: str = "") -> Path:
    text = SYLLABUS.format(section=section, ideas=ideas)
    if numbers:
        text = text.replace("  website:", f"  heading_numbers: {numbers}\n  website:")
    return make_course(tmp_path, text, {"habits.md": SOURCE})


def built(course: Path) -> list[BuiltEmail]:
    return render_course(load_course(course), date(2026, 3, 2))


class Headings(HTMLParser):
    """The text of every <h2> in an email, as a browser's DOM would hold it."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.inside = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "h2":
            self.inside = True
            self.found.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2":
            self.inside = False

    def handle_data(self, data: str) -> None:
        if self.inside:
            self.found[-1] += data


def h2s(email: BuiltEmail) -> list[str]:
    return Headings(email.html).found


def problems_for(course: Path) -> list[str]:
    with pytest.raises(DripcourseError) as caught:
        load_course(course)
    prefix = f"{course / 'syllabus.yaml'}:"
    return [str(p).removeprefix(prefix) for p in caught.value.problems]


# --- headings --------------------------------------------------------------------------------------------------


def test_article_numbering_is_not_shown_by_default(tmp_path: Path) -> None:
    first, second = built(course_with(tmp_path))
    assert h2s(first) == ["Morning Habits", "Wake up at one time"]
    assert h2s(second) == ["The evening sets the morning"]
    assert "Wake up at one time\n-------------------\n" in first.text
    assert "1. Wake" not in first.text and "1. Wake" not in first.html


def test_heading_numbers_true_keeps_the_sources_numbering(tmp_path: Path) -> None:
    first, second = built(course_with(tmp_path, numbers="true"))
    assert h2s(first) == ["Morning Habits", "1. Wake up at one time"]
    assert h2s(second) == ["2) The evening sets the morning"]


def test_a_reference_can_replace_the_heading(tmp_path: Path) -> None:
    first, _ = built(course_with(tmp_path, '{ref: habits#wake-up, heading: "Set one alarm, & keep it"}'))
    assert h2s(first) == ["Morning Habits", "Set one alarm, & keep it"]
    assert "Set one alarm, &amp; keep it" in first.html
    assert "Set one alarm, & keep it\n------------------------\n\nPick a wake-up time" in first.text
    assert "Wake up at one time" not in first.text


def test_a_replaced_heading_is_shown_as_written_even_with_a_number(tmp_path: Path) -> None:
    first, _ = built(course_with(tmp_path, '{ref: habits#wake-up, heading: "1. Set one alarm"}'))
    assert h2s(first) == ["Morning Habits", "1. Set one alarm"]


def test_a_reference_can_hide_the_heading_and_keep_the_text(tmp_path: Path) -> None:
    first, _ = built(course_with(tmp_path, "{ref: habits#wake-up, heading: false}"))
    assert h2s(first) == ["Morning Habits"]
    assert "Pick a wake-up time you can keep on weekends too." in first.html
    assert "Wake up" not in first.text
    assert "one small choice at a time.\n\nPick a wake-up time" in first.text


def test_heading_true_is_the_sources_heading(tmp_path: Path) -> None:
    first, _ = built(course_with(tmp_path, "{ref: habits#wake-up, heading: true}"))
    assert h2s(first) == ["Morning Habits", "Wake up at one time"]


def test_word_count_counts_the_heading_the_reader_sees(tmp_path: Path) -> None:
    hidden = load_course(course_with(tmp_path / "a", "{ref: habits#wake-up, heading: false}")).lessons[0]
    shown = load_course(course_with(tmp_path / "b")).lessons[0]
    assert shown.word_count - hidden.word_count == 5  # "Wake up at one time"


def test_the_manifest_still_lists_plain_references(tmp_path: Path) -> None:
    course = course_with(tmp_path, "{ref: habits#wake-up, heading: Set one alarm}")
    result = CliRunner().invoke(app, ["build", str(course), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert '"habits#wake-up"' in (tmp_path / "out" / "manifest.json").read_text()


@pytest.mark.parametrize(
    ("heading", "shown"),
    [
        ("1. Talk about it", "Talk about it"),
        ("2) Talk", "Talk"),
        ("3: Talk", "Talk"),
        ("4 - Talk", "Talk"),
        ("5 \u2013 Talk", "Talk"),
        ("#6 Talk", "Talk"),
        ("Step 7: Talk", "Talk"),
        ("Reason #8 - Talk", "Talk"),
        ("10. Ten", "Ten"),
        # numbers that belong to the words stay
        ("3 things he needs", "3 things he needs"),
        ("1.5 million letters", "1.5 million letters"),
        ("1-2 hours a day", "1-2 hours a day"),
        ("2024: the year", "2024: the year"),
        ("Why 1. matters", "Why 1. matters"),
        ("1.", "1."),
    ],
)
def test_without_number(heading: str, shown: str) -> None:
    assert without_number(heading) == shown


HEADING_ERRORS = [
    (
        "yaml 1.1 no",
        "{ref: habits#wake-up, heading: no}",
        [
            "15:40: emails[0].sections[1].heading: write false to hide the heading, or quote 'no' to show it as the heading"
        ],
    ),
    (
        "empty heading",
        '{ref: habits#wake-up, heading: ""}',
        ["15:40: emails[0].sections[1].heading: must not be empty; write 'heading: false' to hide the heading"],
    ),
    (
        "null heading",
        "{ref: habits#wake-up, heading: ~}",
        ["15:40: emails[0].sections[1].heading: must not be empty; write 'heading: false' to hide the heading"],
    ),
    (
        "list heading",
        "{ref: habits#wake-up, heading: [a, b]}",
        ["15:40: emails[0].sections[1].heading: must be the heading text, or false to hide it, got a list"],
    ),
    (
        "control character",
        '{ref: habits#wake-up, heading: "One\\rTwo"}',
        ["15:40: emails[0].sections[1].heading: contains a control character ('\\r'); it must be one line"],
    ),
    ("no ref", "{heading: Set one alarm}", ["15:9: emails[0].sections[1]: missing required field 'ref'"]),
    (
        "misspelt field",
        "{ref: habits#wake-up, heding: Set one alarm}",
        ["15:31: emails[0].sections[1].heding: unknown field (did you mean 'heading'?)"],
    ),
    (
        "ref without #",
        "{ref: habits-wake-up}",
        ["15:15: emails[0].sections[1].ref: must be 'source-id#section-id', got 'habits-wake-up'"],
    ),
    (
        "unknown source",
        "{ref: habit#wake-up}",
        ["15:15: emails[0].sections[1].ref: unknown source 'habit' (did you mean 'habits'?)"],
    ),
    (
        "unknown section",
        "{ref: habits#wake-upp, heading: false}",
        ["15:15: emails[0].sections[1]: source 'habits' has no section 'wake-upp' (did you mean 'wake-up'?)"],
    ),
    ("numbers switch", "habits#wake-up", ["6:20: course.heading_numbers: must be true or false, got 'maybe'"]),
]


@pytest.mark.parametrize(("section", "expected"), named(HEADING_ERRORS))
def test_section_reference_problems_are_reported_exactly(tmp_path: Path, section: str, expected: list[str]) -> None:
    numbers = "maybe" if expected[0].startswith("6:") else ""
    assert problems_for(course_with(tmp_path, section, numbers=numbers)) == expected


# --- ideas -----------------------------------------------------------------------------------------------------

IDEAS = """\
ideas:
  routine-starts-at-night:
    summary: A calm morning is set up the evening before.
    sections: [habits#intro, habits#evening]
  same-time-every-day: [habits#wake-up]
  water-first: [habits#water]
"""


def row(section: str, words: int, status: str) -> str:
    """One line of `dripcourse sources`: the section id in 32 columns, its words in 4, then who uses it."""
    return f"  {section:<32} {words:>4} words  {status}"


def sources_output(course: Path, *args: str) -> tuple[int, list[str]]:
    result = CliRunner().invoke(app, ["sources", str(course), *args])
    return result.exit_code, result.output.splitlines()


def test_sources_reports_every_idea_and_the_emails_that_cover_it(tmp_path: Path) -> None:
    course = course_with(tmp_path, ideas=IDEAS)
    code, lines = sources_output(course)
    assert code == 0
    assert lines[1:] == [
        row("intro", 14, "day 0 start"),
        row("wake-up", 10, "day 0 start"),
        row("evening", 11, "day 1 evening"),
        row("water", 4, "UNUSED"),
        f"ideas  {course / 'syllabus.yaml'}",
        "  routine-starts-at-night          day 0 start, day 1 evening",
        "      A calm morning is set up the evening before.",
        "  same-time-every-day              day 0 start",
        "  water-first                      UNCOVERED (in habits#water)",
        "4 sections, 3 used, 0 left out with their ideas covered, 1 unused",
        "3 ideas, 2 covered, 1 uncovered",
    ]


def test_strict_fails_on_an_uncovered_idea(tmp_path: Path) -> None:
    # habits#water carries two ideas; the first is covered by the evening email, the second by no email.
    ideas = IDEAS.replace("[habits#intro, habits#evening]", "[habits#intro, habits#evening, habits#water]")
    code, lines = sources_output(course_with(tmp_path, ideas=ideas), "--strict")
    assert code == 1
    assert row("water", 4, "UNUSED") in lines
    assert lines[-1] == "3 ideas, 2 covered, 1 uncovered"


def test_a_section_left_out_whose_ideas_are_covered_elsewhere_is_not_lost(tmp_path: Path) -> None:
    ideas = IDEAS.replace("water-first: [habits#water]", "water-first: [habits#water, habits#evening]")
    code, lines = sources_output(course_with(tmp_path, ideas=ideas), "--strict")
    assert code == 0, lines
    assert row("water", 4, "left out; its ideas are covered: water-first") in lines
    assert lines[-2:] == [
        "4 sections, 3 used, 1 left out with their ideas covered, 0 unused",
        "3 ideas, 3 covered, 0 uncovered",
    ]


def test_strict_still_fails_on_a_section_no_idea_names(tmp_path: Path) -> None:
    ideas = IDEAS.replace("  water-first: [habits#water]\n", "")
    code, lines = sources_output(course_with(tmp_path, ideas=ideas), "--strict")
    assert code == 1
    assert lines[-2:] == [
        "4 sections, 3 used, 0 left out with their ideas covered, 1 unused",
        "2 ideas, 2 covered, 0 uncovered",
    ]


def test_without_ideas_the_report_is_by_section_only(tmp_path: Path) -> None:
    code, lines = sources_output(course_with(tmp_path), "--strict")
    assert code == 1
    assert lines[-1] == "4 sections, 3 used, 1 unused"
    assert not any(line.startswith("ideas") for line in lines)


IDEA_ERRORS = [
    ("not a mapping", "ideas: [habits#intro]\n", ["20:8: ideas: must be a mapping of idea-id: sections"]),
    (
        "bad id",
        "ideas:\n  Water First: [habits#water]\n",
        ["21:3: ideas.Water First: an idea id must be lowercase letters, digits and single hyphens"],
    ),
    (
        "given twice",
        "ideas:\n  water: [habits#water]\n  water: [habits#intro]\n",
        ["22:3: ideas.water: is given twice (first at line 21)"],
    ),
    (
        "empty list",
        "ideas:\n  water: []\n",
        ["21:10: ideas.water: must list at least one 'source-id#section-id'"],
    ),
    ("no sections", "ideas:\n  water:\n", ["21:9: ideas.water: must list at least one 'source-id#section-id'"]),
    ("scalar", "ideas:\n  water: habits#water\n", ["21:10: ideas.water: must be a list, got 'habits#water'"]),
    (
        "unknown source",
        "ideas:\n  water: [habit#water]\n",
        ["21:11: ideas.water[0]: unknown source 'habit' (did you mean 'habits'?)"],
    ),
    (
        "unknown section",
        "ideas:\n  water:\n    summary: Water first.\n    sections: [habits#intro, habits#watr]\n",
        ["23:30: ideas.water.sections[1]: source 'habits' has no section 'watr' (did you mean 'water'?)"],
    ),
    (
        "listed twice",
        "ideas:\n  water: [habits#water, habits#water]\n",
        ["21:25: ideas.water[1]: 'habits#water' is listed twice"],
    ),
    (
        "long form without sections",
        "ideas:\n  water:\n    summary: Water first.\n",
        ["22:5: ideas.water: missing required field 'sections'"],
    ),
    (
        "misspelt field",
        "ideas:\n  water:\n    summery: Water first.\n    sections: [habits#water]\n",
        ["22:5: ideas.water.summery: unknown field (did you mean 'summary'?)"],
    ),
    (
        "no # in reference",
        "ideas:\n  water:\n    sections: [habits-water]\n",
        ["22:16: ideas.water.sections[0]: must be 'source-id#section-id', got 'habits-water'"],
    ),
]


@pytest.mark.parametrize(("ideas", "expected"), named(IDEA_ERRORS))
def test_idea_problems_are_reported_exactly(tmp_path: Path, ideas: str, expected: list[str]) -> None:
    assert problems_for(course_with(tmp_path, ideas=ideas)) == expected


def test_a_broken_idea_reference_stops_the_build_with_exit_2(tmp_path: Path) -> None:
    course = course_with(tmp_path, ideas="ideas:\n  water: [habits#watr]\n")
    result = CliRunner().invoke(app, ["build", str(course), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {course / 'syllabus.yaml'}:21:11: ideas.water[0]: source 'habits' has no section 'watr' "
        "(did you mean 'water'?)\n"
    )
    assert not (tmp_path / "out").exists()


def test_check_reports_a_broken_idea_reference_on_the_course(tmp_path: Path) -> None:
    course = course_with(tmp_path, ideas="ideas:\n  water: [habits#watr]\n")
    result = CliRunner().invoke(app, ["check", str(course)])
    assert result.exit_code == 1
    assert (
        "error: course: ideas.water[0]: source 'habits' has no section 'watr' (did you mean 'water'?)"
        in result.output.splitlines()
    )


# --- the safety note and links to call or text -------------------------------------------------------------------


NOTE_SYLLABUS = SYLLABUS.replace(
    "    subject: Start small\n",
    "    subject: Start small\n"
    "    intro: Welcome to the first morning.\n"
    "    note: If you are not safe, text [88788](sms:+88788) or call [0800 555 0100](tel:+448005550100).\n"
    "    action: Pick one time for tomorrow. [Call me](skype:ada.rowe?call)\n",
)


def note_course(tmp_path: Path) -> Path:
    return make_course(tmp_path, NOTE_SYLLABUS.format(section="habits#wake-up", ideas=""), {"habits.md": SOURCE})


def test_the_note_is_a_callout_right_after_the_intro_in_html_and_text(tmp_path: Path) -> None:
    email = built(note_course(tmp_path))[0]
    html = email.html
    intro, note, action = (html.index(s) for s in ("Welcome to the first morning", "If you are not safe", "Try this"))
    assert intro < note < action
    cell = html.rindex("<td", 0, note)
    assert 'class="note-cell"' in html[cell : html.index(">", cell)]
    text = email.text
    assert text.index("Welcome to the first morning") < text.index("If you are not safe") < text.index("TRY THIS")


def test_call_and_text_links_are_kept_and_other_schemes_dropped_alike(tmp_path: Path) -> None:
    email = built(note_course(tmp_path))[0]
    assert 'href="sms:+88788"' in email.html and 'href="tel:+448005550100"' in email.html
    text = " ".join(email.text.split())
    assert "88788 (sms:+88788)" in text and "0800 555 0100 (tel:+448005550100)" in text
    assert "Call me" in text and "skype:" not in email.html and "skype:" not in email.text


def test_check_names_a_dropped_scheme_and_accepts_call_and_text_links(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["check", str(note_course(tmp_path))])
    assert "relative link" not in result.output
    assert "sms:" not in result.output and "tel:" not in result.output
    assert "link without an address; only http, https, mailto, sms, tel links are kept" in result.output
