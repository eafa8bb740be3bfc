"""`--via NAME`: the provider a send goes through, configured from the environment. Each provider module is
imported only when it is chosen, so a send over SMTP never loads botocore."""

from __future__ import annotations

from collections.abc import Mapping

from dripcourse.drip.providers.base import Provider, ProviderError

VIAS = ("smtp", "ses", "postmark", "sendgrid", "mailgun", "listmonk")


def make_provider(via: str, env: Mapping[str, str], sender: str) -> Provider:
    """The provider for `--via`, configured from the environment (credentials never come from flags)."""
    if via == "smtp":
        from dripcourse.drip.providers.smtp import SmtpProvider

        return SmtpProvider.from_env(env, sender)
    if via == "ses":
        from dripcourse.drip.providers.ses import SesProvider

        return SesProvider.from_env(env, sender)
    if via == "postmark":
        from dripcourse.drip.providers.postmark import PostmarkProvider

        return PostmarkProvider.from_env(env, sender)
    if via == "sendgrid":
        from dripcourse.drip.providers.sendgrid import SendgridProvider

        return SendgridProvider.from_env(env, sender)
    if via == "mailgun":
        from dripcourse.drip.providers.mailgun import MailgunProvider

        return MailgunProvider.from_env(env, sender)
    if via == "listmonk":
        from dripcourse.drip.providers.listmonk import ListmonkProvider

        return ListmonkProvider.from_env(env, sender)
    raise ProviderError(f"--via must be one of {', '.join(VIAS)}, got {via!r}")
