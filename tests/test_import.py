"""`dripcourse import`, `plan` and `new`: articles in many styles become sources; a draft syllabus builds."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import FIXTURES
from dripcourse.build import build, load_course
from dripcourse.cli import app
from dripcourse.importer import import_article, split_article
from dripcourse.sources import parse_source

ARTICLES = FIXTURES / "articles"

EXPECTED = {
    "colon-headings.txt": (
        "Growing Tomatoes on a Balcony",
        ["Introduction", "Choosing the Variety", "Soil and Pots", "Watering", "Conclusion"],
    ),
    "numbered.txt": (
        "Seven Reasons to Walk to Work",
        [
            "Introduction",
            "You Arrive Awake",
            "It Costs Nothing",
            "You See Your Neighbourhood",
            "It Is Exercise You Do Not Schedule",
        ],
    ),
    "toc-title-lines.txt": (
        "How to Keep a Sourdough Starter Alive",
        ["Introduction", "Feeding on a Schedule", "Where to Keep the Jar", "Signs of Trouble"],
    ),
    "steps-labels.txt": ("Moving House With a Cat", ["Introduction", "Prepare", "Moving day", "Settling in"]),
    "takeaways-faq.txt": (
        "Understanding Night Waking in Toddlers",
        [
            "Introduction",
            "Key Takeaways",
            "Common Causes",
            "Building a Routine",
            "Closing",
            "Should I bring my toddler into my bed?",
            "How long does a phase of night waking last?",
        ],
    ),
    "article.md": ("Learning to Draw in Ten Minutes a Day", ["Introduction", "Draw What You See", "Keep a Sketchbook"]),
    "page.html": ("Fixing a Bike Puncture", ["Introduction", "Find the Hole", "Patch It", "Check the Tyre Too"]),
    "questions-as-headings.txt": (
        "Houseplant Questions Answered",
        ["Introduction", "Why are the leaves turning yellow?", "How much light does a fern need?"],
    ),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_article_styles_give_exact_headings(name: str) -> None:
    article = import_article(ARTICLES / name)
    title, headings = EXPECTED[name]
    assert article.title == title
    assert [s.title for s in article.sections] == headings


def test_table_of_contents_is_dropped_and_sub_heading_with_labels_kept() -> None:
    article = import_article(ARTICLES / "toc-title-lines.txt")
    assert article.dropped == ["table of contents (3 entries)"]
    jar = article.sections[2].markdown
    assert "What to check each week:" in jar
    assert "**Smell:** A sharp, sour smell is normal" in jar
    assert "Table of Contents" not in article.markdown()


def test_label_items_become_paragraphs_with_bold_labels() -> None:
    section = import_article(ARTICLES / "steps-labels.txt").sections[1]
    assert section.markdown.split("\n\n") == [
        "**Carrier practice:** Leave the carrier open at home for weeks before the move so it becomes a place to nap.",
        "**Familiar smells:** Pack one blanket last so it arrives smelling of the old home.",
    ]


def test_takeaways_closing_faq_and_editorial_note() -> None:
    article = import_article(ARTICLES / "takeaways-faq.txt")
    sections = {s.id: s for s in article.sections}
    assert sections["key-takeaways"].markdown.splitlines() == [
        "- Most night waking is a normal stage.",
        "- A steady bedtime routine helps more than any single trick.",
        "- Ask a doctor when waking comes with fever or pain.",
    ]
    assert (
        sections["closing"].markdown
        == "Every family finds its own rhythm. Be patient with yourself while you find yours."
    )
    assert sections["should-i-bring-my-toddler-into-my-bed"].markdown.startswith("Some families do")
    assert article.dropped == [
        "editorial note (line 31): Note: The remaining sections still need FAQ answers from the brief."
    ]
    assert [s.number for s in article.sections] == [None] * 7
    assert "remaining sections" not in article.markdown()


def test_html_clutter_is_dropped_and_every_heading_level_starts_a_section() -> None:
    article = import_article(ARTICLES / "page.html")
    text = article.markdown()
    for clutter in ("Home", "Shop", "Share on social media", "Popular posts", "Copyright", "tracking", "newsletter"):
        assert clutter not in text, clutter
    assert "## Check the Tyre Too {#check-the-tyre-too}" in text
    assert [s.level for s in article.sections] == [2, 2, 2, 3]
    assert "- Sandpaper\n- Glue\n- Patches" in text


def test_cp1252_text_with_curly_quotes_and_dashes(tmp_path: Path) -> None:
    path = tmp_path / "legacy.txt"
    path.write_bytes(
        "Baking Bread \u2013 A Start\n\nThe \u201cfirst\u201d loaf is the hardest one you\u2019ll bake.\n\n"
        "1. Weigh Everything\n\nCups lie; scales don\u2019t.\n".encode("cp1252")
    )
    article = import_article(path)
    assert article.encoding == "cp1252"
    assert article.title == "Baking Bread \u2013 A Start"
    assert [(s.number, s.title) for s in article.sections] == [(None, "Introduction"), ("1.", "Weigh Everything")]
    assert "\u201cfirst\u201d" in article.sections[0].markdown


def test_imported_markdown_parses_back_as_a_source() -> None:
    article = import_article(ARTICLES / "takeaways-faq.txt")
    source = parse_source("night", article.markdown(), "night.md")
    assert [s.id for s in article.sections] == list(source.sections)
    assert source.meta["imported_from"] == "takeaways-faq.txt"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=2000), st.sampled_from([".txt", ".md", ".html"]))
def test_import_never_crashes_and_finds_a_section(text: str, suffix: str) -> None:
    article = split_article(text, suffix, f"fuzz{suffix}")
    assert article.sections
    parse_source("fuzz", article.markdown(), "fuzz.md")


def test_cli_import_summary_and_no_overwrite(tmp_path: Path) -> None:
    into = tmp_path / "sources"
    result = CliRunner().invoke(
        app, ["import", str(ARTICLES / "takeaways-faq.txt"), "--into", str(into), "--id", "night"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:3] == [
        f"takeaways-faq.txt -> {into / 'night.md'} (utf-8)",
        "  title: Understanding Night Waking in Toddlers",
        "  7 sections:",
    ]
    assert "Warning: takeaways-faq.txt: dropped editorial note (line 31)" in result.stderr
    before = (into / "night.md").read_text()
    again = CliRunner().invoke(app, ["import", str(ARTICLES / "numbered.txt"), "--into", str(into), "--id", "night"])
    assert again.exit_code == 2
    assert again.stderr == f"Error: {into / 'night.md'}: already exists; pass --force to replace it\n"
    assert (into / "night.md").read_text() == before


def test_import_plan_build_end_to_end(tmp_path: Path) -> None:
    course = tmp_path / "course"
    files = [str(p) for p in sorted(ARTICLES.iterdir())]
    assert CliRunner().invoke(app, ["import", *files, "--into", str(course / "sources")]).exit_code == 0
    result = CliRunner().invoke(app, ["plan", str(course), "--days", "5"])
    assert result.exit_code == 0, result.output
    loaded = load_course(course)
    assert [e.day for e in loaded.syllabus.emails] == [0, 1, 2, 3, 4]
    used = [str(ref) for e in loaded.syllabus.emails for ref in e.sections]
    every = [s.ref for src in loaded.sources.values() for s in src.sections.values()]
    assert used == every  # every section once, in article order
    words = [lesson.word_count for lesson in loaded.lessons]
    assert max(words) < 2.5 * min(words), words
    build(course, tmp_path / "out", date(2026, 1, 1))
    # A second plan does not touch the syllabus: it writes a draft beside it.
    before = (course / "syllabus.yaml").read_text()
    assert CliRunner().invoke(app, ["plan", str(course), "--days", "3"]).exit_code == 0
    assert (course / "syllabus.yaml").read_text() == before
    assert "Course" in (course / "syllabus.draft.yaml").read_text() or (course / "syllabus.draft.yaml").is_file()


def test_new_course_builds_at_once(tmp_path: Path) -> None:
    folder = tmp_path / "my-course"
    result = CliRunner().invoke(app, ["new", str(folder), "--templates"])
    assert result.exit_code == 0, result.output
    assert (folder / "templates" / "email.html").is_file()
    text = (folder / "syllabus.yaml").read_text()
    for field in (
        "title:",
        "language:",
        "sender:",
        "postal_address:",
        "unsubscribe_url:",
        "website:",
        "mode:",
        "time_zone:",
        "send_time:",
        "send_days:",
        "slug:",
        "subject:",
        "preheader:",
        "sections:",
    ):
        line = next(line for line in text.splitlines() if line.strip().startswith(field))
        assert "#" in line or field in ("sender:",), line
    build(folder, tmp_path / "out", date(2026, 1, 1))
    assert len(list((tmp_path / "out" / "emails").glob("*.html"))) == 2
    again = CliRunner().invoke(app, ["new", str(folder)])
    assert again.exit_code == 1
    assert again.stderr == f"Error: {folder}: is not empty; choose a new folder for the course\n"


def test_markdown_headings_are_found_by_the_rule_sources_use(tmp_path: Path) -> None:
    """The importer reads Markdown headings as the sources reader does (CommonMark via markdown-it): a setext
    heading is a heading, and a `##` line inside a fenced code block is code."""
    article = tmp_path / "walks.md"
    article.write_text(
        "Winter Walks\n============\n\nCold air wakes you up faster than any coffee does, every morning.\n\n"
        "Dress in layers\n---------------\n\nThree thin layers beat one thick coat when the wind picks up.\n\n"
        "```\n## not a heading\n```\n\n## Pick a loop\n\nA loop brings you home without deciding to turn back.\n",
        encoding="utf-8",
    )
    imported = import_article(article)
    assert imported.title == "Winter Walks"
    assert [s.title for s in imported.sections][-2:] == ["Dress in layers", "Pick a loop"]
    assert "## not a heading" in imported.markdown(import_order=1)


def test_import_reports_the_problems_of_every_file_and_writes_nothing(tmp_path: Path) -> None:
    good, empty, binary = tmp_path / "good.md", tmp_path / "empty.txt", tmp_path / "photo.txt"
    good.write_text("# Tea\n\nBoil fresh water for every pot, and warm the pot first.\n", encoding="utf-8")
    empty.write_text("", encoding="utf-8")
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    into = tmp_path / "sources"
    result = CliRunner().invoke(app, ["import", str(good), str(empty), str(binary), "--into", str(into)])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0] == "Error: 2 problems found:"
    assert lines[1].startswith(f"  {empty}: ") and lines[2].startswith(f"  {binary}: ")
    assert not into.exists()
