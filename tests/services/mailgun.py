"""A local Mailgun API: POST /v3/{domain}/messages.mime (multipart form) and the suppression lists, paged."""

from __future__ import annotations

import base64
import uuid
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from services.httpbase import ApiServer, Reply, Request, contract

KEY = "key-test"
DOMAIN = "tea-at-home.example"


def form_fields(request: Request) -> dict[str, bytes]:
    """The fields of a multipart/form-data body, parsed with the email package (a form is MIME)."""
    head = f"Content-Type: {request.headers.get('content-type', '')}\r\n\r\n".encode()
    parsed = message_from_bytes(head + request.body, policy=policy.HTTP)
    fields = {}
    for part in parsed.iter_parts():  # type: ignore[attr-defined]
        name = part.get_param("name", header="content-disposition")
        fields[str(name)] = part.get_payload(decode=True)
    return fields


class MailgunServer(ApiServer):
    def __init__(self) -> None:
        super().__init__()
        self.spec = contract("mailgun")
        self.sent: list[tuple[str, EmailMessage]] = []
        self.lists: dict[str, list[dict[str, Any]]] = {name: [] for name in self.spec["suppression_lists"]}
        self.page_size = 2

    def env(self) -> dict[str, str]:
        return {"MAILGUN_API_URL": self.url, "MAILGUN_API_KEY": KEY, "MAILGUN_DOMAIN": DOMAIN}

    def handle(self, request: Request) -> Reply:
        expected = "Basic " + base64.b64encode(f"api:{KEY}".encode()).decode()
        if request.headers.get("authorization") != expected:
            return Reply(401, b"Forbidden", {"Content-Type": "text/plain"})
        prefix = f"/v3/{DOMAIN}/"
        if not request.path.startswith(prefix):
            return Reply(404, {"message": "Domain not found"})
        what = request.path.removeprefix(prefix)
        if request.method == "POST" and what == "messages.mime":
            fields = form_fields(request)
            missing = [f for f in self.spec["messages_mime"]["required_fields"] if f not in fields]
            if missing or not request.headers.get("content-type", "").startswith("multipart/form-data"):
                self.violations.append(f"messages.mime: missing {missing}")
                return Reply(400, {"message": f"'{missing[0] if missing else 'to'}' parameter is missing"})
            message = message_from_bytes(fields["message"], policy=policy.default)
            self.sent.append((fields["to"].decode(), message))  # type: ignore[arg-type]
            return Reply(200, {"id": f"<{uuid.uuid4().hex}@{DOMAIN}>", "message": "Queued. Thank you."})
        if request.method == "GET" and what in self.lists:
            start = int(request.query.get("page_start", 0))
            items = self.lists[what][start : start + self.page_size]
            following = f"{self.url}{request.path}?page_start={start + self.page_size}&limit={self.page_size}"
            return Reply(200, {"items": items, "paging": {"next": following, "first": "", "last": "", "previous": ""}})
        return Reply(404, {"message": "not found"})
