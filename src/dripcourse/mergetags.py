"""Merge tags: the per-subscriber values a mailing service (or dripcourse itself) fills in at send time.

Course text writes them in one neutral form, `{{ first_name }}` or `{{ first_name | friend }}` (with a
fallback for subscribers whose field is empty). Rendering swaps each one for an opaque token that survives
Markdown, Jinja and premailer untouched; every output (the preview files, each export dialect, test sends,
per-subscriber sends) then fills the tokens through `fill`, the one place that does it, with a writer that says
what a tag becomes in each context: plain text, HTML, or a URL attribute (`href`, `src`).

Tokens carry a nonce derived from everything the email is rendered from and checked to occur in none of it,
so no text a user writes (in a source, the syllabus or a template) can ever be taken for a token.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from urllib.parse import quote

from markupsafe import escape

from dripcourse.errors import did_you_mean

KNOWN = ("first_name", "email", "unsubscribe_url", "postal_address")
DEFAULT_FALLBACK = {"first_name": "there"}  # `{{ first_name }}` written without a fallback

# `{{ name }}` or `{{ name | fallback }}`. Linear: no two unbounded parts can match the same characters.
NEUTRAL = re.compile(r"\{\{[ \t]*([A-Za-z_][A-Za-z0-9_]*)[ \t]*(?:\|([^{}|\r\n]*))?\}\}")
TOKEN_PREFIX = "dcmt"
NONCE_LENGTH = 16


class Context(Enum):
    """Where a merge tag lands, which decides how its value is escaped."""

    TEXT = "text"  # a plain-text part or a header
    HTML = "html"  # HTML element content or an ordinary attribute value
    URL = "url"  # the value of an href or src attribute
    TEXT_URL = "text-url"  # a link written out in a plain-text part


@dataclass(frozen=True)
class MergeTag:
    name: str
    fallback: str


@dataclass(frozen=True)
class Tags:
    """The merge tags of one rendered email and the nonce of its tokens."""

    nonce: str
    items: tuple[MergeTag, ...] = ()

    def __iter__(self) -> Iterator[MergeTag]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> MergeTag:
        return self.items[index]

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(f"{TOKEN_PREFIX}{self.nonce}t([0-9]+)e")


FILLED_IN = (
    "this text is the same for every subscriber; merge tags are filled in the greeting, intro, sections, action, "
    "journal, outro and button"
)

# Where a dripcourse merge tag opens: `{{`, optional blanks, a known name, then anything but a name character.
OPENING = re.compile(r"\{\{[ \t]*(" + "|".join(KNOWN) + r")(?![A-Za-z0-9_])")


def unknown_tags(text: str) -> list[str]:
    """Names in `{{ ... }}` that are not merge tags this tool knows."""
    return [m.group(1) for m in NEUTRAL.finditer(text) if m.group(1) not in KNOWN]


def malformed_tags(text: str) -> list[tuple[int, str]]:
    """(offset, message) for every place that opens as one of our merge tags but does not parse as one.

    Such text would otherwise reach the subscriber as literal braces; every string either parses as text with
    merge tags or is an input error here.
    """
    found = []
    for match in OPENING.finditer(text):
        whole = NEUTRAL.match(text, match.start())
        if whole is not None:
            continue
        name = match.group(1)
        if "}}" not in text[match.end() :].split("\n", 1)[0]:
            why = "is not closed with '}}' on its line"
        else:
            why = (
                f"does not parse: write {{{{ {name} }}}} or {{{{ {name} | fallback }}}}, "
                "a fallback without '{', '}' or '|'"
            )
        found.append((match.start(), f"merge tag '{{{{ {name}' {why}"))
    return found


def tag_problems(text: str, not_filled: str | None = None) -> list[tuple[int, str]]:
    """(offset, message) for every unknown or malformed merge tag in `text`, in order; with `not_filled` (where the
    text is, as "here" or "in a heading"), for every merge tag at all, as none is filled there."""
    found = malformed_tags(text)
    for match in NEUTRAL.finditer(text):
        name = match.group(1)
        if name not in KNOWN:
            found.append((match.start(), f"unknown merge tag '{name}'{did_you_mean(name, KNOWN)}"))
        elif not_filled is not None:
            found.append((match.start(), f"merge tag '{name}' is not filled {not_filled}: {FILLED_IN}"))
    return sorted(found)


def nonce_for(texts: Iterable[str]) -> str:
    """A token nonce that occurs in none of `texts` (everything an email is rendered from)."""
    material = list(texts)
    digest = hashlib.sha256("\0".join(material).encode("utf-8", "surrogatepass"))
    while True:
        nonce = digest.hexdigest()[:NONCE_LENGTH]
        if not any(f"{TOKEN_PREFIX}{nonce}" in text for text in material):
            return nonce
        digest.update(b"\0")


@dataclass
class TagRegistry:
    """Hands out tokens for the merge tags of one email and remembers what each stands for."""

    nonce: str
    tags: list[MergeTag] = field(default_factory=list)

    def token(self, name: str, fallback: str = "") -> str:
        if name not in KNOWN:
            raise ValueError(f"unknown merge tag {name!r}")
        # The one default: every output (preview, .eml, each export, each send) sees this fallback.
        tag = MergeTag(name, fallback or DEFAULT_FALLBACK.get(name, ""))
        if tag not in self.tags:
            self.tags.append(tag)
        return f"{TOKEN_PREFIX}{self.nonce}t{self.tags.index(tag)}e"

    def tokenize(self, text: str) -> str:
        """Replace neutral `{{ tag | fallback }}` forms in course text with tokens."""
        return NEUTRAL.sub(lambda m: self.token(m.group(1), (m.group(2) or "").strip()), text)

    def frozen(self) -> Tags:
        return Tags(self.nonce, tuple(self.tags))


Writer = Callable[[MergeTag, Context], str]

# A tag, a comment or a run of text: how `fill` finds the context of each token in HTML.
HTML_PIECE = re.compile(r"<!--(.*?)-->|(<[A-Za-z][^>]*>)", re.S)
ATTRIBUTE = re.compile(r"""([A-Za-z_:][-A-Za-z0-9_:.]*)(\s*=\s*)("[^"]*"|'[^']*')""")
URL_ATTRIBUTES = frozenset({"href", "src", "action", "background", "poster", "cite"})


