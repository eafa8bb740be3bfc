"""Splitting a source document into sections with stable ids."""

from __future__ import annotations

import pytest

from dripcourse.errors import DripcourseError
from dripcourse.sources import parse_source, slugify

ARTICLE = """\
---
title: Walking in Winter
original_title: Why I Walk Every Winter Morning
original_url: https://walks.example/winter
author: Sam Hale
---

Cold air wakes you up faster than coffee.

## Dress in layers

Three thin layers beat one thick coat.

### The base layer

Wool, not cotton.

## Pick a loop, not a destination {#loop}

A loop brings you home without deciding to turn back.

```
## not a heading inside a code fence
```

## Café stops

A warm drink halfway makes the second half easy.
"""


def test_sections_in_order_with_ids_titles_and_lines() -> None:
    source = parse_source("walk", ARTICLE, "walk.md")
    assert [(s.id, s.title, s.line) for s in source.sections.values()] == [
        ("intro", "Walking in Winter", 7),
        ("dress-in-layers", "Dress in layers", 10),
        ("loop", "Pick a loop, not a destination", 18),
        ("cafe-stops", "Café stops", 26),
    ]


def test_front_matter_is_kept() -> None:
    source = parse_source("walk", ARTICLE, "walk.md")
    assert (source.title, source.original_title, source.original_url, source.author) == (
        "Walking in Winter",
        "Why I Walk Every Winter Morning",
        "https://walks.example/winter",
        "Sam Hale",
    )


def test_subheadings_and_code_fences_stay_inside_their_section() -> None:
    sections = parse_source("walk", ARTICLE, "walk.md").sections
    assert (
        sections["dress-in-layers"].markdown
        == "Three thin layers beat one thick coat.\n\n### The base layer\n\nWool, not cotton."
    )
    assert "## not a heading inside a code fence" in sections["loop"].markdown


def test_explicit_id_survives_a_reworded_heading() -> None:
    reworded = ARTICLE.replace("Pick a loop, not a destination", "Walk in circles")
    section = parse_source("walk", reworded, "walk.md").sections["loop"]
    assert section.title == "Walk in circles"


def test_h1_without_front_matter_is_the_title() -> None:
    source = parse_source("tea", "# Green Tea Notes\n\nShort intro.\n\n## Water\n\nNot boiling.\n", "tea.md")
    assert source.title == "Green Tea Notes"
    assert list(source.sections) == ["intro", "water"]


def test_no_intro_section_when_the_text_starts_with_a_heading() -> None:
    source = parse_source("tea", "## Water\n\nNot boiling.\n", "tea.md")
    assert list(source.sections) == ["water"]


def test_duplicate_ids_are_an_error_naming_both_lines() -> None:
    with pytest.raises(DripcourseError) as caught:
        parse_source("tea", "## Water\n\nOne.\n\n## Water\n\nTwo.\n", "tea.md")
    assert [str(p) for p in caught.value.problems] == [
        "tea.md:5: section: section id 'water' is already used at line 1; give one of them an explicit id with {#new-id}"
    ]


@pytest.mark.parametrize(
    ("heading", "slug"),
    [("Reason #2 - Space", "reason-2-space"), ("  Déjà vu!  ", "deja-vu"), ("???", "section"), ("Q&A", "q-a")],
)
def test_slugify(heading: str, slug: str) -> None:
    assert slugify(heading) == slug


def test_word_count_ignores_markdown_urls() -> None:
    source = parse_source("x", "## A\n\nSee [the guide](https://example.com/a/very/long/path) now.\n", "x.md")
    assert source.sections["a"].word_count == 4


SETEXT = """\
Walking in Winter
=================

Cold air wakes you up faster than coffee.

Dress in layers
---------------

Three thin layers beat one thick coat.

- ## a heading inside a list item

> ## a heading inside a quote

    ## an indented code block

Pick a loop {#loop}
-------------------

Hello {{ frist_name }}, a loop brings you home.
"""


def test_setext_headings_start_sections_as_they_render() -> None:
    """CommonMark reads `Title` over `---` as a level-2 heading, so it starts a section as `## Title` does, and
    `===` makes a level-1 heading, the title; headings inside a list, a quote or code are text of their section."""
    with pytest.raises(DripcourseError) as caught:
        parse_source("walk", SETEXT, "walk.md")
    # the merge tag's line number counts the underline of the setext heading above it
    assert [str(p) for p in caught.value.problems] == [
        "walk.md:20:7: unknown merge tag 'frist_name' (did you mean 'first_name'?)"
    ]
    source = parse_source("walk", SETEXT.replace("frist_name", "first_name"), "walk.md")
    assert source.title == "Walking in Winter"
    assert list(source.sections) == ["intro", "dress-in-layers", "loop"]
    layers = source.sections["dress-in-layers"]
    assert (layers.title, layers.line) == ("Dress in layers", 6)
    assert "- ## a heading inside a list item" in layers.markdown
    assert "> ## a heading inside a quote" in layers.markdown
    assert layers.markdown.startswith("Three thin layers") and "---" not in layers.markdown
    assert source.sections["loop"].title == "Pick a loop"
    assert source.sections["intro"].markdown == "Cold air wakes you up faster than coffee."


def test_a_dashed_line_after_a_blank_line_is_a_rule_not_a_heading() -> None:
    source = parse_source("walk", "Opening words.\n\n---\n\nMore words.\n\n## Next\n\nText.\n", "walk.md")
    assert list(source.sections) == ["intro", "next"]
    assert "---" in source.sections["intro"].markdown


def test_reading_time_rounds_up_to_whole_minutes() -> None:
    from dripcourse.sources import WORDS_PER_MINUTE, reading_minutes

    assert reading_minutes(0) == 1
    assert reading_minutes(WORDS_PER_MINUTE) == 1
    assert reading_minutes(WORDS_PER_MINUTE + 1) == 2  # a few words past a minute is a second minute begun
    assert reading_minutes(340) == 2
