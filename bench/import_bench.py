"""Time the importer: the whole corpus, and a table of contents of about 87 KB (issue 12 measured 24 s for one).

    python bench/import_bench.py

Prints the best of three runs for each; tests/test_import_linear.py checks the growth, this script the size.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from dripcourse.importer import import_article, split_article  # noqa: E402


def best_of_three(action: object) -> float:
    assert callable(action)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    articles = sorted(p for p in (ROOT / "tests" / "corpus").glob("*/*") if p.suffix != ".json")
    for suffix in (".txt", ".md", ".html"):
        group = [p for p in articles if p.suffix == suffix]
        took = best_of_three(lambda group=group: [import_article(p) for p in group])
        print(f"corpus {suffix:<5} {len(group):>3} articles  {1000 * took / len(group):7.1f} ms per article")
    contents = "A Long Plan\n\nTable of Contents\n" + "\n".join(f"Part {i} of the long plan" for i in range(3500))
    took = best_of_three(lambda: split_article(contents, ".txt", "toc.txt"))
    print(f"table of contents {len(contents) / 1024:.0f} KB  {took:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
