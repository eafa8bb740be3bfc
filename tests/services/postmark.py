"""A local Postmark API: POST /email, GET /messages/outbound (search, with metadata_ filters) and the
suppressions dump, with the error codes Postmark documents."""

from __future__ import annotations

import uuid
from typing import Any

from services.httpbase import ApiServer, Reply, Request, contract

TOKEN = "postmark-test-token"


class PostmarkServer(ApiServer):
    def __init__(self) -> None:
        super().__init__()
        self.spec = contract("postmark")
        self.sent: list[dict[str, Any]] = []
        self.inactive: set[str] = set()
        self.suppressed: dict[str, str] = {}

    def env(self) -> dict[str, str]:
        return {"POSTMARK_API_URL": self.url, "POSTMARK_SERVER_TOKEN": TOKEN}

    def handle(self, request: Request) -> Reply:
        if request.headers.get("x-postmark-server-token") != TOKEN:
            return Reply(
                401,
                {
                    "ErrorCode": 10,
                    "Message": "The Server Token you provided in the X-Postmark-Server-Token request header was invalid.",
                },
            )
        if request.method == "POST" and request.path == "/email":
            return self.send(request.json())
        if request.method == "GET" and request.path == "/messages/outbound":
            return self.search(request.query)
        if request.method == "GET" and request.path.endswith("/suppressions/dump"):
            entries = [
                {
                    "EmailAddress": e,
                    "SuppressionReason": r,
                    "Origin": "Recipient",
                    "CreatedAt": "2026-03-01T00:00:00-05:00",
                }
                for e, r in self.suppressed.items()
            ]
            return Reply(200, {"Suppressions": entries})
        return Reply(404, {"ErrorCode": 404, "Message": "not found"})

    def send(self, body: Any) -> Reply:
        problems = self.check(body, self.spec["send_email"], "POST /email")
        metadata = body.get("Metadata", {}) if isinstance(body, dict) else {}
        if len(metadata) > self.spec["metadata_max_fields"] or any(
            len(k) > self.spec["metadata_key_max_length"] for k in metadata
        ):
            problems.append("Metadata: too many fields or a key over 20 characters")
            self.violations.append(problems[-1])
        if problems:
            return Reply(422, {"ErrorCode": 300, "Message": "Invalid email request: " + "; ".join(problems)})
        if not body.get("HtmlBody") and not body.get("TextBody"):
            return Reply(422, {"ErrorCode": 300, "Message": "Provide either email TextBody or HtmlBody or both."})
        to = body["To"].rsplit("<", 1)[-1].rstrip(">").lower()
        if to in self.inactive:
            return Reply(
                422,
                {"ErrorCode": 406, "Message": "You tried to send to recipient(s) that have been marked as inactive."},
            )
        message_id = str(uuid.uuid4())
        self.sent.append({**body, "MessageID": message_id, "Recipient": to})
        return Reply(
            200,
            {
                "To": body["To"],
                "SubmittedAt": "2026-03-02T07:00:00.0000000-05:00",
                "MessageID": message_id,
                "ErrorCode": 0,
                "Message": "OK",
            },
        )

    def search(self, query: dict[str, str]) -> Reply:
        missing = [name for name in self.spec["message_search_required_query"] if name not in query]
        if missing or int(query.get("count", 0)) > self.spec["message_search_max_count"]:
            self.violations.append(f"GET /messages/outbound: bad query {query}")
            return Reply(422, {"ErrorCode": 600, "Message": "count and offset are required; count at most 500"})
        found = self.sent
        if "recipient" in query:
            found = [m for m in found if m["Recipient"] == query["recipient"].lower()]
        for key, value in query.items():
            if key.startswith("metadata_"):
                found = [m for m in found if m.get("Metadata", {}).get(key.removeprefix("metadata_")) == value]
        page = found[int(query["offset"]) : int(query["offset"]) + int(query["count"])]
        messages = [
            {
                "MessageID": m["MessageID"],
                "Recipients": [m["Recipient"]],
                "Subject": m.get("Subject", ""),
                "Metadata": m.get("Metadata", {}),
                "Status": "Sent",
            }
            for m in page
        ]
        return Reply(200, {"TotalCount": len(found), "Messages": messages})
