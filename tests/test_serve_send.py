"""The send-test button of `dripcourse serve`, in headless Chromium, against a real SMTP server (aiosmtpd).

Only the preview page itself may trigger a send: the server checks Origin, Sec-Fetch-Site, the JSON content type
and the token it writes into its pages, so a page of another site open in the same browser cannot send mail.
"""

from __future__ import annotations

import functools
import http.client
import http.server
import json
import os
import re
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import FIXTURES, start_serve
from services.smtp import SmtpServer

SEND_PATH = "/__dripcourse/send-test"


class Serve:
    """`dripcourse serve` on a free port, with only the SMTP settings given here."""

    def __init__(self, course: Path, smtp_env: dict[str, str]):
        env = {k: v for k, v in os.environ.items() if not k.startswith("DRIPCOURSE_SMTP_")}
        self.process, self.url, self.port = start_serve(course, {**env, **smtp_env})
        self.origin = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            self.process.communicate(timeout=10)

    def token(self) -> str:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        connection.request("GET", "/")
        page = connection.getresponse().read().decode()
        connection.close()
        match = re.search(r'dripcourseEnableSend\("[^"]+", "([^"]+)"\)', page)
        assert match, "the served page carries the send token"
        return match.group(1)

    def post(self, headers: dict[str, str], body: bytes) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        connection.request("POST", SEND_PATH, body=body, headers=headers)
        response = connection.getresponse()
        status, reply = response.status, json.loads(response.read() or b"{}").get("message", "")
        connection.close()
        return status, reply


@pytest.fixture
def course(tmp_path: Path) -> Path:
    target = tmp_path / "course"
    shutil.copytree(FIXTURES / "mini", target)
    return target


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture
def serve(course: Path, smtp: SmtpServer) -> Iterator[Serve]:
    running = Serve(course, smtp.env())
    yield running
    running.stop()


def test_button_sends_the_email_on_screen_through_the_configured_smtp_server(
    browser, serve: Serve, smtp: SmtpServer, course: Path
) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(serve.url + "#02-water-matters")
    form = page.locator("#send-test")
    form.wait_for(state="visible")
    page.fill("#send-to", "me@writer.example")
    page.click("#send-button")
    status = page.locator("#send-status.ok")
    status.wait_for(timeout=15000)
    assert status.inner_text() == (
        f"Sent a test of 02-water-matters to me@writer.example through 127.0.0.1:{smtp.port}"
    )
    [received] = smtp.messages
    assert (received.envelope_from, received.recipients) == ("mira@tea-at-home.example", ["me@writer.example"])
    message = received.parsed()
    assert message["Subject"] == "[TEST] The ingredient you forget"
    assert message["To"] == "me@writer.example"
    html = message.get_body(("html",))
    assert html is not None and "Hi Alex," in html.get_content()

    page.fill("#send-to", "not an address")
    page.evaluate("document.getElementById('send-to').removeAttribute('type')")  # past the browser's own check
    page.click("#send-button")
    page.locator("#send-status.error").wait_for()
    assert page.locator("#send-status").inner_text() == "not an email address: 'not an address'"
    assert len(smtp.messages) == 1

    # After an edit, the button sends the rebuilt email, the one now on screen.
    source = course / "sources" / "water.md"
    source.write_text(source.read_text().replace("a simple jug filter", "a plain jug filter"))
    page.frame_locator("#email-frame").locator("text=a plain jug filter").wait_for(timeout=5000)
    page.fill("#send-to", "me@writer.example")
    page.click("#send-button")
    page.wait_for_function("() => document.querySelectorAll('#send-status.ok').length === 1", timeout=15000)
    assert len(smtp.messages) == 2
    html = smtp.messages[1].parsed().get_body(("html",))
    assert html is not None and "a plain jug filter" in html.get_content()
    page.close()


