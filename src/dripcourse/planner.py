"""Draft a syllabus from a course's sources: every section once, in source order, balanced by reading time.

When a syllabus exists, the draft is that syllabus's own text with only its `emails:` block replaced (and any
source it does not list yet added to `sources:`), found by the YAML node marks: every field, comment and the
order the author wrote them in stay as they were.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode

from dripcourse import headers, mergetags
from dripcourse.assemble import without_number
from dripcourse.errors import DripcourseError, Problem
from dripcourse.outputs import write_file
from dripcourse.schema import block
from dripcourse.sources import (
    Section,
    Source,
    file_source_id,
    parse_source,
    read_text_file,
    reading_minutes,
    slugify,
)
from dripcourse.yamlread import compose

SUBJECT_MAX = 50
PREHEADER_MAX = 110
PREHEADER_MIN = 40
DRAFT_FILE = "syllabus.draft.yaml"
FINGERPRINT = re.compile(r"^# dripcourse plan ([0-9a-f]{16})\n")


@dataclass(frozen=True)
class DraftEmail:
    day: int
    slug: str
    subject: str
    preheader: str
    sections: list[Section]


@dataclass(frozen=True)
class SyllabusText:
    """An existing syllabus as text, with the spans of its `sources:` and `emails:` values."""

    path: Path
    text: str
    listed: dict[str, str]  # source id -> path, in the order the syllabus lists them
    root: MappingNode
    lines: dict[str, tuple[int, int]] = field(default_factory=dict)  # source id -> line and column of its path


def read_syllabus_text(path: Path) -> SyllabusText:
    """The syllabus's text and its listed sources; only the YAML has to be valid, not the rest of the course."""
    text = FINGERPRINT.sub("", read_text_file(path, path), count=1)  # a draft copied over it: plan's line goes
    root = compose(text, path)
    if not isinstance(root, MappingNode):
        raise DripcourseError(Problem(path, "must be a mapping with course, schedule, sources and emails", 1))
    listed: dict[str, str] = {}
    lines: dict[str, tuple[int, int]] = {}
    sources = value_of(root, "sources")
    if isinstance(sources, MappingNode):
        for key, value in sources.value:
            if isinstance(key, ScalarNode) and isinstance(value, ScalarNode) and value.value:
                listed[key.value] = value.value
                lines[key.value] = (value.start_mark.line + 1, value.start_mark.column + 1)
    return SyllabusText(path, text, listed, root, lines)


def value_of(mapping: MappingNode, name: str) -> Node | None:
    return next((v for k, v in mapping.value if isinstance(k, ScalarNode) and k.value == name), None)


def key_of(mapping: MappingNode, name: str) -> Node | None:
    return next((k for k, _ in mapping.value if isinstance(k, ScalarNode) and k.value == name), None)


# ------------------------------------------------------------------------------------------------------ sources


def placeholder_texts() -> set[str]:
    """The section texts of the source that `dripcourse new` writes: a source made only of them is no content."""
    from dripcourse.scaffold import SOURCE

    return {words_of(s.markdown) for s in parse_source("basics", SOURCE, "basics.md").sections.values()}


