"""The syllabus schema drives the reader, the YAML that `new` and `plan` write, and docs/syllabus.md."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from conftest import REPO
from dripcourse import schema
from dripcourse.cli import app
from dripcourse.errors import DripcourseError
from dripcourse.syllabus import load_syllabus


def every_path(fields: tuple[schema.Field, ...], prefix: str) -> list[str]:
    paths = []
    for f in fields:
        paths.append(f"{prefix}{f.name}")
        paths += every_path(f.fields, f"{prefix}{f.name}.")
    return paths


def test_docs_syllabus_md_is_generated_from_the_schema() -> None:
    written = (REPO / "docs" / "syllabus.md").read_text(encoding="utf-8")
    assert written == schema.reference(), "run: python -m dripcourse.schema --write-docs"


def test_the_reference_lists_every_field() -> None:
    text = schema.reference()
    for path in every_path(schema.TOP, ""):
        top, _, rest = path.partition(".")
        assert (f"`{rest}`" if rest else f"## `{top}`") in text, path


def full_syllabus() -> str:
    """A syllabus with every field of the schema set to its example (a cohort, so start_date is allowed)."""
    schedule = {f"schedule.{f.name}": f.example for f in schema.SCHEDULE} | {"schedule.mode": "cohort"}
    return "\n".join(
        [
            *schema.block("course"),
            *schema.block("schedule", schedule),
            "sources:",
            "  basics: sources/basics.md",
            "ideas:",
            "  start-small:",
            *[f"    {f.name}: {f.example}" for f in schema.IDEA],
            "emails:",
            *[
                f"  {'-' if i == 0 else ' '} {f.name}: {f.example or schema.flow(f.fields)}"
                for i, f in enumerate(schema.EMAIL)
            ],
        ]
    )


def test_every_field_of_the_schema_is_read(tmp_path: Path) -> None:
    (tmp_path / "syllabus.yaml").write_text(full_syllabus(), encoding="utf-8")
    syllabus = load_syllabus(tmp_path)
    course, email = syllabus.course, syllabus.emails[0]
    assert course.logo is not None and course.logo.width == 120
    assert course.tracking.campaign == "my-first-course"
    assert syllabus.schedule.mode == "cohort" and syllabus.schedule.start_date is not None
    assert email.button is not None and email.journal and email.action and email.outro
    assert syllabus.ideas[0].summary


@pytest.mark.parametrize("path", every_path(schema.TOP, ""))
def test_the_reader_refuses_a_misspelt_field_anywhere(tmp_path: Path, path: str) -> None:
    """The reader knows a field's name only through the schema: one letter more and it is an unknown field."""
    data = yaml.safe_load(full_syllabus())
    data["emails"][0]["sections"] = [{"ref": "basics#intro", "heading": "Begin"}]
    *parents, name = path.split(".")
    holder = data
    for part in parents:
        holder = holder[part]
        if isinstance(holder, list):
            holder = holder[0]
        elif part == "ideas":
            holder = holder["start-small"]
    holder[name + "x"] = holder.pop(name)
    (tmp_path / "syllabus.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(DripcourseError) as caught:
        load_syllabus(tmp_path)
    assert any(
        (p.field or "").endswith(name + "x") and p.message.startswith("unknown field") for p in caught.value.problems
    ), caught.value.problems


def test_new_writes_every_course_and_schedule_field_with_its_doc(tmp_path: Path) -> None:
    folder = tmp_path / "course"
    assert CliRunner().invoke(app, ["new", str(folder)]).exit_code == 0
    text = (folder / "syllabus.yaml").read_text(encoding="utf-8")
    for fields in (schema.COURSE, schema.SCHEDULE):
        for f in fields:
            line = next(line for line in text.splitlines() if line.lstrip(" #").startswith(f"{f.name}:"))
            assert line.endswith(f"# {f.doc}"), line


def test_plan_writes_the_required_fields_from_the_schema(tmp_path: Path) -> None:
    course = tmp_path / "course"
    (course / "sources").mkdir(parents=True)
    (course / "sources" / "tea.md").write_text("Opening words.\n\n## Water\n\nFresh water tastes better.\n")
    assert CliRunner().invoke(app, ["plan", str(course), "--days", "1"]).exit_code == 0
    syllabus = load_syllabus(course)
    assert syllabus.course.sender.email == next(f.example for f in schema.SENDER if f.name == "email")
    text = (course / "syllabus.yaml").read_text(encoding="utf-8")
    assert text.startswith("# Draft: 1 email from 2 sections of 1 source, in source order")
