"""Fuzzing with hostile alphabets: line breaks in every Unicode spelling, encoded-word pieces, header syntax,
bidi controls, formula starts. Each parser raises only dripcourse's own clean errors, and the message builder
keeps its property: for any input, the parsed message has exactly the intended headers, or the build stops."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import BASE_SYLLABUS, FIXTURES, make_course
from dripcourse import mergetags
from dripcourse.build import load_course, render_course
from dripcourse.csvcells import FORMULA_STARTS
from dripcourse.errors import DripcourseError
from dripcourse.importer import decode, split_article
from dripcourse.message import build_message, message_bytes
from dripcourse.subscribers import plan_subscribers
from dripcourse.syllabus import CourseInfo, Sender

FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
PIECES = [
    "\r",
    "\n",
    "\r\n",
    "\u2028",
    "\u2029",
    "\x85",
    "\x0b",
    "\x0c",
    "\x00",
    "\x1b",
    "\t",
    "=?",
    "?=",
    "=?utf-8?q?",
    "=?UTF-8?B?",
    "=0D=0A",
    "DQo=",
    "?q?",
    "_",
    "Bcc:",
    "To:",
    "Subject:",
    " ",
    ":",
    ",",
    ";",
    "<",
    ">",
    '"',
    "'",
    "\\",
    "@",
    "(",
    ")",
    "[",
    "]",
    "\u202e",
    "\u2066",
    "\u200d",
    "\u200f",
    "\ufeff",
    "é",
    "日本",
    "👩\u200d💻",
    "=",
    "+",
    "-",
    "%",
    "{{",
    "}}",
    "|",
    "first_name",
    "https://",
    "mailto:",
]
hostile_text = st.lists(
    st.sampled_from(PIECES) | st.text(st.characters(blacklist_categories=("Cs",)), max_size=3), max_size=12
).map("".join)
INTENDED = Counter(
    [
        "from",
        "to",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "list-unsubscribe",
        "list-unsubscribe-post",
        "content-type",
    ]
)


def headers_of(raw: bytes) -> Counter[str]:
    return Counter(name.lower() for name in BytesParser(policy=policy.default).parsebytes(raw))


@FUZZ
@given(subject=hostile_text, name=hostile_text, local=hostile_text, url=hostile_text)
def test_message_headers_are_exactly_the_intended_set(subject: str, name: str, local: str, url: str) -> None:
    course = CourseInfo(
        "T",
        "en",
        Sender(name or "N", f"{local or 'a'}@b.example"),
        None,
        "addr",
        f"https://b.example/{url}",
        "https://b.example",
    )
    try:
        msg = build_message(
            course, "s", subject or "S", "text", "<p>html</p>", datetime(2026, 3, 2, tzinfo=UTC), course.unsubscribe_url
        )
        raw = message_bytes(msg)
    except DripcourseError:
        return
    assert headers_of(raw) == INTENDED
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    assert [a.addr_spec for a in parsed["From"].addresses] == [course.sender.email]
    assert "".join(str(parsed["Subject"]).split()) == "".join((subject or "S").split())
    assert str(parsed["List-Unsubscribe"]).count("<") == 1
    assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]


@settings(FUZZ, max_examples=40)  # each example renders a whole course
@given(subject=hostile_text, name=hostile_text, preheader=hostile_text, url=hostile_text)
def test_a_syllabus_with_hostile_header_text_builds_exact_headers_or_says_why(
    tmp_path_factory,
    subject: str,
    name: str,
    preheader: str,
    url: str,  # type: ignore[no-untyped-def]
) -> None:
    syllabus = (
        BASE_SYLLABUS.replace("subject: Start small", f"subject: {json.dumps(subject or 'S')}")
        .replace("name: Ada Rowe", f"name: {json.dumps(name or 'N')}")
        .replace(
            "preheader: One small habit beats a grand plan that never begins.", f"preheader: {json.dumps(preheader)}"
        )
        .replace(
            "unsubscribe_url: https://quiet-mornings.example/unsubscribe",
            f"unsubscribe_url: {json.dumps('https://quiet-mornings.example/' + url)}",
        )
    )
    folder = make_course(tmp_path_factory.mktemp("fuzz"), syllabus)
    try:
        built = render_course(load_course(folder), datetime(2026, 3, 2).date())
    except DripcourseError as exc:
        assert exc.problems and all(str(p) for p in exc.problems)
        return
    for email in built:
        assert headers_of(email.eml) == INTENDED


@FUZZ
@given(rows=st.lists(st.lists(hostile_text, min_size=0, max_size=5), max_size=6))
def test_subscriber_csv_plans_or_reports_and_writes_no_formula(rows: list[list[str]]) -> None:
    source = io.StringIO()
    csv.writer(source).writerows([["email", "first_name", "signed_up_at", "timezone"], *rows])
    source.seek(0)
    sink = io.StringIO()
    syllabus = load_course(FIXTURES / "mini").syllabus
    try:
        plan_subscribers(syllabus, source, sink, "subs.csv")
    except DripcourseError:
        return
    for row in list(csv.reader(io.StringIO(sink.getvalue())))[1:]:
        assert not any(cell.startswith(FORMULA_STARTS) for cell in row), row


@FUZZ
@given(
    data=st.binary(max_size=300) | hostile_text.map(str.encode),
    suffix=st.sampled_from([".txt", ".md", ".html"]),
)
def test_the_importer_reads_or_refuses_any_bytes(data: bytes, suffix: str) -> None:
    try:
        text, encoding, _notes = decode(data, "a" + suffix)
        article = split_article(text, suffix, "a" + suffix, encoding)
    except DripcourseError:
        return
    assert all(section.id for section in article.sections)


@FUZZ
@given(text=hostile_text)
def test_the_merge_tag_parser_takes_any_text(text: str) -> None:
    registry = mergetags.TagRegistry("0123456789abcdef")
    try:
        tokenized = registry.tokenize(text)
    except ValueError:
        assert mergetags.unknown_tags(text)
        return
    tags = registry.frozen()
    filled = mergetags.fill(tokenized, tags, lambda tag, context: "{{" + tag.name + "}}", html=False)
    assert mergetags.NEUTRAL.sub(lambda m: "{{" + m.group(1) + "}}", text) == filled
