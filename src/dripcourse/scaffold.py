"""`dripcourse new`: a course folder that builds at once, with a comment on every syllabus field."""

from __future__ import annotations

from pathlib import Path

from dripcourse.errors import DripcourseError, OutputError, Problem
from dripcourse.outputs import write_folder
from dripcourse.render import default_theme_dir
from dripcourse.schema import block

# The fields `new` leaves out, written as comments so that every field shows in the new syllabus.
OPTIONAL_OFF = frozenset({"course.direction", "course.logo", "course.tracking", "schedule.start_date"})
SYLLABUS = (
    "# The syllabus: what the course is, when it sends, and what each email holds.\n"
    + "\n".join(block("course", off=OPTIONAL_OFF))
    + "\n\n"
    + "\n".join(block("schedule", off=OPTIONAL_OFF))
    + "\n\n"
    + """\
sources:                                 # id: Markdown file; "## " headings split it into sections
  basics: sources/basics.md

ideas:                                   # optional: what the sources teach, and the sections that carry each idea;
  start-small:                           # `dripcourse sources` shows every idea covered by some email, or UNCOVERED
    summary: A goal you can finish this week beats a plan you never begin.
    sections: [basics#start-small]
  keep-going: [basics#keep-going]        # the short form: just the sections

emails:
  - day: 0                               # Day 0 is sent at signup
    slug: welcome                        # names the output files
    subject: Welcome, and your first step # keep it under 50 characters
    preheader: What this short course covers, and one small thing to do today.   # inbox preview text
    intro: |                             # Markdown before the sections
      Thank you for signing up. Each email in this course is short and ends
      with one thing to try.
    note: Check with your doctor before changing how you train.   # a callout after the intro, optional
    sections:                            # source-id#section-id, in order
      - basics#intro
      - {ref: basics#start-small, heading: Begin with ten minutes}   # heading: your own text, or false to hide it
    action: Write down one goal for this week.      # shown as "Try this today"
    outro: Tomorrow we look at keeping going when motivation fades.
  - day: 1
    slug: keep-going
    subject: Keeping going
    preheader: Motivation comes and goes; a routine is what carries you through.
    sections: [basics#keep-going]
    journal: When did a habit of yours last survive a bad week, and why?   # shown as "Journal prompt"
    button:                              # optional call to action
      text: Read more on the blog
      url: https://example.com/blog
"""
)

SOURCE = """\
---
title: The Basics
author: Your Name
---

Every course starts with a few plain ideas. Replace this text with your own
article, or import one with `dripcourse import`.

## Start small {#start-small}

A goal you can finish this week teaches you more than a plan you never
begin. Pick something that takes ten minutes and do it today.

## Keep going {#keep-going}

Some days will go badly. What matters is coming back the next day, so make
the routine small enough that a bad day can still include it.
"""


def new_course(folder: Path, with_templates: bool = False) -> list[Path]:
    """Create a course folder; refuses one that already holds files."""
    if folder.exists() and not folder.is_dir():
        raise DripcourseError(Problem(folder, "exists and is not a folder"))
    if folder.exists() and any(folder.iterdir()):
        raise OutputError(Problem(folder, "is not empty; choose a new folder for the course"))
    files = {"syllabus.yaml": SYLLABUS.encode("utf-8"), "sources/basics.md": SOURCE.encode("utf-8")}
    if with_templates:
        theme = default_theme_dir()
        files |= {f"templates/{p.name}": p.read_bytes() for p in sorted(theme.iterdir()) if p.is_file()}
    write_folder(folder, files, option="folder", mark=False, kind="new")
    return [folder / name for name in files]
