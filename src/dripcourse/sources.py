"""Sources: Markdown articles, split into sections at their `##` headings."""

from __future__ import annotations

import codecs
import hashlib
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from itertools import pairwise
from pathlib import Path

from markdown_it import MarkdownIt
from yaml.nodes import Node

from dripcourse import mergetags
from dripcourse.errors import DripcourseError, Problem, did_you_mean
from dripcourse.syllabus import MAX_HINTS, EmailSpec, Idea, SectionRef, SourceEntry
from dripcourse.yamlread import NodeReader, compose

MAX_SOURCE_BYTES = 2 * 1024 * 1024
INTRO_ID = "intro"
FRONT_MATTER_FIELDS = ("title", "original_title", "original_url", "author", "imported_from", "import_order")
EXPLICIT_ID = re.compile(r"\{#([A-Za-z0-9][A-Za-z0-9_-]*)\}$")  # searched in text with its end trimmed


@dataclass(frozen=True)
class Section:
    source: str
    id: str
    title: str
    markdown: str
    line: int

    @property
    def ref(self) -> str:
        return f"{self.source}#{self.id}"

    @property
    def word_count(self) -> int:
        return count_words(self.markdown)


@dataclass(frozen=True)
class Source:
    id: str
    path: Path
    title: str
    sections: dict[str, Section]
    original_title: str | None = None
    original_url: str | None = None
    author: str | None = None
    meta: dict[str, str] = field(default_factory=dict)


WORDS_PER_MINUTE = 230  # about an adult's silent reading speed (Brysbaert 2019: 238 a minute for non-fiction)


def count_words(markdown: str) -> int:
    return len(re.findall(r"[\w\u2019'-]+", re.sub(r"\(https?://[^()\s]*\)", "", markdown)))


def reading_minutes(words: int) -> int:
    """Whole minutes to read `words`, rounded up (a 340-word lesson is a 2-minute read), never less than one."""
    return max(1, math.ceil(words / WORDS_PER_MINUTE))


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "section"


UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def looks_utf16(data: bytes) -> bool:
    """UTF-16 text without a byte-order mark: mostly-ASCII text puts a NUL in every other byte."""
    sample = data[:4096]
    if len(sample) < 4:
        return False
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    return max(even, odd) > 0.4 * (len(sample) / 2) and min(even, odd) < 0.05 * (len(sample) / 2)


MAX_ID_LENGTH = 60


def file_source_id(name: str) -> str:
    """The source id for a file name: its slug, plus a short hash of the name when the slug lost letters it cannot
    spell (日本, 中文) or came out empty, so two such names never share an id."""
    slug = slugify(name) if re.search(r"[A-Za-z0-9]", name) else ""
    decomposed = unicodedata.normalize("NFKD", name)
    lost = any(ch.isalnum() and not ch.isascii() for ch in decomposed)
    if lost or not slug:
        digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
        slug = f"{slug[: MAX_ID_LENGTH - 9] or 'source'}-{digest}"
    return slug[:MAX_ID_LENGTH].strip("-")


def split_explicit_id(raw: str) -> tuple[str, str | None]:
    r"""A heading's text without its trailing `{#id}`, and the id (or None). The text's end is trimmed first:
    a pattern starting `\s*` would rescan a run of spaces from each of its characters."""
    trimmed = raw.rstrip()
    explicit = EXPLICIT_ID.search(trimmed)
    if explicit is None:
        return raw, None
    return trimmed[: explicit.start()].strip(), explicit.group(1)


def read_text_bytes(path: Path, shown: Path | str, limit: int, kind: str, utf16: bool = False) -> bytes:
    """The bytes of a text file the user gave, or one clear problem: missing, a folder, too large, binary, UTF-16.

    With `utf16`, UTF-16 with a byte-order mark is returned for the caller to decode."""
    if not path.exists():
        raise DripcourseError(Problem(shown, "file not found"))
    if not path.is_file():
        raise DripcourseError(Problem(shown, "is not a file"))
    size = path.stat().st_size
    if size > limit:
        raise DripcourseError(Problem(shown, f"is {size:,} bytes; {kind} may be at most {limit:,} bytes"))
    data = path.read_bytes()
    if data.startswith(UTF16_BOMS):
        if utf16:
            return data
        raise DripcourseError(Problem(shown, "is UTF-16 text; save it as UTF-8"))
    if looks_utf16(data):
        raise DripcourseError(Problem(shown, "looks like UTF-16 text without a byte-order mark; save it as UTF-8"))
    if b"\x00" in data:
        raise DripcourseError(Problem(shown, "looks like a binary file, not text"))
    return data


