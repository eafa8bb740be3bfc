"""User text printed to the terminal shows its control characters as escapes: ESC, BEL, C1 and bidi controls
from a title or a file name can neither recolour, retitle or clear the terminal nor reorder a line."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import BASE_SOURCE, named
from hostile import course, run

TITLES = [
    ("osc-retitle-bel", "\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07"),
    ("csi-clear", "\x1b[2J\x1b[H", "\\x1b[2J\\x1b[H"),
    ("csi-colour", "\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),
    ("c1-csi", "\x9b2J", "\\x9b2J"),
    ("backspace", "abc\b\b\bxyz", "abc\\x08\\x08\\x08xyz"),
    ("vertical-tab", "a\x0bb", "a\\x0bb"),
    ("rlo", "\u202egnirts", "\\u202egnirts"),
    ("rli", "\u2067x\u2069", "\\u2067x\\u2069"),
    ("bom", "\ufeffx", "\\ufeffx"),
    ("del", "a\x7fb", "a\\x7fb"),
]


@pytest.mark.parametrize(("title", "shown"), named(TITLES))
def test_sources_prints_a_hostile_heading_escaped(tmp_path: Path, title: str, shown: str) -> None:
    source = BASE_SOURCE.replace("---\ntitle: Morning Habits\n---\n", f"# Morning {title} Habits\n")
    folder = course(tmp_path, source=source)
    outcome = run("sources", folder, tmp=tmp_path)
    assert (outcome.code, outcome.err) == (0, "")
    assert outcome.out.splitlines()[0] == f"habits  {{tmp}}/course/sources/habits.md  (Morning {shown} Habits)"


def test_a_control_character_in_front_matter_is_refused_with_its_line(tmp_path: Path) -> None:
    source = BASE_SOURCE.replace("title: Morning Habits", 'title: "Morning \\e[2J Habits"')
    outcome = run("sources", course(tmp_path, source=source), tmp=tmp_path)
    assert (outcome.code, outcome.out) == (2, "")
    assert outcome.err == (
        "Error: {tmp}/course/sources/habits.md:2:8: title: contains a control character ('\\x1b'); it must be one line\n"
    )


def test_a_file_name_with_escape_codes_is_shown_escaped(tmp_path: Path) -> None:
    outcome = run("build", tmp_path / "c\x1b[31mourse", tmp=tmp_path)
    assert (outcome.code, outcome.out) == (2, "")
    assert outcome.err == "Error: {tmp}/c\\x1b[31mourse/syllabus.yaml: no syllabus here (is this a course folder?)\n"


def test_import_prints_a_hostile_heading_escaped(tmp_path: Path) -> None:
    article = tmp_path / "notes.md"
    article.write_text("# Title \x1b]0;x\x07 here\n\nSome words to read.\n\n## A part\n\nMore words here.\n")
    outcome = run("import", article, "--into", tmp_path / "sources", tmp=tmp_path)
    assert outcome.code == 0, outcome.err
    assert "\x1b" not in outcome.out and "\x07" not in outcome.out
    assert outcome.out.splitlines()[1] == "  title: Title ]0;x here"


BREAKS = [("line-feed", "a\nb", "a\\nb"), ("carriage-return", "a\rb", "a\\rb"), ("crlf", "a\r\nb", "a\\r\\nb")]


@pytest.mark.parametrize(("name", "shown"), named(BREAKS))
def test_a_line_break_in_an_output_path_stays_on_its_line(tmp_path: Path, name: str, shown: str) -> None:
    outcome = run("build", course(tmp_path), "--out", tmp_path / name, tmp=tmp_path)
    assert (outcome.code, outcome.err) == (0, "")
    assert outcome.out == f"Built 2 emails of 'Quiet Mornings' into {{tmp}}/{shown}/\n"


@pytest.mark.parametrize(("name", "shown"), named(BREAKS))
def test_a_line_break_in_a_path_an_error_names_stays_on_its_line(tmp_path: Path, name: str, shown: str) -> None:
    (tmp_path / "file").write_text("mine\n", encoding="utf-8")
    outcome = run("build", course(tmp_path), "--out", tmp_path / "file" / name, tmp=tmp_path)
    assert (outcome.code, outcome.out) == (1, "")
    assert outcome.err == f"Error: {{tmp}}/file/{shown}: cannot be created: {{tmp}}/file is a file, not a folder\n"


def test_a_line_break_in_a_planned_course_folder_stays_on_its_line(tmp_path: Path) -> None:
    folder = course(tmp_path)
    moved = folder.rename(tmp_path / "my\ncourse")
    outcome = run("plan", moved, "--days", "1", tmp=tmp_path)
    assert (outcome.code, outcome.err) == (0, "")
    assert outcome.out == "Wrote a 1-email draft to {tmp}/my\\ncourse/syllabus.draft.yaml\n"
