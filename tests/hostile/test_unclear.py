"""Input that used to get a misleading message, or none: each now gets the one that says what is wrong."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from conftest import BASE_SOURCE, named
from hostile import course, eml, run

S = "Error: {tmp}/course/syllabus.yaml"
SOURCE = "{tmp}/course/sources/habits.md"
LOGO = "  website: https://quiet-mornings.example\n"


def logo(width: str, height: str = "40") -> tuple[str, str]:
    return (
        LOGO,
        f"{LOGO}  logo: {{url: https://quiet-mornings.example/l.png, width: {width}, height: {height}, alt: L}}\n",
    )


SYLLABUS = [
    (
        "lone-surrogate-escape",
        ("subject: Start small", 'subject: "Start \\ud83d small"'),
        f"{S}:19:14: emails[0].subject: holds \\ud83d, half of a surrogate pair; write the character",
    ),
    (
        "esc-in-syllabus",
        ("subject: Keep going", "subject: Keep \x1b going"),
        f"{S}:24:19: the character U+001B (a control character) is not allowed in YAML; remove it",
    ),
    (
        "bel-in-syllabus",
        ("title: Quiet Mornings", "title: Quiet\x07 Mornings"),
        f"{S}:2:15: the character U+0007 (a control character) is not allowed in YAML; remove it",
    ),
    (
        "nonchar-in-syllabus",
        ("title: Quiet Mornings", "title: Quiet \ufffe"),
        f"{S}:2:16: the character U+FFFE (a control character) is not allowed in YAML; remove it",
    ),
    (
        "frist-name-in-subject",
        ("subject: Start small", "subject: 'Hi {{ frist_name }}'"),
        f"{S}:19:18: emails[0].subject: unknown merge tag 'frist_name' (did you mean 'first_name'?)",
    ),
    (
        "frist-name-in-preheader",
        ("preheader: One small habit beats a grand plan that never begins.", "preheader: 'For {{ frist_name | you }}'"),
        f"{S}:20:21: emails[0].preheader: unknown merge tag 'frist_name' (did you mean 'first_name'?)",
    ),
    (
        "emial-in-subject",
        ("subject: Keep going", "subject: 'Sent to {{ emial }}'"),
        f"{S}:24:23: emails[1].subject: unknown merge tag 'emial' (did you mean 'email'?)",
    ),
    ("logo-width-zero", logo("0"), f"{S}:10:60: course.logo.width: must be from 1 to 2000 pixels, got 0"),
    (
        "logo-height-negative",
        logo("120", "-4"),
        f"{S}:10:73: course.logo.height: must be from 1 to 2000 pixels, got -4",
    ),
    ("logo-width-huge", logo("100000"), f"{S}:10:60: course.logo.width: must be from 1 to 2000 pixels, got 100000"),
]


@pytest.mark.parametrize(("edit", "expected"), named(SYLLABUS))
def test_syllabus_gets_the_message_that_says_what_is_wrong(
    tmp_path: Path, edit: tuple[str, str], expected: str
) -> None:
    outcome = run("build", course(tmp_path, edit), "--out", tmp_path / "out", tmp=tmp_path)
    assert (outcome.code, outcome.out, outcome.err) == (2, "", expected + "\n")


SOURCES = [
    (
        "utf16-le-bom",
        codecs.BOM_UTF16_LE + BASE_SOURCE.encode("utf-16-le"),
        f"Error: {SOURCE}: is UTF-16 text; save it as UTF-8",
    ),
    (
        "utf16-be-bom",
        codecs.BOM_UTF16_BE + BASE_SOURCE.encode("utf-16-be"),
        f"Error: {SOURCE}: is UTF-16 text; save it as UTF-8",
    ),
    (
        "utf16-no-bom",
        BASE_SOURCE.encode("utf-16-le"),
        f"Error: {SOURCE}: looks like UTF-16 text without a byte-order mark; save it as UTF-8",
    ),
    (
        "png",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
        f"Error: {SOURCE}: looks like a binary file, not text",
    ),
    (
        "latin-1",
        BASE_SOURCE.replace("Pick", "Caf\xe9: pick").encode("latin-1"),
        f"Error: {SOURCE}:9: is not UTF-8 (byte 0xe9); save it as UTF-8",
    ),
]


@pytest.mark.parametrize(("data", "expected"), named(SOURCES))
def test_a_source_in_another_encoding_is_named(tmp_path: Path, data: bytes, expected: str) -> None:
    folder = course(tmp_path)
    (folder / "sources" / "habits.md").write_bytes(data)
    outcome = run("build", folder, "--out", tmp_path / "out", tmp=tmp_path)
    assert (outcome.code, outcome.out, outcome.err) == (2, "", expected + "\n")


ARTICLE = "# Tea at home\n\nGood tea starts with the leaf.\n\n## Water\n\nFresh water, just off the boil.\n"
NO_NUL_BINARY = bytes(b for b in range(1, 256) if b not in b"\n\r\t") * 8


IMPORTS = [
    (
        "utf16-le-bom-decoded",
        codecs.BOM_UTF16_LE + ARTICLE.encode("utf-16-le"),
        0,
        "notes.txt -> {tmp}/src/notes.md (utf-16)",
    ),
    (
        "utf16-be-bom-decoded",
        codecs.BOM_UTF16_BE + ARTICLE.encode("utf-16-be"),
        0,
        "notes.txt -> {tmp}/src/notes.md (utf-16)",
    ),
    (
        "utf16-no-bom",
        ARTICLE.encode("utf-16-le"),
        2,
        "Error: {tmp}/notes.txt: looks like UTF-16 text without a byte-order mark; save it as UTF-8",
    ),
    (
        "binary-without-nul",
        NO_NUL_BINARY,
        2,
        "Error: {tmp}/notes.txt: looks like a binary file, not text in UTF-8 or Windows-1252",
    ),
    (
        "binary-with-nul",
        b"\x7fELF\x02\x01\x01\x00" + bytes(64),
        2,
        "Error: {tmp}/notes.txt: looks like a binary file, not text",
    ),
    (
        "control-heavy",
        ("\x1b[1m" * 50 + ARTICLE).encode(),
        2,
        "Error: {tmp}/notes.txt: looks like a binary file, not text in UTF-8 or Windows-1252",
    ),
    (
        "cp1252-is-text",
        ARTICLE.replace("leaf", "leaf \u201cfresh\u201d").encode("cp1252"),
        0,
        "notes.txt -> {tmp}/src/notes.md (cp1252)",
    ),
]


@pytest.mark.parametrize(("data", "code", "first"), named(IMPORTS))
def test_import_reads_utf16_and_refuses_binary(tmp_path: Path, data: bytes, code: int, first: str) -> None:
    article = tmp_path / "notes.txt"
    article.write_bytes(data)
    outcome = run("import", article, "--into", tmp_path / "src", tmp=tmp_path)
    assert outcome.code == code
    assert (outcome.out if code == 0 else outcome.err).splitlines()[0] == first
    assert (tmp_path / "src" / "notes.md").exists() == (code == 0)


def test_a_surrogate_pair_escape_is_the_character_it_spells(tmp_path: Path) -> None:
    folder = course(tmp_path, ("subject: Start small", 'subject: "Start \\ud83d\\ude00 small"'))
    outcome = run("build", folder, "--out", tmp_path / "out", tmp=tmp_path)
    assert (outcome.code, outcome.err) == (0, "")
    assert str(eml(tmp_path / "out")["Subject"]) == "Start \U0001f600 small"


def test_a_folder_given_as_subscribers_is_named_a_folder(tmp_path: Path) -> None:
    (tmp_path / "subs").mkdir()
    outcome = run("schedule", course(tmp_path), "-s", tmp_path / "subs", "--out", tmp_path / "plan.csv", tmp=tmp_path)
    assert (outcome.code, outcome.out, outcome.err) == (
        2,
        "",
        "Error: {tmp}/subs: is a folder; give the subscriber CSV file\n",
    )


DUPLICATES = [
    ("same-address", "a@x.example", "a@x.example"),
    ("other-case", "a@x.example", "A@X.Example"),
    ("spaces-around", "a@x.example", "  a@x.example "),
]


@pytest.mark.parametrize(("first", "again"), named(DUPLICATES))
def test_a_duplicate_subscriber_is_planned_once_and_named(tmp_path: Path, first: str, again: str) -> None:
    subs = tmp_path / "subs.csv"
    subs.write_text(
        f"email,first_name,signed_up_at\n{first},A,2026-03-02T09:00:00Z\n{again},B,2026-03-03T09:00:00Z\n",
        encoding="utf-8",
    )
    outcome = run("schedule", course(tmp_path), "-s", subs, "--out", tmp_path / "plan.csv", tmp=tmp_path)
    assert outcome.code == 0
    assert (
        outcome.err
        == f"Skipped: {{tmp}}/subs.csv:3: email: {again.strip()} is listed twice; planned once, from its first row\n"
    )
    assert outcome.out == "Planned 2 sends for 1 subscribers into {tmp}/plan.csv; skipped 1 bad rows\n"
    rows = (tmp_path / "plan.csv").read_text(encoding="utf-8").splitlines()[1:]
    assert [row.split(",")[1] for row in rows] == ["A", "A"]


SUBSCRIBER_FILES = [
    (
        "utf16-bom",
        codecs.BOM_UTF16_LE + "email,signed_up_at\na@x.example,2026-03-02T09:00:00Z\n".encode("utf-16-le"),
        "is UTF-16 text; save it as CSV UTF-8",
    ),
    (
        "utf16-no-bom",
        "email,signed_up_at\na@x.example,2026-03-02T09:00:00Z\n".encode("utf-16-le"),
        "is UTF-16 text; save it as CSV UTF-8",
    ),
    (
        "latin-1",
        "email,first_name,signed_up_at\na@x.example,Ren\xe9e,2026-03-02T09:00:00Z\n".encode("latin-1"),
        "is not UTF-8 text (invalid continuation byte)",
    ),
]


@pytest.mark.parametrize(("data", "expected"), named(SUBSCRIBER_FILES))
def test_a_subscriber_list_in_another_encoding_is_named(tmp_path: Path, data: bytes, expected: str) -> None:
    subs = tmp_path / "subs.csv"
    subs.write_bytes(data)
    outcome = run("schedule", course(tmp_path), "-s", subs, "--out", tmp_path / "plan.csv", tmp=tmp_path)
    assert (outcome.code, outcome.out, outcome.err) == (2, "", f"Error: {{tmp}}/subs.csv: {expected}\n")
    assert not (tmp_path / "plan.csv").exists()
