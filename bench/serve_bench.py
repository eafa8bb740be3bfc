"""Edit-to-reload time of `dripcourse serve` on a copy of the shipped course, in headless Chromium.

    python bench/serve_bench.py [--runs 5]

Reports two medians: edit until the server has rebuilt and sent the reload event, and edit until the open page has
refreshed with the new text (the index swaps in the new build without a full reload).
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
EDITED = "sources/004-understanding-the-distance.md"  # the source most emails use


def edited_section(course: Path) -> tuple[str, int]:
    """The first email built from EDITED, and the line of the heading of the section it uses from it."""
    from dripcourse.build import load_course

    loaded = load_course(course)
    for lesson in loaded.lessons:
        for shown in lesson.sections:
            if loaded.sources[shown.section.source].path.resolve() == (course / EDITED).resolve():
                return lesson.file_stem, shown.section.line
    raise SystemExit(f"no email uses {EDITED}")


def insert_marker(source: Path, heading_line: int, word: str) -> None:
    """A new paragraph right under the section's heading, so it shows in the email whatever the section says."""
    lines = source.read_text(encoding="utf-8").split("\n")
    lines[heading_line:heading_line] = ["", f"{word} is a word this run added.", ""]
    source.write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp())
    course = scratch / "course"
    shutil.copytree(REPO / "course", course)
    server = subprocess.Popen(
        [sys.executable, "-m", "dripcourse", "serve", str(course), "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert server.stdout is not None
    match = re.search(r"at (http://127\.0\.0\.1:(\d+)/)", server.stdout.readline())
    assert match
    url, port = match.group(1), int(match.group(2))
    source = course / EDITED
    stem, heading_line = edited_section(course)
    event_times, page_times = [], []
    try:
        for run in range(args.runs):  # the server's own reload event, with no browser involved
            body = http.client.HTTPConnection("127.0.0.1", port)
            body.request("GET", "/")
            epoch = re.search(rb"var epoch = (\d+)", body.getresponse().read()).group(1).decode()  # type: ignore[union-attr]
            events = http.client.HTTPConnection("127.0.0.1", port)
            events.request("GET", f"/__dripcourse/events?epoch={epoch}")
            stream = events.getresponse()
            stream.fp.readline()
            stream.fp.readline()
            started = time.perf_counter()
            source.write_text(source.read_text() + f"\nA line added by run {run}.\n")
            while not stream.fp.readline().startswith(b"event: reload"):
                pass
            event_times.append((time.perf_counter() - started) * 1000)
            events.close()
            time.sleep(0.3)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page()
            page.goto(url + "#" + stem)
            for run in range(args.runs):
                page.wait_for_timeout(300)
                word = f"Marker{run}"
                # The iframe's load event, stamped by the page itself, so Playwright's polling adds nothing.
                page.evaluate("""() => { window.__shownAt = 0; document.getElementById('email-frame').onload =
                    function () { window.__shownAt = Date.now(); }; }""")
                started = time.time()
                insert_marker(source, heading_line, word)
                page.frame_locator("#email-frame").locator(f"text={word}").first.wait_for()
                page_times.append(page.evaluate("() => window.__shownAt") - started * 1000)
            browser.close()
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(scratch)
    print(
        f"edit -> reload event sent: median {statistics.median(event_times):.0f} ms "
        f"(min {min(event_times):.0f}, max {max(event_times):.0f})"
    )
    print(
        f"edit -> open page showing the change: median {statistics.median(page_times):.0f} ms "
        f"(min {min(page_times):.0f}, max {max(page_times):.0f}), {args.runs} runs"
    )


if __name__ == "__main__":
    main()
