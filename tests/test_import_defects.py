"""Every importer defect that issue 14 lists, as a small article of its own and the result a reader expects."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from dripcourse.cli import app
from dripcourse.importer import split_article
from dripcourse.sources import parse_source


def titles(text: str, suffix: str = ".txt") -> list[str]:
    return [s.title for s in split_article(text, suffix, f"a{suffix}").sections]


def test_numbered_headings_that_end_with_a_full_stop_are_found_and_lose_their_numbers() -> None:
    article = split_article(
        "Why Space Helps\n\nA short opening paragraph that sets up the whole article for the reader.\n\n"
        "1. Independence breeds attraction.\n\nPeople are drawn to partners who have lives of their own to share.\n\n"
        "2. Go to bed at the same time every night.\n\nA steady bedtime keeps both of you rested and kind.\n",
        ".txt",
        "a.txt",
    )
    assert [(s.number, s.title) for s in article.sections] == [
        (None, "Introduction"),
        ("1.", "Independence breeds attraction"),
        ("2.", "Go to bed at the same time every night"),
    ]
    assert "## Independence breeds attraction {#independence-breeds-attraction}" in article.markdown()


def test_an_option_keeps_the_numbering_in_the_headings() -> None:
    text = "Title\n\nStep 1: Mix the dough\n\nFlour and water first, salt after ten minutes.\n"
    article = split_article(text, ".txt", "a.txt", keep_numbers=True)
    assert "## Step 1: Mix the dough {#mix-the-dough}" in article.markdown()
    assert parse_source("a", article.markdown(), "a.md").sections["mix-the-dough"].title == "Step 1: Mix the dough"


def test_every_kind_of_leading_numbering_is_stripped_and_kept_as_data() -> None:
    text = (
        "Title\n\n1) First shape\n\nBody text that explains the first shape in a sentence.\n\n"
        "Reason #2 - Second shape\n\nBody text that explains the second shape in a sentence.\n\n"
        "Tip 3: Third shape\n\nBody text that explains the third shape in a sentence.\n"
    )
    sections = split_article(text, ".txt", "a.txt").sections
    assert [(s.number, s.title) for s in sections] == [
        ("1)", "First shape"),
        ("Reason #2 -", "Second shape"),
        ("Tip 3:", "Third shape"),
    ]


def test_a_lead_in_that_introduces_a_list_is_not_a_heading() -> None:
    text = (
        "Spotting Secure Attachment\n\nSecure attachment starts in childhood and shows up again in adult love.\n\n"
        "In adulthood, secure attachment looks like:\n\nTrusting a partner without checking on them\n"
        "Saying what you need out loud\nRecovering quickly after an argument\n\n"
        "Warning Signs\n\nSome patterns deserve a closer look before you commit to anything.\n\n"
        "Here are a few things to watch for:\n\n• He changes plans at the last minute\n• He keeps his friends apart\n\n"
        "Action Tips:\n\n- Write down what you noticed this week\n- Talk about one thing, not all of them\n"
    )
    article = split_article(text, ".txt", "a.txt")
    assert [s.title for s in article.sections] == ["Introduction", "Warning Signs"]
    intro = article.sections[0].markdown
    assert "In adulthood, secure attachment looks like:\n\n- Trusting a partner without checking on them\n" in intro
    assert "Action Tips:\n\n- Write down what you noticed this week" in article.sections[1].markdown


def test_bylines_and_page_clutter_are_dropped_with_a_warning_naming_the_line() -> None:
    text = (
        "Why He Goes Quiet\nAna Baker\nPosted on March 3, 2025 by Ana Baker\nWritten by Ana Baker\nBy: Ana Baker\n"
        "1,204 views\n\nSilence after an argument is rarely about you, and it rarely lasts long.\n\n"
        "What the Silence Is For\n\nMost people go quiet to calm down before they say something unkind.\n\n"
        "To Top\nShare this:\nFacebook\n"
    )
    article = split_article(text, ".txt", "a.txt")
    assert [s.title for s in article.sections] == ["Introduction", "What the Silence Is For"]
    assert article.dropped == [
        "byline (line 2): Ana Baker",
        "byline (line 3): Posted on March 3, 2025 by Ana Baker",
        "byline (line 4): Written by Ana Baker",
        "byline (line 5): By: Ana Baker",
        "counter (line 6): 1,204 views",
        "page navigation (line 14): To Top",
        "share line (line 15): Share this:",
        "share line (line 16): Facebook",
    ]
    assert "Ana Baker" not in article.markdown() and "To Top" not in article.markdown()


def test_a_saved_page_byline_and_inline_emphasis() -> None:
    html = (
        "<html><head><title>Why He Goes Quiet | Blog</title></head><body><article><h1>Why He Goes Quiet</h1>"
        '<p class="byline">By Ana Baker · 8 min read</p>'
        "<p>Silence after an argument is <strong>rarely about you</strong>, and it <em>rarely</em> lasts long. "
        'Read <a href="https://example.org/calm">how to calm down</a> first, then come back to this page.</p>'
        "<p><strong>What the silence is for</strong></p>"
        "<p>Most people go quiet to calm down before they say something they would regret later on.</p>"
        "</article></body></html>"
    )
    article = split_article(html, ".html", "a.html")
    assert [s.title for s in article.sections] == ["Introduction", "What the silence is for"]
    text = article.markdown()
    assert "Ana Baker" not in text and "min read" not in text
    assert "**rarely about you**" in text and "*rarely*" in text
    assert "[how to calm down](https://example.org/calm)" in text


def test_short_numbered_list_items_stay_items_while_questions_and_capitals_are_headings() -> None:
    text = (
        "Is He Losing Interest?\n\nA distracted partner and a drifting one can look alike at first glance.\n\n"
        "What Readers Ask Me\n\nThe worries people send me usually sound like one of these:\n\n"
        "1. He doesn't text back like he used to\n2. He's losing interest in you\n3. He cancels at the last minute\n\n"
        "Why do men pull away?\n\nSome withdraw to deal with pressure alone, a habit many learned as boys.\n\n"
        "What NOT to do when he loses interest\n\nDo not flood his phone or set little tests for his feelings.\n"
    )
    article = split_article(text, ".txt", "a.txt")
    assert [s.title for s in article.sections] == [
        "Introduction",
        "What Readers Ask Me",
        "Why do men pull away?",
        "What NOT to do when he loses interest",
    ]
    assert article.sections[1].markdown.endswith(
        "1. He doesn't text back like he used to\n2. He's losing interest in you\n3. He cancels at the last minute"
    )


def test_an_editor_note_is_dropped_and_a_sign_off_is_no_closing_section() -> None:
    text = (
        "Calm Mornings\n\nA calm morning starts the evening before, with a few small choices.\n\n"
        "[Editor's note: add a photo of the kitchen here]\n\n"
        "Lay Out Tomorrow\n\nPut the keys, the bag and the lunch by the door before you go to bed.\n\n\n"
        "Talk soon,\nMaya\n"
    )
    article = split_article(text, ".txt", "a.txt")
    assert [s.title for s in article.sections] == ["Introduction", "Lay Out Tomorrow"]
    assert article.dropped == [
        "editorial note (line 5): [Editor's note: add a photo of the kitchen here]",
        "sign-off (line 12): Talk soon,",
        "sign-off (line 13): Maya",
    ]


def test_cli_warns_about_each_dropped_line(tmp_path: Path) -> None:
    article = tmp_path / "quiet.txt"
    article.write_text(
        "Why He Goes Quiet\nBy: Ana Baker\n\nSilence after an argument is rarely about you, and it passes.\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["import", str(article), "--into", str(tmp_path / "sources")])
    assert result.exit_code == 0, result.output
    assert result.stderr == "Warning: quiet.txt: dropped byline (line 2): By: Ana Baker\n"
