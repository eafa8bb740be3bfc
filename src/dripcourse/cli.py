"""The command line: each command parses its options, calls one library function, and prints the result."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from dripcourse import __version__
from dripcourse.errors import DripcourseError

T = TypeVar("T")

app = typer.Typer(
    name="dripcourse",
    help="Turn a YAML syllabus and a folder of articles into a ready-to-send email course.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

CourseDir = Annotated[Path, typer.Argument(help="The course folder, holding syllabus.yaml.")]
OutDir = Annotated[Path, typer.Option("--out", "-o", help="Where to write the built course.")]


def fail(error: DripcourseError) -> typer.Exit:
    count = len(error.problems)
    heading = "Error:" if count == 1 else f"Error: {count} problems found:"
    if count == 1:
        typer.echo(f"{heading} {error.problems[0]}", err=True)
    else:
        typer.echo(heading, err=True)
        for problem in error.problems:
            typer.echo(f"  {problem}", err=True)
    return typer.Exit(error.exit_code)


def run(action: Callable[[], T]) -> T:
    """Call into the library, turning its input errors into a message and an exit code."""
    try:
        return action()
    except DripcourseError as exc:
        raise fail(exc) from None


def preview_date() -> date:
    """The signup date an evergreen build previews: SOURCE_DATE_EPOCH when set (reproducible builds), else today."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), UTC).date()
    return date.today()


def show_version(value: bool) -> None:
    if value:
        typer.echo(f"dripcourse {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=show_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Turn a YAML syllabus and a folder of articles into a ready-to-send email course."""


@app.command()
def build(course_dir: CourseDir = Path("course"), out: OutDir = Path("out")) -> None:
    """Build every email of the course into OUT: HTML, plain text, .eml and a manifest."""
    from dripcourse.build import build as build_course

    course = run(lambda: build_course(course_dir, out, preview_date()))
    typer.echo(f"Built {len(course.lessons)} emails of '{course.syllabus.course.title}' into {out}/")


@app.command()
def sources(
    course_dir: CourseDir = Path("course"),
    strict: Annotated[bool, typer.Option("--strict", help="Exit with code 1 when a section is unused.")] = False,
) -> None:
    """List every source section with the emails that use it, and mark the unused ones."""
    from dripcourse.assemble import section_usage
    from dripcourse.build import load_course

    course = run(lambda: load_course(course_dir))
    usage = section_usage(course.syllabus, course.sources)
    current = None
    for use in usage:
        section = use.section
        if section.source != current:
            current = section.source
            source = course.sources[current]
            typer.echo(f"{current}  {source.path}  ({source.title})")
        used_by = ", ".join(f"day {e.day} {e.slug}" for e in use.emails) or "UNUSED"
        typer.echo(f"  {section.id:<32} {section.word_count:>4} words  {used_by}")
    unused = [use for use in usage if not use.emails]
    typer.echo(f"{len(usage)} sections, {len(usage) - len(unused)} used, {len(unused)} unused")
    if strict and unused:
        raise typer.Exit(1)


@app.command()
def check(
    course_dir: CourseDir = Path("course"),
    strict: Annotated[bool, typer.Option("--strict", help="Treat warnings as errors.")] = False,
) -> None:
    """Lint the built emails: Gmail clipping, alt text, links, footer, subject, preheader, placeholders."""
    from dripcourse.check import lint

    findings = run(lambda: lint(course_dir, preview_date()))
    for finding in findings:
        typer.echo(str(finding))
    errors = sum(f.severity == "error" for f in findings)
    typer.echo(f"{errors} errors, {len(findings) - errors} warnings")
    if errors or (strict and findings):
        raise typer.Exit(1)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("Interrupted.", err=True)
        sys.exit(130)
