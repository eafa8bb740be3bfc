"""The plain-text part: rendered from the same Markdown parse as the HTML, not scraped from it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from dripcourse.build import load_course, render_course
from dripcourse.render import markdown_text
from dripcourse.sources import markdown_parser


def text_of(markdown: str) -> str:
    return markdown_text(markdown_parser().parse(markdown))


def test_links_become_text_then_url() -> None:
    assert (
        text_of("Read [the guide](https://example.com/guide) today.")
        == "Read the guide (https://example.com/guide) today."
    )


def test_bare_links_are_not_repeated() -> None:
    assert text_of("<https://example.com/x>") == "https://example.com/x"


def test_paragraphs_wrap_at_76_columns_without_breaking_urls() -> None:
    long = " ".join(["word"] * 60) + " https://example.com/" + "a" * 90
    lines = text_of(long).split("\n")
    assert all(len(line) <= 76 for line in lines[:-1])
    assert lines[-1] == "https://example.com/" + "a" * 90


def test_lists_headings_and_quotes() -> None:
    markdown = "### Steps\n\n1. Boil the water and then let it rest for a while before you pour it over the leaves\n2. Pour\n\n- one\n- two\n\n> Quoted words.\n"
    assert text_of(markdown) == (
        "Steps\n"
        "-----\n"
        "\n"
        "1. Boil the water and then let it rest for a while before you pour it over\n"
        "   the leaves\n"
        "2. Pour\n"
        "\n"
        "- one\n"
        "- two\n"
        "\n"
        "> Quoted words."
    )


def test_emphasis_is_plain_text() -> None:
    assert text_of("A *calm* and **steady** start.") == "A calm and steady start."


def test_whole_text_part_matches_the_html_content(mini_course: Path) -> None:
    email = render_course(load_course(mini_course), date(2026, 1, 5))[1]
    text = email.text
    long_lines = [line for line in text.splitlines() if len(line) > 76]
    assert all(" " not in line.strip() for line in long_lines), "only a lone URL may run past 76 columns"
    assert "Soft or hard\n------------" in text
    assert "1. Black tea likes water just off the boil." in text
    assert "Read the whole guide (https://tea-at-home.example/guide?utm_source=dripcourse" in " ".join(text.split())
    assert "See the brewing chart:\nhttps://tea-at-home.example/chart?utm_source=" in text
    assert "Unsubscribe: https://tea-at-home.example/unsubscribe\n" in text
    assert text.endswith("Tea at Home, 12 Kettle Row, Leeds LS1 4AB, United Kingdom\n")
    assert "\n\n\n" not in text
