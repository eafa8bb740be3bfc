"""SendGrid: POST /v3/mail/send (v3 Mail Send). SendGrid has no idempotency key, and its message search (the Email
Logs API, https://www.twilio.com/docs/sendgrid/api-reference/email-logs/filter-all-messages) filters by its own
sg_message_id, subject, recipient, status or category, never by `custom_args`: a message cannot be found by our
key, so an interrupted send is reported as unresolved; `custom_args` carries the key for your records."""

from __future__ import annotations

from collections.abc import Mapping
from email.utils import parseaddr

from dripcourse.drip.compose import Personal
from dripcourse.drip.providers.base import Provider, ProviderError, Rejected, Transient
from dripcourse.drip.providers.httpapi import HttpApi, need

DEFAULT_URL = "https://api.sendgrid.com"
# Suppression lists read before a run, with the reason each means.
SUPPRESSION_LISTS = {
    "bounces": "SendGrid bounce",
    "spam_reports": "SendGrid spam report",
    "invalid_emails": "SendGrid invalid address",
    "unsubscribes": "SendGrid global unsubscribe",
}
PAGE = 500


def person(value: str) -> dict[str, str]:
    name, address = parseaddr(value)
    return {"email": address, "name": name} if name else {"email": address}


class SendgridProvider(Provider):
    name = "sendgrid"

    def __init__(self, api: HttpApi):
        self.api = api

    @classmethod
    def from_env(cls, env: Mapping[str, str], sender: str) -> SendgridProvider:
        key = need(env, "SENDGRID_API_KEY", "sendgrid")
        return cls(HttpApi(env.get("SENDGRID_API_URL", DEFAULT_URL), {"Authorization": f"Bearer {key}"}, "SendGrid"))

    def send(self, message: Personal, to_email: str) -> str:
        payload: dict[str, object] = {
            "personalizations": [{"to": [person(message.to)], "custom_args": {"dripcourse_key": message.key}}],
            "from": person(message.sender),
            "subject": message.subject,
            "content": [{"type": "text/plain", "value": message.text}, {"type": "text/html", "value": message.html}],
            "headers": dict(message.list_headers()),
            "tracking_settings": {"click_tracking": {"enable": False}, "open_tracking": {"enable": False}},
        }
        if message.reply_to:
            payload["reply_to"] = {"email": message.reply_to}
        reply = self.api.request("POST", "/v3/mail/send", payload)
        if reply.status == 202:
            return reply.headers.get("x-message-id", "")
        body = reply.json() or {}
        errors = body.get("errors") if isinstance(body, dict) else None
        text = "; ".join(str(e.get("message", "")) for e in errors or [] if isinstance(e, dict)) or reply.body[
            :200
        ].decode("utf-8", "replace")
        reason = f"SendGrid {reply.status}: {text}"
        if reply.status in (401, 403):
            raise ProviderError(f"SendGrid refused the API key: {text}")
        if reply.status == 429 or reply.status >= 500:
            reset = reply.headers.get("x-ratelimit-reset")
            raise Transient(reason, reply.retry_after() if reset is None else None)
        raise Rejected(reason)

    def suppressions(self) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        for kind, why in SUPPRESSION_LISTS.items():
            offset = 0
            while True:
                reply = self.api.get(f"/v3/suppression/{kind}", {"limit": str(PAGE), "offset": str(offset)})
                if reply.status in (401, 403):
                    raise ProviderError("SendGrid refused the API key (it needs the Suppressions read scope)")
                if reply.status != 200:
                    raise Transient(f"SendGrid {kind} answered {reply.status}")
                entries = reply.json() or []
                found += [(str(e["email"]).lower(), f"{why}: {e.get('reason', '')}".rstrip(": ")) for e in entries]
                if len(entries) < PAGE:
                    break
                offset += PAGE
        return found

    def close(self) -> None:
        self.api.close()
