"""The command line: a thin layer with help on every command and clean exits."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from dripcourse import __version__
from dripcourse.cli import app

COMMANDS = sorted(get_command(app).commands)  # type: ignore[attr-defined]


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"dripcourse {__version__}\n"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    result = CliRunner().invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output
    help_text = get_command(app).commands[command].help  # type: ignore[attr-defined]
    assert help_text and len(help_text) > 20


@pytest.mark.parametrize("command", COMMANDS)
def test_help_shows_no_type_placeholders_and_describes_every_parameter(command: str) -> None:
    """Each option and argument reads "--name  what it does", without "<bool>" or "<list[Path]>" between."""
    result = CliRunner().invoke(app, [command, "--help"], terminal_width=200)
    assert not re.search(r"<(bool|int|float|str|path|list\[\w+\])>", result.output, re.I), result.output
    for param in get_command(app).commands[command].params:  # type: ignore[attr-defined]
        assert param.help and param.help.split()[0] in result.output, (command, param.name)


def test_build_prints_a_summary(mini_course: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["build", str(mini_course), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert result.output == f"Built 2 emails of 'Tea at Home' into {tmp_path / 'out'}/\n"


def test_output_error_exits_1(mini_course: Path, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.me").write_text("x")
    result = CliRunner().invoke(app, ["build", str(mini_course), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {tmp_path / 'out'}: holds files dripcourse did not write (keep.me)")


def test_python_dash_m_runs_the_cli(mini_course: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dripcourse", "build", str(mini_course), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        env={**os.environ, "SOURCE_DATE_EPOCH": "1767225600"},
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "o" / "emails" / "01-welcome.html").is_file()
    assert "Date: Thu, 01 Jan 2026 07:30:00 +0000" in (tmp_path / "o" / "emails" / "01-welcome.eml").read_text()


def test_build_defaults_to_course_and_out_in_the_current_folder(mini_course: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    mini_course.rename(work / "course")
    result = subprocess.run([sys.executable, "-m", "dripcourse", "build"], cwd=work, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (work / "out" / "manifest.json").is_file()


def imported_modules(*args: str, cwd: Path) -> set[str]:
    """The top-level packages a fresh `python -m dripcourse ARGS` process imports (python -X importtime)."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "dripcourse", *args], cwd=cwd, capture_output=True, text=True
    )
    return {m.group(1) for m in re.finditer(r"^import time:.*\|\s*([A-Za-z_]\w*)[\w.]*$", result.stderr, re.M)}


NEVER_AT_START_UP = {"rich", "pydantic", "trafilatura", "botocore", "psycopg", "playwright", "requests", "watchfiles"}


def test_help_imports_no_rendering_or_service_libraries(tmp_path: Path) -> None:
    modules = imported_modules("--help", cwd=tmp_path)
    assert "typer" in modules  # the parse is real
    assert not modules & (NEVER_AT_START_UP | {"jinja2", "premailer", "lxml", "markdown_it", "yaml", "icalendar"})


def test_build_imports_only_what_building_uses(mini_course: Path, tmp_path: Path) -> None:
    modules = imported_modules("build", str(mini_course), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert {"premailer", "jinja2", "markdown_it"} <= modules
    assert (tmp_path / "out" / "manifest.json").is_file()
    assert not modules & (NEVER_AT_START_UP | {"icalendar", "sqlite3"}), "an evergreen build needs no calendar"