def test_posts_from_anywhere_but_the_preview_page_are_refused(serve: Serve, smtp: SmtpServer) -> None:
    token = serve.token()
    body = json.dumps({"to": "me@writer.example", "email": "01-welcome"}).encode()
    good = {
        "Origin": serve.origin,
        "Sec-Fetch-Site": "same-origin",
        "Content-Type": "application/json",
        "X-Dripcourse-Token": token,
    }
    attempts = {
        "no Sec-Fetch-Site": {k: v for k, v in good.items() if k != "Sec-Fetch-Site"},
        "no Origin": {k: v for k, v in good.items() if k != "Origin"},
        "another site": {**good, "Origin": "http://attacker.example"},
        "another port": {**good, "Origin": f"http://127.0.0.1:{serve.port + 1}"},
        "opaque origin": {**good, "Origin": "null"},
        "cross-site fetch": {**good, "Sec-Fetch-Site": "cross-site"},
        "same-site fetch": {**good, "Sec-Fetch-Site": "same-site"},
        "no token": {k: v for k, v in good.items() if k != "X-Dripcourse-Token"},
        "wrong token": {**good, "X-Dripcourse-Token": token[:-1] + ("A" if token[-1] != "A" else "B")},
        "form post": {**good, "Content-Type": "application/x-www-form-urlencoded"},
        "text/plain": {**good, "Content-Type": "text/plain"},
    }
    for name, headers in attempts.items():
        status, message = serve.post(headers, body)
        assert status == 403 and message.startswith("refused: "), (name, status, message)
    assert smtp.messages == []

    # The same request with everything a preview page sends goes through, so the refusals above are the checks'.
    assert serve.post(good, body) == (
        200,
        f"Sent a test of 01-welcome to me@writer.example through 127.0.0.1:{smtp.port}",
    )
    assert len(smtp.messages) == 1
    assert serve.post(good, json.dumps({"to": "me@writer.example", "email": "99-none"}).encode()) == (
        404,
        "no email '99-none' in the current build",
    )


def test_a_page_of_another_site_in_the_same_browser_cannot_send(browser, serve: Serve, smtp: SmtpServer) -> None:  # type: ignore[no-untyped-def]
    """What a web page could try: a simple cross-origin fetch, a form post, and a fetch with a guessed token."""
    attack = f"""<!DOCTYPE html><html><body>
    <form id="f" method="post" enctype="text/plain" action="{serve.origin}{SEND_PATH}">
      <input name='{{"to": "victim@writer.example", "email": "01-welcome", "x": "' value='"}}'>
    </form>
    <script>
      window.results = [];
      const body = JSON.stringify({{to: "victim@writer.example", email: "01-welcome"}});
      fetch("{serve.origin}{SEND_PATH}", {{method: "POST", mode: "no-cors", body, headers: {{"Content-Type": "text/plain"}}}})
        .then(() => results.push("no-cors sent"), e => results.push("no-cors failed"));
      fetch("{serve.origin}{SEND_PATH}", {{method: "POST", body,
             headers: {{"Content-Type": "application/json", "X-Dripcourse-Token": "guess"}}}})
        .then(r => results.push("cors " + r.status), e => results.push("cors blocked"));
    </script></body></html>"""
    page = browser.new_page()
    page.route(
        "http://attacker.example/**", lambda route: route.fulfill(status=200, content_type="text/html", body=attack)
    )
    page.goto("http://attacker.example/")
    page.wait_for_function("() => window.results.length === 2", timeout=10000)
    assert "cors blocked" in page.evaluate("window.results")  # the preflight is never answered with CORS headers
    page.evaluate("document.getElementById('f').submit()")
    page.wait_for_load_state()
    time.sleep(0.5)
    assert smtp.messages == []
    page.close()