def words_of(markdown: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", markdown.lower()))


def import_order(source: Source) -> int | None:
    raw = source.meta.get("import_order", "")
    return int(raw) if raw.isdigit() else None


def read_sources(course_dir: Path, listed: dict[str, str], syllabus: SyllabusText | None = None) -> dict[str, Source]:
    """The course's sources in plan order: those the syllabus lists, as listed; then the other files in
    sources/, in the order they were imported (front matter `import_order`), then by file name. A listed file
    that is missing is named at its line in the syllabus."""
    folder = course_dir / "sources"
    listed_paths = {(course_dir / path).resolve() for path in listed.values()}
    others = [p for p in sorted(folder.glob("*.md")) if p.resolve() not in listed_paths] if folder.is_dir() else []
    entries = list(listed.items())
    taken = set(listed)
    for other in others:
        source_id = base = file_source_id(other.stem)
        suffix = 2
        while source_id in taken:  # a_b.md and a-b.md: the second in name order becomes a-b-2
            source_id, suffix = f"{base}-{suffix}", suffix + 1
        taken.add(source_id)
        entries.append((source_id, str(other.relative_to(course_dir))))
    problems: list[Problem] = []
    sources: list[Source] = []
    for source_id, relative in entries:
        path = course_dir / relative
        if syllabus is not None and source_id in syllabus.lines and not path.is_file():
            line, column = syllabus.lines[source_id]
            problems.append(
                Problem(
                    syllabus.path,
                    f"sources.{source_id}: {relative} not found; restore the file or remove this line",
                    line,
                    column,
                )
            )
            continue
        try:
            sources.append(parse_source(source_id, read_text_file(path, path), Path(relative)))
        except DripcourseError as exc:
            problems += exc.problems
    if problems:
        raise DripcourseError(problems)
    placeholders = placeholder_texts()
    real = [s for s in sources if not all(words_of(x.markdown) in placeholders for x in s.sections.values())]
    if not real:
        raise DripcourseError(Problem(folder, "no sources with content here; import some articles first"))
    first_unlisted = len([s for s in real if s.id in listed])
    unlisted = sorted(real[first_unlisted:], key=lambda s: (import_order(s) is None, import_order(s) or 0))
    return {s.id: s for s in real[:first_unlisted] + unlisted}


# ------------------------------------------------------------------------------------------------------- emails


INTRO_SPLIT = 1.0  # the cost of ending an email on an article's intro, the article's body in the next email
MID_ARTICLE = 0.4  # the cost of a break inside an article rather than between two, against a balanced length
WINDOW = 6  # how many sections either side of the balanced break are weighed for a better one


def group(sections: list[Section], days: int) -> list[list[Section]]:
    """Split the sections, kept in order, into `days` runs of about equal reading time, breaking between
    articles where one is near and never just after an article's intro when another break will do."""
    if days < 1:
        raise DripcourseError(Problem(None, "--days must be at least 1"))
    if len(sections) < days:
        raise DripcourseError(
            Problem(None, f"only {len(sections)} sections for {days} emails; use --days {len(sections)} or fewer")
        )
    weights = [max(section.word_count, 1) for section in sections]
    prefix = [0]
    for weight in weights:
        prefix.append(prefix[-1] + weight)
    total = prefix[-1]
    mean = total / days

    def break_cost(end: int) -> float:
        """What it costs to start the next email at sections[end]."""
        before, after = sections[end - 1], sections[end]
        if before.source != after.source:
            return 0.0
        return INTRO_SPLIT if before.id == "intro" else MID_ARTICLE

    groups: list[list[Section]] = []
    start = 0
    for k in range(days):
        left = days - k
        if left == 1:
            groups.append(sections[start:])
            break
        target = total * (k + 1) / days
        last = len(sections) - (left - 1)  # leave one section for each later email
        balanced = start + 1
        # Grow while the next section brings the total closer to this email's target.
        while balanced < last and abs(prefix[balanced + 1] - target) < abs(prefix[balanced] - target):
            balanced += 1
        candidates = range(max(start + 1, balanced - WINDOW), min(last, balanced + WINDOW) + 1)
        end = min(candidates, key=lambda e: (abs(prefix[e] - target) / mean + break_cost(e), abs(e - balanced)))
        groups.append(sections[start:end])
        start = end
    return groups


PHRASE_BREAK = re.compile(r"\s*(?:[,;:(–—]|\s-\s|\s(?:and|or|but|when|while|if|because|so|with|without)\s)")


def shorten(text: str, limit: int) -> str:
    """The text, cut to `limit` characters at a phrase's end when one is near, else at a word's, marked with …."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    phrase = max((m.start() for m in PHRASE_BREAK.finditer(head) if m.start() >= limit // 2), default=0)
    cut = head[:phrase] if phrase else head.rsplit(" ", 1)[0]
    return cut.rstrip(",;:-–— ") + "…"


def sentence_case(heading: str) -> str:
    """An ALL-CAPS heading as a sentence ("WHAT NOT TO DO" -> "What not to do"); any other heading unchanged."""
    letters = [c for c in heading if c.isalpha()]
    if len(letters) < 4 or any(c.islower() for c in letters):
        return heading
    lowered = heading.lower()
    return re.sub(r"\b(i)\b", "I", lowered[:1].upper() + lowered[1:])


def plain(markdown: str) -> str:
    """Markdown as the words a reader sees, for drafting a preheader."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"^\s*(?:#{1,6}|[-*+]|\d+[.)])\s+", "", text, flags=re.M)
    text = re.sub(r"[*_`]+", "", text).replace("\\", "")
    return " ".join(text.split())


def same(text: str, subject: str) -> bool:
    """The text says what the subject says: the same words, or the words a subject cut with … starts."""
    words, said = words_of(text), words_of(subject.rstrip("…"))
    return words == said or (bool(said) and words.startswith(said) and (subject.endswith("…") or len(said) > 30))


def heading_of(section: Section) -> str:
    return sentence_case(without_number(section.title).rstrip(":").strip())


def subject_for(run: list[Section], sources: dict[str, Source]) -> str:
    """The heading the email shows first: its first section's, or the article's title when it opens on an intro."""
    first = run[0]
    title = sentence_case(sources[first.source].title) if first.id == "intro" else heading_of(first)
    return shorten(title, SUBJECT_MAX)


def header_problem(text: str) -> str | None:
    """Why `text` cannot be a subject or preheader, by the syllabus reader's own rules: header text (no control,
    bidi or encoded-word characters) holding no merge tag."""
    problem = headers.text_problem(text)
    if problem is None:
        problem = next((message for _, message in mergetags.tag_problems(text, "here")), None)
    return problem


def joined(titles: list[str]) -> str:
    """ "A, B and C", or with semicolons when a title has a comma of its own; no full stop after a ? or !."""
    if any("," in t for t in titles):
        text = "; ".join(titles)
    else:
        text = ", ".join(titles[:-1]) + " and " + titles[-1] if len(titles) > 1 else titles[0]
    return text if text.endswith(("?", "!", "…", ".")) else text + "."


def preheader_for(run: list[Section], subject: str) -> str:
    """What the lesson adds to its subject: the other sections it covers, else its opening sentence."""
    others: list[str] = []
    for section in run[1:]:
        if section.id == "intro":
            continue  # an article's intro has no heading of its own to list
        title = heading_of(section)
        generic = words_of(title) in ("closing", "introduction")
        unusable = header_problem(title) is not None  # a heading a subject could not hold is left out here too
        if not same(title, subject) and not generic and not unusable and title not in others:
            others.append(title)
    listed: list[str] = []
    for title in others[:3]:  # whole headings only: none cut off at the end
        if len("Also: " + joined([*listed, title])) > PREHEADER_MAX:
            break
        listed.append(title)
    if listed:
        text = "Also: " + joined(listed)
    else:
        opening = next((plain(s.markdown) for s in run if plain(s.markdown)), "")
        first = re.split(r"(?<=[.!?])\s+", opening, maxsplit=1)[0]
        text = first if first and not same(first, subject) and header_problem(first) is None else ""
    if len(text) < PREHEADER_MIN:
        text = (text + " " if text else "") + reading_time(run)
    return shorten(text, PREHEADER_MAX)


def reading_time(run: list[Section]) -> str:
    count = reading_minutes(sum(s.word_count for s in run))
    return f"About {count} minute{'s' if count > 1 else ''} of reading."


def draft_emails(course_dir: Path, sources: dict[str, Source], days: int) -> list[DraftEmail]:
    sections = [section for source in sources.values() for section in source.sections.values()]
    emails: list[DraftEmail] = []
    slugs: set[str] = set()
    problems: list[Problem] = []
    for day, run in enumerate(group(sections, days)):
        subject = subject_for(run, sources)
        problem = header_problem(subject)
        if problem is not None:
            first = run[0]
            what = "title" if first.id == "intro" else "heading"
            problems.append(
                Problem(
                    course_dir / sources[first.source].path,
                    f"this {what} cannot be the subject of day {day}: {problem} (reword it, or write that subject in"
                    " the syllabus yourself)",
                    None if first.id == "intro" else first.line,
                )
            )
            continue
        slug = base = f"day-{day}-" + "-".join(slugify(subject).split("-")[:5])
        n = 2
        while slug in slugs:
            slug, n = f"{base}-{n}", n + 1
        slugs.add(slug)
        emails.append(DraftEmail(day, slug, subject, preheader_for(run, subject), run))
    if problems:
        raise DripcourseError(problems)
    return emails


# --------------------------------------------------------------------------------------------------------- YAML


# What YAML does not take raw in a double-quoted string (YAML 1.1's printable set; NEL and the Unicode line and
# paragraph separators would fold as line breaks), nor UTF-8 at all (lone surrogates): each is written as an escape.
YAML_UNSAFE = re.compile(r"[^\t\n\r\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def q(value: str) -> str:
    """A YAML double-quoted string (JSON strings are valid YAML, with the escapes above)."""
    return YAML_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(value, ensure_ascii=False))


def emails_yaml(emails: list[DraftEmail]) -> list[str]:
    """The `emails:` entries as YAML lines, indented two spaces: the one place the draft's emails are written."""
    lines: list[str] = []
    for email in emails:
        lines += [
            f"  - day: {email.day}" + ("                  # sent at signup" if email.day == 0 else ""),
            f"    slug: {email.slug}",
            f"    subject: {q(email.subject)}",
            f"    preheader: {q(email.preheader)}",
            "    sections:",
            *[f"      - {section.ref}" for section in email.sections],
        ]
    return lines


def fresh_syllabus(title: str, sources: dict[str, Source], emails: list[DraftEmail]) -> str:
    lines = [
        "# The sender, address and links below are placeholders: replace them before sending.",
        *block("course", {"course.title": q(title), "course.language": "en"}),
        *block("schedule", {"schedule.mode": "evergreen", "schedule.time_zone": "America/New_York"}),
        "sources:",
        *[f"  {source_id}: {q(str(source.path))}" for source_id, source in sources.items()],
        "emails:",
        *emails_yaml(emails),
    ]
    return "\n".join(lines) + "\n"


def line_starts(text: str) -> list[int]:
    starts = [0]
    starts += [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    return starts


def value_span(text: str, starts: list[int], key: Node, value: Node) -> tuple[int, int]:
    """Where a top-level key's value is in the text: from the end of the key's line (or the value itself, when it
    is written on that line) to the start of the line after it, leaving out comments that open the next key."""
    if value.start_mark.line == key.start_mark.line:
        begin = value.start_mark.index
    else:
        line_end = text.find("\n", key.start_mark.index)
        begin = len(text) if line_end == -1 else line_end
    end_line = value.end_mark.line if value.end_mark.column == 0 else value.end_mark.line + 1
    while end_line - 1 > key.start_mark.line and end_line - 1 < len(starts):
        previous = text[starts[end_line - 1] : starts[end_line] if end_line < len(starts) else len(text)]
        if previous.strip() and not previous.startswith("#"):
            break
        end_line -= 1
    end = starts[end_line] if end_line < len(starts) else len(text)
    return begin, max(begin, end)


def merged_syllabus(existing: SyllabusText, sources: dict[str, Source], emails: list[DraftEmail]) -> str:
    """The existing syllabus with its `emails:` replaced and unlisted sources added; nothing else changes."""
    text = existing.text if existing.text.endswith("\n") else existing.text + "\n"
    starts = line_starts(text)
    edits: list[tuple[int, int, str]] = []
    new_sources = [f"  {sid}: {q(str(s.path))}" for sid, s in sources.items() if sid not in existing.listed]
    placeholders = {sid for sid in existing.listed if sid not in sources}  # listed, but only `new`'s sample text
    sources_key, sources_value = key_of(existing.root, "sources"), value_of(existing.root, "sources")
    block = isinstance(sources_value, MappingNode) and not sources_value.flow_style and sources_value.value
    if (new_sources or placeholders) and sources_key is not None and sources_value is not None:
        begin, end = value_span(text, starts, sources_key, sources_value)
        if block:
            assert isinstance(sources_value, MappingNode)
            edits.append((end, end, "\n".join(new_sources) + "\n"))
            for key, value in sources_value.value:
                if isinstance(key, ScalarNode) and key.value in placeholders:
                    edits.append((*entry_span(starts, text, key, value), ""))
        else:
            kept = [f"  {sid}: {q(path)}" for sid, path in existing.listed.items() if sid not in placeholders]
            edits.append((begin, end, "\n" + "\n".join(kept + new_sources) + "\n"))
    edits += placeholder_ideas(existing, starts, text, placeholders)
    emails_block = "\n" + "\n".join(emails_yaml(emails)) + "\n"
    emails_key, emails_value = key_of(existing.root, "emails"), value_of(existing.root, "emails")
    if emails_key is not None and emails_value is not None:
        begin, end = value_span(text, starts, emails_key, emails_value)
        edits.append((begin, end, emails_block))
    else:
        edits.append((len(text), len(text), "emails:" + emails_block))
    if sources_key is None:
        edits.append((len(text), len(text), "sources:\n" + "\n".join(new_sources) + "\n"))
    for begin, end, replacement in sorted(edits, reverse=True):
        text = text[:begin] + replacement + text[end:]
    return text


def entry_span(starts: list[int], text: str, key: Node, value: Node) -> tuple[int, int]:
    """The whole lines a block mapping's entry takes, its own comments included."""
    end_line = value.end_mark.line if value.end_mark.column == 0 else value.end_mark.line + 1
    return starts[key.start_mark.line], starts[end_line] if end_line < len(starts) else len(text)


def idea_refs(value: Node) -> list[str]:
    """The section references an idea lists, in its short form or under `sections:`."""
    if isinstance(value, MappingNode):
        sections = value_of(value, "sections")
        return idea_refs(sections) if sections is not None else []
    items = getattr(value, "value", None)
    return [item.value for item in items if isinstance(item, ScalarNode)] if isinstance(items, list) else []


def placeholder_ideas(
    existing: SyllabusText, starts: list[int], text: str, placeholders: set[str]
) -> list[tuple[int, int, str]]:
    """Edits that take out the ideas made only of the placeholder source's sections, which no email can cover
    once that source is left out; the whole `ideas:` key when no other idea is left."""
    ideas_key, ideas = key_of(existing.root, "ideas"), value_of(existing.root, "ideas")
    if not placeholders or ideas_key is None or not isinstance(ideas, MappingNode) or ideas.flow_style:
        return []
    sample = [
        (key, value)
        for key, value in ideas.value
        if (refs := idea_refs(value)) and all(ref.split("#", 1)[0] in placeholders for ref in refs)
    ]
    if not sample:
        return []
    if len(sample) == len(ideas.value):
        return [(*entry_span(starts, text, ideas_key, ideas), "")]
    return [(*entry_span(starts, text, key, value), "") for key, value in sample]


def draft_syllabus(course_dir: Path, days: int, existing: SyllabusText | None) -> str:
    """The drafted syllabus's text: the existing one with new emails, or a new one."""
    sources = read_sources(course_dir, existing.listed if existing else {}, existing)
    emails = draft_emails(course_dir, sources, days)
    if existing is not None:
        return merged_syllabus(existing, sources, emails)
    sections = sum(len(s.sections) for s in sources.values())
    first = next(iter(sources.values()))
    problem = header_problem(first.title)
    if problem is not None:
        raise DripcourseError(Problem(course_dir / first.path, f"this title cannot be the course title: {problem}"))
    return (
        f"# Draft: {days} email{'s' * (days != 1)} from {sections} section{'s' * (sections != 1)} of {len(sources)} "
        f"source{'s' * (len(sources) != 1)}, in source order, balanced by\n"
        "# reading time. Edit the subjects and preheaders, and add intros, actions and journal prompts.\n"
        + fresh_syllabus(first.title, sources, emails)
    )


def fingerprint(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]


def with_fingerprint(body: str) -> str:
    """A draft's text with a first line that lets a later plan tell whether someone edited it."""
    return f"# dripcourse plan {fingerprint(body)}\n{body}"


def edited_since_planned(path: Path) -> bool:
    """A draft someone changed after `plan` wrote it: its first line's fingerprint no longer matches."""
    text = path.read_text(encoding="utf-8", errors="replace")
    found = FINGERPRINT.match(text)
    return found is None or found.group(1) != fingerprint(text[found.end() :])


def plan_course(course_dir: Path, days: int, force: bool, syllabus_file: str = "syllabus.yaml") -> Path:
    """Write the draft: a new syllabus.yaml, or beside an existing one syllabus.draft.yaml (replacing that only
    while it is as plan left it, or with `force`); with `force`, into syllabus.yaml itself, keeping its fields."""
    current = course_dir / syllabus_file
    existing = read_syllabus_text(current) if current.exists() else None
    text = draft_syllabus(course_dir, days, existing)
    if existing is None or force:
        write_file(current, text.encode("utf-8"))
        return current
    target = course_dir / DRAFT_FILE
    if target.exists() and edited_since_planned(target):
        raise DripcourseError(
            Problem(
                target,
                "was edited after plan wrote it, so plan leaves it as it is; rename or delete it to draft again "
                "(--force instead writes the new emails into syllabus.yaml, replacing its emails: list and keeping "
                "its other fields)",
            )
        )
    write_file(target, with_fingerprint(text).encode("utf-8"))
    return target
