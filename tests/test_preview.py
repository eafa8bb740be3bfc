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

from conftest import FIXTURES, REPO, start_serve
from dripcourse import palette
from dripcourse.build import build
from dripcourse.preview.server import resolve


def built_index(tmp_path: Path, course: Path = FIXTURES / "mini") -> Path:
    out = tmp_path / "out"
    build(course, out, date(2026, 1, 1))
    return out / "index.html"


@pytest.fixture(scope="module")
def shipped_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_index(tmp_path_factory.mktemp("shipped"), REPO / "course")


def frame_eval(page, script: str):  # type: ignore[no-untyped-def]
    """Evaluate `script` (a function of the email's document) inside the viewer's frame."""
    return page.evaluate(
        f"(() => {{ const doc = document.getElementById('email-frame').contentDocument; return ({script})(doc); }})()"
    )


def wait_frame(page, script: str) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function(
        f"(() => {{ const doc = document.getElementById('email-frame').contentDocument;"
        f" return doc && doc.readyState === 'complete' && ({script})(doc); }})()"
    )


def box(page, selector: str) -> dict[str, float]:  # type: ignore[no-untyped-def]
    return page.locator(selector).evaluate("el => el.getBoundingClientRect().toJSON()")  # type: ignore[no-any-return]


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


def test_toolbar_and_email_stay_in_view_when_the_last_email_is_chosen(browser, shipped_index: Path) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(shipped_index.as_uri())
    toolbar, frame = box(page, ".toolbar"), box(page, "#email-frame")
    last = page.locator("#inbox li a").last
    stem = last.get_attribute("data-stem")
    last.scroll_into_view_if_needed()
    last.click()
    assert page.url.endswith(f"#{stem}")
    assert page.evaluate("window.scrollY") == 0
    assert page.evaluate("document.scrollingElement.scrollHeight") == 720  # the page itself never scrolls
    assert page.locator("#inbox").evaluate("el => el.scrollTop") > 0  # the list scrolled on its own
    assert box(page, ".toolbar") == toolbar and box(page, "#email-frame")["top"] == frame["top"]
    wait_frame(page, "doc => doc.querySelector('.counter-cell').textContent.includes('8')")
    assert frame_eval(page, "doc => doc.defaultView.scrollY") == 0  # the email opens at its top
    page.close()


def test_email_frame_fills_the_height_below_the_toolbar(browser, shipped_index: Path) -> None:  # type: ignore[no-untyped-def]
    for height in (600, 1000):
        page = browser.new_page(viewport={"width": 1280, "height": height})
        page.goto(shipped_index.as_uri())
        frame = box(page, "#email-frame")
        assert frame["bottom"] == height
        assert frame["height"] >= height - 240
        page.close()


