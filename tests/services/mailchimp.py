"""A local Mailchimp Marketing API (3.0): templates created, read (without their HTML, as Mailchimp answers),
updated, listed (count/offset) and deleted, with Mailchimp's problem-detail errors and HTTP Basic auth with any
user name, create bodies checked against the published schema (tests/engines/contracts.json)."""

from __future__ import annotations

import base64
import re
from typing import Any

from services.httpbase import ApiServer, Reply, Request, contract, published

KEY = "0123456789abcdef0123456789abcdef-us21"
ERRORS = "https://mailchimp.com/developer/marketing/docs/errors/"


def problem(status: int, title: str, detail: str) -> Reply:
    return Reply(
        status,
        {"type": ERRORS, "title": title, "status": status, "detail": detail, "instance": "0000-test"},
        {"Content-Type": "application/problem+json"},
    )


class MailchimpServer(ApiServer):
    def __init__(self) -> None:
        super().__init__()
        self.spec = contract("mailchimp")
        self.templates: dict[int, dict[str, Any]] = {}
        self.html: dict[int, str] = {}
        self.next_id = 10000
        self.clock = 0

    def env(self) -> dict[str, str]:
        return {"MAILCHIMP_API_URL": self.url, "MAILCHIMP_API_KEY": KEY}

    def stamp(self) -> str:
        self.clock += 1
        return f"2026-12-06T12:{self.clock // 60:02d}:{self.clock % 60:02d}+00:00"

    def authorised(self, request: Request) -> bool:
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Basic "):
            return False
        _, _, key = base64.b64decode(auth.removeprefix("Basic ")).decode().partition(":")
        return key == KEY

    def handle(self, request: Request) -> Reply:
        if not self.authorised(request):
            return problem(
                401,
                "API Key Invalid",
                "Your API key may be invalid, or you've attempted to access the wrong datacenter.",
            )
        body = request.json() if request.body else None
        if request.path == "/3.0/templates" and request.method == "POST":
            problems = published("mailchimp", "template", body)
            if problems:
                self.violations += problems
                return problem(400, "Invalid Resource", "; ".join(problems))
            self.next_id += 1
            stamp = self.stamp()
            template = {
                "id": self.next_id,
                "type": "user",
                "name": body["name"],
                "drag_and_drop": False,
                "responsive": False,
                "category": "",
                "date_created": stamp,
                "date_edited": stamp,
                "created_by": "Test",
                "edited_by": "Test",
                "active": True,
                "folder_id": body.get("folder_id", ""),
                "thumbnail": "",
                "share_url": "",
                "content_type": "html",
                "_links": [],
            }
            self.templates[self.next_id] = template
            self.html[self.next_id] = body["html"]
            return Reply(200, template)
        if request.path == "/3.0/templates" and request.method == "GET":
            count, offset = int(request.query.get("count", 10)), int(request.query.get("offset", 0))
            if count > self.spec["list_count_max"]:
                self.violations.append(f"GET /3.0/templates: count {count}")
                return problem(400, "Invalid Resource", "count must be at most 1000")
            found = [t for t in self.templates.values() if request.query.get("type", t["type"]) == t["type"]]
            return Reply(200, {"templates": found[offset : offset + count], "total_items": len(found), "_links": []})
        matched = re.fullmatch(r"/3.0/templates/(\d+)", request.path)
        template = self.templates.get(int(matched.group(1))) if matched else None
        if template is None:
            return problem(404, "Resource Not Found", "The requested resource could not be found.")
        if request.method == "GET":
            return Reply(200, template)
        if request.method == "PATCH":
            problems = self.check(body, self.spec["update_template"], "PATCH /3.0/templates/{template_id}")
            if problems:
                return problem(400, "Invalid Resource", "; ".join(problems))
            template.update({k: v for k, v in body.items() if k != "html"}, date_edited=self.stamp())
            if "html" in body:
                self.html[template["id"]] = body["html"]
            return Reply(200, template)
        if request.method == "DELETE":
            del self.templates[template["id"]]
            return Reply(204)
        return problem(405, "Method Not Allowed", "method not allowed")

    def edit_in_app(self, template_id: int, html: str) -> None:
        """What saving the template in Mailchimp's editor does."""
        self.html[template_id] = html
        self.templates[template_id]["date_edited"] = self.stamp()
