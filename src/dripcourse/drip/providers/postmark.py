"""Postmark: POST /email, one message per call, with the send key in Metadata so an interrupted send can be
looked up afterwards (GET /messages/outbound?metadata_dripcourse_key=...)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from dripcourse.drip.compose import Personal
from dripcourse.drip.providers.base import Found, Provider, ProviderError, Rejected, Transient
from dripcourse.drip.providers.httpapi import HttpApi, Response, need

DEFAULT_URL = "https://api.postmarkapp.com"
METADATA_KEY = "dripcourse_key"
# Postmark's API error codes (https://postmarkapp.com/developer/api/overview#error-codes) that mean the address
# must not be mailed again: 300 invalid email request, 406 inactive recipient (bounced, complained, unsubscribed).
SUPPRESSING_CODES = {300: "invalid address (Postmark 300)", 406: "inactive recipient (Postmark 406)"}
AUTH_CODES = {10, 11}  # bad or missing server token


def metadata_value(key: str) -> str:
    """Postmark metadata values are short: a hash of the send key (its Message-ID) stands for it."""
    return hashlib.sha256(key.encode()).hexdigest()[:40]


class PostmarkProvider(Provider):
    name = "postmark"
    can_lookup = True

    def __init__(self, api: HttpApi, stream: str):
        self.api = api
        self.stream = stream

    @classmethod
    def from_env(cls, env: Mapping[str, str], sender: str) -> PostmarkProvider:
        token = need(env, "POSTMARK_SERVER_TOKEN", "postmark")
        api = HttpApi(env.get("POSTMARK_API_URL", DEFAULT_URL), {"X-Postmark-Server-Token": token}, "Postmark")
        return cls(api, env.get("POSTMARK_MESSAGE_STREAM", "broadcast"))

    def send(self, message: Personal, to_email: str) -> str:
        payload = {
            "From": message.sender,
            "To": message.to,
            "Subject": message.subject,
            "HtmlBody": message.html,
            "TextBody": message.text,
            "Headers": [{"Name": name, "Value": value} for name, value in message.list_headers()],
            "Metadata": {METADATA_KEY: metadata_value(message.key)},
            "MessageStream": self.stream,
            "TrackOpens": False,
            "TrackLinks": "None",
        }
        if message.reply_to:
            payload["ReplyTo"] = message.reply_to
        reply = self.api.request("POST", "/email", payload)
        body = reply.json() or {}
        code = body.get("ErrorCode", -1) if isinstance(body, dict) else -1
        if reply.status == 200 and code == 0:
            return str(body.get("MessageID", ""))
        self.fail(reply, body, code)
        raise AssertionError("unreachable")

    def fail(self, reply: Response, body: object, code: object) -> None:
        text = body.get("Message", "") if isinstance(body, dict) else reply.body[:200].decode("utf-8", "replace")
        reason = f"Postmark {reply.status} (ErrorCode {code}): {text}"
        if reply.status == 401 or code in AUTH_CODES:
            raise ProviderError(f"Postmark refused the server token: {text}")
        if reply.status == 429 or reply.status >= 500:
            raise Transient(reason, reply.retry_after())
        if isinstance(code, int) and code in SUPPRESSING_CODES:
            raise Rejected(reason, SUPPRESSING_CODES[code])
        raise Rejected(reason)

    def lookup(self, key: str, to_email: str) -> Found | None:
        query = {"count": "1", "offset": "0", "recipient": to_email, f"metadata_{METADATA_KEY}": metadata_value(key)}
        reply = self.api.get("/messages/outbound", query)
        if reply.status != 200:
            raise Transient(f"Postmark message search answered {reply.status}")
        found = reply.json() or {}
        messages = found.get("Messages") or []
        if messages:
            return Found(True, str(messages[0].get("MessageID", "")))
        return Found(False)

    def suppressions(self) -> list[tuple[str, str]]:
        reply = self.api.get(f"/message-streams/{self.stream}/suppressions/dump")
        if reply.status == 401:
            raise ProviderError("Postmark refused the server token")
        if reply.status != 200:
            raise Transient(f"Postmark suppressions answered {reply.status}")
        entries = (reply.json() or {}).get("Suppressions") or []
        return [
            (str(e["EmailAddress"]).lower(), f"Postmark suppression: {e.get('SuppressionReason', '')}")
            for e in entries
            if e.get("EmailAddress")
        ]

    def close(self) -> None:
        self.api.close()
