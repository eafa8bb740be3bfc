"""`plan` drafts only what builds: a heading or title that a subject could not hold (a control character, a bidi
override, an encoded word, a merge tag) is refused with the source's file and line when it would be a subject, and
left out of a preheader; and every string the draft writes is YAML the reader takes back unchanged."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from conftest import BASE_SOURCE, named
from dripcourse.planner import q
from hostile import course, run

BAD = [
    ("esc", "\x1b[31m", "contains the control character U+001B; it must be one line of plain text"),
    ("c1-csi", "\x9b31m", "contains the control character U+009B; it must be one line of plain text"),
    (
        "rlo",
        "\u202e",
        "contains the bidirectional control U+202E, which makes text display in a different order from how it is "
        "written",
    ),
    (
        "encoded-word",
        "=?utf-8?q?x=0D=0ABcc?=",
        "contains '=?', the start of an RFC 2047 encoded word; write the text itself",
    ),
]
SECOND_HEADING = "## The evening"  # line 11 of the base source; with three days it is the subject of day 2


@pytest.mark.parametrize(("text", "problem"), named(BAD))
def test_a_heading_a_subject_cannot_hold_is_refused_with_its_line(tmp_path: Path, text: str, problem: str) -> None:
    folder = course(tmp_path, source=BASE_SOURCE.replace(SECOND_HEADING, f"## Bad {text} evening"))
    outcome = run("plan", folder, "--days", "3", tmp=tmp_path)
    assert (outcome.code, outcome.out) == (2, "")
    assert outcome.err == (
        f"Error: {{tmp}}/course/sources/habits.md:11: this heading cannot be the subject of day 2: {problem} "
        "(reword it, or write that subject in the syllabus yourself)\n"
    )
    assert not (folder / "syllabus.draft.yaml").exists()


# The front matter reader refuses control characters in a title itself; these two it takes.
TITLE_BAD = [c for c in BAD if c[0] in ("rlo", "encoded-word")]


@pytest.mark.parametrize(("text", "problem"), named(TITLE_BAD))
def test_a_title_a_subject_cannot_hold_is_refused(tmp_path: Path, text: str, problem: str) -> None:
    folder = course(tmp_path, source=BASE_SOURCE.replace("title: Morning Habits", f'title: "Morning {text} Habits"'))
    outcome = run("plan", folder, "--days", "3", tmp=tmp_path)
    assert (outcome.code, outcome.out) == (2, "")
    assert outcome.err == (
        f"Error: {{tmp}}/course/sources/habits.md: this title cannot be the subject of day 0: {problem} "
        "(reword it, or write that subject in the syllabus yourself)\n"
    )


@pytest.mark.parametrize("text", [c[1] for c in BAD], ids=[c[0] for c in BAD])
def test_a_heading_only_a_preheader_would_list_is_left_out_and_the_draft_builds(tmp_path: Path, text: str) -> None:
    folder = course(tmp_path, source=BASE_SOURCE.replace(SECOND_HEADING, f"## Bad {text} evening"))
    outcome = run("plan", folder, "--days", "1", tmp=tmp_path)
    assert (outcome.code, outcome.err) == (0, ""), outcome.err
    draft = (folder / "syllabus.draft.yaml").read_text(encoding="utf-8")
    assert "Bad" not in yaml.safe_load(draft)["emails"][0]["preheader"]
    shutil.copy(folder / "syllabus.draft.yaml", folder / "syllabus.yaml")
    built = run("build", folder, "--out", tmp_path / "out", tmp=tmp_path)
    assert (built.code, built.err) == (0, ""), built.err


@pytest.mark.parametrize(
    "value",
    ["a\x85b", "a\u2028b", "a\u2029b", "a\x7fb", "a\x9bb", 'tab\tand "quotes" and \\', "\ufffe", "日本 ✓ 😀"],
    ids=["nel", "line-separator", "paragraph-separator", "del", "c1", "escapes", "noncharacter", "unicode"],
)
def test_every_drafted_string_reads_back_unchanged(value: str) -> None:
    assert yaml.safe_load(f"key: {q(value)}\n") == {"key": value}
