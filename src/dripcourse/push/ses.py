"""Amazon SES v2 for push: the export's template requests through botocore (parameter validation on, so each
call is checked against SES's own service model before it leaves), with the same bounded retries as HTTP.

The requests are named by their REST form (`POST /v2/email/templates`, `PUT /v2/email/templates/NAME`), which
is what botocore sends and what a dry run lists."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote

from dripcourse.drip.providers.base import ProviderError
from dripcourse.drip.providers.ses import FATAL, TRANSIENT, sesv2_client
from dripcourse.push.engine import (
    FIRST_BACKOFF_SECONDS,
    MAX_TRIES,
    PushError,
    Uncertain,
    Write,
    check_environment,
    checked_base,
)

TEMPLATES = "/v2/email/templates"


def endpoint(env: Mapping[str, str]) -> str:
    check_environment(("AWS_REGION", "AWS_DEFAULT_REGION"), env)
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "REGION"
    override = env.get("DRIPCOURSE_SES_ENDPOINT_URL")
    if override:
        return checked_base("DRIPCOURSE_SES_ENDPOINT_URL", override, (TEMPLATES,))
    return f"https://email.{region}.amazonaws.com"


class SesChannel:
    def __init__(
        self, env: Mapping[str, str], sleep: Callable[[float], None] = time.sleep, timeout: float | None = None
    ):
        self.base_url = endpoint(env)
        try:
            self.client = sesv2_client(env, "push ses", timeout or 30)
        except ProviderError as exc:
            raise PushError(str(exc.problems[0])) from None
        self.sleep = sleep

    def call(self, operation: str, idempotent: bool, **params: Any) -> tuple[bool, Any]:
        """(found, answer): found is False when SES says there is no such template."""
        from botocore.exceptions import (
            ClientError,
            ConnectionClosedError,
            EndpointConnectionError,
            NoCredentialsError,
            ReadTimeoutError,
        )

        delay = FIRST_BACKOFF_SECONDS
        last = ""
        for attempt in range(1, MAX_TRIES + 1):
            try:
                return True, getattr(self.client, operation)(**params)
            except NoCredentialsError:
                raise PushError(
                    "push ses found no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
                    "AWS_PROFILE (the identity needs ses:CreateEmailTemplate, ses:GetEmailTemplate and "
                    "ses:UpdateEmailTemplate)"
                ) from None
            except EndpointConnectionError as exc:
                last = f"SES: cannot connect: {exc}"
            except (ReadTimeoutError, ConnectionClosedError) as exc:
                if not idempotent:
                    raise Uncertain(str(exc)) from None
                last = f"SES: no answer: {exc}"
            except ClientError as exc:
                error = exc.response.get("Error", {})
                code = str(error.get("Code", ""))
                text = f"SES {code}: {error.get('Message', '')}"
                status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
                if code == "NotFoundException":
                    return False, None
                if code in FATAL or status in (401, 403):
                    raise PushError(
                        f"{FATAL.get(code, 'AWS refused the request')} ({text}); check AWS_ACCESS_KEY_ID, "
                        "AWS_SECRET_ACCESS_KEY or AWS_PROFILE, and that the identity may use SES email templates"
                    ) from None
                if not (code in TRANSIENT or status == 429 or status >= 500):
                    raise PushError(f"SES refused {operation}: {text}") from None
                last = text
            if attempt < MAX_TRIES:
                self.sleep(delay)
            delay *= 2
        raise PushError(f"{last} ({MAX_TRIES} tries); nothing after this was sent. Push again later")

    def send(self, write: Write, idempotent: bool) -> Any:
        name = unquote(write.path.removeprefix(TEMPLATES).lstrip("/"))
        if write.method == "POST" and write.path == TEMPLATES:
            self.call("create_email_template", idempotent, **write.body)
            return {"TemplateName": write.body["TemplateName"]}
        if write.method == "PUT":
            self.call("update_email_template", idempotent, TemplateName=name, **write.body)
            return {"TemplateName": name}
        if write.method == "DELETE":
            self.call("delete_email_template", idempotent, TemplateName=name)
            return None
        raise PushError(f"SES: push has no call for {write.method} {write.path}")

    def fetch(self, path: str) -> tuple[bool, Any]:
        found, answer = self.call("get_email_template", True, TemplateName=unquote(path.removeprefix(TEMPLATES + "/")))
        if found:
            answer = {k: v for k, v in answer.items() if k != "ResponseMetadata"}
        return found, answer

    def close(self) -> None:
        self.client.close()
