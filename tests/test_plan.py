"""`dripcourse plan`: keeps what the author wrote in the syllabus, leaves out the scaffold's placeholder, orders
sources as listed or imported, drafts preheaders that add to the subject, never replaces an edited draft."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from dripcourse.build import build, load_course
from dripcourse.cli import app

SOURCE = """\
---
title: {title}
---

{intro}

## {first}

Keep a small notebook by the kettle and write one line every morning before the day gets loud.

## {second}

On Sunday read the week's lines back and circle the one that surprised you most of all.
"""

SYLLABUS = """\
# My course, as I like it.
course:
  title: Morning Pages   # the name on every email
  direction: rtl
  language: ar
  sender: {name: Mira Lane, email: mira@pages.example}
  postal_address: 12 Kettle Row, Leeds LS1 4AB
  unsubscribe_url: https://pages.example/unsubscribe
  website: https://pages.example
  greeting: "Dear {{ first_name | friend }},"
  logo: {url: "https://pages.example/logo.png", width: 120, height: 40, alt: Morning Pages}
  tracking: {enabled: false}

schedule:
  mode: evergreen
  time_zone: Europe/London
  send_time: "07:30"

sources:
  zebra: sources/zebra.md   # listed first on purpose
  apple: sources/apple.md

emails:   # replaced by plan
  - day: 0
    slug: old
    subject: Old subject
    preheader: An old preheader that is long enough for the inbox preview.
    sections: [apple#gone]

# Kept: a note after the emails.
"""


def write_source(folder: Path, name: str, first: str, second: str, order: int | None = None) -> None:
    text = SOURCE.format(
        title=name.title(), intro=f"Why {name} matters, in a few plain words.", first=first, second=second
    )
    if order is not None:
        text = text.replace("---\n\n", f"import_order: {order}\n---\n\n", 1)
    (folder / "sources").mkdir(parents=True, exist_ok=True)
    (folder / "sources" / f"{name}.md").write_text(text, encoding="utf-8")


def plan(course: Path, *extra: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["plan", str(course), *extra])
    return result.exit_code, result.stdout, result.stderr


def emails_of(text: str) -> str:
    return text[text.index("\nemails:") :]


def test_plan_force_keeps_every_field_comment_and_order_of_the_syllabus(tmp_path: Path) -> None:
    write_source(tmp_path, "apple", "Write before breakfast", "Read it back on Sunday")
    write_source(tmp_path, "zebra", "Pick one pen", "Stop at one page")
    (tmp_path / "syllabus.yaml").write_text(SYLLABUS, encoding="utf-8")
    code, stdout, _ = plan(tmp_path, "--days", "2", "--force")
    assert (code, stdout) == (0, f"Wrote a 2-email draft to {tmp_path / 'syllabus.yaml'}\n")
    text = (tmp_path / "syllabus.yaml").read_text(encoding="utf-8")
    before = SYLLABUS[: SYLLABUS.index("\nemails:")]
    assert text.startswith(before + "\nemails:   # replaced by plan\n  - day: 0")
    assert text.endswith("\n# Kept: a note after the emails.\n")
    course = load_course(tmp_path).syllabus.course
    assert (course.direction, course.language, course.greeting) == ("rtl", "ar", "Dear {{ first_name | friend }},")
    assert course.logo is not None and course.logo.width == 120
    assert course.tracking.enabled is False
    # Listed sources come in the order the syllabus lists them: zebra before apple.
    refs = re.findall(r"^      - (\S+)$", text, re.M)
    assert refs == [
        "zebra#intro",
        "zebra#pick-one-pen",
        "zebra#stop-at-one-page",
        "apple#intro",
        "apple#write-before-breakfast",
        "apple#read-it-back-on-sunday",
    ]
    build(tmp_path, tmp_path / "out", date(2026, 1, 1))


def test_unlisted_sources_follow_in_import_order_and_are_added_to_sources(tmp_path: Path) -> None:
    write_source(tmp_path, "apple", "Write before breakfast", "Read it back on Sunday")
    write_source(tmp_path, "zebra", "Pick one pen", "Stop at one page")
    write_source(tmp_path, "mango", "Find a quiet chair", "Leave the phone outside", order=2)
    write_source(tmp_path, "kiwi", "Start with the date", "End with a question", order=1)
    (tmp_path / "syllabus.yaml").write_text(SYLLABUS, encoding="utf-8")
    assert plan(tmp_path, "--days", "4")[0] == 0
    draft = (tmp_path / "syllabus.draft.yaml").read_text(encoding="utf-8")
    assert "  apple: sources/apple.md\n" in draft
    assert draft.index("  apple: sources/apple.md\n") < draft.index('  kiwi: "sources/kiwi.md"')
    assert draft.index('  kiwi: "sources/kiwi.md"') < draft.index('  mango: "sources/mango.md"')
    order = [ref.split("#")[0] for ref in re.findall(r"^      - (\S+)$", draft, re.M)]
    assert list(dict.fromkeys(order)) == ["zebra", "apple", "kiwi", "mango"]
    assert (tmp_path / "syllabus.yaml").read_text(encoding="utf-8") == SYLLABUS


def test_a_new_course_is_planned_without_its_placeholder_source(tmp_path: Path) -> None:
    course = tmp_path / "course"
    assert CliRunner().invoke(app, ["new", str(course)]).exit_code == 0
    write_source(course, "walking", "Walk after lunch", "Walk with a friend")
    assert plan(course, "--days", "2")[0] == 0
    emails = emails_of((course / "syllabus.draft.yaml").read_text(encoding="utf-8"))
    assert "basics#" not in emails
    assert "walking#walk-after-lunch" in emails
    # Once the author writes real text into the placeholder, it is a source like any other.
    basics = course / "sources" / "basics.md"
    basics.write_text(basics.read_text().replace("A goal you can finish", "A walk you can finish"), encoding="utf-8")
    assert plan(course, "--days", "2")[0] == 0
    assert "basics#start-small" in emails_of((course / "syllabus.draft.yaml").read_text(encoding="utf-8"))


def test_without_a_syllabus_sources_are_planned_in_import_order_not_by_name(tmp_path: Path) -> None:
    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "zinc.txt").write_text(
        "Zinc in Food\n\nOysters hold more zinc than anything else you can buy.\n\n"
        "Where to Find It\n\nBeans, seeds and whole grains are good plant sources of it.\n",
        encoding="utf-8",
    )
    (articles / "iron.txt").write_text(
        "Iron in Food\n\nIron from meat is taken up more easily than iron from plants.\n\n"
        "Help From Vitamin C\n\nA glass of orange juice with lentils helps the body take up iron.\n",
        encoding="utf-8",
    )
    course = tmp_path / "course"
    for name in ("zinc.txt", "iron.txt"):
        result = CliRunner().invoke(app, ["import", str(articles / name), "--into", str(course / "sources")])
        assert result.exit_code == 0, result.output
    assert "import_order: 2\n" in (course / "sources" / "iron.md").read_text(encoding="utf-8")
    assert plan(course, "--days", "2")[0] == 0
    text = (course / "syllabus.yaml").read_text(encoding="utf-8")
    assert text.index("zinc#intro") < text.index("iron#intro")
    # Replacing a source keeps its place in the order.
    again = CliRunner().invoke(
        app, ["import", str(articles / "zinc.txt"), "--into", str(course / "sources"), "--force"]
    )
    assert again.exit_code == 0
    assert "import_order: 1\n" in (course / "sources" / "zinc.md").read_text(encoding="utf-8")


def test_preheaders_add_to_the_subject_instead_of_repeating_it(tmp_path: Path) -> None:
    write_source(tmp_path, "starter", "1. What a starter actually is", "2. Feeding it")
    (tmp_path / "sources" / "bread.md").write_text(
        "---\ntitle: Bread\n---\n\n## Step 1: Mix the dough\n\nFlour, water and salt come together in a shaggy "
        "mass that looks wrong and is right.\n",
        encoding="utf-8",
    )
    assert plan(tmp_path, "--days", "3")[0] == 0
    loaded = load_course(tmp_path).syllabus
    pairs = [(e.subject, e.preheader) for e in loaded.emails]
    assert pairs == [  # no syllabus and no import order: file order, bread before starter
        ("Mix the dough", "Flour, water and salt come together in a shaggy mass that looks wrong and is right."),
        # The email opens on the starter article's intro, so it shows that article's title first.
        ("Starter", "Also: What a starter actually is. About 1 minute of reading."),
        ("Feeding it", "On Sunday read the week's lines back and circle the one that surprised you most of all."),
    ]
    for subject, preheader in pairs:  # the preheader neither opens with the subject nor lists it again
        assert not preheader.lower().startswith(subject.lower())
        assert f": {subject.lower()}." not in preheader.lower() and f" {subject.lower()} and" not in preheader.lower()
        assert 40 <= len(preheader) <= 130


def test_plan_never_replaces_an_edited_draft_without_force(tmp_path: Path) -> None:
    write_source(tmp_path, "apple", "Write before breakfast", "Read it back on Sunday")
    write_source(tmp_path, "zebra", "Pick one pen", "Stop at one page")
    (tmp_path / "syllabus.yaml").write_text(SYLLABUS, encoding="utf-8")
    draft = tmp_path / "syllabus.draft.yaml"
    assert plan(tmp_path, "--days", "2")[0] == 0
    assert plan(tmp_path, "--days", "3")[0] == 0  # untouched since plan wrote it: replaced
    assert draft.read_text(encoding="utf-8").count("  - day:") == 3
    edited = re.sub(r'subject: "[^"]*"', 'subject: "My own words"', draft.read_text(encoding="utf-8"), count=1)
    draft.write_text(edited, encoding="utf-8")
    code, _, stderr = plan(tmp_path, "--days", "2")
    assert (code, stderr) == (
        2,
        f"Error: {draft}: was edited after plan wrote it, so plan leaves it as it is; rename or delete it to draft "
        "again (--force instead writes the new emails into syllabus.yaml, replacing its emails: list and keeping its "
        "other fields)\n",
    )
    assert draft.read_text(encoding="utf-8") == edited
    # --force writes into the syllabus itself, never over the edited draft.
    assert plan(tmp_path, "--days", "2", "--force")[0] == 0
    assert draft.read_text(encoding="utf-8") == edited


def test_plan_reports_a_broken_syllabus_instead_of_dropping_its_settings(tmp_path: Path) -> None:
    write_source(tmp_path, "apple", "Write before breakfast", "Read it back on Sunday")
    (tmp_path / "syllabus.yaml").write_text("course:\n  title: [unclosed\n", encoding="utf-8")
    code, _, stderr = plan(tmp_path, "--days", "2", "--force")
    assert code == 2
    assert stderr.startswith(f"Error: {tmp_path / 'syllabus.yaml'}:3:1: YAML syntax error:")
    assert (tmp_path / "syllabus.yaml").read_text(encoding="utf-8") == "course:\n  title: [unclosed\n"


def test_preheader_lists_the_other_sections_without_their_numbering(tmp_path: Path) -> None:
    write_source(tmp_path, "starter", "1. What a starter actually is", "2. Feeding it")
    assert plan(tmp_path, "--days", "1")[0] == 0
    email = load_course(tmp_path).syllabus.emails[0]
    assert (email.subject, email.preheader) == ("Starter", "Also: What a starter actually is and Feeding it.")
