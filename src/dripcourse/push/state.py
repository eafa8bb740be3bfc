"""The push state file: what a push created on a service, so the next push updates instead of duplicating.

`COURSE_DIR/push-state/TARGET.json` maps each object (`course.sequence`, `welcome.email`, ...) to its remote
id, a hash of the request last sent for it and a fingerprint of the object as the service stored it. It is
written after every request that changed something on the service (to a temporary file, then renamed), so an
interrupted push leaves a true record of what exists.

The file also says where those objects live (`bound_to`: the base URL and the account, server, domain or region,
a credential only as a short hash), so a push to another account never reads, updates or deletes by its ids.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dripcourse.errors import DripcourseError, Problem
from dripcourse.outputs import write_file

STATE_FORMAT = "dripcourse-push/1"


def state_path(course_dir: Path, target: str) -> Path:
    return course_dir / "push-state" / f"{target}.json"


@dataclass
class State:
    path: Path
    target: str
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    bound_to: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path, target: str) -> State:
        if not path.exists():
            return cls(path, target)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise DripcourseError(Problem(path, f"is not a push state file dripcourse can read ({exc})")) from None
        if not isinstance(data, dict) or data.get("format") != STATE_FORMAT or data.get("target") != target:
            raise DripcourseError(Problem(path, f"is not a {STATE_FORMAT} state file for target '{target}'"))
        objects = data.get("objects")
        if not isinstance(objects, dict):
            raise DripcourseError(Problem(path, "objects: expected a mapping"))
        bound_to = data.get("bound_to", {})
        if not isinstance(bound_to, dict) or not all(isinstance(v, str) for v in bound_to.values()):
            raise DripcourseError(Problem(path, "expected a mapping of text", field="bound_to"))
        return cls(path, target, objects, bound_to)

    def bind(self, here: dict[str, str]) -> None:
        """Refuse a state file made for another service account; a file with no binding yet takes this one."""
        if not self.objects:
            self.bound_to = dict(here)
            return
        differ = [name for name, value in here.items() if name in self.bound_to and self.bound_to[name] != value]
        if differ:
            then = ", ".join(f"{name} {self.bound_to[name]}" for name in differ)
            now = ", ".join(f"{name} {here[name]}" for name in differ)
            raise DripcourseError(
                Problem(
                    self.path,
                    f"records objects made at {then}, and this push goes to {now}; its ids mean nothing there. "
                    "Move the file aside, or pass --fresh-state (which does that) to start over there",
                    field="bound_to",
                )
            )
        self.bound_to = {**self.bound_to, **here}

    def rekey(self, slugs: list[str], save: bool) -> None:
        """Move records keyed by an email's position and slug (`02-water.template`, as older pushes kept them)
        to the slug alone (`water.template`), so the email keeps its objects wherever it moves."""
        wanted = set(slugs)
        moved = False
        for key in list(self.objects):
            owner, _, kind = key.rpartition(".")
            old = re.fullmatch(r"\d{2,}-(.+)", owner)
            if old and owner not in wanted and old.group(1) in wanted and f"{old.group(1)}.{kind}" not in self.objects:
                self.objects[f"{old.group(1)}.{kind}"] = self.objects.pop(key)
                moved = True
        if moved and save:
            self.save()

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"format": STATE_FORMAT, "target": self.target, "bound_to": self.bound_to, "objects": self.objects}
        write_file(self.path, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode("utf-8"))

    def record(self, key: str, **values: Any) -> None:
        self.objects[key] = values
        self.save()

    def forget(self, key: str) -> None:
        self.objects.pop(key, None)
        self.save()
