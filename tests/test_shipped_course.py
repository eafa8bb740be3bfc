"""The shipped course, "When He Pulls Away": shape, lengths, coverage and readability."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import textstat
from typer.testing import CliRunner

from conftest import REPO
from dripcourse.assemble import section_usage
from dripcourse.build import BuiltEmail, Course, load_course, render_course
from dripcourse.cli import app

COURSE_DIR = REPO / "course"
# Sections per source, in the order of the articles they retell (see the README's course notes).
EXPECTED_SECTIONS = {
    "room": [
        "intro",
        "need-for-space",
        "benefits-of-space",
        "communication",
        "self-reflection",
        "reconnecting",
        "conclusion",
    ],
    "reasons": ["intro"]
    + [
        f"reason-{n}-{name}"
        for n, name in enumerate(
            [
                "reflect",
                "absence",
                "value",
                "miss-you",
                "independence",
                "distance-strengthens",
                "confidence",
                "pursuit",
                "his-role",
            ],
            start=1,
        )
    ],
    "distant": ["intro", "why-space", "creating-space", "the-gap", "power-of-space"],
    "space": [
        "intro",
        "communicate",
        "respect-boundaries",
        "focus-on-yourself",
        "reassurance",
        "evaluate",
        "seek-support",
    ],
    "understanding": [
        "intro",
        "key-takeaways",
        "psychology",
        "the-silence",
        "signs-of-disconnection",
        "self-care",
        "space-for-reconnection",
        "open-communication",
        "nurturing",
        "professional-support",
        "patience",
        "red-flags",
        "closing",
    ]
    + [
        f"faq-{q}"
        for q in (
            "why-pull-away",
            "communication-breakdown",
            "signs",
            "self-care",
            "create-space",
            "open-communication",
            "nurture",
            "professional-support",
            "patience",
            "red-flags",
        )
    ],
}


@pytest.fixture(scope="module")
def course() -> Course:
    return load_course(COURSE_DIR)


@pytest.fixture(scope="module")
def emails(course: Course) -> list[BuiltEmail]:
    return render_course(course, date(2026, 3, 2))


def body_text(email: BuiltEmail) -> str:
    """The lesson a reader reads: the text part without the header lines and the footer."""
    text = email.text.split("\n--\n")[0]
    return text.split("\n\n", 2)[2]


def test_eight_emails_day_0_to_7_evergreen_at_8(course: Course) -> None:
    assert [e.day for e in course.syllabus.emails] == list(range(8))
    schedule = course.syllabus.schedule
    assert (schedule.mode, schedule.time_zone, schedule.send_time.isoformat()) == (
        "evergreen",
        "America/New_York",
        "08:00:00",
    )


def test_subjects_and_preheaders_fit_the_inbox(course: Course) -> None:
    for email in course.syllabus.emails:
        assert len(email.subject) <= 50, email.slug
        assert 40 <= len(email.preheader) <= 110, email.slug
        assert email.preheader.lower() != email.subject.lower()


def test_body_word_counts(course: Course) -> None:
    for lesson in course.lessons:
        assert 450 <= lesson.word_count <= 900, (lesson.email.slug, lesson.word_count)


def test_every_email_has_an_opening_an_action_a_journal_prompt_and_a_look_ahead(course: Course) -> None:
    for email in course.syllabus.emails:
        assert email.intro and email.action and email.journal and email.outro, email.slug
    for email in course.syllabus.emails[:-1]:
        assert "Tomorrow" in email.outro, email.slug


def test_sources_keep_the_articles_sections_in_order(course: Course) -> None:
    assert {sid: list(src.sections) for sid, src in course.sources.items()} == EXPECTED_SECTIONS
    for source in course.sources.values():
        assert source.original_title, source.id


def test_each_section_is_60_to_250_words(course: Course) -> None:
    for source in course.sources.values():
        for section in source.sections.values():
            assert 60 <= section.word_count <= 250, (section.ref, section.word_count)


def test_every_section_is_used(course: Course) -> None:
    unused = [use.section.ref for use in section_usage(course.syllabus, course.sources) if not use.emails]
    assert unused == []


def test_readability_floor(emails: list[BuiltEmail]) -> None:
    scores = {e.rendered.lesson.email.slug: textstat.flesch_reading_ease(body_text(e)) for e in emails}
    print("Flesch reading ease:", scores)
    assert all(score >= 60 for score in scores.values()), scores


def test_a_reader_question_appears_where_one_fits(course: Course) -> None:
    with_faq = [e.slug for e in course.syllabus.emails if any(r.section.startswith("faq-") for r in e.sections)]
    assert len(with_faq) >= 6


def test_last_email_names_red_flags_and_when_to_get_help_or_leave(emails: list[BuiltEmail]) -> None:
    text = " ".join(body_text(emails[-1]).split())
    assert "Red flags" in text
    assert "counsellor" in text
    assert re.search(r"plan to leave safely", text)


def test_space_is_never_sold_as_a_guarantee(emails: list[BuiltEmail]) -> None:
    for email in emails:
        text = " ".join(body_text(email).lower().split())
        assert "he will come back" not in text
        assert "guaranteed to" not in text


def test_sources_command_lists_every_section_and_no_unused(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["sources", str(COURSE_DIR), "--strict"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "52 sections, 52 used, 0 unused"
    assert "  faq-red-flags" in result.output and "day 7 your-next-step" in result.output
    assert "UNUSED" not in result.output


def test_sources_command_marks_unused_sections(mini_course: Path) -> None:
    result = CliRunner().invoke(app, ["sources", str(mini_course), "--strict"])
    assert result.exit_code == 1
    assert re.search(r"^  storing-what-you-buy +\d+ words  UNUSED$", result.output, re.M)
    assert result.output.splitlines()[-1] == "5 sections, 4 used, 1 unused"
