"""plan breaks emails where articles and headings do, and words its subjects and preheaders like a person would."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from dripcourse.cli import app
from dripcourse.planner import draft_emails, shorten
from dripcourse.sources import Source, parse_source

WORDS = "Each line of this paragraph is there to give the section some honest weight to carry along. "


def source(source_id: str, title: str, intro_words: int, sections: list[tuple[str, int]]) -> Source:
    body = [f"---\ntitle: {title}\n---\n", (WORDS * intro_words).strip(), ""]
    for heading, size in sections:
        body += [f"## {heading}", "", (WORDS * size).strip(), ""]
    return parse_source(source_id, "\n".join(body), f"{source_id}.md")


def refs(sources: list[Source], days: int) -> list[list[str]]:
    emails = draft_emails(Path("course"), {s.id: s for s in sources}, days)
    return [[section.ref for section in email.sections] for email in emails]


def test_an_articles_intro_stays_with_its_body() -> None:
    first = source("a", "Saving on a Small Wage", 1, [("Pay yourself first", 3), ("Round up", 3), ("Review", 3)])
    second = source("b", "Rebuilding Trust", 2, [("Cool down first", 3), ("Say what happened", 3)])
    for days in (2, 3, 4):
        for run in refs([first, second], days):
            assert run[-1] != "b#intro" and run[-1] != "a#intro", run


def test_an_email_starts_at_the_next_article_when_its_boundary_is_near() -> None:
    soup = source("soup", "Lentil Soup", 1, [("Ingredients", 2), ("Method", 3)])
    stew = source("stew", "Bean Stew", 1, [("Ingredients", 2), ("Method", 3)])
    bake = source("bake", "Tray Bake", 1, [("Ingredients", 2), ("Method", 3)])
    assert refs([soup, stew, bake], 3) == [
        ["soup#intro", "soup#ingredients", "soup#method"],
        ["stew#intro", "stew#ingredients", "stew#method"],
        ["bake#intro", "bake#ingredients", "bake#method"],
    ]


def test_subjects_are_the_first_heading_shown_in_sentence_case() -> None:
    first = source("a", "Rebuilding Trust After a Fight", 2, [("Cool down first", 3)])
    second = source("b", "Mistakes", 0, [("WHAT NOT TO DO", 3), ("Why Do Small Things Matter So Much?", 3)])
    emails = draft_emails(Path("course"), {"a": first, "b": second}, 3)
    assert [e.subject for e in emails] == [
        "Rebuilding Trust After a Fight",
        "What not to do",
        "Why Do Small Things Matter So Much?",
    ]
    assert all("?." not in e.preheader for e in emails)


def test_preheaders_keep_headings_with_commas_apart() -> None:
    article = source(
        "a", "Getting Promoted", 0, [("Ask", 2), ("Start with the job, not with you", 2), ("Show one result", 2)]
    )
    (email,) = draft_emails(Path("course"), {"a": article}, 1)
    assert email.preheader.startswith("Also: Start with the job, not with you; Show one result.")


def test_a_long_subject_is_cut_where_a_phrase_ends() -> None:
    cut = shorten("How do we keep things exciting when we can't go out as much as we used to?", 50)
    assert cut == "How do we keep things exciting…"
    assert shorten("Short and whole", 50) == "Short and whole"


def test_the_edited_draft_message_says_what_force_does(tmp_path: Path) -> None:
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "a.md").write_text(
        "---\ntitle: Soup\n---\n\nWarm and cheap.\n\n## Stock\n\nBones and water.\n\n## Bowls\n\nServe hot.\n",
        encoding="utf-8",
    )
    (tmp_path / "syllabus.yaml").write_text("course:\n  title: Soup\nemails: []\n", encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(app, ["plan", str(tmp_path), "--days", "2"]).exit_code == 0
    draft = tmp_path / "syllabus.draft.yaml"
    draft.write_text(draft.read_text(encoding="utf-8") + "# my note\n", encoding="utf-8")
    result = runner.invoke(app, ["plan", str(tmp_path), "--days", "2"])
    assert result.exit_code == 2
    assert "rename or delete it to draft again" in result.stderr
    assert "--force instead writes the new emails into syllabus.yaml" in result.stderr
    assert draft.read_text(encoding="utf-8").endswith("# my note\n")


ARTICLE = (
    "Soup on a Budget\n\nA pot of soup feeds four for the price of one sandwich, and it keeps for days in the "
    "fridge.\n\nStart With Stock\n\nBones, peelings and water, simmered for an hour, make a better base than any "
    "cube.\n\nAdd Beans Last\n\nTinned beans only need warming through, or they fall apart in the pot.\n"
)


def test_new_import_plan_gives_a_course_whose_sources_pass_strict(tmp_path: Path) -> None:
    runner = CliRunner()
    course = tmp_path / "c"
    assert runner.invoke(app, ["new", str(course)]).exit_code == 0
    article = tmp_path / "soup.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    assert runner.invoke(app, ["import", str(article), "--into", str(course / "sources")]).exit_code == 0
    assert runner.invoke(app, ["plan", str(course), "--days", "2"]).exit_code == 0
    draft = (course / "syllabus.draft.yaml").read_text(encoding="utf-8")
    assert "basics" not in draft and "ideas:" not in draft
    assert "heading_numbers: false" in draft  # the rest of the syllabus is as `new` wrote it
    (course / "syllabus.yaml").write_text(draft, encoding="utf-8")
    result = runner.invoke(app, ["sources", str(course), "--strict"])
    assert result.exit_code == 0, result.output
    assert (course / "sources" / "basics.md").is_file()  # the sample file itself is left alone


def test_a_deleted_placeholder_is_named_at_its_line_in_the_syllabus(tmp_path: Path) -> None:
    runner = CliRunner()
    course = tmp_path / "c"
    assert runner.invoke(app, ["new", str(course)]).exit_code == 0
    (course / "sources" / "basics.md").unlink()
    article = tmp_path / "soup.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    assert runner.invoke(app, ["import", str(article), "--into", str(course / "sources")]).exit_code == 0
    result = runner.invoke(app, ["plan", str(course)])
    assert result.exit_code == 2
    line = next(n for n, text in enumerate((course / "syllabus.yaml").read_text().splitlines(), 1) if "basics:" in text)
    assert result.stderr == (
        f"Error: {course / 'syllabus.yaml'}:{line}:11: sources.basics: sources/basics.md not found; restore the file "
        "or remove this line\n"
    )


def test_a_preheader_lists_only_whole_headings_and_never_the_made_up_closing() -> None:
    article = source(
        "a",
        "Reconnecting",
        0,
        [
            ("Red flags and moving forward", 2),
            ("Closing", 1),
            ("Why does he pull away in a relationship when things seem fine?", 1),
            ("How can I address the communication breakdown when he goes quiet for days?", 1),
        ],
    )
    (email,) = draft_emails(Path("course"), {"a": article}, 1)
    assert email.preheader == "Also: Why does he pull away in a relationship when things seem fine?"
