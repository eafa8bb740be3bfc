"""The syllabus: one YAML file that says what the course is, when it sends, and what each email holds."""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zoneinfo
from dataclasses import dataclass, field, replace
from datetime import date, time
from functools import cache
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode

from dripcourse import headers, mergetags, schema
from dripcourse.errors import DripcourseError, Problem, did_you_mean
from dripcourse.schema import DEFAULT_BRAND_COLOR, DEFAULT_GREETING
from dripcourse.yamlread import CONTROL_CHARS, NodeReader, compose, describe, parse_bool, parse_int

SYLLABUS_FILE = "syllabus.yaml"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MODES = ("evergreen", "cohort")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SOURCE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
EMAIL = headers.ADDRESS  # the one address rule (see `headers`)
COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
MAX_SUBJECT = 150
MAX_HINTS = 20  # problems that get a "did you mean": each compares a name with every choice
MAX_SYLLABUS_BYTES = 1024 * 1024  # a course of a year of daily emails is under 200 KB
MAX_SLUG = 80  # a slug names files (`01-slug.eml`, export templates); file names end at 255 bytes
# Dates dripcourse plans with (a cohort's start, a signup): far enough from year 1 and 9999 that ten years of
# lessons, local times and UTC offsets stay inside what Python's datetime can hold.
EARLIEST = date(1970, 1, 1)
LATEST = date(9000, 12, 31)
MAX_LOGO_PIXELS = 2000
MAX_DAY = 3650  # ten years of daily emails; larger offsets overflow date arithmetic


@dataclass(frozen=True)
class Place:
    """Where a value was written, for messages about it."""

    file: Path
    line: int
    column: int

    def problem(self, field: str, message: str) -> Problem:
        return Problem(self.file, message, self.line, self.column, field)


@dataclass(frozen=True)
class Sender:
    name: str
    email: str


@dataclass(frozen=True)
class Logo:
    url: str
    width: int
    height: int
    alt: str


@dataclass(frozen=True)
class Tracking:
    """UTM parameters added to links that point at the course's own website."""

    enabled: bool = True
    source: str = "dripcourse"
    medium: str = "email"
    campaign: str = ""


@dataclass(frozen=True)
class CourseInfo:
    title: str
    language: str
    sender: Sender
    reply_to: str | None
    postal_address: str
    unsubscribe_url: str
    website: str
    brand_color: str = DEFAULT_BRAND_COLOR
    logo: Logo | None = None
    tracking: Tracking = field(default_factory=Tracking)
    direction: str = "ltr"
    greeting: str = DEFAULT_GREETING
    heading_numbers: bool = False  # show "1." or "Step 2:" that source headings start with

    @property
    def campaign(self) -> str:
        """The course's campaign name (UTM campaign, export object names): `tracking.campaign`, else the title's
        slug; a title with no Latin letters or digits (`茶`) gets `course-` and a stable hash of the title."""
        if self.tracking.campaign:
            return self.tracking.campaign
        ascii_title = unicodedata.normalize("NFKD", self.title).encode("ascii", "ignore").decode()
        slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
        return slug or "course-" + hashlib.sha256(self.title.encode("utf-8")).hexdigest()[:8]


@dataclass(frozen=True)
class Schedule:
    mode: str
    time_zone: str
    send_time: time
    send_days: tuple[int, ...]  # 0 = Monday
    start_date: date | None = None


@dataclass(frozen=True)
class SourceEntry:
    id: str
    path: Path
    place: Place


@dataclass(frozen=True)
class SectionRef:
    """`source#section`, and for an email, what to show as the section's heading."""

    source: str
    section: str
    place: Place
    heading: str | None = None  # replaces the source's heading
    hide_heading: bool = False

    def __str__(self) -> str:
        return f"{self.source}#{self.section}"


@dataclass(frozen=True)
class Idea:
    """One idea of the source documents and the sections that carry it; an email using any of them covers it."""

    id: str
    summary: str
    sections: tuple[SectionRef, ...]
    place: Place
    field: str  # where its section list is written, for messages: ideas.ID or ideas.ID.sections


