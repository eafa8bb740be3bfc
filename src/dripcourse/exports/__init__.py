"""Export targets: one folder per mailing service, each in the shape that service's API or import takes.

`services.py` describes each service as data; `writer.py` is the one writer that reads those descriptions.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from dripcourse.build import load_course, render_course, write_output
from dripcourse.errors import DripcourseError, Problem, did_you_mean
from dripcourse.exports.model import Target


def targets() -> dict[str, Target]:
    from dripcourse.exports.services import TARGETS

    return dict(TARGETS)


def export(target: str, course_dir: Path, out_dir: Path, preview_date: date) -> dict[str, bytes]:
    """Write `target`'s folder for the course into `out_dir` (through the same safe swap as a build)."""
    from dripcourse.exports.writer import export_files

    available = targets()
    if target not in available:
        names = ", ".join(sorted(available))
        raise DripcourseError(
            Problem(None, f"unknown export target '{target}'{did_you_mean(target, available)}; choose one of {names}")
        )
    course = load_course(course_dir)
    files = export_files(available[target], course, render_course(course, preview_date))
    write_output(out_dir, files, course)
    return files
