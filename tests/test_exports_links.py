"""Subscriber values inside links, and listmonk's reading of names and of "<" in text, judged by the engines.

A first name or an address in an href must arrive percent-encoded: each engine's own URL filter does it (Liquid
`url_encode`, Django `urlencode`, Go html/template's URL context and `urlquery`), and a target whose engine has
none (Handlebars, Mustachio, MailerLite's and Brevo's variables) refuses the link with its file and line.
"""

from __future__ import annotations

import html
import json
import re
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from typer.testing import CliRunner

from conftest import BASE_SOURCE, BASE_SYLLABUS, ENV, make_course
from dripcourse.cli import app
from dripcourse.export import export
from engines.judges import django_render, listmonk_render, node_render

PREVIEW = date(2026, 3, 2)
FALLBACK = "D'Arcy & Co"
LINK = "https://quiet-mornings.example/plan?who={{ first_name | D''Arcy & Co }}&mail={{ email }}"
BUTTON = f"    button: {{text: Your plan, url: '{LINK}'}}\n"
NAME = "Al & B/C+D"  # every character a URL query gives a meaning to
ADDRESS = "al+course@reader.example"


def course(root: Path, source: str = BASE_SOURCE, button: str = BUTTON) -> Path:
    syllabus = BASE_SYLLABUS.replace(
        "    sections: [habits#intro, habits#wake-up]\n", "    sections: [habits#intro, habits#wake-up]\n" + button, 1
    )
    return make_course(root, syllabus, {"habits.md": source})


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return course(tmp_path_factory.mktemp("linked"))


def query(markup: str) -> dict[str, list[str]]:
    [href] = re.findall(r'<a class="button" href="([^"]*)"', markup)
    return parse_qs(urlsplit(html.unescape(href)).query)


def payload(files: dict[str, bytes], prefix: str) -> dict:
    [name] = [n for n in files if n.startswith(prefix) and "01-start" in n and "status" not in n]
    return dict(json.loads(files[name]))


def test_preview_link_holds_the_fallback_percent_encoded(linked: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["build", str(linked), "--out", str(tmp_path / "out")], env=ENV)
    assert result.exit_code == 0, result.output
    page = (tmp_path / "out" / "emails" / "01-start.html").read_text()
    assert query(page) == {"who": [FALLBACK]}  # {{ email }} has no fallback: an empty value
    text = (tmp_path / "out" / "emails" / "01-start.txt").read_text()
    [link] = re.findall(r"https://quiet-mornings\.example/plan\S*", text)
    assert parse_qs(urlsplit(link).query) == {"who": [FALLBACK]}


def test_kit_link_goes_through_liquid_url_encode(linked: Path, tmp_path: Path) -> None:
    content = payload(export("kit", linked, tmp_path / "kit", PREVIEW), "emails/")["content"]
    people = [{"first_name": NAME, "email_address": ADDRESS}, {"email_address": ADDRESS}]
    results = node_render([{"engine": "liquid", "template": content, "data": {"subscriber": p}} for p in people])
    assert query(results[0]["output"]) == {"who": [NAME], "mail": [ADDRESS]}
    assert query(results[1]["output"]) == {"who": [FALLBACK], "mail": [ADDRESS]}


def test_buttondown_link_goes_through_django_urlencode(linked: Path, tmp_path: Path) -> None:
    body = payload(export("buttondown", linked, tmp_path / "bd", PREVIEW), "emails/")["body"]
    for metadata, expected in (({"first_name": NAME}, NAME), ({}, FALLBACK)):
        rendered = django_render(body, {"subscriber": {"metadata": metadata, "email": ADDRESS}})
        assert query(rendered) == {"who": [expected], "mail": [ADDRESS]}


def listmonk_job(files: dict[str, bytes], name: str, attribs: dict[str, str]) -> dict:
    campaign = payload(files, "campaigns/")
    return {
        "layout": json.loads(files["template.json"])["body"],
        "body": campaign["body"],
        "altbody": campaign["altbody"],
        "subject": campaign["subject"],
        "name": name,
        "attribs": attribs,
        "email": ADDRESS,
        "unsubscribe_url": "https://lists.example/u",
    }


def test_listmonk_link_is_encoded_by_go_in_the_html_and_the_text_part(linked: Path, tmp_path: Path) -> None:
    files = export("listmonk", linked, tmp_path / "lm", PREVIEW)
    results = listmonk_render([listmonk_job(files, "Alan Example", {"first_name": NAME}), listmonk_job(files, "", {})])
    assert all(not r.get("error") for r in results), results
    for result, expected in zip(results, (NAME, FALLBACK), strict=True):
        assert query(result["html"]) == {"who": [expected], "mail": [ADDRESS]}
        [link] = re.findall(r"https://quiet-mornings\.example/plan\S*", result["text"])
        assert parse_qs(urlsplit(link).query) == {"who": [expected], "mail": [ADDRESS]}


@pytest.mark.parametrize("target", ["ses", "sendgrid", "mailgun", "postmark", "mailerlite", "brevo"])
def test_a_value_in_a_link_is_refused_where_the_engine_has_no_url_filter(
    linked: Path, tmp_path: Path, target: str
) -> None:
    result = CliRunner().invoke(app, ["export", target, str(linked), "--out", str(tmp_path / target)], env=ENV)
    line = next(n for n, text in enumerate((linked / "syllabus.yaml").read_text().split("\n"), 1) if "plan?" in text)
    assert result.exit_code == 2, result.output
    assert f"syllabus.yaml:{line}: 'first_name' inside a link:" in result.output
    assert "no URL filter" in result.output
    assert not (tmp_path / target).exists()


LESS_THAN = BASE_SOURCE.replace(
    "Pick a wake-up time you can keep on weekends too.",
    'Pick a time when 6 < 7 holds, and write `<a href="x` in your notes.',
)


def test_listmonk_text_part_keeps_a_lone_less_than_and_an_open_tag(tmp_path: Path) -> None:
    """html/template reads "<" in the plain-text body as markup: "&lt;", or a failed render for `<a href="x`."""
    files = export("listmonk", course(tmp_path, LESS_THAN, button=""), tmp_path / "lm", PREVIEW)
    [result] = listmonk_render([listmonk_job(files, "Alan Example", {})])
    assert not result.get("error"), result
    assert 'Pick a time when 6 < 7 holds, and write <a href="x in your notes.' in re.sub(r"\s+", " ", result["text"])
    # What the same text did before: html/template rewrites it, or refuses to render at all.
    raw = dict(listmonk_job(files, "A", {}), altbody="6 < 7 {{ if 1 }}{{ end }}")
    assert listmonk_render([raw])[0]["text"] == "6 &lt; 7 "
    broken = dict(raw, altbody='<a href="x {{ if 1 }}{{ end }}')
    assert "non-text context" in listmonk_render([broken])[0]["error"]


@pytest.mark.parametrize(
    ("name", "attribs", "greeting"),
    [
        ("Al Smith", {}, "Hi Al,"),  # listmonk's .Subscriber.FirstName would give "Smith"
        ("Al Smith", {"first_name": "Alison"}, "Hi Alison,"),
        ("", {}, "Hi there,"),
    ],
)
def test_listmonk_greeting_uses_the_first_name_attribute_then_the_first_word(
    tmp_path: Path, name: str, attribs: dict[str, str], greeting: str
) -> None:
    files = export("listmonk", course(tmp_path, button=""), tmp_path / "lm", PREVIEW)
    [result] = listmonk_render([listmonk_job(files, name, attribs)])
    assert greeting in re.sub(r"<[^>]+>", " ", result["html"])
    assert greeting in result["text"]
