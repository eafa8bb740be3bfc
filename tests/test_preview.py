"""The browser preview, in real headless Chromium: out/index.html from disk, and `dripcourse serve`."""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from conftest import FIXTURES
from dripcourse.build import build
from dripcourse.preview.server import resolve


def built_index(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    build(FIXTURES / "mini", out, date(2026, 1, 1))
    return out / "index.html"


def test_index_opens_from_disk_and_lists_every_email(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    page.goto(built_index(tmp_path).as_uri())
    items = page.locator("#inbox li")
    assert items.count() == 2
    assert items.nth(0).locator(".subject").inner_text() == "Your first better cup"
    assert items.nth(1).locator(".preheader").inner_text().startswith("Tea is almost all water")
    assert "At signup" in items.nth(0).inner_text()
    assert re.search(r"\d+ words · 1 min read", items.nth(1).inner_text())
    assert re.search(r"of 102 KB", items.nth(1).inner_text())
    frame = page.frame_locator("#email-frame")
    assert frame.locator("h1.title").inner_text() == "Your first better cup"
    page.close()


def test_viewer_switches_width_scheme_tabs_and_email(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(built_index(tmp_path).as_uri())
    frame = page.frame_locator("#email-frame")
    container = frame.locator("table.container")
    light = container.evaluate("el => getComputedStyle(el).backgroundColor")
    page.click("#scheme-dark")
    frame.locator("table.container").wait_for()
    assert container.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(34, 29, 27)" != light
    page.click("#width-mobile")
    assert page.locator("#email-frame").evaluate("el => el.getBoundingClientRect().width") == 375
    page.click("#next")
    assert frame.locator("h1.title").inner_text() == "The ingredient you forget"
    assert page.url.endswith("#02-water-matters")
    page.click("#tab-text")
    text = page.locator("#panel-text").inner_text()
    assert "Soft or hard\n============" in text and page.locator("#panel-html").is_hidden()
    page.click("#tab-headers")
    assert "Subject: The ingredient you forget" in page.locator("#panel-headers").inner_text()
    assert page.locator("#open-alone").get_attribute("href") == "emails/02-water-matters.html"
    page.click("#prev")
    assert page.url.endswith("#01-welcome")
    page.close()


def test_emails_on_disk_carry_no_preview_script(tmp_path: Path) -> None:
    index = built_index(tmp_path)
    for email in (index.parent / "emails").glob("*.html"):
        assert "<script" not in email.read_text()
    assert "data-dripcourse-serve" not in index.read_text()


def test_resolve_refuses_paths_outside_the_site(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "emails").mkdir(parents=True)
    (site / "index.html").write_text("x")
    (site / "emails" / "a.html").write_text("a")
    (tmp_path / "secret.txt").write_text("no")
    (site / "link.txt").symlink_to(tmp_path / "secret.txt")
    assert resolve(site, "/") == (site / "index.html").resolve()
    assert resolve(site, "/emails/a.html") == (site / "emails" / "a.html").resolve()
    for path in (
        "/../secret.txt",
        "/emails/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E%2Fsecret.txt",
        "/emails/..%2f..%2fsecret.txt",
        "/link.txt",
        "/missing.html",
        "/emails%00.html",
        "/..\\secret.txt",
    ):
        assert resolve(site, path) is None, path


class Server:
    def __init__(self, course: Path):
        self.course = course
        self.process = subprocess.Popen(
            [sys.executable, "-m", "dripcourse", "serve", str(course), "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self.process.stdout is not None
        first = self.process.stdout.readline()
        match = re.search(r"at (http://127\.0\.0\.1:(\d+)/)", first)
        assert match, first
        self.url, self.port = match.group(1), int(match.group(2))

    def stop(self) -> str:
        self.process.send_signal(signal.SIGINT)
        output, _ = self.process.communicate(timeout=10)
        return output


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    course = tmp_path / "course"
    shutil.copytree(FIXTURES / "mini", course)
    running = Server(course)
    yield running
    if running.process.poll() is None:
        running.process.kill()


def raw_status(port: int, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.putrequest("GET", path, skip_host=False)
    connection.endheaders()
    status = connection.getresponse().status
    connection.close()
    return status


def listening_addresses(port: int) -> list[str]:
    addresses = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        host_hex, port_hex = local.split(":")
        if int(port_hex, 16) == port and state == "0A":  # 0A: LISTEN
            addresses.append(".".join(str(int(host_hex[i : i + 2], 16)) for i in (6, 4, 2, 0)))
    return addresses


def test_serve_reloads_on_edit_shows_errors_and_stops_cleanly(browser, server: Server) -> None:  # type: ignore[no-untyped-def]
    assert listening_addresses(server.port) == ["127.0.0.1"]
    assert raw_status(server.port, "/") == 200
    for path in ("/../../etc/passwd", "/emails/../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd"):
        assert raw_status(server.port, path) == 404, path

    page = browser.new_page()
    page.goto(server.url)
    page.wait_for_function("() => document.querySelector('script[data-dripcourse-serve]') !== null")
    frame = page.frame_locator("#email-frame")
    assert "Bags are quick" in frame.locator("td.content").inner_text()

    source = server.course / "sources" / "leaves.md"
    started = time.perf_counter()
    source.write_text(source.read_text().replace("Bags are quick", "Tea bags are convenient"))
    frame.locator("text=Tea bags are convenient").wait_for(timeout=2000)
    print(f"edit to reloaded page: {(time.perf_counter() - started) * 1000:.0f} ms")

    syllabus = server.course / "syllabus.yaml"
    good = syllabus.read_text()
    syllabus.write_text(good.replace("time_zone: Europe/London", "time_zone: Europe/Londn"))
    overlay = page.locator("#dripcourse-error")
    overlay.wait_for(timeout=3000)
    assert f"{syllabus}:19:14: schedule.time_zone: unknown IANA time zone 'Europe/Londn'" in overlay.inner_text()
    assert page.locator("#inbox li").count() == 2  # the last good build is still shown
    assert raw_status(server.port, "/emails/02-water-matters.html") == 200

    syllabus.write_text(good)
    page.wait_for_function("() => document.querySelector('#dripcourse-error') === null", timeout=3000)
    page.close()

    output = server.stop()
    assert server.process.returncode == 0
    assert "Stopped." in output and "Traceback" not in output
    assert re.search(r"Rebuilt in \d+ ms \(1 emails rendered", output), output


def test_serve_refuses_a_course_that_does_not_build(tmp_path: Path) -> None:
    course = tmp_path / "course"
    shutil.copytree(FIXTURES / "mini", course)
    (course / "syllabus.yaml").write_text("course: [\n")
    result = subprocess.run(
        [sys.executable, "-m", "dripcourse", "serve", str(course), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert result.stderr.startswith(f"Error: {course / 'syllabus.yaml'}:2:1: YAML syntax error")
