"""Problems found in the user's input, and the one way they are printed."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

LINE_BREAKS = str.maketrans({"\n": "\\n", "\r": "\\r"})


def one_line(value: object) -> str:
    """`value` as text that keeps to its line: a line feed or carriage return in a path or a name the user gave is
    shown as `\\n` or `\\r`, so it cannot start a line of its own that reads like dripcourse's."""
    return str(value).translate(LINE_BREAKS)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one place in one file."""

    file: Path | str | None
    message: str
    line: int | None = None
    column: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = str(self.file)
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        field = f"{self.field}: " if self.field else ""
        return one_line(f"{where}{field}{self.message}")  # one problem, one line, whatever the path holds


class DripcourseError(Exception):
    """Input the tool cannot work with. Carries every problem found, not just the first."""

    exit_code = 2

    def __init__(self, problems: Problem | Iterable[Problem]):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class OutputError(DripcourseError):
    """The output folder cannot be written safely."""

    exit_code = 1


class EnvironmentFault(DripcourseError):
    """Something outside the course is wrong: an environment variable, a port, the file system."""

    exit_code = 1


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the nearest choice, or ''."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
