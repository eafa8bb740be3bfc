"""A local Buttondown API (v1): emails and automations, created, read, updated (PATCH), listed (paged) and
deleted, with Buttondown's error shape ({"code", "detail"}); create bodies are checked against the published
OpenAPI schema (tests/engines/contracts.json), updates against its update schemas (tests/contracts/buttondown.json),
and an automation may only name emails that exist."""

from __future__ import annotations

import re
import uuid
from typing import Any

import jsonschema

from services.httpbase import ApiServer, Reply, Request, contract, published

KEY = "buttondown-test-key"
PAGE = 2


def fail(status: int, code: str, detail: str) -> Reply:
    return Reply(status, {"code": code, "detail": detail})


class ButtondownServer(ApiServer):
    def __init__(self) -> None:
        super().__init__()
        self.spec = contract("buttondown")
        self.emails: dict[str, dict[str, Any]] = {}
        self.automations: dict[str, dict[str, Any]] = {}
        self.clock = 0

    def env(self) -> dict[str, str]:
        return {"BUTTONDOWN_API_URL": self.url, "BUTTONDOWN_API_KEY": KEY}

    def stamp(self) -> str:
        self.clock += 1
        return f"2026-12-06T12:00:{self.clock:02d}Z"

    def update_problems(self, name: str, body: Any) -> list[str]:
        schema = {**self.spec[name], "$defs": self.spec["$defs"]}
        return [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(body)]

    def refuse(self, problems: list[str]) -> Reply | None:
        if not problems:
            return None
        self.violations += problems
        return fail(422, "invalid", "; ".join(problems))

    def handle(self, request: Request) -> Reply:
        if request.headers.get("authorization") != f"Token {KEY}":
            return fail(401, "unauthorized", "Invalid token.")
        body = request.json() if request.body else None
        found = re.fullmatch(r"/v1/(emails|automations)(?:/([^/]+))?", request.path)
        if found is None:
            return fail(404, "not_found", "Not found.")
        kind, object_id = found.groups()
        store = self.emails if kind == "emails" else self.automations
        if object_id is None and request.method == "GET":
            items = sorted(store.values(), key=lambda o: o["creation_date"])
            page = int(request.query.get("page", 1))
            chunk = items[(page - 1) * PAGE : page * PAGE]
            following = f"{self.url}{request.path}?page={page + 1}" if page * PAGE < len(items) else None
            return Reply(200, {"results": chunk, "next": following, "previous": None, "count": len(items)})
        if object_id is None and request.method == "POST":
            refused = self.refuse(published("buttondown", "email" if kind == "emails" else "automation", body))
            refused = refused or (self.unknown_emails(body) if kind == "automations" else None)
            if refused:
                return refused
            stamp = self.stamp()
            prefix = "em" if kind == "emails" else "aut"
            item = {
                "id": f"{prefix}_{uuid.uuid4().hex[:26]}",
                "creation_date": stamp,
                "modification_date": stamp,
                **body,
            }
            if kind == "automations":
                item["status"] = "inactive"
            store[item["id"]] = item
            return Reply(201, item)
        item = store.get(object_id or "")
        if item is None:
            return fail(404, "not_found", "Not found.")
        if request.method == "GET":
            return Reply(200, item)
        if request.method == "PATCH":
            name = "update_email" if kind == "emails" else "update_automation"
            refused = self.refuse(self.update_problems(name, body))
            refused = refused or (self.unknown_emails(body) if kind == "automations" else None)
            if refused:
                return refused
            item.update(body, modification_date=self.stamp())
            return Reply(200, item)
        if request.method == "DELETE":
            del store[item["id"]]
            return Reply(204)
        return fail(405, "method_not_allowed", "Method not allowed.")

    def unknown_emails(self, body: dict[str, Any]) -> Reply | None:
        named = [a.get("metadata", {}).get("email_id") for a in body.get("actions") or []]
        missing = [e for e in named if e not in self.emails]
        return fail(422, "email_not_found", f"No email with id {missing[0]}.") if missing else None
