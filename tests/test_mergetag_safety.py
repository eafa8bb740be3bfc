"""Course text is text in every output: hostile fallbacks, other engines' syntax and token look-alikes.

Each case goes through the real CLI (`dripcourse build` and `dripcourse export TARGET`) and asserts the exact
outcome; the property tests at the end feed any text to the merge-tag parser, the filler and every dialect, and
let the services' engines render what the dialects write.
"""

from __future__ import annotations

import email
import email.policy
import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import escape

from conftest import BASE_SOURCE, BASE_SYLLABUS, cli, make_course
from dripcourse import mergetags
from dripcourse.exports import dialects as d
from dripcourse.exports.services import TARGETS
from dripcourse.syllabus import CourseInfo, Sender
from engines.judges import django_render, listmonk_render, node_render

ALL_TARGETS = sorted(TARGETS)


def course_with(tmp_path: Path, paragraph: str = "", greeting: str | None = None, subject: str | None = None) -> Path:
    syllabus = BASE_SYLLABUS
    if greeting is not None:
        syllabus = syllabus.replace(
            "  website: https://quiet-mornings.example\n",
            f"  website: https://quiet-mornings.example\n  greeting: {greeting}\n",
        )
    if subject is not None:
        syllabus = syllabus.replace("subject: Start small", f"subject: {subject}")
    source = BASE_SOURCE.replace("Pick a wake-up time you can keep on weekends too.", paragraph or "Pick a time.")
    return make_course(tmp_path, syllabus, {"habits.md": source})


def html_payloads(folder: Path) -> list[str]:
    """Every HTML document a target's folder holds, from its files or inside its JSON payloads."""
    found = []
    for path in sorted(folder.rglob("*")):
        if path.suffix == ".html":
            found.append(path.read_text())
        elif path.suffix == ".json":
            found += [v for v in strings(json.loads(path.read_text())) if v.startswith("<!DOCTYPE html>")]
        elif path.suffix == ".eml":
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            part = message.get_body(("html",))
            assert part is not None
            found.append(part.get_content())
    return found


def strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


# Token look-alikes ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "literal", ["dcmt-0-dcmt", "dcmt-9-dcmt", "dcmt0123456789abcdeft0e", "dcmt-1-dcmt dcmt-2-dcmt"]
)
def test_text_shaped_like_an_internal_token_stays_text(tmp_path: Path, literal: str) -> None:
    course = course_with(tmp_path, f"Write down {literal} today.")
    code, output = cli("build", str(course), "--out", str(tmp_path / "out"))
    assert (code, output) == (0, output)
    page = (tmp_path / "out" / "emails" / "01-start.html").read_text()
    text = (tmp_path / "out" / "emails" / "01-start.txt").read_text()
    assert f">Write down {literal} today.</p>" in page and f"Write down {literal} today." in text
    assert "Hi there," in page and "Hi there," in text
    for target in ALL_TARGETS:
        assert cli("export", target, str(course), "--out", str(tmp_path / target))[0] == 0, target
        assert any(f"Write down {literal} today." in page for page in html_payloads(tmp_path / target)), target


def test_token_nonce_never_occurs_in_what_the_email_is_made_from() -> None:
    texts = ["a", "b"]
    nonce = mergetags.nonce_for(texts)
    planted = [f"see dcmt{nonce}t0e"]
    assert mergetags.nonce_for(planted) != nonce
    assert f"dcmt{mergetags.nonce_for(planted)}" not in planted[0]


# A fallback written as HTML ---------------------------------------------------------------------------------
IMG = "<img src=x onerror=alert(1)>"


def test_html_in_a_fallback_is_text_in_the_preview_and_every_export(tmp_path: Path) -> None:
    course = course_with(tmp_path, greeting=f"'Hi {{{{ first_name | {IMG} }}}},'")
    assert cli("build", str(course), "--out", str(tmp_path / "out"))[0] == 0
    page = (tmp_path / "out" / "emails" / "01-start.html").read_text()
    assert "Hi &lt;img src=x onerror=alert(1)&gt;," in page
    assert f"Hi {IMG}," in (tmp_path / "out" / "emails" / "01-start.txt").read_text()
    for target in ALL_TARGETS:
        assert cli("export", target, str(course), "--out", str(tmp_path / target))[0] == 0, target
        pages = html_payloads(tmp_path / target)
        assert pages, target
        assert all("<img src=x" not in p for p in pages), target


