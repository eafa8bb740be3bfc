"""The build as a whole: outputs, manifest, determinism, and an out/ folder that is never half-written."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from dripcourse.build import build
from dripcourse.errors import DripcourseError, OutputError
from dripcourse.outputs import MARKER

PREVIEW = date(2026, 1, 5)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MARKER
    }


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
