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


def forged(folder: Path, files: dict[str, str] | list[str]) -> str:
    """A marker as dripcourse writes one, every field right, made by hand: without the user's key it has no valid
    HMAC."""
    record = {"format": "dripcourse-output/2", "id": "0" * 32, "kind": "build", "course": str(folder.resolve())}
    return json.dumps({**record, "title": "Quiet Mornings", "files": files, "hmac": "0" * 64})


def state(tmp_path: Path) -> dict[str, str]:
    """Where this test's key is kept ({tmp}/state/dripcourse/key)."""
    return {"XDG_STATE_HOME": str(tmp_path / "state")}


def unsigned(tmp_path: Path) -> str:
    return (
        f"Error: {{tmp}}/out: holds a {MARKER} that dripcourse's key ({{tmp}}/state/dripcourse/key) did not sign: "
        "made by hand, or by another user or machine; keep anything of yours from it and delete the folder, or "
        f"{CHOOSE}\n"
    )


def test_a_hand_made_marker_listing_the_users_file_deletes_nothing(tmp_path: Path) -> None:
    folder, out = course(tmp_path), tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("my notes\n", encoding="utf-8")
    right = hashlib.sha256(b"my notes\n").hexdigest()  # equal bytes, which proves nothing about who wrote them
    for files in ({"notes.txt": right}, {"notes.txt": "0" * 64}, ["notes.txt"]):
        (out / MARKER).write_text(forged(folder, files), encoding="utf-8")
        outcome = run("build", folder, "--out", out, tmp=tmp_path, env=state(tmp_path))
        assert (outcome.code, outcome.out, outcome.err) == (1, "", unsigned(tmp_path))
        assert (out / "notes.txt").read_text(encoding="utf-8") == "my notes\n"


def test_a_hand_made_staging_folder_deletes_nothing(tmp_path: Path) -> None:
    folder, out = course(tmp_path), tmp_path / "out"
    staging = tmp_path / ".out.dripcourse-abc123"
    staging.mkdir()
    (staging / "notes.txt").write_text("my notes\n", encoding="utf-8")
    (staging / f"{MARKER}.partial").write_text(forged(folder, {"notes.txt": "0" * 64}), encoding="utf-8")
    before = tree(staging)
    assert run("build", folder, "--out", out, tmp=tmp_path, env=state(tmp_path)).code == 0
    assert tree(staging) == before


def test_an_output_of_another_user_or_machine_is_refused(tmp_path: Path) -> None:
    folder, out = course(tmp_path), tmp_path / "out"
    assert run("build", folder, "--out", out, tmp=tmp_path, env={"XDG_STATE_HOME": str(tmp_path / "other")}).code == 0
    before = tree(out)
    outcome = run("build", folder, "--out", out, tmp=tmp_path, env=state(tmp_path))
    assert (outcome.code, outcome.out, outcome.err) == (1, "", unsigned(tmp_path))
    assert tree(out) == before


def test_without_a_key_only_an_empty_folder_is_written(tmp_path: Path) -> None:
    folder, out = course(tmp_path), tmp_path / "out"
    (tmp_path / "state").write_text("a file where the key's folder would go\n", encoding="utf-8")
    assert run("build", folder, "--out", out, tmp=tmp_path, env=state(tmp_path)).code == 0
    before = tree(out)
    outcome = run("build", folder, "--out", out, tmp=tmp_path, env=state(tmp_path))
    assert (outcome.code, outcome.out) == (1, "")
    assert outcome.err == (
        "Error: {tmp}/out: is not empty, and without its key dripcourse cannot prove any of it is its own "
        "({tmp}/state/dripcourse/key cannot be read: not a directory); choose an empty or new output folder\n"
    )
    assert tree(out) == before


def test_the_key_is_made_once_readable_by_its_user_only(tmp_path: Path) -> None:
    folder = course(tmp_path)
    assert run("build", folder, "--out", tmp_path / "out", tmp=tmp_path, env=state(tmp_path)).code == 0
    key = tmp_path / "state" / "dripcourse" / "key"
    secret = key.read_bytes()
    assert (key.stat().st_mode & 0o777, len(secret)) == (0o600, 32)
    assert run("build", folder, "--out", tmp_path / "out", tmp=tmp_path, env=state(tmp_path)).code == 0
    assert key.read_bytes() == secret
    key.chmod(0o644)  # a key others can read proves nothing
    outcome = run("build", folder, "--out", tmp_path / "out", tmp=tmp_path, env=state(tmp_path))
    assert (outcome.code, outcome.err) == (
        1,
        "Error: {tmp}/out: is not empty, and without its key dripcourse cannot prove any of it is its own "
        "({tmp}/state/dripcourse/key must be a file of yours that only you can read (mode 600)); choose an empty "
        "or new output folder\n",
    )


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


def retitle(folder: Path, title: str) -> None:
    syllabus = folder / "syllabus.yaml"
    text = syllabus.read_text(encoding="utf-8")
    syllabus.write_text(text.replace("title: Quiet Mornings", f"title: {title}", 1), encoding="utf-8")


def test_a_build_of_another_course_is_refused(tmp_path: Path) -> None:
    first, out = course(tmp_path / "a"), tmp_path / "out"
    second = course(tmp_path / "b")
    retitle(second, "Loud Evenings")
    assert run("build", first, "--out", out, tmp=tmp_path).code == 0
    before = tree(out)
    outcome = run("build", second, "--out", out, tmp=tmp_path)
    assert (outcome.code, outcome.out) == (1, "")
    assert (
        outcome.err
        == f"Error: {{tmp}}/out: holds a build of another course ({{tmp}}/a/course), titled 'Quiet Mornings'; {CHOOSE}\n"
    )
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


def test_a_moved_or_retitled_course_keeps_its_output(tmp_path: Path) -> None:
    folder, out = course(tmp_path), tmp_path / "out"
    assert run("build", folder, "--out", out, tmp=tmp_path).code == 0
    moved = tmp_path / "renamed"
    shutil.move(folder, moved)  # the same title: the same course
    assert run("build", moved, "--out", out, tmp=tmp_path).code == 0
    retitle(moved, "Quiet Mornings, Again")  # the same folder: the same course
    assert run("build", moved, "--out", out, tmp=tmp_path).code == 0
    assert json.loads((out / MARKER).read_text(encoding="utf-8"))["title"] == "Quiet Mornings, Again"
    shutil.move(moved, tmp_path / "elsewhere")  # both changed at once: nothing left to tell it is the same
    retitle(tmp_path / "elsewhere", "Evenings")
    outcome = run("build", tmp_path / "elsewhere", "--out", out, tmp=tmp_path)
    assert (outcome.code, outcome.err) == (
        1,
        f"Error: {{tmp}}/out: holds a build of another course ({{tmp}}/renamed), titled 'Quiet Mornings, Again'; "
        f"{CHOOSE}\n",
    )
