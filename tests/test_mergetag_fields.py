"""Merge tags in every field a subscriber reads: filled where the text is the subscriber's own (greeting, body,
action, journal, button), refused with file:line:column where it is the same for everyone (subject, preheader,
headings, names, the postal address), and never passed through as literal braces.

What a tag becomes is judged by the services' engines (tests/engines/judges.py), never by our own filler.
"""

from __future__ import annotations

import html
import json
import re
from datetime import date
from pathlib import Path

import pytest

from conftest import BASE_SOURCE, BASE_SYLLABUS, cli, make_course
from dripcourse.export import export
from engines.judges import django_render, listmonk_render, node_render

PREVIEW = date(2026, 3, 2)


def course(tmp_path: Path, email_extra: str = "", syllabus: str = BASE_SYLLABUS, source: str = BASE_SOURCE) -> Path:
    """The base course with `email_extra` (YAML lines, indented as keys of the first email) added to email 1."""
    text = syllabus.replace(
        "    sections: [habits#intro, habits#wake-up]\n",
        "    sections: [habits#intro, habits#wake-up]\n" + email_extra,
        1,
    )
    return make_course(tmp_path, text, {"habits.md": source})


def line_of(path: Path, needle: str) -> tuple[int, int]:
    """1-based line and column of `needle` in the file, as an editor shows it."""
    for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        if needle in line:
            return number, line.index(needle) + 1
    raise AssertionError(needle)


@pytest.mark.parametrize(
    "written",
    [
        "{{ first_name | O'Brien & {co} }}",
        "{{first_name|x|y}}",
        "{{ first_name | a}b }}",
        "{{ first_name | x",
        "{{email}",
    ],
)
def test_a_malformed_merge_tag_is_an_input_error_at_its_place(tmp_path: Path, written: str) -> None:
    extra = f"    action: 'Write to {written.replace(chr(39), chr(39) * 2)} today.'\n"
    folder = course(tmp_path, extra)
    code, output = cli("build", str(folder), "--out", str(tmp_path / "out"))
    line, column = line_of(folder / "syllabus.yaml", "{{")
    assert code == 2, output
    assert f"syllabus.yaml:{line}:{column}: emails[0].action: merge tag '{{{{ " in output, output
    assert "Traceback" not in output
    assert not (tmp_path / "out").exists()


def test_a_malformed_merge_tag_in_a_source_names_its_line_and_column(tmp_path: Path) -> None:
    source = BASE_SOURCE.replace("Pick a wake-up time", "Dear {{ first_name | pal, pick a wake-up time")
    folder = course(tmp_path, source=source)
    code, output = cli("build", str(folder), "--out", str(tmp_path / "out"))
    line, column = line_of(folder / "sources" / "habits.md", "{{")
    assert (code, f"habits.md:{line}:{column}:" in output) == (2, True), output
    assert "is not closed" in output


@pytest.mark.parametrize(
    ("field", "yaml"),
    [
        ("emails[0].subject", ("subject: Start small", "subject: 'Start small, {{ first_name | friend }}'")),
        (
            "emails[0].preheader",
            ("preheader: One small habit", "preheader: Dear {{ first_name }}, one small habit"),
        ),
        ("course.title", ("title: Quiet Mornings", "title: 'Quiet Mornings for {{ first_name }}'")),
        ("course.postal_address", ("postal_address: 4 Dawn", "postal_address: Attn {{ email }} 4 Dawn")),
        (
            "course.logo.alt",
            (
                "  website: https://quiet-mornings.example\n",
                "  website: https://quiet-mornings.example\n  logo: {url: 'https://quiet-mornings.example/l.png', "
                "width: 120, height: 40, alt: 'Logo for {{ first_name }}'}\n",
            ),
        ),
    ],
)
def test_a_merge_tag_where_every_subscriber_reads_the_same_text_is_refused(
    tmp_path: Path, field: str, yaml: tuple[str, str]
) -> None:
    folder = make_course(tmp_path, BASE_SYLLABUS.replace(*yaml), {"habits.md": BASE_SOURCE})
    code, output = cli("export", "kit", str(folder), "--out", str(tmp_path / "kit"))
    line, column = line_of(folder / "syllabus.yaml", "{{")
    assert code == 2, output
    assert f"syllabus.yaml:{line}:{column}: {field}: merge tag" in output, output
    assert "is not filled here" in output


def test_a_heading_with_a_merge_tag_is_refused(tmp_path: Path) -> None:
    source = BASE_SOURCE.replace("## Wake up at one time", "## Wake up, {{ first_name }},")
    folder = course(tmp_path, source=source)
    code, output = cli("build", str(folder), "--out", str(tmp_path / "out"))
    line, column = line_of(folder / "sources" / "habits.md", "{{")
    assert (code, f"habits.md:{line}:{column}: merge tag 'first_name' is not filled in a heading" in output) == (
        2,
        True,
    ), output


BUTTON = (
    "    action: 'Tell {{ email }} apart.'\n"
    "    journal: 'What woke you, {{ first_name | sleeper }}?'\n"
    "    button:\n"
    "      text: 'Go on, {{ first_name | sleeper }}'\n"
    "      url: https://quiet-mornings.example/plan\n"
)
BARE = "Hi {{ first_name }},"


