"""A local SendGrid v3 API: POST /v3/mail/send, the suppression lists, and dynamic templates with their versions
(create, get, update, delete), create bodies checked against the published OpenAPI schema."""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

from services.httpbase import ApiServer, Reply, Request, contract, published

KEY = "SG.test-key"


class SendgridServer(ApiServer):
    def __init__(self) -> None:
        super().__init__()
        self.spec = contract("sendgrid")
        self.sent: list[dict[str, Any]] = []
        self.lists: dict[str, list[dict[str, Any]]] = {name: [] for name in self.spec["suppression_lists"]}
        self.templates: dict[str, dict[str, Any]] = {}
        self.clock = 1765000000

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
        if request.path.startswith("/v3/templates"):
            return self.template_call(request)
        return Reply(404, {"errors": [{"message": "not found"}]})

    def stamp(self) -> str:
        self.clock += 1
        return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(self.clock))

    def refused(self, problems: list[str], where: str) -> Reply | None:
        if not problems:
            return None
        self.violations += [f"{where}: {p}" for p in problems]
        return Reply(400, {"errors": [{"field": p.split(":")[0], "message": p} for p in problems]})

    def template_call(self, request: Request) -> Reply:
        spec = self.spec["templates"]
        missing = Reply(404, {"errors": [{"field": "", "message": "resource not found"}]})
        parts = re.fullmatch(r"/v3/templates(?:/([^/]+))?(?:/versions(?:/([^/]+))?)?", request.path)
        if parts is None:
            return missing
        template_id, version_id = parts.groups()
        versions_path = request.path.rstrip("/").endswith("/versions") or version_id is not None
        body = request.json() if request.body else None
        if template_id is None and request.method == "GET":
            return self.list_templates(request.query)
        if template_id is None:
            if request.method != "POST":
                return Reply(405, {"errors": [{"message": "method not allowed"}]})
            refused = self.refused(published("sendgrid", "template", body), "POST /v3/templates")
            if refused:
                return refused
            new_id = "d-" + uuid.uuid4().hex
            template = {
                "id": new_id,
                "name": body["name"],
                "generation": body.get("generation", "legacy"),
                "updated_at": self.stamp(),
                "versions": [],
            }
            self.templates[new_id] = template
            return Reply(201, template)
        template = self.templates.get(template_id)
        if template is None:
            return missing
        if not versions_path:
            if request.method == "GET":
                return Reply(200, template)
            if request.method == "PATCH":
                refused = self.refused(self.check(body, spec["update"], "PATCH template"), "PATCH /v3/templates/{id}")
                if refused:
                    return refused
                template.update(body, updated_at=self.stamp())
                return Reply(200, template)
            if request.method == "DELETE":
                del self.templates[template_id]
                return Reply(204)
            return Reply(405, {"errors": [{"message": "method not allowed"}]})
        if version_id is None:
            if request.method != "POST":
                return Reply(405, {"errors": [{"message": "method not allowed"}]})
            refused = self.refused(published("sendgrid", "version", body), "POST /v3/templates/{id}/versions")
            if refused:
                return refused
            version = {
                "id": str(uuid.uuid4()),
                "template_id": template_id,
                "active": 0,
                "editor": "code",
                "generate_plain_content": True,
                "plain_content": "",
                **body,
                "updated_at": self.stamp(),
            }
            if version["active"] == 1:
                for other in template["versions"]:
                    other["active"] = 0
            template["versions"].append(version)
            return Reply(201, version)
        version = next((v for v in template["versions"] if v["id"] == version_id), None)
        if version is None:
            return missing
        if request.method == "GET":
            return Reply(200, version)
        if request.method == "PATCH":
            refused = self.refused(self.check(body, spec["update_version"], "PATCH version"), "PATCH version")
            if refused:
                return refused
            version.update(body, updated_at=self.stamp())
            return Reply(200, version)
        if request.method == "DELETE":
            template["versions"].remove(version)
            return Reply(204)
        return Reply(405, {"errors": [{"message": "method not allowed"}]})

    def list_templates(self, query: dict[str, str]) -> Reply:
        """GET /v3/templates: page_size (1 to 200) is required; the next page comes by page_token."""
        size = int(query.get("page_size", 0))
        if not 1 <= size <= 200:
            self.violations.append(f"GET /v3/templates: page_size {size}")
            return Reply(400, {"errors": [{"field": "page_size", "message": "page_size must be 1 to 200"}]})
        wanted = query.get("generations", "legacy").split(",")
        found = [t for t in self.templates.values() if t["generation"] in wanted]
        start = int(query.get("page_token", 0))
        page = found[start : start + size]
        metadata: dict[str, Any] = {"count": len(found), "self": f"/v3/templates?page_token={start}"}
        if start + size < len(found):
            metadata["next"] = f"/v3/templates?page_token={start + size}"
        return Reply(200, {"result": page, "_metadata": metadata})

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
