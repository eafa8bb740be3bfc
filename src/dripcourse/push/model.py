"""What push knows about a service beyond its export: how to read, update and delete each kind of object it
creates, where the credentials come from, and what stays to do by hand.

The create requests themselves come from the export's manifest (the same payload bodies `dripcourse export`
writes); a `Kind` adds only the calls an export has no need for.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dripcourse.drip.providers.httpapi import Response


def same(value: Any) -> Any:
    return value


def whole_number(value: Any) -> bool:
    """An id the service hands out as a positive integer (Kit, Postmark, Brevo, listmonk, Mailchimp)."""
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def matching(pattern: str) -> Callable[[Any], bool]:
    """An id the service hands out as text of one shape (a SendGrid `d-` id, an SES template name)."""
    compiled = re.compile(pattern)
    return lambda value: isinstance(value, str) and compiled.fullmatch(value) is not None


UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


@dataclass(frozen=True)
class Kind:
    """One kind of object (named by the manifest request's key: `sequence`, `email`, `template`, ...)."""

    label: str  # how messages name it: "sequence", "template"
    item: str  # the object's path, with {id} and references: {course.sequence.id}, {this.template.id}, {input:domain}
    id_of: Callable[[Any], str]  # the new object's id, from the create response
    view: Callable[[Any], Any] = same  # the object inside a GET response, with the create body's field names
    read: str | None = None  # the GET path, when it differs from `item`
    version: str | None = None  # a field the service changes on every edit (date_edited), compared as well
    update: str = "PUT"
    update_path: str | None = None  # default: `item`
    update_body: Callable[[Any, str], Any] | None = None  # (create body, content hash) -> body; default: the body
    repeated: tuple[int, ...] = ()  # statuses of an update that mean the same update was made before (Mailgun: 409)
    keep: tuple[str, ...] = ()  # fields sent at creation only, then the user's to change (published, active)
    find: Callable[[Any], str] | None = None  # a GET (from the create body) that finds the object push made
    pick: Callable[[Any, Any], Any] = lambda reply, body: reply  # that object out of the answer, shaped like a GET
    link: str | None = None  # the object's page in the service's web app, with {id} (only where stable)
    prune: bool = True  # whether `--prune` may delete it (DELETE on `item`)
    name_field: str | None = None  # the create body's (and `view`'s) field naming it: checked before a prune
    # What an id the service gives looks like: the state file's ids are checked before one goes into a URL.
    shape: Callable[[Any], bool] = whole_number
    shape_help: str = "a positive whole number"


@dataclass(frozen=True)
class Remote:
    """One service as push talks to it."""

    target: str
    service: str
    base_url: str
    url_env: str  # the environment variable that overrides base_url (tests, EU regions, self-hosted)
    credentials: tuple[str, ...]  # environment variables push needs
    auth_help: str  # which variable, which scope, for a 401/403
    headers: Callable[[Mapping[str, str]], dict[str, str]]
    kinds: dict[str, Kind]
    inputs: dict[str, str] = field(default_factory=dict)  # manifest input name -> environment variable
    missing: Callable[[int, Any], bool] = lambda status, body: status == 404
    wait: Callable[[Response], float | None] = Response.retry_after  # seconds a 429 asks for
    message: Callable[[Any], str] = lambda body: str(body)[:300]
    manual: Callable[[dict[str, Any]], list[str]] = lambda manifest: []  # steps left after a push
    base: Callable[[Mapping[str, str]], str | None] = lambda env: None  # a base URL derived from a credential
    skip: tuple[str, ...] = ()  # manifest request keys push does not send (another form of the same object)
    # What names the account (server, domain, region) the objects live in, beyond the base URL; a credential only
    # as a short hash. None when the environment does not say (a dry run without credentials).
    account: Callable[[Mapping[str, str]], str | None] = lambda env: None


def key_hash(variable: str) -> Callable[[Mapping[str, str]], str | None]:
    """The account as the first 12 hex digits of the credential's SHA-256: enough to tell two apart, and the
    credential cannot be had back from it."""

    def account(env: Mapping[str, str]) -> str | None:
        value = env.get(variable)
        return f"{variable} sha256:{hashlib.sha256(value.encode('utf-8')).hexdigest()[:12]}" if value else None

    return account


def named_by(label: str, *variables: str) -> Callable[[Mapping[str, str]], str | None]:
    """The account as the first set variable's value, no secret (Mailgun's domain, the AWS region)."""

    def account(env: Mapping[str, str]) -> str | None:
        value = next((env[v] for v in variables if env.get(v)), None)
        return f"{label} {value}" if value else None

    return account
