"""Every exported template rendered by the engine its service runs (tests/engines/judges.py says which).

For every target, with a first name, without one and with "D'Angelo & Co": the greeting is "Hi <name>," or the
fallback, in the HTML and the text part; the subject comes out as written; the unsubscribe link and the postal
address render; Outlook's conditional comments survive where the service keeps them. Two courses: the shipped
one (evergreen, every day) and a variant (cohort, Monday to Friday, a quoted non-ASCII subject, a fallback with
an apostrophe, quotes and an ampersand).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from conftest import BASE_SYLLABUS, REPO, make_course
from dripcourse.build import load_course, render_course
from dripcourse.export import export
from engines.judges import django_render, listmonk_render, node_render

PREVIEW = date(2026, 3, 2)
UNSUBSCRIBE = "https://unsub.example/u?list=7&id=42"
ADDRESS = "alex@reader.example"
PEOPLE = {"Alex": "Alex", "": None, "D'Angelo & Co": "D'Angelo & Co"}
VARIANT_FALLBACK = 'D\'Artagnan & "Co"'
VARIANT = (
    BASE_SYLLABUS.replace(
        "mode: evergreen", "mode: cohort\n  start_date: 2026-03-27\n  send_days: [mon, tue, wed, thu, fri]"
    )
    .replace(
        "  website: https://quiet-mornings.example\n",
        "  website: https://quiet-mornings.example\n"
        f"  greeting: 'Hi {{{{ first_name | {VARIANT_FALLBACK.replace(chr(39), chr(39) * 2)} }}}},'\n",
    )
    .replace("subject: Start small", "subject: 'Don''t \"rush\": café first'")
)


@dataclass
class Rendered:
    html: str
    text: str | None  # None where the service stores no text part
    subject: str | None  # None where the export holds no subject the engine renders


@dataclass
class Course:
    path: Path
    fallback: str
    subjects: list[str]
    address: str
    outlook_comments: list[int]  # conditional comments per email in the preview


def course_info(path: Path, fallback: str) -> Course:
    loaded = load_course(path)
    emails = render_course(loaded, PREVIEW)
    return Course(
        path,
        fallback,
        [e.rendered.lesson.email.subject for e in emails],
        loaded.syllabus.course.postal_address,
        [e.html.count("<!--[if mso]>") + e.html.count("<!--[if !mso]>") for e in emails],
    )


@pytest.fixture(scope="module")
def courses(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Course]:
    variant = make_course(tmp_path_factory.mktemp("variant"), VARIANT)
    return {"shipped": course_info(REPO / "course", "there"), "variant": course_info(variant, VARIANT_FALLBACK)}


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory, courses: dict[str, Course]) -> dict[tuple[str, str], dict]:
    root = tmp_path_factory.mktemp("engine-exports")
    out = {}
    for label, course in courses.items():
        for target in ("ses", "sendgrid", "mailgun", "postmark", "kit", "listmonk", "buttondown"):
            out[(target, label)] = export(target, course.path, root / label / target, PREVIEW)
    return out


def body(files: dict[str, bytes], name: str) -> dict:
    return json.loads(files[name])


def handlebars(jobs: list[tuple[str, dict]]) -> list[str]:
    results = node_render([{"engine": "handlebars", "template": t, "data": d} for t, d in jobs])
    assert all("error" not in r for r in results), results
    return [r["output"] for r in results]


def in_threes(outputs: list[str]) -> list[Rendered]:
    return [Rendered(*outputs[i : i + 3]) for i in range(0, len(outputs), 3)]


def ses_like(files: dict[str, bytes], data: dict, prefix: str, keys: tuple[str, str, str]) -> list[Rendered]:
    jobs = []
    for name in sorted(n for n in files if n.startswith(prefix)):
        payload = body(files, name)
        content = payload.get("TemplateContent") or payload.get("Template") or payload
        jobs += [(content[k], data) for k in keys]
    return in_threes(handlebars(jobs))


def render_ses_v2(files: dict[str, bytes], first: str | None, tmp: Path) -> list[Rendered]:
    data = {"first_name": first or "", "email": ADDRESS, "amazonSESUnsubscribeUrl": UNSUBSCRIBE}
    return ses_like(files, data, "v2/", ("Html", "Text", "Subject"))


def render_ses_v1(files: dict[str, bytes], first: str | None, tmp: Path) -> list[Rendered]:
    data = {"first_name": first or "", "email": ADDRESS, "unsubscribe_url": UNSUBSCRIBE}
    return ses_like(files, data, "v1/", ("HtmlPart", "TextPart", "SubjectPart"))


def render_sendgrid(files: dict[str, bytes], first: str | None, tmp: Path) -> list[Rendered]:
    data = {"first_name": first or "", "email": ADDRESS, "unsubscribe": UNSUBSCRIBE}
    versions = {n: files[n] for n in files if n.endswith(".version.json")}
    return ses_like(versions, data, "templates/", ("html_content", "plain_content", "subject"))


def render_mailgun(files: dict[str, bytes], first: str | None, tmp: Path) -> list[Rendered]:
    data = {"first_name": first or "", "email": ADDRESS}
    jobs = []
    for name in sorted(n for n in files if n.startswith("templates/")):
        payload = body(files, name)
        stem = name.removeprefix("templates/").removesuffix(".json")
        subject = json.loads(payload["headers"])["Subject"]
        jobs += [(payload["template"], data), (files[f"text/{stem}.txt"].decode(), data), (subject, data)]
    # Mailgun fills %unsubscribe_url% itself, after the template is rendered.
    return in_threes([r.replace("%unsubscribe_url%", UNSUBSCRIBE) for r in handlebars(jobs)])


def render_postmark(files: dict[str, bytes], first: str | None, tmp: Path) -> list[Rendered]:
    # Mustachio treats "" like a missing value in sections (ContextObject.Exists), Handlebars does not: the
    # stand-in is given no first_name at all for a subscriber without one.
    model = {"email": ADDRESS, "pm:unsubscribe": UNSUBSCRIBE, **({"first_name": first} if first else {})}
    jobs = []
    for name in sorted(n for n in files if n.startswith("templates/")):
        payload = body(files, name)
        jobs += [(payload[k], model) for k in ("HtmlBody", "TextBody", "Subject")]
    return in_threes(handlebars(jobs))


def render_kit(files: dict[str, bytes], first: str | None, tmp: Path) -> list[Rendered]:
    data = {"subscriber": {"first_name": first, "email_address": ADDRESS}, "unsubscribe_url": UNSUBSCRIBE}
    names = sorted(n for n in files if n.startswith("emails/"))
    jobs = []
    for name in names:
        payload = body(files, name)
        jobs += [{"engine": "liquid", "template": payload[k], "data": data} for k in ("content", "subject")]
    results = node_render(jobs)
    assert all("error" not in r for r in results), results
    return [Rendered(results[i]["output"], None, results[i + 1]["output"]) for i in range(0, len(results), 2)]


def render_listmonk(files: dict[str, bytes], first: str | None, tmp: Path) -> list[Rendered]:
    layout = body(files, "template.json")["body"]
    names = sorted(n for n in files if n.startswith("campaigns/") and not n.endswith(".status.json"))
    jobs = []
    for name in names:
        campaign = body(files, name)
        jobs.append(
            {
                "layout": layout,
                "body": campaign["body"],
                "altbody": campaign["altbody"],
                "subject": campaign["subject"],
                # dripcourse's list keeps the first name in the `first_name` attribute (README, listmonk).
                "name": f"{first} Example" if first else "Reader",
                "attribs": {"first_name": first} if first else {},
                "email": ADDRESS,
                "unsubscribe_url": UNSUBSCRIBE,
            }
        )
    results = listmonk_render(jobs)
    assert all(not r.get("error") for r in results), results
    return [Rendered(r["html"], r["text"], r["subject"]) for r in results]


def render_buttondown(files: dict[str, bytes], first: str | None, tmp: Path) -> list[Rendered]:
    context = {
        "subscriber": {"metadata": {"first_name": first or ""}, "email": ADDRESS},
        "unsubscribe_url": UNSUBSCRIBE,
    }
    out = []
    for name in sorted(n for n in files if n.startswith("emails/")):
        email = body(files, name)
        out.append(Rendered(django_render(email["body"], context), None, django_render(email["subject"], context)))
    return out


RENDERERS: dict[str, tuple[str, Callable[[dict[str, bytes], str | None, Path], list[Rendered]]]] = {
    "ses-v2": ("ses", render_ses_v2),
    "ses-v1": ("ses", render_ses_v1),
    "sendgrid": ("sendgrid", render_sendgrid),
    "mailgun": ("mailgun", render_mailgun),
    "postmark": ("postmark", render_postmark),
    "kit": ("kit", render_kit),
    "listmonk": ("listmonk", render_listmonk),
    "buttondown": ("buttondown", render_buttondown),
}


def visible(markup: str) -> str:
    """The text a reader sees: no head, no tags, character references decoded, spaces collapsed."""
    markup = re.sub(r"<head>.*?</head>|<!--.*?-->", " ", markup, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", markup)))


@pytest.mark.parametrize("label", ["shipped", "variant"])
@pytest.mark.parametrize("renderer", sorted(RENDERERS))
def test_every_template_renders_greeting_link_and_address(
    exported: dict, courses: dict[str, Course], renderer: str, label: str, tmp_path: Path
) -> None:
    target, render = RENDERERS[renderer]
    course = courses[label]
    files = exported[(target, label)]
    for person, first in PEOPLE.items():
        rendered = render(files, first, tmp_path)
        assert len(rendered) == len(course.subjects)
        greeting = f"Hi {first or course.fallback}," if target != "listmonk" or first else "Hi Reader,"
        for n, email in enumerate(rendered):
            seen = visible(email.html)
            assert greeting in seen, (person, n, seen[:300])
            assert course.address in seen
            links = re.findall(r'<a class="footer-link" href="([^"]*)"', email.html)
            assert [html.unescape(link) for link in links] == [UNSUBSCRIBE]
            if email.text is not None:
                assert greeting in email.text, (person, n)
                assert f"Unsubscribe: {UNSUBSCRIBE}" in email.text
                assert course.address in email.text
            if email.subject is not None:
                assert email.subject == course.subjects[n]
            comments = email.html.count("<!--[if mso]>") + email.html.count("<!--[if !mso]>")
            assert comments == course.outlook_comments[n]


def test_postmark_old_greeting_was_empty_under_mustachio_scoping() -> None:
    """The defect: {{#first_name}}{{first_name}}{{/first_name}} is empty in Mustachio, fine in mustache.js."""
    old = "Hi {{#first_name}}{{first_name}}{{/first_name}}{{^first_name}}there{{/first_name}},"
    new = "Hi {{#first_name}}{{.}}{{/first_name}}{{^first_name}}there{{/first_name}},"
    data = {"first_name": "Alex"}
    results = node_render(
        [
            {"engine": "handlebars", "template": old, "data": data},
            {"engine": "mustache", "template": old, "data": data},
            {"engine": "handlebars", "template": new, "data": data},
        ]
    )
    assert [r["output"] for r in results] == ["Hi ,", "Hi Alex,", "Hi Alex,"]


def test_handlebars_text_part_keeps_an_apostrophe(exported: dict) -> None:
    """The defect: {{first_name}} in a text part shows D&#x27;Angelo; the triple form keeps D'Angelo."""
    [email] = render_ses_v2(
        {"v2/x.json": exported[("ses", "shipped")]["v2/when-he-pulls-away-01-welcome.json"]}, "D'Angelo & Co", Path(".")
    )
    assert email.text is not None and "Hi D'Angelo & Co," in email.text
    assert handlebars([("{{first_name}}", {"first_name": "D'Angelo"})]) == ["D&#x27;Angelo"]


def test_go_html_template_strips_comments_unless_safe(tmp_path: Path) -> None:
    """The defect: listmonk's html/template removes a raw Outlook comment; {{ Safe "..." }} keeps it."""
    comment = "<!--[if mso]><b>Outlook</b><![endif]-->"
    jobs = [
        {
            "layout": '{{ template "content" . }}',
            "body": body_,
            "altbody": "",
            "subject": "s",
            "name": "",
            "email": ADDRESS,
            "unsubscribe_url": UNSUBSCRIBE,
        }
        for body_ in (f"<p>a</p>{comment}", "<p>a</p>{{ Safe " + json.dumps(comment) + " }}")
    ]
    assert [r["html"] for r in listmonk_render(jobs)] == ["<p>a</p>", f"<p>a</p>{comment}"]