def test_a_page_of_another_site_cannot_frame_the_preview_to_press_its_button(
    browser, serve: Serve, smtp: SmtpServer
) -> None:  # type: ignore[no-untyped-def]
    """A framed preview could be made to press its own send button (the address comes back from localStorage)."""
    context = browser.new_context()
    own = context.new_page()
    own.goto(serve.url)  # the preview itself still shows its email, which is framed through srcdoc
    own.frame_locator("#email-frame").locator("body").wait_for()
    assert own.frame_locator("#email-frame").locator("body").inner_text().strip() != ""
    own.fill("#send-to", "victim@writer.example")
    own.click("#send-button")
    own.locator("#send-status.ok").wait_for(timeout=15000)
    assert len(smtp.messages) == 1  # the page's own fetch carries everything a send needs
    attack = f"""<!DOCTYPE html><html><body><iframe id="preview" src="{serve.url}"></iframe></body></html>"""
    page = context.new_page()
    # A real server on another port of the same machine: Chromium itself keeps public sites (and pages a test
    # fulfils) from framing loopback pages, so only a local page shows what the headers add.
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "index.html").write_text(attack)
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=folder)
        other = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=other.serve_forever, daemon=True).start()
        try:
            page.goto(f"http://127.0.0.1:{other.server_address[1]}/")
            time.sleep(1.5)
        finally:
            other.shutdown()
            other.server_close()
    [framed] = page.main_frame.child_frames
    pressed = framed.evaluate(
        """() => {
          const button = document.getElementById("send-button");
          if (button) { document.getElementById("send-to").value = "victim@writer.example"; button.click(); }
          return button !== null;
        }"""
    )
    assert not pressed  # Chromium put its own error page in the frame: no form to fill, no button to press
    time.sleep(1)
    assert len(smtp.messages) == 1
    context.close()


def test_every_answer_forbids_framing_and_sniffing(serve: Serve) -> None:
    for method, path in [("GET", "/"), ("GET", "/emails/01-welcome.html"), ("GET", "/missing"), ("HEAD", "/")]:
        connection = http.client.HTTPConnection("127.0.0.1", serve.port, timeout=5)
        connection.request(method, path)
        response = connection.getresponse()
        response.read()
        connection.close()
        assert response.status in (200, 404), (method, path)
        assert response.getheader("X-Frame-Options") == "DENY", (method, path)
        assert response.getheader("Content-Security-Policy") == "frame-ancestors 'none'", (method, path)
        assert response.getheader("X-Content-Type-Options") == "nosniff", (method, path)


def test_without_smtp_settings_the_button_says_what_to_set(browser, course: Path) -> None:  # type: ignore[no-untyped-def]
    running = Serve(course, {})
    try:
        page = browser.new_page()
        page.goto(running.url)
        page.locator("#send-test").wait_for(state="visible")
        page.fill("#send-to", "me@writer.example")
        page.click("#send-button")
        page.locator("#send-status.error").wait_for(timeout=10000)
        assert (
            page.locator("#send-status").inner_text().startswith("no SMTP server configured: set DRIPCOURSE_SMTP_HOST")
        )
        page.close()
    finally:
        running.stop()


def test_the_preview_from_disk_has_no_send_button(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    from dripcourse.build import build

    build(FIXTURES / "mini", tmp_path / "out", date(2026, 1, 1))
    page = browser.new_page()
    page.goto((tmp_path / "out" / "index.html").as_uri())
    assert page.locator("#send-test").is_hidden()
    page.close()


def test_the_origins_a_preview_is_served_under() -> None:
    from dripcourse.preview.testsend import allowed_origins

    loopback = {"http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]:8000"}
    assert allowed_origins("127.0.0.1", 8000) == loopback
    assert allowed_origins("::1", 8000) == loopback
    assert allowed_origins("192.168.1.20", 8000) == {"http://192.168.1.20:8000"}  # --host on a LAN address


def test_sends_are_off_when_serve_listens_where_other_machines_reach_it() -> None:
    """Other machines can forge every header a browser sets, so only a loopback address may send."""
    from email.message import Message

    from dripcourse.preview.testsend import TestSends

    def refusal(host: str) -> str | None:
        sends = TestSends({})
        sends.listen(host, 8000)
        headers = Message()
        headers["Origin"] = f"http://{'[::1]' if host == '::1' else host}:8000"
        headers["Sec-Fetch-Site"] = "same-origin"
        headers["Content-Type"] = "application/json"
        headers["X-Dripcourse-Token"] = sends.token
        return sends.refusal(headers)

    assert refusal("127.0.0.1") is None and refusal("::1") is None and refusal("localhost") is None
    for host in ("0.0.0.0", "192.168.1.20", "::"):
        assert (refusal(host) or "").startswith(f"refused: test sends are off while serve listens on {host},"), host
