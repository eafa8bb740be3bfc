"""A local listmonk API: GET /api/subscribers (with list_id, paging and the two `query` expressions dripcourse
sends), POST /api/tx, and campaign templates and campaigns (create, get, update, list, delete, and the status
change that schedules one), create bodies checked against the published schemas (tests/engines/contracts.json)."""

from __future__ import annotations

import re
from typing import Any

from services.httpbase import ApiServer, Reply, Request, contract, published

USER, TOKEN = "dripcourse", "listmonk-test-token"
LIST_ID, TEMPLATE_ID = 3, 7
EMAILS_IN = re.compile(r"^LOWER\(subscribers\.email\) IN \((.*)\)$")


class ListmonkServer(ApiServer):
    def __init__(self) -> None:
        super().__init__()
        self.spec = contract("listmonk")
        self.subscribers: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []
        self.page_size_seen: list[int] = []
        self.templates: dict[int, dict[str, Any]] = {
            TEMPLATE_ID: {"id": TEMPLATE_ID, "name": "tx", "type": "tx", "subject": "", "body": "{{ .Tx.Data }}"}
        }
        self.campaigns: dict[int, dict[str, Any]] = {}
        self.next_id = 20
        self.now = "2026-12-06T12:00:00Z"

    def env(self) -> dict[str, str]:
        return {
            "LISTMONK_URL": self.url,
            "LISTMONK_API_USER": USER,
            "LISTMONK_API_TOKEN": TOKEN,
            "LISTMONK_LIST_ID": str(LIST_ID),
            "LISTMONK_TX_TEMPLATE_ID": str(TEMPLATE_ID),
            "LISTMONK_LIST_IDS": str(LIST_ID),
        }

    def add(
        self,
        email: str,
        name: str,
        created_at: str,
        *,
        status: str = "enabled",
        subscription: str = "confirmed",
        attribs: dict[str, Any] | None = None,
    ) -> None:
        self.subscribers.append(
            {
                "id": len(self.subscribers) + 1,
                "uuid": f"u-{len(self.subscribers)}",
                "email": email,
                "name": name,
                "attribs": attribs or {},
                "status": status,
                "created_at": created_at,
                "updated_at": created_at,
                "lists": [
                    {"id": LIST_ID, "name": "Course", "subscription_status": subscription, "created_at": created_at}
                ],
            }
        )

    def handle(self, request: Request) -> Reply:
        if request.headers.get("authorization") != f"token {USER}:{TOKEN}":
            return Reply(403, {"message": "invalid API credentials"})
        if request.method == "GET" and request.path == "/api/subscribers":
            return self.list_subscribers(request.query)
        if request.method == "POST" and request.path == "/api/tx":
            body = request.json()
            if self.check(body, self.spec["tx"], "POST /api/tx"):
                return Reply(400, {"message": "invalid request"})
            if body["template_id"] != TEMPLATE_ID:
                return Reply(400, {"message": "Template not found."})
            if not any(s["email"] == body.get("subscriber_email") for s in self.subscribers):
                return Reply(400, {"message": "Subscriber not found."})
            self.sent.append(body)
            return Reply(200, {"data": True})
        if request.path.startswith("/api/templates"):
            return self.template_call(request)
        if request.path.startswith("/api/campaigns"):
            return self.campaign_call(request)
        return Reply(404, {"message": "not found"})

    def refuse(self, problems: list[str]) -> Reply | None:
        if not problems:
            return None
        self.violations += problems
        return Reply(400, {"message": "; ".join(problems)})

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def template_call(self, request: Request) -> Reply:
        body = request.json() if request.body else None
        found = re.fullmatch(r"/api/templates(?:/(\d+))?", request.path)
        if found is None:
            return Reply(404, {"message": "not found"})
        if found.group(1) is None:
            if request.method == "GET":
                return Reply(200, {"data": list(self.templates.values())})
            if request.method != "POST":
                return Reply(405, {"message": "method not allowed"})
            refused = self.refuse(published("listmonk", "template", body))
            if refused:
                return refused
            if body["type"] == "campaign" and body["body"].count('{{ template "content" . }}') != 1:
                return Reply(400, {"message": 'template body should contain {{ template "content" . }} once'})
            template = {"id": self.new_id(), "subject": "", **body, "is_default": False}
            self.templates[template["id"]] = template
            return Reply(200, {"data": template})
        template = self.templates.get(int(found.group(1)))
        if template is None:
            return Reply(404, {"message": "Template not found."})
        if request.method == "GET":
            return Reply(200, {"data": template})
        if request.method == "PUT":
            refused = self.refuse(published("listmonk", "template", body))
            if refused:
                return refused
            template.update(body)
            return Reply(200, {"data": template})
        if request.method == "DELETE":
            del self.templates[template["id"]]
            return Reply(200, {"data": True})
        return Reply(405, {"message": "method not allowed"})

    def shown(self, campaign: dict[str, Any]) -> dict[str, Any]:
        """A campaign as listmonk answers: its lists as {id, name}."""
        return {**campaign, "lists": [{"id": i, "name": "Course"} for i in campaign["lists"]]}

    def campaign_call(self, request: Request) -> Reply:
        body = request.json() if request.body else None
        found = re.fullmatch(r"/api/campaigns(?:/(\d+))?(/status)?", request.path)
        if found is None:
            return Reply(404, {"message": "not found"})
        number, status = found.groups()
        if number is None:
            if request.method == "GET":
                wanted = request.query.get("query", "")
                results = [self.shown(c) for c in self.campaigns.values() if wanted.lower() in c["name"].lower()]
                per_page, page = int(request.query.get("per_page", 20)), int(request.query.get("page", 1))
                page_of = results[(page - 1) * per_page : page * per_page]
                return Reply(
                    200, {"data": {"results": page_of, "total": len(results), "per_page": per_page, "page": page}}
                )
            if request.method != "POST":
                return Reply(405, {"message": "method not allowed"})
            refused = self.refuse(published("listmonk", "campaign", body)) or self.known(body)
            if refused:
                return refused
            campaign = {
                "id": self.new_id(),
                "uuid": f"c-{self.next_id}",
                "status": "draft",
                "created_at": self.now,
                "updated_at": self.now,
                "send_at": None,
                **body,
            }
            self.campaigns[campaign["id"]] = campaign
            return Reply(200, {"data": self.shown(campaign)})
        campaign = self.campaigns.get(int(number))
        if campaign is None:
            return Reply(404, {"message": "Campaign not found."})
        if status:
            refused = self.refuse(published("listmonk", "status", body))
            if refused:
                return refused
            if body["status"] == "scheduled" and not (campaign.get("send_at") or "") > self.now:
                return Reply(400, {"message": "Campaign send_at should be in the future."})
            campaign["status"] = body["status"]
            return Reply(200, {"data": self.shown(campaign)})
        if request.method == "GET":
            return Reply(200, {"data": self.shown(campaign)})
        if request.method == "PUT":
            if campaign["status"] in ("running", "finished", "cancelled"):
                return Reply(400, {"message": "Cannot update a running, finished or cancelled campaign."})
            refused = self.refuse(published("listmonk", "campaign", body)) or self.known(body)
            if refused:
                return refused
            campaign.update(body)
            return Reply(200, {"data": self.shown(campaign)})
        if request.method == "DELETE":
            del self.campaigns[campaign["id"]]
            return Reply(200, {"data": True})
        return Reply(405, {"message": "method not allowed"})

    def known(self, body: dict[str, Any]) -> Reply | None:
        if body.get("template_id") is not None and body["template_id"] not in self.templates:
            return Reply(400, {"message": "Template not found."})
        if any(i != LIST_ID for i in body.get("lists", [])):
            return Reply(400, {"message": "List not found."})
        return None

    def list_subscribers(self, query: dict[str, str]) -> Reply:
        found = [s for s in self.subscribers if any(item["id"] == int(query.get("list_id", -1)) for item in s["lists"])]
        expression = query.get("query", "")
        if expression == "subscribers.status = 'blocklisted'":
            found = [s for s in found if s["status"] == "blocklisted"]
        elif expression:
            match = EMAILS_IN.match(expression)
            if not match:
                self.violations.append(f"unexpected query {expression!r}")
                return Reply(400, {"message": "invalid query"})
            wanted = {e.strip().strip("'").replace("''", "'") for e in match.group(1).split(",")}
            found = [s for s in found if s["email"].lower() in wanted]
        per_page, page = int(query.get("per_page", 20)), int(query.get("page", 1))
        self.page_size_seen.append(per_page)
        results = found[(page - 1) * per_page : page * per_page]
        return Reply(200, {"data": {"results": results, "total": len(found), "per_page": per_page, "page": page}})
