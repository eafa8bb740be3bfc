"""The syllabus schema, written once: every field's name, whether it is required, its default and what it means.

The reader (`syllabus.py`) takes the fields each mapping may hold, and the required ones, from here; `new` and
`plan` write their `course:` and `schedule:` blocks from here; and docs/syllabus.md is generated from here:

    python -m dripcourse.schema --write-docs

A test fails when docs/syllabus.md and this module disagree. Checks that need code (a URL, an IANA zone, a
merge tag) stay in the reader, which reports each with its file, line and column.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

DEFAULT_GREETING = "Hi {{ first_name | there }},"
DEFAULT_BRAND_COLOR = "#7b3f61"


@dataclass(frozen=True)
class Field:
    """One key of a syllabus mapping."""

    name: str
    doc: str  # one sentence for the reference and for the comment `new` writes beside it
    example: str = ""  # a valid YAML value, as `new` writes it; empty for a mapping, whose fields have their own
    required: bool = False
    default: str = ""  # as the reference shows it; empty when there is none
    fields: tuple[Field, ...] = ()  # the fields of a mapping value (or of each item of a list of mappings)
    shape: str = ""  # what the value is, for the reference: "mapping", "list of ...", "text", ...


def names(fields: tuple[Field, ...]) -> tuple[str, ...]:
    return tuple(f.name for f in fields)


def required(fields: tuple[Field, ...]) -> tuple[str, ...]:
    return tuple(f.name for f in fields if f.required)


SENDER = (
    Field(
        "name",
        "The From name subscribers see: at most 200 characters, single spaces between words.",
        "Your Name",
        required=True,
        shape="text",
    ),
    Field(
        "email",
        "The From address: at most 64 characters before the @, 253 after it, 63 between dots.",
        "you@example.com",
        required=True,
        shape="email address",
    ),
)
LOGO = (
    Field("url", "The image, served over https.", "https://example.com/logo.png", required=True, shape="https URL"),
    Field("width", "Its width in pixels.", "120", required=True, shape="whole number"),
    Field("height", "Its height in pixels.", "40", required=True, shape="whole number"),
    Field("alt", "What it says, for readers who do not see it.", "My First Course", required=True, shape="text"),
)
TRACKING = (
    Field("enabled", "Add UTM parameters to links to the website.", "true", default="true", shape="true or false"),
    Field("source", "utm_source.", "dripcourse", default="dripcourse", shape="text"),
    Field("medium", "utm_medium.", "email", default="email", shape="text"),
    Field("campaign", "utm_campaign.", "my-first-course", default="the course title as a slug", shape="text"),
)
COURSE = (
    Field("title", "Shown in the header, the footer and the preview.", "My First Course", required=True, shape="text"),
    Field("language", "The language tag of the emails' HTML.", "en", default="en", shape="language tag"),
    Field("direction", "Text direction: rtl for right-to-left languages.", "ltr", default="ltr", shape="ltr or rtl"),
    Field("sender", "Who the emails are from.", required=True, fields=SENDER, shape="mapping"),
    Field("reply_to", "Where replies go.", "you@example.com", shape="email address"),
    Field(
        "postal_address",
        "Shown in every footer, as anti-spam laws require.",
        "123 Example Street, Anytown, NY 10001, USA",
        required=True,
        shape="text",
    ),
    Field(
        "unsubscribe_url",
        "Your list's unsubscribe page.",
        "https://example.com/unsubscribe",
        required=True,
        shape="http(s) URL",
    ),
    Field("website", "Links to this site get UTM parameters.", "https://example.com", required=True, shape="URL"),
    Field("brand_color", "Buttons, links and accents.", '"#2f5d7c"', default=DEFAULT_BRAND_COLOR, shape="hex colour"),
    Field("logo", "A logo above every email.", fields=LOGO, shape="mapping"),
    Field("tracking", "UTM parameters on links to the website.", fields=TRACKING, shape="mapping"),
    Field(
        "greeting",
        "The first line of every email; a merge tag with a fallback.",
        f'"{DEFAULT_GREETING}"',
        default=DEFAULT_GREETING,
        shape="text with merge tags",
    ),
    Field(
        "heading_numbers",
        'true keeps numbering like "1." or "Step 2:" that source headings start with.',
        "false",
        default="false",
        shape="true or false",
    ),
)
SCHEDULE = (
    Field(
        "mode",
        "evergreen: day N after signup; cohort: day N after start_date, for everyone at once.",
        "evergreen",
        default="evergreen",
        shape="evergreen or cohort",
    ),
    Field("time_zone", "The zone the send time is in.", "America/New_York", default="UTC", shape="IANA time zone"),
    Field("send_time", "Local time of day.", '"08:00"', default='"08:00"', shape="HH:MM"),
    Field(
        "send_days",
        "A send on another day moves to the next allowed day.",
        "[mon, tue, wed, thu, fri]",
        default="every day",
        shape="list of weekdays",
    ),
    Field("start_date", "The cohort's day 0 (cohort only).", "2026-03-02", shape="YYYY-MM-DD"),
)
BUTTON = (
    Field("text", "The button's words.", "Read more on the blog", required=True, shape="text"),
    Field("url", "Where it leads.", "https://example.com/blog", required=True, shape="http(s) URL"),
)
SECTION_REF = (
    Field("ref", "The section, as source-id#section-id.", "basics#start-small", required=True, shape="text"),
    Field(
        "heading",
        "Your own heading for the section in this email, or false to show none.",
        "Begin with ten minutes",
        default="the source's heading",
        shape="text or false",
    ),
)
EMAIL = (
    Field(
        "day",
        "Days after signup (or after start_date); day 0 is sent at signup.",
        "0",
        required=True,
        shape="whole number",
    ),
    Field("slug", "Names the output files: lowercase words with hyphens.", "welcome", required=True, shape="text"),
    Field("subject", "The subject line.", "Welcome, and your first step", required=True, shape="text"),
    Field("preheader", "The inbox preview text.", "What this short course covers.", shape="text"),
    Field(
        "sections",
        "The source sections, in order: source-id#section-id, or a mapping with your own heading.",
        "[basics#intro]",
        fields=SECTION_REF,
        shape="list of text or mappings",
    ),
    Field("intro", "Markdown before the sections.", "Thank you for signing up.", shape="Markdown"),
    Field(
        "note",
        "Markdown shown as a callout after the intro, for what no reader may miss.",
        "If you feel unsafe, call your local emergency number.",
        shape="Markdown",
    ),
    Field("outro", "Markdown after the sections.", "Tomorrow, keeping going.", shape="Markdown"),
    Field("action", 'Shown in a "Try this today" box.', "Write down one goal for this week.", shape="Markdown"),
    Field("journal", 'Shown in a "Journal prompt" box.', "What made today easier?", shape="Markdown"),
    Field("button", "A call to action after the text.", fields=BUTTON, shape="mapping"),
)
IDEA = (
    Field("summary", "What the idea says, in a sentence.", "Start with something small.", shape="text"),
    Field("sections", "The sections that carry it.", "[basics#start-small]", required=True, shape="list of text"),
)
TOP = (
    Field("course", "What the course is and who sends it.", required=True, fields=COURSE, shape="mapping"),
    Field("schedule", "When the emails go out.", fields=SCHEDULE, shape="mapping"),
    Field(
        "sources",
        "Each source's id and its Markdown file inside the course folder.",
        required=True,
        shape="mapping of id: file",
    ),
    Field(
        "ideas",
        "What the sources teach, each idea with the sections that carry it (a list, or a mapping).",
        fields=IDEA,
        shape="mapping of idea-id: sections",
    ),
    Field("emails", "The emails, in day order.", required=True, fields=EMAIL, shape="list of mappings"),
)


def block(
    name: str, values: dict[str, str] | None = None, off: frozenset[str] = frozenset(), comments: bool = True
) -> list[str]:
    """A top-level mapping (`course` or `schedule`) as YAML lines, each with its doc as a comment.

    Without `values` every field is written with its example, and the fields named in `off` (dotted paths) as
    commented-out lines, so a reader sees every field. With `values`, the required fields and those named there
    are written, each with its value from `values` or else its example.
    """
    (top,) = [f for f in TOP if f.name == name]
    return [f"{name}:", *field_lines(top.fields, values, off, comments, 2, name)]


def field_lines(
    fields: tuple[Field, ...],
    values: dict[str, str] | None,
    off: frozenset[str],
    comments: bool,
    indent: int,
    path: str,
) -> list[str]:
    lines: list[str] = []
    pad = " " * indent
    for f in fields:
        key = f"{path}.{f.name}"
        doc = f.doc if comments else ""
        if values is not None and not f.required and not any(k == key or k.startswith(key + ".") for k in values):
            continue
        if key in off:
            lines.append(commented(f"{pad}# {f.name}: {f.example or flow(f.fields)}", doc))
        elif f.fields and not f.example:
            lines.append(commented(f"{pad}{f.name}:", doc))
            lines += field_lines(f.fields, values, off, comments, indent + 2, key)
        else:
            value = values.get(key, f.example) if values is not None else f.example
            lines.append(commented(f"{pad}{f.name}: {value}", doc))
    return lines


def flow(fields: tuple[Field, ...]) -> str:
    """A mapping's example on one line: {a: 1, b: 2}."""
    return "{" + ", ".join(f"{f.name}: {f.example}" for f in fields) + "}"