@pytest.fixture(scope="module")
def tagged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tagged")
    syllabus = BASE_SYLLABUS.replace(
        "  website: https://quiet-mornings.example\n",
        f"  website: https://quiet-mornings.example\n  greeting: '{BARE}'\n",
    )
    return course(root, BUTTON, syllabus)


def visible(markup: str) -> str:
    markup = re.sub(r"<head>.*?</head>|<!--.*?-->", " ", markup, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", markup)))


def test_preview_fills_every_field_with_its_fallback_and_a_bare_tag_with_there(tagged: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli("build", str(tagged), "--out", str(out))[0] == 0
    page = (out / "emails" / "01-start.html").read_text()
    text = (out / "emails" / "01-start.txt").read_text()
    for shown in (visible(page), text):
        assert "Hi there," in shown
        assert "What woke you, sleeper?" in shown
        assert "Go on, sleeper" in shown
        assert "{{" not in shown


def test_every_engine_fills_button_and_bare_greeting_like_the_preview(tagged: Path, tmp_path: Path) -> None:
    """The greeting written without a fallback is "there" in the preview and in every service (one rule)."""
    ses = export("ses", tagged, tmp_path / "ses", PREVIEW)
    [name] = [n for n in ses if n.startswith("v2/") and n.endswith("01-start.json")]
    content = json.loads(ses[name])["TemplateContent"]
    jobs = [
        {"engine": "handlebars", "template": content[k], "data": data}
        for data in ({"first_name": "Alex", "email": "a@b.example"}, {"first_name": "", "email": "a@b.example"})
        for k in ("Html", "Text")
    ]
    with_name, with_name_text, without, without_text = [r["output"] for r in node_render(jobs)]
    assert "Hi Alex," in visible(with_name) and "Go on, Alex" in visible(with_name)
    assert "Hi Alex," in with_name_text and "Tell a@b.example apart." in with_name_text
    assert "Hi there," in visible(without) and "Go on, sleeper" in visible(without)
    assert "What woke you, sleeper?" in without_text

    kit = export("kit", tagged, tmp_path / "kit", PREVIEW)
    [name] = [n for n in kit if n.startswith("emails/") and "01-start" in n]
    content = json.loads(kit[name])["content"]
    [liquid] = node_render([{"engine": "liquid", "template": content, "data": {"subscriber": {}}}])
    assert "Hi there," in visible(liquid["output"]) and "Go on, sleeper" in visible(liquid["output"])

    buttondown = export("buttondown", tagged, tmp_path / "bd", PREVIEW)
    [name] = [n for n in buttondown if n.startswith("emails/") and "01-start" in n]
    rendered = django_render(json.loads(buttondown[name])["body"], {"subscriber": {"metadata": {}}})
    assert "Hi there," in visible(rendered) and "Go on, sleeper" in visible(rendered)

    listmonk = export("listmonk", tagged, tmp_path / "lm", PREVIEW)
    [name] = [n for n in listmonk if n.startswith("campaigns/") and "01-start" in n and "status" not in n]
    campaign = json.loads(listmonk[name])
    job = {
        "layout": json.loads(listmonk["template.json"])["body"],
        "body": campaign["body"],
        "altbody": campaign["altbody"],
        "subject": campaign["subject"],
        "name": "",
        "email": "a@b.example",
        "unsubscribe_url": "https://u.example/u",
    }
    [result] = listmonk_render([job])
    assert "Hi there," in visible(result["html"]) and "Go on, sleeper" in result["text"]


def test_a_link_with_a_merge_tag_gets_no_utm_parameters(tmp_path: Path) -> None:
    extra = "    button: {text: Plan, url: 'https://quiet-mornings.example/plan?who={{ first_name | you }}'}\n"
    folder = course(tmp_path, extra)
    out = tmp_path / "out"
    assert cli("build", str(folder), "--out", str(out))[0] == 0
    page = (out / "emails" / "01-start.html").read_text()
    [link] = re.findall(r'<a class="button" href="([^"]*)"', page)
    assert html.unescape(link) == "https://quiet-mornings.example/plan?who=you"
    assert "utm_source" in page  # other links to the site are still tagged


def test_mailchimp_syntax_in_course_text_is_not_read_as_emphasis(tmp_path: Path) -> None:
    """`*|FNAME|*` written as text reaches the reader as written, not as `<em>|FNAME|</em>` (CommonMark reads a
    pair of stars around text as emphasis); in code it is unchanged too."""
    source = BASE_SOURCE.replace(
        "Pick a wake-up time you can keep on weekends too.",
        "In Mailchimp, write *|FNAME|* or *|IF:FNAME|* for the name, and `*|EMAIL|*` in code.",
    )
    folder = course(tmp_path, source=source)
    out = tmp_path / "out"
    assert cli("build", str(folder), "--out", str(out))[0] == 0
    page = (out / "emails" / "01-start.html").read_text()
    text = (out / "emails" / "01-start.txt").read_text()
    shown = "In Mailchimp, write *|FNAME|* or *|IF:FNAME|* for the name, and *|EMAIL|* in code."
    assert shown in visible(page), visible(page)
    assert "<em>|" not in page
    assert "write *|FNAME|* or *|IF:FNAME|*" in " ".join(text.split())
    kit = export("kit", folder, tmp_path / "kit", PREVIEW)
    [name] = [n for n in kit if n.startswith("emails/") and "01-start" in n]
    [liquid] = node_render([{"engine": "liquid", "template": json.loads(kit[name])["content"], "data": {}}])
    assert shown in visible(liquid["output"])
