"""A local listmonk API: GET /api/subscribers (with list_id, paging and the two `query` expressions dripcourse
sends) and POST /api/tx."""

from __future__ import annotations

import re
from typing import Any

from services.httpbase import ApiServer, Reply, Request, contract

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

    def env(self) -> dict[str, str]:
        return {
            "LISTMONK_URL": self.url,
            "LISTMONK_API_USER": USER,
            "LISTMONK_API_TOKEN": TOKEN,
            "LISTMONK_LIST_ID": str(LIST_ID),
            "LISTMONK_TX_TEMPLATE_ID": str(TEMPLATE_ID),
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
        return Reply(404, {"message": "not found"})

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
