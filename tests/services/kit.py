"""A local Kit v4 API: sequences and sequence emails (create, read, update, delete, list with cursors), with
Kit's error shape ({"errors": [...]}), its rule that only the first email may be immediate, and every request
body checked against tests/contracts/kit.json."""

from __future__ import annotations

import re
from typing import Any

from services.httpbase import ApiServer, Reply, Request, contract

KEY = "kit-test-api-key"
ALL_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def fail(status: int, *messages: str) -> Reply:
    return Reply(status, {"errors": list(messages)})


class KitServer(ApiServer):
    def __init__(self) -> None:
        super().__init__()
        self.spec = contract("kit")
        self.sequences: dict[int, dict[str, Any]] = {}
        self.emails: dict[int, dict[str, Any]] = {}
        self.next_id = 100

    def env(self) -> dict[str, str]:
        return {"KIT_API_URL": self.url, "KIT_API_KEY": KEY}

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def handle(self, request: Request) -> Reply:
        if request.headers.get("x-kit-api-key") != KEY:
            return fail(401, "The API key is invalid")
        path, method = request.path, request.method
        if path == "/v4/sequences" and method == "POST":
            return self.create_sequence(request.json())
        if path == "/v4/sequences" and method == "GET":
            return self.page("sequences", sorted(self.sequences.values(), key=lambda s: s["id"]), request.query)
        found = re.fullmatch(r"/v4/sequences/(\d+)", path)
        if found:
            return self.sequence(method, int(found.group(1)), request)
        found = re.fullmatch(r"/v4/sequences/(\d+)/emails", path)
        if found:
            sequence_id = int(found.group(1))
            if sequence_id not in self.sequences:
                return fail(404, "Not Found")
            if method == "POST":
                return self.create_email(sequence_id, request.json())
            if method == "GET":
                return self.list_emails(sequence_id, request.query)
        found = re.fullmatch(r"/v4/sequences/(\d+)/emails/(\d+)", path)
        if found:
            return self.email(method, int(found.group(1)), int(found.group(2)), request)
        return fail(404, "Not Found")

    def checked(self, body: Any, name: str) -> Reply | None:
        problems = self.check(body, self.spec[name], f"{self.spec[name]['method']} {self.spec[name]['path']}")
        return fail(422, *problems) if problems else None

    def create_sequence(self, body: Any) -> Reply:
        refused = self.checked(body, "create_sequence")
        if refused:
            return refused
        sequence_id = self.new_id()
        sequence = {
            "id": sequence_id,
            "name": body["name"],
            "hold": body.get("hold", False),
            "repeat": body.get("repeat", False),
            "active": body.get("active", False),
            "send_days": body.get("send_days", ALL_DAYS),
            "send_hour": body.get("send_hour", 9),
            "time_zone": body.get("time_zone", "America/New_York"),
            "email_address": body.get("email_address"),
            "created_at": "2026-12-06T12:00:00Z",
        }
        self.sequences[sequence_id] = sequence
        return Reply(201, {"sequence": sequence})

    def sequence(self, method: str, sequence_id: int, request: Request) -> Reply:
        sequence = self.sequences.get(sequence_id)
        if sequence is None:
            return fail(404, "Not Found")
        if method == "GET":
            return Reply(200, {"sequence": sequence})
        if method == "PUT":
            refused = self.checked(request.json(), "update_sequence")
            if refused:
                return refused
            sequence.update(request.json())
            return Reply(200, {"sequence": sequence})
        if method == "DELETE":
            del self.sequences[sequence_id]
            for email_id in [i for i, e in self.emails.items() if e["sequence_id"] == sequence_id]:
                del self.emails[email_id]
            return Reply(204)
        return fail(405, "Method Not Allowed")

    def in_sequence(self, sequence_id: int) -> list[dict[str, Any]]:
        return sorted((e for e in self.emails.values() if e["sequence_id"] == sequence_id), key=lambda e: e["id"])

    def create_email(self, sequence_id: int, body: Any) -> Reply:
        refused = self.checked(body, "create_email")
        if refused:
            return refused
        position = body.get("position")
        if position is None:
            position = len(self.in_sequence(sequence_id))
        if body["delay_value"] == 0 and body["delay_unit"] == "days" and position != 0:
            return fail(422, "Only the first email in a sequence can be sent immediately")
        email_id = self.new_id()
        email = {
            "id": email_id,
            "sequence_id": sequence_id,
            "subject": body["subject"],
            "preview_text": body.get("preview_text"),
            "email_address": "course@example.com",
            "email_template_id": body.get("email_template_id"),
            "published": body.get("published", False),
            "position": position,
            "delay_value": body["delay_value"],
            "delay_unit": body["delay_unit"],
            "send_days": None if body["delay_unit"] == "hours" else body.get("send_days", ALL_DAYS),
            "content": body.get("content"),
        }
        self.emails[email_id] = email
        return Reply(201, {"email": email})

    def email(self, method: str, sequence_id: int, email_id: int, request: Request) -> Reply:
        email = self.emails.get(email_id)
        if email is None or email["sequence_id"] != sequence_id:
            return fail(404, "Not Found")
        if method == "GET":
            return Reply(200, {"email": email})
        if method == "PUT":
            body = request.json()
            refused = self.checked(body, "update_email")
            if refused:
                return refused
            email.update(body)
            return Reply(200, {"email": email})
        if method == "DELETE":
            del self.emails[email_id]
            return Reply(204)
        return fail(405, "Method Not Allowed")

    def list_emails(self, sequence_id: int, query: dict[str, str]) -> Reply:
        return self.page("emails", self.in_sequence(sequence_id), query)

    def page(self, name: str, emails: list[dict[str, Any]], query: dict[str, str]) -> Reply:
        """One page of a listing, in Kit's cursor form (after=<end_cursor of the page before>)."""
        per_page = min(int(query.get("per_page", 500)), 1000)
        start = next((i + 1 for i, e in enumerate(emails) if str(e["id"]) == query.get("after")), 0)
        page = emails[start : start + per_page]
        more = start + per_page < len(emails)
        return Reply(
            200,
            {
                name: page,
                "pagination": {
                    "has_previous_page": start > 0,
                    "has_next_page": more,
                    "start_cursor": str(page[0]["id"]) if page else None,
                    "end_cursor": str(page[-1]["id"]) if page else None,
                    "per_page": per_page,
                },
            },
        )
