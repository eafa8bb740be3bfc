"""Import real-world articles (plain text, Markdown, saved HTML) as Markdown sources with sections.

Articles mark their sections in many ways. The plain-text reader recognises numbered headings (`1. Title`,
`Reason #2 - Title`), heading lines ending in `:`, short title lines without end punctuation, a table of contents
(used to confirm headings, then dropped), bullet lists, `Label: text` items, `Q:`/`A:` pairs and questions as
headings (a FAQ section per question), key-takeaway lists, and an unheaded closing part set off by two blank lines.
Notes to an editor are dropped with a warning.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

from dripcourse.sources import count_words, read_text_bytes, slugify

MAX_IMPORT_BYTES = 5 * 1024 * 1024
BULLET = re.compile(r"^\s*(?:[•◦▪‣∙·*\-–]|\d+[.)](?=\s+\S.*[.!?]$))\s+(?P<text>\S.*)$")
NUMBERED = re.compile(
    r"^\s*(?:(?:step|reason|tip|part|chapter|sign)\s*)?#?\s*(?P<n>\d{1,2})\s*[.):\-–—]\s*(?P<title>\S.*)$", re.I
)
LABEL_ITEM = re.compile(r"^(?P<label>[A-Z][^:.!?]{1,60}?)\s*:\s+(?P<text>\S.*)$")
QUESTION = re.compile(r"^\s*Q\s*[:.)]\s*(?P<text>\S.*)$", re.I)
ANSWER = re.compile(r"^\s*A\s*[:.)]\s*(?P<text>\S.*)$", re.I)
TOC_TITLES = ("table of contents", "contents", "in this article", "in this post", "jump to")
EDITOR_NOTE = re.compile(
    r"^\s*(?:note|editor[’']?s? note|todo|nb|internal)\s*[:\-–]\s*.*\b(?:brief|sections?|faq|editor|draft|"
    r"placeholder|remaining|word count|seo|client)\b",
    re.I,
)
SENTENCE_END = tuple(".!?,;:…")
HEADING_MAX_WORDS = 14
CLUTTER_CLASSES = re.compile(r"\b(nav|menu|footer|sidebar|cookie|share|comments?|newsletter|related)\b")
SUBHEADING = "\x02"  # marks a sub-heading line from HTML or Markdown input: kept inside its section
VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class ImportedSection:
    id: str
    title: str
    blocks: list[str] = field(default_factory=list)

    @property
    def markdown(self) -> str:
        return "\n\n".join(self.blocks).strip()

    @property
    def word_count(self) -> int:
        return count_words(self.markdown)


@dataclass
class ImportedArticle:
    title: str
    source_file: str
    encoding: str
    sections: list[ImportedSection]
    dropped: list[str] = field(default_factory=list)

    def markdown(self) -> str:
        lines = [
            "---",
            f"title: {yaml_string(self.title)}",
            f"imported_from: {yaml_string(self.source_file)}",
            "---",
            "",
        ]
        for section in self.sections:
            if section.id == "intro":
                lines += [section.markdown, ""]
            else:
                lines += [f"## {section.title} {{#{section.id}}}", "", section.markdown, ""]
        return "\n".join(lines).rstrip() + "\n"


def yaml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted string


def decode(data: bytes) -> tuple[str, str]:
    """Text and the encoding it was read with: UTF-8 when it decodes, else Windows-1252 (what Word and old blogs
    write), else Latin-1, which decodes anything."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            return text, "utf-8" if encoding == "utf-8-sig" else encoding
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = text.replace("\u00a0", " ").replace("\u200b", "").replace("\ufeff", "")
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")


def words(line: str) -> int:
    return len(line.split())


