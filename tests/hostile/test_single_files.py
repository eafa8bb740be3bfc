"""Every command that replaces one file (plan's syllabus and draft, import's sources, schedule's plan) keeps that
file's permissions, gives a new file the permissions the user's umask asks for, and writes through a link to a file
instead of replacing the link with a copy; a link to nothing is refused."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from hostile import course, run


@pytest.fixture
def umask() -> Iterator[None]:
    old = os.umask(0o027)
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("kept", [0o600, 0o640, 0o664])
def test_plan_force_keeps_the_syllabus_permissions(tmp_path: Path, kept: int) -> None:
    folder = course(tmp_path)
    (folder / "syllabus.yaml").chmod(kept)
    outcome = run("plan", folder, "--days", "1", "--force", tmp=tmp_path)
    assert (outcome.code, outcome.err) == (0, ""), outcome.err
    assert mode(folder / "syllabus.yaml") == kept


@pytest.mark.usefixtures("umask")
def test_a_new_draft_gets_the_umask_permissions(tmp_path: Path) -> None:
    folder = course(tmp_path)
    outcome = run("plan", folder, "--days", "1", tmp=tmp_path)
    assert (outcome.code, outcome.err) == (0, ""), outcome.err
    assert mode(folder / "syllabus.draft.yaml") == 0o640


def test_plan_writes_through_a_linked_syllabus(tmp_path: Path) -> None:
    folder = course(tmp_path)
    real = tmp_path / "kept" / "syllabus.yaml"
    real.parent.mkdir()
    (folder / "syllabus.yaml").rename(real)
    real.chmod(0o600)
    (folder / "syllabus.yaml").symlink_to(real)
    before = real.read_text(encoding="utf-8")
    outcome = run("plan", folder, "--days", "1", "--force", tmp=tmp_path)
    assert (outcome.code, outcome.err) == (0, ""), outcome.err
    assert (folder / "syllabus.yaml").is_symlink() and os.readlink(folder / "syllabus.yaml") == str(real)
    assert real.read_text(encoding="utf-8") != before
    assert mode(real) == 0o600
    assert sorted(p.name for p in real.parent.iterdir()) == ["syllabus.yaml"]  # no temporary left beside it


def test_a_draft_link_to_nothing_is_refused(tmp_path: Path) -> None:
    folder = course(tmp_path)
    (folder / "syllabus.draft.yaml").symlink_to("nowhere.yaml")
    outcome = run("plan", folder, "--days", "1", tmp=tmp_path)
    assert (outcome.code, outcome.out) == (1, "")
    assert outcome.err == (
        "Error: {tmp}/course/syllabus.draft.yaml: is a link to nowhere.yaml, which does not exist; "
        "create it or remove the link\n"
    )
    assert (folder / "syllabus.draft.yaml").is_symlink()


def test_import_force_writes_through_a_linked_source(tmp_path: Path) -> None:
    folder = course(tmp_path)
    real = tmp_path / "habits-real.md"
    (folder / "sources" / "habits.md").rename(real)
    real.chmod(0o640)
    (folder / "sources" / "habits.md").symlink_to(real)
    article = tmp_path / "habits.txt"
    article.write_text("Habits\n\nSmall steps make the habit.\n", encoding="utf-8")
    outcome = run("import", article, "--into", folder / "sources", "--force", tmp=tmp_path)
    assert (outcome.code, outcome.err) == (0, ""), outcome.err
    assert (folder / "sources" / "habits.md").is_symlink()
    assert "Small steps make the habit." in real.read_text(encoding="utf-8")
    assert mode(real) == 0o640


def test_schedule_force_keeps_the_plan_permissions(tmp_path: Path) -> None:
    folder = course(tmp_path)
    subscribers = tmp_path / "subs.csv"
    subscribers.write_text(
        "email,first_name,signed_up_at,time_zone\na@x.example,A,2026-03-02T09:00:00Z,\n", encoding="utf-8"
    )
    plan = tmp_path / "plan.csv"
    plan.write_text("old plan\n", encoding="utf-8")
    plan.chmod(0o600)
    outcome = run("schedule", folder, "--subscribers", subscribers, "--out", plan, "--force", tmp=tmp_path)
    assert (outcome.code, outcome.err) == (0, ""), outcome.err
    assert plan.read_text(encoding="utf-8") != "old plan\n"
    assert mode(plan) == 0o600


@pytest.mark.usefixtures("umask")
def test_a_build_follows_the_umask_too(tmp_path: Path) -> None:
    out = tmp_path / "out"
    outcome = run("build", course(tmp_path), "--out", out, tmp=tmp_path)
    assert (outcome.code, outcome.err) == (0, ""), outcome.err
    assert mode(out) == 0o750
    assert {mode(p) for p in out.rglob("*") if p.is_file()} == {0o640}
    assert {mode(p) for p in out.rglob("*") if p.is_dir()} == {0o750}
