"""The shipped course, "When He Pulls Away": eight lessons with one point and one action each, an arc from
understanding to deciding, safety lines where a reader needs them, nothing left over from the articles, every idea
of the articles covered, and prose that outside judges (textstat, proselint) find plain and clean."""

from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
import textstat
from proselint.checks import __register__ as proselint_checks
from proselint.config import DEFAULT as PROSELINT_DEFAULTS
from proselint.registry import CheckRegistry
from proselint.tools import LintFile
from typer.testing import CliRunner

from conftest import REPO
from dripcourse.assemble import idea_coverage
from dripcourse.build import load_course, render_course
from dripcourse.cli import app
from dripcourse.model import BuiltEmail, Course

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

HELPLINE_PHONE = "1-800-799-7233"
HELPLINE_TEXT = "text START to 88788"
HELPLINE_SITE = "thehotline.org"
# A paragraph that speaks of abuse or fear of the partner is an abuse note.
ABUSE = re.compile(r"\babus\w*|\bafraid of (?:him|your partner|how he)|\bthreatens\b|\bhurts you\b|\bcontrols\b")
COUPLES_THERAPY = re.compile(r"\bcouples? (?:counsel|therap)\w*|\b(?:counsel\w*|therap\w*) together|one together")

# Phrases that must not appear in any email. Leftovers of the articles' framing:
LEFTOVER_PHRASES = [
    "this article",
    "this piece",
    "this post",
    "this blog",
    "steps below",
    "six steps",
    "nine reasons",
    "9 reasons",
    "below",
    "stay tuned",
    "in conclusion",
    "in summary",
    "to sum up",
    "key takeaways",
    "thank you for taking the time to read",
    "in short",
    "three ways to",
    "halfway through the course",
]
# Absence or space as a tactic to win someone back, and promises that space works:
TACTIC_PHRASES = [
    "feel your absence",
    "miss you",
    "make him miss",
    "win him back",
    "get him back",
    "bring him back",
    "brings him back",
    "he'll come back",
    "he will come back",
    "he will return",
    "watch him return",
    "come running",
    "is attractive",
    "hard to get",
    "alpha woman",
    "absence makes the heart",
    "strategic",
    "guaranteed",
    "realize your value",
    "lever",
    # space or self-respect staged for him to see, and promises that he will reach out:
    "you show that you can bear",
    "says something about you",
    "trust that he will reach out",
    "leaves room for him to make an effort",
]
# Letters are signed by one person: she writes "I", never an authorial "we".
WE_PHRASES = ["we hope", "we wish", "we'll", "we will", "we've", "we have", "let's", "today we", "tomorrow we"]
AWKWARD_PHRASES = ["a pattern is not one bad month"]
# Stock phrases of self-help writing that say less than a plain sentence would:
CLICHE_PHRASES = [
    "fill your own cup",
    "your whole self",
    "invest in your own growth",
    "resilience",
    "the ground you stand on",
    "firmer ground",
    "your full space",
    "atoms",
    "you deserve",
    "part of the furniture",
    "steadier feet",
]
# Claims about whole groups of people that the course cannot back.
GROUP_CLAIMS = [
    "many men",
    "most men",
    "men are",
    "men tend",
    "women are",
    "all men",
    "every man",
    "like all men",
    "most couples",
    "in many couples",
    "strong couples",
    "couples grow",
    "rarely decides well",
]
# The reader's friend can be anyone: no pronoun guesses who.
ASSUMED_GENDER = ["ask her", "want for her", "for her?", "her own life"]
# The lessons teach; they do not sell. (An offer, if a course wants one, belongs outside the lesson.)
SALES_PHRASES = ["coaching", "book a free", "free call", "20-minute call", "twenty minutes with me"]
# A US course is spelled one way throughout.
BRITISH_SPELLINGS = ["counsell", "behaviour", "honour", "colour", "defence", "practise", "fulfil "]


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


def paragraphs(email: BuiltEmail) -> list[str]:
    """Paragraphs of the text part, each on one line, apostrophes and quotes made plain for matching."""
    plain = body_text(email).replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"')
    return [" ".join(p.split()) for p in plain.split("\n\n") if p.strip()]


def plain_body(email: BuiltEmail) -> str:
    return " ".join(paragraphs(email)).lower()


