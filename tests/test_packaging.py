"""The default theme ships inside the wheel, so an install outside the repository still builds a course."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import FIXTURES, REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(dist), str(REPO)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0 and "hatchling" in result.stderr:
        pytest.skip("hatchling is not installed for a build without isolation")
    assert result.returncode == 0, result.stderr
    return next(dist.glob("dripcourse-*.whl"))


def test_wheel_holds_the_default_theme(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    for name in ("email.html", "email.txt", "email.css", "responsive.css"):
        assert f"dripcourse/templates/{name}" in names


def test_unpacked_wheel_builds_a_course_copied_elsewhere(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    course = tmp_path / "elsewhere" / "my-course"
    shutil.copytree(FIXTURES / "mini", course)
    env = {**os.environ, "PYTHONPATH": str(site)}
    result = subprocess.run(
        [sys.executable, "-c", "import dripcourse, sys; print(dripcourse.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert result.stdout.startswith(str(site))
    result = subprocess.run(
        [sys.executable, "-m", "dripcourse", "build", "my-course", "--out", "built"],
        cwd=course.parent,
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert (course.parent / "built" / "emails" / "01-welcome.html").read_text().startswith("<!DOCTYPE html>")
