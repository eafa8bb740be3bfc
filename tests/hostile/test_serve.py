"""`serve` against a DNS-rebinding page and a connection flood: only loopback Host names (and the --host value)
are answered, a connection beyond the cap gets a 503 at once instead of holding a thread, and a request that
does not arrive whole within the deadline is hung up on, however slowly it trickles in."""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from conftest import named
from dripcourse.preview import server as preview
from hostile import course, run


class Running:
    def __init__(self, folder: Path, host: str = "127.0.0.1"):
        self.stop = threading.Event()
        self.ready = threading.Event()
        self.url = ""

        def on_ready(url: str) -> None:
            self.url = url
            self.ready.set()

        self.thread = threading.Thread(
            target=preview.serve,
            args=(folder, host, 0, date(2026, 3, 2), on_ready, lambda message: None, self.stop),
            daemon=True,
        )
        self.thread.start()
        assert self.ready.wait(60), "serve did not start"
        self.port = int(self.url.rstrip("/").rsplit(":", 1)[1])

    def status(self, host: str | None, path: str = "/") -> int:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        connection.putrequest("GET", path, skip_host=True)
        if host is not None:
            connection.putheader("Host", host)
        connection.endheaders()
        status = connection.getresponse().status
        connection.close()
        return status


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    running = Running(course(tmp_path_factory.mktemp("serve")))
    yield running
    running.stop.set()
    running.thread.join(10)


HOSTS = [
    ("localhost", "localhost:{port}", 200),
    ("localhost-no-port", "localhost", 200),
    ("localhost-upper", "LOCALHOST:{port}", 200),
    ("ipv4-loopback", "127.0.0.1:{port}", 200),
    ("ipv6-loopback", "[::1]:{port}", 200),
    ("rebinding-name", "evil.example:{port}", 403),
    ("suffix-trick", "localhost.evil.example:{port}", 403),
    ("prefix-trick", "127.0.0.1.nip.io:{port}", 403),
    ("other-loopback-ip", "127.0.0.2:{port}", 403),
    ("userinfo-trick", "localhost@evil.example", 403),
    ("bad-port", "localhost:http", 403),
    ("ipv6-unclosed", "[::1:{port}", 403),
    ("empty", "", 403),
    ("missing", None, 403),
]


@pytest.mark.parametrize(("host", "status"), named(HOSTS))
def test_only_loopback_hosts_are_answered(site: Running, host: str | None, status: int) -> None:
    assert site.status(None if host is None else host.format(port=site.port)) == status


def test_the_event_stream_checks_host_too(site: Running) -> None:
    assert site.status("evil.example", preview.EVENTS_PATH) == 403


def test_the_host_serve_was_told_to_bind_is_answered(tmp_path: Path) -> None:
    running = Running(course(tmp_path), host="localhost")
    try:
        assert running.status(f"localhost:{running.port}") == 200
        assert running.status(f"evil.example:{running.port}") == 403
    finally:
        running.stop.set()
        running.thread.join(10)


def test_a_silent_client_is_dropped_after_the_timeout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(preview, "HEADER_TIMEOUT_SECONDS", 0.5)
    running = Running(course(tmp_path))
    try:
        silent = socket.create_connection(("127.0.0.1", running.port), timeout=10)
        started = time.monotonic()
        assert silent.recv(100) == b""  # the server hung up on a client that never sent its request
        assert time.monotonic() - started < 5
        silent.close()
    finally:
        running.stop.set()
        running.thread.join(10)


