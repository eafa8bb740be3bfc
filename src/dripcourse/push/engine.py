"""The push itself: the export's requests, in the manifest's order, made safe to run again.

For each object the export creates, push looks the object up in the state file. A new one is created; a known
one is read back from the service first (a GET), so a change or a deletion made there since the last push is
seen and asked about before anything is overwritten; it is updated only when the course's version of it
changed. Nothing is deleted on the service unless `prune` is asked for.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote, urlsplit, urlunsplit

from dripcourse.drip.providers.base import Transient, Unknown
from dripcourse.drip.providers.httpapi import HttpApi, Response
from dripcourse.drip.providers.mailgun import form_data
from dripcourse.errors import DripcourseError, EnvironmentFault, OutputError, Problem
from dripcourse.push.model import Kind, Remote
from dripcourse.push.state import State

REFERENCE = re.compile(r"\{([A-Za-z0-9_.:-]+)\}")
PLACEHOLDER = re.compile(r"\{[^{}/]+\}")
MAX_TRIES = 5
MAX_WAIT_SECONDS = 60.0
FIRST_BACKOFF_SECONDS = 1.0
LOOPBACK = ("127.0.0.1", "localhost", "::1")
LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
# Values from the environment that go into a URL or a body, by the shape the service documents for them.
ENVIRONMENT_SHAPES = {
    "MAILGUN_DOMAIN": (re.compile(rf"(?=.{{1,253}}$){LABEL}(?:\.{LABEL})+"), "a domain name like mg.example.com"),
    "AWS_REGION": (re.compile(r"[a-z]{2}(-[a-z]+)+-\d+"), "an AWS region like eu-west-1"),
    "AWS_DEFAULT_REGION": (re.compile(r"[a-z]{2}(-[a-z]+)+-\d+"), "an AWS region like eu-west-1"),
    "LISTMONK_LIST_IDS": (
        re.compile(r" *[1-9][0-9]* *(, *[1-9][0-9]* *)*"),
        "a comma-separated list of listmonk list ids (positive whole numbers) like 3,7",
    ),
}
API_VERSION = re.compile(r"v\d+|\d+\.\d+|api")


class PushError(OutputError):
    """The service cannot be reached or refused the push: exit code 1, with what to do."""

    def __init__(self, message: str):
        super().__init__(Problem(None, message))


class Uncertain(Exception):
    """A create left and no answer came: the object may or may not exist now."""


@dataclass(frozen=True)
class Write:
    """One request that changes something on the service, as a dry run lists it and a push sends it."""

    action: str  # "create", "update" or "delete"
    key: str
    method: str
    path: str
    body: Any
    encoding: str = "json"
    accept: tuple[int, ...] = ()  # statuses that mean this was done already (a retried create of a version)

    def entry(self, base_url: str) -> dict[str, Any]:
        return {
            "action": self.action,
            "object": self.key,
            "method": self.method,
            "url": redact(base_url) + self.path,
            "body": self.body,
        }


@dataclass
class Planned:
    """One object of the export: the manifest's request for it and the payload file's body."""

    key: str
    what: str
    request: dict[str, Any]
    body: Any
    kind: Kind


@dataclass
class Outcome:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # changed on the service; the user kept that version
    skipped: list[str] = field(default_factory=list)  # deleted on the service; the user chose not to recreate
    deleted: list[str] = field(default_factory=list)
    spared: list[str] = field(default_factory=list)  # `--prune` found it renamed there, or not made by push
    left: list[str] = field(default_factory=list)  # no longer in the course, left on the service (no --prune)
    links: list[tuple[str, str]] = field(default_factory=list)
    writes: list[Write] = field(default_factory=list)


class Channel(Protocol):
    """How requests reach one service: HTTP with the service's auth header, or an SDK."""

    base_url: str

    def send(self, write: Write, idempotent: bool) -> Any: ...

    def fetch(self, path: str) -> tuple[bool, Any]: ...

    def close(self) -> None: ...


def check_environment(variables: tuple[str, ...], env: Mapping[str, str]) -> None:
    """Each of `variables` that is set has its documented shape: it is about to go into a URL or a body."""
    for variable in variables:
        value = env.get(variable)
        shape = ENVIRONMENT_SHAPES.get(variable)
        if value and shape and not shape[0].fullmatch(value):
            raise EnvironmentFault(Problem(None, f"{variable}={value[:80]!r} is not {shape[1]}"))


