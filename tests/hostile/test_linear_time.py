"""Hostile text grown tenfold takes about ten times as long, in every step that reads it.

Issue 12 found a heading holding 3,000 spaces taking 23 s to build, `{{a|` and 3,000 spaces 113 s, 1.9 MB of
`(http://` over 120 s and an 87 KB table of contents 24 s to import, each growing with the square of its length.
Every shape below goes through one whole step as a user runs it (a build, an export, an import, a plan) at one
size and at ten times that size: linear work takes about 10x as long, quadratic work 100x. The bound (35x) leaves
room for a busy machine (two cores, shared); runs below 10 ms are floored, being mostly timer noise. Absolute
times are measured in bench/ (python bench/hostile_text.py), never here.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from conftest import BASE_SOURCE, BASE_SYLLABUS, make_course
from dripcourse.build import load_course, output_files, render_course
from dripcourse.errors import DripcourseError
from dripcourse.exports.services import TARGETS
from dripcourse.exports.writer import export_files
from dripcourse.importer import split_article
from dripcourse.planner import plan_course

PREVIEW = date(2026, 3, 2)
PARAGRAPH = "Pick a wake-up time you can keep on weekends too."
HEADING = "## Wake up at one time {#wake-up}"


def in_body(text: str) -> tuple[str, str]:
    return BASE_SYLLABUS, BASE_SOURCE.replace(PARAGRAPH, text)


def in_heading(text: str) -> tuple[str, str]:
    return BASE_SYLLABUS, BASE_SOURCE.replace(HEADING, text)


def in_syllabus(field: str, text: str) -> tuple[str, str]:
    quoted = "'" + text.replace("'", "''") + "'"
    return BASE_SYLLABUS.replace(
        "    subject: Start small\n", f"    subject: Start small\n    {field}: {quoted}\n"
    ), BASE_SOURCE


def missing_sections(n: int) -> tuple[str, str]:
    """n emails, each naming a section that is not there, in a source of n sections with names close to it."""
    source = BASE_SOURCE + "".join(f"\n## Part number {i}\n\nText {i}.\n" for i in range(n))
    emails = "".join(
        f"  - day: {i}\n    slug: e{i}\n    subject: Part {i}\n    preheader: {PARAGRAPH}\n"
        f"    sections: [habits#part-numbr-{i}]\n"
        for i in range(n)
    )
    return BASE_SYLLABUS[: BASE_SYLLABUS.index("emails:")] + "emails:\n" + emails, source


def missing_sources(n: int) -> tuple[str, str]:
    """n sources listed, and n emails each naming a source that is not listed, with a name close to one that is."""
    syllabus, _ = missing_sections(n)
    listed = "".join(f"  part-{i}: sources/habits.md\n" for i in range(n))
    syllabus = syllabus.replace("  habits: sources/habits.md\n", "  habits: sources/habits.md\n" + listed)
    return re.sub(r"\[habits#part-numbr-(\d+)\]", r"[prat-\1#intro]", syllabus), BASE_SOURCE


class Step:
    """One step of dripcourse over a course made from (syllabus, source) text, in a folder of its own."""

    def __init__(self, run: Callable[[Path], object], refused: bool = False):
        self.run = run
        self.refused = refused

    def __call__(self, texts: tuple[str, str]) -> float:
        root = Path(tempfile.mkdtemp())
        try:
            course = make_course(root, texts[0], {"habits.md": texts[1]})
            start = time.perf_counter()
            if self.refused:  # reading the bad input and saying what is wrong is the work timed
                with pytest.raises(DripcourseError):
                    self.run(course)
            else:
                self.run(course)
            return time.perf_counter() - start
        finally:
            shutil.rmtree(root)


def build(course: Path) -> None:
    loaded = load_course(course)
    output_files(loaded, render_course(loaded, PREVIEW))


def exporter(target: str) -> Step:
    def run(course: Path) -> None:
        loaded = load_course(course)
        export_files(TARGETS[target], loaded, render_course(loaded, PREVIEW))

    return Step(run)


def plan(course: Path) -> None:
    (course / "syllabus.yaml").unlink()
    plan_course(course, 2, False)


def importer(suffix: str) -> Callable[[tuple[str, str]], float]:
    def run(texts: tuple[str, str]) -> float:
        start = time.perf_counter()
        split_article(texts[1], suffix, f"grown{suffix}")
        return time.perf_counter() - start

    return run


BUILD = Step(build)
PLAN = Step(plan)
SHAPES: dict[str, tuple[Callable[[tuple[str, str]], float], Callable[[int], tuple[str, str]], int]] = {
    # name: (step, the course at size n, n for the smaller run)
    "heading with spaces inside": (BUILD, lambda n: in_heading("## Wake" + " " * n + "up {#wake-up}"), 300),
    "heading with spaces, no id": (BUILD, lambda n: in_heading("## Wake" + " " * n + "up"), 300),
    "heading with tabs and spaces": (BUILD, lambda n: in_heading("## Wake" + " \t" * n + "up {#wake-up}"), 300),
    "heading with spaces before hashes": (
        BUILD,
        lambda n: in_heading("## Wake" + " " * n + "#" * n + "x {#wake-up}"),
        300,
    ),
    "heading closed by spaces and hashes": (BUILD, lambda n: in_heading("## Wake up" + " #" * n), 300),
    "heading of id openers": (BUILD, lambda n: in_heading("## Wake " + "{#a" * n + " {#wake-up}"), 300),
    "open merge tag and spaces in a section": (BUILD, lambda n: in_body("{{a|" + " " * n), 300),
    "open merge tag and spaces in a heading": (
        BUILD,
        lambda n: in_heading("## Wake {{a|" + " " * n + "{#wake-up}"),
        300,
    ),
    "open merge tag and spaces in an intro": (BUILD, lambda n: in_syllabus("intro", "{{a|" + " " * n), 300),
    "merge tag with a spaced fallback": (BUILD, lambda n: in_body("{{ first_name |" + " " * n + "friend }}"), 300),
    "merge tag openers": (BUILD, lambda n: in_body("{{ " * n), 300),
    "unclosed link urls": (BUILD, lambda n: in_body("(http://" * n), 2400),
    "unclosed markdown links": (BUILD, lambda n: in_body("[a](" * n), 300),
    "unclosed brackets": (BUILD, lambda n: in_body("[" * n), 300),
    "emphasis runs": (BUILD, lambda n: in_body("*a " * n), 300),
    "unclosed tags": (BUILD, lambda n: in_body("<a " * n), 300),
    "unclosed comments": (BUILD, lambda n: (BASE_SYLLABUS, BASE_SOURCE + "\nLast words.\n\n" + "<!--" * n), 300),
    "many short lines": (BUILD, lambda n: in_body("A line.\n" * n), 300),
    "many references to missing sections": (Step(build, refused=True), missing_sections, 30),
    "many references to missing sources": (Step(build, refused=True), missing_sources, 30),
    "liquid openers for kit": (exporter("kit"), lambda n: in_body("{% " * n), 300),
    "mailchimp openers": (exporter("mailchimp"), lambda n: in_body("*|" * n), 300),
    "mailerlite openers": (exporter("mailerlite"), lambda n: in_body("{$" * n), 300),
    "percent names for brevo": (exporter("brevo"), lambda n: in_body("%a" * n), 300),
    "go template openers for listmonk": (exporter("listmonk"), lambda n: in_body("{{ ." * n), 300),
    "plan: unclosed markdown links": (PLAN, lambda n: in_body("[a](" * n), 300),
    "plan: blank lines with spaces": (PLAN, lambda n: in_body("a" + "\n \n" * n + "b"), 300),
    "plan: a long opening sentence": (PLAN, lambda n: in_body("word " * n + "."), 300),
    "import: markdown heading with spaces": (importer(".md"), lambda n: ("", "T\n\n## a" + " " * n + "b\n\nx\n"), 300),
    "import: byline with spaces": (
        importer(".txt"),
        lambda n: ("", "T\n\nBy" + " " * n + "x\n\nSome text here.\n"),
        300,
    ),
    "import: 87 KB table of contents": (
        importer(".txt"),
        lambda n: ("", "Plan\n\nTable of Contents\n" + "\n".join(f"Part {i} of the plan" for i in range(n))),
        435,
    ),
}


def best_times(step: Callable[[tuple[str, str]], float], small: tuple[str, str], large: tuple[str, str]) -> list[float]:
    """The best of three runs of each, taken in turn, so a busy moment on the machine hits both alike."""
    best = [float("inf"), float("inf")]
    step(small)  # the first run compiles templates and fills caches
    for _ in range(3):
        for which, texts in enumerate((small, large)):
            best[which] = min(best[which], step(texts))
    return best


@pytest.mark.parametrize("shape", list(SHAPES))
def test_ten_times_the_hostile_text_takes_about_ten_times_as_long(shape: str) -> None:
    step, make, n = SHAPES[shape]
    small, large = make(n), make(10 * n)
    assert len(large[0] + large[1]) - len(small[0] + small[1]) > 8 * n
    small_time, large_time = best_times(step, small, large)
    ratio = large_time / max(small_time, 0.010)
    assert ratio < 35, f"{shape}: 10x the input took {ratio:.1f}x as long ({small_time:.4f} s, {large_time:.4f} s)"
