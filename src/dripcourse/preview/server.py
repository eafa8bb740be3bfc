"""`dripcourse serve`: build into a temporary folder, serve it on 127.0.0.1, rebuild on change, reload open pages.

Like MkDocs' serve: a failed rebuild keeps the last good build on screen, and the error (with file and line) shows
as an overlay in every open page until the file is fixed. The reload script is injected only into served pages.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import sys
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
from dripcourse.errors import DripcourseError, Problem
from dripcourse.model import BuiltEmail
from dripcourse.preview.testsend import MAX_BODY_BYTES, SEND_PATH, TestSends
from dripcourse.render import Renderer, theme_dirs

EVENTS_PATH = "/__dripcourse/events"
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
MAX_CONNECTIONS = 32  # page loads and sends; a flood beyond this is closed at once
MAX_STREAMS = 16  # event streams have their own budget, so open streams never keep a page from loading
HEADER_TIMEOUT_SECONDS = 5.0  # a connection that sends no request in this time is closed: idle sockets lock no one out
# The whole request line and headers (and a send's body) must arrive within this: a per-read timeout alone lets a
# client that sends one byte every few seconds keep its connection, and MAX_CONNECTIONS of them lock the preview.
REQUEST_DEADLINE_SECONDS = 10.0
SOCKET_TIMEOUT_SECONDS = 30.0  # an event stream whose page stops reading is dropped after this
# Every answer: no other site may frame the preview (a framed page could be made to press its send button), and
# nothing is sniffed into another type. The emails are shown through srcdoc, which these do not block.
SECURITY_HEADERS = (
    ("X-Frame-Options", "DENY"),
    ("Content-Security-Policy", "frame-ancestors 'none'"),
    ("X-Content-Type-Options", "nosniff"),
)
NO_STORE = ("Cache-Control", "no-store")  # every build replaces what the pages show
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
  // One event stream per browser, not per tab (a browser opens at most 6 connections to a host): the tab that holds
  // the lock listens and passes each event to the others over a BroadcastChannel; when it closes, another takes over.
  var epoch = %d, overlay = null;
%s  function show(message) {
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
  function reload(built) {
    if (built === epoch) return;
    epoch = built;
    if (!window.dripcourseRefresh) { location.reload(); return; }
    // The preview index swaps in the new build's data in place: faster than a reload, and the view is kept.
    fetch(location.pathname, { cache: "no-store" }).then(function (response) { return response.text(); })
      .then(function (html) {
        clear();
        window.dripcourseRefresh(new DOMParser().parseFromString(html, "text/html"));
      }).catch(function () { location.reload(); });
  }
  function handle(event) { if (event.type === "reload") reload(event.epoch); else show(event.message); }
  function listen(share) {
    var source = new EventSource("%s?epoch=" + epoch);
    source.addEventListener("reload", function (event) {
      var news = { type: "reload", epoch: Number(event.data) };
      share(news); handle(news);
    });
    source.addEventListener("failed", function (event) {
      var news = { type: "failed", message: JSON.parse(event.data) };
      share(news); handle(news);
    });
    return source;
  }
  if (!window.BroadcastChannel || !navigator.locks) { listen(function () {}); return; }
  var channel = new BroadcastChannel("dripcourse-serve");
  channel.onmessage = function (message) { handle(message.data); };
  navigator.locks.request("dripcourse-serve-events", function () {
    listen(function (news) { channel.postMessage(news); });
    return new Promise(function () {});  // held until this tab closes
  });
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


WILDCARD_HOSTS = frozenset({"0.0.0.0", "::"})


def machine_addresses() -> frozenset[str]:
    """This machine's own addresses and name, the Hosts other machines use to reach a server bound to 0.0.0.0.

    The address a route to the outside would leave from (a UDP connect sends no packet), and what the host name
    resolves to; an IP literal cannot be rebound, so answering to these keeps DNS rebinding out."""
    found = {socket.gethostname().lower()}
    for family, probe in ((socket.AF_INET, "192.0.2.1"), (socket.AF_INET6, "2001:db8::1")):
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as udp:
                udp.connect((probe, 9))
                found.add(udp.getsockname()[0])
        except OSError:
            pass
    with contextlib.suppress(OSError):
        found |= {str(info[4][0]) for info in socket.getaddrinfo(socket.gethostname(), None)}
    return frozenset(found)


def allowed_hosts(host: str) -> frozenset[str]:
    """The names a request's Host header may give: the loopback names, the address `serve` was told to bind, and,
    when that is every interface, the machine's own addresses."""
    name = host.strip("[]").lower()
    if name in WILDCARD_HOSTS:
        return LOOPBACK_HOSTS | machine_addresses()
    return LOOPBACK_HOSTS | {name}


