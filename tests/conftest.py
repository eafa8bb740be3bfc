from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

# CI runs the same examples every time, so a landing never hinges on luck; laptops keep exploring new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
    settings.load_profile("ci")

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[1]
ENV = {"SOURCE_DATE_EPOCH": "1772409600"}  # 2026-03-02, so every run builds the same dates


@pytest.fixture(autouse=True, scope="session")
def marker_key_home(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """dripcourse signs its output markers with a per-user key in $XDG_STATE_HOME; tests keep theirs in a
    temporary folder (subprocesses inherit it), never in the home folder of whoever runs them."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state")))
        yield


BASE_SYLLABUS = """\
course:
  title: Quiet Mornings
  language: en
  sender:
    name: Ada Rowe
    email: ada@quiet-mornings.example
  postal_address: 4 Dawn Street, Bristol BS1 5TR, United Kingdom
  unsubscribe_url: https://quiet-mornings.example/unsubscribe
  website: https://quiet-mornings.example
schedule:
  mode: evergreen
  time_zone: America/New_York
  send_time: "08:00"
sources:
  habits: sources/habits.md
emails:
  - day: 0
    slug: start
    subject: Start small
    preheader: One small habit beats a grand plan that never begins.
    sections: [habits#intro, habits#wake-up]
  - day: 1
    slug: keep-going
    subject: Keep going
    preheader: The second morning is where most routines quietly fall apart.
    sections: [habits#evening]
"""

BASE_SOURCE = """\
---
title: Morning Habits
---

A calm morning is built the night before, one small choice at a time.

## Wake up at one time {#wake-up}

Pick a wake-up time you can keep on weekends too.

## The evening sets the morning {#evening}

Put the phone in another room and lay out tomorrow's clothes.
"""


def make_course(root: Path, syllabus: str = BASE_SYLLABUS, sources: dict[str, str] | None = None) -> Path:
    """Write a course folder with a syllabus and sources; returns the folder."""
    course = root / "course"
    (course / "sources").mkdir(parents=True, exist_ok=True)
    (course / "syllabus.yaml").write_text(syllabus, encoding="utf-8")
    for name, text in (sources if sources is not None else {"habits.md": BASE_SOURCE}).items():
        (course / "sources" / name).write_text(text, encoding="utf-8")
    return course


@pytest.fixture
def course_factory(tmp_path: Path) -> Callable[..., Path]:
    def factory(syllabus: str = BASE_SYLLABUS, sources: dict[str, str] | None = None) -> Path:
        return make_course(tmp_path, syllabus, sources)

    return factory


@pytest.fixture
def mini_course(tmp_path: Path) -> Path:
    """A copy of the golden fixture course, safe to edit."""
    target = tmp_path / "mini"
    shutil.copytree(FIXTURES / "mini", target)
    return target


def cli(*args: str) -> tuple[int, str]:
    """Run the CLI in-process on the fixed date; its exit code and everything it printed."""
    from typer.testing import CliRunner

    from dripcourse.cli import app

    result = CliRunner().invoke(app, list(args), env=ENV)
    return result.exit_code, result.output


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under an output folder, by relative path, leaving out dripcourse's own marker file."""
    from dripcourse.outputs import MARKER

    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MARKER
    }


def start_serve(course: Path, env: Mapping[str, str]) -> tuple[subprocess.Popen[str], str, int]:
    """`dripcourse serve` on a free port in a subprocess with `env`: the process, and the address and port it
    printed on its first line."""
    process = subprocess.Popen(
        [sys.executable, "-m", "dripcourse", "serve", str(course), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**env, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    match = re.search(r"at (http://127\.0\.0\.1:(\d+)/)", first)
    assert match, first
    return process, match.group(1), int(match.group(2))


def many_emails(course: Path, count: int, syllabus: str | None = None) -> None:
    """Write the course's syllabus (its own, or `syllabus`) with `count` lessons on the fixture course's sources in
    place of its emails, so a build writes a few hundred files."""
    text = (course / "syllabus.yaml").read_text() if syllabus is None else syllabus
    head = text[: text.index("emails:")]
    emails = "".join(
        f"  - day: {n}\n    slug: lesson-{n}\n    subject: Lesson {n}\n"
        "    preheader: A lesson about tea, water and patience, one cup at a time.\n"
        "    sections: [leaves#intro, leaves#loose-or-bagged, water#temperature]\n"
        for n in range(count)
    )
    (course / "syllabus.yaml").write_text(head + "emails:\n" + emails)


def named(table: Sequence[tuple[Any, ...]]) -> list[Any]:
    """The rows of a case table (name first, then the values) as parameters identified by their names."""
    return [pytest.param(*row[1:], id=row[0]) for row in table]


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def need_tool(available: bool, what: str) -> None:
    """Skip on a laptop without the tool; fail in CI, where .ci/run installs it."""
    if available:
        return
    if in_ci():
        pytest.fail(f"{what} is required in CI (.ci/run installs it)")
    pytest.skip(f"{what} is not installed")


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    """Debian's chromium driven by Playwright; nothing is downloaded."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need_tool(False, "playwright (pip)")
    need_tool(CHROMIUM.exists(), "Debian chromium")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()