def test_html_fallback_renders_as_text_under_handlebars(tmp_path: Path) -> None:
    course = course_with(tmp_path, greeting=f"'Hi {{{{ first_name | {IMG} }}}},'")
    assert cli("export", "ses", str(course), "--out", str(tmp_path / "ses"))[0] == 0
    content = json.loads((tmp_path / "ses" / "v2" / "quiet-mornings-01-start.json").read_text())["TemplateContent"]
    [page, text] = [
        r["output"]
        for r in node_render(
            [{"engine": "handlebars", "template": content[k], "data": {"first_name": ""}} for k in ("Html", "Text")]
        )
    ]
    assert "<img src=x" not in page and f"Hi {IMG}," in html.unescape(page)
    assert f"Hi {IMG}," in text


# A fallback with quotes and an ampersand in an href ---------------------------------------------------------
QUOTED = 'O\'Neil "Jr" & Co'
ENCODED = "O%27Neil%20%22Jr%22%20%26%20Co"


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.open: list[tuple[str, str | None]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.open = attrs

    def handle_data(self, data: str) -> None:
        if self.open is not None and data.strip() == "Say hi":
            self.links.append((data, self.open))
            self.open = None


def say_hi_links(page: str) -> list[list[tuple[str, str | None]]]:
    parser = Links()
    parser.feed(page)
    return [attrs for _, attrs in parser.links]


NO_URL_FILTER = {"ses", "sendgrid", "mailgun", "postmark", "mailerlite", "brevo"}


def test_quotes_in_a_fallback_cannot_leave_an_href(tmp_path: Path) -> None:
    link = f"[Say hi](https://friends.example/hello?name={{{{ first_name | {QUOTED} }}}})"
    course = course_with(tmp_path, link)
    assert cli("build", str(course), "--out", str(tmp_path / "out"))[0] == 0
    page = (tmp_path / "out" / "emails" / "01-start.html").read_text()
    assert [attrs[0] for attrs in say_hi_links(page)] == [("href", f"https://friends.example/hello?name={ENCODED}")]
    for target in ALL_TARGETS:
        code, output = cli("export", target, str(course), "--out", str(tmp_path / target))
        if target in NO_URL_FILTER:  # a subscriber's value in a link is refused there (tests/test_exports_links.py)
            assert (code, "'first_name' inside a link" in output) == (2, True), (target, output)
            continue
        assert code == 0, (target, output)
        pages = [p for p in html_payloads(tmp_path / target) if "Say hi" in p]
        assert pages, target
        for page in pages:
            [attrs] = say_hi_links(page)
            assert [name for name, _ in attrs if name != "style"] == ["href"], (target, attrs)
            assert ENCODED in (attrs[0][1] or ""), (target, attrs)


# Other engines' syntax in course text -----------------------------------------------------------------------
SYNTAX = ["{{ .Subscriber.Email }}", "{{#each items}}", "{$email}", "*|FNAME|*", "%recipient%", "{% raw %}"]
SOURCE_LINES = "\n\n".join(["Type these as written:", *[s.replace("*", "\\*") for s in SYNTAX]])
REFUSED = {
    "postmark": "course/sources/habits.md:11: '{{ .Subscriber.Email }}' would be read by Postmark's template engine "
    "(Mustachio) in the text part, which has no way to escape it; rephrase it (docs/exports.md lists what each "
    "service reads)",
    "mailgun": "course/sources/habits.md:19: '%recipient%' would be read by Mailgun's template engine (Handlebars) "
    "in the text part, which has no way to escape it; rephrase it (docs/exports.md lists what each service reads)",
}


@pytest.fixture
def syntax_course(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return course_with(Path("."), SOURCE_LINES)


@pytest.mark.parametrize("target", ALL_TARGETS)
def test_service_syntax_in_a_source_is_escaped_or_refused(syntax_course: Path, target: str) -> None:
    code, output = cli("export", target, str(syntax_course), "--out", f"out-{target}")
    if target in REFUSED:
        assert (code, output) == (2, f"Error: {REFUSED[target]}\n")
        assert not Path(f"out-{target}").exists()
        return
    assert code == 0, output
    dialect = TARGETS[target].dialect
    pages = [p for p in html_payloads(Path(f"out-{target}")) if "Type these as written:" in p]
    assert pages
    for page in pages:
        body = page[page.index("Type these as written:") :]
        body = body[: body.index("</td>")]
        seen = html.unescape(re.sub(r"<[^>]+>", "", body))
        for written in SYNTAX:
            assert written in seen, (target, written)
        if dialect is not None:
            assert dialect.syntax.search(body) is None, (target, body)


def test_escaped_syntax_renders_back_to_the_text_in_each_engine(syntax_course: Path) -> None:
    for target in ("ses", "kit", "listmonk", "buttondown", "sendgrid"):
        assert cli("export", target, str(syntax_course), "--out", f"out-{target}")[0] == 0
    ses = json.loads(Path("out-ses/v2/quiet-mornings-01-start.json").read_text())["TemplateContent"]
    kit = json.loads(Path("out-kit/emails/01-start.json").read_text())
    version = json.loads(Path("out-sendgrid/templates/01-start.version.json").read_text())
    rendered = node_render(
        [
            {"engine": "handlebars", "template": ses["Text"], "data": {}},
            {"engine": "handlebars", "template": ses["Html"], "data": {}},
            {"engine": "handlebars", "template": version["plain_content"], "data": {}},
            {"engine": "liquid", "template": kit["content"], "data": {}},
        ]
    )
    outputs = [r["output"] for r in rendered]
    campaign = json.loads(Path("out-listmonk/campaigns/01-start.json").read_text())
    layout = json.loads(Path("out-listmonk/template.json").read_text())["body"]
    [listmonk] = listmonk_render(
        [
            {
                "layout": layout,
                "body": campaign["body"],
                "altbody": campaign["altbody"],
                "subject": campaign["subject"],
                "name": "",
                "email": "a@b.example",
                "unsubscribe_url": "https://u.example/",
            }
        ]
    )
    email = json.loads(Path("out-buttondown/emails/01-start.json").read_text())
    buttondown = django_render(email["body"], {})
    for name, output in [("ses text", outputs[0]), ("sendgrid text", outputs[2]), ("listmonk text", listmonk["text"])]:
        for written in SYNTAX:
            assert written in output, (name, written)
    for name, output in [
        ("ses", outputs[1]),
        ("kit", outputs[3]),
        ("listmonk", listmonk["html"]),
        ("buttondown", buttondown),
    ]:
        seen = html.unescape(re.sub(r"<[^>]+>", "", output))
        for written in SYNTAX:
            assert written in seen, (name, written)


def test_service_syntax_in_a_subject_is_refused_with_its_syllabus_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    course = course_with(Path("."), subject="Learn {{#each}} loops")
    code, output = cli("export", "postmark", str(course), "--out", "pm")
    assert (code, output) == (
        2,
        "Error: course/syllabus.yaml:19: '{{#each}} loops' would be read by Postmark's template engine (Mustachio) "
        "in the subject, which has no way to escape it; rephrase it (docs/exports.md lists what each service "
        "reads)\n",
    )
    assert cli("export", "ses", str(course), "--out", "ses")[0] == 0
    subject = json.loads(Path("ses/v2/quiet-mornings-01-start.json").read_text())["TemplateContent"]["Subject"]
    assert subject == "Learn \\{{#each}} loops"
    assert (
        node_render([{"engine": "handlebars", "template": subject, "data": {}}])[0]["output"] == "Learn {{#each}} loops"
    )


# Properties -------------------------------------------------------------------------------------------------
DIALECTS = sorted(d.DIALECTS.values(), key=lambda x: x.name)
# Control characters never reach an email: the syllabus and source readers refuse them.
printable = st.characters(blacklist_categories=("Cc", "Cs"))
hostile = st.text(alphabet=st.sampled_from(list("{}%$*|#@\\'\"&<> .-aZ9\n")) | printable, max_size=40)


@given(hostile)
def test_any_text_in_html_is_text_and_no_engine_syntax_survives(text: str) -> None:
    for dialect in DIALECTS:
        written = dialect.html(str(escape(text)))
        assert html.unescape(written) == text, dialect.name
        assert dialect.syntax.search(written) is None, dialect.name


@given(hostile, st.sampled_from(["first_name", "email", "unsubscribe_url", "postal_address"]))
def test_parser_and_filler_keep_any_text_and_fill_only_real_tags(text: str, name: str) -> None:
    fallback = re.sub(r"[{}|\r\n]", "", text).strip()
    source = f"{text} {{{{ {name} | {fallback} }}}} {text}"
    registry = mergetags.TagRegistry(mergetags.nonce_for([source]))
    tokenized = registry.tokenize(source)
    tags = registry.frozen()
    filled = mergetags.fill(
        tokenized, tags, mergetags.value_writer(lambda tag: f"<{tag.name}:{tag.fallback}>"), html=False
    )
    # A tag written without a fallback gets the one default of every output ("there" for first_name).
    default = {"first_name": "there"}
    expected = mergetags.NEUTRAL.sub(
        lambda m: f"<{m.group(1)}:{(m.group(2) or '').strip() or default.get(m.group(1), '')}>", source
    )
    assert filled == expected
    assert f"dcmt{tags.nonce}" not in source
    in_html = mergetags.fill(tokenized, tags, mergetags.value_writer(lambda tag: tag.fallback), html=True)
    assert not re.search(f"dcmt{tags.nonce}", in_html)


tag_like = st.sampled_from([*"{}| \t\n'&ax", "{{", "}}", "first_name", "email", "friend"])


@given(st.lists(tag_like, max_size=12).map("".join))
def test_any_string_either_parses_or_is_an_input_error(text: str) -> None:
    """Whatever opens as one of our merge tags becomes a tag or is reported; it never reaches a reader raw."""
    if mergetags.tag_problems(text):
        return  # an input error, reported with its place by the syllabus and source readers
    tokenized = mergetags.TagRegistry(mergetags.nonce_for([text])).tokenize(text)
    assert not re.search(r"\{\{[ \t]*(first_name|email)(?![A-Za-z0-9_])", tokenized), (text, tokenized)


COURSE = CourseInfo("T", "en", Sender("S", "s@t.example"), None, "1 Road", "https://t.example/u", "https://t.example")


def plain(texts: list[str]) -> list[str]:
    """Course text as the readers let it through: no neutral merge tag of an unknown name."""
    return [t for t in texts if mergetags.NEUTRAL.search(t) is None]


def through(dialect: d.Dialect, text: str) -> str:
    """`text` followed by a first-name merge tag, in `dialect`'s plain-text form."""
    source = text + "{{ first_name }}"
    registry = mergetags.TagRegistry(mergetags.nonce_for([source]))
    tokenized = registry.tokenize(source)
    return mergetags.fill(dialect.text(tokenized), registry.frozen(), dialect.writer(COURSE), html=False)


@settings(max_examples=60, deadline=None)
@given(st.lists(hostile, min_size=20, max_size=20))
def test_escaped_plain_text_renders_back_under_each_engine(texts: list[str]) -> None:
    jobs, expected = [], []
    for text in plain(texts):
        for dialect, engine in ((d.SES, "handlebars"), (d.KIT, "liquid")):
            try:
                written = through(dialect, text)
            except d.Refused:
                # Handlebars has no escape for a "{" or "\\" right before a tag, nor for "\\{{".
                assert dialect is d.SES and (text.endswith(("{", "\\")) or "\\{{" in text), (dialect.name, text)
                continue
            jobs.append({"engine": engine, "template": written, "data": {}})
            expected.append((dialect.name, text))
        assert django_render(through(d.BUTTONDOWN, text), {}) == text + "there", text
    outputs = node_render(jobs)
    for (name, text), output in zip(expected, outputs, strict=True):
        assert output.get("output") == text + "there", (name, text, output)


# listmonk compiles its plain-text body with html/template, which reads "<" as markup (it rewrites a lone one,
# drops comments and refuses a text that leaves a tag open); the dialect writes every "<" as a value.
with_markup = st.lists(
    st.sampled_from([*"{}%$*|#@\\'\"&<> .-aZ9\n", "<!--", "-->", '<a href="', "<script>"])
    | st.characters(blacklist_categories=("Cc", "Cs")),
    max_size=20,
).map("".join)


@settings(max_examples=20, deadline=None)
@given(st.lists(with_markup, min_size=20, max_size=20))
def test_escaped_plain_text_renders_back_under_listmonk(texts: list[str]) -> None:
    texts = plain(texts)
    jobs = [
        {
            "layout": '{{ template "content" . }}',
            "body": "<p>x</p>",
            "altbody": through(d.LISTMONK, t),
            "subject": "s",
            "name": "",
            "email": "a@b.example",
            "unsubscribe_url": "https://u.example/",
        }
        for t in texts
    ]
    for text, result in zip(texts, listmonk_render(jobs), strict=True):
        assert result.get("error") in (None, ""), (text, result)
        assert result["text"] == text + "there", (text, result)
