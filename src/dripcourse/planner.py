"""Draft a syllabus from a course's sources: every section once, in article order, balanced by reading time."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from dripcourse.errors import DripcourseError, Problem
from dripcourse.sources import Section, Source, parse_source, read_text_file, slugify
from dripcourse.syllabus import Syllabus

SUBJECT_MAX = 50
PREHEADER_MAX = 110


@dataclass(frozen=True)
class DraftEmail:
    day: int
    sections: list[Section]


def read_sources(course_dir: Path) -> dict[str, Source]:
    folder = course_dir / "sources"
    paths = sorted(folder.glob("*.md")) if folder.is_dir() else []
    if not paths:
        raise DripcourseError(Problem(folder, "no Markdown sources here; import some articles first"))
    problems, sources = [], {}
    for path in paths:
        source_id = slugify(path.stem)
        try:
            sources[source_id] = parse_source(source_id, read_text_file(path, path), path)
        except DripcourseError as exc:
            problems += exc.problems
    if problems:
        raise DripcourseError(problems)
    return sources


def group(sections: list[Section], days: int) -> list[list[Section]]:
    """Split the sections, kept in order, into `days` runs of about equal reading time."""
    if days < 1:
        raise DripcourseError(Problem(None, "--days must be at least 1"))
    if len(sections) < days:
        raise DripcourseError(
            Problem(None, f"only {len(sections)} sections for {days} emails; use --days {len(sections)} or fewer")
        )
    weights = [max(section.word_count, 1) for section in sections]
    total = sum(weights)
    groups: list[list[Section]] = []
    start = 0
    for k in range(days):
        left = days - k
        if left == 1:
            groups.append(sections[start:])
            break
        target = total * (k + 1) / days
        end, running = start + 1, sum(weights[: start + 1])
        # Grow while the next section brings the total closer to this email's target, leaving one per later email.
        while end < len(sections) - (left - 1) and abs(running + weights[end] - target) < abs(running - target):
            running += weights[end]
            end += 1
        groups.append(sections[start:end])
        start = end
    return groups


def shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:-–— ")
    return cut + "…"


def subject_for(run: list[Section], sources: dict[str, Source]) -> str:
    named = [s for s in run if s.id != "intro"]
    title = named[0].title if named else sources[run[0].source].title
    title = title.split(". ", 1)[-1] if title[:1].isdigit() else title
    return shorten(title.rstrip(":").strip(), SUBJECT_MAX)


def preheader_for(run: list[Section], subject: str, sources: dict[str, Source]) -> str:
    others = [s.title for s in run if s.id != "intro" and s.title not in subject][:3]
    if others:
        text = "Also in this lesson: " + ", ".join(others) + "."
    else:
        text = f"A short lesson from {sources[run[0].source].title}, in about {minutes(run)} minutes."
    if len(text) < 40:
        text += f" About {minutes(run)} minutes of reading."
    return shorten(text, PREHEADER_MAX)


def minutes(run: list[Section]) -> int:
    return max(1, round(sum(s.word_count for s in run) / 230))


def q(value: str) -> str:
    """A YAML double-quoted string (JSON strings are valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def course_block(existing: Syllabus | None, title: str) -> list[str]:
    if existing is None:
        return [
            "course:",
            f"  title: {q(title)}",
            "  language: en",
            "  sender:                          # placeholders: replace before sending",
            "    name: Your Name",
            "    email: you@example.com",
            "  postal_address: 123 Example Street, Anytown, NY 10001, USA",
            "  unsubscribe_url: https://example.com/unsubscribe",
            "  website: https://example.com",
            "schedule:",
            "  mode: evergreen",
            "  time_zone: America/New_York",
            '  send_time: "08:00"',
        ]
    course, schedule = existing.course, existing.schedule
    lines = [
        "course:",
        f"  title: {q(course.title)}",
        f"  language: {q(course.language)}",
        "  sender:",
        f"    name: {q(course.sender.name)}",
        f"    email: {q(course.sender.email)}",
    ]
    if course.reply_to:
        lines.append(f"  reply_to: {q(course.reply_to)}")
    lines += [
        f"  postal_address: {q(course.postal_address)}",
        f"  unsubscribe_url: {q(course.unsubscribe_url)}",
        f"  website: {q(course.website)}",
        f"  brand_color: {q(course.brand_color)}",
        "schedule:",
        f"  mode: {schedule.mode}",
        f"  time_zone: {q(schedule.time_zone)}",
        f'  send_time: "{schedule.send_time:%H:%M}"',
        "  send_days: ["
        + ", ".join(("mon", "tue", "wed", "thu", "fri", "sat", "sun")[d] for d in schedule.send_days)
        + "]",
    ]
    if schedule.start_date:
        lines.append(f"  start_date: {schedule.start_date.isoformat()}")
    return lines


def draft_syllabus(course_dir: Path, days: int, existing: Syllabus | None) -> str:
    sources = read_sources(course_dir)
    sections = [section for source in sources.values() for section in source.sections.values()]
    runs = group(sections, days)
    title = existing.course.title if existing else next(iter(sources.values())).title
    lines = [
        f"# Draft syllabus: {days} emails from {len(sections)} sections of {len(sources)} sources,",
        "# grouped in article order and balanced by reading time. Edit subjects, preheaders and add intros.",
        *course_block(existing, title),
        "sources:",
        *[f"  {source_id}: {q(str(source.path.relative_to(course_dir)))}" for source_id, source in sources.items()],
        "emails:",
    ]
    slugs: set[str] = set()
    for day, run in enumerate(runs):
        subject = subject_for(run, sources)
        slug = base = f"day-{day}-" + "-".join(slugify(subject).split("-")[:5])
        n = 2
        while slug in slugs:
            slug, n = f"{base}-{n}", n + 1
        slugs.add(slug)
        lines += [
            f"  - day: {day}" + ("                  # sent at signup" if day == 0 else ""),
            f"    slug: {slug}",
            f"    subject: {q(subject)}",
            f"    preheader: {q(preheader_for(run, subject, sources))}",
            "    sections:",
            *[f"      - {section.ref}" for section in run],
        ]
    return "\n".join(lines) + "\n"
