"""Every JSON file dripcourse writes goes through here, so they all read alike: two-space indents, UTF-8 text as
written (no \\u escapes), and a final newline."""

from __future__ import annotations

import json


def json_bytes(value: object) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
