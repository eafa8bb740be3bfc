"""A corpus of broken and hostile inputs, run through the real CLI in a subprocess.

Every one must give a clear message (file and line where there is one), a non-zero exit, no traceback, and leave
the previous out/ exactly as it was.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import FIXTURES

SYLLABUS = "syllabus.yaml"


@dataclass(frozen=True)
class Case:
    name: str
    kind: str
    setup: Callable[[Path], list[str]]  # changes the course copy, returns the CLI arguments
    expected: str  # a regex the error output must match; {course} stands for the course folder
    exit_code: int = 2


def edit(path: str, old: str, new: str) -> Callable[[Path], list[str]]:
    def setup(course: Path) -> list[str]:
        target = course / path
        text = target.read_text(encoding="utf-8")
        assert old in text, old
        target.write_text(text.replace(old, new, 1), encoding="utf-8")
        return ["build", str(course), "--out", str(course.parent / "out")]

    return setup


def write(path: str, data: bytes | str, args: list[str] | None = None) -> Callable[[Path], list[str]]:
    def setup(course: Path) -> list[str]:
        target = course / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
        return [
            a.format(course=course, tmp=course.parent) for a in (args or ["build", "{course}", "--out", "{tmp}/out"])
        ]

    return setup


def run_only(args: list[str], prepare: Callable[[Path], None] | None = None) -> Callable[[Path], list[str]]:
    def setup(course: Path) -> list[str]:
        if prepare:
            prepare(course)
        return [a.format(course=course, tmp=course.parent) for a in args]

    return setup


def symlink_outside(course: Path) -> list[str]:
    outside = course.parent / "elsewhere.md"
    outside.write_text("## Secret\n\nNot part of the course.\n")
    (course / "sources" / "water.md").unlink()
    (course / "sources" / "water.md").symlink_to(outside)
    return ["build", str(course), "--out", str(course.parent / "out")]


def big_source(course: Path) -> list[str]:
    (course / "sources" / "water.md").write_text("## Big\n\n" + "tea " * (10 * 1024 * 1024 // 4))
    return ["build", str(course), "--out", str(course.parent / "out")]


def subscribers(text: str | bytes, *extra: str) -> Callable[[Path], list[str]]:
    def setup(course: Path) -> list[str]:
        path = course.parent / "subs.csv"
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        return ["schedule", str(course), "--subscribers", str(path), "--out", str(course.parent / "plan.csv"), *extra]

    return setup


def article(name: str, data: bytes | str, *extra: str) -> Callable[[Path], list[str]]:
    def setup(course: Path) -> list[str]:
        path = course.parent / name
        path.write_bytes(data if isinstance(data, bytes) else data.encode())
        return ["import", str(path), "--into", str(course / "sources"), *extra]

    return setup


BILLION_LAUGHS = (
    "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
)
S = f"{{course}}/{SYLLABUS}"
CASES = [
    # The syllabus
    Case(
        "yaml tab indent",
        "syllabus",
        edit(SYLLABUS, "  title: Tea at Home", "\ttitle: Tea at Home"),
        S + r":\d+:\d+: YAML syntax error",
    ),
    Case(
        "unclosed quote",
        "syllabus",
        edit(SYLLABUS, 'send_time: "07:30"', 'send_time: "07:30'),
        S + r":\d+:\d+: YAML syntax error",
    ),
    Case(
        "emails is a mapping",
        "syllabus",
        edit(SYLLABUS, "emails:\n", "emails: {day: 0}\nlater:\n"),
        S + r":\d+:\d+: emails: must be a list",
    ),
    Case(
        "course is a list",
        "syllabus",
        edit(SYLLABUS, "course:\n", "course: [Tea at Home]\nold_course:\n"),
        S + r":\d+:\d+: course: must be a mapping",
    ),
    Case(
        "day is text",
        "syllabus",
        edit(SYLLABUS, "day: 2", "day: two"),
        S + r":\d+:\d+: emails\[1\]\.day: must be a whole number",
    ),
    Case(
        "day is huge",
        "syllabus",
        edit(SYLLABUS, "day: 2", "day: 99999999999999999999"),
        S + r":\d+:\d+: emails\[1\]\.day: must be from 0 to 3650",
    ),
    Case(
        "duplicate slug",
        "syllabus",
        edit(SYLLABUS, "slug: water-matters", "slug: welcome"),
        S + r":\d+:\d+: emails\[1\]\.slug: 'welcome' is already used",
    ),
    Case(
        "duplicate day",
        "syllabus",
        edit(SYLLABUS, "day: 2", "day: 0"),
        S + r":\d+:\d+: emails\[1\]\.day: day 0 is already used",
    ),
    Case(
        "duplicate key",
        "syllabus",
        edit(SYLLABUS, "  language: en", "  language: en\n  language: fr"),
        S + r":\d+:\d+: course\.language: is given twice",
    ),
    Case(
        "unknown section",
        "syllabus",
        edit(SYLLABUS, "water#temperature", "water#temp"),
        S + r":\d+:\d+: emails\[1\]\.sections\[1\]: source 'water' has no section 'temp'",
    ),
    Case(
        "unknown source",
        "syllabus",
        edit(SYLLABUS, "water#temperature", "juice#temperature"),
        S + r":\d+:\d+: emails\[1\]\.sections\[1\]: unknown source 'juice'",
    ),
    Case(
        "bad zone",
        "syllabus",
        edit(SYLLABUS, "Europe/London", "Europe/Atlantis"),
        S + r":\d+:\d+: schedule\.time_zone: unknown IANA time zone",
    ),
    Case(
        "impossible date",
        "syllabus",
        edit(SYLLABUS, "mode: evergreen", "mode: cohort\n  start_date: 2026-02-30"),
        S + r":\d+:\d+: schedule\.start_date: must be a date",
    ),
    Case(
        "empty course",
        "syllabus",
        edit(SYLLABUS, "emails:\n", "emails: []\nold:\n"),
        S + r":\d+:\d+: (old: unknown field|emails: the course has no emails)",
    ),
    Case("empty syllabus file", "syllabus", write(SYLLABUS, ""), S + ": the syllabus is empty"),
    Case(
        "binary syllabus",
        "syllabus",
        write(SYLLABUS, b"\x89PNG\r\n\x1a\n\x00\x00"),
        S + r"(:\d+:\d+)?: (YAML|not UTF-8)",
    ),
    Case(
        "non-UTF-8 syllabus",
        "syllabus",
        write(SYLLABUS, "course:\n  title: Th\xe9 \xe0 la maison\n".encode("cp1252")),
        S + r": not UTF-8 text",
    ),
    Case(
        "source path leaves folder",
        "syllabus",
        edit(SYLLABUS, "water: sources/water.md", "water: ../../etc/passwd"),
        S + r":\d+:\d+: sources\.water: must be a path inside the course folder",
    ),
    Case(
        "absolute source path",
        "syllabus",
        edit(SYLLABUS, "water: sources/water.md", "water: /etc/passwd"),
        S + r":\d+:\d+: sources\.water: must be a path inside the course folder",
    ),
    Case(
        "subject header injection",
        "syllabus",
        edit(SYLLABUS, "subject: Your first better cup", 'subject: "Cup\\r\\nBcc: everyone@example.org"'),
        S + r":\d+:\d+: emails\[0\]\.subject: contains a control character",
    ),
    Case(
        "reply-to injection",
        "syllabus",
        edit(
            SYLLABUS, "reply_to: hello@tea-at-home.example", 'reply_to: "hello@tea-at-home.example\\nBcc: x@y.example"'
        ),
        S + r":\d+:\d+: course\.reply_to: contains a control character",
    ),
    Case(
        "sender name NUL",
        "syllabus",
        edit(SYLLABUS, "name: Mira Lane", 'name: "Mira\\0Lane"'),
        S + r":\d+:\d+: course\.sender\.name: contains a control character",
    ),
    Case(
        "yaml alias bomb",
        "syllabus",
        edit(SYLLABUS, "course:\n", BILLION_LAUGHS + "course:\n"),
        S + r":\d+:\d+: a: unknown field",
    ),
    Case(
        "unknown merge tag",
        "syllabus",
        edit(SYLLABUS, "Tomorrow we talk", "Tomorrow, {{ nickname }}, we talk"),
        S + r":\d+:\d+: emails\[0\]\.outro: unknown merge tag 'nickname'",
    ),
    Case(
        "missing syllabus",
        "syllabus",
        run_only(["build", "{tmp}/nowhere", "--out", "{tmp}/out"]),
        r"{tmp}/nowhere/syllabus\.yaml: no syllabus here",
    ),
    # The sources
    Case(
        "missing source",
        "source",
        run_only(["build", "{course}", "--out", "{tmp}/out"], lambda c: (c / "sources" / "water.md").unlink()),
        S + r":\d+:\d+: sources\.water: file not found",
    ),
    Case("10 MB source", "source", big_source, r"{course}/sources/water\.md: is [\d,]+ bytes; a source may be at most"),
    Case(
        "binary source",
        "source",
        write("sources/water.md", b"\x7fELF\x02\x01\x01\x00\x00\x00"),
        r"{course}/sources/water\.md: looks like a binary file",
    ),
    Case(
        "non-UTF-8 source",
        "source",
        write("sources/water.md", "## Soft or hard\n\nCaf\xe9\n".encode("cp1252")),
        r"{course}/sources/water\.md:3: is not UTF-8",
    ),
    Case(
        "symlink outside course",
        "source",
        symlink_outside,
        S + r":\d+:\d+: sources\.water: sources/water\.md leads outside the course folder",
    ),
    Case(
        "source is a folder",
        "source",
        run_only(
            ["build", "{course}", "--out", "{tmp}/out"],
            lambda c: ((c / "sources" / "water.md").unlink(), (c / "sources" / "water.md").mkdir()),
        ),
        r"{course}/sources/water\.md: is not a file",
    ),
    Case(
        "duplicate section ids",
        "source",
        write("sources/water.md", "## Soft or hard\n\nA.\n\n## Temperature\n\nB.\n\n## Soft or Hard\n\nC.\n"),
        r"{course}/sources/water\.md:9: section: section id 'soft-or-hard' is already used at line 1",
    ),
    Case(
        "front matter not a mapping",
        "source",
        write("sources/water.md", "---\n- a\n- b\n---\n## Soft or hard\n\nA.\n\n## Temperature\n\nB.\n"),
        r"{course}/sources/water\.md:2:1: must be a mapping",
    ),
    Case(
        "unterminated front matter",
        "source",
        write("sources/water.md", "---\ntitle: Water\n\n## Soft or hard\n"),
        r"{course}/sources/water\.md:1: front matter starts with '---' but never ends",
    ),
    Case(
        "merge tag in source",
        "source",
        edit("sources/water.md", "Hard water", "{{ frist_name }}, hard water"),
        r"{course}/sources/water\.md:\d+:1: unknown merge tag 'frist_name' \(did you mean 'first_name'\?\)",
    ),
    # Templates
    Case(
        "template syntax error",
        "template",
        write("templates/email.html", "<html><body>{% if course %}<p>x</p></body></html>"),
        r"{course}/templates/email\.html:1: template error: Unexpected end of template",
    ),
    Case(
        "template raises",
        "template",
        write("templates/email.html", "<html><body>\n<p>{{ 1 // 0 }}</p>\n</body></html>"),
        r"{course}/templates/email\.html:2: template failed: ZeroDivisionError",
    ),
    Case(
        "template undefined name",
        "template",
        write("templates/email.html", "<html><body>\n\n<p>{{ nonsense.field }}</p></body></html>"),
        r"{course}/templates/email\.html:3: template error: 'nonsense' is undefined",
    ),
    Case(
        "template unknown merge tag",
        "template",
        write("templates/email.txt", "{{ merge_tag('nickname') }}\n"),
        r"{course}/templates/email\.txt:1: template error: unknown merge tag 'nickname'",
    ),
    Case(
        "template includes outside",
        "template",
        write("templates/email.html", "<html><body>{% include '../../../etc/passwd' %}</body></html>"),
        r"{course}/templates/email\.html:1: template error: \.\./\.\./\.\./etc/passwd",
    ),
    # Subscriber lists
    Case(
        "subscriber file missing",
        "subscribers",
        run_only(["schedule", "{course}", "--subscribers", "{tmp}/none.csv", "--out", "{tmp}/plan.csv"]),
        r"{tmp}/none\.csv: file not found",
    ),
    Case(
        "subscriber columns missing",
        "subscribers",
        subscribers("name,joined\nAnn,2026-01-01\n"),
        r"{tmp}/subs\.csv:1: missing column\(s\) email, signed_up_at",
    ),
    Case(
        "empty subscriber file", "subscribers", subscribers(""), r"{tmp}/subs\.csv:1: is empty; expected a header row"
    ),
    Case(
        "bad address, strict",
        "subscribers",
        subscribers(
            "email,signed_up_at\nann@x.example,2026-01-01T08:00:00Z\nnot an address,2026-01-01T08:00:00Z\n", "--strict"
        ),
        r"{tmp}/subs\.csv:3: email: not an email address: 'not an address'",
    ),
    Case(
        "bad zone, strict",
        "subscribers",
        subscribers("email,signed_up_at,timezone\nann@x.example,2026-01-01T08:00:00Z,Moon/Base\n", "--strict"),
        r"{tmp}/subs\.csv:2: timezone: unknown IANA time zone 'Moon/Base'",
    ),
    Case(
        "non-UTF-8 subscribers",
        "subscribers",
        subscribers("email,signed_up_at\nren\xe9@x.example,2026-01-01T08:00:00Z\n".encode("cp1252")),
        r"{tmp}/subs\.csv: is not UTF-8 text",
    ),
    # Imported articles
    Case(
        "article missing",
        "import",
        run_only(["import", "{tmp}/missing.txt", "--into", "{course}/sources"]),
        r"{tmp}/missing\.txt: file not found",
    ),
    Case(
        "binary article",
        "import",
        article("photo.txt", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"),
        r"{tmp}/photo\.txt: looks like a binary file",
    ),
    Case(
        "huge article",
        "import",
        article("huge.txt", "word " * (6 * 1024 * 1024 // 5)),
        r"{tmp}/huge\.txt: is [\d,]+ bytes; an article may be at most",
    ),
    Case(
        "id with two files",
        "import",
        run_only(["import", "{tmp}/a.txt", "{tmp}/b.txt", "--id", "x"]),
        r"--id names one source; give exactly one file with it",
    ),
    Case(
        "import over existing source",
        "import",
        article("water.txt", "Water\n\nSome text here.\n"),
        r"{course}/sources/water\.md: already exists; pass --force to replace it",
    ),
    # Output folders
    Case(
        "out is a file",
        "output",
        run_only(["build", "{course}", "--out", "{course}/syllabus.yaml"]),
        S + ": exists and is not a folder",
        1,
    ),
    Case(
        "out is the course folder",
        "output",
        run_only(["build", "{course}", "--out", "{course}"]),
        r"{course}: is the course folder; choose a --out outside it",
        1,
    ),
]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def cli(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dripcourse", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "SOURCE_DATE_EPOCH": "1767225600"},
    )


@pytest.fixture(scope="module")
def good_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One good build of the fixture course; each case starts from a copy of it (output does not depend on paths)."""
    out = tmp_path_factory.mktemp("good") / "out"
    assert cli(["build", str(FIXTURES / "mini"), "--out", str(out)]).returncode == 0
    return out


def test_corpus_is_large_and_covers_every_kind() -> None:
    assert len(CASES) >= 40
    kinds = {case.kind for case in CASES}
    assert kinds == {"syllabus", "source", "template", "subscribers", "import", "output"}
    print({kind: sum(c.kind == kind for c in CASES) for kind in sorted(kinds)})


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_gets_one_clear_message(case: Case, tmp_path: Path, good_out: Path) -> None:
    course = tmp_path / "course"
    shutil.copytree(FIXTURES / "mini", course)
    out = tmp_path / "out"
    shutil.copytree(good_out, out)
    before = snapshot(out)
    args = case.setup(course)
    result = cli(args)
    output = result.stdout + result.stderr
    assert result.returncode == case.exit_code, output
    assert "Traceback" not in output
    assert result.stderr.startswith("Error: "), output
    pattern = case.expected.replace("{course}", re.escape(str(course))).replace("{tmp}", re.escape(str(tmp_path)))
    assert re.search(pattern, result.stderr), result.stderr
    assert snapshot(out) == before, "out/ must be left as it was"
