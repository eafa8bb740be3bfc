"""The push state file: what a push created on a service, so the next push updates instead of duplicating.

`COURSE_DIR/push-state/TARGET.json` maps each object (`course.sequence`, `01-welcome.email`, ...) to its remote
id, a hash of the request last sent for it and a fingerprint of the object as the service stored it. It is
written after every request that changed something on the service (to a temporary file, then renamed), so an
interrupted push leaves a true record of what exists.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dripcourse.errors import DripcourseError, Problem

STATE_FORMAT = "dripcourse-push/1"


def state_path(course_dir: Path, target: str) -> Path:
    return course_dir / "push-state" / f"{target}.json"


@dataclass
class State:
    path: Path
    target: str
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)

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
        return cls(path, target, objects)

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"format": STATE_FORMAT, "target": self.target, "objects": self.objects}
        partial = self.path.with_name(f".{self.path.name}.partial")
        with partial.open("w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        partial.replace(self.path)

    def record(self, key: str, **values: Any) -> None:
        self.objects[key] = values
        self.save()

    def forget(self, key: str) -> None:
        self.objects.pop(key, None)
        self.save()
