"""`dripcourse serve`: build into a temporary folder, serve it on 127.0.0.1, rebuild on change, reload open pages.

Like MkDocs' serve: a failed rebuild keeps the last good build on screen, and the error (with file and line) shows
as an overlay in every open page until the file is fixed. The reload script is injected only into served pages.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from dripcourse.build import load_course, output_files, render_course, write_output
from dripcourse.errors import DripcourseError
from dripcourse.model import BuiltEmail
from dripcourse.preview.testsend import MAX_BODY_BYTES, SEND_PATH, TestSends
from dripcourse.render import Renderer, theme_dirs

EVENTS_PATH = "/__dripcourse/events"
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
MAX_CONNECTIONS = 32  # open pages each hold one event stream; a flood beyond this is closed at once
SOCKET_TIMEOUT_SECONDS = 30.0
KEEPALIVE_SECONDS = 10.0
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
    ".csv": "text/csv; charset=utf-8",
    ".eml": "message/rfc822",
    ".mbox": "application/mbox",
    ".ics": "text/calendar; charset=utf-8",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".svg": "image/svg+xml",
}
RELOAD_SCRIPT = """<script data-dripcourse-serve>
(function () {
  var epoch = %d, overlay = null;
  if (window.dripcourseEnableSend) window.dripcourseEnableSend(%s, %s);
  function show(message) {
    if (!overlay) {
      overlay = document.createElement("div");
      overlay.id = "dripcourse-error";
      overlay.setAttribute("role", "alert");
      overlay.style.cssText = "position:fixed;inset:auto 16px 16px 16px;z-index:2147483647;background:#2b0f0f;" +
        "color:#ffe9e9;font:14px/1.5 ui-monospace,Menlo,Consolas,monospace;padding:16px 20px;border-radius:8px;" +
        "box-shadow:0 8px 30px rgba(0,0,0,.4);white-space:pre-wrap;max-height:60vh;overflow:auto";
      document.body.appendChild(overlay);
    }
    overlay.textContent = "The last change did not build; showing the previous build.\\n\\n" + message;
  }
  function clear() { if (overlay) { overlay.remove(); overlay = null; } }
  var source = new EventSource("%s?epoch=" + epoch);
  source.addEventListener("reload", function () {
    if (!window.dripcourseRefresh) { source.close(); location.reload(); return; }
    // The preview index swaps in the new build's data in place: faster than a reload, and the view is kept.
    fetch(location.pathname, { cache: "no-store" }).then(function (response) { return response.text(); })
      .then(function (html) {
        clear();
        window.dripcourseRefresh(new DOMParser().parseFromString(html, "text/html"));
      }).catch(function () { location.reload(); });
  });
  source.addEventListener("failed", function (event) { show(JSON.parse(event.data)); });
})();
</script>"""


@dataclass
class SiteState:
    """What the server shows: the folder of the last good build, its epoch, and the error of a failed rebuild."""

    site: Path
    sends: TestSends
    epoch: int = 0
    error: str | None = None
    changed: threading.Condition = field(default_factory=threading.Condition)
    stopping: bool = False
    hosts: frozenset[str] = LOOPBACK_HOSTS  # the Host header names a request may carry

    def publish(self, error: str | None = None) -> None:
        with self.changed:
            if error is None:
                self.epoch += 1
            self.error = error
            self.changed.notify_all()


class Rebuilder:
    """Builds the course into the served folder, reusing the renders of emails whose inputs did not change."""

    def __init__(self, course_dir: Path, site: Path, preview_date: date, sends: TestSends):
        self.course_dir = course_dir
        self.site = site
        self.preview_date = preview_date
        self.sends = sends
        self.cache: dict[str, BuiltEmail] = {}
        self.renderer: Renderer | None = None
        self.last_rendered = 0

    def build(self) -> None:
        course = load_course(self.course_dir)
        before = set(self.cache)
        if self.renderer is None or self.renderer.template_dirs != theme_dirs(self.course_dir):
            self.renderer = Renderer(course.syllabus)
        self.renderer.use(course.syllabus)
        emails = render_course(course, self.preview_date, self.renderer, self.cache)
        kept = {id(e) for e in emails}
        self.cache = {key: email for key, email in self.cache.items() if id(email) in kept}
        self.last_rendered = len(set(self.cache) - before)
        write_output(self.site, output_files(course, emails))
        self.sends.use(course.syllabus.course, emails)

    def watched(self) -> list[Path]:
        return [self.course_dir, *(d for d in theme_dirs(self.course_dir) if d.is_dir())]


def allowed_hosts(host: str) -> frozenset[str]:
    """The names a request's Host header may give: the loopback names, and the address `serve` was told to bind."""
    return LOOPBACK_HOSTS | {host.strip("[]").lower()}


