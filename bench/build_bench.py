"""Time cold builds: the shipped course, and a generated 100-email course, with premailer's share of each email.

    python bench/build_bench.py [--runs 5]

A cold build is a fresh `dripcourse build` process, so start-up and imports count, as they do for a user. The
package is byte-compiled first, as `pip install` leaves it: a shell with PYTHONDONTWRITEBYTECODE set would otherwise
compile every dripcourse module from source in each run (about 0.1 s on this machine), which no installed copy does.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def compiled_like_an_install() -> None:
    """Write the .pyc files of the dripcourse that a child process imports, as pip does when it installs."""
    import compileall

    import dripcourse

    compileall.compile_dir(Path(dripcourse.__file__).parent, quiet=1)


def cold_build_seconds(course: Path, runs: int) -> list[float]:
    times = []
    with tempfile.TemporaryDirectory() as scratch:
        for i in range(runs):
            out = Path(scratch) / f"out{i}"
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "dripcourse", "build", str(course), "--out", str(out)],
                check=True,
                capture_output=True,
            )
            times.append(time.perf_counter() - start)
    return times


def generated_course(folder: Path, emails: int) -> Path:
    """A course of `emails` emails, each built from two sections of ten generated sources."""
    (folder / "sources").mkdir(parents=True)
    paragraph = (
        "Each lesson in this generated course holds a few paragraphs of ordinary prose, a list, "
        "and a [link](https://bench.example/page) so the renderer does its usual work. "
    ) * 3
    lines = [
        "course:",
        "  title: Benchmark Course",
        "  sender: {name: Bench, email: bench@bench.example}",
        "  postal_address: 1 Test Road, Testville",
        "  unsubscribe_url: https://bench.example/unsubscribe",
        "  website: https://bench.example",
        "schedule: {mode: evergreen, time_zone: UTC}",
        "sources:",
    ]
    for s in range(10):
        body = "\n\n".join(f"## Part {p}\n\n{paragraph}\n\n- one point\n- another point" for p in range(20))
        (folder / "sources" / f"s{s}.md").write_text(f"# Source {s}\n\nOpening words.\n\n{body}\n")
        lines.append(f"  s{s}: sources/s{s}.md")
    lines.append("emails:")
    for n in range(emails):
        lines += [
            f"  - day: {n}",
            f"    slug: lesson-{n}",
            f"    subject: Lesson {n}",
            "    preheader: A generated lesson for timing the build from end to end.",
            f"    sections: [s{n % 10}#part-{n % 20}, s{(n + 1) % 10}#part-{(n + 3) % 20}]",
            "    action: Do one small thing today.",
        ]
    (folder / "syllabus.yaml").write_text("\n".join(lines) + "\n")
    return folder


def per_email_costs(course: Path) -> tuple[float, float, int]:
    """In-process: milliseconds per email for the whole render, and for premailer alone on the same HTML."""
    from dripcourse.build import load_course, render_course
    from dripcourse.render import Renderer, inline_css

    loaded = load_course(course)
    render_course(loaded, date(2026, 1, 1))  # warm up: template compilation and imports are not per email
    start = time.perf_counter()
    built = render_course(loaded, date(2026, 1, 1))
    render_ms = (time.perf_counter() - start) * 1000 / len(built)
    renderer = Renderer(loaded.syllabus)
    sources = [renderer.compose(lesson, len(loaded.lessons))[0] for lesson in loaded.lessons]
    start = time.perf_counter()
    for html in sources:
        inline_css(html)
    premailer_ms = (time.perf_counter() - start) * 1000 / len(sources)
    return render_ms, premailer_ms, len(built)


def report(name: str, course: Path, runs: int) -> None:
    times = cold_build_seconds(course, runs)
    render_ms, premailer_ms, count = per_email_costs(course)
    print(
        f"{name}: {count} emails, cold build median {statistics.median(times):.3f} s "
        f"(min {min(times):.3f}, max {max(times):.3f}, {runs} runs); "
        f"per email {render_ms:.1f} ms, of which premailer on the same HTML {premailer_ms:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    compiled_like_an_install()
    report("shipped course", REPO / "course", args.runs)
    scratch = Path(tempfile.mkdtemp())
    try:
        report("generated course", generated_course(scratch / "course", 100), args.runs)
    finally:
        shutil.rmtree(scratch)


if __name__ == "__main__":
    main()
