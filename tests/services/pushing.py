"""Shared steps of the push tests: a course folder of its own, a push against a local API server, and the
requests that changed something there."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from dripcourse.push import PushReport, push
from dripcourse.push.state import state_path
from services.httpbase import ApiServer, Request

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PREVIEW = date(2026, 3, 2)


@dataclass
class Pusher:
    root: Path
    target: str
    server: ApiServer
    env: dict[str, str]
    sleeps: list[float] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    answer: bool = False

    def __post_init__(self) -> None:
        self.course = self.root / "course"
        if not self.course.exists():
            shutil.copytree(FIXTURES / "mini", self.course)

    def push(self, **options: Any) -> PushReport:
        def confirm(question: str) -> bool:
            self.questions.append(question)
            return self.answer

        return push(
            self.target,
            self.course,
            self.env,
            preview=PREVIEW,
            confirm=confirm,
            sleep=self.sleeps.append,
            timeout=options.pop("timeout", 2.0),
            **options,
        )

    def edit(self, old: str, new: str) -> None:
        syllabus = self.course / "syllabus.yaml"
        text = syllabus.read_text(encoding="utf-8")
        assert old in text
        syllabus.write_text(text.replace(old, new), encoding="utf-8")

    def state(self) -> dict[str, Any]:
        return json.loads(state_path(self.course, self.target).read_text(encoding="utf-8"))["objects"]

    def writes(self, since: int = 0) -> list[Request]:
        return [r for r in self.server.requests[since:] if r.method != "GET"]

    def dry_run_listing(self) -> list[dict[str, Any]]:
        path = self.course / "push-state" / f"{self.target}.dry-run.json"
        return json.loads(path.read_text(encoding="utf-8"))


def body_of(request: Request) -> Any:
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        from services.mailgun import form_fields

        return {name: value.decode("utf-8") for name, value in form_fields(request).items()}
    return request.json() if request.body else None


def fill_references(value: Any, ids: dict[str, Any]) -> Any:
    """A dry run's `{course.sequence.id}` placeholders replaced by the ids the real push was given."""
    if isinstance(value, str):
        whole = re.fullmatch(r"\{([^{}]+)\.id\}", value)
        if whole and whole.group(1) in ids:
            return ids[whole.group(1)]
        return re.sub(r"\{([^{}]+)\.id\}", lambda m: str(ids.get(m.group(1), m.group(0))), value)
    if isinstance(value, list):
        return [fill_references(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: fill_references(v, ids) for k, v in value.items()}
    return value


def same_as_sent(pusher: Pusher, listing: list[dict[str, Any]], sent: list[Request]) -> None:
    """The dry run listed exactly the requests the push then sent: method, path and body."""
    ids = {key: record["id"] for key, record in pusher.state().items()}
    planned = [
        (entry["method"], fill_references(entry["url"], ids).removeprefix(pusher.server.url), entry["body"])
        for entry in listing
    ]
    planned = [(m, p, fill_references(b, ids)) for m, p, b in planned]
    actual = [(r.method, r.path, body_of(r)) for r in sent]
    assert [(m, p) for m, p, _ in planned] == [(m, p) for m, p, _ in actual]
    assert planned == actual