def raw(port: int, request: bytes) -> tuple[int, bytes]:
    """Send bytes as they are (http.client would fix the request up) and read the status line and body."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def test_two_host_headers_are_a_bad_request(site: Running) -> None:
    # RFC 9112 section 3.2: a request with more than one Host field gets 400, whichever comes first.
    for hosts in ([b"localhost", b"evil.example"], [b"evil.example", b"localhost"], [b"localhost", b"localhost"]):
        lines = b"".join(b"Host: " + h + b"\r\n" for h in hosts)
        assert raw(site.port, b"GET / HTTP/1.1\r\n" + lines + b"Connection: close\r\n\r\n")[0] == 400, hosts
    assert raw(site.port, b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")[0] == 200


def test_an_absolute_target_must_name_this_server(site: Running) -> None:
    ask = "GET {} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    for target in ("http://evil.example/", "http://evil.example:{port}/", "https://localhost:{port}/"):
        request = ask.format(target.format(port=site.port)).encode()
        assert raw(site.port, request)[0] == 400, target
    assert raw(site.port, ask.format(f"http://127.0.0.1:{site.port}/").encode())[0] == 200


def test_head_is_answered_like_get_without_a_body(site: Running) -> None:
    status, body = raw(site.port, b"HEAD / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    assert (status, body) == (200, b"")
    assert raw(site.port, b"HEAD /missing HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n") == (404, b"")


def test_a_refused_host_is_told_which_names_work(site: Running) -> None:
    status, body = raw(site.port, b"GET / HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n")
    assert status == 403
    assert body.decode().startswith("This preview answers only to 127.0.0.1, ::1, localhost, not to the Host")
    assert "'evil.example'" in body.decode()


def test_open_event_streams_do_not_keep_pages_from_loading(site: Running) -> None:
    streams = []
    try:
        for _ in range(preview.MAX_STREAMS + 4):
            stream = socket.create_connection(("127.0.0.1", site.port), timeout=10)
            stream.sendall(f"GET {preview.EVENTS_PATH} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
            streams.append(stream)
        answers = [stream.recv(200).split(b" ", 2)[1] for stream in streams]
        assert answers.count(b"200") == preview.MAX_STREAMS and answers.count(b"503") == 4
        for _ in range(preview.MAX_CONNECTIONS + 4):  # every page slot is still free for page loads
            assert site.status("localhost") == 200
    finally:
        for stream in streams:
            stream.close()


def test_serving_every_interface_answers_to_the_machines_addresses(tmp_path: Path) -> None:
    running = Running(course(tmp_path), host="0.0.0.0")
    try:
        hosts = preview.allowed_hosts("0.0.0.0")
        assert hosts > preview.LOOPBACK_HOSTS
        for name in hosts:
            assert running.status(f"[{name}]:{running.port}" if ":" in name else f"{name}:{running.port}") == 200
        assert running.status(f"evil.example:{running.port}") == 403
        urls = preview.urls_to_open("0.0.0.0", running.port, hosts)
        assert urls[0] == f"http://127.0.0.1:{running.port}/"
        assert len(urls) == len(hosts - {"localhost", "::1"})
    finally:
        running.stop.set()
        running.thread.join(10)


def test_a_slow_drip_client_is_dropped_at_the_request_deadline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One byte every half second never trips the per-read timeout; the total deadline for the request still does."""
    monkeypatch.setattr(preview, "REQUEST_DEADLINE_SECONDS", 1.5)
    running = Running(course(tmp_path))
    try:
        drip = socket.create_connection(("127.0.0.1", running.port), timeout=10)
        started = time.monotonic()
        closed = False
        for byte in b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"a" * 40:
            try:
                drip.sendall(bytes([byte]))
            except OSError:
                closed = True
                break
            time.sleep(0.5)
            if time.monotonic() - started > 8:
                break
        if not closed:
            drip.settimeout(5)
            with contextlib.suppress(ConnectionResetError):  # a reset is a hang-up while bytes were arriving
                assert drip.recv(100) == b""  # hung up on, not answered
        assert time.monotonic() - started < 6
        drip.close()
        assert running.status("localhost") == 200
    finally:
        running.stop.set()
        running.thread.join(10)


def test_a_connection_beyond_the_cap_gets_a_503_with_a_reason(site: Running) -> None:
    time.sleep(0.5)  # the threads of the requests before this one have given their slots back
    held = [socket.create_connection(("127.0.0.1", site.port), timeout=10) for _ in range(preview.MAX_CONNECTIONS)]
    try:
        time.sleep(0.5)
        status, body = raw(site.port, b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert (status, body) == (
            503,
            b"The preview is serving 32 connections already; reload the page in a moment.\n",
        )
    finally:
        for connection in held:
            connection.close()
    time.sleep(0.5)
    assert site.status("localhost") == 200


def test_an_empty_host_is_refused(tmp_path: Path) -> None:
    for host in ("", " "):
        outcome = run("serve", course(tmp_path / repr(host)), "--host", host, "--port", "0", tmp=tmp_path)
        assert (outcome.code, outcome.out) == (2, ""), host
        assert outcome.err == (
            "Error: --host is empty; give the address to listen on: 127.0.0.1, or 0.0.0.0 for every interface\n"
        )


def test_with_sends_off_the_page_has_no_send_form_or_token(tmp_path: Path) -> None:
    running = Running(course(tmp_path), host="0.0.0.0")
    try:
        status, page = raw(running.port, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        assert status == 200
        assert b"data-dripcourse-serve" in page  # the reload script is there
        assert b"dripcourseEnableSend(" not in page.split(b"data-dripcourse-serve", 1)[1]
        assert b'<form id="send-test" hidden>' in page
    finally:
        running.stop.set()
        running.thread.join(10)


def test_on_loopback_the_page_enables_the_send_form(site: Running) -> None:
    status, page = raw(site.port, b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    assert status == 200
    assert b'window.dripcourseEnableSend("/__dripcourse/send-test", "' in page


def send_token(running: Running) -> str:
    page = raw(running.port, b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")[1].decode()
    return page.split('dripcourseEnableSend("/__dripcourse/send-test", "', 1)[1].split('"', 1)[0]


def post_send(running: Running, body: bytes, *, length: str | None = None, extra: bytes = b"") -> tuple[int, bytes]:
    """A send as the preview page makes it, with `length` as its Content-Length (None: leave the header out)."""
    head = (
        f"POST /__dripcourse/send-test HTTP/1.1\r\nHost: 127.0.0.1:{running.port}\r\n"
        f"Origin: http://127.0.0.1:{running.port}\r\nSec-Fetch-Site: same-origin\r\n"
        f"Content-Type: application/json\r\nX-Dripcourse-Token: {send_token(running)}\r\nConnection: close\r\n"
    ).encode()
    if length is not None:
        head += f"Content-Length: {length}\r\n".encode()
    return raw(running.port, head + extra + b"\r\n" + body)


def test_a_send_body_with_a_key_twice_is_refused(site: Running) -> None:
    # json.loads keeps the last of two keys: the address a reader of the body saw first is not the one sent to.
    body = b'{"to": "me@example.com", "email": "01-start", "to": "other@example.net"}'
    assert post_send(site, body, length=str(len(body))) == (
        400,
        b'{"message": "the request body gives the key \'to\' more than once"}',
    )
