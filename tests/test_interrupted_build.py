"""A build killed at any point leaves either the old or the new out/, whole; leftovers are cleaned next time."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import FIXTURES, many_emails, snapshot


def titled(title: str) -> str:
    """The fixture course's syllabus under another title."""
    return (FIXTURES / "mini" / "syllabus.yaml").read_text().replace("title: Tea at Home", f"title: {title}")


def start_build(course: Path, out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "dripcourse", "build", str(course), "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "SOURCE_DATE_EPOCH": "1767225600"},
    )


def test_killed_builds_leave_old_or_new_output_whole(tmp_path: Path) -> None:
    course = tmp_path / "course"
    shutil.copytree(FIXTURES / "mini", course)
    out = tmp_path / "out"
    versions: dict[str, dict[str, bytes]] = {}
    for title in ("Tea at Home", "Coffee at Home"):
        many_emails(course, 40, titled(title))
        reference = tmp_path / f"ref-{title[:3]}"
        assert start_build(course, reference).wait() == 0
        versions[title] = snapshot(reference)
    assert start_build(course, out).wait() == 0  # out/ now holds the "Coffee" version
    outcomes = []
    for delay in (0.0, 0.002, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.6):
        many_emails(course, 40, titled("Tea at Home"))  # every attempt builds the other version than out/ started with
        stale = set(tmp_path.glob(".out.dripcourse-*"))  # left by the previous killed build
        build = start_build(course, out)
        deadline = time.monotonic() + 60
        while (
            build.poll() is None and time.monotonic() < deadline and not set(tmp_path.glob(".out.dripcourse-*")) - stale
        ):
            time.sleep(0.0005)  # wait for this build to start writing its own staging folder
        time.sleep(delay)
        build.send_signal(signal.SIGKILL)
        build.wait()
        now = snapshot(out)
        matches = [name for name, files in versions.items() if files == now]
        assert len(matches) == 1, f"out/ is neither whole version after a kill {delay}s into writing"
        outcomes.append(matches[0])
    print("after each kill out/ held:", outcomes)
    assert len(set(outcomes)) == 2, "the kills should land both before and after the swap"
    assert start_build(course, out).wait() == 0
    assert snapshot(out) == versions["Tea at Home"]
    assert list(tmp_path.glob(".out.dripcourse-*")) == []  # the killed builds' staging folders are gone
