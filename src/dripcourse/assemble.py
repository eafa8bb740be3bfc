"""Assemble lessons: each email of the syllabus with the source sections it is built from, in order."""

from __future__ import annotations

import re
from dataclasses import dataclass

from dripcourse.sources import Section, Source, count_words, reading_minutes, section_for
from dripcourse.syllabus import EmailSpec, Idea, SectionRef, Syllabus

# Numbering an article put before its headings: "1. ", "2) ", "3: ", "4 - ", "#5 ", "Step 6: ", "Reason #7 - ".
# A number that is part of the words ("3 things he needs", "1.5 million", "1-2 hours", "5 - 10 reps is plenty",
# "#1 rule: show up") is not numbering.
DASH = "-\u2013\u2014"
HEADING_NUMBER = re.compile(
    rf"^(?:(?:step|reason|tip|part|chapter|sign)\s*)?"  # an optional label
    rf"(?:#\s*\d{{1,3}}(?:\s*[.):]|\s+[{DASH}]|(?=\s+(?-i:[^\W\d_a-z])))"  # "#5 Title", "#5:", "#5 -", not "#1 rule"
    rf"|\d{{1,3}}(?:[.):]|\s*[{DASH}]))"  # "5.", "5)", "5:", "5 -"
    rf"\s+(?=[^\d\s])",  # not "5 - 10 reps"
    re.I,
)


def without_number(heading: str) -> str:
    """The heading without the numbering an article put before it; unchanged if nothing would be left."""
    return HEADING_NUMBER.sub("", heading.strip(), count=1) or heading


@dataclass(frozen=True)
class LessonSection:
    """A source section as one email shows it."""

    section: Section
    heading: str  # "" when the email hides it

    @property
    def markdown(self) -> str:
        return self.section.markdown


def shown_heading(ref: SectionRef, section: Section, keep_numbers: bool) -> str:
    """The heading an email shows above a section: hidden, the syllabus's own text, or the source's heading
    without its article numbering (kept with `course.heading_numbers: true`)."""
    if ref.hide_heading:
        return ""
    if ref.heading is not None:
        return ref.heading
    return section.title if keep_numbers else without_number(section.title)


@dataclass(frozen=True)
class Lesson:
    email: EmailSpec
    sections: tuple[LessonSection, ...]

    @property
    def file_stem(self) -> str:
        return self.email.file_stem

    @property
    def word_count(self) -> int:
        """Words of body the reader reads: intro, note, sections with shown headings, action, journal and outro."""
        parts = [self.email.intro, self.email.note, self.email.action, self.email.journal, self.email.outro]
        parts += [f"{s.heading}\n{s.markdown}" for s in self.sections]
        return sum(count_words(p) for p in parts)

    @property
    def reading_minutes(self) -> int:
        return reading_minutes(self.word_count)


def assemble(syllabus: Syllabus, sources: dict[str, Source]) -> list[Lesson]:
    """One lesson per email. Section references must already be checked (sources.broken_refs)."""
    numbers = syllabus.course.heading_numbers

    def shown(ref: SectionRef) -> LessonSection:
        section = section_for(ref, sources)
        return LessonSection(section, shown_heading(ref, section, numbers))

    return [Lesson(email, tuple(shown(ref) for ref in email.sections)) for email in syllabus.emails]


@dataclass(frozen=True)
class IdeaUse:
    """An idea and the emails that cover it by using one of its sections (none: the course lost it)."""

    idea: Idea
    emails: tuple[EmailSpec, ...]


@dataclass(frozen=True)
class SectionUse:
    """A source section, the emails that quote it and the ideas it carries."""

    section: Section
    emails: tuple[EmailSpec, ...]
    ideas: tuple[IdeaUse, ...] = ()

    @property
    def covered_elsewhere(self) -> bool:
        """Left out of every email, but each idea it carries is covered by another section: nothing is lost."""
        return not self.emails and bool(self.ideas) and all(use.emails for use in self.ideas)


def emails_by_section(syllabus: Syllabus) -> dict[str, list[EmailSpec]]:
    users: dict[str, list[EmailSpec]] = {}
    for email in syllabus.emails:
        for ref in email.sections:
            if email not in users.setdefault(str(ref), []):
                users[str(ref)].append(email)
    return users


def idea_coverage(syllabus: Syllabus) -> list[IdeaUse]:
    """Every idea of the syllabus, in its order, with the emails (in course order) that use one of its sections."""
    users = emails_by_section(syllabus)
    return [
        IdeaUse(idea, tuple(e for e in syllabus.emails if any(e in users.get(str(r), ()) for r in idea.sections)))
        for idea in syllabus.ideas
    ]


def section_usage(syllabus: Syllabus, sources: dict[str, Source]) -> list[SectionUse]:
    """Every section of every source, in source order, with the emails that use it (empty when unused)."""
    users = emails_by_section(syllabus)
    coverage = idea_coverage(syllabus)
    return [
        SectionUse(
            section,
            tuple(users.get(section.ref, ())),
            tuple(use for use in coverage if section.ref in map(str, use.idea.sections)),
        )
        for source in sources.values()
        for section in source.sections.values()
    ]
