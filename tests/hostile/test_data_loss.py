"""Nothing of the user's is ever overwritten or deleted: hostile cases through the real command line.

Each case sets up a folder the way a user might have it, runs one command, and checks the exit code, the exact
message and that every file the user made is still there with its bytes. Messages name the path as the user gave
it; paths dripcourse resolved are shown absolute ({tmp} below).

The disk faults (full disk, read-only disk, no permission) cannot be made with chmod here: the tests may run as
root, which writes through any mode bits. They are simulated in-process instead, by making `os.write` (full disk)
or `os.mkdir` (read-only disk, no permission) fail with the errno the kernel would give.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import FIXTURES, many_emails
from dripcourse.cli import app
from dripcourse.outputs import MARKER

SUBSCRIBERS = "email,first_name,signed_up_at,timezone\nada@example.org,Ada,2026-03-06T12:00:00Z,Europe/London\n"
ARTICLE = "How to Brew\n\nWarm the pot first, then pour water that has just come off the boil over the leaves.\n"
REFUSED_OUT = "choose an empty or new output folder"


def tree(folder: Path) -> dict[str, bytes | None]:
    """Every file (bytes), link (its target, as bytes) and folder (None) under `folder`, by relative path."""
    found: dict[str, bytes | None] = {}
    for root, dirs, names in os.walk(folder):
        for name in dirs + names:
            path = Path(root) / name
            relative = str(path.relative_to(folder))
            if path.is_symlink():
                found[relative] = os.readlink(path).encode()
            elif path.is_dir():
                found[relative] = None
            else:
                found[relative] = path.read_bytes()
    return found


def content(path: Path) -> dict[str, bytes | None] | bytes:
    return tree(path) if path.is_dir() else path.read_bytes()


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def invoke(root: Path, args: list[str]) -> tuple[int, str]:
    old = Path.cwd()
    os.chdir(root)
    try:
        result = CliRunner().invoke(app, args, env={"SOURCE_DATE_EPOCH": "1767225600"})
    finally:
        os.chdir(old)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.stderr


@dataclass(frozen=True)
class Case:
    name: str
    args: list[str]
    code: int
    message: str  # the whole of stderr; "" when the command must succeed quietly
    setup: Callable[[Path], None] = lambda root: None
    check: Callable[[Path], None] = lambda root: None
    keep: tuple[str, ...] = ()  # paths (files or folders) whose whole tree must be unchanged
    absent: tuple[str, ...] = ()  # paths the command must not create
    built: bool = False  # build course/ into out/ before setup
    extra: dict[str, str] = field(default_factory=dict)


def do(*steps: object) -> None:
    """Lets a one-line setup take several steps; each has run by the time this is called."""


def files(extra: dict[str, str]) -> Callable[[Path], None]:
    return lambda root: write(root, extra)


def link(name: str, target: str, then: Callable[[Path], None] = lambda root: None) -> Callable[[Path], None]:
    def make(root: Path) -> None:
        then(root)
        (root / name).symlink_to(target)

    return make


def folders(*names: str) -> Callable[[Path], None]:
    return lambda root: [(root / name).mkdir(parents=True) for name in names] and None


def is_link_to_built(name: str, target: str) -> Callable[[Path], None]:
    def check(root: Path) -> None:
        assert (root / name).is_symlink() and os.readlink(root / name) == target
        assert (root / target / "emails" / "01-welcome.html").is_file()
        assert not [p for p in root.iterdir() if p.name.startswith(f".{name}.") or p.name.startswith(f".{target}.")]

    return check


def has_built(name: str) -> Callable[[Path], None]:
    return lambda root: (root / name / "emails" / "01-welcome.html").read_bytes() and None


FAKE_MANIFEST = '{"generator": "dripcourse 0.1.0", "files": ["manifest.json", "thesis.docx"]}\n'
FAKE_MARKER = '{"format": "dripcourse-output/1", "id": "nope", "files": ["thesis.docx"]}\n'
LONG = "x" * 300

BUILD_CASES = [
    Case(
        "own manifest.json listing the user's thesis",
        ["build", "course", "--out", "out"],
        1,
        f"Error: out: holds files dripcourse did not write (manifest.json, thesis.docx); {REFUSED_OUT}\n",
        files({"out/thesis.docx": "chapter one", "out/manifest.json": FAKE_MANIFEST}),
        keep=("out",),
    ),
    Case(
        "a marker of the user's own making, in the old format",
        ["build", "course", "--out", "out"],
        1,
        "Error: out: holds a marker in the format of an earlier dripcourse (dripcourse-output/1), which did not "
        "record what it wrote; keep anything of yours from it and delete the folder, or choose another output folder\n",
        files({"out/thesis.docx": "chapter one", f"out/{MARKER}": FAKE_MARKER}),
        keep=("out",),
    ),
    Case(
        "the marker as a link to a real one elsewhere",
        ["build", "course", "--out", "mine"],
        1,
        f"Error: mine: holds files dripcourse did not write ({MARKER}, thesis.docx); {REFUSED_OUT}\n",
        lambda root: do(
            write(root, {"mine/thesis.docx": "chapter one"}),
            (root / "mine" / MARKER).symlink_to(root / "out" / MARKER),
        ),
        keep=("mine",),
        built=True,
    ),
    Case(
        "a user's empty folder inside out/",
        ["build", "course", "--out", "out"],
        1,
        f"Error: out: holds files dripcourse did not write (drafts/); {REFUSED_OUT}\n",
        folders("out/drafts"),
        keep=("out",),
        built=True,
    ),
    Case(
        "a user's empty folder inside out/emails/",
        ["build", "course", "--out", "out"],
        1,
        f"Error: out: holds files dripcourse did not write (emails/old/); {REFUSED_OUT}\n",
        folders("out/emails/old"),
        keep=("out",),
        built=True,
    ),
    Case(
        "a user's file beside the built emails",
        ["build", "course", "--out", "out"],
        1,
        f"Error: out: holds files dripcourse did not write (emails/mine.html); {REFUSED_OUT}\n",
        files({"out/emails/mine.html": "<p>mine</p>"}),
        keep=("out",),
        built=True,
    ),
    Case(
        "a user's link inside out/",
        ["build", "course", "--out", "out"],
        1,
        f"Error: out: holds files dripcourse did not write (notes); {REFUSED_OUT}\n",
        lambda root: do(write(root, {"notes.txt": "mine"}), (root / "out" / "notes").symlink_to(root / "notes.txt")),
        keep=("out", "notes.txt"),
        built=True,
    ),
    Case(
        "a built email replaced by a folder of the user's",
        ["build", "course", "--out", "out"],
        1,
        f"Error: out: holds files dripcourse did not write (emails/01-welcome.txt/); {REFUSED_OUT}\n",
        lambda root: do(
            (root / "out/emails/01-welcome.txt").unlink(),
            write(root, {"out/emails/01-welcome.txt/a": "mine"}),
        ),
        keep=("out",),
        built=True,
    ),
    Case(
        "a built email replaced by a link to the user's file",
        ["build", "course", "--out", "out"],
        1,
        f"Error: out: holds files dripcourse did not write (emails/01-welcome.html); {REFUSED_OUT}\n",
        lambda root: do(
            write(root, {"thesis.docx": "chapter one"}),
            (root / "out/emails/01-welcome.html").unlink(),
            (root / "out/emails/01-welcome.html").symlink_to(root / "thesis.docx"),
        ),
        keep=("out", "thesis.docx"),
        built=True,
    ),
    Case(
        "a named pipe of the user's inside out/",
        ["build", "course", "--out", "out"],
        1,
        f"Error: out: holds files dripcourse did not write (pipe); {REFUSED_OUT}\n",
        lambda root: os.mkfifo(root / "out" / "pipe"),
        check=lambda root: do((root / "out" / "pipe").is_fifo() or pytest.fail("the pipe is gone")),
        built=True,
    ),
    Case(
        "a folder of the user's with a README",
        ["build", "course", "--out", "site"],
        1,
        f"Error: site: holds files dripcourse did not write (README.md, img/); {REFUSED_OUT}\n",
        lambda root: do(write(root, {"site/README.md": "# my site"}), (root / "site/img").mkdir()),
        keep=("site",),
    ),
    Case(
        "a hidden folder of the user's named like a staging folder",
        ["build", "course", "--out", "out"],
        0,
        "",
        files({".out.dripcourse-notes/plan.txt": "mine"}),
        keep=(".out.dripcourse-notes",),
        check=has_built("out"),
    ),
    Case(
        "an empty folder the user made for the output",
        ["build", "course", "--out", "out"],
        0,
        "",
        folders("out"),
        check=has_built("out"),
    ),
    Case(
        "a link to an empty folder",
        ["build", "course", "--out", "out"],
        0,
        "",
        link("out", "real", folders("real")),
        check=is_link_to_built("out", "real"),
    ),
    Case(
        "a link to an earlier build",
        ["build", "course", "--out", "site"],
        0,
        "",
        link("site", "out"),
        check=is_link_to_built("site", "out"),
        built=True,
    ),
    Case(
        "a dangling link",
        ["build", "course", "--out", "out"],
        1,
        "Error: out: is a link to gone, which does not exist; create it or choose another --out\n",
        link("out", "gone"),
        keep=("out",),
        absent=("gone",),
    ),
    Case(
        "a link to a file",
        ["build", "course", "--out", "out"],
        1,
        "Error: out: is a link to a file, not a folder; choose another --out\n",
        link("out", "notes.txt", files({"notes.txt": "mine"})),
        keep=("out", "notes.txt"),
    ),
    Case(
        "a file",
        ["build", "course", "--out", "notes.txt"],
        1,
        "Error: notes.txt: exists and is not a folder; choose another --out\n",
        files({"notes.txt": "mine"}),
        keep=("notes.txt",),
    ),
    Case(
        "under a file",
        ["build", "course", "--out", "notes.txt/out"],
        1,
        "Error: notes.txt/out: cannot be created: {tmp}/notes.txt is a file, not a folder\n",
        files({"notes.txt": "mine"}),
        keep=("notes.txt",),
    ),
    Case(
        "the root folder", ["build", "course", "--out", "/"], 1, "Error: /: is the root folder; choose another --out\n"
    ),
    Case(
        "a 300-character folder name",
        ["build", "course", "--out", LONG],
        1,
        f"Error: {LONG}: the folder name is longer than 200 bytes; choose a shorter one\n",
    ),
    Case(
        "the course folder",
        ["build", "course", "--out", "course"],
        1,
        "Error: course: is the course folder; choose a --out outside it\n",
        keep=("course",),
    ),
    Case(
        "inside the course's sources",
        ["build", "course", "--out", "course/sources/out"],
        1,
        "Error: course/sources/out: is inside the course's sources folder; choose a --out outside it\n",
        keep=("course",),
    ),
    Case(
        "inside the course's templates",
        ["build", "course", "--out", "course/templates/out"],
        1,
        "Error: course/templates/out: is inside the course's templates folder; choose a --out outside it\n",
        keep=("course",),
        absent=("course/templates",),
    ),
    Case(
        "the folder holding the course",
        ["build", "course", "--out", "."],
        1,
        "Error: .: would hold course, which the build reads; choose another --out\n",
        keep=("course",),
    ),
    Case(
        "a link into the course's sources",
        ["build", "course", "--out", "out"],
        1,
        "Error: out: is inside the course's sources folder; choose a --out outside it\n",
        link("out", "course/sources"),
        keep=("course", "out"),
    ),
]

EXPORT_CASES = [
    Case(
        "export into the course folder",
        ["export", "eml", "course", "--out", "course"],
        1,
        "Error: course: is the course folder; choose a --out outside it\n",
        keep=("course",),
    ),
    Case(
        "export into the course's sources",
        ["export", "kit", "course", "--out", "course/sources/kit"],
        1,
        "Error: course/sources/kit: is inside the course's sources folder; choose a --out outside it\n",
        keep=("course",),
    ),
    Case(
        "export over a folder with the user's own manifest",
        ["export", "ses", "course", "--out", "exports/ses"],
        1,
        f"Error: exports/ses: holds files dripcourse did not write (manifest.json, thesis.docx); {REFUSED_OUT}\n",
        files({"exports/ses/thesis.docx": "chapter one", "exports/ses/manifest.json": FAKE_MANIFEST}),
        keep=("exports",),
    ),
    Case(
        "export into a dangling link",
        ["export", "ses", "course", "--out", "ses"],
        1,
        "Error: ses: is a link to nowhere, which does not exist; create it or choose another --out\n",
        link("ses", "nowhere"),
        keep=("ses",),
    ),
    Case(
        "export under a file",
        ["export", "ses", "course", "--out", "notes.txt/ses"],
        1,
        "Error: notes.txt/ses: cannot be created: {tmp}/notes.txt is a file, not a folder\n",
        files({"notes.txt": "mine"}),
        keep=("notes.txt",),
    ),
]

SCHEDULE = ["schedule", "course", "--subscribers", "subs.csv"]
SCHEDULE_CASES = [
    Case(
        "the plan over the subscriber list, forced",
        [*SCHEDULE, "--out", "subs.csv", "--force"],
        1,
        "Error: subs.csv: is subs.csv, which the plan is made from; choose another --out\n",
        keep=("subs.csv",),
    ),
    Case(
        "the plan over the subscriber list spelled another way",
        [*SCHEDULE, "--out", "./lists/../subs.csv", "--force"],
        1,
        "Error: lists/../subs.csv: is subs.csv, which the plan is made from; choose another --out\n",
        folders("lists"),
        keep=("subs.csv",),
    ),
    Case(
        "the plan through a link to the subscriber list",
        [*SCHEDULE, "--out", "plan.csv", "--force"],
        1,
        "Error: plan.csv: is subs.csv, which the plan is made from; choose another --out\n",
        link("plan.csv", "subs.csv"),
        keep=("subs.csv", "plan.csv"),
    ),
    Case(
        "the plan over a hard link to the subscriber list",
        [*SCHEDULE, "--out", "copy.csv", "--force"],
        1,
        "Error: copy.csv: is subs.csv, which the plan is made from; choose another --out\n",
        lambda root: os.link(root / "subs.csv", root / "copy.csv"),
        keep=("subs.csv", "copy.csv"),
    ),
    Case(
        "the plan over the send ledger",
        [*SCHEDULE, "--out", "course/ledger.sqlite", "--force"],
        1,
        "Error: course/ledger.sqlite: is course/ledger.sqlite, which the plan is made from; choose another --out\n",
        files({"course/ledger.sqlite": "sends so far"}),
        keep=("course",),
    ),
    Case(
        "the plan over the syllabus",
        [*SCHEDULE, "--out", "course/syllabus.yaml", "--force"],
        1,
        "Error: course/syllabus.yaml: is course/syllabus.yaml, which the plan is made from; choose another --out\n",
        keep=("course",),
    ),
    Case(
        "the plan over a source",
        [*SCHEDULE, "--out", "course/sources/water.md", "--force"],
        1,
        "Error: course/sources/water.md: is course/sources/water.md, which the plan is made from; "
        "choose another --out\n",
        keep=("course",),
    ),
    Case(
        "the plan into a missing folder",
        [*SCHEDULE, "--out", "missing/plan.csv"],
        1,
        "Error: missing/plan.csv: cannot be written: the folder missing does not exist\n",
        absent=("missing",),
    ),
    Case(
        "the plan under a file",
        [*SCHEDULE, "--out", "notes.txt/plan.csv"],
        1,
        "Error: notes.txt/plan.csv: cannot be written: the folder notes.txt is a file, not a folder\n",
        files({"notes.txt": "mine"}),
        keep=("notes.txt",),
    ),
    Case(
        "the plan as the current folder",
        [*SCHEDULE, "--out", "."],
        1,
        "Error: .: is a folder; give the plan a file name, like plan.csv\n",
    ),
    Case(
        "the plan as a folder",
        [*SCHEDULE, "--out", "plans", "--force"],
        1,
        "Error: plans: is a folder; give the plan a file name, like plan.csv\n",
        files({"plans/old.csv": "mine"}),
        keep=("plans",),
    ),
    Case(
        "the plan over an existing file without --force",
        [*SCHEDULE, "--out", "plan.csv"],
        1,
        "Error: plan.csv: already exists; pass --force to replace it\n",
        files({"plan.csv": "mine"}),
        keep=("plan.csv",),
    ),
    Case(
        "the plan over a dangling link without --force",
        [*SCHEDULE, "--out", "plan.csv"],
        1,
        "Error: plan.csv: already exists; pass --force to replace it\n",
        link("plan.csv", "elsewhere.csv"),
        keep=("plan.csv",),
        absent=("elsewhere.csv",),
    ),
]

IMPORT_CASES = [
    Case(
        "two articles with one file name",
        ["import", "a/notes.txt", "b/notes.txt", "--into", "course/sources"],
        2,
        "Error: b/notes.txt: would become course/sources/notes.md, like a/notes.txt; "
        "import one of them with its own --id\n",
        files({"a/notes.txt": ARTICLE, "b/notes.txt": ARTICLE.replace("Warm", "Heat")}),
        keep=("course", "a", "b"),
    ),
    Case(
        "two names that differ only in case",
        ["import", "Notes.txt", "notes.txt", "--into", "course/sources"],
        2,
        "Error: notes.txt: would become course/sources/notes.md, like Notes.txt; import one of them with its own --id\n",
        files({"Notes.txt": ARTICLE, "notes.txt": ARTICLE}),
        keep=("course",),
    ),
    Case(
        "an underscore and a hyphen",
        ["import", "a_b.txt", "a-b.txt", "--into", "course/sources"],
        2,
        "Error: a-b.txt: would become course/sources/a-b.md, like a_b.txt; import one of them with its own --id\n",
        files({"a_b.txt": ARTICLE, "a-b.txt": ARTICLE}),
        keep=("course",),
    ),
    Case(
        "one article named twice",
        ["import", "a.txt", "a.txt", "--into", "course/sources"],
        2,
        "Error: a.txt: would become course/sources/a.md, like a.txt; import one of them with its own --id\n",
        files({"a.txt": ARTICLE}),
        keep=("course",),
    ),
    Case(
        "an id that climbs out of --into",
        ["import", "a.txt", "--id", "../../x", "--into", "course/sources"],
        2,
        "Error: --id must be lowercase letters, digits and single hyphens, at most 60 characters, got '../../x'\n",
        files({"a.txt": ARTICLE}),
        keep=("course",),
        absent=("x.md", "course/x.md"),
    ),
    Case(
        "an absolute id",
        ["import", "a.txt", "--id", "/tmp/x", "--into", "course/sources"],
        2,
        "Error: --id must be lowercase letters, digits and single hyphens, at most 60 characters, got '/tmp/x'\n",
        files({"a.txt": ARTICLE}),
        keep=("course",),
    ),
    Case(
        "an id with a dot",
        ["import", "a.txt", "--id", ".hidden", "--into", "course/sources"],
        2,
        "Error: --id must be lowercase letters, digits and single hyphens, at most 60 characters, got '.hidden'\n",
        files({"a.txt": ARTICLE}),
        keep=("course",),
    ),
    Case(
        "an id of 300 characters",
        ["import", "a.txt", "--id", LONG, "--into", "course/sources"],
        2,
        f"Error: --id must be lowercase letters, digits and single hyphens, at most 60 characters, got '{LONG}'\n",
        files({"a.txt": ARTICLE}),
        keep=("course",),
    ),
    Case(
        "a source imported over itself",
        ["import", "course/sources/water.md", "--into", "course/sources", "--force"],
        2,
        "Error: course/sources/water.md: is the source it would be imported into; import it from elsewhere\n",
        keep=("course",),
    ),
    Case(
        "an existing source without --force",
        ["import", "water.md", "--into", "course/sources"],
        2,
        "Error: course/sources/water.md: already exists; pass --force to replace it\n",
        files({"water.md": ARTICLE}),
        keep=("course",),
    ),
    Case(
        "--into a file",
        ["import", "a.txt", "--into", "notes.txt"],
        1,
        "Error: notes.txt: is not a folder; choose another --into\n",
        files({"a.txt": ARTICLE, "notes.txt": "mine"}),
        keep=("notes.txt",),
    ),
    Case(
        "--into under a file",
        ["import", "a.txt", "--into", "notes.txt/sources"],
        1,
        "Error: notes.txt/sources: the system refused it: not a directory\n",
        files({"a.txt": ARTICLE, "notes.txt": "mine"}),
        keep=("notes.txt",),
    ),
]

EDITED_DRAFT = "# my own draft, edited by hand\nemails: []\n"
PLAN_CASES = [
    Case(
        "an edited draft without --force",
        ["plan", "course", "--days", "2"],
        2,
        "Error: course/syllabus.draft.yaml: was edited after plan wrote it, so plan leaves it as it is; rename or "
        "delete it to draft again (--force instead writes the new emails into syllabus.yaml, replacing its emails: "
        "list and keeping its other fields)\n",
        files({"course/syllabus.draft.yaml": EDITED_DRAFT}),
        keep=("course",),
    ),
]

NEW_CASES = [
    Case(
        "a course into a folder holding the user's files",
        ["new", "mine"],
        1,
        "Error: mine: is not empty; choose a new folder for the course\n",
        files({"mine/thesis.docx": "chapter one"}),
        keep=("mine",),
    ),
    Case(
        "a course into a dangling link",
        ["new", "mine"],
        1,
        "Error: mine: is a link to gone, which does not exist; create it or choose another folder\n",
        link("mine", "gone"),
        keep=("mine",),
        absent=("gone",),
    ),
    Case(
        "a course under a file",
        ["new", "notes.txt/course"],
        1,
        "Error: notes.txt/course: cannot be created: {tmp}/notes.txt is a file, not a folder\n",
        files({"notes.txt": "mine"}),
        keep=("notes.txt",),
    ),
    Case(
        "a course into an empty folder",
        ["new", "fresh"],
        0,
        "",
        folders("fresh"),
        check=lambda root: (
            (sorted(tree(root / "fresh")) == ["sources", "sources/basics.md", "syllabus.yaml"] or pytest.fail(""))
            and None
        ),
    ),
]

CASES = BUILD_CASES + EXPORT_CASES + SCHEDULE_CASES + IMPORT_CASES + PLAN_CASES + NEW_CASES


@pytest.fixture
def root(tmp_path: Path) -> Path:
    work = tmp_path.resolve() / "work"
    work.mkdir()
    shutil.copytree(FIXTURES / "mini", work / "course")
    (work / "subs.csv").write_text(SUBSCRIBERS)
    return work


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_nothing_of_the_users_is_lost(case: Case, root: Path) -> None:
    if case.built:
        assert invoke(root, ["build", "course", "--out", "out"])[0] == 0
    case.setup(root)
    links = {name: os.readlink(root / name) for name in case.keep if (root / name).is_symlink()}
    before = {name: content(root / name) for name in case.keep if name not in links}
    code, stderr = invoke(root, case.args)
    assert (code, stderr) == (case.code, case.message.replace("{tmp}", str(root)))
    for name, was in before.items():
        if name in links:
            assert os.readlink(root / name) == links[name], f"{name} is no longer the same link"
            continue
        now = content(root / name)
        assert now == was, f"{name} changed"
    for name in case.absent:
        assert not (root / name).exists(), f"{name} was created"
    case.check(root)


def test_two_non_latin_names_become_two_sources(root: Path) -> None:
    write(root, {"日本.txt": ARTICLE, "中文.txt": ARTICLE.replace("Warm", "Heat")})
    code, stderr = invoke(root, ["import", "日本.txt", "中文.txt", "--into", "course/sources"])
    assert (code, stderr) == (0, "")
    made = sorted(p.name for p in (root / "course/sources").glob("source-*.md"))
    assert len(made) == 2 and made[0] != made[1]
    texts = {(root / "course/sources" / name).read_text().count("Heat") for name in made}
    assert texts == {0, 1}, "each article is in its own source"


@pytest.mark.parametrize("names", [("a_b.md", "a-b.md"), ("日本.md", "中文.md"), ("Tea.md", "tea.md")])
def test_plan_keeps_two_sources_whose_names_slug_alike(root: Path, names: tuple[str, str]) -> None:
    course = root / "course"
    (course / "syllabus.yaml").unlink()
    for name in (course / "sources").iterdir():
        name.unlink()
    for name, word in zip(names, ("Kettle", "Teapot"), strict=True):
        body = f"---\ntitle: {word}\n---\n\nAbout the {word.lower()}.\n\n## The {word} Part\n\nMore on the {word}.\n"
        (course / "sources" / name).write_text(body)
    code, stderr = invoke(root, ["plan", "course", "--days", "2"])
    assert (code, stderr) == (0, "")
    draft = (course / "syllabus.yaml").read_text()
    for name in names:
        assert f"sources/{name}" in draft, f"{name} was dropped from the plan"
    assert invoke(root, ["build", "course", "--out", "out"])[0] == 0


def failing(call: Callable[..., object], error: int, after: int = 0) -> Callable[..., object]:
    """`call`, failing with `error` once it has been called `after` times."""
    count = 0

    def wrapped(*args: object, **kwargs: object) -> object:
        nonlocal count
        count += 1
        if count > after:
            raise OSError(error, os.strerror(error))
        return call(*args, **kwargs)

    return wrapped


@pytest.mark.parametrize(
    ("name", "error", "after"),
    [
        ("write", errno.ENOSPC, 0),
        ("write", errno.ENOSPC, 5),
        ("write", errno.EDQUOT, 3),
        ("mkdir", errno.EROFS, 0),
        ("mkdir", errno.EACCES, 0),
        ("mkdir", errno.ENOSPC, 1),
    ],
)
def test_a_failing_disk_leaves_the_previous_build_whole(
    root: Path, monkeypatch: pytest.MonkeyPatch, name: str, error: int, after: int
) -> None:
    assert invoke(root, ["build", "course", "--out", "out"])[0] == 0
    before = tree(root / "out")
    syllabus = root / "course/syllabus.yaml"
    syllabus.write_text(syllabus.read_text().replace("Your first better cup", "A better cup"))
    monkeypatch.setattr(os, name, failing(getattr(os, name), error, after))
    code, stderr = invoke(root, ["build", "course", "--out", "out"])
    monkeypatch.undo()
    assert (code, stderr) == (1, f"Error: out: the system refused it: {os.strerror(error).lower()}\n")
    assert tree(root / "out") == before
    assert sorted(p.name for p in root.iterdir()) == ["course", "out", "subs.csv"], "a staging folder was left"


@pytest.mark.parametrize("error", [errno.ENOSPC, errno.EROFS])
def test_a_failing_disk_leaves_the_previous_plan_whole(root: Path, monkeypatch: pytest.MonkeyPatch, error: int) -> None:
    (root / "plan.csv").write_text("the old plan\n")
    real_open = os.open
    monkeypatch.setattr(
        os,
        "open",
        lambda path, *a, **k: failing(real_open, error)(path) if ".partial" in str(path) else real_open(path, *a, **k),
    )
    code, stderr = invoke(root, [*SCHEDULE, "--out", "plan.csv", "--force"])
    monkeypatch.undo()
    assert (code, stderr) == (1, f"Error: plan.csv: the system refused it: {os.strerror(error).lower()}\n")
    assert (root / "plan.csv").read_text() == "the old plan\n"
    assert sorted(p.name for p in root.iterdir()) == ["course", "plan.csv", "subs.csv"]


def test_six_builds_at_once_on_one_folder_succeed_or_refuse_cleanly(root: Path) -> None:
    many_emails(root / "course", 30)
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1767225600"}
    command = [sys.executable, "-m", "dripcourse", "build", "course", "--out"]
    assert subprocess.run([*command, "reference"], cwd=root, env=env, capture_output=True).returncode == 0
    for _round in range(2):
        runs = [
            subprocess.Popen([*command, "out"], cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(6)
        ]
        outcomes = [(run.wait(timeout=300), run.stderr.read().decode()) for run in runs if run.stderr]
        refused = (1, "Error: out: another dripcourse run is writing here; try again when it has finished\n")
        assert all(outcome in ((0, ""), refused) for outcome in outcomes), outcomes
        assert any(code == 0 for code, _ in outcomes)
        same = {k: v for k, v in tree(root / "out").items() if k != MARKER}
        assert same == {k: v for k, v in tree(root / "reference").items() if k != MARKER}
        assert not [p.name for p in root.iterdir() if p.name.startswith(".out.")]


def test_a_subfolder_that_cannot_be_listed_stops_the_build(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What an unlistable folder of dripcourse's own inside out/ holds is unknown, so it may be the user's: the build refuses rather
    than swap it away unseen. (As root every folder can be listed, so the refusal is simulated on os.scandir.)"""
    assert invoke(root, ["build", "course", "--out", "out"])[0] == 0
    (root / "out/emails/thesis.docx").write_text("mine")
    before = tree(root / "out")
    real_scandir = os.scandir

    def scandir(path: str = ".") -> Any:
        if str(path).endswith("/out/emails"):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    code, stderr = invoke(root, ["build", "course", "--out", "out"])
    monkeypatch.undo()
    assert (code, stderr) == (1, f"Error: out: the system refused it: {os.strerror(errno.EACCES).lower()}\n")
    assert tree(root / "out") == before
