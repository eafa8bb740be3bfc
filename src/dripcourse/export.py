"""`dripcourse export TARGET`: read and render the course as a build does, then write one mailing service's folder.

`exports/services.py` describes each service as data; `exports/writer.py` is the one writer that reads those
descriptions.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from dripcourse.build import load_course, render_course, write_output
from dripcourse.errors import DripcourseError, Problem, did_you_mean
from dripcourse.exports.services import TARGETS
from dripcourse.exports.writer import export_files


def export(target: str, course_dir: Path, out_dir: Path, preview_date: date) -> dict[str, bytes]:
    """Write `target`'s folder for the course into `out_dir` (through the same safe swap as a build)."""
    if target not in TARGETS:
        names = ", ".join(sorted(TARGETS))
        raise DripcourseError(
            Problem(None, f"unknown export target '{target}'{did_you_mean(target, TARGETS)}; choose one of {names}")
        )
    course = load_course(course_dir)
    files = export_files(TARGETS[target], course, render_course(course, preview_date), today=preview_date)
    write_output(out_dir, files, course, kind=f"export:{target}")
    return files
