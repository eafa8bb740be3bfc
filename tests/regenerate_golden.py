"""Rebuild tests/golden/mini (the build) and tests/golden/mini-exports (every export target) from
tests/fixtures/mini. Run after an intended output change; review the git diff."""

from __future__ import annotations

import shutil
import tempfile
from datetime import date
from pathlib import Path

from dripcourse.build import build
from dripcourse.export import export
from dripcourse.exports.services import TARGETS

HERE = Path(__file__).parent
FIXTURE = HERE / "fixtures" / "mini"
GOLDEN = HERE / "golden" / "mini"
GOLDEN_EXPORTS = HERE / "golden" / "mini-exports"
PREVIEW_DATE = date(2026, 1, 1)


def build_golden(out: Path) -> None:
    build(FIXTURE, out, PREVIEW_DATE)


def export_golden(out: Path) -> None:
    """Every target's export of the fixture course, one folder per target under `out`."""
    for target in sorted(TARGETS):
        export(target, FIXTURE, out / target, PREVIEW_DATE)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as scratch:
        fresh = Path(scratch) / "out"
        build_golden(fresh)
        shutil.rmtree(GOLDEN, ignore_errors=True)
        shutil.copytree(fresh, GOLDEN)
        exports = Path(scratch) / "exports"
        export_golden(exports)
        shutil.rmtree(GOLDEN_EXPORTS, ignore_errors=True)
        shutil.copytree(exports, GOLDEN_EXPORTS)
    print(f"Wrote {GOLDEN} and {GOLDEN_EXPORTS}")