def urls_to_open(host: str, port: int, hosts: frozenset[str]) -> list[str]:
    """The addresses to type in a browser: the bound one, or for every interface each address this machine has."""
    if host.strip("[]").lower() not in WILDCARD_HOSTS:
        return [f"http://{f'[{host}]' if ':' in host and not host.startswith('[') else host}:{port}/"]
    names = sorted(hosts - {"localhost", "::1"}, key=lambda n: (n != "127.0.0.1", ":" in n, n))
    return [f"http://{f'[{n}]' if ':' in n else n}:{port}/" for n in names]


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
    # A listen backlog that holds a burst of connections (the socketserver default is 5): beyond it the kernel
    # leaves connections half-open, which the client sees as accepted and the cap above cannot count.
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]):
        super().__init__(address, handler)
        self.slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self.streams = threading.BoundedSemaphore(MAX_STREAMS)
        self.streaming: set[int] = set()  # the connections that moved from the page budget to the stream budget
        self.budget = threading.Lock()

    def start_stream(self, request: Any) -> bool:
        """Move a connection that became an event stream to the stream budget; False when that budget is spent."""
        if not self.streams.acquire(blocking=False):
            return False
        with self.budget:
            self.streaming.add(id(request))
        self.slots.release()
        return True

    def release(self, request: Any) -> None:
        with self.budget:
            streaming = id(request) in self.streaming
            self.streaming.discard(id(request))
        (self.streams if streaming else self.slots).release()

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.slots.acquire(blocking=False):
            self.turn_away(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.release(request)
            raise

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away, or was hung up on at its deadline, is no fault to print."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)

    def turn_away(self, request: socket.socket) -> None:
        """Answer a connection beyond the cap with a 503 from the accepting thread, without waiting on the client:
        it learns the preview is busy instead of seeing a silent hang-up, and no thread is spent on it."""
        with contextlib.suppress(OSError):
            request.setblocking(False)
            drain(request)  # what the client sent is read, so closing does not reset the connection under the answer
            request.send(BUSY_ANSWER)
            request.shutdown(socket.SHUT_WR)
            drain(request)
        request.close()

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.release(request)


BUSY_BODY = f"The preview is serving {MAX_CONNECTIONS} connections already; reload the page in a moment.\n".encode()
BUSY_ANSWER = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
    + f"Content-Length: {len(BUSY_BODY)}\r\nRetry-After: 2\r\nConnection: close\r\n".encode()
    + b"".join(f"{name}: {value}\r\n".encode() for name, value in SECURITY_HEADERS)
    + b"\r\n"
    + BUSY_BODY
)


def drain(connection: socket.socket) -> None:
    """Read what has already arrived on a non-blocking socket, up to 64 KiB."""
    with contextlib.suppress(OSError):
        for _ in range(16):
            if not connection.recv(4096):
                return


