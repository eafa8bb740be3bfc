"""ruff and mypy are part of the suite, so CI holds the code to them."""

from __future__ import annotations

import shutil
import subprocess
import sys

from conftest import REPO, need_tool


def test_ruff_is_clean() -> None:
    need_tool(shutil.which("ruff") is not None, "ruff")
    result = subprocess.run(
        ["ruff", "check", "src", "tests", "bench", "scripts"], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout


def test_mypy_is_clean() -> None:
    result = subprocess.run([sys.executable, "-m", "mypy"], cwd=REPO, capture_output=True, text=True)
    need_tool("No module named mypy" not in result.stderr, "mypy")
    assert result.returncode == 0, result.stdout
