"""A local Mailgun API: POST /v3/{domain}/messages.mime (multipart form), the suppression lists, paged, and
templates with their versions (create, get with ?active=yes, new version, update, delete), form fields checked
against the published field list."""

from __future__ import annotations

import base64
import json
import re
import uuid
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from services.httpbase import ApiServer, Reply, Request, contract, published

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
        self.templates: dict[str, dict[str, Any]] = {}

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
        if what == "templates" or what.startswith("templates/"):
            return self.template_call(request, what)
        return Reply(404, {"message": "not found"})

    def template_call(self, request: Request, what: str) -> Reply:
        spec = self.spec["templates"]
        fields = {k: v.decode("utf-8") for k, v in form_fields(request).items()} if request.body else {}
        if request.body and not request.headers.get("content-type", "").startswith("multipart/form-data"):
            self.violations.append(f"{request.method} {what}: not multipart/form-data")
        found = re.fullmatch(r"templates(?:/([^/]+))?(/versions)?", what)
        if found is None:
            return Reply(404, {"message": "not found"})
        name, versions = found.groups()
        if name is None and request.method == "POST":
            problems = published("mailgun", "template", fields)
            if problems:
                self.violations += problems
                return Reply(400, {"message": "; ".join(problems)})
            name = fields["name"].lower()
            if name in self.templates:
                return Reply(409, {"message": "template with name '" + name + "' already exists"})
            template = {
                "name": name,
                "description": fields.get("description", ""),
                "createdAt": "Sun, 06 Dec 2026",
                "id": str(uuid.uuid4()),
                "versions": [],
            }
            self.templates[name] = template
            if "template" in fields:
                template["versions"].append(self.version(fields, active=True))
            return Reply(200, {"message": "template has been stored", "template": self.shown(template)})
        template = self.templates.get(name or "")
        if template is None:
            return Reply(404, {"message": "template not found"})
        if versions and request.method == "POST":
            problems = self.check(fields, spec["new_version"], "POST templates/{name}/versions")
            if problems:
                return Reply(400, {"message": "; ".join(problems)})
            if len(template["versions"]) >= spec["max_versions"]:
                return Reply(400, {"message": "template has reached the limit of versions"})
            if any(v["tag"] == fields["tag"] for v in template["versions"]):
                return Reply(409, {"message": "version with tag '" + fields["tag"] + "' already exists"})
            active = fields.get("active") == "yes"
            if active:
                for other in template["versions"]:
                    other["active"] = False
            template["versions"].append(self.version(fields, active=active))
            return Reply(
                200, {"message": "new version of the template has been stored", "template": self.shown(template)}
            )
        if request.method == "GET":
            if request.query.get("active") != "yes":
                return Reply(200, {"template": {k: v for k, v in template.items() if k != "versions"}})
            return Reply(200, {"template": self.shown(template)})
        if request.method == "PUT":
            problems = self.check(fields, spec["update"], "PUT templates/{name}")
            if problems:
                return Reply(400, {"message": "; ".join(problems)})
            template["description"] = fields.get("description", template["description"])
            return Reply(200, {"message": "template has been updated", "template": {"name": name}})
        if request.method == "DELETE":
            del self.templates[template["name"]]
            return Reply(200, {"message": "template has been deleted", "template": {"name": name}})
        return Reply(405, {"message": "method not allowed"})

    def version(self, fields: dict[str, str], active: bool) -> dict[str, Any]:
        return {
            "tag": fields.get("tag", "initial"),
            "template": fields.get("template", ""),
            "engine": "handlebars",
            "comment": fields.get("comment", ""),
            "headers": json.loads(fields["headers"]) if fields.get("headers") else {},
            "active": active,
            "id": str(uuid.uuid4()),
            "createdAt": "Sun, 06 Dec 2026",
        }

    def active(self, template: dict[str, Any]) -> dict[str, Any] | None:
        return next((v for v in template["versions"] if v["active"]), None)

    def shown(self, template: dict[str, Any]) -> dict[str, Any]:
        shown = {k: v for k, v in template.items() if k != "versions"}
        version = self.active(template)
        if version is not None:
            shown["version"] = version
        return shown
