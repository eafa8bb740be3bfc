"""Assemble lessons: each email of the syllabus with the source sections it is built from, in order."""

from __future__ import annotations

from dataclasses import dataclass

from dripcourse.sources import Section, Source, count_words, section_for
from dripcourse.syllabus import EmailSpec, Syllabus


@dataclass(frozen=True)
class Lesson:
    email: EmailSpec
    sections: tuple[Section, ...]

    @property
    def file_stem(self) -> str:
        return f"{self.email.position:02d}-{self.email.slug}"

    @property
    def word_count(self) -> int:
        """Words of body the reader reads: intro, sections, action, journal prompt and outro."""
        parts = [self.email.intro, self.email.action, self.email.journal, self.email.outro]
        parts += [f"{s.title}\n{s.markdown}" for s in self.sections]
        return sum(count_words(p) for p in parts)

    @property
    def reading_minutes(self) -> int:
        return max(1, round(self.word_count / 230))


def assemble(syllabus: Syllabus, sources: dict[str, Source]) -> list[Lesson]:
    """One lesson per email. Section references must already be checked (sources.resolve_refs)."""
    return [Lesson(email, tuple(section_for(ref, sources) for ref in email.sections)) for email in syllabus.emails]


@dataclass(frozen=True)
class SectionUse:
    """A source section and the emails that quote it."""

    section: Section
    emails: tuple[EmailSpec, ...]


def section_usage(syllabus: Syllabus, sources: dict[str, Source]) -> list[SectionUse]:
    """Every section of every source, in source order, with the emails that use it (empty when unused)."""
    users: dict[str, list[EmailSpec]] = {}
    for email in syllabus.emails:
        for ref in email.sections:
            users.setdefault(str(ref), []).append(email)
    return [
        SectionUse(section, tuple(users.get(section.ref, ())))
        for source in sources.values()
        for section in source.sections.values()
    ]
