"""A local SES v2 endpoint for botocore (endpoint_url): SendEmail, GetAccount, ListSuppressedDestinations and
the email template calls (Create, Get, Update, Delete, List with NextToken), answering in the rest-json form botocore parses, errors named in x-amzn-ErrorType. botocore itself validates
every request against its service model before it leaves."""

from __future__ import annotations

import base64
import re
import uuid
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from services.httpbase import ApiServer, Reply, Request, contract

MAX_SEND_RATE = 14.0


def error(status: int, code: str, message: str) -> Reply:
    return Reply(status, {"message": message}, {"x-amzn-ErrorType": code})


class SesServer(ApiServer):
    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, EmailMessage]] = []
        self.suppressed: list[dict[str, Any]] = []
        self.rejected: set[str] = set()
        self.paused = False
        self.templates: dict[str, dict[str, Any]] = {}
        self.spec = contract("ses")

    def env(self) -> dict[str, str]:
        return {
            "DRIPCOURSE_SES_ENDPOINT_URL": self.url,
            "AWS_REGION": "eu-west-1",
            "AWS_ACCESS_KEY_ID": "AKIDTEST",
            "AWS_SECRET_ACCESS_KEY": "test-secret",
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        }

    def handle(self, request: Request) -> Reply:
        auth = request.headers.get("authorization", "")
        if not auth.startswith("AWS4-HMAC-SHA256 Credential=AKIDTEST/") or "/eu-west-1/ses/aws4_request" not in auth:
            self.violations.append(f"unsigned or wrongly signed request: {auth[:60]}")
            return error(403, "UnrecognizedClientException", "The security token included in the request is invalid.")
        if request.method == "GET" and request.path == "/v2/email/account":
            return Reply(
                200,
                {
                    "SendQuota": {"Max24HourSend": 50000.0, "MaxSendRate": MAX_SEND_RATE, "SentLast24Hours": 0.0},
                    "SendingEnabled": True,
                    "ProductionAccessEnabled": True,
                    "EnforcementStatus": "HEALTHY",
                },
            )
        if request.method == "GET" and request.path == "/v2/email/suppression/addresses":
            return Reply(200, {"SuppressedDestinationSummaries": self.suppressed})
        if request.method == "POST" and request.path == "/v2/email/outbound-emails":
            body = request.json()
            raw = base64.b64decode(body["Content"]["Raw"]["Data"])
            to = body["Destination"]["ToAddresses"][0]
            if self.paused:
                return error(400, "SendingPausedException", "Sending is paused for this account.")
            if to in self.rejected:
                return error(400, "MessageRejected", "Email address is not verified.")
            self.sent.append((to, message_from_bytes(raw, policy=policy.default)))  # type: ignore[arg-type]
            return Reply(200, {"MessageId": f"0100{uuid.uuid4().hex}-000000"})
        if request.path.startswith("/v2/email/templates"):
            return self.template(request)
        return error(404, "NotFoundException", "not found")

    def template(self, request: Request) -> Reply:
        limits = self.spec["email_templates"]
        name = request.path.removeprefix("/v2/email/templates").strip("/")
        body = request.json() if request.body else {}
        if request.method == "POST" and not name:
            name = body.get("TemplateName", "")
            if name in self.templates:
                return error(400, "AlreadyExistsException", f"Template {name} already exists.")
        elif request.method == "GET" and not name:
            names = sorted(self.templates)
            start = int(request.query.get("NextToken", 0))
            size = int(request.query.get("PageSize", limits["list_page_size_max"]))
            page = [{"TemplateName": n, "CreatedTimestamp": 1764979200} for n in names[start : start + size]]
            more = {"NextToken": str(start + size)} if start + size < len(names) else {}
            return Reply(200, {"TemplatesMetadata": page, **more})
        elif name not in self.templates:
            return error(404, "NotFoundException", f"Template {name} does not exist.")
        if not re.fullmatch(limits["name_pattern"], name):
            self.violations.append(f"template name {name!r} does not match {limits['name_pattern']}")
            return error(400, "BadRequestException", "Invalid template name.")
        if request.method == "GET":
            return Reply(200, {"TemplateName": name, "TemplateContent": self.templates[name]})
        if request.method == "DELETE":
            del self.templates[name]
            return Reply(200, {})
        content = body.get("TemplateContent") or {}
        size = sum(len(str(content.get(part, "")).encode()) for part in ("Subject", "Html", "Text"))
        if size > limits["max_bytes"]:
            self.violations.append(f"template {name} is {size} bytes")
            return error(400, "BadRequestException", "Template is too large.")
        self.templates[name] = content
        return Reply(200, {})
