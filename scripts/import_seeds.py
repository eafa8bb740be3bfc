"""Import the five seed articles, draft a 7-email syllabus and build it: the importer's end-to-end check.

    python scripts/import_seeds.py [SEEDS_DIR]    (default: ../shared/seeds, when it is there)

Prints the sections found per article against the counts the seeds' README lists, and exits 1 on a mismatch.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from dripcourse.importer import import_article

# Sections per article as the seeds' README lists them: intro + headings (+ takeaways, closing, FAQ).
EXPECTED = {"000": 7, "001": 10, "002": 5, "003": 7, "004": 23}


def main() -> int:
    seeds = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared" / "seeds"
    files = sorted(seeds.glob("0*.txt"))
    if not files:
        print(f"No seed articles in {seeds}; nothing to check.")
        return 0
    ok = True
    for path in files:
        article = import_article(path)
        want = EXPECTED.get(path.name[:3])
        mark = "ok" if want == len(article.sections) else f"MISMATCH (expected {want})"
        ok &= want == len(article.sections)
        print(f"{path.name}: {len(article.sections)} sections {mark}; dropped: {article.dropped or 'nothing'}")
    with tempfile.TemporaryDirectory() as scratch:
        course = Path(scratch) / "course"
        for command in (
            ["import", *map(str, files), "--into", str(course / "sources")],
            ["plan", str(course), "--days", "7"],
            ["build", str(course), "--out", str(Path(scratch) / "out")],
        ):
            result = subprocess.run([sys.executable, "-m", "dripcourse", *command], capture_output=True, text=True)
            print(f"dripcourse {command[0]}: exit {result.returncode}; {result.stdout.strip().splitlines()[-1]}")
            ok &= result.returncode == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
