"""listmonk: the list comes from a listmonk list, unsubscribes and the blocklist are checked before each batch,
and each lesson goes out through the transactional API (POST /api/tx) with a `tx` template that prints the
HTML dripcourse made (`{{ .Tx.Data.html | Safe }}`; see the README). listmonk has no idempotency key and no
record of transactional messages to look up: an interrupted send is reported as unresolved."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from dripcourse.drip.audience import PlanCache
from dripcourse.drip.compose import Personal
from dripcourse.drip.ledger import Row, plan_text
from dripcourse.drip.providers.base import Provider, ProviderError, Rejected, Transient
from dripcourse.drip.providers.httpapi import HttpApi, Response, need
from dripcourse.syllabus import EMAIL, Syllabus, valid_zone

PAGE = 1000


class ListmonkProvider(Provider):
    name = "listmonk"

    def __init__(self, api: HttpApi, list_id: int, template_id: int):
        self.api = api
        self.list_id = list_id
        self.template_id = template_id

    @classmethod
    def from_env(cls, env: Mapping[str, str], sender: str) -> ListmonkProvider:
        url = need(env, "LISTMONK_URL", "listmonk")
        user = need(env, "LISTMONK_API_USER", "listmonk")
        token = need(env, "LISTMONK_API_TOKEN", "listmonk")
        numbers = {}
        for name in ("LISTMONK_LIST_ID", "LISTMONK_TX_TEMPLATE_ID"):
            raw = need(env, name, "listmonk")
            if not raw.isdigit():
                raise ProviderError(f"{name} must be a number, got {raw!r}")
            numbers[name] = int(raw)
        api = HttpApi(url, {"Authorization": f"token {user}:{token}"}, "listmonk")
        return cls(api, numbers["LISTMONK_LIST_ID"], numbers["LISTMONK_TX_TEMPLATE_ID"])

    def checked(self, reply: Response, what: str) -> Any:
        if reply.status in (401, 403):
            raise ProviderError(f"listmonk refused the API user and token ({what})")
        if reply.status != 200:
            raise Transient(f"listmonk {what} answered {reply.status}: {message_of(reply)}", reply.retry_after())
        return (reply.json() or {}).get("data")

    def subscribers(self, query: str | None = None) -> Iterator[dict[str, Any]]:
        page = 1
        while True:
            params = {"list_id": str(self.list_id), "per_page": str(PAGE), "page": str(page)}
            if query:
                params["query"] = query
            data = self.checked(self.api.get("/api/subscribers", params), "subscribers") or {}
            results = data.get("results") or []
            yield from results
            if len(results) < PAGE:
                return
            page += 1

    def list_rows(self, syllabus: Syllabus) -> Iterator[Row]:
        """The ledger's rows for every subscriber of the list who is enabled and has not unsubscribed from it."""
        plans = PlanCache(syllabus)
        course_zone = syllabus.schedule.time_zone
        for entry in self.subscribers():
            if not self.active(entry):
                continue
            address = str(entry.get("email", ""))
            attribs = entry.get("attribs") or {}
            zone = str(attribs.get("timezone") or course_zone)
            if not EMAIL.match(address) or not valid_zone(zone):
                continue
            signed_up = parse_time(self.subscription(entry).get("created_at") or entry.get("created_at"))
            if signed_up is None:
                continue
            first_name = str(attribs.get("first_name") or str(entry.get("name", "")).split(" ")[0])
            epoch = int(signed_up.timestamp())
            yield (
                address.lower(),
                address,
                first_name,
                epoch,
                zone,
                plan_text(plans.due_times(signed_up, epoch, zone)),
                None,
            )

    def subscription(self, entry: dict[str, Any]) -> dict[str, Any]:
        for item in entry.get("lists") or []:
            if item.get("id") == self.list_id:
                return dict(item)
        return {}

    def active(self, entry: dict[str, Any]) -> bool:
        return (
            entry.get("status") == "enabled" and self.subscription(entry).get("subscription_status") != "unsubscribed"
        )

    def unsubscribed(self, emails: list[str]) -> set[str]:
        """Of these addresses, the ones blocklisted or unsubscribed from the list now (asked right before sending)."""
        if not emails:
            return set()
        quoted = ", ".join("'" + e.replace("'", "''") + "'" for e in emails)
        found = {
            str(s.get("email", "")).lower(): s for s in self.subscribers(f"LOWER(subscribers.email) IN ({quoted})")
        }
        return {e for e in emails if e not in found or not self.active(found[e])}

    def send(self, message: Personal, to_email: str) -> str:
        payload = {
            "subscriber_email": to_email,
            "template_id": self.template_id,
            "subject": message.subject,
            "from_email": message.sender,
            "data": {"html": message.html, "text": message.text, "dripcourse_key": message.key},
            "headers": [{name: value} for name, value in message.list_headers()],
            "content_type": "html",
        }
        reply = self.api.request("POST", "/api/tx", payload)
        if reply.status == 200:
            return message.key
        reason = f"listmonk {reply.status}: {message_of(reply)}"
        if reply.status in (401, 403):
            raise ProviderError(f"listmonk refused the API user and token: {message_of(reply)}")
        if reply.status == 429 or reply.status >= 500:
            raise Transient(reason, reply.retry_after())
        raise Rejected(reason)

    def suppressions(self) -> list[tuple[str, str]]:
        blocked = self.subscribers("subscribers.status = 'blocklisted'")
        return [(str(s["email"]).lower(), "listmonk blocklist") for s in blocked if s.get("email")]

    def close(self) -> None:
        self.api.close()


def message_of(reply: Response) -> str:
    body = reply.json()
    if isinstance(body, dict) and "message" in body:
        return str(body["message"])
    return reply.body[:200].decode("utf-8", "replace")


def parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None