@dataclass(frozen=True)
class Button:
    text: str
    url: str


@dataclass(frozen=True)
class EmailSpec:
    position: int
    day: int
    slug: str
    subject: str
    preheader: str
    sections: tuple[SectionRef, ...]
    intro: str = ""
    note: str = ""  # a callout after the intro, for what must not be missed (a safety note)
    outro: str = ""
    action: str = ""
    journal: str = ""
    button: Button | None = None
    place: Place | None = None

    @property
    def file_stem(self) -> str:
        """The name of the email's output files: its position and slug, so they sort in course order."""
        return f"{self.position:02d}-{self.slug}"


@dataclass(frozen=True)
class Syllabus:
    path: Path
    course: CourseInfo
    schedule: Schedule
    sources: dict[str, SourceEntry]
    emails: tuple[EmailSpec, ...]
    ideas: tuple[Idea, ...] = ()

    @property
    def root(self) -> Path:
        return self.path.parent

    def input_files(self) -> list[Path]:
        """The syllabus, every source and every template of the course's own, and the send ledger beside them:
        what an output must never replace."""
        templates = self.root / "templates"
        own = sorted(p for p in templates.glob("*") if p.is_file()) if templates.is_dir() else []
        ledger = self.root / "ledger.sqlite"
        return [self.path, *(self.root / entry.path for entry in self.sources.values()), *own, ledger]


class SyllabusProblems(DripcourseError):
    """A syllabus with problems, with the parts that did read, so that the sources it names can be checked in the
    same run and every problem of the course is reported at once."""

    def __init__(
        self,
        problems: list[Problem],
        sources: dict[str, SourceEntry],
        emails: tuple[EmailSpec, ...],
        ideas: tuple[Idea, ...],
    ):
        super().__init__(problems)
        self.sources, self.emails, self.ideas = sources, emails, ideas


