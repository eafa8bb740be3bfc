"""A local Brevo v3 API: transactional (SMTP) templates, created, read, updated, listed (limit/offset) and
deleted, with Brevo's error shape ({"code", "message"}), its x-sib-ratelimit-* headers, and create bodies checked
against the published schema (tests/engines/contracts.json)."""

from __future__ import annotations

import re
from typing import Any

from services.httpbase import ApiServer, Reply, Request, contract, published

KEY = "xkeysib-test"


def fail(status: int, code: str, message: str) -> Reply:
    return Reply(status, {"code": code, "message": message})


class BrevoServer(ApiServer):
    def __init__(self) -> None:
        super().__init__()
        self.spec = contract("brevo")
        self.templates: dict[int, dict[str, Any]] = {}
        self.next_id = 0
        self.clock = 0

    def env(self) -> dict[str, str]:
        return {"BREVO_API_URL": self.url, "BREVO_API_KEY": KEY}

    def stamp(self) -> str:
        self.clock += 1
        return f"2026-12-06T12:00:{self.clock:02d}.000Z"

    def handle(self, request: Request) -> Reply:
        if request.headers.get("api-key") != KEY:
            return fail(401, "unauthorized", "Key not found")
        body = request.json() if request.body else None
        if request.path == "/v3/smtp/templates" and request.method == "POST":
            problems = published("brevo", "template", body)
            if problems:
                self.violations += problems
                return fail(400, "invalid_parameter", "; ".join(problems))
            self.next_id += 1
            self.templates[self.next_id] = self.stored(self.next_id, body)
            return Reply(201, {"id": self.next_id})
        if request.path == "/v3/smtp/templates" and request.method == "GET":
            limit, offset = int(request.query.get("limit", 50)), int(request.query.get("offset", 0))
            if not 0 <= limit <= self.spec["list_limit_max"]:
                self.violations.append(f"GET /v3/smtp/templates: limit {limit}")
                return fail(400, "out_of_range", "limit must be between 0 and 1000")
            found = sorted(self.templates.values(), key=lambda t: t["id"])
            return Reply(200, {"count": len(found), "templates": found[offset : offset + limit]})
        matched = re.fullmatch(r"/v3/smtp/templates/(\d+)", request.path)
        if matched is None:
            return fail(404, "document_not_found", "not found")
        template = self.templates.get(int(matched.group(1)))
        if template is None:
            return fail(404, "document_not_found", "Template ID does not exist")
        if request.method == "GET":
            return Reply(200, template)
        if request.method == "PUT":
            problems = self.check(body, self.spec["update_template"], "PUT /v3/smtp/templates/{templateId}")
            if problems:
                return fail(400, "invalid_parameter", "; ".join(problems))
            template.update(self.stored(template["id"], {**self.as_request(template), **body}))
            return Reply(204)
        if request.method == "DELETE":
            del self.templates[template["id"]]
            return Reply(204)
        return fail(405, "method_not_allowed", "method not allowed")

    def stored(self, template_id: int, body: dict[str, Any]) -> dict[str, Any]:
        """A template as GET answers it: the request's templateName is its name."""
        return {
            "id": template_id,
            "name": body["templateName"],
            "subject": body["subject"],
            "isActive": body.get("isActive", False),
            "testSent": False,
            "sender": {"name": body["sender"].get("name", ""), "email": body["sender"].get("email", ""), "id": 1},
            "replyTo": body.get("replyTo", ""),
            "toField": body.get("toField", ""),
            "tag": body.get("tag", ""),
            "htmlContent": body.get("htmlContent", ""),
            "createdAt": "2026-12-06T12:00:00.000Z",
            "modifiedAt": self.stamp(),
            "doiTemplate": False,
        }

    def as_request(self, template: dict[str, Any]) -> dict[str, Any]:
        return {
            "templateName": template["name"],
            "subject": template["subject"],
            "sender": {k: template["sender"][k] for k in ("name", "email")},
            "replyTo": template["replyTo"],
            "htmlContent": template["htmlContent"],
            "isActive": template["isActive"],
        }
