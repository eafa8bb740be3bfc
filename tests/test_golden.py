"""Golden output: the fixture course in tests/fixtures/mini must build to exactly tests/golden/mini, and export
to exactly tests/golden/mini-exports.

After an intended change to the output, regenerate the expected files and review the diff:

    python tests/regenerate_golden.py
"""

from __future__ import annotations

from pathlib import Path

from conftest import snapshot
from regenerate_golden import GOLDEN, GOLDEN_EXPORTS, build_golden, export_golden


def test_fixture_course_matches_golden_output(tmp_path: Path) -> None:
    out = tmp_path / "out"
    build_golden(out)
    expected, actual = snapshot(GOLDEN), snapshot(out)
    assert sorted(actual) == sorted(expected)
    for name in expected:
        assert actual[name] == expected[name], f"{name} differs; run python tests/regenerate_golden.py if intended"


def test_fixture_course_matches_golden_exports(tmp_path: Path) -> None:
    out = tmp_path / "exports"
    export_golden(out)
    expected, actual = snapshot(GOLDEN_EXPORTS), snapshot(out)
    assert sorted(actual) == sorted(expected)
    for name in expected:
        assert actual[name] == expected[name], f"{name} differs; run python tests/regenerate_golden.py if intended"