class Splitter:
    """Walks the lines of a plain-text article and collects sections."""

    def __init__(self, lines: list[str], gap_closing: bool = True, plain: bool = True):
        self.lines = lines
        self.escape = escape_markdown if plain else (lambda text: text)  # Markdown input keeps its own markup
        self.gap_closing = gap_closing  # plain text only: two blank lines set off an unheaded closing part
        self.sections: list[ImportedSection] = []
        self.dropped: list[str] = []
        self.confirmed: set[str] = set()
        self.ids: set[str] = set()

    def new_section(self, title: str, base_id: str | None = None) -> ImportedSection:
        section_id = base_id or slugify(title)
        candidate, n = section_id, 2
        while candidate in self.ids:
            candidate, n = f"{section_id}-{n}", n + 1
        self.ids.add(candidate)
        section = ImportedSection(candidate, " ".join(title.split()))
        self.sections.append(section)
        return section

    def is_title_line(self, index: int) -> bool:
        """A short line with no end punctuation, standing between paragraphs: a heading."""
        line = self.lines[index].strip()
        if not line or words(line) > HEADING_MAX_WORDS or ends_sentence(line):
            return False
        if BULLET.match(self.lines[index]) or QUESTION.match(line) or ANSWER.match(line):
            return False
        if not (line[0].isupper() or line[0].isdigit()):
            return False
        following = self.next_text(index)
        if following is None:
            return False
        return words(following) > words(line) + 3 or ends_sentence(following)

    def next_text(self, index: int) -> str | None:
        for line in self.lines[index + 1 :]:
            if line.strip():
                return line.strip()
        return None

    def heading_of(self, index: int) -> tuple[str, str | None] | None:
        """(title, id) when line `index` is a heading."""
        raw = self.lines[index]
        line = raw.strip()
        if not line or line.startswith(SUBHEADING):
            return None
        key = normalise(line)
        if key in self.confirmed:
            return line, None
        numbered = NUMBERED.match(line)
        if numbered and words(line) <= HEADING_MAX_WORDS and not line.endswith((".", ",")):
            return line, slugify(numbered.group("title"))
        if line.endswith(":") and words(line) <= HEADING_MAX_WORDS and not LABEL_ITEM.match(line):
            following = self.next_text(index) or ""
            if LABEL_ITEM.match(following) and not line.endswith(" :"):
                return None  # a sub-heading introducing Label: text items stays inside its section
            return line.rstrip(":").strip(), None
        if line.endswith("?") and words(line) <= HEADING_MAX_WORDS and index > 0 and self.sections:
            following = self.next_text(index) or ""
            if following and not following.endswith("?") and words(following) > words(line):
                return line, "faq-" + "-".join(slugify(line).split("-")[:6])
        if self.is_title_line(index):
            return line, None
        return None

    def take_table_of_contents(self, index: int) -> int:
        """Skip a table of contents starting at `index`, remembering its entries as confirmed headings."""
        entries: list[str] = []
        j = index + 1
        while j < len(self.lines):
            line = self.lines[j].strip()
            if line and (normalise(line) in {normalise(e) for e in entries} or words(line) > HEADING_MAX_WORDS):
                break
            if line:
                entries.append(BULLET.sub(r"\g<text>", line))
            j += 1
        self.confirmed.update(normalise(e) for e in entries)
        self.dropped.append(f"table of contents ({len(entries)} entries)")
        return j

    def split(self) -> list[ImportedSection]:
        current = self.new_section("Introduction", "intro")
        blank_run = 0
        question: ImportedSection | None = None
        i = 0
        while i < len(self.lines):
            raw = self.lines[i]
            line = raw.strip()
            if not line:
                blank_run += 1
                i += 1
                continue
            after_gap, blank_run = blank_run >= 2 and self.gap_closing, 0
            if EDITOR_NOTE.match(line):
                self.dropped.append(f"editorial note: {line[:70]}")
                i += 1
                continue
            if normalise(line) in TOC_TITLES and not self.confirmed:
                i = self.take_table_of_contents(i)
                continue
            asked = QUESTION.match(line)
            if asked:
                text = asked.group("text").strip()
                question = current = self.new_section(text, "faq-" + "-".join(slugify(text).split("-")[:6]))
                i += 1
                continue
            answered = ANSWER.match(line)
            if answered and question is current:
                current.blocks.append(answered.group("text").strip())
                i += 1
                continue
            heading = self.heading_of(i)
            if heading is not None:
                title, section_id = heading
                if title.lower().startswith("key takeaway"):
                    section_id = "key-takeaways"
                current = self.new_section(title, section_id)
                question = None
                i += 1
                continue
            if (after_gap and current.blocks and not current.id.startswith("faq-")) or (
                after_gap and question is not None
            ):
                current = self.new_section("Closing", "closing")
                question = None
            current.blocks.append(self.block(raw))
            i += 1
        sections = [s for s in self.sections if s.blocks or s.id != "intro"]
        return [s for s in sections if s.blocks] or [ImportedSection("intro", "Introduction", ["(empty)"])]

    def block(self, raw: str) -> str:
        if raw.startswith(SUBHEADING):
            return "### " + self.escape(raw[1:].strip())
        bullet = BULLET.match(raw)
        if bullet:
            return "- " + self.escape(bullet.group("text").strip())
        label = LABEL_ITEM.match(raw.strip())
        if label and words(label.group("label")) <= 8:
            return f"**{self.escape(label.group('label'))}:** {self.escape(label.group('text'))}"
        return self.escape(raw.strip())


def ends_sentence(line: str) -> bool:
    """Ends like a sentence (closing quotes and brackets aside), which a heading does not."""
    return line.rstrip("\"”’')] ").endswith(SENTENCE_END)