def host_name(header: str | None) -> str | None:
    """The name part of a Host header (`localhost:8000` -> `localhost`, `[::1]:8000` -> `::1`), or None."""
    if not header:
        return None
    value = header.strip().lower()
    if value.startswith("["):
        name, bracket, rest = value[1:].partition("]")
        return name if bracket and (not rest or re.fullmatch(r":[0-9]{1,5}", rest)) else None
    name, _, port = value.partition(":")
    return name if not port or port.isdigit() else None


class BoundedServer(ThreadingHTTPServer):
    """A threading server that serves at most MAX_CONNECTIONS connections at once and closes any beyond that."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]):
        super().__init__(address, handler)
        self.slots = threading.BoundedSemaphore(MAX_CONNECTIONS)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.slots.acquire(blocking=False):
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()


def make_handler(state: SiteState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "dripcourse"
        timeout = SOCKET_TIMEOUT_SECONDS  # a client that stops reading or writing is dropped, not waited for

        def log_message(self, format: str, *args: object) -> None:
            pass

        def host_refused(self) -> bool:
            """Answer 403 to a Host that is not this server's: a DNS-rebinding page must not read the preview."""
            if host_name(self.headers.get("Host")) in state.hosts:
                return False
            self.send_error(HTTPStatus.FORBIDDEN, "Host not allowed")
            return True

        def do_GET(self) -> None:
            if self.host_refused():
                return
            parts = urlsplit(self.path)
            if parts.path == EVENTS_PATH:
                self.events(parse_qs(parts.query).get("epoch", ["-1"])[0])
                return
            target = resolve(state.site, parts.path)
            if target is None:
                self.send_error(HTTPStatus.NOT_FOUND, "Not found")
                return
            body = target.read_bytes()
            content_type = CONTENT_TYPES.get(target.suffix, "application/octet-stream")
            if target.suffix == ".html":
                body = inject(body, state.epoch, state.sends.token)
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            if self.host_refused():
                return
            if urlsplit(self.path).path != SEND_PATH:
                self.send_error(HTTPStatus.NOT_FOUND, "Not found")
                return
            refusal = state.sends.refusal(self.headers)
            if refusal is not None:
                self.reply(HTTPStatus.FORBIDDEN, refusal)
                return
            length = self.headers.get("Content-Length", "")
            if not length.isdigit() or int(length) > MAX_BODY_BYTES:
                self.reply(HTTPStatus.BAD_REQUEST, f"the request body must have a length of at most {MAX_BODY_BYTES}")
                return
            self.reply(*state.sends.send(self.rfile.read(int(length))))

        def reply(self, status: HTTPStatus, message: str) -> None:
            body = json.dumps({"message": message}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def events(self, seen: str) -> None:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            known_epoch, known_error = int(seen) if seen.lstrip("-").isdigit() else -1, None
            try:
                self.wfile.write(b"retry: 500\n\n")
                self.wfile.flush()
                while True:
                    with state.changed:
                        state.changed.wait_for(partial(news, state, known_epoch, known_error), KEEPALIVE_SECONDS)
                        if state.stopping:
                            return
                        epoch, error = state.epoch, state.error
                    if epoch != known_epoch:
                        self.wfile.write(f"event: reload\ndata: {epoch}\n\n".encode())
                    elif error != known_error and error is not None:
                        self.wfile.write(f"event: failed\ndata: {json.dumps(error)}\n\n".encode())
                    else:
                        self.wfile.write(b": keep-alive\n\n")
                    self.wfile.flush()
                    known_epoch, known_error = epoch, error
            except OSError:  # the page was closed, or stopped reading for SOCKET_TIMEOUT_SECONDS
                return

    return Handler


def news(state: SiteState, epoch: int, error: str | None) -> bool:
    return state.stopping or state.epoch != epoch or state.error != error


def resolve(root: Path, url_path: str) -> Path | None:
    """The file a URL path names inside `root`, or None for anything outside it (`..`, encoded or not, symlinks)."""
    decoded = unquote(url_path)
    if "\0" in decoded or "\\" in decoded:
        return None
    segments = [s for s in decoded.split("/") if s]
    if any(s in (".", "..") for s in segments):
        return None
    base = root.resolve()
    target = base.joinpath(*segments)
    if target.is_dir():
        target = target / "index.html"
    try:
        real = target.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not real.is_relative_to(base) or not real.is_file():
        return None
    return real


def inject(page: bytes, epoch: int, token: str) -> bytes:
    script = (RELOAD_SCRIPT % (epoch, json.dumps(SEND_PATH), json.dumps(token), EVENTS_PATH)).encode()
    at = page.rfind(b"</body>")
    return page[:at] + script + page[at:] if at >= 0 else page + script


def describe(error: DripcourseError) -> str:
    return "\n".join(str(p) for p in error.problems)


def serve(
    course_dir: Path,
    host: str,
    port: int,
    preview_date: date,
    on_ready: Callable[[str], None],
    on_rebuild: Callable[[str], None],
    stop: threading.Event | None = None,
) -> None:
    """Build, serve and rebuild until `stop` is set, Ctrl-C or SIGTERM. The first build must succeed."""
    import watchfiles

    workdir = Path(tempfile.mkdtemp(prefix="dripcourse-serve-"))
    site = workdir / "site"
    sends = TestSends(os.environ)
    rebuilder = Rebuilder(course_dir, site, preview_date, sends)
    stop = stop or threading.Event()
    try:
        rebuilder.build()
        state = SiteState(site, sends, hosts=allowed_hosts(host))
        server = BoundedServer((host, port), make_handler(state))
        sends.listen(host, server.server_address[1])
        url = f"http://{host}:{server.server_address[1]}/"
        serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        serving.start()
        restore = stop_on_signals(stop, state, server)
        on_ready(url)
        try:
            for changes in watchfiles.watch(
                *rebuilder.watched(),
                debounce=25,
                step=5,
                stop_event=stop,
                rust_timeout=500,
                yield_on_timeout=False,
                raise_interrupt=False,
            ):
                if stop.is_set():
                    break
                started = time.perf_counter()
                try:
                    rebuilder.build()
                except DripcourseError as exc:
                    state.publish(describe(exc))
                    on_rebuild(f"Build failed, still serving the last good build:\n{describe(exc)}")
                    continue
                state.publish()
                took = (time.perf_counter() - started) * 1000
                on_rebuild(
                    f"Rebuilt in {took:.0f} ms ({rebuilder.last_rendered} emails rendered, "
                    f"{len(changes)} file{'s' if len(changes) != 1 else ''} changed)"
                )
        finally:
            restore()
            halt(state, server)
            server.server_close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def halt(state: SiteState, server: ThreadingHTTPServer) -> None:
    """End the event streams and the accept loop; safe to call twice."""
    with state.changed:
        state.stopping = True
        state.changed.notify_all()
    server.shutdown()


def stop_on_signals(stop: threading.Event, state: SiteState, server: ThreadingHTTPServer) -> Callable[[], None]:
    """Ctrl-C and SIGTERM set `stop` and shut the server down from a thread, so the process ends within a poll
    interval even while a rebuild is running; returns what puts the previous handlers back."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def on_signal(_signum: int, _frame: object) -> None:
        stop.set()
        threading.Thread(target=halt, args=(state, server), daemon=True).start()

    previous = {number: signal.signal(number, on_signal) for number in (signal.SIGINT, signal.SIGTERM)}

    def restore() -> None:
        for number, handler in previous.items():
            signal.signal(number, handler)

    return restore
