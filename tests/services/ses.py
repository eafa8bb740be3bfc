"""A local SES v2 endpoint for botocore (endpoint_url): SendEmail, GetAccount, ListSuppressedDestinations,
answering in the rest-json form botocore parses, errors named in x-amzn-ErrorType. botocore itself validates
every request against its service model before it leaves."""

from __future__ import annotations

import base64
import uuid
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from services.httpbase import ApiServer, Reply, Request

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
        return error(404, "NotFoundException", "not found")
