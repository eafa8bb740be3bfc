"""`dripcourse check`: the built-in lint of built emails."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from conftest import REPO
from dripcourse.cli import app


def run_check(course: Path, *extra: str) -> tuple[int, list[str]]:
    result = CliRunner().invoke(app, ["check", str(course), *extra])
    return result.exit_code, result.output.splitlines()


def test_shipped_course_passes_with_placeholder_warnings_only() -> None:
    code, lines = run_check(REPO / "course")
    assert code == 0
    assert lines[-1] == "0 errors, 5 warnings"
    assert all(line.startswith("warning: course: ") and "placeholder value" in line for line in lines[:-1])


def test_strict_turns_warnings_into_a_failure() -> None:
    code, _ = run_check(REPO / "course", "--strict")
    assert code == 1


def test_broken_course_fails_and_names_email_and_element(mini_course: Path) -> None:
    leaves = mini_course / "sources" / "leaves.md"
    extra = (
        "\n\n![](https://cdn.tea-at-home.example/pot.png)\n\nSee [the shop](/shop) and [our old page](http://old.example.org/tea).\n\n"
        + "A long paragraph about tea, steeped and sipped slowly in the morning light. " * 1500
    )
    leaves.write_text(
        leaves.read_text().replace("for every cup you make from it.", "for every cup you make from it." + extra)
    )
    code, lines = run_check(mini_course)
    assert code == 1
    assert (
        'error: 01-welcome: <img src="https://cdn.tea-at-home.example/pot.png" alt="">: image has no alt text' in lines
    )
    assert (
        'warning: 01-welcome: <img src="https://cdn.tea-at-home.example/pot.png" alt="">: image has no width attribute; Outlook may show it at full size'
        in lines
    )
    assert 'error: 01-welcome: <a href="/shop">: relative link; it has no site to resolve against in an inbox' in lines
    assert 'warning: 01-welcome: <a href="http://old.example.org/tea">: plain-http link; use https' in lines
    size_line = next(line for line in lines if line.startswith("error: 01-welcome: html: "))
    assert size_line.endswith("bytes; Gmail clips HTML over 102,400 bytes")
    assert not any(line.startswith("error: 02-water-matters") for line in lines)
    assert lines[-1] == "3 errors, 6 warnings"  # four of the warnings: the fixture's placeholder .example addresses


def test_relative_image_and_missing_footer_link(mini_course: Path) -> None:
    (mini_course / "templates").mkdir()
    theme = (REPO / "templates" / "email.html").read_text()
    (mini_course / "templates" / "email.html").write_text(
        theme.replace('<a class="footer-link" href="{{ unsubscribe_url }}">Unsubscribe</a>', "Reply STOP")
    )
    water = mini_course / "sources" / "water.md"
    water.write_text(water.read_text() + "\n![A filter jug](images/jug.png)\n")
    code, lines = run_check(mini_course)
    assert code == 1
    assert (
        'error: 02-water-matters: <img src="images/jug.png" alt="A filter jug">: relative image URL; mail clients need an absolute https URL'
        in lines
    )
    assert "error: 01-welcome: footer: no unsubscribe link" in lines
    assert "error: 02-water-matters: footer: no unsubscribe link" in lines


def test_subject_and_preheader_lengths(mini_course: Path) -> None:
    syllabus = mini_course / "syllabus.yaml"
    text = syllabus.read_text().replace("subject: Your first better cup", "subject: " + "A very long subject line " * 3)
    text = text.replace(
        "preheader: Tea is almost all water, so the water deserves a minute of thought.", "preheader: Water."
    )
    syllabus.write_text(text)
    code, lines = run_check(mini_course)
    assert code == 0
    assert "warning: 01-welcome: subject: 74 characters; inboxes cut subjects after about 60" in lines
    assert "warning: 02-water-matters: preheader: 6 characters; aim for 40 to 130" in lines


def test_broken_section_reference_is_a_finding(mini_course: Path) -> None:
    syllabus = mini_course / "syllabus.yaml"
    syllabus.write_text(syllabus.read_text().replace("water#temperature", "water#temprature"))
    code, lines = run_check(mini_course)
    assert code == 1
    assert [line for line in lines if not line.startswith("warning: course: ")] == [
        "error: 02-water-matters: sections[1]: source 'water' has no section 'temprature' (did you mean 'temperature'?)",
        "1 errors, 4 warnings",
    ]