def checked_base(variable: str, value: str, remote_paths: tuple[str, ...]) -> str:
    """A base URL override, made safe to put a request path after: https (or http to this machine only, since
    the key travels with every request), no query, and no API version push adds itself; trailing `/` dropped."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EnvironmentFault(Problem(None, f"{variable}={value!r} is not an http(s) URL"))
    if parts.scheme == "http" and parts.hostname not in LOOPBACK:
        raise EnvironmentFault(
            Problem(
                None,
                f"{variable}={value!r} would send the API key in clear text: use https:// (plain http is "
                "only for a server on this machine)",
            )
        )
    if parts.query or parts.fragment:
        raise EnvironmentFault(Problem(None, f"{variable}={value!r}: a base URL takes no '?' or '#' part"))
    path = parts.path.rstrip("/")
    last = path.rpartition("/")[2]
    added = {p.strip("/").partition("/")[0] for p in remote_paths}
    if last and last in added and API_VERSION.fullmatch(last):
        raise EnvironmentFault(
            Problem(
                None,
                f"{variable}={value!r} ends in /{last}, which push adds to every request itself: set it to "
                f"{urlunsplit((parts.scheme, parts.netloc, path.removesuffix('/' + last), '', ''))}",
            )
        )
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def api_base(remote: Remote, env: Mapping[str, str]) -> str:
    """The service's base URL: its override variable (checked), one derived from a credential, or the default."""
    check_environment(tuple(remote.inputs.values()), env)
    override = env.get(remote.url_env)
    if override:
        return checked_base(remote.url_env, override, tuple(kind.item for kind in remote.kinds.values()))
    return remote.base(env) or remote.base_url


