"""The build as a whole: outputs, manifest, determinism, and an out/ folder that is never half-written."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import dripcourse.build
from conftest import snapshot
from dripcourse.build import build, load_course, render_course
from dripcourse.errors import DripcourseError, OutputError
from dripcourse.render import default_theme_dir

PREVIEW = date(2026, 1, 5)


def test_out_layout_and_manifest(mini_course: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(mini_course, out, PREVIEW)
    assert sorted(snapshot(out)) == [
        "course.mbox",
        "emails/01-welcome.eml",
        "emails/01-welcome.html",
        "emails/01-welcome.txt",
        "emails/02-water-matters.eml",
        "emails/02-water-matters.html",
        "emails/02-water-matters.txt",
        "index.html",
        "manifest.json",
        "schedule.csv",
        "schedule.json",
    ]
    manifest = json.loads((out / "manifest.json").read_text())
    first = manifest["emails"][0]
    assert first["day"] == 0 and first["slug"] == "welcome" and first["subject"] == "Your first better cup"
    assert first["preheader"] == "Three small changes that make the biggest difference to everyday tea."
    assert first["sections"] == ["leaves#intro", "leaves#loose-or-bagged"]
    assert first["files"]["html"] == {
        "path": "emails/01-welcome.html",
        "bytes": (out / "emails/01-welcome.html").stat().st_size,
    }
    assert first["files"]["eml"]["bytes"] == (out / "emails/01-welcome.eml").stat().st_size
    assert 80 < first["word_count"] < 140
    assert manifest["files"] == sorted(snapshot(out))


def test_two_builds_are_byte_identical(mini_course: Path, tmp_path: Path) -> None:
    build(mini_course, tmp_path / "a", PREVIEW)
    build(mini_course, tmp_path / "b", PREVIEW)
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")


def test_failed_build_leaves_previous_out_untouched(mini_course: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(mini_course, out, PREVIEW)
    before = snapshot(out)
    syllabus = mini_course / "syllabus.yaml"
    syllabus.write_text(syllabus.read_text().replace("leaves#loose-or-bagged", "leaves#nope"))
    with pytest.raises(DripcourseError):
        build(mini_course, out, PREVIEW)
    assert snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


def test_rebuild_replaces_output_and_drops_emails_no_longer_in_the_syllabus(mini_course: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(mini_course, out, PREVIEW)
    syllabus = mini_course / "syllabus.yaml"
    syllabus.write_text(syllabus.read_text().replace("slug: water-matters", "slug: water"))
    build(mini_course, out, PREVIEW)
    assert "emails/02-water.html" in snapshot(out) and "emails/02-water-matters.html" not in snapshot(out)


def test_refuses_a_folder_holding_files_it_did_not_make(mini_course: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("my own notes")
    with pytest.raises(OutputError) as caught:
        build(mini_course, out, PREVIEW)
    assert str(caught.value) == (
        f"{out}: holds files dripcourse did not write (notes.txt); choose an empty or new output folder"
    )
    assert (out / "notes.txt").read_text() == "my own notes"


def test_refuses_to_adopt_a_file_added_to_its_own_output(mini_course: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(mini_course, out, PREVIEW)
    (out / "emails" / "draft.html").write_text("mine")
    with pytest.raises(OutputError):
        build(mini_course, out, PREVIEW)
    assert (out / "emails" / "draft.html").read_text() == "mine"


def test_course_folder_itself_is_never_an_output(mini_course: Path) -> None:
    before = snapshot(mini_course)
    with pytest.raises(OutputError):
        build(mini_course, mini_course, PREVIEW)
    assert snapshot(mini_course) == before


def many_emails_course(folder: Path, emails: int, failing_position: int | None = None) -> Path:
    """A course of `emails` emails from two sources; its own email.html raises at `failing_position`."""
    (folder / "sources").mkdir(parents=True)
    for s in range(2):
        parts = "\n\n".join(
            f"## Part {p}\n\nPart {p} of source {s}, with a [link](https://a.example/{p})." for p in range(5)
        )
        (folder / "sources" / f"s{s}.md").write_text(f"# Source {s}\n\n{parts}\n")
    lines = [
        "course:",
        "  title: Forked Course",
        "  sender: {name: Forks, email: forks@a.example}",
        "  postal_address: 2 Fork Lane, Forkton",
        "  unsubscribe_url: https://a.example/unsubscribe",
        "  website: https://a.example",
        "schedule: {mode: evergreen, time_zone: Europe/Paris}",
        "sources:",
        "  s0: sources/s0.md",
        "  s1: sources/s1.md",
        "emails:",
    ]
    for n in range(emails):
        lines += [
            f"  - day: {n}",
            f"    slug: day-{n}",
            f"    subject: Day {n}",
            f"    sections: [s{n % 2}#part-{n % 5}]",
        ]
    (folder / "syllabus.yaml").write_text("\n".join(lines) + "\n")
    if failing_position is not None:
        (folder / "templates").mkdir()
        template = (default_theme_dir() / "email.html").read_text()
        trap = f"{{% if email.position == {failing_position} %}}{{{{ 1 // 0 }}}}{{% endif %}}"
        (folder / "templates" / "email.html").write_text(trap + template)
    return folder


def test_forked_render_gives_the_same_emails_in_the_same_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    course = load_course(many_emails_course(tmp_path / "course", 40))
    forks = []
    real_fork_part = dripcourse.build.fork_part

    def counted(*args: Any) -> tuple[int, int]:
        forks.append(args)
        return real_fork_part(*args)

    monkeypatch.setattr(dripcourse.build, "fork_part", counted)
    serial = render_course(course, date(2026, 3, 1), workers=1)
    assert forks == []
    forked = render_course(course, date(2026, 3, 1), workers=3)
    assert len(forks) == 2
    assert [e.eml for e in forked] == [e.eml for e in serial]
    assert [(e.html, e.text, e.slot) for e in forked] == [(e.html, e.text, e.slot) for e in serial]
    assert [e.rendered.lesson.email.slug for e in forked] == [f"day-{n}" for n in range(40)]


@pytest.mark.parametrize("position", [5, 31])  # in the part this process renders, and in a forked child's part
def test_forked_render_reports_a_failing_email_as_one_process_does(tmp_path: Path, position: int) -> None:
    course = load_course(many_emails_course(tmp_path / "course", 40, failing_position=position))
    with pytest.raises(DripcourseError) as serial:
        render_course(course, date(2026, 3, 1), workers=1)
    with pytest.raises(DripcourseError) as forked:
        render_course(course, date(2026, 3, 1), workers=3)
    assert "template failed: ZeroDivisionError" in str(serial.value)
    assert str(forked.value) == str(serial.value)
    assert [p.line for p in forked.value.problems] == [p.line for p in serial.value.problems]
