"""JSON over HTTPS for the providers' APIs: one kept-alive connection, and failures sorted by what they mean.

A failure before the request has left (no connection, refused, reset while sending) means nothing was sent;
a failure after it left (timeout or reset while waiting for the answer) means the outcome is unknown.
"""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from dripcourse.drip.providers.base import ProviderError, Transient, Unknown

TIMEOUT_SECONDS = 30


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None

    def retry_after(self) -> float | None:
        value = self.headers.get("retry-after")
        try:
            return max(0.0, float(value)) if value is not None else None
        except ValueError:
            return None


class HttpApi:
    def __init__(self, base_url: str, headers: dict[str, str], service: str):
        parts = urlsplit(base_url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ProviderError(f"{service}: not an http(s) URL: {base_url!r}")
        if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise ProviderError(f"{service}: refusing to send credentials over plain http to {parts.hostname}")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port
        self.prefix = parts.path.rstrip("/")
        self.headers = headers
        self.service = service
        self.timeout: float = TIMEOUT_SECONDS
        self.conn: http.client.HTTPConnection | None = None

    def connection(self) -> http.client.HTTPConnection:
        if self.conn is None:
            kind = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
            self.conn = kind(self.host, self.port, timeout=self.timeout)
        return self.conn

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        query: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> Response:
        """Send one request; raises Transient if it never left, Unknown if it left and no answer came."""
        url = self.prefix + path + (f"?{urlencode(query)}" if query else "")
        data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        headers = {**self.headers, "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = content_type
        conn = self.connection()
        try:
            conn.request(method, url, body=data, headers=headers)
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise Transient(f"{self.service}: cannot reach {self.host}: {exc}") from None
        try:
            reply = conn.getresponse()
            raw = reply.read()
        except (TimeoutError, OSError, http.client.HTTPException) as exc:
            self.close()
            raise Unknown(f"{self.service}: no answer from {self.host} after the request was sent: {exc}") from None
        if reply.getheader("connection", "").lower() == "close":
            self.close()
        return Response(reply.status, {k.lower(): v for k, v in reply.getheaders()}, raw)

    def get(self, path: str, query: dict[str, str] | None = None) -> Response:
        """A read: whatever goes wrong, nothing was changed, so an Unknown is only a Transient here."""
        try:
            return self.request("GET", path, query=query)
        except Unknown as exc:
            raise Transient(exc.reason) from None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def need(env: dict[str, str] | Any, name: str, service: str) -> str:
    value = env.get(name, "")
    if not value:
        raise ProviderError(f"--via {service} needs {name} in the environment")
    return str(value)