def test_width_buttons_set_the_viewport_the_email_sees(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(built_index(tmp_path).as_uri() + "#02-water-matters")
    for width in (320, 375, 414, 600):
        page.click(f"#width-{width}")
        assert page.locator(f"#width-{width}").get_attribute("aria-pressed") == "true"
        assert page.locator("#email-frame").evaluate("el => el.clientWidth") == width
        wait_frame(page, "doc => doc.querySelector('a.button') !== null")
        assert frame_eval(page, "doc => doc.defaultView.innerWidth") == width
        display = frame_eval(page, "doc => getComputedStyle(doc.querySelector('a.button')).display")
        assert display == ("block" if width <= 480 else "inline-block"), width  # the email's mobile rules apply
    page.click("#width-full")
    panel = page.locator("#panel-html").evaluate("el => el.clientWidth")
    assert page.locator("#email-frame").evaluate("el => el.clientWidth") == panel > 600
    page.close()


def test_viewer_switches_tabs_and_email(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(built_index(tmp_path).as_uri())
    frame = page.frame_locator("#email-frame")
    page.click("#next")
    assert frame.locator("h1.title").inner_text() == "The ingredient you forget"
    assert page.url.endswith("#02-water-matters")
    page.click("#tab-text")
    text = page.locator("#panel-text").inner_text()
    assert "Soft or hard\n------------" in text and page.locator("#panel-html").is_hidden()
    page.click("#tab-headers")
    assert "Subject: The ingredient you forget" in page.locator("#panel-headers").inner_text()
    assert page.locator("#open-alone").get_attribute("href") == "emails/02-water-matters.html"
    page.click("#prev")
    assert page.url.endswith("#01-welcome")
    page.keyboard.press("j")
    assert page.url.endswith("#02-water-matters")
    page.close()


def test_text_tab_shows_the_text_part_without_wrapping_it_again(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    index = built_index(tmp_path)
    text = (index.parent / "emails" / "01-welcome.txt").read_text()
    longest = max(len(line) for line in text.splitlines())
    assert longest >= 70
    page = browser.new_page(viewport={"width": 900, "height": 800})  # a narrow window: the panel is under 76ch wide
    page.goto(index.as_uri())
    page.click("#tab-text")
    panel = page.locator("#panel-text")
    assert panel.inner_text() == text.rstrip("\n") or panel.inner_text() == text
    rows = panel.evaluate(
        """el => { const range = document.createRange(); range.selectNodeContents(el);
                   const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top))); return tops.size; }"""
    )
    assert rows == len(text.rstrip("\n").split("\n")), "every line of the text part is one row on screen"
    page.close()


def with_findings(course: Path) -> Path:
    source = course / "sources" / "water.md"
    source.write_text(
        source.read_text()
        + "\n![](https://cdn.tea-at-home.example/jug.png)\n\nThe [old guide](http://old-tea.example/guide) is gone.\n"
    )
    return course


def test_findings_are_in_view_with_links_to_the_email_and_the_element(
    browser, mini_course: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(built_index(tmp_path, with_findings(mini_course)).as_uri())
    item = page.locator("#item-02-water-matters")
    assert item.locator(".badge.error").inner_text() == "1 error"
    assert item.locator(".badge.warning").inner_text() == "2 warnings"
    assert page.locator("#checks").inner_text().startswith("dripcourse check: no findings for this email.")
    item.click()
    findings = page.locator("#checks > ul > li")
    assert [" ".join((findings.nth(i).text_content() or "").split()) for i in range(findings.count())] == [
        'error <img src="https://cdn.tea-at-home.example/jug.png" alt=""> image has no alt text Show',
        'warning <img src="https://cdn.tea-at-home.example/jug.png" alt=""> image has no width attribute; Outlook may show it at full size Show',
        'warning <a href="http://old-tea.example/guide"> plain-http link; use https Show',
    ]
    assert box(page, "#checks")["bottom"] <= 800 and page.locator("#checks").is_visible()
    link = page.locator("#checks li.error a.show")
    href = link.get_attribute("href")
    assert re.fullmatch(r"#02-water-matters/el-\d+", href or "")
    link.click()
    assert page.url.endswith(href or "")
    wait_frame(page, "doc => doc.querySelector('[data-dripcourse-highlight]') !== null")
    assert frame_eval(page, "doc => doc.querySelector('[data-dripcourse-highlight]').getAttribute('src')") == (
        "https://cdn.tea-at-home.example/jug.png"
    )
    top = frame_eval(page, "doc => doc.querySelector('[data-dripcourse-highlight]').getBoundingClientRect().top")
    assert 0 <= top <= frame_eval(page, "doc => doc.defaultView.innerHeight")  # scrolled into view

    # The same link works as an address: a fresh page opened on it shows the element.
    fresh = browser.new_page(viewport={"width": 1280, "height": 800})
    fresh.goto(page.url)
    wait_frame(fresh, "doc => doc.querySelector('[data-dripcourse-highlight]') !== null")
    fresh.close()
    page.close()


def test_course_findings_are_listed_above_the_email(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(built_index(tmp_path).as_uri())
    details = page.locator("#course-findings")
    assert details.locator("summary").inner_text() == "Course settings: 4 findings"
    details.locator("summary").click()
    assert "WARNING course.sender.email placeholder value 'mira@tea-at-home.example'; replace it before sending" in (
        details.inner_text()
    )
    page.close()


def test_links_and_images_tab_checks_every_link_and_image(browser, mini_course: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
    page.goto(built_index(tmp_path, with_findings(mini_course)).as_uri() + "#02-water-matters")
    page.click("#tab-links")
    rows = page.locator("#links-table tbody tr")
    texts = [rows.nth(i).inner_text().split("\t") for i in range(rows.count())]
    assert [t[1:] for t in texts if "old guide" in t[1]] == [
        ["old guide", "http://old-tea.example/guide", "WARNING plain http"]
    ]
    assert ["Unsubscribe", "https://tea-at-home.example/unsubscribe", "OK unsubscribe link"] in [t[1:] for t in texts]
    assert any(t[1] == "the whole guide" and t[3] == "OK UTM tagged" for t in texts)
    image = page.locator("#images-table tbody tr")
    assert image.count() == 1
    page.wait_for_function("() => document.querySelector('#images-table td.load').textContent === 'did not load'")
    assert image.inner_text().split("\t")[1:] == [
        "(none)",
        "https://cdn.tea-at-home.example/jug.png",
        "",
        "ERROR no alt text, no width",
        "did not load",
    ]
    image.locator("button").click()
    assert page.locator("#panel-html").is_visible()
    wait_frame(page, "doc => doc.querySelector('img[data-dripcourse-highlight]') !== null")
    page.close()


LONG_SUBJECT = "A subject line long enough that every inbox has to cut it somewhere"  # 67 characters
LONG_PREHEADER = (
    "A preheader that keeps going well past what any phone shows in its list, so that each client cuts it at its own"
    " published length"
)


def test_inbox_view_cuts_subject_and_preheader_like_each_client(browser, mini_course: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    syllabus = mini_course / "syllabus.yaml"
    syllabus.write_text(
        syllabus.read_text()
        .replace("subject: Your first better cup", f"subject: {LONG_SUBJECT}")
        .replace(
            "preheader: Three small changes that make the biggest difference to everyday tea.",
            f"preheader: {LONG_PREHEADER}",
        )
    )
    assert (len(LONG_SUBJECT), len(LONG_PREHEADER)) == (67, 128)
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(built_index(tmp_path, mini_course).as_uri())
    first = page.locator("#inbox li").first
    # Published limits (README, "Preview"): Gmail desktop 70 / 97, Gmail app 40 / 90, Apple Mail on an iPhone 48 / 99.
    expected = {
        "gmail-desktop": (LONG_SUBJECT, LONG_PREHEADER[:97].rstrip() + "…"),
        "gmail-mobile": ("A subject line long enough that every in…", LONG_PREHEADER[:90].rstrip() + "…"),
        "apple-mail": ("A subject line long enough that every inbox has…", LONG_PREHEADER[:99].rstrip() + "…"),
    }
    for client, (subject, preheader) in expected.items():
        page.select_option("#client", client)
        assert (first.locator(".subject").inner_text(), first.locator(".preheader").inner_text()) == (
            subject,
            preheader,
        )
    page.click("#tab-inbox")
    for client, (subject, preheader) in expected.items():
        mock = page.locator(f'.mock[data-client="{client}"]')
        assert mock.locator(".mock-subject").inner_text() == subject
        assert mock.locator(".mock-preheader").inner_text().lstrip(" –") == preheader
    assert page.locator('.mock[data-client="gmail-mobile"] .count').inner_text() == (
        "Subject: 40 of 67 characters shown (cut) · preheader: 90 of 128 characters shown (cut)"
    )
    panel = box(page, "#panel-inbox")
    for client in expected:
        mock = box(page, f'.mock[data-client="{client}"]')
        assert panel["left"] <= mock["left"] and mock["right"] <= panel["right"], client  # every mock fits the panel
    page.close()


def rgb_hex(value: str) -> str:
    red, green, blue = (int(v) for v in re.findall(r"[\d.]+", value)[:3])
    return f"#{red:02x}{green:02x}{blue:02x}"


def luminance(value: str) -> float:
    return palette.luminance(rgb_hex(value))


def contrast(one: str, other: str) -> float:
    return palette.contrast(rgb_hex(one), rgb_hex(other))


def colour(page, selector: str, prop: str) -> str:  # type: ignore[no-untyped-def]
    return frame_eval(page, f"doc => getComputedStyle(doc.querySelector({selector!r}))[{prop!r}]")  # type: ignore[no-any-return]


def test_colour_modes_show_light_own_dark_and_forced_dark(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # The author's system is dark: the Light view must still show the light email.
    page = browser.new_page(viewport={"width": 1280, "height": 900}, color_scheme="dark")
    page.goto(built_index(tmp_path).as_uri() + "#02-water-matters")
    wait_frame(page, "doc => doc.querySelector('a.button') !== null")
    assert colour(page, "table.container", "backgroundColor") == "rgb(255, 255, 255)"
    assert colour(page, "td.button-cell", "backgroundColor") == "rgb(47, 107, 79)"  # brand_color "#2f6b4f"

    page.select_option("#scheme", "dark")  # the email's own dark styles, as Apple Mail applies them
    wait_frame(
        page, "doc => getComputedStyle(doc.querySelector('table.container')).backgroundColor === 'rgb(34, 29, 27)'"
    )

    page.select_option("#scheme", "partial")  # Outlook, Gmail for Android: light turns dark, dark stays
    wait_frame(
        page, "doc => getComputedStyle(doc.querySelector('table.container')).backgroundColor !== 'rgb(255, 255, 255)'"
    )
    container = colour(page, "table.container", "backgroundColor")
    assert luminance(container) < 0.03
    ink = colour(page, "p.greeting", "color")
    assert luminance(ink) > 0.7 and contrast(ink, container) >= 7  # the dark ink turned light
    assert colour(page, "td.button-cell", "backgroundColor") == "rgb(47, 107, 79)"  # the dark brand button holds
    assert colour(page, "a.button", "color") == "rgb(255, 255, 255)"

    page.select_option("#scheme", "full")  # Gmail for iOS: everything inverted, the dark button too
    wait_frame(page, "doc => getComputedStyle(doc.querySelector('table.container')).backgroundColor === 'rgb(0, 0, 0)'")
    button, label = colour(page, "td.button-cell", "backgroundColor"), colour(page, "a.button", "color")
    assert luminance(button) > luminance("rgb(47, 107, 79)") and label == "rgb(0, 0, 0)"
    assert contrast(label, button) >= 4.5
    page.close()


def test_the_colours_menu_shows_each_label_whole(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(built_index(tmp_path).as_uri())
    cut = page.evaluate(
        """() => {
          const select = document.getElementById("scheme"), style = getComputedStyle(select);
          const context = document.createElement("canvas").getContext("2d");
          context.font = style.font;
          const room = select.getBoundingClientRect().width - parseFloat(style.paddingLeft)
            - parseFloat(style.paddingRight);
          return Array.from(select.options).map(o => o.text).filter(t => context.measureText(t).width > room);
        }"""
    )
    assert cut == []
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
        self.process, self.url, self.port = start_serve(course, os.environ)

    def stop(self) -> str:
        """Ctrl-C, then the rest of the output. The server stops within a poll interval; the wait is long because
        on a loaded machine a rebuild that is under way finishes first."""
        self.process.send_signal(signal.SIGINT)
        output, _ = self.process.communicate(timeout=60)
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


def test_nine_tabs_of_one_browser_load_and_all_follow_an_edit(browser, server: Server) -> None:  # type: ignore[no-untyped-def]
    """Chromium opens at most 6 connections to a host; the tabs share one event stream, so tab 7 and on still load.
    The edited text, then a failed build's error, reach every tab, including those that do not hold the stream."""
    context = browser.new_context()
    pages = []
    for _ in range(9):
        page = context.new_page()
        page.goto(server.url, timeout=10000)
        page.frame_locator("#email-frame").locator("td.content").wait_for(timeout=10000)
        pages.append(page)
    source = server.course / "sources" / "leaves.md"
    source.write_text(source.read_text().replace("Bags are quick", "Tea bags are convenient"))
    for page in pages:
        page.frame_locator("#email-frame").locator("text=Tea bags are convenient").wait_for(timeout=5000)
    syllabus = server.course / "syllabus.yaml"
    syllabus.write_text(syllabus.read_text().replace("time_zone: Europe/London", "time_zone: Europe/Londn"))
    for page in pages:
        page.locator("#dripcourse-error").wait_for(timeout=5000)
    pages[0].close()  # the tab that held the stream, most likely; another takes over
    syllabus.write_text(syllabus.read_text().replace("Europe/Londn", "Europe/London"))
    for page in pages[1:]:
        page.wait_for_function("() => document.querySelector('#dripcourse-error') === null", timeout=5000)
    context.close()


@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM])
def test_serve_stops_on_a_signal_that_arrives_during_a_rebuild(server: Server, number: int) -> None:
    """The signal lands while files are still changing; the server ends the rebuild, closes the port and exits 0."""
    source = server.course / "sources" / "leaves.md"
    text = source.read_text()
    for n in range(5):
        source.write_text(text + f"\nMore {n}.\n")
        time.sleep(0.03)
    server.process.send_signal(number)
    output, _ = server.process.communicate(timeout=60)
    assert server.process.returncode == 0, output
    assert output.rstrip().endswith("Stopped.") and "Traceback" not in output
    assert listening_addresses(server.port) == []


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
