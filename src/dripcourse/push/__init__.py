"""`dripcourse push TARGET`: the export's requests sent to the service, safely repeatable.

The payloads are exactly the files `dripcourse export TARGET` writes (built in memory by the same writer);
`services.py` says per service how to read back, update and delete what they create, and `engine.py` runs them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from dripcourse.build import load_course, render_course
from dripcourse.errors import DripcourseError, Problem, did_you_mean
from dripcourse.jsonfile import json_bytes
from dripcourse.outputs import write_file
from dripcourse.push.engine import Channel, Confirm, HttpChannel, Outcome, Planned, PushError, api_base, redact, run
from dripcourse.push.model import Remote
from dripcourse.push.state import State, state_path


def remotes() -> dict[str, Remote]:
    from dripcourse.push.services import REMOTES

    return dict(REMOTES)


@dataclass
class PushReport:
    remote: Remote
    base_url: str
    outcome: Outcome
    planned: int
    manual: list[str]
    state_file: Path
    dry_run_file: Path | None = None


def plan(
    remote: Remote,
    files: dict[str, bytes],
    manifest: dict[str, Any],
    stems: list[str],
    slugs: list[str],
    title: str,
) -> list[Planned]:
    """The export's objects in the manifest's order: course-wide ones, each email's, then the closing ones.
    An email's objects are keyed by its slug, so removing or moving an email re-keys nothing."""
    entries: list[tuple[str, str, dict[str, Any]]] = [("course", f"'{title}'", r) for r in manifest["before"]]
    for email, stem, slug in zip(manifest["emails"], stems, slugs, strict=True):
        entries += [(slug, stem, r) for r in email["requests"]]
    entries += [("course", f"'{title}'", r) for r in manifest["after"]]
    planned = []
    for owner, name, request in entries:
        if request["key"] in remote.skip:
            continue
        kind = remote.kinds[request["key"]]
        body = json.loads(files[request["body"]])
        planned.append(Planned(f"{owner}.{request['key']}", f"{kind.label} {name}", request, body, kind))
    return planned


def push(
    target: str,
    course_dir: Path,
    env: Mapping[str, str],
    *,
    preview: date,
    dry_run: bool = False,
    force: bool = False,
    prune: bool = False,
    fresh_state: bool = False,
    confirm: Confirm = lambda question: False,
    progress: Callable[[int], Any] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    timeout: float | None = None,
) -> PushReport:
    """Push the course's export for `target`. `progress(total)` returns a callable advanced once per object."""
    from dripcourse.exports.services import TARGETS
    from dripcourse.exports.writer import export_files

    available = remotes()
    if target in TARGETS and target not in available:
        raise DripcourseError(
            Problem(
                None,
                f"push cannot load the {target} export: {TARGETS[target].service} takes it by hand, not through "
                f"an API; `dripcourse export {target}` writes the files and its README.txt lists the steps",
            )
        )
    if target not in available:
        names = ", ".join(sorted(available))
        raise DripcourseError(
            Problem(None, f"push has no target '{target}'{did_you_mean(target, available)}; choose one of {names}")
        )
    remote = available[target]
    loaded = load_course(course_dir)
    emails = render_course(loaded, preview)
    files = export_files(TARGETS[target], loaded, emails, today=preview)
    manifest = json.loads(files["manifest.json"])
    stems = [e.rendered.lesson.file_stem for e in emails]
    slugs = [e.rendered.lesson.email.slug for e in emails]
    planned = plan(remote, files, manifest, stems, slugs, loaded.syllabus.course.title)
    base_url = dry_run_base(remote, env)
    here = {"base_url": redact(base_url), **({"account": account} if (account := remote.account(env)) else {})}
    path = state_path(course_dir, target)
    if fresh_state and path.exists() and not dry_run:
        path.replace(path.with_name(f"{target}.before-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"))
    state = State(path, target) if fresh_state else State.load(path, target)
    if not (dry_run and base_url == remote.base_url and "account" not in here):
        state.bind(here)  # a dry run without credentials or a URL says nothing about where it would go
    state.rekey(slugs, save=not dry_run)
    channel = None if dry_run else open_channel(remote, env, sleep, timeout)
    advance = progress(len(planned)) if progress else (lambda: None)
    try:
        outcome = run(
            remote,
            channel,
            planned,
            state,
            env,
            stems=dict(zip(stems, slugs, strict=True)),
            dry_run=dry_run,
            force=force,
            prune=prune,
            confirm=confirm,
            advance=advance,
        )
    finally:
        if channel is not None:
            channel.close()
    report = PushReport(remote, base_url, outcome, len(planned), remote.manual(manifest), state.path)
    if dry_run:
        report.dry_run_file = course_dir / "push-state" / f"{target}.dry-run.json"
        report.dry_run_file.parent.mkdir(parents=True, exist_ok=True)
        listing = [write.entry(base_url) for write in outcome.writes]
        write_file(report.dry_run_file, json_bytes(listing))
    return report


def dry_run_base(remote: Remote, env: Mapping[str, str]) -> str:
    if remote.target == "ses":
        from dripcourse.push.ses import endpoint

        return endpoint(env)
    return api_base(remote, env)


def open_channel(
    remote: Remote, env: Mapping[str, str], sleep: Callable[[float], None], timeout: float | None
) -> Channel:
    if remote.target == "ses":
        from dripcourse.push.ses import SesChannel

        return SesChannel(env, sleep, timeout)
    return HttpChannel(remote, env, sleep, timeout)


def body_summary(body: Any) -> str:
    """A line about a request body: its short fields as JSON (so 3, true and "3" differ), its long ones by size."""
    if not isinstance(body, dict):
        return "" if body is None else f"{len(json.dumps(body)):,} bytes"
    parts = []
    for name, value in body.items():
        text = json.dumps(value, ensure_ascii=False)
        parts.append(f"{name}={text}" if len(text) <= 40 else f"{name}=<{len(text.encode('utf-8')):,} bytes>")
    return ", ".join(parts)


__all__ = ["PushError", "PushReport", "body_summary", "push", "remotes"]