def content_hash(write: Write) -> str:
    canonical = json.dumps([write.method, write.path, write.body], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def fingerprint(kind: Kind, body: Any, remote: Any) -> str:
    """What the service holds of the fields push sends (without those left to the user), as one hash."""
    view = kind.view(remote)
    fields = body.keys() if isinstance(body, dict) else ()
    seen = {name: view.get(name) if isinstance(view, dict) else None for name in fields if name not in kind.keep}
    if kind.version and isinstance(view, dict):
        seen[kind.version] = view.get(kind.version)
    canonical = json.dumps(seen, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def redact(url: str) -> str:
    """A URL without user and password in it."""
    parts = urlsplit(url)
    if parts.username or parts.password:
        host = parts.hostname or ""
        netloc = host + (f":{parts.port}" if parts.port else "")
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return url


def set_pointer(body: Any, pointer: str, value: Any) -> None:
    parts = pointer.strip("/").split("/")
    for part in parts[:-1]:
        body = body[int(part)] if isinstance(body, list) else body[part]
    last = parts[-1]
    if isinstance(body, list):
        body[int(last)] = value
    else:
        body[last] = value


class Resolver:
    """Fills `{course.sequence.id}`, `{01-welcome.template.id}` and `{input:domain}` from the state and the
    environment. In a dry run an id not created yet stays as its reference."""

    def __init__(self, remote: Remote, state: State, env: Mapping[str, str], dry_run: bool):
        self.remote = remote
        self.state = state
        self.env = env
        self.dry_run = dry_run
        self.base_url = ""

    def value(self, reference: str, this: Any = None) -> Any:
        if reference == "id" and this is not None:
            return this
        if reference == "base":
            return self.base_url
        if reference.startswith("input:"):
            name = reference.removeprefix("input:")
            variable = self.remote.inputs.get(name)
            raw = self.env.get(variable, "") if variable else ""
            if not raw:
                if self.dry_run:
                    return f"{{{variable or reference}}}"
                raise PushError(f"push {self.remote.target} needs {variable or name} in the environment")
            return [int(v) if v.strip().isdigit() else v.strip() for v in raw.split(",")] if name.endswith("s") else raw
        key, _, attribute = reference.rpartition(".")
        record = self.state.objects.get(key)
        if attribute == "id" and record and record.get("id") is not None:
            return record["id"]
        if self.dry_run:
            return f"{{{reference}}}"
        raise PushError(f"{self.remote.service}: {key} must exist before this request, and it does not")

    def path(self, template: str, this: Any = None, key: str = "") -> str:
        """`template` filled in; `{this.x.id}` names an object of the same email as `key`."""
        owner = key.rpartition(".")[0]
        if owner:
            template = template.replace("{this.", "{" + owner + ".")
        return REFERENCE.sub(lambda m: self.segment(m.group(1), this), template)

    def segment(self, reference: str, this: Any) -> str:
        """One filled reference, percent-encoded whole so an id can never add a path, a query or a `..`."""
        value = str(self.value(reference, this))
        if reference == "base" or (self.dry_run and PLACEHOLDER.fullmatch(value)):
            return value
        return quote(value, safe="")

    def body(self, planned: Planned) -> Any:
        body = copy.deepcopy(planned.body)
        for pointer, reference in (planned.request.get("fill") or {}).items():
            set_pointer(body, pointer, self.value(reference))
        return body


Confirm = Callable[[str], bool]


def check_ids(remote: Remote, state: State) -> None:
    """Every id in the state file has the shape its service gives, before any of them goes into a URL: the
    file is the user's to edit (or someone else's), so it is input like the syllabus."""
    problems = []
    for key, record in state.objects.items():
        kind = remote.kinds.get(key.rpartition(".")[2])
        if not isinstance(record, dict):
            problems.append(Problem(state.path, "expected a mapping", field=f"objects.{key}"))
            continue
        object_id = record.get("id")
        if kind is not None and object_id is not None and not kind.shape(object_id):
            problems.append(
                Problem(
                    state.path,
                    f"{json.dumps(object_id, ensure_ascii=False)[:80]} is not {kind.shape_help}, the shape of a "
                    f"{remote.service} {kind.label} id; restore the file or move it aside to start over",
                    field=f"objects.{key}.id",
                )
            )
    if problems:
        raise DripcourseError(problems)


def run(
    remote: Remote,
    channel: Channel | None,
    planned: list[Planned],
    state: State,
    env: Mapping[str, str],
    *,
    dry_run: bool,
    force: bool,
    prune: bool,
    confirm: Confirm,
    advance: Callable[[], None] = lambda: None,
) -> Outcome:
    check_ids(remote, state)
    resolve = Resolver(remote, state, env, dry_run)
    resolve.base_url = channel.base_url.rstrip("/") if channel is not None else ""
    outcome = Outcome()
    ask = (lambda question: True) if force else confirm

    def send(write: Write, idempotent: bool) -> Any:
        outcome.writes.append(write)
        if dry_run or channel is None:
            return None
        return channel.send(write, idempotent)

    def create(item: Planned, write: Write) -> None:
        try:
            reply = send(write, idempotent=False)
        except Uncertain:
            state.record(item.key, id=None, uncertain=True, hash=content_hash(write))
            raise PushError(
                f"{remote.service}: no answer after creating {item.what}; it may exist now. Run the push again: "
                f"it checks first{' by name' if item.kind.find else ' and asks'}"
            ) from None
        if dry_run:
            outcome.created.append(item.what)
            return
        new_id = item.kind.id_of(reply)
        remember(item, write, new_id)
        outcome.created.append(item.what)

    def remember(item: Planned, write: Write, object_id: Any) -> None:
        assert channel is not None
        found, remote_object = channel.fetch(resolve.path(item.kind.read or item.kind.item, object_id, item.key))
        print_ = fingerprint(item.kind, write.body, remote_object) if found else None
        version = None
        if found and item.kind.version:
            view = item.kind.view(remote_object)
            version = view.get(item.kind.version) if isinstance(view, dict) else None
        state.record(
            item.key,
            id=object_id,
            hash=content_hash(write),
            remote=print_,
            version=version,
            created_by_push=True,
            name=given_name(item.kind, write.body),
        )
        if item.kind.link:
            outcome.links.append((item.what, resolve.path(item.kind.link, object_id, item.key)))

    def update(item: Planned, write: Write, object_id: Any) -> None:
        body = strip(item.kind, write.body)
        if item.kind.update_body is not None:
            body = item.kind.update_body(write.body, content_hash(write))
        path = resolve.path(item.kind.update_path or item.kind.item, object_id, item.key)
        change = Write("update", item.key, item.kind.update, path, body, write.encoding, item.kind.repeated)
        try:
            send(change, idempotent=item.kind.update != "POST")
        except Uncertain:
            # The change may have been made: the next push sends it again instead of asking about it.
            state.record(item.key, **{**state.objects[item.key], "pending": True})
            raise PushError(f"{remote.service}: no answer after updating {item.what}; push again to finish") from None
        if not dry_run:
            remember(item, write, object_id)
        outcome.updated.append(item.what)

    for item in planned:
        body = resolve.body(item)
        write = Write(
            "create",
            item.key,
            item.request["method"],
            resolve.path(item.request["path"]),
            body,
            item.request.get("encoding", "json"),
        )
        record = state.objects.get(item.key)
        if record and record.get("uncertain") and not dry_run:
            record = adopt(remote, channel, resolve, item, write, ask)
            if record is not None:
                state.record(item.key, **record, created_by_push=True, name=given_name(item.kind, write.body))
        if record is None or record.get("uncertain"):
            create(item, write)
        elif dry_run:
            if record.get("hash") != content_hash(write):
                update(item, write, record["id"])
            else:
                outcome.unchanged.append(item.what)
        else:
            assert channel is not None
            object_id = record["id"]
            found, remote_object = channel.fetch(resolve.path(item.kind.read or item.kind.item, object_id, item.key))
            if not found:
                if ask(f"{remote.service}: {item.what} was deleted there since the last push. Create it again?"):
                    create(item, write)
                else:
                    outcome.skipped.append(item.what)
            elif not record.get("pending") and record.get("remote") not in (
                None,
                fingerprint(item.kind, write.body, remote_object),
            ):
                if ask(
                    f"{remote.service}: {item.what} was changed there since the last push. "
                    "Replace it with the course's version?"
                ):
                    update(item, write, object_id)
                else:
                    outcome.kept.append(item.what)
            elif record.get("hash") != content_hash(write):
                update(item, write, object_id)
            else:
                outcome.unchanged.append(item.what)
                if item.kind.link:
                    outcome.links.append((item.what, resolve.path(item.kind.link, object_id, item.key)))
        advance()

    wanted = {item.key for item in planned}
    leftovers = [k for k in state.objects if k not in wanted]
    leftovers.sort(key=lambda k: not getattr(remote.kinds.get(k.rpartition(".")[2]), "prune", False))
    for key in leftovers:
        if key not in state.objects:
            continue
        record = state.objects[key]
        kind = remote.kinds.get(key.rpartition(".")[2])
        if not prune or kind is None or not kind.prune or record.get("id") is None:
            outcome.left.append(key)
            continue
        if not record.get("created_by_push") or (kind.name_field and not isinstance(record.get("name"), str)):
            outcome.spared.append(f"{key} (the state file does not say push made it)")
            continue
        if channel is not None:
            # What is deleted must still be what push made: read it back, and its name must be the one push gave.
            found, remote_object = channel.fetch(resolve.path(kind.read or kind.item, record["id"], key))
            view = kind.view(remote_object) if found else None
            now = view.get(kind.name_field) if kind.name_field and isinstance(view, dict) else record.get("name")
            if found and now != record.get("name"):
                outcome.spared.append(f"{key} (named {json.dumps(now)} there, not {json.dumps(record.get('name'))})")
                continue
        else:
            found = True
        if found:
            send(Write("delete", key, "DELETE", resolve.path(kind.item, record["id"], key), None), idempotent=True)
        outcome.deleted.append(key)
        if not dry_run:
            state.forget(key)
            # What lives inside the deleted object (a template's versions) went with it.
            owner = key.rpartition(".")[0]
            for inner in [k for k in state.objects if k.rpartition(".")[0] == owner and k not in wanted]:
                state.forget(inner)
    return outcome


def given_name(kind: Kind, body: Any) -> Any:
    """The name (alias, subject, slug) push gave an object, from its create body: what `--prune` checks."""
    return body.get(kind.name_field) if kind.name_field and isinstance(body, dict) else None


def strip(kind: Kind, body: Any) -> Any:
    if isinstance(body, dict) and kind.keep:
        return {k: v for k, v in body.items() if k not in kind.keep}
    return body


def adopt(
    remote: Remote, channel: Channel | None, resolve: Resolver, item: Planned, write: Write, ask: Confirm
) -> dict[str, Any] | None:
    """After a create whose answer never came: find the object by its name, or ask before creating it again."""
    if channel is not None and item.kind.find is not None:
        found, reply = channel.fetch(resolve.path(item.kind.find(write.body), None, item.key))
        remote_object = item.kind.pick(reply, write.body) if found else None
        if remote_object is not None:
            object_id = item.kind.id_of(remote_object)
            return {"id": object_id, "hash": None, "remote": fingerprint(item.kind, write.body, remote_object)}
        return None
    if ask(
        f"{remote.service}: the last push may have created {item.what} before the connection dropped. "
        "Create it (again)?"
    ):
        return None
    raise PushError(f"{remote.service}: check whether {item.what} exists, then push again (or push --force)")


class HttpChannel:
    """JSON (or form fields) over HTTP(S), through the drip sender's connection code, with bounded retries:
    a 429 waits for its Retry-After, a 5xx, a refused connection or a timeout on a read backs off and tries
    again; a create that left without an answer is not sent twice."""

    def __init__(
        self,
        remote: Remote,
        env: Mapping[str, str],
        sleep: Callable[[float], None] = time.sleep,
        timeout: float | None = None,
    ):
        missing = [name for name in remote.credentials if not env.get(name)]
        if missing:
            raise PushError(
                f"push {remote.target} needs {' and '.join(missing)} in the environment ({remote.auth_help})"
            )
        self.remote = remote
        self.base_url = api_base(remote, env)
        self.api = HttpApi(self.base_url, remote.headers(env), remote.service)
        if timeout is not None:
            self.api.timeout = timeout
        self.sleep = sleep

    def call(self, method: str, path: str, body: Any, encoding: str, idempotent: bool) -> Response:
        delay = FIRST_BACKOFF_SECONDS
        last = ""
        for attempt in range(1, MAX_TRIES + 1):
            try:
                if encoding == "form" and body is not None:
                    fields = [(name, "", str(value).encode("utf-8")) for name, value in body.items()]
                    data, content_type = form_data(fields)
                    reply = self.api.request(method, path, data, content_type=content_type)
                else:
                    reply = self.api.request(method, path, body)
            except Transient as exc:
                last = exc.reason
            except Unknown as exc:
                if not idempotent:
                    raise Uncertain(exc.reason) from None
                last = exc.reason
            else:
                if reply.status in (401, 403):
                    raise PushError(
                        f"{self.remote.service} refused the credentials ({reply.status}: "
                        f"{self.remote.message(reply.json())}); check {self.remote.auth_help}"
                    )
                if reply.status == 429:
                    wait = self.remote.wait(reply)
                    last = f"{self.remote.service} asked to slow down (429)"
                    if attempt < MAX_TRIES:
                        self.sleep(min(wait if wait is not None else delay, MAX_WAIT_SECONDS))
                    delay *= 2
                    continue
                if reply.status < 500:
                    return reply
                last = f"{self.remote.service} answered {reply.status}: {self.remote.message(reply.json())}"
            if attempt < MAX_TRIES:
                self.sleep(delay)
            delay *= 2
        raise PushError(f"{last} ({MAX_TRIES} tries); nothing after this was sent. Push again later")

    def send(self, write: Write, idempotent: bool) -> Any:
        reply = self.call(write.method, write.path, write.body, write.encoding, idempotent)
        if write.action == "delete" and self.remote.missing(reply.status, reply.json()):
            return None  # gone already: a retried delete, or deleted there
        if reply.status in write.accept:
            return reply.json()
        if not 200 <= reply.status < 300:
            raise PushError(
                f"{self.remote.service} refused {write.method} {write.path} ({reply.status}): "
                f"{self.remote.message(reply.json())}"
            )
        return reply.json()

    def fetch(self, path: str) -> tuple[bool, Any]:
        reply = self.call("GET", path, None, "json", idempotent=True)
        body = reply.json()
        if self.remote.missing(reply.status, body):
            return False, None
        if not 200 <= reply.status < 300:
            raise PushError(f"{self.remote.service} refused GET {path} ({reply.status}): {self.remote.message(body)}")
        return True, body

    def close(self) -> None:
        self.api.close()
