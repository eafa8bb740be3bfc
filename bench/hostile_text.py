"""Time a build over the hostile texts issue 12 measured, at the sizes it measured them.

    python bench/hostile_text.py

Issue 12 found: a heading holding 3,000 spaces 23 s, `{{a|` and 3,000 spaces 113 s, 1.9 MB of `(http://` over
120 s. Prints the best of three builds (read, check, render, every output file) for each, against the same course
without the hostile text; tests/hostile/test_linear_time.py checks the growth, this script the size.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from conftest import BASE_SOURCE, BASE_SYLLABUS, make_course  # noqa: E402
from dripcourse.build import load_course, output_files, render_course  # noqa: E402

PARAGRAPH = "Pick a wake-up time you can keep on weekends too."
CASES = {
    "plain course": BASE_SOURCE,
    "heading with 3,000 spaces": BASE_SOURCE.replace("## Wake up", "## Wake" + " " * 3000 + "up"),
    "{{a| and 3,000 spaces": BASE_SOURCE.replace(PARAGRAPH, "{{a|" + " " * 3000),
    "1.9 MB of (http://": BASE_SOURCE.replace(PARAGRAPH, "(http://" * 237_500),
}


def build_once(source: str) -> float:
    root = Path(tempfile.mkdtemp())
    try:
        course = make_course(root, BASE_SYLLABUS, {"habits.md": source})
        start = time.perf_counter()
        loaded = load_course(course)
        output_files(loaded, render_course(loaded, date(2026, 3, 2)))
        return time.perf_counter() - start
    finally:
        shutil.rmtree(root)


def main() -> int:
    build_once(BASE_SOURCE)  # compiles the templates once
    for name, source in CASES.items():
        took = min(build_once(source) for _ in range(3))
        print(f"{name:<28} {len(source.encode()) / 1024:8.0f} KB  {took:6.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
