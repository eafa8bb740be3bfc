"""An output folder's marker is not taken on trust: it records what kind of output the folder holds (a build or one
service's export) and the course it came from, and the sha256 of each file. A write of another kind or course is
refused, and a file is replaced or deleted only while it still holds what dripcourse wrote."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from dripcourse.outputs import MARKER
from hostile import course, run

CHOOSE = "choose another output folder"
STRAY = "choose an empty or new output folder"


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_hand_made_marker_listing_the_users_file_deletes_nothing(tmp_path: Path) -> None:
    folder, out = course(tmp_path), tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("my notes\n", encoding="utf-8")
    marker = {"format": "dripcourse-output/2", "id": "0" * 32, "kind": "build", "course": str(folder.resolve())}
    for files in ({"notes.txt": "0" * 64}, ["notes.txt"]):
        (out / MARKER).write_text(json.dumps({**marker, "files": files}), encoding="utf-8")
        outcome = run("build", folder, "--out", out, tmp=tmp_path)
        assert (outcome.code, outcome.out) == (1, "")
        assert outcome.err.startswith("Error: {tmp}/out: holds files dripcourse did not write (")
        assert "notes.txt" in outcome.err and outcome.err.endswith(f"; {STRAY}\n")
        assert (out / "notes.txt").read_text(encoding="utf-8") == "my notes\n"


def test_an_export_into_a_build_is_refused(tmp_path: Path) -> None:
    folder, out = course(tmp_path), tmp_path / "out"
    assert run("build", folder, "--out", out, tmp=tmp_path).code == 0
    before = tree(out)
    outcome = run("export", "eml", folder, "--out", out, tmp=tmp_path)
    assert (outcome.code, outcome.out) == (1, "")
    assert outcome.err == f"Error: {{tmp}}/out: holds a build, not an export for eml; {CHOOSE}\n"
    assert tree(out) == before


def test_a_build_into_an_export_is_refused(tmp_path: Path) -> None:
    folder, kit = course(tmp_path), tmp_path / "exports" / "kit"
    assert run("export", "eml", folder, "--out", kit, tmp=tmp_path).code == 0
    before = tree(kit)
    outcome = run("build", folder, "--out", kit, tmp=tmp_path)
    assert (outcome.code, outcome.out) == (1, "")
    assert outcome.err == f"Error: {{tmp}}/exports/kit: holds an export for eml, not a build; {CHOOSE}\n"
    assert tree(kit) == before
    assert run("export", "eml", folder, "--out", kit, tmp=tmp_path).code == 0  # the same kind again is fine


def test_an_export_for_another_service_is_refused(tmp_path: Path) -> None:
    folder, kit = course(tmp_path), tmp_path / "kit"
    assert run("export", "eml", folder, "--out", kit, tmp=tmp_path).code == 0
    outcome = run("export", "mailchimp", folder, "--out", kit, tmp=tmp_path)
    assert (outcome.code, outcome.out) == (1, "")
    assert outcome.err == f"Error: {{tmp}}/kit: holds an export for eml, not an export for mailchimp; {CHOOSE}\n"


def test_a_build_of_another_course_is_refused(tmp_path: Path) -> None:
    first, out = course(tmp_path / "a"), tmp_path / "out"
    second = course(tmp_path / "b")
    assert run("build", first, "--out", out, tmp=tmp_path).code == 0
    before = tree(out)
    outcome = run("build", second, "--out", out, tmp=tmp_path)
    assert (outcome.code, outcome.out) == (1, "")
    assert outcome.err == f"Error: {{tmp}}/out: holds a build of another course ({{tmp}}/a/course); {CHOOSE}\n"
    assert tree(out) == before


def test_a_built_file_edited_since_is_kept(tmp_path: Path) -> None:
    folder, out = course(tmp_path), tmp_path / "out"
    assert run("build", folder, "--out", out, tmp=tmp_path).code == 0
    (edited,) = out.glob("emails/*start.txt")
    edited.write_text("my own words\n", encoding="utf-8")
    outcome = run("build", folder, "--out", out, tmp=tmp_path)
    assert (outcome.code, outcome.out) == (1, "")
    assert outcome.err == f"Error: {{tmp}}/out: holds files dripcourse did not write (emails/{edited.name}); {STRAY}\n"
    assert edited.read_text(encoding="utf-8") == "my own words\n"


def test_the_marker_records_each_files_sha256(tmp_path: Path) -> None:
    folder, out = course(tmp_path), tmp_path / "out"
    assert run("build", folder, "--out", out, tmp=tmp_path).code == 0
    marker = json.loads((out / MARKER).read_text(encoding="utf-8"))
    assert (marker["kind"], marker["course"]) == ("build", str(folder.resolve()))
    written = tree(out)
    del written[MARKER]
    assert marker["files"] == {name: hashlib.sha256(data).hexdigest() for name, data in written.items()}


def test_a_moved_copy_of_a_build_is_still_rebuilt_by_its_course(tmp_path: Path) -> None:
    folder, out = course(tmp_path), tmp_path / "out"
    assert run("build", folder, "--out", out, tmp=tmp_path).code == 0
    shutil.move(out, tmp_path / "moved")
    assert run("build", folder, "--out", tmp_path / "moved", tmp=tmp_path).code == 0
