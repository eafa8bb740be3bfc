"""Requests and time per `dripcourse push`, for every target, with the shipped eight-email course, against the
local API servers the tests use (tests/services/).

    python bench/push_bench.py

Per target: the first push (everything created, each object read back once), a second push with no change
(reads only) and a push after one subject was edited (one write). Times include building the export in memory.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from dripcourse.push import push  # noqa: E402
from services.pushing import Pusher  # noqa: E402
from test_push import CASES  # noqa: E402


def counted(pusher: Pusher, start: int) -> str:
    requests = pusher.server.requests[start:]
    writes = sum(r.method != "GET" for r in requests)
    return f"{writes:>2} writes {len(requests) - writes:>2} reads"


def main() -> None:
    print(f"{'target':<11} {'first push':<30} {'no change':<30} {'one subject edited':<30}")
    for name, case in sorted(CASES.items()):
        with case.server() as server, tempfile.TemporaryDirectory() as scratch:
            pusher = Pusher(Path(scratch), name, server, server.env())
            shutil.rmtree(pusher.course)
            shutil.copytree(REPO / "course", pusher.course)
            if name == "listmonk":  # a cohort course, so that listmonk's campaigns are scheduled
                syllabus = pusher.course / "syllabus.yaml"
                text = re.sub(
                    r"\n  mode: evergreen[^\n]*\n",
                    "\n  mode: cohort\n  start_date: 2027-03-01\n",
                    syllabus.read_text(encoding="utf-8"),
                )
                syllabus.write_text(text, encoding="utf-8")
            cells = []
            for step in range(3):
                if step == 2:
                    syllabus = pusher.course / "syllabus.yaml"
                    text = syllabus.read_text(encoding="utf-8")
                    first = text.index("subject: ") + len("subject: ")
                    syllabus.write_text(text[:first] + "Edited " + text[first:], encoding="utf-8")
                seen = len(server.requests)
                began = time.perf_counter()
                push(name, pusher.course, pusher.env, preview=date(2026, 3, 2), timeout=10)
                cells.append(f"{counted(pusher, seen)} {time.perf_counter() - began:5.2f} s")
            print(f"{name:<11} " + " ".join(f"{c:<30}" for c in cells))


if __name__ == "__main__":
    main()
