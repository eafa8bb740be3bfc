"""What every provider does, and the three ways a send can fail."""

from __future__ import annotations

from dataclasses import dataclass

from dripcourse.drip.compose import Personal
from dripcourse.errors import OutputError, Problem


class Transient(Exception):
    """Not delivered this time (a 4xx, a 429, a refused connection); trying again later is safe."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class Rejected(Exception):
    """Not delivered and never will be. `suppress` names why the address must not be mailed again (a hard
    bounce, a complaint), or is None when only this message was refused."""

    def __init__(self, reason: str, suppress: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.suppress = suppress


class Unknown(Exception):
    """The request left, no answer came back: the message may or may not have been accepted."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class ProviderError(OutputError):
    """The provider cannot be used at all (bad credentials, no such domain): the run stops, exit code 1."""

    def __init__(self, message: str):
        super().__init__(Problem(None, message))


@dataclass(frozen=True)
class Found:
    """What a lookup learned about a send whose outcome was unknown."""

    sent: bool
    provider_id: str | None = None


class Provider:
    """A service that delivers messages. `send` returns the provider's message id."""

    name = "provider"
    #: messages per second the service allows; None for no limit of its own
    rate: float | None = None
    #: whether `lookup` can tell if a message with a given key was accepted
    can_lookup = False

    def open(self) -> None:
        """Connect, check credentials, read quotas."""

    def send(self, message: Personal, to_email: str) -> str:
        raise NotImplementedError

    def lookup(self, key: str, to_email: str) -> Found | None:
        """Whether a message with this key was accepted; None when the service cannot say."""
        return None

    def unsubscribed(self, emails: list[str]) -> set[str]:
        """Of these addresses, those the service says have left since the list was read (asked per batch)."""
        return set()

    def suppressions(self) -> list[tuple[str, str]]:
        """Addresses the service itself refuses to mail (bounces, complaints, unsubscribes), with the reason."""
        return []

    def close(self) -> None:
        pass
