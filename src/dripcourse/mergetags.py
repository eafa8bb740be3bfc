"""Merge tags: the per-subscriber values a mailing service fills in at send time.

Course text writes them in one neutral form, `{{ first_name }}` or `{{ first_name | friend }}` (with a
fallback for subscribers whose field is empty). Rendering swaps each one for an opaque token that survives
Markdown, Jinja and premailer untouched; each output (preview, export target, test send) then fills the
tokens in its own dialect.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

KNOWN = ("first_name", "email", "unsubscribe_url", "postal_address")

NEUTRAL = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\|\s*([^{}|]*?)\s*)?\}\}")
TOKEN = re.compile(r"dcmt-(\d+)-dcmt")


@dataclass(frozen=True)
class MergeTag:
    name: str
    fallback: str


def unknown_tags(text: str) -> list[str]:
    """Names in `{{ ... }}` that are not merge tags this tool knows."""
    return [m.group(1) for m in NEUTRAL.finditer(text) if m.group(1) not in KNOWN]


class TagRegistry:
    """Hands out tokens for the merge tags of one email and remembers what each stands for."""

    def __init__(self) -> None:
        self.tags: list[MergeTag] = []

    def token(self, name: str, fallback: str = "") -> str:
        if name not in KNOWN:
            raise ValueError(f"unknown merge tag {name!r}")
        tag = MergeTag(name, fallback)
        if tag not in self.tags:
            self.tags.append(tag)
        return f"dcmt-{self.tags.index(tag)}-dcmt"

    def tokenize(self, text: str) -> str:
        """Replace neutral `{{ tag | fallback }}` forms in course text with tokens."""
        return NEUTRAL.sub(lambda m: self.token(m.group(1), m.group(2) or ""), text)


def fill(text: str, tags: tuple[MergeTag, ...], write: Callable[[MergeTag], str]) -> str:
    """Replace every token with what `write` makes of its merge tag."""
    return TOKEN.sub(lambda m: write(tags[int(m.group(1))]), text)
