"""The data that flows between the layers: a course as read and assembled, and each email as built.

Readers (syllabus, sources, assemble) produce a `Course`; the build renders it into `BuiltEmail`s; everything
above (check, the preview page, exports, sending) reads these two types and never reads files itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from dripcourse.assemble import Lesson
from dripcourse.render import RenderedEmail
from dripcourse.schedule import SendSlot
from dripcourse.sources import Source
from dripcourse.syllabus import Syllabus


@dataclass(frozen=True)
class Course:
    """Everything read from a course folder, checked and assembled; nothing written yet."""

    syllabus: Syllabus
    sources: dict[str, Source]
    lessons: list[Lesson]


@dataclass(frozen=True)
class BuiltEmail:
    """One lesson in its preview form: the HTML and text with merge tags filled by their fallbacks, and its .eml."""

    rendered: RenderedEmail
    slot: SendSlot
    html: str
    text: str
    eml: bytes
