"""Time `dripcourse schedule` on a generated subscriber list and report its peak memory.

python bench/schedule_bench.py [--subscribers 1000000]
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ZONES = [
    "",
    "America/New_York",
    "America/Los_Angeles",
    "Europe/London",
    "Europe/Berlin",
    "Asia/Tokyo",
    "Australia/Sydney",
    "America/Sao_Paulo",
    "Asia/Kolkata",
]


def write_subscribers(path: Path, count: int) -> None:
    rng = random.Random(7)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with path.open("w", encoding="utf-8") as out:
        out.write("email,first_name,signed_up_at,timezone\n")
        for n in range(count):
            signed = start + timedelta(seconds=rng.randrange(365 * 86400))
            out.write(f"reader{n}@example.org,Reader{n},{signed:%Y-%m-%dT%H:%M:%SZ},{rng.choice(ZONES)}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        subs = Path(scratch) / "subs.csv"
        plan = Path(scratch) / "plan.csv"
        write_subscribers(subs, args.subscribers)
        start = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "dripcourse",
                "schedule",
                str(REPO / "course"),
                "--subscribers",
                str(subs),
                "--out",
                str(plan),
            ],
            check=True,
        )
        seconds = time.perf_counter() - start
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        rows = sum(1 for _ in plan.open()) - 1
    print(
        f"{args.subscribers:,} subscribers -> {rows:,} sends in {seconds:.1f} s "
        f"({rows / seconds:,.0f} sends/s), peak memory {peak_mb:.0f} MB"
    )


if __name__ == "__main__":
    main()
