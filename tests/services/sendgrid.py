"""A local SendGrid v3 API: POST /v3/mail/send and the suppression lists."""

from __future__ import annotations

import json
import uuid
from typing import Any

from services.httpbase import ApiServer, Reply, Request, contract

KEY = "SG.test-key"


class SendgridServer(ApiServer):
    def __init__(self) -> None:
        super().__init__()
        self.spec = contract("sendgrid")
        self.sent: list[dict[str, Any]] = []
        self.lists: dict[str, list[dict[str, Any]]] = {name: [] for name in self.spec["suppression_lists"]}

    def env(self) -> dict[str, str]:
        return {"SENDGRID_API_URL": self.url, "SENDGRID_API_KEY": KEY}

    def handle(self, request: Request) -> Reply:
        if request.headers.get("authorization") != f"Bearer {KEY}":
            return Reply(
                401,
                {
                    "errors": [
                        {"field": None, "message": "The provided authorization grant is invalid, expired, or revoked"}
                    ]
                },
            )
        if request.method == "POST" and request.path == "/v3/mail/send":
            return self.send(request.json())
        kind = request.path.removeprefix("/v3/suppression/")
        if request.method == "GET" and kind in self.lists:
            offset, limit = int(request.query.get("offset", 0)), int(request.query.get("limit", 500))
            return Reply(200, self.lists[kind][offset : offset + limit])
        return Reply(404, {"errors": [{"message": "not found"}]})

    def send(self, body: Any) -> Reply:
        problems = self.check(body, self.spec["mail_send"], "POST /v3/mail/send")
        reserved = (
            [h for h in (body.get("headers") or {}) if h.lower() in self.spec["reserved_headers"]]
            if isinstance(body, dict)
            else []
        )
        if reserved:
            problems.append(f"headers: reserved {reserved}")
            self.violations.append(problems[-1])
        if (
            isinstance(body, dict)
            and len(json.dumps(body.get("personalizations", [{}])[0].get("custom_args", {})))
            > self.spec["custom_args_max_bytes"]
        ):
            problems.append("custom_args over 10,000 bytes")
            self.violations.append(problems[-1])
        if problems:
            return Reply(400, {"errors": [{"message": p, "field": p.split(":")[0], "help": None} for p in problems]})
        message_id = uuid.uuid4().hex[:22]
        self.sent.append({**body, "id": message_id})
        return Reply(202, b"", {"X-Message-Id": message_id})
