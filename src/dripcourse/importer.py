"""Import real-world articles (plain text, Markdown, saved web pages) as Markdown sources with sections.

Every article becomes a list of blocks, one per line or paragraph, each classified as a heading, paragraph, list
item, lead-in (a line that introduces a list) or clutter (bylines, dates, share bars, counters, editor notes,
sign-offs). Saved pages first go through trafilatura, which keeps the article and drops the page around it.
Plain text is classified from evidence read across the whole article: numbering that forms a sequence, what follows
a line, a table of contents that names the headings, and the shape the article's other headings have.
Every loop over the text is linear in its length.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from itertools import pairwise
from pathlib import Path

from dripcourse.errors import DripcourseError, OutputError, Problem
from dripcourse.outputs import refused, write_file
from dripcourse.sources import (
    MAX_ID_LENGTH,
    MAX_SOURCE_BYTES,
    UTF16_BOMS,
    count_words,
    file_source_id,
    markdown_headings,
    read_text_bytes,
    slugify,
    split_explicit_id,
)

MAX_IMPORT_BYTES = MAX_SOURCE_BYTES  # one limit: import takes no article that plan and build would then refuse
HEADING_MAX_WORDS = 14
SHORT_ITEM_WORDS = 16  # a line this short, one sentence at most, can be a list item pasted without its bullet

# Numbering before a heading or item: "1.", "2)", "3:", "4 -", "#5", "Step 6:", "Reason #7 -", "Day 8:".
ENUMERATORS = (
    "step|tip|reason|rule|ritual|mistake|part|chapter|sign|way|lesson|habit|method|strategy|secret|myth|idea|hack|"
    "trick|exercise|stage|phase|principle|point|factor|thing|question|option|benefit|pillar|move|truth|key|law|"
    "day|week|month|year|round|level|night"
)
KEEP_LABELS = {"day", "week", "month", "year", "round", "level", "night"}  # "Day 1:" is content, not numbering
NUMBERED = re.compile(
    rf"^(?:(?P<word>{ENUMERATORS})\s*(?:#\s*)?(?P<wn>\d{{1,2}})\s*(?P<wsep>[.):\-–—]|(?=\s))"
    rf"|#\s*(?P<hn>\d{{1,2}})\s*(?P<hsep>[.):\-–—]?)"
    rf"|(?P<rn>(?=[IVX])X{{0,3}}(?:IX|IV|V?I{{0,3}}))(?P<rsep>[.)]|\s+[:\-–—])"
    rf"|(?P<n>\d{{1,2}})(?P<sep>[.)]|\s*[:\-–—]))\s+(?P<title>\S.*)$",
    re.I,
)
BULLET = re.compile(r"^\s*(?:[•◦▪‣∙●○■□➤►✓✔*+\-–—])\s+(?P<text>\S.*)$")
LABEL_ITEM = re.compile(r"^(?P<label>[A-Z“\"][^:.!?]{0,50}?)\s*:\s+(?P<text>\S.*)$")
QUESTION = re.compile(r"^Q\s*[:.)]\s*(?P<text>\S.*)$", re.I)
ANSWER = re.compile(r"^A\s*[:.)]\s*(?P<text>\S.*)$", re.I)
TOC_TITLES = {
    "table of contents",
    "contents",
    "in this article",
    "in this post",
    "in this guide",
    "what s inside",
    "what you ll learn",
    "jump to",
    "on this page",
    "quick links",
    "article contents",
    "toc",
    "skip to",
}
# Names of the sections articles have whatever their topic; with a colon before a list they are still headings.
SECTION_NAMES = {
    "key takeaways",
    "takeaways",
    "key points",
    "tl dr",
    "tldr",
    "summary",
    "in summary",
    "conclusion",
    "final thoughts",
    "faq",
    "faqs",
    "frequently asked questions",
    "ingredients",
    "instructions",
    "directions",
    "method",
    "notes",
    "equipment",
    "the bottom line",
    "bottom line",
    "introduction",
    "overview",
    "the takeaway",
}
MONTHS = (
    "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
    "oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
DATE = (
    rf"(?:(?:mon|tues|wed(?:nes)?|thur?s?|fri|sat(?:ur)?|sun)(?:day)?,?\s+)?"
    rf"(?:(?:{MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{MONTHS})\.?,?\s+\d{{4}}"
    rf"|\d{{1,2}}[/.]\d{{1,2}}[/.]\d{{2,4}}|\d{{4}}-\d{{2}}-\d{{2}}|(?:{MONTHS})\s+\d{{1,2}}(?:st|nd|rd|th)?)"
    rf"(?:\s+(?:at\s+)?\d{{1,2}}:\d{{2}}\s*(?:[ap]\.?m\.?)?)?"
)
SHARE_WORDS = (
    "share|share this|share this article|share this post|tweet|pin|pin it|pin recipe|print|print recipe|email|"
    "facebook|twitter|x|pinterest|linkedin|whatsapp|reddit|instagram|copy link|save|save recipe|jump to recipe|"
    "jump to video|rate this recipe|tweet this|flipboard|telegram|messenger|threads|bluesky|email this|blogthis!?|"
    "share to x"
)
CLUTTER = [
    (
        "byline",
        re.compile(
            rf"^(?:(?:posted|written|published|updated|last updated|reviewed|medically reviewed|fact checked|"
            rf"edited|created|last edited)\b(?:\s+(?:on|by|at))?\s*:?\s*.{{0,90}}|by\s*:?\s+\S.{{0,80}}|"
            rf"{DATE}(?:\s*[·|•-]\s*.{{0,40}})?)$",
            re.I,
        ),
    ),
    ("copyright", re.compile(r"^(?:©|\(c\)\s|copyright\b|all rights reserved).{0,120}$", re.I)),
    ("script notice", re.compile(r"^(?:you need to|please)? ?enable javascript\b.{0,80}$", re.I)),
    ("reading time", re.compile(r"^.{0,60}\b\d{1,3}\s*(?:-|\s)?min(?:ute)?s?\s+read\b.{0,60}$", re.I)),
    (
        "counter",
        re.compile(
            r"^(?:[\d.,]+[km]?\s+(?:views?|comments?|likes?|shares?|responses?|reads?|claps?|votes?|reviews?|"
            r"restacks?|thoughts? on .{0,80})|"
            r"(?:views?|comments?|likes?|shares?|reads?|visits?|hits)\s*:\s*[\d.,]+[km]?|"
            r"this (?:page|post|article) has been (?:visited|viewed|read) [\d.,]+ times|visitors?\s*:?\s*[\d.,]+|"
            r"[\d.,]+[km]?|no comments?|(?:like|comment|share|reply)"
            r"(?:\s*[·|•]\s*(?:like|comment|share|reply))+)\s*:?$",
            re.I,
        ),
    ),
    ("share line", re.compile(rf"^(?:(?:share|post|send)\s+(?:on|to|via)\s+\w+|(?:{SHARE_WORDS}))\s*:?$", re.I)),
    (
        "page navigation",
        re.compile(
            r"^(?:to top|back to top|scroll to top|top of page|skip to (?:main )?content|related(?: posts| articles)?|"
            r"(?:related|read more|read next|see also|you may also like|also read|more from \w+)\s*:.{0,120}|"
            r"read next|you might also like|you may also like|more posts|recent posts|popular posts|"
            r"leave a (?:comment|reply)|add a comment|post a comment|advertisement|sponsored|ad|"
            r"(?:previous|next|newer|older) (?:post|article|entry)\b.{0,100}|"
            r"(?:posted in|filed under|categories|category|tags|tagged|labels)\s*:?\s.{0,120}"
            r"|.{0,80}\|\s*tagged\s.{0,120})$",
            re.I,
        ),
    ),
    (
        "call to share",
        re.compile(
            r"^.{0,80}(?:\btag (?:us|me)\b|\btag @|\bpin (?:it|this)\b|\bpin (?:it )?for later\b|"
            r"did you make this\b|leave a (?:comment|star rating|review)\b|rate this recipe\b|"
            r"\bshare (?:it|this)(?: post| article)? with\b|\blike this (?:post|article)\?|\bgive (?:it|this) a clap\b|"
            r"\bclap (?:and|&) follow\b).{0,80}$",
            re.I,
        ),
    ),
]
EDITOR_NOTE = re.compile(
    r"^(?:\[[^\]]{2,300}\]|(?:editor[’']?s? note|note to (?:the )?editor|todo|tk|nb|internal)\s*[:\-–].*|"
    r"note\s*[:\-–].{0,300}\b(?:brief|sections?|faq|editor|draft|placeholder|remaining|word count|seo|client)\b.*)$",
    re.I,
)
VALEDICTION = re.compile(
    r"^(?:warmly|warm regards|regards|best|best wishes|all the best|cheers|love|much love|with love|xo+|x+|"
    r"thanks|thank you|take care(?: of yourselves?)?|talk soon|until next time|see you (?:soon|next time)|"
    r"sweet dreams|yours|sincerely|with gratitude|happy \w+ing|stay \w+|peace|hugs|onwards|bye for now)"
    r"\b.{0,60}[,!.]?$",
    re.I,
)
THANKS = re.compile(r"\b(?:thanks for reading|thank you for reading|until next time)\b", re.I)
NAME_WORD = r"(?:[A-Z][a-zà-ÿ'’-]+|[A-Z]\.|Dr\.?|Mc[A-Z][a-z]+)"
NAME = re.compile(rf"^[–—-]?\s*{NAME_WORD}(?:\s+{NAME_WORD}){{0,3}}$")
NOT_NAME_WORDS = {
    "the",
    "a",
    "an",
    "and",
    "or",
    "of",
    "to",
    "in",
    "for",
    "with",
    "your",
    "you",
    "how",
    "why",
    "what",
    "when",
    "is",
    "it",
    "on",
    "my",
    "our",
    "do",
    "not",
    "be",
    "this",
    "that",
    "are",
    "can",
    "no",
    "yes",
    "at",
    "from",
    "by",
}


def line_words(text: str) -> int:
    return len(text.split())


def normalise(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower().replace("’", "'")).strip()


def ends_sentence(text: str) -> bool:
    """Ends like a sentence (closing quotes and brackets aside), which a heading does not."""
    return text.rstrip("\"”’')] *_").endswith((".", ",", ";", "…"))


def sentences(text: str) -> int:
    return len(re.findall(r"[.!?…](?:[\"”’')\]]*)(?:\s+|$)", text))


@dataclass(frozen=True)
class Numbering:
    label: str  # as written: "1.", "Step 2:", "Reason #3 -"
    value: int
    shape: str  # what siblings share: the label word and the separator
    title: str  # the text after it
    keep: bool  # "Day 1:" keeps its label in the heading


@cache
def numbering(text: str) -> Numbering | None:
    found = NUMBERED.match(text)
    if not found:
        return None
    title = found.group("title").strip()
    if title[0].isdigit() or (found.group("hn") and not found.group("hsep") and title[0].islower()):
        return None  # "5 - 10 reps is plenty", "#1 rule: show up": the number belongs to the words
    word = (found.group("word") or "").lower()
    roman = found.group("rn")
    value = roman_value(roman) if roman else int(found.group("wn") or found.group("hn") or found.group("n"))
    sep = (found.group("wsep") or found.group("hsep") or found.group("sep") or found.group("rsep") or "").strip()
    sep = "-" if sep in ("–", "—") else sep
    word = "roman" if roman else word
    shape = f"{word}#{sep}" if found.group("hn") or "#" in text[: found.start("title")] else f"{word}{sep}"
    label = text[: found.start("title")].strip()
    return Numbering(label, value, shape, title, word in KEEP_LABELS)


def roman_value(numeral: str) -> int:
    values = {"I": 1, "V": 5, "X": 10}
    total = 0
    for letter, following in zip(numeral, [*numeral[1:], ""], strict=True):
        value = values[letter]
        total += -value if following and values[following] > value else value
    return total


@dataclass
class Block:
    """A line of pasted text or a paragraph of Markdown, with what the classifier decided it is."""

    text: str
    line: int
    kind: str = "paragraph"  # heading | paragraph | item | lead-in | clutter | answer
    level: int = 2  # the heading level the markup gave (plain text has none)
    explicit: bool = False  # a heading the markup marked, or a table of contents named
    number: Numbering | None = None
    markdown: bool = False  # text is Markdown already (from a .md file or the page extractor)
    reason: str = ""  # why a clutter block was dropped
    ordered: bool = False  # a numbered list item
    blank_before: bool = True  # a blank line separates it from the block before
    anchor: str | None = None  # the id a Markdown heading gave itself with `{#id}`

    @property
    def words(self) -> int:
        return line_words(self.text)


@dataclass
class ImportedSection:
    id: str
    title: str
    blocks: list[str] = field(default_factory=list)
    number: str | None = None  # the numbering the article put before the heading ("1.", "Step 2:")
    level: int = 2

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
    keep_numbers: bool = False
    fields: dict[str, str] = field(default_factory=dict)  # original_title, original_url, author when known
    notes: list[str] = field(default_factory=list)  # warnings that are not about a dropped line

    def markdown(self, import_order: int | None = None) -> str:
        """The source file: front matter, the intro, then a `##` heading with an explicit id per section."""
        lines = ["---", f"title: {yaml_string(self.title)}"]
        lines += [f"{name}: {yaml_string(self.fields[name])}" for name in KEPT_FIELDS if self.fields.get(name)]
        lines.append(f"imported_from: {yaml_string(self.source_file)}")
        if import_order is not None:
            lines.append(f"import_order: {import_order}")
        lines += ["---", ""]
        for section in self.sections:
            if section.id == "intro":
                lines += [section.markdown, ""]
                continue
            title = f"{section.number} {section.title}" if self.keep_numbers and section.number else section.title
            lines += [f"## {title} {{#{section.id}}}", "", section.markdown, ""]
        return "\n".join(lines).rstrip() + "\n"


def yaml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted string


def decode(data: bytes, shown: str = "the file") -> tuple[str, str, list[str]]:
    """Text, the encoding it was read with, and a warning per stray byte. UTF-16 by its byte-order mark; UTF-8
    when it decodes, or when only a few stray bytes break it (each replaced and named by line); else Windows-1252
    (what Word and old blogs write). Anything else, or text full of control bytes, is not an article: Latin-1
    would decode any file at all, so it is not tried."""
    if data.startswith(UTF16_BOMS):
        try:
            return data.decode("utf-16"), "utf-16", []
        except UnicodeDecodeError:
            raise DripcourseError(Problem(shown, "starts like UTF-16 text but is not; save it as UTF-8")) from None
    notes: list[str] = []
    try:
        text, encoding = data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = data.decode("utf-8-sig", errors="replace"), "utf-8"
        stray = text.count("\ufffd") - data.decode("utf-8-sig", errors="ignore").count("\ufffd")
        multibyte = sum(1 for c in text if ord(c) > 0x7F and c != "\ufffd")
        if stray <= max(3, len(data) // 10_000) and multibyte >= stray:
            lines = [n for n, line in enumerate(text.split("\n"), start=1) if "\ufffd" in line]
            notes = [f"line {n}: a byte that is not UTF-8 was replaced with \ufffd" for n in lines[:10]]
        else:
            try:
                text, encoding = data.decode("cp1252"), "cp1252"
            except UnicodeDecodeError:
                raise DripcourseError(
                    Problem(shown, "looks like a binary file, not text in UTF-8 or Windows-1252")
                ) from None
    if len(BINARY_CONTROL.findall(text)) > max(2, len(text) // 1000):
        raise DripcourseError(Problem(shown, "looks like a binary file, not text in UTF-8 or Windows-1252"))
    return text, encoding, notes


# Control bytes that text files do not hold (tab, line ends, form feed and DOS's end-of-file mark excepted).
BINARY_CONTROL = re.compile(r"[\x00-\x08\x0e-\x19\x1b-\x1f\x7f]")


CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # Unicode's control characters, less tab and newline


def clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = text.replace("\u00a0", " ").replace("\u200b", "").replace("\ufeff", "").replace("\u2028", "\n")
    text = EDGE_JOINERS.sub("", text)
    return CONTROL.sub("", text)


# A zero-width joiner or non-joiner joins nothing at a word's edge (inside an emoji sequence it stays).
EDGE_JOINERS = re.compile(r"[\u200c\u200d]+(?=[ \t\n]|$)|(?:(?<=[ \t\n])|^)[\u200c\u200d]+", re.M)


def escape_markdown(text: str) -> str:
    """Keep plain text plain: characters that would start Markdown structure at a line start are escaped."""
    text = re.sub(r"([\\`*_<>\[\]])", r"\\\1", text)
    return re.sub(r"^(#{1,6}\s|\d+[.)]\s|[+\-]\s|>)", r"\\\1", text)


@cache  # several rules ask about the same line; split_article clears the caches
def strip_emphasis(text: str) -> str:
    """Markdown text as a reader sees it, for the clutter rules: no emphasis marks, links as their words."""
    text = re.sub(r"\[([^\]]{0,300})\]\([^)\s]{0,500}\)", r"\1", text)
    return re.sub(r"(?<!\\)[*_]+", "", text).replace("\\", "").strip()


@cache
def clutter_reason(text: str) -> str | None:
    """Why a line is page furniture rather than the article, or None. Only short lines are judged."""
    if line_words(text) > 25 or len(text) > 220:
        return None
    plain = strip_emphasis(text).strip(" |·•")
    if not plain:
        return None
    parts = [part.strip(" <>«»") for part in re.split(r"\s[|·•]\s", plain)]
    if len(parts) > 1 and all(line_words(part) <= 5 for part in parts):
        reasons = [clutter_reason(part) for part in parts if part]
        if any(reasons):
            return next(r for r in reasons if r)
    if EDITOR_NOTE.match(plain):
        return "editorial note"
    for reason, pattern in CLUTTER:
        if pattern.match(plain):
            if reason == "byline" and plain.lower().startswith("by") and not looks_like_byline(plain):
                continue
            return reason
    return None


CLUTTER_HEADING = re.compile(
    r"^(?:table of contents|contents|in this (?:article|post)|on this page|jump to|"
    r"subscribe\b.{0,60}|sign up\b.{0,60}|join (?:my|our|the) (?:newsletter|list)\b.{0,40}|(?:get|never miss) .{0,30}"
    r"(?:newsletter|inbox|updates)|you (?:might|may) also (?:like|enjoy)|related(?: posts| articles| reading)?|"
    r"more (?:posts|from \w+.{0,20})|read (?:next|more)|recent posts|popular posts|keep reading|"
    r"leave a (?:comment|reply)|comments?|\d+ (?:comments?|responses?|thoughts? on .{0,80})|add a comment|"
    r"pin (?:it|this)(?: for later)?|share (?:this|it)(?: post| article)?|follow (?:me|us)\b.{0,30})\s*[:!.]?$",
    re.I,
)


@cache
def clutter_heading(text: str) -> bool:
    """A heading the page puts around the article: contents boxes, subscribe forms, related posts, comments."""
    return bool(CLUTTER_HEADING.match(strip_emphasis(text).strip(" :")))


def looks_like_byline(text: str) -> bool:
    """ "By Ana Baker", "By: Priya N. · 8 min read", not "By the end of the week, ..."."""
    rest = re.sub(r"^by\s*:?\s*", "", text, flags=re.I)
    head = re.split(r"\s*[·|•,–—-]\s*|\s+(?:on|and|&)\s+", rest, maxsplit=1)[0]
    return bool(NAME.match(head)) and not (set(head.lower().split()) & NOT_NAME_WORDS)


@cache
def is_name(text: str) -> bool:
    words = text.strip("–—- ").split()
    return (
        0 < len(words) <= 4
        and bool(NAME.match(text.strip()))
        and not ({w.lower() for w in words} & NOT_NAME_WORDS)
        and normalise(text) not in SECTION_NAMES
    )


@cache
def case_shape(text: str) -> str:
    letters = [c for c in text if c.isalpha()]
    if letters and all(c.isupper() for c in letters) and len(letters) > 3:
        return "caps"
    long_words = [w for w in re.findall(r"[A-Za-z][A-Za-z'’]*", text) if len(w) > 3]
    if long_words and sum(w[0].isupper() for w in long_words) >= 0.75 * len(long_words):
        return "title"
    return "sentence"


# ---------------------------------------------------------------------------------------------------- plain text


def text_blocks(text: str) -> list[Block]:
    """One block per non-blank line, after joining the lines of a hard-wrapped paragraph; a line underlined with
    `===` or `---` is a heading, as in Markdown."""
    lines = [" ".join(raw.split()) for raw in text.split("\n")]
    width = wrap_width(lines)
    blocks: list[Block] = []
    parts: list[list[str]] = []  # the lines each block is made of
    for number, line in enumerate(lines, start=1):
        if not line:
            continue
        before = lines[number - 2] if number > 1 else ""
        if UNDERLINE.match(line):
            if (
                blocks
                and before
                and len(parts[-1]) == 1
                and blocks[-1].kind == "paragraph"
                and heading_like(before, loose=True)
            ):
                blocks[-1].kind, blocks[-1].explicit = "heading", True
                blocks[-1].level = 1 if line[0] == "=" else 2
            continue  # an underline, or a rule drawn with the same characters
        if width and blocks and before and wraps_onto(before, line, width):
            parts[-1].append(line)
            continue
        blocks.append(Block(line, number, blank_before=not before))
        parts.append([line])
    for block, lines_of in zip(blocks, parts, strict=True):
        block.text = " ".join(lines_of)
    return blocks


UNDERLINE = re.compile(r"^(?:={3,}|-{3,}|_{3,}|\*{3,}|~{3,})$")


def wrap_width(lines: list[str]) -> int | None:
    """The width a hard-wrapped text was wrapped at (Notepad, email and newsletter pastes break lines at 60-80
    columns), or None when the text is not wrapped: its lines run up to one width and, again and again, the
    next line's first word would not have fitted on the line before."""
    lengths = [len(line) for line in lines if line]
    if not lengths:
        return None
    long_lines = sum(n > 100 for n in lengths)
    if long_lines > max(1, len(lengths) // 20):
        return None  # paragraphs written as one line each
    width = max((n for n in lengths if n <= 100), default=0)
    if width < 40:
        return None
    breaks = [(a, b) for a, b in pairwise(lines) if a and b and near_width(a, b, width)]
    near = [a for a, b in pairwise(lines) if a and b and len(a) >= 0.6 * width]
    mid_sentence = sum(1 for a, b in breaks if b[0].islower() and not ends_heading_shape(a))
    if len(breaks) < 2 or len(breaks) < 0.6 * len(near) or mid_sentence < 2:
        return None  # a list of long lines, each its own item, is not wrapping
    return width


def near_width(line: str, following: str, width: int) -> bool:
    """The next line's first word would (nearly: people wrap by hand too) not have fitted on this one."""
    return len(line) >= 0.7 * width and len(line) + 1 + len(following.split()[0]) > width - 6


def wraps_onto(line: str, following: str, width: int) -> bool:
    """The line was broken only because the next word did not fit, so `following` continues its paragraph."""
    return (
        near_width(line, following, width)
        and not UNDERLINE.match(following)
        and not BULLET.match(following)
        and not (numbering(following) and ends_heading_shape(line))
    )


def looks_like_markdown(text: str) -> bool:
    """Plain text written in Markdown: two or more `#` headings outside code, so it is read as Markdown."""
    return len(re.findall(r"^ {0,3}#{1,6}[ \t]+\S", text, re.M)) >= 2


def ends_heading_shape(line: str) -> bool:
    return ends_sentence(line) or line.endswith(("!", "?", ":"))


class Classifier:
    """Decides what each block of an article is, reading the whole article before deciding any line."""

    def __init__(self, blocks: list[Block], plain: bool, lines_known: bool = True):
        self.blocks = blocks
        self.plain = plain
        self.lines_known = lines_known  # a saved page's lines are the extractor's, not the file's
        self.dropped: list[str] = []

    def note(self, reason: str, line: int, text: str) -> None:
        where = f" (line {line})" if self.lines_known else ""
        self.dropped.append(f"{reason}{where}: {' '.join(text.split())[:70]}")

    def drop(self, block: Block, reason: str) -> None:
        block.kind, block.reason = "clutter", reason
        self.note(reason, block.line, block.text)

    def run(self) -> list[Block]:
        self.find_clutter()
        self.valediction([b for b in self.blocks if b.kind != "clutter"])
        live = [b for b in self.blocks if b.kind != "clutter"]
        if self.plain:
            live = self.table_of_contents(live)
            self.questions_and_answers(live)
            self.numbered(live)
            self.lead_ins(live)
            self.title_lines(live)
            self.agree_with_siblings(live)
        else:
            self.pseudo_headings(live)
        self.sign_off(live)
        for block in live:
            if block.kind == "heading":
                self.tidy_heading(block)
        return [b for b in self.blocks if b.kind != "clutter"]

    # -- clutter ---------------------------------------------------------------------------------------------
    def find_clutter(self) -> None:
        first_body = next((i for i, b in enumerate(self.blocks) if b.kind != "heading" and b.words >= 12), 0)
        furniture: int | None = None  # the level of a heading like "You might also like", while in its section
        for i, block in enumerate(self.blocks):
            if block.kind == "heading" and furniture is not None and block.level <= furniture:
                furniture = None
            if furniture is not None:
                listed = not self.plain or not block.blank_before or bool(BULLET.match(block.text))
                if listed and (block.kind == "heading" or block.words <= 40):
                    self.drop(block, clutter_reason(block.text) or "page section")
                    continue
                furniture = None
            if block.kind == "heading" and block.explicit:
                reason = None
                if clutter_heading(block.text):
                    reason, furniture = "page section", block.level
            elif "\n" in block.text:
                lines = block.text.split("\n")
                reasons = [clutter_reason(line) for line in lines]
                for offset, (line, why) in enumerate(zip(lines, reasons, strict=True)):
                    if why and not all(reasons):
                        self.note(why, block.line + offset, line)
                block.text = "\n".join(line for line, why in zip(lines, reasons, strict=True) if not why)
                reason = reasons[0] if all(reasons) else None
            else:
                reason = clutter_reason(block.text)
                toc = normalise(block.text.rstrip(":")) in TOC_TITLES  # the contents rule reads it later
                if toc and not self.plain:
                    reason = "table of contents"  # a saved page's contents label; the extractor took its list
                if self.plain and block.words <= 6 and clutter_heading(block.text) and not toc:
                    reason, furniture = reason or "page section", 99  # its list goes with it
            if reason is None and i < first_body and block.kind != "heading" and is_name(block.text):
                reason = "byline"  # an author's name alone above the article
            if reason:
                self.drop(block, reason)

    def sign_off(self, live: list[Block]) -> None:
        """A closing like "Warmly," / "– Mel" or "Thanks for reading!" after the last of the article's text."""
        tail: list[Block] = []
        for block in reversed(live):
            text = strip_emphasis(block.text)
            lines = [line.strip() for line in text.split("\n") if line.strip()]
            if block.kind == "heading" or not lines or block.words > 14:
                break
            if all(is_sign_off_line(line) for line in lines):
                tail.append(block)
                continue
            break
        if not tail:
            return
        texts = [strip_emphasis(b.text) for b in tail]
        closing = any(
            VALEDICTION.match(t) or THANKS.search(t) or t.rstrip().endswith(",") or t.startswith(("–", "—", "-"))
            for t in texts
        )
        last_exclaims = texts[0].endswith("!") and line_words(texts[0]) <= 4
        if closing or last_exclaims:
            for block in reversed(tail):
                self.drop(block, "sign-off")

    def valediction(self, live: list[Block]) -> None:
        """ "Until next time," and the name under it ("The Calm Commute Team", "Asha 💛"), and the short text
        after them (an author's bio, a share line): the article ended at the valediction."""
        last_heading = max((i for i, b in enumerate(live) if b.kind == "heading"), default=-1)
        for i in range(max(last_heading + 1, len(live) - 8), len(live)):
            lines = [line.strip() for line in strip_emphasis(live[i].text).split("\n") if line.strip()]
            if not lines or line_words(lines[0]) > 6 or not lines[0].endswith(",") or not VALEDICTION.match(lines[0]):
                continue
            names = lines[1:] or ([strip_emphasis(live[i + 1].text)] if i + 1 < len(live) else [])
            if len(names) != 1 or line_words(names[0]) > 6 or ends_sentence(names[0]):
                continue
            after = live[i + (2 if len(lines) == 1 else 1) :]
            if len(after) > 4 or any(b.kind == "heading" or b.words > 60 for b in after):
                continue
            for block in live[i:]:
                self.drop(block, "sign-off" if block not in after else "after the sign-off")
            return

    # -- plain text ------------------------------------------------------------------------------------------
    def table_of_contents(self, live: list[Block]) -> list[Block]:
        """A contents list names the headings: drop it, and mark the lines it names as headings."""
        for i, block in enumerate(live[:40]):
            if normalise(block.text) not in TOC_TITLES:
                continue
            entries: list[Block] = []
            keys: set[str] = set()
            j = i + 1
            while j < len(live) and live[j].words <= HEADING_MAX_WORDS and not ends_sentence(live[j].text):
                key = toc_key(live[j].text)
                if key in keys:
                    break
                keys.add(key)
                entries.append(live[j])
                j += 1
            later = {toc_key(b.text) for b in live[j:]}
            if not entries or sum(key in later for key in keys) < max(1, len(keys) // 2):
                continue
            for entry in [block, *entries]:
                entry.kind, entry.reason = "clutter", "table of contents"
            self.dropped.append(f"table of contents ({len(entries)} entries)")
            for other in live[j:]:
                if toc_key(other.text) in keys:
                    other.kind, other.explicit = "heading", True
            return [b for b in live if b.kind != "clutter"]
        return live

    def questions_and_answers(self, live: list[Block]) -> None:
        for block in live:
            asked, answered = QUESTION.match(block.text), ANSWER.match(block.text)
            if asked:
                block.text, block.kind, block.explicit = asked.group("text"), "heading", True
            elif answered:
                block.text, block.kind = answered.group("text"), "answer"

    def numbered(self, live: list[Block]) -> None:
        """Numbered lines: a run 1, 2, 3 with text between its members is headings; adjacent members are a list."""
        runs: dict[str, list[list[int]]] = {}
        for i, block in enumerate(live):
            if block.kind != "paragraph":
                continue
            block.number = numbering(block.text)
            if block.number is None:
                continue
            shape_runs = runs.setdefault(block.number.shape, [])
            previous = live[shape_runs[-1][-1]].number if shape_runs else None
            if previous is not None and block.number.value == previous.value + 1:
                shape_runs[-1].append(i)
            else:
                shape_runs.append([i])
        for shape_runs in runs.values():
            for run in shape_runs:
                self.decide_run(live, run)

    def decide_run(self, live: list[Block], run: list[int]) -> None:
        spaced = sum(1 for a, b in pairwise(run) if b - a > 1) + (run[-1] + 1 < len(live))
        adjacent = sum(1 for a, b in pairwise(run) if b - a == 1)
        members = [live[i] for i in run]
        short = sum(1 for m in members if m.number and heading_like(m.number.title, loose=True))
        headings = spaced > adjacent and short >= 0.7 * len(members)
        if len(run) == 1:
            member = members[0]
            following = live[run[0] + 1] if run[0] + 1 < len(live) else None
            headings = bool(member.number and heading_like(member.number.title, loose=True)) and is_body(following)
        for member in members:
            if headings and member.number and heading_like(member.number.title, loose=True):
                member.kind = "heading"
            else:
                member.kind, member.ordered = "item", True

    def lead_ins(self, live: list[Block]) -> None:
        """A line ending in ':' that introduces a list; the short lines after it are the list's items."""
        i = 0
        while i < len(live):
            block = live[i]
            if block.kind != "paragraph" or not block.text.rstrip().endswith(":") or block.words > 30:
                i += 1
                continue
            items = self.item_run(live, i + 1)
            name = normalise(block.text.rstrip(": "))
            following = live[i + 1] if i + 1 < len(live) else None
            if items and name in SECTION_NAMES:
                block.kind, block.explicit = "heading", True
            elif items or lead_in_words(block.text) or (following is not None and is_label_item(following.text)):
                block.kind = "lead-in"
            elif heading_like(block.text.rstrip(": "), loose=False) and is_body(following):
                block.kind = "heading"
            for j in items:
                live[j].kind = "item"
            i += 1 + len(items)

    def item_run(self, live: list[Block], start: int) -> list[int]:
        """The short lines from `start` that read as one list: bullets, numbered or labelled items, or plain lines
        of one sentence at most; at least two of them, or one bullet."""
        run: list[int] = []
        j = start
        while j < len(live):
            block = live[j]
            if len(run) >= 2 and not live[run[1]].blank_before and block.blank_before:
                break  # a list written line under line ends at the next blank line
            if block.kind == "item" or BULLET.match(block.text):
                run.append(j)
            elif run and (live[run[0]].kind == "item" or BULLET.match(live[run[0]].text)):
                break  # a bulleted list ends at its first line without a bullet
            elif block.kind != "paragraph" or block.text.endswith(":") or normalise(block.text) in SECTION_NAMES:
                break
            elif block.words <= SHORT_ITEM_WORDS and sentences(block.text) <= 1:
                run.append(j)
            else:
                break
            j += 1
        bullets = any(live[j].kind == "item" or BULLET.match(live[j].text) for j in run)
        if len(run) >= 2 or bullets:
            # A trailing short line that a paragraph follows, in title shape, is the next heading, not an item.
            while (
                len(run) > 1
                and not bullets
                and heading_like(live[run[-1]].text, loose=False)
                and heading_shape(live[run[-1]].text) != heading_shape(live[run[0]].text)
                and is_body(live[run[-1] + 1] if run[-1] + 1 < len(live) else None)
            ):
                run.pop()
            return run if len(run) >= 2 or bullets else []
        return []

    def title_lines(self, live: list[Block]) -> None:
        """A short line without end punctuation, in title shape, with a paragraph after it: a heading."""
        for i, block in enumerate(live):
            if block.kind != "paragraph" or BULLET.match(block.text):
                continue
            following = live[i + 1] if i + 1 < len(live) else None
            if block.text.endswith("?"):
                if is_rhetorical(block.text):
                    continue
                if heading_like(block.text, loose=True) and is_body(following) and not is_short_question(following):
                    block.kind = "heading"
                continue
            if normalise(block.text) in SECTION_NAMES and following is not None and heading_like(block.text, False):
                block.kind = "heading"
                continue
            label = LABEL_ITEM.match(block.text)
            if label:
                value = label.group("text")
                before = live[i - 1] if i else None
                if line_words(value) < 2 or not value[0].isupper() or not heading_like(block.text, loose=False):
                    continue
                if any(b is not None and LABEL_ITEM.match(b.text) and b.kind != "heading" for b in (before, following)):
                    continue  # "Sets: 3" then "Reps: 10": labelled items, not headings
            if heading_like(block.text, loose=False) and is_body(following):
                block.kind = "heading"

    def agree_with_siblings(self, live: list[Block]) -> None:
        """A heading's siblings are headings: a line of the same shape as two or more headings, standing alone
        between paragraphs, is one too, even when the paragraph after it is short."""
        shapes: dict[tuple[str, str], int] = {}
        for block in live:
            if block.kind == "heading" and block.number is None:
                shapes[heading_shape(block.text)] = shapes.get(heading_shape(block.text), 0) + 1
        for i, block in enumerate(live):
            if block.kind != "paragraph" or shapes.get(heading_shape(block.text), 0) < 2:
                continue
            before = live[i - 1] if i else None
            after = live[i + 1] if i + 1 < len(live) else None
            if (
                heading_like(block.text, loose=False)
                and after is not None
                and after.kind in ("paragraph", "item")
                and heading_shape(after.text) != heading_shape(block.text)
                and (before is None or before.kind != "lead-in")
                and not LABEL_ITEM.match(block.text)
            ):
                block.kind = "heading"

    # -- Markdown and saved pages ----------------------------------------------------------------------------
    def pseudo_headings(self, live: list[Block]) -> None:
        """A paragraph that is one short bold line (`**Bold line**`) is a heading; a Markdown heading's
        numbering is read like plain text's."""
        for i, block in enumerate(live):
            if block.kind == "heading":
                block.number = numbering(strip_emphasis(block.text))
                continue
            bold = re.fullmatch(r"(\*\*|__)(?P<text>[^*_\n]{1,150}?)\1:?", block.text.strip())
            following = live[i + 1] if i + 1 < len(live) else None
            if (
                bold
                and block.kind == "paragraph"
                and line_words(bold.group("text")) <= HEADING_MAX_WORDS
                and not ends_sentence(bold.group("text"))
                and following is not None
            ):
                block.text, block.kind, block.explicit = bold.group("text").strip(), "heading", True
                block.number = numbering(block.text)

    def tidy_heading(self, block: Block) -> None:
        text = strip_emphasis(block.text) if block.markdown else block.text
        if block.number is None:
            block.number = numbering(text)
        if block.number and not block.number.keep:
            text = block.number.title
        text = text.rstrip()
        if text.endswith((".", ":")) and not text.endswith("..."):
            text = text[:-1].rstrip()
        block.text = text or block.text


def toc_key(text: str) -> str:
    bullet = BULLET.match(text)
    text = bullet.group("text") if bullet else text
    number = numbering(text)
    return normalise(number.title if number and not number.keep else text)


def lead_in_words(text: str) -> bool:
    return (
        bool(
            re.search(
                r"\b(?:here are|here's|here is|the following|following|include|includes|such as|like this|looks like|"
                r"for example|these|this one|you(?:'ll| will)? need|watch for|as follows|try this|consider|"
                r"worth (?:asking|checking|trying)|signs that|things to|ways to)\b",
                text,
                re.I,
            )
        )
        or line_words(text) > 10
    )


@cache
def heading_like(text: str, loose: bool) -> bool:
    """Could be a heading by its own shape: short, not a sentence, starting with a capital or a digit.
    `loose` also takes a final full stop (numbered headings often have one) and a question."""
    text = strip_emphasis(text).strip()
    if not text or line_words(text) > HEADING_MAX_WORDS or len(text) > 140:
        return False
    first = next((c for c in text if c.isalnum()), "")
    if not first or not (first.isupper() or first.isdigit()):
        return False
    core = text.rstrip("\"”’')] ")
    if loose and core.endswith(".") and sentences(core[:-1] + " ") == 0:
        return True
    if core.endswith((".", ",", ";", "…")):
        return False
    if core.endswith("!") and line_words(text) > 8:
        return False
    return sentences(core) <= 1


def is_body(block: Block | None) -> bool:
    """What follows a heading: text that reads as a paragraph or a list, not another title."""
    if block is None or block.kind in ("heading", "clutter"):
        return False
    if block.kind in ("item", "answer", "lead-in") or BULLET.match(block.text) or LABEL_ITEM.match(block.text):
        return True
    return ends_sentence(block.text) or block.text.endswith(("!", "?", ":")) or block.words > HEADING_MAX_WORDS


def is_label_item(text: str) -> bool:
    label = LABEL_ITEM.match(text)
    return label is not None and line_words(label.group("label")) <= 6 and line_words(label.group("text")) >= 3


QUESTION_WORDS = {
    "what", "why", "how", "when", "where", "who", "whom", "whose", "which", "can", "could", "should", "would",
    "will", "is", "are", "was", "do", "does", "did", "have", "has", "may", "must", "shall", "am",
}  # fmt: skip


def is_rhetorical(text: str) -> bool:
    """ "Sound familiar?", "Crazy, right?": a short aside to the reader, not a question a section answers."""
    words = re.findall(r"[A-Za-z'’]+", text)
    return 0 < len(words) <= 4 and words[0].lower() not in QUESTION_WORDS


def is_short_question(block: Block | None) -> bool:
    return (
        block is not None
        and block.text.endswith("?")
        and block.words <= HEADING_MAX_WORDS
        and sentences(block.text) <= 1
    )


@cache
def heading_shape(text: str) -> tuple[str, str]:
    end = text.rstrip()[-1:] if text.rstrip()[-1:] in "?!:" else ""
    return case_shape(text), end


def is_sign_off_line(text: str) -> bool:
    return bool(
        VALEDICTION.match(text)
        or THANKS.search(text)
        or is_name(text)
        or (line_words(text) <= 8 and text.endswith((",", "!")))
    )


# ------------------------------------------------------------------------------------------------------ Markdown


KEPT_FIELDS = ("original_title", "original_url", "author")  # front matter a source may carry, kept on import


def markdown_front_matter(text: str) -> tuple[dict[str, str], int]:
    """The scalar fields of a Markdown file's front matter, and the index of the first line after it."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, 0
    end = next((i for i in range(1, min(len(lines), 200)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        return {}, 0
    fields: dict[str, str] = {}
    for line in lines[1:end]:
        found = re.match(r"^(?P<key>[A-Za-z_][\w-]*)\s*:\s*(?P<value>\S.*)$", line)
        if found:
            value = found.group("value").strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1].replace('\\"', '"') if value[0] == '"' else value[1:-1].replace("''", "'")
            fields[found.group("key")] = value
    return fields, end + 1


def markdown_blocks(text: str) -> tuple[str | None, list[Block]]:
    """Title and blocks of a Markdown document: ATX and setext headings, list items, paragraphs, quotes, fences."""
    lines = text.split("\n")
    fields, start = markdown_front_matter(text)
    title: str | None = fields.get("title") or None
    width = wrap_width([" ".join(line.split()) for line in lines[start:]])
    blocks: list[Block] = []
    paragraph: list[str] = []
    paragraph_line = 0
    fence: list[str] | None = None
    continued: dict[int, list[str]] = {}
    # Headings by the rule sources are split by (CommonMark's, from markdown-it): ATX and setext, top level only.
    headings = {start + h.first: h for h in markdown_headings("\n".join(lines[start:]))}
    inside_heading = 0  # lines of a setext heading still to skip

    def flush() -> None:
        if paragraph:
            text = paragraph[0]
            for before, line in pairwise(paragraph):
                text += (" " if width and wraps_onto(before, line, width) else "\n") + line
            blocks.append(Block(text, paragraph_line, markdown=True))
            paragraph.clear()

    for number in range(start, len(lines)):
        raw = lines[number]
        line = raw.strip()
        if number < inside_heading:
            continue
        if fence is not None:
            fence.append(raw)
            if re.match(r"^ {0,3}(`{3,}|~{3,})\s*$", raw) and len(fence) > 1:
                blocks.append(Block("\n".join(fence), number + 1 - len(fence) + 1, kind="paragraph", markdown=True))
                fence = None
            continue
        if re.match(r"^ {0,3}(`{3,}|~{3,})", raw):
            flush()
            fence = [raw]
            continue
        if number in headings:
            flush()
            heading = headings.pop(number)
            blocks.append(with_anchor(Block(heading.text, number + 1, "heading", heading.level, True)))
            inside_heading = start + heading.after
            continue
        if re.match(r"^ {0,3}#{1,6}[ \t]*#*[ \t]*$", raw):
            continue  # an empty ATX heading: no text to keep
        if not line or is_thematic_break(raw):
            flush()
            continue
        item = re.match(r"^\s{0,3}(?:[-*+•]|(?P<n>\d{1,3})[.)])\s+(?P<text>\S.*)$", raw)
        if item:
            flush()
            block = Block(item.group("text"), number + 1, "item", markdown=True, ordered=bool(item.group("n")))
            blocks.append(block)
            continue
        if blocks and blocks[-1].kind == "item" and not paragraph and raw.startswith(("  ", "\t")):
            continued.setdefault(len(blocks) - 1, []).append(line)  # a list item's continuation line
            continue
        if not paragraph:
            paragraph_line = number + 1
        paragraph.append(line)
    flush()
    if fence is not None:
        blocks.append(Block("\n".join(fence), len(lines), markdown=True))
    for index, more in continued.items():
        blocks[index].text = " ".join([blocks[index].text, *more])
    if title is None:
        first = next((b for b in blocks if b.kind == "heading"), None)
        if first is not None and first.level == 1 and blocks.index(first) <= 2:
            title = strip_emphasis(first.text)
            blocks.remove(first)
    return title, blocks


def with_anchor(block: Block) -> Block:
    """A Markdown heading, its explicit `{#id}` (the form sources use) kept as the section id, not as text."""
    block.markdown = True
    text, anchor = split_explicit_id(block.text)
    if anchor is not None and anchor == anchor.lower() and text:  # import takes only a lower-case id as one
        block.text, block.anchor = text, anchor
    return block


def is_thematic_break(raw: str) -> bool:
    """`---`, `***` or `___` (spaces allowed between), at most three spaces in: a horizontal rule."""
    marks = raw.replace(" ", "").replace("\t", "")
    return (
        len(raw) - len(raw.lstrip(" ")) <= 3
        and len(marks) >= 3
        and marks[0] in "-*_"
        and marks == marks[0] * len(marks)
    )


# ---------------------------------------------------------------------------------------------------- saved pages

SUBTITLE = re.compile(r"subtitle|\bdek\b|standfirst|\bsubhead\b", re.I)
TITLE_CLASSES = re.compile(r"(?:^|[\s_-])(?:entry|post|article|blog-?item|page|story)[-_]?title|headline", re.I)


def page_title(root: object) -> str | None:
    """The article's title: a heading marked as the post title, else the first <h1> in the article, else the
    longest part of <title> (pages add their site's name with " | " or " - ")."""
    import lxml.html

    assert isinstance(root, lxml.html.HtmlElement)
    for element in root.iter("h1", "h2", "h3"):
        classes = f"{element.get('class', '')} {element.get('itemprop', '')} {element.get('data-hook', '')}"
        if TITLE_CLASSES.search(classes):
            text = " ".join(element.text_content().split())
            if text:
                return text
    for element in root.iter("h1"):
        inside = any(a.tag in ("article", "main") for a in element.iterancestors())
        if inside:
            text = " ".join(element.text_content().split())
            if text:
                return text
    title = root.find(".//title")
    if title is not None and title.text_content().strip():
        parts = re.split(r"\s+[|–—·-]\s+|\s+::\s+", " ".join(title.text_content().split()))
        return max(parts, key=len)
    h1 = next(iter(root.iter("h1")), None)
    return " ".join(h1.text_content().split()) if h1 is not None else None


def loosen_layout(root: object) -> None:
    """Old pages lay out with tables and mark headings as a bold line before a <br>; make both look like what
    they mean, so the extractor sees paragraphs and headings."""
    import lxml.html

    assert isinstance(root, lxml.html.HtmlElement)
    for table in list(root.iter("table")):
        cells = list(table.iter("td", "th"))
        if any(
            c.find(".//p") is not None or c.find(".//div") is not None or line_words(c.text_content()) > 60
            for c in cells
        ):
            for element in [table, *table.iter("tbody", "thead", "tr", "td", "th")]:
                element.tag = "div"
    for heading in root.iter("h2", "h3", "h4"):
        if SUBTITLE.search(f"{heading.get('class', '')} {heading.get('data-testid', '')}"):
            heading.tag = "p"  # Medium's and news sites' standfirst under the title: intro text, not a heading
    for container in list(root.iter("div", "td", "section", "article", "main", "blockquote", "li")):
        paragraphs_from_breaks(container)
    for paragraph in list(root.iter("p")):
        first = paragraph[0] if len(paragraph) else None
        if (
            first is not None
            and first.tag in ("b", "strong")
            and not (paragraph.text or "").strip()
            and not (first.tail or "").strip()
            and len(paragraph) > 1
            and paragraph[1].tag == "br"
        ):
            heading = lxml.html.Element("p")
            paragraph.addprevious(heading)
            heading.append(first)
            first.tail = None
            br = paragraph[0]
            paragraph.text = (br.tail or "").lstrip()
            paragraph.remove(br)


INLINE_TAGS = {
    "a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "dfn", "em", "font", "i", "kbd", "mark", "q", "s",
    "samp", "small", "span", "strike", "strong", "sub", "sup", "time", "u", "var", "wbr",
}  # fmt: skip


def paragraphs_from_breaks(container: object) -> None:
    """Text written straight into a container and split with `<br>` (Blogger, old editors) becomes paragraphs,
    its inline markup inside them, so the extractor neither splits a sentence at an `<i>` nor glues words."""
    import lxml.html

    assert isinstance(container, lxml.html.HtmlElement)
    if not (container.text or "").strip() and not any((c.tail or "").strip() for c in container):
        return
    if not any(c.tag == "br" or (isinstance(c.tag, str) and c.tag not in INLINE_TAGS) for c in container):
        return
    if container.tag in ("li", "td") and not any(c.tag == "br" for c in container):
        return
    items: list[object] = [container.text or ""]
    for child in container:
        items += [child, child.tail or ""]
        child.tail = None
    container.text = None
    for child in list(container):
        container.remove(child)
    run: list[object] = []

    def flush() -> None:
        if any(isinstance(i, str) and i.strip() for i in run) or any(not isinstance(i, str) for i in run):
            paragraph = lxml.html.Element("p")
            last: lxml.html.HtmlElement | None = None
            for item in run:
                if isinstance(item, str):
                    if last is None:
                        paragraph.text = (paragraph.text or "") + item
                    else:
                        last.tail = (last.tail or "") + item
                else:
                    assert isinstance(item, lxml.html.HtmlElement)
                    paragraph.append(item)
                    last = item
            if paragraph.text_content().strip():
                container.append(paragraph)
        run.clear()

    for item in items:
        if isinstance(item, str) or (isinstance(item, lxml.html.HtmlElement) and item.tag in INLINE_TAGS):
            run.append(item)
        elif isinstance(item, lxml.html.HtmlElement) and item.tag == "br":
            flush()
        else:
            flush()
            assert isinstance(item, lxml.html.HtmlElement)
            container.append(item)
    flush()


def html_blocks(text: str) -> tuple[str | None, list[Block], list[str]]:
    """Title, blocks and warnings of a saved page: trafilatura keeps the article (headings, lists, emphasis and
    links as Markdown) and drops navigation, bylines, share bars, comments and related posts. Its output is
    checked against the page: when it lost headings the page has, it is asked again favouring recall, and
    whatever is still missing is named in a warning."""
    import copy

    import lxml.etree
    import lxml.html

    try:  # huge_tree: a page nested hundreds of elements deep keeps its text (the linear tests cover its cost)
        root = lxml.html.document_fromstring(text, parser=lxml.html.HTMLParser(huge_tree=True))
    except (lxml.etree.ParserError, ValueError):
        return None, [], []
    title = page_title(root)
    loosen_layout(root)
    collapse_whitespace(root)
    wanted = page_headings(root, title)
    spare = copy.deepcopy(root) if wanted else None  # the extractor edits the tree it reads
    pristine = None
    blocks = extract_blocks(root, favor_recall=False)
    missing = wanted - {normalise(strip_emphasis(b.text)) for b in blocks if b.kind == "heading"}
    if missing and spare is not None:
        pristine = copy.deepcopy(spare)
        recalled = extract_blocks(spare, favor_recall=True)
        still = wanted - {normalise(strip_emphasis(b.text)) for b in recalled if b.kind == "heading"}
        if len(still) < len(missing):
            blocks, missing = recalled, still
    if not blocks:
        body = root.find(".//body")
        plain = body.text_content() if body is not None else root.text_content()
        return title, text_blocks(clean(plain)), []
    if missing and pristine is not None:
        blocks, missing = restore_headings(pristine, blocks, missing)
    if title and blocks[0].kind == "heading" and normalise(blocks[0].text) == normalise(title):
        blocks.pop(0)
    notes = []
    if missing:
        notes.append(
            f"the page has {len(missing)} heading(s) its article text lost: {', '.join(sorted(missing))[:200]}"
        )
    page_words, kept_words = text_words(root), sum(count_words(b.text) for b in blocks)
    if page_words >= 150 and kept_words < 0.5 * page_words:
        notes.append(f"only {kept_words} of the page's {page_words} words of running text were kept as the article")
    return title, blocks, notes


def in_furniture(element: object) -> bool:
    import lxml.html

    assert isinstance(element, lxml.html.HtmlElement)
    return any(
        a.tag in ("nav", "header", "footer", "aside", "form")
        or PAGE_FURNITURE.search(f"{a.get('class', '')} {a.get('id', '')} {a.get('role', '')}")
        for a in [element, *element.iterancestors()]
    )


def text_words(root: object) -> int:
    """Words of running text in the page outside its navigation, sidebars, comments and footer."""
    import lxml.html

    assert isinstance(root, lxml.html.HtmlElement)
    return sum(
        count_words(element.text_content())
        for element in root.iter("p", "li", "dd", "blockquote")
        if not any(a.tag in ("p", "li", "dd", "blockquote") for a in element.iterancestors())
        and not in_furniture(element)
    )


def element_blocks(element: object) -> list[Block]:
    """A page element as blocks of escaped plain text: list items, or one paragraph."""
    import lxml.html

    assert isinstance(element, lxml.html.HtmlElement)
    if element.tag in ("ul", "ol"):
        items = [" ".join(li.text_content().split()) for li in element.iter("li")]
        return [Block(escape_markdown(t), 0, "item", markdown=True, ordered=element.tag == "ol") for t in items if t]
    text = " ".join(element.text_content().split())
    return [Block(escape_markdown(text), 0, markdown=True)] if text else []


def restore_headings(root: object, blocks: list[Block], missing: set[str]) -> tuple[list[Block], set[str]]:
    """Put back the headings the extractor dropped: before the text that follows each in the page when that text
    was kept, or with that text (the elements up to the next heading) before whatever the page has after it."""
    import lxml.html

    assert isinstance(root, lxml.html.HtmlElement)
    first_at: dict[str, int] = {}  # the start of each block's words -> where the first such block is
    for i, block in enumerate(blocks):
        first_at.setdefault(normalise(strip_emphasis(block.text))[:30], i)

    def position(element: lxml.html.HtmlElement | None) -> int | None:
        for _ in range(5):  # the next few elements: a bounded look, so a long page stays linear
            if element is None:
                return None
            key = normalise(element.text_content())[:30]
            if key and key in first_at:
                return first_at[key]
            element = element.getnext()
        return None

    restored: list[tuple[int, list[Block]]] = []
    left = set(missing)
    for heading in root.iter("h2", "h3", "h4", "h5", "h6"):
        text = " ".join(heading.text_content().split())
        if normalise(text) not in left:
            continue
        content = []
        for sibling in heading.itersiblings():
            if sibling.tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
                break
            content.append(sibling)
        level = int(heading.tag[1])
        head = Block(escape_markdown(text), 0, "heading", level, True, markdown=True)
        at = position(content[0]) if content else None
        if at is not None:
            restored.append((at, [head]))
        else:
            after = heading.getnext() if not content else content[-1].getnext()
            if after is None:
                after = next(heading.getparent().itersiblings(), None) if heading.getparent() is not None else None
            at = position(after)
            if at is None:
                continue
            restored.append((at, [head] + [b for element in content for b in element_blocks(element)]))
        left.discard(normalise(text))
    for at, new in sorted(restored, key=lambda r: r[0], reverse=True):
        blocks[at:at] = new
    return blocks, left


def extract_blocks(root: object, favor_recall: bool) -> list[Block]:
    import trafilatura

    extracted = trafilatura.extract(
        root,
        output_format="markdown",
        include_formatting=True,
        include_links=True,
        include_comments=False,
        favor_recall=favor_recall,
    )
    return markdown_blocks(extracted)[1] if extracted else []


PAGE_FURNITURE = re.compile(
    r"comment|sidebar|widget|related|footer|share|social|subscribe|newsletter|menu|nav|breadcrumb|toc|author|"
    r"signup|cookie|banner|promo|advert|pagination|recent|recommend|card|teaser|sources|references|data-hook",
    re.I,
)


AFTER_ARTICLE = re.compile(
    r"^(?:more from|recommended|related|read next|you (?:might|may) also|recent posts|popular posts|keep reading|"
    r"comments?\b|leave a (?:comment|reply)|\d+ (?:comments?|responses?|thoughts?))"
)


def page_headings(root: object, title: str | None) -> set[str]:
    """The `<h2>`-`<h6>` headings of the page's own text: not in navigation, a sidebar, comments or a footer,
    and not page furniture themselves, so the extractor's output can be checked for every one of them."""
    import lxml.html

    assert isinstance(root, lxml.html.HtmlElement)
    found: set[str] = set()
    for element in root.iter("h2", "h3", "h4", "h5", "h6"):
        text = " ".join(element.text_content().split())
        key = normalise(text)
        if AFTER_ARTICLE.match(key):
            break  # what follows a "More from ..." heading is the site's, not the article's
        if not key or key == normalise(title or "") or clutter_heading(text) or clutter_reason(text):
            continue
        links = " ".join(" ".join(a.text_content().split()) for a in element.iter("a"))
        if any(a.tag == "a" for a in element.iterancestors()) or normalise(links) == key:
            continue  # a card that links to another post
        if in_furniture(element):
            continue
        found.add(key)
    return found


def collapse_whitespace(root: object) -> None:
    """HTML's line breaks in running text are spaces; only `<br>` and `<pre>` break a line."""
    import lxml.html

    assert isinstance(root, lxml.html.HtmlElement)
    for element in root.iter():
        if element.tag == "pre" or any(a.tag == "pre" for a in element.iterancestors()):
            continue
        if element.text and "\n" in element.text:
            element.text = re.sub(r"\s*\n\s*", " ", element.text)
        if element.tail and "\n" in element.tail:
            element.tail = re.sub(r"\s*\n\s*", " ", element.tail)


CANONICAL = re.compile(r"<link\b[^>]*\brel=[\"']?canonical\b[^>]*>", re.I)
HREF = re.compile(r"\bhref=[\"']?(?P<url>https?://[^\"'\s>]+)", re.I)


def canonical_url(page: str) -> str | None:
    """The address a saved page says it was published at (`<link rel="canonical">`), if it gives a full one."""
    for tag in CANONICAL.finditer(page[:200_000]):
        found = HREF.search(tag.group(0))
        if found:
            return found.group("url")
    return None


def absolute_links(text: str, base: str) -> str:
    """Markdown links made absolute against the page's address, so the source has no relative link `check` refuses;
    a link to a place in the page itself (`#top`) keeps only its words."""
    from urllib.parse import urljoin

    def resolve(found: re.Match[str]) -> str:
        words, target = found.group(1), found.group(2)
        if target.startswith("#"):
            return words
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):
            return found.group(0)
        return f"[{words}]({urljoin(base, target)})"

    return re.sub(r"(?<!!)\[([^\]]{0,300})\]\(([^)\s]{1,500})\)", resolve, text)


# -------------------------------------------------------------------------------------------------------- sections


def sections_of(blocks: list[Block], plain: bool, closing_gaps: set[int]) -> list[ImportedSection]:
    """Sections from classified blocks: the text before the first heading is the intro; each heading starts one."""
    sections = [ImportedSection("intro", "Introduction")]
    ids = {"intro"}
    list_lines: list[str] = []

    def new_section(title: str, number: str | None, level: int, anchor: str | None = None) -> ImportedSection:
        base = anchor or "-".join(slugify(title).split("-")[:8]) or "section"
        candidate, n = base, 2
        while candidate in ids:
            candidate, n = f"{base}-{n}", n + 1
        ids.add(candidate)
        section = ImportedSection(candidate, " ".join(title.split()), number=number, level=level)
        sections.append(section)
        return section

    def flush_list() -> None:
        if list_lines:
            sections[-1].blocks.append("\n".join(list_lines))
            list_lines.clear()

    headed = False
    for block in blocks:
        if block.kind == "heading":
            flush_list()
            number = block.number.label if block.number and not block.number.keep else None
            new_section(block.text, number, block.level, block.anchor)
            headed = True
            continue
        if plain and headed and block.line in closing_gaps and sections[-1].blocks:
            flush_list()
            new_section("Closing", None, 2)
        if block.kind == "item":
            list_lines.append(render_item(block, plain))
            continue
        flush_list()
        sections[-1].blocks.append(render_paragraph(block, plain))
    flush_list()
    kept = [s for s in sections if s.blocks or s.id != "intro"]
    for section in kept:
        if not section.blocks:
            section.blocks.append("")
    return [s for s in kept if s.blocks != [""] or s.id != "intro"] or [
        ImportedSection("intro", "Introduction", ["(empty)"])
    ]


def render_item(block: Block, plain: bool) -> str:
    text = block.text
    if plain:
        bullet = BULLET.match(text)
        if bullet:
            text = bullet.group("text")
        elif block.ordered and block.number:
            return f"{block.number.value}. {escape_markdown(block.number.title)}"
        return "- " + labelled(text, plain)
    return ("1. " if block.ordered else "- ") + text


def render_paragraph(block: Block, plain: bool) -> str:
    if not plain:
        return block.text
    return labelled(block.text, plain)


def labelled(text: str, plain: bool) -> str:
    label = LABEL_ITEM.match(text)
    if label and line_words(label.group("label")) <= 6:
        return f"**{escape_markdown(label.group('label'))}:** {escape_markdown(label.group('text'))}"
    return escape_markdown(text) if plain else text


def closing_gap_lines(text: str) -> set[int]:
    """Lines that follow two or more blank lines, when an article uses such a gap once or twice: the unheaded
    closing part some articles set off that way."""
    lines = text.split("\n")
    gaps, blank = [], 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            blank += 1
            continue
        if blank >= 2:
            gaps.append(number)
        blank = 0
    return set(gaps) if len(gaps) <= 2 else set()


# ------------------------------------------------------------------------------------------------------ the entry

IMPORT_ORDER = re.compile(r"^import_order:\s*(\d{1,9})\s*$", re.M)


def import_order_of(path: Path) -> int | None:
    """The `import_order` a source's front matter records, if it has one."""
    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:2000]
    except OSError:
        return None
    if not head.startswith("---"):
        return None
    found = IMPORT_ORDER.search(head[3:].split("\n---", 1)[0])
    return int(found.group(1)) if found else None


def import_orders(folder: Path, targets: list[Path]) -> list[int]:
    """The order to record for each new source: a replaced source keeps its own, a new one comes after every
    source already in `folder`, so `plan` can list the sources in the order they were imported."""
    known = [order for path in (folder.glob("*.md") if folder.is_dir() else []) if (order := import_order_of(path))]
    following = max(known, default=0) + 1
    orders = []
    for target in targets:
        own = import_order_of(target) if target.exists() else None
        if own is None:
            own, following = following, following + 1
        orders.append(own)
    return orders


SOURCE_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def import_targets(files: list[Path], into: Path, source_id: str | None, force: bool) -> list[Path]:
    """The source file each article becomes, or every reason it cannot: an id that is not a slug, two articles
    that would become one source, an article that would replace itself, a source that exists (without force)."""
    if source_id is not None and (not SOURCE_SLUG.match(source_id) or len(source_id) > MAX_ID_LENGTH):
        raise DripcourseError(
            Problem(
                None,
                f"--id must be lowercase letters, digits and single hyphens, at most {MAX_ID_LENGTH} characters, "
                f"got {source_id!r}",
            )
        )
    if into.exists() and not into.is_dir():
        raise OutputError(Problem(into, "is not a folder; choose another --into"))
    targets = [into / f"{source_id or file_source_id(f.stem)}.md" for f in files]
    problems = []
    first: dict[Path, Path] = {}
    for article, target in zip(files, targets, strict=True):
        if target in first:
            problems.append(
                Problem(article, f"would become {target}, like {first[target]}; import one of them with its own --id")
            )
            continue
        first[target] = article
        if target.exists() and article.exists() and target.resolve() == article.resolve():
            problems.append(Problem(article, "is the source it would be imported into; import it from elsewhere"))
    if problems:
        raise DripcourseError(problems)
    existing = [t for t in targets if t.exists() or t.is_symlink()]
    if existing and not force:
        raise DripcourseError([Problem(t, "already exists; pass --force to replace it") for t in existing])
    try:
        into.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise refused(into, exc) from None
    return targets


def import_into(
    files: list[Path], into: Path, source_id: str | None = None, force: bool = False, keep_numbers: bool = False
) -> list[tuple[ImportedArticle, Path]]:
    """`dripcourse import`: each article read and written as a source in `into`, with the path it was written to.

    Nothing is written unless every article reads, no two become one source, none would replace itself and
    none would replace a source (without `force`); the problems of every file are reported together.
    """
    if source_id is not None and len(files) != 1:
        raise DripcourseError(Problem(None, "--id names one source; give exactly one file with it"))
    articles: list[ImportedArticle] = []
    problems: list[Problem] = []
    for file in files:
        try:
            articles.append(import_article(file, keep_numbers=keep_numbers))
        except DripcourseError as exc:
            problems += exc.problems
    if problems:
        raise DripcourseError(problems)
    targets = import_targets(files, into, source_id, force)
    for article, target, order in zip(articles, targets, import_orders(into, targets), strict=True):
        write_file(target, article.markdown(import_order=order).encode("utf-8"))
    return list(zip(articles, targets, strict=True))


def import_article(path: Path, shown: str | None = None, keep_numbers: bool = False) -> ImportedArticle:
    """Read one article file and find its sections; an empty file, or a page with no article text, is refused."""
    where = shown or str(path)
    data = read_text_bytes(path, where, MAX_IMPORT_BYTES, "an article", utf16=True)
    text, encoding, notes = decode(data, where)
    if not text.strip(" \t\r\n\ufeff"):
        raise DripcourseError(Problem(where, "is empty; there is no article to import"))
    article = split_article(text, path.suffix.lower(), path.name, encoding, keep_numbers)
    article.notes[:0] = notes
    words = sum(s.word_count for s in article.sections)
    if words == 0 or article.sections[0].markdown == "(empty)":
        scripted = path.suffix.lower() in (".html", ".htm") and re.search(rb"<script\b", data, re.I)
        page = " (a page that only shows its text after its scripts run: save it from the browser once loaded)"
        raise DripcourseError(Problem(where, "has no article text to import" + (page if scripted else "")))
    if words < 50 and path.suffix.lower() in (".html", ".htm") and re.search(rb"<script\b", data, re.I):
        article.notes.append(
            f"only {words} words of article text were found; if the page fills itself in with scripts, save it "
            "from the browser once it has loaded"
        )
    size = len(article.markdown(import_order=0).encode("utf-8"))
    if size > MAX_SOURCE_BYTES:
        raise DripcourseError(
            Problem(where, f"would make a source of {size:,} bytes; a source may be at most {MAX_SOURCE_BYTES:,} bytes")
        )
    return article


LINE_RULES = (
    strip_emphasis,
    clutter_reason,
    clutter_heading,
    case_shape,
    heading_like,
    heading_shape,
    numbering,
    is_name,
)


def split_article(
    text: str, suffix: str, source_file: str, encoding: str = "utf-8", keep_numbers: bool = False
) -> ImportedArticle:
    """An article's title and sections, from its text and the suffix of its file (.txt, .md or .html)."""
    text = clean(text)
    if suffix not in (".md", ".markdown", ".html", ".htm") and looks_like_markdown(text):
        suffix = ".md"
    plain = suffix not in (".md", ".markdown", ".html", ".htm")
    fields: dict[str, str] = {}
    notes: list[str] = []
    if suffix in (".html", ".htm"):
        title, blocks, notes = html_blocks(text)
        canonical = canonical_url(text)
        if canonical:
            fields["original_url"] = canonical
            for block in blocks:
                block.text = absolute_links(block.text, canonical)
    elif suffix in (".md", ".markdown"):
        title, blocks = markdown_blocks(text)
        fields = {k: v for k, v in markdown_front_matter(text)[0].items() if k in KEPT_FIELDS}
    else:
        title, blocks = None, text_blocks(text)
    if title is None and blocks and blocks[0].kind != "heading" and blocks[0].words <= 25:
        title = strip_emphasis(blocks.pop(0).text)
    elif title is None and plain and blocks and blocks[0].level == 1:
        title = blocks.pop(0).text  # underlined with `===`
    classifier = Classifier(blocks, plain, lines_known=suffix not in (".html", ".htm"))
    kept = classifier.run()
    first = next((i for i, b in enumerate(kept) if b.kind == "heading" or b.words >= 12), None)
    if (
        title
        and first is not None
        and kept[first].kind == "heading"
        and normalise(kept[first].text) == normalise(title)
    ):
        kept.pop(first)  # the title, repeated as the first heading
    sections = sections_of(kept, plain, closing_gap_lines(text) if plain else set())
    for cached in LINE_RULES:
        cached.cache_clear()  # the caches serve one article; the next starts empty
    fallback = Path(source_file).stem.replace("-", " ").replace("_", " ").strip() or "Untitled"
    return ImportedArticle(
        " ".join((title or "").split()) or fallback,
        source_file,
        encoding,
        sections,
        classifier.dropped,
        keep_numbers,
        fields,
        notes,
    )