COMMENT_COLUMN = 40


def commented(line: str, doc: str) -> str:
    if not doc:
        return line
    return f"{line:<{COMMENT_COLUMN}} # {doc}" if len(line) < COMMENT_COLUMN else f"{line}   # {doc}"


def reference() -> str:
    """docs/syllabus.md: every field, in the order the syllabus is written."""
    lines = [
        "# The syllabus, field by field",
        "",
        "Generated from `src/dripcourse/schema.py` by `python -m dripcourse.schema --write-docs`; a test keeps the",
        "two in step. The README shows a whole syllabus; `dripcourse new DIR` writes one with a comment on each",
        "field.",
        "",
    ]
    for top in TOP:
        lines += [f"## `{top.name}`{' (required)' if top.required else ''}", "", f"{top.doc} A {top.shape}.", ""]
        if top.fields:
            lines += table(top.fields, "")
    return "\n".join(lines).rstrip("\n") + "\n"


def table(fields: tuple[Field, ...], prefix: str) -> list[str]:
    rows = ["| field | value | required | default | what it is |", "|---|---|---|---|---|"]

    def add(fs: tuple[Field, ...], at: str) -> None:
        for f in fs:
            shown = f"{at}{f.name}"
            default = f"`{f.default}`" if f.default and not f.default.startswith(("the ", "every ")) else f.default
            cells = [f"`{shown}`", f.shape, "yes" if f.required else "", default, f.doc]
            rows.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
            if f.fields:
                add(f.fields, shown + ".")

    add(fields, prefix)
    return [*rows, ""]


DOCS = Path("docs") / "syllabus.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The syllabus reference, generated from the schema.")
    parser.add_argument("--write-docs", action="store_true", help=f"write {DOCS} (from the repository root)")
    args = parser.parse_args(argv)
    if args.write_docs:
        DOCS.write_text(reference(), encoding="utf-8")
    else:
        sys.stdout.write(reference())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