class HeadingCollector(HTMLParser):
    """The text of every <h1> and <h2> in an email, as the DOM holds it."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.headings: list[str] = []
        self.inside = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("h1", "h2"):
            self.inside = True
            self.headings.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("h1", "h2"):
            self.inside = False

    def handle_data(self, data: str) -> None:
        if self.inside:
            self.headings[-1] += data


def h2s(email: BuiltEmail) -> list[str]:
    return HeadingCollector(email.html).headings[1:]  # the first is the subject as <h1>


# Words that keep their capital inside a sentence-case heading.
PROPER_WORDS = {"I", "I'm", "I'd", "I'll", "I've", "Sunday", "When", "He", "Pulls", "Away"}


def sentence_case_problem(heading: str) -> str | None:
    """Why a heading is not in sentence case (first word capitalised, the rest lowercase), or None."""
    words = re.findall(r"[A-Za-z][\w'\u2019-]*", heading)
    if not words or not words[0][0].isupper():
        return f"{heading!r} does not start with a capital"
    capitals = [w for w in words[1:] if w[0].isupper() and w.replace("\u2019", "'") not in PROPER_WORDS]
    return f"{heading!r} capitalises {capitals}" if capitals else None


# --- shape ------------------------------------------------------------------------------------------------------


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


def test_subjects_and_preheaders_use_the_bodys_curly_quotes(course: Course) -> None:
    for email in course.syllabus.emails:
        for line in (email.subject, email.preheader):
            assert "'" not in line and '"' not in line, (email.slug, line)


def test_every_lesson_is_at_most_about_600_words(course: Course) -> None:
    counts = {lesson.email.slug: lesson.word_count for lesson in course.lessons}
    print("words per lesson:", counts)
    assert all(300 <= count <= 600 for count in counts.values()), counts


def test_each_lesson_states_its_point_first_and_has_one_short_action(course: Course) -> None:
    for email in course.syllabus.emails:
        opening = email.intro.split("\n\n")[0]
        assert len(opening.split()) <= 60, (email.slug, "the point belongs in a short first paragraph")
        assert email.action, email.slug
        assert "\n\n" not in email.action, (email.slug, "one action, one paragraph")
        assert len(email.action.split()) <= 60, email.slug
        assert email.journal and email.outro, email.slug
    for email in course.syllabus.emails[:-1]:
        assert "Tomorrow" in email.outro, email.slug


def test_the_action_is_in_every_email_as_sent(emails: list[BuiltEmail]) -> None:
    for email in emails:
        action = " ".join(email.rendered.lesson.email.action.replace("\u2019", "'").split())
        first_words = " ".join(action.split()[:6])
        assert "TRY THIS TODAY" in email.text, email.rendered.lesson.email.slug
        assert first_words in " ".join(email.text.replace("\u2019", "'").split())


def test_the_arc_runs_from_understanding_to_self_care_to_reconnection_to_deciding(course: Course) -> None:
    """Each stage's core idea is first taught inside that stage's days."""
    first_day = {use.idea.id: min(e.day for e in use.emails) for use in idea_coverage(course.syllabus)}
    stages = {
        "not-a-verdict": range(0, 4),  # understanding
        "reach-and-retreat": range(0, 4),
        "ask-what-space-means": range(0, 4),
        "time-for-you": range(4, 6),  # self-care
        "worth-not-availability": range(4, 6),
        "talk-about-the-time-apart": range(6, 7),  # reconnection
        "keep-caring": range(6, 7),
        "your-needs": range(7, 8),  # deciding
        "patience-has-limits": range(7, 8),
    }
    assert {idea: first_day[idea] in days for idea, days in stages.items()} == dict.fromkeys(stages, True)


# --- safety -----------------------------------------------------------------------------------------------------


def test_day_0_has_a_safety_line_with_the_helpline(emails: list[BuiltEmail]) -> None:
    notes = [p for p in paragraphs(emails[0]) if ABUSE.search(p)]
    assert len(notes) == 1, notes
    assert HELPLINE_PHONE in notes[0] and HELPLINE_TEXT in notes[0] and HELPLINE_SITE in notes[0]
    assert len(notes[0].split()) <= 70, "a short line, not a lecture"


def test_red_flags_come_no_later_than_the_middle_of_the_course(emails: list[BuiltEmail]) -> None:
    with_red_flags = [i for i, email in enumerate(emails) if "Red flags" in h2s(email)]
    assert with_red_flags and with_red_flags[0] < len(emails) / 2, with_red_flags


def test_every_abuse_note_points_to_the_helpline_and_never_to_couples_counseling(emails: list[BuiltEmail]) -> None:
    found = 0
    for email in emails:
        paras = paragraphs(email)
        for i, para in enumerate(paras):
            if not ABUSE.search(para):
                continue
            found += 1
            slug = email.rendered.lesson.email.slug
            assert HELPLINE_PHONE in para and HELPLINE_TEXT in para and HELPLINE_SITE in para, (slug, para)
            assert "counsel" not in para and "therap" not in para, (slug, para)
            near = paras[max(0, i - 1) : i + 2]
            assert not any(COUPLES_THERAPY.search(p) for p in near), (slug, near)
        assert 'href="https://www.thehotline.org"' in email.html or not any(ABUSE.search(p) for p in paras)
    assert found >= 3  # Day 0, the red-flags lesson and the last one


def test_the_safety_notes_are_callouts_after_the_intro_with_tappable_numbers(emails: list[BuiltEmail]) -> None:
    for index in (0, 3):
        email = emails[index]
        note = email.rendered.lesson.email.note
        assert ABUSE.search(note) and HELPLINE_PHONE in note, email.rendered.lesson.file_stem
        html = email.html
        cell = html.index('class="note-cell"')
        assert html.index("Try this today") > cell, "the note comes before the day's action"
        assert 'href="tel:+18007997233"' in html[cell:] and 'href="sms:88788"' in html[cell:]
    assert emails[3].rendered.lesson.email.note.startswith("**Signs of abuse — get help now.**")
    assert "get help now" in emails[3].rendered.lesson.email.action  # the action names the third list


def test_couples_counseling_is_ruled_out_where_there_is_abuse(emails: list[BuiltEmail]) -> None:
    last = plain_body(emails[7])
    assert "couples counseling is not for a relationship with threats, control or violence" in last
    assert "counselor on your own, or talk to an advocate at 1-800-799-7233" in last
    # Day 6's "say it to him" is for when speaking up with him is safe.
    action = " ".join(emails[6].rendered.lesson.email.action.split())
    assert "say it to him" in action and "you feel safe raising it with him" in action


def test_only_the_footer_asks_for_a_reply(emails: list[BuiltEmail]) -> None:
    for email in emails:
        assert not re.search(r"\breply (?:and|to)\b|\bwrite back\b", plain_body(email)), email.rendered.lesson.file_stem
        assert "Reply to this email" in email.text.split("\n--\n")[1]


def test_no_button_sends_the_reader_to_couples_counseling(course: Course) -> None:
    for email in course.syllabus.emails:
        if email.button:
            assert not re.search(r"counsel|therap", email.button.text + email.button.url, re.I), email.slug


@pytest.mark.parametrize(
    "phrase",
    LEFTOVER_PHRASES
    + TACTIC_PHRASES
    + WE_PHRASES
    + AWKWARD_PHRASES
    + CLICHE_PHRASES
    + GROUP_CLAIMS
    + ASSUMED_GENDER
    + SALES_PHRASES
    + BRITISH_SPELLINGS,
)
def test_phrase_is_in_no_email(emails: list[BuiltEmail], phrase: str) -> None:
    found = [e.rendered.lesson.email.slug for e in emails if phrase in plain_body(e)]
    assert found == []


def test_letters_say_i_not_we_outside_quoted_speech(emails: list[BuiltEmail]) -> None:
    for email in emails:
        unquoted = re.sub(r'"[^"]*"', "", plain_body(email))
        assert re.findall(r"\b(?:we|us|our|ours)\b", unquoted) == [], email.rendered.lesson.email.slug


def repeated_runs(emails: list[BuiltEmail], length: int) -> dict[str, list[str]]:
    """Runs of `length` words that stand in more than one lesson, outside the safety notes (repeated on purpose)."""
    lessons: dict[str, list[str]] = {}
    for email in emails:
        runs: set[str] = set()
        for para in paragraphs(email):
            if HELPLINE_PHONE in para:
                continue
            words = re.findall(r"[a-z']+", para.lower())
            runs.update(" ".join(words[i : i + length]) for i in range(len(words) - length + 1))
        for run in runs:
            lessons.setdefault(run, []).append(email.rendered.lesson.email.slug)
    return {run: slugs for run, slugs in lessons.items() if len(slugs) > 1}


def test_no_two_lessons_repeat_a_line(emails: list[BuiltEmail]) -> None:
    """A reader of eight letters notices a sentence she has read before: no six-word run stands in two lessons."""
    assert repeated_runs(emails, 6) == {}


def test_repeat_check_sees_a_repeated_line(emails: list[BuiltEmail]) -> None:
    assert "a need for space" in repeated_runs(emails, 4)  # Days 0, 3 and 7 say it, and the check finds it


def test_space_is_never_sold_as_a_guarantee(emails: list[BuiltEmail]) -> None:
    bodies = " ".join(plain_body(e) for e in emails)
    assert "promises nothing" in bodies and "none of this promises" in bodies
    assert not re.search(r"\b(?:will|always) (?:come back|return|miss)", bodies)


# --- headings ---------------------------------------------------------------------------------------------------


def test_no_heading_carries_an_article_step_number(emails: list[BuiltEmail]) -> None:
    for email in emails:
        for heading in h2s(email):
            assert not re.match(r"(?:step|reason)?\s*#?\d", heading, re.I), heading
        assert not re.search(r"^\d+\.", email.text, re.M), email.rendered.lesson.email.slug


def test_every_heading_and_subject_is_in_sentence_case(emails: list[BuiltEmail], course: Course) -> None:
    shown = [heading for email in emails for heading in HeadingCollector(email.html).headings]
    shown += [source.title for source in course.sources.values()]
    assert len(shown) > 30
    assert [problem for heading in shown if (problem := sentence_case_problem(heading))] == []


def test_sentence_case_check_catches_title_case() -> None:
    assert sentence_case_problem("Give Space Instead Of Chasing") is not None
    assert sentence_case_problem("Why I read it twice on Sunday") is None


# --- sources and ideas ------------------------------------------------------------------------------------------


def test_sources_keep_the_articles_sections_in_order(course: Course) -> None:
    assert {sid: list(src.sections) for sid, src in course.sources.items()} == EXPECTED_SECTIONS
    for source in course.sources.values():
        assert source.original_title, source.id


def test_each_section_is_40_to_200_words(course: Course) -> None:
    for source in course.sources.values():
        for section in source.sections.values():
            assert 40 <= section.word_count <= 200, (section.ref, section.word_count)


def test_sources_command_shows_every_idea_covered() -> None:
    result = CliRunner().invoke(app, ["sources", str(COURSE_DIR), "--strict"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[-2:] == [
        "52 sections, 21 used, 31 left out with their ideas covered, 0 unused",
        "37 ideas, 37 covered, 0 uncovered",
    ]
    assert "UNUSED" not in result.output and "UNCOVERED" not in result.output
    assert re.search(r"^  red-flags +day 3 drift-or-red-flag$", result.output, re.M)


def test_every_left_out_section_carries_an_idea_an_email_covers(course: Course) -> None:
    used = {str(ref) for email in course.syllabus.emails for ref in email.sections}
    covered = {use.idea.id for use in idea_coverage(course.syllabus) if use.emails}
    carriers: dict[str, set[str]] = {}
    for idea in course.syllabus.ideas:
        for ref in idea.sections:
            carriers.setdefault(str(ref), set()).add(idea.id)
    every = [s.ref for src in course.sources.values() for s in src.sections.values()]
    lost = [ref for ref in every if ref not in used and not (carriers.get(ref) and carriers[ref] <= covered)]
    assert lost == []


def test_sources_command_marks_unused_sections(mini_course: Path) -> None:
    result = CliRunner().invoke(app, ["sources", str(mini_course), "--strict"])
    assert result.exit_code == 1
    assert re.search(r"^  storing-what-you-buy +\d+ words  UNUSED$", result.output, re.M)
    assert result.output.splitlines()[-1] == "5 sections, 4 used, 1 unused"


# --- outside judges of the prose --------------------------------------------------------------------------------


def test_readability(emails: list[BuiltEmail]) -> None:
    """textstat 0.7.8: Flesch reading ease 70+ ("fairly easy") and a US school grade of 8 or under, per email."""
    ease = {e.rendered.lesson.email.slug: round(textstat.flesch_reading_ease(body_text(e))) for e in emails}
    grade = {e.rendered.lesson.email.slug: round(textstat.flesch_kincaid_grade(body_text(e)), 1) for e in emails}
    print("Flesch reading ease:", ease, "Flesch-Kincaid grade:", grade)
    assert all(score >= 70 for score in ease.values()), ease
    assert all(level <= 8 for level in grade.values()), grade


def proselint(name: str, text: str) -> list[str]:
    CheckRegistry().register_many(proselint_checks)
    return [
        f"{name}:{r.pos[0]}:{r.pos[1]}: {r.check_result.check_path}: {r.check_result.message}"
        for r in LintFile(name, text).lint(PROSELINT_DEFAULTS)
    ]


def test_proselint_finds_nothing_in_any_email(emails: list[BuiltEmail]) -> None:
    assert proselint("sample", 'It was very "unique" indeed.') != []  # the judge is awake
    found = [p for e in emails for p in proselint(e.rendered.lesson.file_stem, body_text(e))]
    assert found == []
