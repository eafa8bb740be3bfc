"""A local Postmark API: POST /email, GET /messages/outbound (search, with metadata_ filters), the
suppressions dump and the templates API (create, get, edit and delete by id or alias), with the error codes
Postmark documents."""

from __future__ import annotations

import re
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
        self.templates: dict[int, dict[str, Any]] = {}
        self.next_template_id = 1000

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
        if request.path == "/templates" and request.method == "POST":
            return self.create_template(request.json())
        found = re.fullmatch(r"/templates/([^/]+)", request.path)
        if found:
            return self.template(request.method, found.group(1), request)
        return Reply(404, {"ErrorCode": 404, "Message": "not found"})

    def find_template(self, id_or_alias: str) -> dict[str, Any] | None:
        if id_or_alias.isdigit():
            return self.templates.get(int(id_or_alias))
        return next((t for t in self.templates.values() if t["Alias"] == id_or_alias), None)

    def template_problems(self, body: Any, name: str, own_id: int | None = None) -> Reply | None:
        spec = self.spec[name]
        problems = self.check(body, spec, f"{spec['method']} {spec['path']}")
        alias = body.get("Alias") if isinstance(body, dict) else None
        if alias is not None and not re.match(self.spec["template_alias_pattern"], alias):
            problems.append(f"Alias {alias!r} does not match {self.spec['template_alias_pattern']}")
            self.violations.append(problems[-1])
        if alias is not None and any(
            t["Alias"] == alias and t["TemplateId"] != own_id for t in self.templates.values()
        ):
            problems.append(f"Alias {alias!r} is already used by another template")
        if problems:
            return Reply(422, {"ErrorCode": 300, "Message": "; ".join(problems)})
        return None

    def create_template(self, body: Any) -> Reply:
        refused = self.template_problems(body, "create_template")
        if refused:
            return refused
        self.next_template_id += 1
        template = {
            "TemplateId": self.next_template_id,
            "Name": body["Name"],
            "Alias": body.get("Alias"),
            "Subject": body.get("Subject"),
            "HtmlBody": body.get("HtmlBody"),
            "TextBody": body.get("TextBody"),
            "TemplateType": body.get("TemplateType", "Standard"),
            "LayoutTemplate": body.get("LayoutTemplate"),
            "AssociatedServerId": 1,
            "Active": True,
        }
        self.templates[template["TemplateId"]] = template
        summary = {k: template[k] for k in ("TemplateId", "Name", "Alias", "Active", "TemplateType", "LayoutTemplate")}
        return Reply(200, summary)

    def template(self, method: str, id_or_alias: str, request: Request) -> Reply:
        template = self.find_template(id_or_alias)
        if template is None:
            return Reply(
                422,
                {
                    "ErrorCode": 1101,
                    "Message": "The Template's 'TemplateId' or 'Alias' associated with this request is not valid "
                    "or was not found.",
                },
            )
        if method == "GET":
            return Reply(200, template)
        if method == "PUT":
            body = request.json()
            refused = self.template_problems(body, "edit_template", template["TemplateId"])
            if refused:
                return refused
            template.update(body)
            return Reply(200, {k: template[k] for k in ("TemplateId", "Name", "Alias", "Active", "TemplateType")})
        if method == "DELETE":
            del self.templates[template["TemplateId"]]
            return Reply(200, {"ErrorCode": 0, "Message": f"Template {template['TemplateId']} removed."})
        return Reply(405, {"ErrorCode": 405, "Message": "method not allowed"})

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
