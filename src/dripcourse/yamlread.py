"""Read YAML as nodes, so every value keeps the line and column it came from.

Scalars are read from their raw text, never through YAML 1.1's guesses: `language: no` stays the string
"no" and `send_time: 8:00` stays a time, not the number 480.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from dripcourse.errors import DripcourseError, Problem, did_you_mean

T = TypeVar("T")

CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]")
SURROGATE = re.compile("[\ud800-\udfff]")
# What the YAML reader refuses (YAML 1.1's printable set), found first so the message can give line and column.
YAML_UNREADABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


# libyaml's parser gives the same nodes and marks as PyYAML's own, some forty times faster (a syllabus: 1.5 ms
# against 60 ms), which is most of a rebuild under `serve`; PyYAML without libyaml falls back to its own.
FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


MAX_NESTING = 200  # levels of lists and mappings; a syllabus uses six


def plain_styles(root: Node | None) -> Node | None:
    """libyaml marks a plain scalar with style '' where PyYAML's parser uses None; the reader expects None.
    Each node is visited once, however many aliases point at it (an alias bomb stays cheap); nesting deeper than
    MAX_NESTING raises RecursionError, as PyYAML's own composer does far deeper."""
    seen: set[int] = set()
    todo = [(root, 0)] if root is not None else []
    while todo:
        node, depth = todo.pop()
        if id(node) in seen:
            continue
        if depth > MAX_NESTING:
            raise RecursionError("YAML nested too deeply")
        seen.add(id(node))
        if isinstance(node, ScalarNode) and node.style == "":
            node.style = None
        elif isinstance(node, SequenceNode):
            todo.extend((item, depth + 1) for item in node.value)
        elif isinstance(node, MappingNode):
            todo.extend((part, depth + 1) for pair in node.value for part in pair)
    return root


def compose(text: str, file: Path | str, line_offset: int = 0) -> Node | None:
    """Parse YAML text into a node tree, turning syntax errors into a Problem with file and line."""
    bad = YAML_UNREADABLE.search(text)
    if bad:
        name = unicodedata.name(bad.group(), "").lower() or "a control character"
        message = f"the character U+{ord(bad.group()):04X} ({name}) is not allowed in YAML; remove it"
        at = bad.start()
        raise DripcourseError(
            Problem(file, message, text.count("\n", 0, at) + 1 + line_offset, at - text.rfind("\n", 0, at))
        )
    try:
        try:
            return plain_styles(yaml.compose(text, Loader=FAST_LOADER))
        except yaml.YAMLError:
            pass  # the pure-Python parser below words the error as dripcourse reports it
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except RecursionError:  # from either parser
        raise DripcourseError(
            Problem(file, "YAML nested too deeply; a syllabus needs only a few levels of lists and mappings")
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reason = exc.problem or exc.context or "not valid YAML"
        line = mark.line + 1 + line_offset if mark else None
        column = mark.column + 1 if mark else None
        raise DripcourseError(Problem(file, f"YAML syntax error: {reason}", line, column)) from None
    except yaml.YAMLError as exc:
        raise DripcourseError(Problem(file, f"YAML error: {exc}")) from None


class NodeReader:
    """Turns nodes into checked values, collecting every problem instead of stopping at the first."""

    def __init__(self, file: Path | str, line_offset: int = 0):
        self.file = file
        self.line_offset = line_offset
        self.problems: list[Problem] = []

    def where(self, node: Node) -> tuple[int, int]:
        return node.start_mark.line + 1 + self.line_offset, node.start_mark.column + 1

    def report(self, node: Node | None, field: str, message: str) -> None:
        line, column = self.where(node) if node is not None else (None, None)
        self.problems.append(Problem(self.file, message, line, column, field or None))

    def mapping(
        self, node: Node | None, field: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()
    ) -> dict[str, Node]:
        """Keys of a mapping node; reports unknown, duplicate and missing keys."""
        if node is None:
            return {}
        if not isinstance(node, MappingNode):
            self.report(node, field, f"must be a mapping of {', '.join(allowed)}, got {describe(node)}")
            return {}
        found: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            child = f"{field}.{key}" if field else str(key)
            if key is None:
                self.report(key_node, field, "keys must be plain names")
            elif key in found:
                self.report(key_node, child, "is given twice")
            elif key not in allowed:
                self.report(key_node, child, f"unknown field{did_you_mean(key, allowed)}")
            else:
                found[key] = value_node
        for key in required:
            if key not in found:
                self.report(node, field, f"missing required field '{key}'")
        return found

    def sequence(self, node: Node | None, field: str) -> list[Node]:
        if node is None:
            return []
        if isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:null":
            return []
        if not isinstance(node, SequenceNode):
            self.report(node, field, f"must be a list, got {describe(node)}")
            return []
        return list(node.value)

    def text(self, node: Node | None, field: str, *, single_line: bool = True, required: bool = False) -> str | None:
        """A string. Single-line strings (names, subjects, addresses) may hold no control characters."""
        if node is None:
            return None
        if not isinstance(node, ScalarNode):
            self.report(node, field, f"must be text, got {describe(node)}")
            return None
        if node.tag == "tag:yaml.org,2002:null" and node.style is None:
            if required:
                self.report(node, field, "must not be empty")
            return None
        value: str = node.value
        if SURROGATE.search(value):
            # A JSON-style escape pair ("\\ud83d\\ude00") reaches PyYAML as two halves: join them into the one
            # character they spell; a half on its own is no character at all.
            value = value.encode("utf-16", "surrogatepass").decode("utf-16", "surrogatepass")
            lone = SURROGATE.search(value)
            if lone:
                self.report(
                    node, field, f"holds \\u{ord(lone.group()):04x}, half of a surrogate pair; write the character"
                )
                return None
        if single_line:
            bad = CONTROL_CHARS.search(value)
            if bad:
                self.report(node, field, f"contains a control character ({bad.group()!r}); it must be one line")
                return None
            value = value.strip()
        elif "\x00" in value:
            self.report(node, field, "contains a NUL character")
            return None
        if required and not value.strip():
            self.report(node, field, "must not be empty")
            return None
        return value

    def parsed(self, node: Node | None, field: str, parse: Callable[[str], T], expected: str) -> T | None:
        """A scalar turned into a value by `parse`, which raises ValueError on bad input."""
        raw = self.text(node, field)
        if raw is None or node is None:
            return None
        try:
            return parse(raw)
        except ValueError:
            self.report(node, field, f"must be {expected}, got {raw!r}")
            return None


def describe(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return f"{node.value!r}"


def parse_int(raw: str) -> int:
    if not re.fullmatch(r"[+-]?\d+", raw):
        raise ValueError(raw)
    return int(raw)


def parse_bool(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in ("true", "yes", "on"):
        return True
    if lowered in ("false", "no", "off"):
        return False
    raise ValueError(raw)