def normalise(line: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", line.lower().replace("’", "'")).strip()


def escape_markdown(text: str) -> str:
    """Keep plain text plain: characters that would start Markdown structure at a line start are escaped."""
    text = re.sub(r"([\\`*_<>\[\]])", r"\\\1", text)
    return re.sub(r"^(#{1,6}\s|\d+[.)]\s|[+\-]\s|>)", r"\\\1", text)


def join_bullets(blocks: list[str]) -> list[str]:
    """Consecutive bullet items form one list."""
    joined: list[str] = []
    for block in blocks:
        if block.startswith("- ") and joined and joined[-1].startswith("- "):
            joined[-1] += "\n" + block
        else:
            joined.append(block)
    return joined


class HtmlToText(HTMLParser):
    """Saved web pages: headings become Markdown-like heading lines; navigation, headers, footers and scripts go."""

    SKIP: ClassVar[set[str]] = {
        "script",
        "style",
        "nav",
        "header",
        "footer",
        "aside",
        "noscript",
        "form",
        "svg",
        "template",
        "button",
    }
    BLOCKS: ClassVar[set[str]] = {
        "p",
        "div",
        "li",
        "br",
        "tr",
        "section",
        "article",
        "blockquote",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_tags: list[str] = []  # open elements whose content is clutter, innermost last
        self.title = ""
        self.in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = " ".join(v or "" for k, v in attrs if k in ("class", "id", "role")).lower()
        clutter = tag in self.SKIP or re.search(
            r"\b(nav|menu|footer|sidebar|cookie|share|comments?|newsletter)\b", classes
        )
        if clutter and tag not in VOID_ELEMENTS:
            self.skip_tags.append(tag)
            return
        if self.skip_tags:
            return
        if tag == "title":
            self.in_title = True
        if tag in self.BLOCKS:
            self.parts.append("\n")
        if re.fullmatch(r"h[1-6]", tag):
            self.parts.append("\x01" + tag[1])
        if tag == "li":
            self.parts.append("• ")

    def handle_endtag(self, tag: str) -> None:
        if self.skip_tags:
            if tag == self.skip_tags[-1]:
                self.skip_tags.pop()
            return
        if tag == "title":
            self.in_title = False
        if tag in self.BLOCKS:
            self.parts.append("\n\n" if tag in ("p", "h1", "h2", "h3", "h4", "h5", "h6") else "\n")

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title += data
        elif not self.skip_tags:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_article(text: str) -> tuple[str | None, list[str], set[str]]:
    """Title, lines and the headings the HTML marked explicitly."""
    parser = HtmlToText()
    parser.feed(text)
    lines, headings, title = [], set(), None
    for raw in "".join(parser.parts).split("\n"):
        line = raw.strip()
        if line.startswith("\x01"):
            level, line = line[1], line[2:].strip()
            if level == "1" and title is None:
                title = line
                continue
            if line and level in "12":
                headings.add(normalise(line))
            elif line:
                line = SUBHEADING + line
        lines.append(line)
    return title or (parser.title.strip() or None), lines, headings


def markdown_article(text: str) -> tuple[str | None, list[str], set[str]]:
    lines, headings, title = [], set(), None
    body = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S)
    for raw in body.split("\n"):
        heading = re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", raw)
        if heading and heading.group(2).strip():
            level = len(heading.group(1))
            if level == 1 and title is None:
                title = heading.group(2)
                continue
            if level <= 2:
                headings.add(normalise(heading.group(2)))
                lines.append(heading.group(2))
            else:
                lines.append(SUBHEADING + heading.group(2))
            continue
        lines.append(re.sub(r"^\s*[*+]\s+", "• ", raw))
    return title, lines, headings


def import_article(path: Path, shown: str | None = None) -> ImportedArticle:
    """Read one article file and find its sections."""
    data = read_text_bytes(path, shown or str(path), MAX_IMPORT_BYTES, "an article")
    text, encoding = decode(data)
    return split_article(text, path.suffix.lower(), path.name, encoding)


def split_article(text: str, suffix: str, source_file: str, encoding: str = "utf-8") -> ImportedArticle:
    text = clean(text)
    if suffix in (".html", ".htm"):
        title, lines, headings = html_article(text)
    elif suffix in (".md", ".markdown"):
        title, lines, headings = markdown_article(text)
    else:
        title, lines, headings = None, text.split("\n"), set()
    if title is None:
        first = next((i for i, line in enumerate(lines) if line.strip()), None)
        if first is not None and words(lines[first]) <= 25:
            title = lines[first].strip()
            lines = lines[first + 1 :]
    is_markdown = suffix in (".md", ".markdown")
    splitter = Splitter(lines, gap_closing=suffix not in (".html", ".htm") and not is_markdown, plain=not is_markdown)
    splitter.confirmed |= headings
    sections = splitter.split()
    for section in sections:
        section.blocks = join_bullets(section.blocks)
    fallback = Path(source_file).stem.replace("-", " ").replace("_", " ").strip() or "Untitled"
    return ImportedArticle(
        " ".join((title or "").split()) or fallback, source_file, encoding, sections, splitter.dropped
    )
