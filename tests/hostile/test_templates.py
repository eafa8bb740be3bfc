"""Hostile course templates through the real CLI: sandboxed, only regular files inside the theme, one message."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from conftest import named
from hostile import course, run

T = "Error: {tmp}/course/templates"
UNSAFE = "template error: access to attribute"


def writes(name: str, text: str) -> Callable[[Path], None]:
    def setup(templates: Path) -> None:
        (templates / name).write_text(text, encoding="utf-8")

    return setup


def links(name: str, target: str) -> Callable[[Path], None]:
    def setup(templates: Path) -> None:
        os.symlink(target, templates / name)

    return setup


def hard_link(templates: Path) -> None:
    """A file outside the course (as /etc/hostname would be) given a second name in templates/."""
    secret = templates.parent.parent / "secret.txt"
    secret.write_text("not for an email\n", encoding="utf-8")
    (templates / "email.html").write_text("{% include 'hl2.txt' %}", encoding="utf-8")
    os.link(secret, templates / "hl2.txt")


def fifo(templates: Path) -> None:
    os.mkfifo(templates / "email.txt")


CASES = [
    # The context is plain data: where a live object was (a Path in every `place`), a template finds text.
    (
        "path-read",
        writes("email.txt", "{{ email.place.file.joinpath('/etc/passwd').read_text() }}"),
        f"{T}/email.txt:1: template error: 'str object' has no attribute 'joinpath'",
    ),
    (
        "path-write",
        writes("email.html", "{{ email.place.file.write_text('') }}"),
        f"{T}/email.html:1: template error: 'str object' has no attribute 'write_text'",
    ),
    (
        "path-unlink",
        writes("email.txt", "a\n{{ email.sections[0].place.file.unlink() }}"),
        f"{T}/email.txt:2: template error: 'str object' has no attribute 'unlink'",
    ),
    (
        "format-reaches-path",
        writes("email.txt", "{{ '{0[place][file].unlink}'.format(email) }}"),
        f"{T}/email.txt:1: template error: 'str object' has no attribute 'unlink'",
    ),
    (
        "function-partial",
        writes("email.txt", "{{ merge_tag.func.__globals__ }}"),
        f"{T}/email.txt:1: template error: 'dripcourse.render.TemplateFunction object' has no attribute 'func'",
    ),
    (
        "function-call-attribute",
        writes("email.html", "{{ track.__call__ }}"),
        f"{T}/email.html:1: {UNSAFE} '__call__' of 'TemplateFunction' object is unsafe.",
    ),
    (
        "format-map-function",
        writes("email.html", "{{ '{a._function}'.format_map({'a': track}) }}"),
        f"{T}/email.html:1: {UNSAFE} '_function' of 'TemplateFunction' object is unsafe.",
    ),
    (
        "template-reference-context",
        writes("email.txt", "{{ self._TemplateReference__context }}"),
        f"{T}/email.txt:1: {UNSAFE} '_TemplateReference__context' of 'TemplateReference' object is unsafe.",
    ),
    (
        "dict-mutation",
        writes("email.txt", "{{ course.update(title='x') }}"),
        f"{T}/email.txt:1: {UNSAFE} 'update' of 'dict' object is unsafe.",
    ),
    (
        "cycler-globals-popen",
        writes("email.html", "{{ cycler.__init__.__globals__.os.popen('id').read() }}"),
        f"{T}/email.html:1: {UNSAFE} '__init__' of 'type' object is unsafe.",
    ),
    (
        "joiner-globals",
        writes("email.html", "{{ joiner.__init__.__globals__ }}"),
        f"{T}/email.html:1: {UNSAFE} '__init__' of 'type' object is unsafe.",
    ),
    (
        "lipsum-globals",
        writes("email.txt", "x\n{{ lipsum.__globals__['os'] }}"),
        f"{T}/email.txt:2: {UNSAFE} '__globals__' of 'function' object is unsafe.",
    ),
    (
        "str-mro-subclasses",
        writes("email.html", "{{ ''.__class__.__mro__[1].__subclasses__() }}"),
        f"{T}/email.html:1: {UNSAFE} '__class__' of 'str' object is unsafe.",
    ),
    (
        "format-attr",
        writes("email.html", "{{ '{0.__class__}'.format(course) }}"),
        f"{T}/email.html:1: {UNSAFE} '__class__' of 'dict' object is unsafe.",
    ),
    (
        "course-class",
        writes("email.txt", "{{ course.__class__.__init__ }}"),
        f"{T}/email.txt:1: {UNSAFE} '__init__' of 'StrictUndefined' object is unsafe.",
    ),
    (
        "track-globals",
        writes("email.html", "{{ track.__self__ }}"),
        f"{T}/email.html:1: template error: 'dripcourse.render.TemplateFunction object' has no attribute '__self__'",
    ),
    (
        "symlink-etc-passwd",
        links("email.txt", "/etc/passwd"),
        f"{T}/email.txt: template refused: leads outside {{tmp}}/course/templates (to /etc/passwd); a template must be a file inside it",
    ),
    (
        "symlink-to-syllabus",
        links("email.html", "../syllabus.yaml"),
        f"{T}/email.html: template refused: leads outside {{tmp}}/course/templates (to {{tmp}}/course/syllabus.yaml); a template must be a file inside it",
    ),
    (
        "symlink-dangling",
        links("email.txt", "missing.txt"),
        f"{T}/email.txt: template refused: is a broken or looping link",
    ),
    ("symlink-loop", links("email.txt", "email.txt"), f"{T}/email.txt: template refused: is a broken or looping link"),
    (
        "hard-link",
        hard_link,
        f"{T}/hl2.txt: template refused: is a hard link (2 names for one file), so it may be a file from outside "
        f"{{tmp}}/course/templates; copy the template in instead",
    ),
    ("fifo", fifo, f"{T}/email.txt: template refused: is not a regular file"),
    (
        "include-outside",
        writes("email.html", "<p>{% include '../../../etc/passwd' %}</p>"),
        f"{T}/email.html:1: template error: ../../../etc/passwd",
    ),
    (
        "include-css-symlink",
        lambda t: (writes("email.html", "{% include 'evil.css' %}")(t), links("evil.css", "/etc/hostname")(t)),
        f"{T}/evil.css: template refused: leads outside {{tmp}}/course/templates (to /etc/hostname); a template must be a file inside it",
    ),
    (
        "syntax",
        writes("email.html", "one\n{% if %}\n"),
        f"{T}/email.html:2: template error: Expected an expression, got 'end of statement block'",
    ),
    ("undefined", writes("email.txt", "a\n{{ nope.x }}\n"), f"{T}/email.txt:2: template error: 'nope' is undefined"),
    (
        "zero-division",
        writes("email.txt", "a\nb\n{{ 1 // 0 }}\n"),
        f"{T}/email.txt:3: template failed: ZeroDivisionError: integer division or modulo by zero",
    ),
    (
        "unknown-merge-tag",
        writes("email.txt", "{{ merge_tag('nickname') }}\n"),
        f"{T}/email.txt:1: template error: unknown merge tag 'nickname'",
    ),
    (
        "huge-text-times",
        writes("email.txt", "{{ ('x' * 100000000)|length }}"),
        f"{T}/email.txt:1: template error: text * 100000000 would make a value of more than 1,000,000 characters or items, the most a template may make",
    ),
    (
        "huge-list-times",
        writes("email.txt", "a\n{{ ([1] * 100000000)|length }}"),
        f"{T}/email.txt:2: template error: a list * 100000000 would make a value of more than 1,000,000 characters or items, the most a template may make",
    ),
    (
        "huge-center",
        writes("email.txt", "{{ 'a'|center(100000000)|length }}"),
        f"{T}/email.txt:1: template error: |center 100000000 would make a value of more than 1,000,000 characters or items, the most a template may make",
    ),
    (
        "huge-indent",
        writes("email.txt", "{{ 'a\\nb'|indent(100000000)|length }}"),
        f"{T}/email.txt:1: template error: |indent 100000000 would make a value of more than 1,000,000 characters or items, the most a template may make",
    ),
    (
        "huge-method-ljust",
        writes("email.txt", "{{ 'a'.ljust(100000000)|length }}"),
        f"{T}/email.txt:1: template error: ljust() 100000000 would make a value of more than 1,000,000 characters or items, the most a template may make",
    ),
    (
        "huge-percent",
        writes("email.txt", "{{ ('%100000000s' % 'a')|length }}"),
        f"{T}/email.txt:1: template error: % of width 100000000 would make a value of more than 1,000,000 characters or items, the most a template may make",
    ),
    (
        "huge-percent-star",
        writes("email.txt", "{{ ('%*s' % (100000000, 'a'))|length }}"),
        f"{T}/email.txt:1: template error: % 100000000 would make a value of more than 1,000,000 characters or items, the most a template may make",
    ),
    (
        "huge-format-filter",
        writes("email.txt", "{{ '%0100000000d'|format(1)|length }}"),
        f"{T}/email.txt:1: template error: |format of width 100000000 would make a value of more than 1,000,000 characters or items, the most a template may make",
    ),
    (
        "huge-str-format",
        writes("email.txt", "{{ '{:>100000000}'.format('a')|length }}"),
        f"{T}/email.txt:1: template error: a format width 100000000 would make a value of more than 1,000,000 characters or items, the most a template may make",
    ),
    (
        "huge-nested-format",
        writes("email.txt", "{{ '{:>{}}'.format('a', 100000000)|length }}"),
        f"{T}/email.txt:1: template error: a format width 100000000 would make a value of more than 1,000,000 characters or items, the most a template may make",
    ),
    (
        "huge-lipsum",
        writes("email.txt", "{{ lipsum(100000)|length }}"),
        f"{T}/email.txt:1: template error: lipsum(100000) would make a value of more than 1,000,000 characters or items, the most a template may make",
    ),
    (
        "huge-tojson",
        writes("email.txt", "{{ {'a': 1}|tojson(indent=100000000)|length }}"),
        f"{T}/email.txt:1: template error: |tojson 100000000 would make a value of more than 1,000,000 characters or items, the most a template may make",
    ),
    (
        "huge-batch",
        writes("email.txt", "{{ [1]|batch(100000000, 0)|list|length }}"),
        f"{T}/email.txt:1: template error: |batch 100000000 would make a value of more than 1,000,000 characters or items, the most a template may make",
    ),
    (
        "doubling-namespace",
        writes(
            "email.txt",
            "{% set ns = namespace(t='x') %}{% for i in range(40) %}{% set ns.t = ns.t ~ ns.t %}{% endfor %}{{ ns.t|length }}",
        ),
        f"{T}/email.txt:1: template error: ~ would make a value of more than 1,000,000 characters or items, the most a template may make",
    ),
    (
        "doubling-plus",
        writes(
            "email.txt",
            "{% set ns = namespace(t='x') %}{% for i in range(40) %}{% set ns.t = ns.t + ns.t %}{% endfor %}",
        ),
        f"{T}/email.txt:1: template error: + would make a value of more than 1,000,000 characters or items, the most a template may make",
    ),
    (
        "doubling-macro",
        writes("email.txt", "{% macro f(t) %}{{ f(t ~ t) }}{% endmacro %}{{ f('x') }}"),
        f"{T}/email.txt:1: template error: ~ would make a value of more than 1,000,000 characters or items, the most a template may make",
    ),
    (
        "doubling-replace",
        writes(
            "email.txt",
            "{% set ns = namespace(t='xx') %}{% for i in range(40) %}{% set ns.t = ns.t.replace('x', 'xx') %}{% endfor %}",
        ),
        f"{T}/email.txt:1: template error: replace() would make a value of more than 1,000,000 characters or items, the most a template may make",
    ),
    (
        "huge-join",
        writes("email.txt", "{{ (['a'] * 1000)|join('b' * 1000000) }}"),
        f"{T}/email.txt:1: template error: |join would make a value of more than 1,000,000 characters or items, the most a template may make",
    ),
    (
        "huge-power",
        writes("email.txt", "{{ (10 ** 100000000) > 1 }}"),
        f"{T}/email.txt:1: template error: 10 ** 100000000 is a larger number than a template may make",
    ),
    (
        "huge-output",
        writes("email.txt", "{% for i in range(3000) %}{{ 'x' * 1000 }}{% endfor %}"),
        f"{T}/email.txt: template error: it writes more than 2,000,000 characters, the most one part of an email may have",
    ),
    (
        "huge-range",
        writes("email.txt", "{% for i in range(10**9) %}{% endfor %}"),
        f"{T}/email.txt:1: template failed: OverflowError: Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).",
    ),
]


@pytest.mark.parametrize(("setup", "expected"), named(CASES))
def test_hostile_template_is_one_message(tmp_path: Path, setup: Callable[[Path], None], expected: str) -> None:
    folder = course(tmp_path)
    (folder / "templates").mkdir()
    setup(folder / "templates")
    outcome = run("build", folder, "--out", tmp_path / "out", tmp=tmp_path)
    assert (outcome.code, outcome.out, outcome.err) == (2, "", expected + "\n")
    assert not (tmp_path / "out").exists()


def test_templates_folder_linked_out_of_the_course_is_refused(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "email.txt").write_text("{{ email.subject }}\n", encoding="utf-8")
    folder = course(tmp_path)
    os.symlink(elsewhere, folder / "templates")
    outcome = run("build", folder, "--out", tmp_path / "out", tmp=tmp_path)
    assert (outcome.code, outcome.err) == (
        2,
        f"{T}/email.txt: template refused: leads outside {{tmp}}/course/templates (to {{tmp}}/elsewhere/email.txt);"
        " a template must be a file inside it\n",
    )


PLAIN = (str, int, float, bool, type(None))


def impure(value: object, where: str) -> list[str]:
    """Where in `value` something other than plain data sits (a template function is the one callable allowed)."""
    if isinstance(value, PLAIN):
        return []
    if isinstance(value, dict):
        return [bad for key, item in value.items() for bad in impure(key, where) + impure(item, f"{where}.{key}")]
    if isinstance(value, (list, tuple)):
        return [bad for i, item in enumerate(value) for bad in impure(item, f"{where}[{i}]")]
    if where in ("track", "merge_tag") and type(value).__name__ == "TemplateFunction":
        return []
    return [f"{where}: {type(value).__name__}"]


def test_every_value_a_template_sees_is_plain_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import jinja2

    seen: list[dict[str, object]] = []
    generate = jinja2.Template.generate  # what the renderer runs each part's template with

    def recording(self: jinja2.Template, *args: object, **kwargs: object) -> Iterator[str]:
        seen.append(dict(*args, **kwargs))  # type: ignore[call-overload]
        return generate(self, *args, **kwargs)

    monkeypatch.setattr(jinja2.Template, "generate", recording)
    folder = course(tmp_path)
    outcome = run("build", folder, "--out", tmp_path / "out", tmp=tmp_path)
    assert outcome.code == 0, outcome.err
    email_contexts = [c for c in seen if "lesson" in c]
    assert len(email_contexts) >= 2  # the HTML and the text part of each email
    assert [bad for c in email_contexts for name, value in c.items() for bad in impure(value, name)] == []


def test_a_template_cannot_delete_what_check_reads(tmp_path: Path) -> None:
    folder = course(tmp_path)
    (folder / "templates").mkdir()
    writes("email.txt", "{{ email.place.file.unlink() }}{{ lesson.sections[0].section.path.unlink() }}")(
        folder / "templates"
    )
    before = sorted(p.name for p in folder.rglob("*"))
    outcome = run("check", folder, tmp=tmp_path)
    assert (outcome.code, outcome.err) == (
        2,
        f"{T}/email.txt:1: template error: 'str object' has no attribute 'unlink'\n",
    )
    assert sorted(p.name for p in folder.rglob("*")) == before
