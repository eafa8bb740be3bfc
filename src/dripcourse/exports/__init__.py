"""Export targets: one folder per mailing service, each in the shape that service imports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from dripcourse.build import BuiltEmail, Course, load_course, render_course, write_output
from dripcourse.errors import DripcourseError, Problem, did_you_mean
from dripcourse.exports.dialects import Dialect
from dripcourse.sources import slugify
from dripcourse.syllabus import CourseInfo, Schedule


@dataclass(frozen=True)
class ExportContext:
    course: Course
    emails: list[BuiltEmail]

    @property
    def info(self) -> CourseInfo:
        return self.course.syllabus.course

    @property
    def schedule(self) -> Schedule:
        return self.course.syllabus.schedule

    @property
    def campaign(self) -> str:
        return self.info.tracking.campaign or slugify(self.info.title)

    def html(self, email: BuiltEmail, dialect: Dialect) -> str:
        return dialect.fill(email.rendered.html, email.rendered.tags, self.info, html=True)

    def text(self, email: BuiltEmail, dialect: Dialect) -> str:
        return dialect.fill(email.rendered.text, email.rendered.tags, self.info, html=False)


Target = Callable[[ExportContext], dict[str, bytes]]


def targets() -> dict[str, Target]:
    from dripcourse.exports import services

    return dict(services.TARGETS)


def export(target: str, course_dir: Path, out_dir: Path, preview_date: date) -> dict[str, bytes]:
    """Write `target`'s folder for the course into `out_dir` (through the same safe swap as a build)."""
    available = targets()
    if target not in available:
        names = ", ".join(sorted(available))
        raise DripcourseError(
            Problem(None, f"unknown export target '{target}'{did_you_mean(target, available)}; choose one of {names}")
        )
    course = load_course(course_dir)
    files = available[target](ExportContext(course, render_course(course, preview_date)))
    write_output(out_dir, files)
    return files