def make_handler(state: SiteState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "dripcourse"
        timeout = HEADER_TIMEOUT_SECONDS  # a client that stops reading or writing is dropped, not waited for

        def log_message(self, format: str, *args: object) -> None:
            pass

        def handle_one_request(self) -> None:
            self.deadline = threading.Timer(REQUEST_DEADLINE_SECONDS, self.hang_up)
            self.deadline.daemon = True
            self.deadline.start()
            try:
                super().handle_one_request()
            finally:
                self.deadline.cancel()

        def hang_up(self) -> None:
            """The request did not arrive in time: the blocked read returns nothing and the connection closes."""
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

        def parse_request(self) -> bool:
            parsed = super().parse_request()
            if self.command != "POST":  # a send's deadline also covers its body, read in do_POST
                self.deadline.cancel()
            return parsed

        def end_headers(self) -> None:
            for name, value in SECURITY_HEADERS:
                self.send_header(name, value)
            super().end_headers()

        def answer(self, status: HTTPStatus, content_type: str, body: bytes, header: tuple[str, str]) -> None:
            """One whole answer: its status, type, length, one more header and (unless HEAD asked) the body."""
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header(*header)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def refuse(self, status: HTTPStatus, message: str) -> None:
            # send_header marks the connection to be closed after this answer
            self.answer(status, "text/plain; charset=utf-8", (message + "\n").encode(), ("Connection", "close"))

        def request_path(self) -> str | None:
            """The path asked for, after the checks every request passes; None once a refusal has been sent.

            A DNS-rebinding page must not read the preview, so the Host must be one of this server's names. A
            request with two Host headers, or an absolute-form target naming another host, is refused (RFC 9112
            3.2 and 3.2.2) rather than served by whichever name a proxy or the server happened to read."""
            hosts = self.headers.get_all("Host") or []
            if len(hosts) > 1:
                self.refuse(HTTPStatus.BAD_REQUEST, "Bad request: more than one Host header")
                return None
            parts = urlsplit(self.path)
            foreign = parts.scheme != "http" or host_name(parts.netloc) not in state.hosts
            if (parts.scheme or parts.netloc) and foreign:
                self.refuse(HTTPStatus.BAD_REQUEST, f"Bad request: this server does not serve {self.path}")
                return None
            if host_name(hosts[0] if hosts else None) not in state.hosts:
                self.refuse(
                    HTTPStatus.FORBIDDEN,
                    f"This preview answers only to {', '.join(sorted(state.hosts))}, not to the Host "
                    f"{hosts[0] if hosts else '(none)'!r}. Open it through one of those names.",
                )
                return None
            return self.path if not (parts.scheme or parts.netloc) else parts._replace(scheme="", netloc="").geturl()

        def do_HEAD(self) -> None:
            self.do_GET()

        def do_GET(self) -> None:
            path = self.request_path()
            if path is None:
                return
            parts = urlsplit(path)
            if parts.path == EVENTS_PATH:
                self.events(parse_qs(parts.query).get("epoch", ["-1"])[0])
                return
            target = resolve(state.site, parts.path)
            if target is None:
                self.refuse(HTTPStatus.NOT_FOUND, "Not found")
                return
            body = target.read_bytes()
            content_type = CONTENT_TYPES.get(target.suffix, "application/octet-stream")
            if target.suffix == ".html":
                body = inject(body, state.epoch, state.sends)
            self.answer(HTTPStatus.OK, content_type, body, NO_STORE)

        def do_POST(self) -> None:
            path = self.request_path()
            if path is None:
                return
            if urlsplit(path).path != SEND_PATH:
                self.refuse(HTTPStatus.NOT_FOUND, "Not found")
                return
            refusal = state.sends.refusal(self.headers)
            if refusal is not None:
                self.reply(HTTPStatus.FORBIDDEN, refusal)
                return
            length = self.headers.get("Content-Length", "")
            if not length.isdigit() or int(length) > MAX_BODY_BYTES:
                self.reply(HTTPStatus.BAD_REQUEST, f"the request body must have a length of at most {MAX_BODY_BYTES}")
                return
            body = self.rfile.read(int(length))
            self.deadline.cancel()
            self.reply(*state.sends.send(body))

        def reply(self, status: HTTPStatus, message: str) -> None:
            self.answer(status, "application/json", json.dumps({"message": message}).encode(), NO_STORE)

        def events(self, seen: str) -> None:
            if self.command == "HEAD" or not isinstance(self.server, BoundedServer):
                self.refuse(HTTPStatus.METHOD_NOT_ALLOWED, "The event stream is for the served pages")
                return
            if not self.server.start_stream(self.request):
                self.refuse(HTTPStatus.SERVICE_UNAVAILABLE, f"More than {MAX_STREAMS} event streams are open")
                return
            self.connection.settimeout(SOCKET_TIMEOUT_SECONDS)
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header(*NO_STORE)
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


def inject(page: bytes, epoch: int, sends: TestSends) -> bytes:
    """The page with the reload script; the send form and its token only while test sends are on, so a server
    other machines can reach hands them neither."""
    enable = (
        f"  if (window.dripcourseEnableSend) window.dripcourseEnableSend({json.dumps(SEND_PATH)}, "
        f"{json.dumps(sends.token)});\n"
        if sends.off is None
        else ""
    )
    script = (RELOAD_SCRIPT % (epoch, enable, EVENTS_PATH)).encode()
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

    if not host.strip():
        # The socket layer binds an empty host to every interface, while every message would name none.
        raise DripcourseError(
            Problem(None, "--host is empty; give the address to listen on: 127.0.0.1, or 0.0.0.0 for every interface")
        )

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
        url, *others = urls_to_open(host, server.server_address[1], state.hosts)
        serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        serving.start()
        restore = stop_on_signals(stop, state, server)
        on_ready(url)
        if others:
            on_rebuild("Other machines can open it at " + ", ".join(others))
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