def fill(text: str, tags: Tags, write: Writer, html: bool) -> str:
    """Replace every token in `text` with what `write` makes of its merge tag in the token's context."""
    pattern = tags.pattern

    def put(piece: str, context: Context) -> str:
        return pattern.sub(lambda m: write(tags[int(m.group(1))], context), piece)

    if not html:
        return fill_text(text, put)
    return fill_html(text, put)


# A link written out in a plain-text part, as the text template writes them (and a reader's client finds them).
TEXT_LINK = re.compile(r"https?://[^\s<>\"]+")


def fill_text(text: str, put: Callable[[str, Context], str]) -> str:
    out: list[str] = []
    position = 0
    for match in TEXT_LINK.finditer(text):
        out.append(put(text[position : match.start()], Context.TEXT))
        out.append(put(match.group(), Context.TEXT_URL))
        position = match.end()
    out.append(put(text[position:], Context.TEXT))
    return "".join(out)


def fill_html(html: str, put: Callable[[str, Context], str]) -> str:
    out: list[str] = []
    position = 0
    for match in HTML_PIECE.finditer(html):
        out.append(put(html[position : match.start()], Context.HTML))
        comment, tag = match.group(1), match.group(2)
        if tag is not None:
            out.append(fill_tag(tag, put))
        else:
            # Outlook's conditional comments hold HTML that Outlook renders: fill it as HTML.
            out.append("<!--" + fill_html(comment, put) + "-->")
        position = match.end()
    out.append(put(html[position:], Context.HTML))
    return "".join(out)


def fill_tag(tag: str, put: Callable[[str, Context], str]) -> str:
    out: list[str] = []
    position = 0
    for match in ATTRIBUTE.finditer(tag):
        name, equals, value = match.groups()
        context = Context.URL if name.lower() in URL_ATTRIBUTES else Context.HTML
        out.append(put(tag[position : match.start()], Context.HTML))
        out.append(name + equals + value[0] + put(value[1:-1], context) + value[-1])
        position = match.end()
    out.append(put(tag[position:], Context.HTML))
    return "".join(out)


def value_writer(value: Callable[[MergeTag], str]) -> Writer:
    """A writer for known values (the preview, a test send, one subscriber), escaped for each context.

    In a URL attribute a subscriber's value or a fallback is percent-encoded, so it can never add a scheme
    (`javascript:`) or leave the attribute; the unsubscribe URL is the link itself and is only HTML-escaped.
    """

    def write(tag: MergeTag, context: Context) -> str:
        text = value(tag)
        if context in (Context.URL, Context.TEXT_URL) and tag.name != "unsubscribe_url":
            text = quote(text, safe="")
        if context in (Context.TEXT, Context.TEXT_URL):
            return text
        return str(escape(text))

    return write
