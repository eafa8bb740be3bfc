"""Rebuild tests/golden/mini from tests/fixtures/mini. Run after an intended output change; review the git diff."""

from __future__ import annotations

import shutil
import tempfile
from datetime import date
from pathlib import Path

from dripcourse.build import build

HERE = Path(__file__).parent
FIXTURE = HERE / "fixtures" / "mini"
GOLDEN = HERE / "golden" / "mini"
PREVIEW_DATE = date(2026, 1, 1)


def build_golden(out: Path) -> None:
    build(FIXTURE, out, PREVIEW_DATE)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as scratch:
        fresh = Path(scratch) / "out"
        build_golden(fresh)
        shutil.rmtree(GOLDEN, ignore_errors=True)
        shutil.copytree(fresh, GOLDEN)
    print(f"Wrote {GOLDEN}")
