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


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("Interrupted.", err=True)
        sys.exit(130)
