"""Shared set-up of the hostile-input suite: a course to break, and the real CLI to run on it.

Each case runs `dripcourse.cli:app` (typer's CliRunner; a few run the installed entry point in a subprocess) and
compares the whole outcome: the exit code and the exact text printed, with the temporary folder shown as {tmp}.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from typer.testing import CliRunner

from conftest import BASE_SOURCE, BASE_SYLLABUS, ENV, REPO, make_course
from dripcourse.cli import app

# What a built preview .eml holds, once each, for a course without reply_to.
PREVIEW_HEADERS = [
    "Content-Type",
    "Date",
    "From",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "MIME-Version",
    "Message-ID",
    "Subject",
    "To",
]


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str


def run(*args: str | Path, tmp: Path, env: dict[str, str] | None = None, stdin: str | None = None) -> Outcome:
    """Run the CLI in-process; {tmp} stands for the temporary folder in what it printed."""
    result = CliRunner().invoke(app, [str(a) for a in args], env={**ENV, **(env or {})}, input=stdin)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # a traceback is never an acceptable outcome
    return Outcome(result.exit_code, shown(result.stdout, tmp), shown(result.stderr, tmp))


def run_process(*args: str | Path, tmp: Path, env: dict[str, str] | None = None) -> Outcome:
    """Run `python -m dripcourse` in a subprocess: the entry point, its last-resort handler and all."""
    full_env = {**os.environ, **ENV, **(env or {}), "PYTHONPATH": str(REPO / "src")}
    result = subprocess.run(
        [sys.executable, "-m", "dripcourse", *map(str, args)],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=tmp,
        timeout=120,
    )
    return Outcome(result.returncode, shown(result.stdout, tmp), shown(result.stderr, tmp))


def shown(text: str, tmp: Path) -> str:
    return text.replace(str(tmp.resolve()), "{tmp}").replace(str(tmp), "{tmp}")


def course(tmp: Path, *edits: tuple[str, str], source: str = BASE_SOURCE, add: str = "") -> Path:
    """The base course with each (old, new) replacement made in its syllabus (each old text must be there)."""
    syllabus = BASE_SYLLABUS
    for old, new in edits:
        assert old in syllabus, old
        syllabus = syllabus.replace(old, new, 1)
    return make_course(tmp, syllabus + add, {"habits.md": source})


def eml(out: Path, slug: str = "start") -> EmailMessage:
    (path,) = out.glob(f"emails/*{slug}.eml")
    msg = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert isinstance(msg, EmailMessage)
    return msg


def header_names(msg: EmailMessage) -> list[str]:
    return sorted(msg.keys())
