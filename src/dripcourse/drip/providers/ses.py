"""Amazon SES v2 through botocore: SendEmail with the raw MIME message, the account's own per-second quota
as the rate limit, and the account suppression list read before each run.

botocore's own retries are turned off: it would resend after a timeout, when the first attempt may have been
accepted. Throttling and 5xx errors are retried here instead; a timeout after the request left is unresolved
(SES has no idempotency key and no way to look a message up by ours: SendEmail takes no client token,
https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_SendEmail.html, and delivery events only go to the
event destinations of a configuration set).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dripcourse.drip.compose import Personal
from dripcourse.drip.providers.base import Provider, ProviderError, Rejected, Transient, Unknown

FATAL = {
    "AccountSuspendedException": "the SES account is suspended",
    "SendingPausedException": "sending is paused for this SES account or configuration set",
    "MailFromDomainNotVerifiedException": "the MAIL FROM domain is not verified in SES",
    "NotFoundException": "SES does not know this identity or configuration set",
    "AccessDeniedException": "the AWS credentials may not send with SES",
    "UnrecognizedClientException": "AWS does not recognise these credentials",
    "InvalidClientTokenId": "AWS does not recognise these credentials",
    "SignatureDoesNotMatch": "the AWS secret key does not match",
}
TRANSIENT = {
    "TooManyRequestsException",
    "ThrottlingException",
    "LimitExceededException",
    "InternalFailure",
    "ServiceUnavailable",
}


def sesv2_client(env: Mapping[str, str], needed_by: str, read_timeout: float = 30) -> Any:
    """A botocore SES v2 client with parameter validation on and botocore's own retries off."""
    try:
        import botocore.session
        from botocore.config import Config
    except ImportError:
        raise ProviderError(f"{needed_by} needs botocore: pip install 'dripcourse[ses]'") from None
    session = botocore.session.Session(profile=env.get("AWS_PROFILE") or None)
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or session.get_config_variable("region")
    if not region:
        raise ProviderError(f"{needed_by} needs a region: set AWS_REGION (or a region in your AWS profile)")
    config = Config(
        retries={"total_max_attempts": 1}, connect_timeout=10, read_timeout=read_timeout, parameter_validation=True
    )
    # Keys from the environment given (the command's own), else botocore's chain: profile, SSO, instance role.
    keys = {
        "aws_access_key_id": env.get("AWS_ACCESS_KEY_ID") or None,
        "aws_secret_access_key": env.get("AWS_SECRET_ACCESS_KEY") or None,
        "aws_session_token": env.get("AWS_SESSION_TOKEN") or None,
    }
    return session.create_client(
        "sesv2",
        region_name=region,
        endpoint_url=env.get("DRIPCOURSE_SES_ENDPOINT_URL") or None,
        config=config,
        **(keys if keys["aws_access_key_id"] else {}),
    )


class SesProvider(Provider):
    name = "ses"

    def __init__(self, client: Any, sender: str, configuration_set: str | None):
        self.client = client
        self.sender = sender
        self.configuration_set = configuration_set

    @classmethod
    def from_env(cls, env: Mapping[str, str], sender: str) -> SesProvider:
        client = sesv2_client(env, "--via ses")
        return cls(client, sender, env.get("DRIPCOURSE_SES_CONFIGURATION_SET") or None)

    def call(self, operation: str, **params: Any) -> Any:
        """One SES call, with its failures sorted into what they mean for the send."""
        from botocore.exceptions import (
            ClientError,
            ConnectionClosedError,
            EndpointConnectionError,
            NoCredentialsError,
            ReadTimeoutError,
        )

        try:
            return getattr(self.client, operation)(**params)
        except NoCredentialsError:
            raise ProviderError("--via ses found no AWS credentials (environment, profile or instance role)") from None
        except EndpointConnectionError as exc:
            raise Transient(f"SES: cannot connect: {exc}") from None
        except (ReadTimeoutError, ConnectionClosedError) as exc:
            raise Unknown(f"SES: no answer after the request was sent: {exc}") from None
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            text = f"SES {code}: {error.get('Message', '')}"
            if code in FATAL:
                raise ProviderError(f"{FATAL[code]} ({text})") from None
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
            if code in TRANSIENT or status == 429 or status >= 500:
                raise Transient(text) from None
            raise Rejected(text) from None

    def open(self) -> None:
        account = self.call("get_account")
        quota = account.get("SendQuota") or {}
        rate = quota.get("MaxSendRate")
        self.rate = float(rate) if rate else None
        if not account.get("SendingEnabled", True):
            raise ProviderError("sending is disabled for this SES account")

    def send(self, message: Personal, to_email: str) -> str:
        params: dict[str, Any] = {
            "FromEmailAddress": self.sender,
            "Destination": {"ToAddresses": [to_email]},
            "Content": {"Raw": {"Data": message.mime}},
        }
        if self.configuration_set:
            params["ConfigurationSetName"] = self.configuration_set
        return str(self.call("send_email", **params)["MessageId"])

    def suppressions(self) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        token: str | None = None
        while True:
            page = self.call("list_suppressed_destinations", **({"NextToken": token} if token else {}))
            for entry in page.get("SuppressedDestinationSummaries", []):
                found.append((str(entry["EmailAddress"]).lower(), f"SES suppression list: {entry['Reason']}"))
            token = page.get("NextToken")
            if not token:
                return found
