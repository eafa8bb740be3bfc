"""Fuzzing: the syllabus loader and the source splitter raise only dripcourse's own clean errors."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import BASE_SYLLABUS
from dripcourse.errors import DripcourseError
from dripcourse.sources import parse_source
from dripcourse.syllabus import SyllabusReader
from dripcourse.yamlread import compose

SYLLABUS = Path("syllabus.yaml")
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=30),
    st.sampled_from(
        [
            "08:00",
            "2026-03-02",
            "America/New_York",
            "evergreen",
            "cohort",
            "a#b",
            "mon",
            "https://example.org",
            "x@example.org",
            "{{ first_name }}",
            "#abc",
        ]
    ),
)
keys = st.sampled_from(
    [
        "course",
        "schedule",
        "sources",
        "emails",
        "title",
        "sender",
        "name",
        "email",
        "day",
        "slug",
        "subject",
        "sections",
        "mode",
        "time_zone",
        "send_time",
        "send_days",
        "start_date",
        "website",
        "unsubscribe_url",
        "postal_address",
        "logo",
        "button",
        "text",
        "url",
        "tracking",
        "width",
        "height",
        "alt",
        "enabled",
        "preheader",
        "intro",
    ]
)
documents = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=6), max_leaves=30
)


def load(text: str) -> None:
    try:
        SyllabusReader(SYLLABUS).read(compose(text, SYLLABUS))
    except DripcourseError as exc:
        assert exc.problems and all(str(p) for p in exc.problems)


@FUZZ
@given(st.text(max_size=500))
def test_syllabus_loader_on_arbitrary_text(text: str) -> None:
    load(text)


@FUZZ
@given(documents)
def test_syllabus_loader_on_arbitrary_yaml_structures(document: object) -> None:
    load(yaml.safe_dump(document, allow_unicode=True))


@FUZZ
@given(st.integers(min_value=0, max_value=len(BASE_SYLLABUS) - 1), st.text(max_size=20))
def test_syllabus_loader_on_damaged_real_syllabus(at: int, noise: str) -> None:
    load(BASE_SYLLABUS[:at] + noise + BASE_SYLLABUS[at:])


@FUZZ
@given(st.text(max_size=800))
def test_source_splitter_on_arbitrary_text(text: str) -> None:
    try:
        source = parse_source("fuzz", text, "fuzz.md")
    except DripcourseError as exc:
        assert exc.problems
        return
    assert source.sections


@FUZZ
@given(
    st.lists(
        st.sampled_from(
            [
                "---",
                "title: x",
                "## A",
                "## A {#a}",
                "```",
                "~~~",
                "# T",
                "text",
                "",
                "{{ first_name }}",
                "{{ bad }}",
                "## {#}",
                "  ## B",
                ": x",
            ]
        ),
        max_size=25,
    )
)
def test_source_splitter_on_markdown_shaped_lines(lines: list[str]) -> None:
    try:
        parse_source("fuzz", "\n".join(lines), "fuzz.md")
    except DripcourseError as exc:
        assert exc.problems
