"""Mailgun: POST /v3/{domain}/messages.mime with the whole MIME message, so its headers (List-Unsubscribe,
Message-ID) are ours. Mailgun has no idempotency key, and its event log filters by the message id Mailgun returns
(https://documentation.mailgun.com/docs/mailgun/api-reference/send/mailgun/events/get-v3-domain_name-events), which
an interrupted send never received: such a send is reported as unresolved."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping

from dripcourse.drip.compose import Personal
from dripcourse.drip.providers.base import Provider, ProviderError, Rejected, Transient
from dripcourse.drip.providers.httpapi import HttpApi, need

DEFAULT_URL = "https://api.mailgun.net"
SUPPRESSION_LISTS = {
    "bounces": "Mailgun bounce",
    "complaints": "Mailgun complaint",
    "unsubscribes": "Mailgun unsubscribe",
}


def form_data(fields: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    """multipart/form-data: (name, file name or '', content)."""
    boundary = f"dripcourse-{uuid.uuid4().hex}"
    parts = []
    for name, filename, content in fields:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        parts.append(f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + content + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


class MailgunProvider(Provider):
    name = "mailgun"

    def __init__(self, api: HttpApi, domain: str):
        self.api = api
        self.domain = domain

    @classmethod
    def from_env(cls, env: Mapping[str, str], sender: str) -> MailgunProvider:
        key = need(env, "MAILGUN_API_KEY", "mailgun")
        domain = env.get("MAILGUN_DOMAIN") or sender.rpartition("@")[2]
        auth = base64.b64encode(f"api:{key}".encode()).decode()
        return cls(
            HttpApi(env.get("MAILGUN_API_URL", DEFAULT_URL), {"Authorization": f"Basic {auth}"}, "Mailgun"), domain
        )

    def send(self, message: Personal, to_email: str) -> str:
        body, content_type = form_data([("to", "", to_email.encode()), ("message", "message.eml", message.mime)])
        reply = self.api.request("POST", f"/v3/{self.domain}/messages.mime", body, content_type=content_type)
        answer = reply.json() or {}
        text = (
            str(answer.get("message", "")) if isinstance(answer, dict) else reply.body[:200].decode("utf-8", "replace")
        )
        if reply.status == 200:
            return str(answer.get("id", ""))
        reason = f"Mailgun {reply.status}: {text}"
        if reply.status in (401, 403):
            raise ProviderError(f"Mailgun refused the API key for {self.domain}: {text}")
        if reply.status == 404:
            raise ProviderError(f"Mailgun has no domain {self.domain} (set MAILGUN_DOMAIN): {text}")
        if reply.status == 429 or reply.status >= 500:
            raise Transient(reason, reply.retry_after())
        raise Rejected(reason)

    def suppressions(self) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        for kind, why in SUPPRESSION_LISTS.items():
            path: str | None = f"/v3/{self.domain}/{kind}"
            query: dict[str, str] | None = {"limit": "1000"}
            while path:
                reply = self.api.get(path, query)
                if reply.status in (401, 403):
                    raise ProviderError(f"Mailgun refused the API key for {self.domain}")
                if reply.status != 200:
                    raise Transient(f"Mailgun {kind} answered {reply.status}")
                page = reply.json() or {}
                items = page.get("items") or []
                found += [(str(i["address"]).lower(), why) for i in items if i.get("address")]
                following = (page.get("paging") or {}).get("next", "")
                path, query = (self.next_page(following), None) if items and following else (None, None)
        return found

    def next_page(self, url: str) -> str:
        """Mailgun's paging links are whole URLs; keep the path and query, on our own connection."""
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        return parts.path.removeprefix(self.api.prefix) + (f"?{parts.query}" if parts.query else "")

    def close(self) -> None:
        self.api.close()