def read_text_file(path: Path, shown: Path | str, limit: int = MAX_SOURCE_BYTES) -> str:
    """Read a UTF-8 text file the user wrote, or raise one clear problem about it."""
    data = read_text_bytes(path, shown, limit, "a source")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DripcourseError(
            Problem(shown, f"is not UTF-8 (byte 0x{data[exc.start]:02x}); save it as UTF-8", line)
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def tag_problems(shown: Path | str, line: str, number: int, *, allowed: bool = True) -> list[Problem]:
    """Unknown or malformed merge tags on one line of a source; in a heading, any merge tag."""
    found = mergetags.tag_problems(line, None if allowed else "in a heading")
    return [Problem(shown, message, number, offset + 1) for offset, message in found]


@dataclass(frozen=True)
class Heading:
    """A top-level heading of a Markdown text, as markdown-it reads it."""

    level: int
    text: str  # as written, without the #s; a setext heading's lines joined by spaces
    first: int  # index of its first line in the text
    after: int  # index of the line after it (after the underline of a setext heading)


class LinkRuleMarkdown(MarkdownIt):
    """CommonMark with one link rule: dripcourse's own (LINK_SCHEMES, applied to the rendered email and reported by
    `check`). markdown-it's built-in blocklist (javascript:, vbscript:, file:, most data:) would leave such a link
    as its raw Markdown text, unreported; here every link and image is parsed as one, and the email's sanitizer
    then drops every address whose scheme is not on dripcourse's list, whatever its spelling."""

    def validateLink(self, url: str) -> bool:
        return True


@cache
def markdown_parser() -> MarkdownIt:
    """The one CommonMark parser: sections are split and emails rendered from the same reading of a source.
    Raw HTML is text (`html: False`): markdown-it escapes it in the HTML part and keeps it as written in the text
    part, so a tag in a source is shown, never passed into an email, and both parts say the same."""
    return LinkRuleMarkdown("commonmark", {"html": False})


@cache
def block_parser() -> MarkdownIt:
    """markdown_parser without its inline rules: the same blocks, and so the same headings, for a tenth of the
    work, as splitting sections needs nothing inside a paragraph."""
    return LinkRuleMarkdown("commonmark", {"html": False}).disable(["inline", "text_join"])


def markdown_headings(text: str) -> list[Heading]:
    """The headings at the top level of `text` (not inside a list, a quote or a code block): ATX
    (`## Title`) and setext (`Title` underlined with `===` or `---`) alike, as CommonMark defines them."""
    tokens = block_parser().parse(text)
    found = []
    for token, inline in pairwise(tokens):
        if token.type == "heading_open" and token.level == 0 and token.map is not None:
            words = " ".join(line.strip() for line in inline.content.split("\n")).strip()
            if words:
                found.append(Heading(int(token.tag[1]), words, token.map[0], token.map[1]))
    return found


def parse_source(source_id: str, text: str, shown: Path | str) -> Source:
    """Split one source document into sections at its level-2 headings. Raises DripcourseError listing every
    problem."""
    problems: list[Problem] = []
    lines = text.split("\n")
    meta, body_start = front_matter(lines, shown, problems)
    title = meta.get("title", "")
    body = lines[body_start:]
    numbered = list(enumerate(body, start=body_start + 1))
    chunks: list[tuple[str, str, int, list[tuple[int, str]]]] = []  # (id, title, line, [(line, text)])
    intro: list[tuple[int, str]] = []
    current = intro
    at = 0  # the next body line not yet given to a chunk
    for heading in markdown_headings("\n".join(body)):
        number = body_start + heading.first + 1
        current += numbered[at : heading.first]
        at = heading.first
        if heading.level > 2:
            continue
        for offset in range(heading.first, heading.after - (heading.after - heading.first > 1)):
            # A title or section heading is shown as it is written (and in the schedule): no merge tags.
            problems += tag_problems(shown, body[offset], body_start + offset + 1, allowed=False)
        if heading.level == 1:
            if not chunks and not title and not any(line.strip() for _, line in intro):
                title, at = heading.text, heading.after
            continue
        heading_text, explicit = split_explicit_id(heading.text)
        section_id = explicit or slugify(heading_text)
        current = []
        chunks.append((section_id, heading_text, number, current))
        at = heading.after
    current += numbered[at:]
    if any(line.strip() for _, line in intro):
        chunks.insert(0, (INTRO_ID, title or "Introduction", body_start + 1, intro))
    sections: dict[str, Section] = {}
    for section_id, heading_text, number, content in chunks:
        if section_id in sections:
            problems.append(
                Problem(
                    shown,
                    f"section id '{section_id}' is already used at line {sections[section_id].line}; "
                    "give one of them an explicit id with {#new-id}",
                    number,
                    None,
                    "section",
                )
            )
            continue
        markdown = "\n".join(line for _, line in content).strip("\n")
        for line_number, line in content:
            problems += tag_problems(shown, line, line_number)
        sections[section_id] = Section(source_id, section_id, heading_text, markdown, number)
    if not sections and not problems:
        problems.append(Problem(shown, "has no content: write some text, with '## ' headings for sections"))
    if problems:
        raise DripcourseError(problems)
    return Source(
        id=source_id,
        path=Path(shown),
        title=title or source_id,
        sections=sections,
        original_title=meta.get("original_title"),
        original_url=meta.get("original_url"),
        author=meta.get("author"),
        meta=meta,
    )


def front_matter(lines: list[str], shown: Path | str, problems: list[Problem]) -> tuple[dict[str, str], int]:
    """The `---` fenced YAML block at the top, if any, and the index of the first body line."""
    if not lines or lines[0].strip() != "---":
        return {}, 0
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() in ("---", "..."))
    except StopIteration:
        problems.append(Problem(shown, "front matter starts with '---' but never ends", 1))
        return {}, len(lines)
    reader = NodeReader(shown, line_offset=1)
    try:
        root: Node | None = compose("\n".join(lines[1:end]), shown, line_offset=1)
    except DripcourseError as exc:
        problems.extend(exc.problems)
        return {}, end + 1
    keys = reader.mapping(root, "", FRONT_MATTER_FIELDS)
    meta = {name: value for name, node in keys.items() if (value := reader.text(node, name)) is not None}
    problems.extend(reader.problems)
    return meta, end + 1


