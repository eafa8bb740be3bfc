"""The send-test button of `dripcourse serve`: one email of the last good build, to one address, over SMTP.

The button posts to the serve server, which holds the SMTP settings (DRIPCOURSE_SMTP_*, as `send-test` reads them).
Any page the author has open could try to post there too, so a send needs all of: the server's own origin in
`Origin`, `Sec-Fetch-Site: same-origin` (current browsers send it to a loopback address), a JSON body (a cross-site
page cannot send one without a CORS preflight, which this server never answers), and the token written into the
served pages (a page of another origin cannot read it). Those checks hold off web pages, not other machines, which
can forge any header: when `serve` listens where other machines can reach it (`--host 0.0.0.0`), test sends are off.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from email.message import Message
from http import HTTPStatus
from typing import Any

from dripcourse.errors import DripcourseError
from dripcourse.model import BuiltEmail
from dripcourse.sending import send_tests, smtp_settings
from dripcourse.syllabus import EMAIL, CourseInfo

SEND_PATH = "/__dripcourse/send-test"
TOKEN_HEADER = "X-Dripcourse-Token"
MAX_BODY_BYTES = 4096
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def allowed_origins(host: str, port: int) -> frozenset[str]:
    """The origins the preview is served under: the bound address, and every loopback name when it is loopback."""
    names = {f"[{host}]" if ":" in host else host}
    if names & set(LOOPBACK_NAMES):
        names |= set(LOOPBACK_NAMES)
    return frozenset(f"http://{name}:{port}" for name in names)


class DuplicateKey(ValueError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are all different: `json` keeps the last of two, so a body could show one address
    to whatever checked it and send to another."""
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise DuplicateKey(key)
        found[key] = value
    return found


class TestSends:
    """Checks where a send request comes from and sends the chosen email of the latest build."""

    def __init__(self, env: Mapping[str, str]):
        self.env = dict(env)
        self.origins: frozenset[str] = frozenset()  # set by `listen`; until then no request is allowed
        self.off: str | None = None
        self.token = secrets.token_urlsafe(32)
        self.course: CourseInfo | None = None
        self.emails: dict[str, BuiltEmail] = {}

    def listen(self, host: str, port: int) -> None:
        """Called once the server has its address."""
        self.origins = allowed_origins(host, port)
        if not is_loopback(host):
            self.off = (
                f"refused: test sends are off while serve listens on {host}, where other machines could send mail "
                "through your SMTP account; serve on 127.0.0.1 to use them"
            )

    def use(self, course: CourseInfo, emails: list[BuiltEmail]) -> None:
        """Called after every good build: sends always use what the preview shows."""
        self.course, self.emails = course, {e.rendered.lesson.file_stem: e for e in emails}

    def refusal(self, headers: Message) -> str | None:
        """Why a request may not send, or None when it comes from a preview page of this server."""
        if self.off is not None:
            return self.off
        origin = headers.get("Origin")
        if origin not in self.origins:
            return f"refused: test sends are accepted only from the preview page itself, not from origin {origin!r}"
        site = headers.get("Sec-Fetch-Site")
        if site is None:
            return "refused: the request has no Sec-Fetch-Site header; send from the preview page in a current browser"
        if site != "same-origin":
            return f"refused: the request came from a {site} page"
        if (headers.get("Content-Type") or "").split(";")[0].strip().lower() != "application/json":
            return "refused: the request must be JSON"
        if not hmac.compare_digest((headers.get(TOKEN_HEADER) or "").encode(), self.token.encode()):
            return "refused: the request has no valid preview token; reload the preview page"
        return None

    def send(self, body: bytes) -> tuple[HTTPStatus, str]:
        """Send one test email as the body asks: {"to": address, "email": file stem}."""
        try:
            request = json.loads(body, object_pairs_hook=unique_keys)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return HTTPStatus.BAD_REQUEST, "the request body is not JSON"
        except DuplicateKey as exc:
            return HTTPStatus.BAD_REQUEST, f"the request body gives the key {exc.key!r} more than once"
        to = request.get("to") if isinstance(request, dict) else None
        stem = request.get("email") if isinstance(request, dict) else None
        if not isinstance(to, str) or not EMAIL.match(to):
            return HTTPStatus.BAD_REQUEST, f"not an email address: {to!r}"
        course, email = self.course, self.emails.get(stem) if isinstance(stem, str) else None
        if course is None or email is None:
            return HTTPStatus.NOT_FOUND, f"no email {stem!r} in the current build"
        if not self.env.get("DRIPCOURSE_SMTP_HOST"):
            return HTTPStatus.SERVICE_UNAVAILABLE, (
                "no SMTP server configured: set DRIPCOURSE_SMTP_HOST (and the other DRIPCOURSE_SMTP_* settings "
                "send-test reads) before starting dripcourse serve"
            )
        try:
            settings = smtp_settings(self.env)
        except DripcourseError as exc:
            return HTTPStatus.SERVICE_UNAVAILABLE, exc.problems[0].message
        try:
            send_tests([email], course, to, settings, datetime.now(UTC))
        except DripcourseError as exc:
            return HTTPStatus.BAD_GATEWAY, exc.problems[0].message
        return HTTPStatus.OK, f"Sent a test of {stem} to {to} through {settings.host}:{settings.port}"