def load_syllabus(course_dir: Path) -> Syllabus:
    """Read and check `syllabus.yaml` in a course folder; raises DripcourseError listing every problem."""
    path = course_dir / SYLLABUS_FILE
    if not path.is_file():
        raise DripcourseError(Problem(path, "no syllabus here (is this a course folder?)"))
    size = path.stat().st_size
    if size > MAX_SYLLABUS_BYTES:
        raise DripcourseError(
            Problem(path, f"is {size:,} bytes; a syllabus may be at most {MAX_SYLLABUS_BYTES:,} bytes")
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DripcourseError(Problem(path, f"not UTF-8 text (byte {exc.start})")) from None
    root = compose(text, path)
    return SyllabusReader(path).read(root)


def parse_time(raw: str) -> time:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", raw)
    if not match:
        raise ValueError(raw)
    return time(int(match.group(1)), int(match.group(2)))


def parse_date(raw: str) -> date:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        raise ValueError(raw)
    value = date.fromisoformat(raw)
    if not EARLIEST <= value <= LATEST:
        raise ValueError(raw)
    return value


def is_web_url(value: str) -> bool:
    return re.match(r"^https?://[^\s/?#]+\.[^\s/?#]+", value) is not None


class SyllabusReader(NodeReader):
    def __init__(self, path: Path):
        super().__init__(path)
        self.path = path

    def place(self, node: Node) -> Place:
        line, column = self.where(node)
        return Place(self.path, line, column)

    def read(self, root: Node | None) -> Syllabus:
        if root is None:
            raise DripcourseError(Problem(self.path, "the syllabus is empty"))
        top = self.mapping(root, "", schema.names(schema.TOP), schema.required(schema.TOP))
        course = self.course(top.get("course"))
        schedule = self.schedule(top.get("schedule"))
        sources = self.sources(top.get("sources"))
        ideas = self.ideas(top.get("ideas"), sources)
        emails = self.emails(top.get("emails"), sources)
        if self.problems or course is None:
            raise SyllabusProblems(self.problems, sources, emails, ideas)
        return Syllabus(self.path, course, schedule, sources, emails, ideas)

    def url(self, node: Node | None, field: str, *, required: bool = False) -> str | None:
        value = self.text(node, field, required=required)
        if value is not None and node is not None and not is_web_url(value):
            self.report(node, field, f"must be an absolute http(s) URL, got {value!r}")
            return None
        return value

    def header_text(self, node: Node | None, field: str, *, required: bool = False) -> str | None:
        """Text that goes into a header or the inbox line: no controls, bidi overrides or encoded words."""
        value = self.text(node, field, required=required)
        if value is not None and node is not None:
            problem = headers.text_problem(value)
            if problem:
                self.report(node, field, problem)
                return None
            self.merge_tags(node, field, value, allowed=False)
        return value

    def email_address(self, node: Node | None, field: str, *, required: bool = False) -> str | None:
        value = self.text(node, field, required=required)
        problem = None if value is None or node is None else headers.address_problem(value)
        if problem:
            self.report(node, field, problem)
            return None
        return value

    def course(self, node: Node | None) -> CourseInfo | None:
        keys = self.mapping(node, "course", schema.names(schema.COURSE), schema.required(schema.COURSE))
        title = self.header_text(keys.get("title"), "course.title", required=True)
        language = self.text(keys.get("language"), "course.language") or "en"
        if not re.fullmatch(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*", language) and "language" in keys:
            self.report(
                keys["language"], "course.language", f"must be a language tag like 'en' or 'pt-BR', got {language!r}"
            )
        direction = self.text(keys.get("direction"), "course.direction") or "ltr"
        if direction not in ("ltr", "rtl"):
            self.report(keys["direction"], "course.direction", f"must be 'ltr' or 'rtl', got {direction!r}")
        sender_keys = self.mapping(
            keys.get("sender"), "course.sender", schema.names(schema.SENDER), schema.required(schema.SENDER)
        )
        sender_name = self.header_text(sender_keys.get("name"), "course.sender.name", required=True)
        name_problem = None if sender_name is None else headers.name_problem(sender_name)
        if name_problem:
            self.report(sender_keys["name"], "course.sender.name", name_problem)
            sender_name = None
        sender_email = self.email_address(sender_keys.get("email"), "course.sender.email", required=True)
        if sender_name and sender_email and not headers.name_survives_folding(sender_name, sender_email):
            self.report(
                sender_keys["name"],
                "course.sender.name",
                f"is too long to go into the From header unchanged ({len(sender_name)} characters); shorten it",
            )
        reply_to = self.email_address(keys.get("reply_to"), "course.reply_to")
        address = self.text(keys.get("postal_address"), "course.postal_address", single_line=False, required=True)
        if address is not None:
            self.merge_tags(keys["postal_address"], "course.postal_address", address, allowed=False)
            lines = [line.strip() for line in address.strip().splitlines() if line.strip()]
            if any(CONTROL_CHARS.search(line) for line in lines):
                self.report(keys["postal_address"], "course.postal_address", "contains a control character")
            address = ", ".join(lines)
        unsubscribe = self.url(keys.get("unsubscribe_url"), "course.unsubscribe_url", required=True)
        if unsubscribe is not None:
            problem = headers.url_problem(unsubscribe)
            if problem:
                self.report(keys["unsubscribe_url"], "course.unsubscribe_url", f"{problem}: {unsubscribe!r}")
                unsubscribe = None
        website = self.url(keys.get("website"), "course.website", required=True)
        colour = self.text(keys.get("brand_color"), "course.brand_color") or DEFAULT_BRAND_COLOR
        if not COLOUR.match(colour):
            self.report(
                keys.get("brand_color"), "course.brand_color", f"must be a hex colour like '#7b3f61', got {colour!r}"
            )
        logo = self.logo(keys.get("logo"))
        greeting = DEFAULT_GREETING
        if "greeting" in keys:
            greeting = self.text(keys["greeting"], "course.greeting") or ""
            self.merge_tags(keys["greeting"], "course.greeting", greeting)
        tracking = self.tracking(keys.get("tracking"))
        numbers = self.parsed(keys.get("heading_numbers"), "course.heading_numbers", parse_bool, "true or false")
        if None in (title, sender_name, sender_email, address, unsubscribe, website):
            return None
        assert title and sender_name and sender_email and address and unsubscribe and website
        return CourseInfo(
            title=title,
            language=language,
            sender=Sender(sender_name, sender_email),
            reply_to=reply_to,
            postal_address=address,
            unsubscribe_url=unsubscribe,
            website=website.rstrip("/"),
            brand_color=colour,
            logo=logo,
            tracking=tracking,
            direction=direction,
            greeting=greeting,
            heading_numbers=bool(numbers),
        )

    def logo(self, node: Node | None) -> Logo | None:
        if node is None:
            return None
        keys = self.mapping(node, "course.logo", schema.names(schema.LOGO), schema.required(schema.LOGO))
        url = self.url(keys.get("url"), "course.logo.url")
        if url is not None and not url.startswith("https://"):
            self.report(keys["url"], "course.logo.url", "must be an https URL so mail clients load it")
            url = None
        width = self.pixels(keys.get("width"), "course.logo.width")
        height = self.pixels(keys.get("height"), "course.logo.height")
        alt = self.text(keys.get("alt"), "course.logo.alt", required=True)
        if alt:
            self.merge_tags(keys["alt"], "course.logo.alt", alt, allowed=False)
        if url and width and height and alt:
            return Logo(url, width, height, alt)
        return None

    def pixels(self, node: Node | None, field: str) -> int | None:
        value = self.parsed(node, field, parse_int, "a whole number of pixels")
        if value is not None and node is not None and not 1 <= value <= MAX_LOGO_PIXELS:
            self.report(node, field, f"must be from 1 to {MAX_LOGO_PIXELS} pixels, got {value}")
            return None
        return value

    def tracking(self, node: Node | None) -> Tracking:
        if node is None:
            return Tracking()
        keys = self.mapping(node, "course.tracking", schema.names(schema.TRACKING))
        enabled = self.parsed(keys.get("enabled"), "course.tracking.enabled", parse_bool, "true or false")
        return Tracking(
            enabled=True if enabled is None else enabled,
            source=self.text(keys.get("source"), "course.tracking.source") or "dripcourse",
            medium=self.text(keys.get("medium"), "course.tracking.medium") or "email",
            campaign=self.text(keys.get("campaign"), "course.tracking.campaign") or "",
        )

    def schedule(self, node: Node | None) -> Schedule:
        keys = self.mapping(node, "schedule", schema.names(schema.SCHEDULE))
        mode = self.text(keys.get("mode"), "schedule.mode") or "evergreen"
        if mode not in MODES:
            self.report(
                keys["mode"],
                "schedule.mode",
                f"must be 'evergreen' or 'cohort', got {mode!r}{did_you_mean(mode, MODES)}",
            )
        written = self.text(keys.get("time_zone"), "schedule.time_zone")
        zone = written or "UTC"
        if "time_zone" in keys and not written:
            self.report(
                keys["time_zone"],
                "schedule.time_zone",
                "is empty; write an IANA time zone like 'Europe/Berlin', or leave the field out for UTC",
            )
        elif "time_zone" in keys and not valid_zone(zone):
            hint = did_you_mean(zone, sorted(iana_zones()))
            self.report(keys["time_zone"], "schedule.time_zone", f"unknown IANA time zone {zone!r}{hint}")
        send_time = self.parsed(keys.get("send_time"), "schedule.send_time", parse_time, "a time of day like '08:00'")
        if send_time is None and "send_time" not in keys:
            send_time = time(8, 0)
        days = self.send_days(keys.get("send_days"))
        start = self.parsed(
            keys.get("start_date"),
            "schedule.start_date",
            parse_date,
            f"a date like 2026-03-02, from {EARLIEST} to {LATEST}",
        )
        if mode == "cohort" and "start_date" not in keys:
            self.report(node, "schedule", "a cohort schedule needs 'start_date'")
        if mode == "evergreen" and "start_date" in keys:
            self.report(keys["start_date"], "schedule.start_date", "only a cohort schedule has a start date")
        return Schedule(mode, zone, send_time or time(8, 0), days, start)

    def send_days(self, node: Node | None) -> tuple[int, ...]:
        if node is None:
            return tuple(range(7))
        days: list[int] = []
        for i, item in enumerate(self.sequence(node, "schedule.send_days")):
            name = (self.text(item, f"schedule.send_days[{i}]") or "").lower()[:3]
            if name not in WEEKDAYS:
                self.report(item, f"schedule.send_days[{i}]", f"must be a weekday (mon ... sun), got {item.value!r}")
            elif WEEKDAYS.index(name) not in days:
                days.append(WEEKDAYS.index(name))
        if not days:
            self.report(node, "schedule.send_days", "must name at least one weekday")
            return tuple(range(7))
        return tuple(sorted(days))

    def sources(self, node: Node | None) -> dict[str, SourceEntry]:
        entries: dict[str, SourceEntry] = {}
        if node is None:
            return entries
        for key_node, value_node in self.mapping_items(node, "sources"):
            source_id = key_node.value
            field = f"sources.{source_id}"
            if not SOURCE_ID.match(source_id):
                self.report(key_node, field, "a source id may hold only letters, digits, '-' and '_'")
                continue
            if source_id in entries:
                self.report(key_node, field, "is given twice")
                continue
            raw = self.text(value_node, field, required=True)
            if raw is None:
                continue
            path = Path(raw)
            if path.is_absolute() or ".." in path.parts:
                self.report(value_node, field, f"must be a path inside the course folder, got {raw!r}")
                continue
            entries[source_id] = SourceEntry(source_id, path, self.place(value_node))
        if isinstance(node, MappingNode) and not node.value:
            self.report(node, "sources", "must list at least one source file")
        return entries

    def mapping_items(self, node: Node, field: str, shape: str = "id: file") -> list[tuple[Node, Node]]:
        if not isinstance(node, MappingNode):
            self.report(node, field, f"must be a mapping of {shape}")
            return []
        items: list[tuple[Node, Node]] = []
        for key, value in node.value:
            if not isinstance(key, ScalarNode):
                self.report(key, field, "keys must be plain names")
            else:
                items.append((key, value))
        return items

    def emails(self, node: Node | None, sources: dict[str, SourceEntry]) -> tuple[EmailSpec, ...]:
        items = self.sequence(node, "emails")
        if node is not None and not items and not self.problems:
            self.report(node, "emails", "the course has no emails")
        emails: list[EmailSpec] = []
        slugs: dict[str, int] = {}
        days: dict[int, int] = {}
        for i, item in enumerate(items):
            spec = self.email(item, f"emails[{i}]", i + 1, sources)
            if spec is None:
                continue
            if spec.slug in slugs:
                self.report(item, f"emails[{i}].slug", f"'{spec.slug}' is already used by emails[{slugs[spec.slug]}]")
            slugs.setdefault(spec.slug, i)
            if spec.day in days:
                self.report(item, f"emails[{i}].day", f"day {spec.day} is already used by emails[{days[spec.day]}]")
            elif emails and spec.day < emails[-1].day:
                self.report(
                    item,
                    f"emails[{i}].day",
                    f"day {spec.day} comes before day {emails[-1].day}; list emails in day order",
                )
            days.setdefault(spec.day, i)
            emails.append(spec)
        return tuple(emails)

    def email(self, node: Node, field: str, position: int, sources: dict[str, SourceEntry]) -> EmailSpec | None:
        keys = self.mapping(node, field, schema.names(schema.EMAIL), schema.required(schema.EMAIL))
        if not keys:
            return None
        day = self.parsed(keys.get("day"), f"{field}.day", parse_int, "a whole number of days after signup")
        if day is not None and not 0 <= day <= MAX_DAY:
            self.report(keys["day"], f"{field}.day", f"must be from 0 to {MAX_DAY}, got {day}")
            day = None
        slug = self.text(keys.get("slug"), f"{field}.slug", required=True)
        if slug is not None and len(slug) > MAX_SLUG:
            self.report(keys["slug"], f"{field}.slug", f"is {len(slug)} characters; a slug may be at most {MAX_SLUG}")
            slug = None
        elif slug is not None and not SLUG.match(slug):
            self.report(
                keys["slug"], f"{field}.slug", f"must be lowercase letters, digits and single hyphens, got {slug!r}"
            )
            slug = None
        subject = self.header_text(keys.get("subject"), f"{field}.subject", required=True)
        if subject is not None and len(subject) > MAX_SUBJECT:
            self.report(
                keys["subject"], f"{field}.subject", f"is {len(subject)} characters; keep it under {MAX_SUBJECT}"
            )
        preheader = self.header_text(keys.get("preheader"), f"{field}.preheader") or ""
        refs = self.section_refs(keys.get("sections"), f"{field}.sections", sources)
        markdown = {
            name: self.markdown(keys.get(name), f"{field}.{name}")
            for name in ("intro", "note", "outro", "action", "journal")
        }
        button = self.button(keys.get("button"), f"{field}.button")
        if not refs and not markdown["intro"] and "sections" not in keys:
            self.report(node, field, "an email needs 'sections' or an 'intro'")
        if day is None or slug is None or subject is None:
            return None
        return EmailSpec(
            position=position,
            day=day,
            slug=slug,
            subject=subject,
            preheader=preheader,
            sections=refs,
            button=button,
            place=self.place(node),
            **markdown,
        )

    def markdown(self, node: Node | None, field: str) -> str:
        value = self.text(node, field, single_line=False) or ""
        if node is not None:
            self.merge_tags(node, field, value)
        return value.strip()

    def merge_tags(self, node: Node, field: str, value: str, *, allowed: bool = True) -> None:
        """Report unknown and malformed merge tags in `value`, and any merge tag at all where none is `allowed`:
        subjects, preheaders, names and the postal address reach headers, inbox lines and service fields that
        are the same for every subscriber (docs/exports.md, "Merge tags")."""
        for offset, message in mergetags.tag_problems(value, None if allowed else "here"):
            line, column = self.where(node)
            style = node.style if isinstance(node, ScalarNode) else None
            if "\n" not in value and style in (None, "'", '"'):
                column += offset + (style is not None)
            else:
                line += value[:offset].count("\n") + (style in ("|", ">"))
            self.problems.append(Problem(self.file, message, line, column, field))

    def section_refs(self, node: Node | None, field: str, sources: dict[str, SourceEntry]) -> tuple[SectionRef, ...]:
        """An email's sections: each 'source#section', or {ref: 'source#section', heading: text or false}."""
        refs: list[SectionRef] = []
        for i, item in enumerate(self.sequence(node, field)):
            if isinstance(item, MappingNode):
                keys = self.mapping(
                    item, f"{field}[{i}]", schema.names(schema.SECTION_REF), schema.required(schema.SECTION_REF)
                )
                ref = self.section_ref(keys.get("ref"), f"{field}[{i}].ref", sources)
                heading, hide = self.heading(keys.get("heading"), f"{field}[{i}].heading")
                if ref is not None:
                    refs.append(replace(ref, heading=heading, hide_heading=hide))
                continue
            ref = self.section_ref(item, f"{field}[{i}]", sources)
            if ref is not None:
                refs.append(ref)
        return tuple(refs)

    def section_ref(self, node: Node | None, field: str, sources: dict[str, SourceEntry]) -> SectionRef | None:
        raw = self.text(node, field, required=True)
        if raw is None or node is None:
            return None
        source, sep, section = raw.partition("#")
        if not sep or not source or not section:
            self.report(node, field, f"must be 'source-id#section-id', got {raw!r}")
            return None
        if sources and source not in sources:
            # A suggestion compares the name with every source: for the first few problems only (linear time).
            hint = did_you_mean(source, sources) if len(self.problems) < MAX_HINTS else ""
            self.report(node, field, f"unknown source '{source}'{hint}")
            return None
        return SectionRef(source, section, self.place(node))

    def heading(self, node: Node | None, field: str) -> tuple[str | None, bool]:
        """A section's heading in one email: (replacement text or None, hidden). Only a plain `true` or `false`
        is a switch; YAML 1.1's yes/no/on/off are refused, so `heading: no` is never silently read either way."""
        if node is None:
            return None, False
        if not isinstance(node, ScalarNode):
            self.report(node, field, f"must be the heading text, or false to hide it, got {describe(node)}")
            return None, False
        empty = not node.value.strip()
        if node.style is None:
            word = node.value.lower()
            if word in ("true", "false"):
                return None, word == "false"
            if word in ("yes", "no", "on", "off"):
                self.report(
                    node, field, f"write false to hide the heading, or quote '{node.value}' to show it as the heading"
                )
                return None, False
            empty = empty or node.tag == "tag:yaml.org,2002:null"
        if empty:
            self.report(node, field, "must not be empty; write 'heading: false' to hide the heading")
            return None, False
        heading = self.text(node, field)
        if heading is not None:
            self.merge_tags(node, field, heading, allowed=False)
        return heading, False

    def ideas(self, node: Node | None, sources: dict[str, SourceEntry]) -> tuple[Idea, ...]:
        """`ideas:` maps an idea id to the sections that carry it: a list, or {summary: ..., sections: [...]}."""
        if node is None:
            return ()
        ideas: dict[str, Idea] = {}
        for key_node, value_node in self.mapping_items(node, "ideas", "idea-id: sections"):
            idea_id = key_node.value
            field = f"ideas.{idea_id}"
            if not SLUG.match(idea_id):
                self.report(key_node, field, "an idea id must be lowercase letters, digits and single hyphens")
                continue
            if idea_id in ideas:
                self.report(key_node, field, f"is given twice (first at line {ideas[idea_id].place.line})")
                continue
            summary = ""
            sections_node = value_node
            if isinstance(value_node, MappingNode):
                keys = self.mapping(value_node, field, schema.names(schema.IDEA), schema.required(schema.IDEA))
                summary = self.text(keys.get("summary"), f"{field}.summary") or ""
                if "sections" not in keys:
                    continue
                sections_node = keys["sections"]
                field = f"{field}.sections"
            refs: list[SectionRef] = []
            reported = len(self.problems)
            items = self.sequence(sections_node, field)
            for i, item in enumerate(items):
                ref = self.section_ref(item, f"{field}[{i}]", sources)
                if ref is not None and str(ref) in map(str, refs):
                    self.report(item, f"{field}[{i}]", f"'{ref}' is listed twice")
                elif ref is not None:
                    refs.append(ref)
            if not items and len(self.problems) == reported:
                self.report(sections_node, field, "must list at least one 'source-id#section-id'")
            ideas[idea_id] = Idea(idea_id, summary, tuple(refs), self.place(key_node), field)
        return tuple(ideas.values())

    def button(self, node: Node | None, field: str) -> Button | None:
        if node is None:
            return None
        keys = self.mapping(node, field, schema.names(schema.BUTTON), schema.required(schema.BUTTON))
        text = self.text(keys.get("text"), f"{field}.text", required=True)
        url = self.url(keys.get("url"), f"{field}.url")
        for key, value in (("text", text), ("url", url)):
            if value is not None:
                self.merge_tags(keys[key], f"{field}.{key}", value)
        return Button(text, url) if text and url else None


# Files of a zoneinfo folder that are not zones a course can name: the machine's own zone (`localtime`, which says
# nothing to a reader elsewhere), the default rules file of old tools (`posixrules`), and tzdata's placeholder for
# "zone not set yet" (`Factory`, whose abbreviation is "-00").
NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})


@cache
def iana_zones() -> frozenset[str]:
    """The IANA zone names this machine's tz database holds (zoneinfo.available_timezones), less NOT_ZONES."""
    return frozenset(zoneinfo.available_timezones()) - NOT_ZONES


def valid_zone(name: str) -> bool:
    """True for an IANA zone name; a region folder like `America`, a path or `localtime` is not one."""
    if name not in iana_zones():
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True