def load_sources(course_dir: Path, entries: Iterable[SourceEntry]) -> tuple[dict[str, Source], list[Problem]]:
    """Read every source the syllabus names: the ones that read cleanly, and the problems of all the others."""
    problems: list[Problem] = []
    sources: dict[str, Source] = {}
    root = course_dir.resolve()
    for entry in entries:
        try:
            sources[entry.id] = load_source(entry, course_dir, root)
        except DripcourseError as exc:
            problems.extend(exc.problems)
    return sources, problems


def load_source(entry: SourceEntry, course_dir: Path, resolved_root: Path) -> Source:
    path = course_dir / entry.path
    field = f"sources.{entry.id}"
    if not path.exists():
        raise DripcourseError(entry.place.problem(field, f"file not found: {path}"))
    if not path.resolve().is_relative_to(resolved_root):
        raise DripcourseError(entry.place.problem(field, f"{entry.path} leads outside the course folder"))
    return parse_source(entry.id, read_text_file(path, path), path)


@dataclass(frozen=True)
class BrokenRef:
    """A section reference to a section its source does not have."""

    email: EmailSpec | None  # None for a reference in `ideas:`
    element: str  # where inside the email ("sections[1]"), or the idea's field
    problem: Problem  # names the syllabus line and suggests the nearest section


def broken_refs(emails: Iterable[EmailSpec], ideas: Iterable[Idea], sources: dict[str, Source]) -> list[BrokenRef]:
    """The section references, of emails and of ideas, that name no section of a source that was read."""
    places: list[tuple[EmailSpec | None, str, str, tuple[SectionRef, ...]]] = [
        (e, f"emails[{e.position - 1}].", "sections", e.sections) for e in emails
    ]
    places += [(None, "", idea.field, idea.sections) for idea in ideas]
    broken: list[BrokenRef] = []
    for email, prefix, where, refs in places:
        for i, ref in enumerate(refs):
            source = sources.get(ref.source)
            if source is not None and ref.section not in source.sections:
                # A suggestion compares the name with every section: for the first few only, so that a syllabus
                # naming thousands of missing sections takes time in step with its size, not with its square.
                hint = did_you_mean(ref.section, source.sections) if len(broken) < MAX_HINTS else ""
                message = f"source '{ref.source}' has no section '{ref.section}'{hint}"
                element = f"{where}[{i}]"
                broken.append(BrokenRef(email, element, ref.place.problem(prefix + element, message)))
    return broken


def section_for(ref: SectionRef, sources: dict[str, Source]) -> Section:
    return sources[ref.source].sections[ref.section]
