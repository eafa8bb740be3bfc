"""Render lessons into email HTML (Jinja2 + CommonMark + premailer) and a plain-text part from the same parse."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import re
import string
import sys
import textwrap
import traceback
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, partial, wraps
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import jinja2
import jinja2.bccache
import jinja2.compiler
import jinja2.nodes
import jinja2.runtime
import jinja2.sandbox
import jinja2.utils
from markdown_it.token import Token
from markupsafe import Markup

from dripcourse import mergetags
from dripcourse.assemble import Lesson, LessonSection
from dripcourse.errors import DripcourseError, Problem
from dripcourse.palette import palette
from dripcourse.sources import markdown_parser
from dripcourse.syllabus import Button, CourseInfo, Syllabus

TEXT_WIDTH = 76
# Characters that fill the inbox preview after the preheader, so no body text shows up beside it.
PREHEADER_PADDING = Markup("&#847;&zwnj;&nbsp;" * 60)


@dataclass(frozen=True)
class RenderedEmail:
    """An email in neutral form: merge tags are tokens that each output fills in its own dialect."""

    lesson: Lesson
    html: str
    text: str
    tags: mergetags.Tags


def default_theme_dir() -> Path:
    """The default theme: packaged in the wheel, or the repository's top-level templates/ when run from a checkout."""
    packaged = resources.files("dripcourse") / "templates"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "templates"


class TemplateRefused(jinja2.TemplateError):
    """A template file that is not a regular file inside its theme folder (a symlink out of it, a device...)."""

    def __init__(self, path: Path, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class ThemeLoader(jinja2.FileSystemLoader):
    """Loads a template only when it is a regular file inside its folder, after following every link.

    Course folders get shared: a theme must not be able to pull `/etc/passwd` into an email through a symlink.
    """

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        pieces = jinja2.loaders.split_template_path(template)
        for folder in self.searchpath:
            path = Path(folder).joinpath(*pieces)
            if not (path.exists() or path.is_symlink()):
                continue
            check_template_file(path, Path(folder), own=Path(folder) != default_theme_dir())
        return super().get_source(environment, template)


def check_template_file(path: Path, folder: Path, own: bool = True) -> None:
    """Raise TemplateRefused unless `path` resolves to a regular file inside `folder` (itself inside its parent).

    A course's own template must also have one name only: a hard link is the same file as one elsewhere (say
    /etc/hostname), and nothing in its path shows that. The packaged theme is dripcourse's and exempt (an installer
    may hard-link package files)."""
    boundary = folder.parent.resolve() / folder.name
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        raise TemplateRefused(path, "is a broken or looping link") from None
    if not real.is_relative_to(boundary):
        raise TemplateRefused(path, f"leads outside {folder} (to {real}); a template must be a file inside it")
    if not real.is_file():
        raise TemplateRefused(path, "is not a regular file")
    links = real.stat().st_nlink
    if own and links > 1:
        raise TemplateRefused(
            path,
            f"is a hard link ({links} names for one file), so it may be a file from outside {folder}; "
            "copy the template in instead",
        )


def theme_files(folder: Path) -> list[Path]:
    """The regular files of a theme folder, links not followed."""
    return [path for path in sorted(folder.rglob("*")) if path.is_file() and not path.is_symlink()]


def theme_dirs(course_dir: Path) -> list[Path]:
    """Template folders in lookup order: the course's own templates/ first, then the default theme."""
    own = course_dir / "templates"
    return [own, default_theme_dir()] if own.is_dir() else [default_theme_dir()]


# The link schemes an email may carry, in the HTML and the text part alike (and what `check` accepts): web pages,
# an address to write to, and a number to call or text (a hotline must be one tap away on a phone).
LINK_SCHEMES = frozenset({"http", "https", "mailto", "tel", "sms"})


def sanitize(html: str) -> str:
    """Markdown's own output, checked once more: raw HTML is text already (`markdown_parser`), and this allow-list
    would drop <script>, <iframe>, on* handlers, style and javascript: URLs if any got through (nh3, the Rust
    ammonia sanitizer, which a regex cannot stand in for)."""
    import nh3

    return nh3.clean(html, link_rel=None, url_schemes=set(LINK_SCHEMES))


class UrlTracker:
    """Adds UTM parameters to links that point at the course's own website."""

    def __init__(self, course: CourseInfo, content: str, nonce: str = ""):
        self.token = f"{mergetags.TOKEN_PREFIX}{nonce}"  # a link holding a merge tag is left as written
        self.host = urlsplit(course.website).netloc.lower().removeprefix("www.")
        self.params = [
            ("utm_source", course.tracking.source),
            ("utm_medium", course.tracking.medium),
            ("utm_campaign", course.campaign),
            ("utm_content", content),
        ]
        self.enabled = course.tracking.enabled

    def __call__(self, url: str) -> str:
        parts = urlsplit(url)
        if not self.enabled or parts.scheme not in ("http", "https") or self.token in url:
            return url
        if parts.netloc.lower().removeprefix("www.") != self.host:
            return url
        query = parse_qsl(parts.query, keep_blank_values=True)
        present = {key for key, _ in query}
        query += [(key, value) for key, value in self.params if key not in present]
        return urlunsplit(parts._replace(query=urlencode(query)))


# Mailchimp's merge-tag syntax (`*|FNAME|*`, `*|IF:FNAME|*`) written as text: Markdown would read its stars as
# emphasis and show `<em>|FNAME|</em>`. It is set aside before Markdown and put back as written afterwards.
STAR_TAG = re.compile(r"\*\|[^\s*|<>&\"']+\|\*")


@dataclass
class Literals:
    """Text set aside from Markdown under tokens of the email's nonce (which no course text contains)."""

    nonce: str
    texts: list[str] = dataclasses.field(default_factory=list)

    def protect(self, markdown: str) -> str:
        def token(match: re.Match[str]) -> str:
            self.texts.append(match.group())
            return f"{mergetags.TOKEN_PREFIX}{self.nonce}l{len(self.texts) - 1}e"

        return STAR_TAG.sub(token, markdown)

    def restore(self, rendered: str) -> str:
        if not self.texts:
            return rendered
        pattern = re.compile(f"{mergetags.TOKEN_PREFIX}{self.nonce}l([0-9]+)e")
        return pattern.sub(lambda m: self.texts[int(m.group(1))], rendered)


def parse_markdown(
    markdown: str, registry: mergetags.TagRegistry, track: UrlTracker, literals: Literals | None = None
) -> list[Token]:
    if literals is not None:
        markdown = literals.protect(markdown)
    tokens = markdown_parser().parse(registry.tokenize(markdown))
    for token in tokens:
        for child in token.children or ():
            if child.type == "link_open":
                child.attrSet("href", track(str(child.attrGet("href") or "")))
    return tokens


# Numbers in hyphenated groups, like the phone number 1-800-799-7233 or the date 2026-03-02: a browser may break a
# line after any hyphen, and a helpline number split over two lines is easy to misread. Two hyphens at least, so
# ranges like "1-2 hours" are left alone.
HYPHENATED_NUMBER = re.compile(r"(?<![\w-])\+?\d{1,4}(?:-\d{1,4}){2,4}(?![\w-])")
MARKUP_TAG = re.compile(r"(<[^>]*>)")


def keep_numbers_whole(html: str) -> str:
    """Wrap hyphenated numbers in the text (never inside a tag) in a span that does not break across lines."""
    parts = MARKUP_TAG.split(html)
    for i in range(0, len(parts), 2):  # even parts are text between tags; sanitized HTML escapes "<" in text
        parts[i] = HYPHENATED_NUMBER.sub(r'<span style="white-space: nowrap;">\g<0></span>', parts[i])
    return "".join(parts)


def markdown_html(tokens: list[Token]) -> Markup:
    parser = markdown_parser()
    return Markup(keep_numbers_whole(sanitize(parser.renderer.render(tokens, parser.options, {}))))


def markdown_text(tokens: list[Token], width: int = TEXT_WIDTH) -> str:
    """Plain text from CommonMark tokens: wrapped paragraphs, underlined headings, lists, links as `text (url)`."""
    lines: list[str] = []
    lists: list[list[Any]] = []  # [marker kind, counter, indent]
    pending_marker: str | None = None
    quote = ""
    heading: str | None = None
    hidden = False

    def blank() -> None:
        if lines and lines[-1].replace(">", "").strip():
            lines.append(quote.rstrip())

    for token in tokens:
        kind = token.type
        indent = quote + "".join(" " * entry[2] for entry in lists)
        if kind == "heading_open":
            heading = token.tag
            blank()
        elif kind == "paragraph_open":
            hidden = token.hidden
            if not hidden:
                blank()
        elif kind == "inline" and heading:
            text = inline_text(token.children or [])
            lines.append(indent + text)
            lines.append(indent + ("=" if heading in ("h1", "h2") else "-") * min(len(text), width))
            heading = None
            blank()
        elif kind == "inline":
            first = rest = indent
            if pending_marker is not None:
                first = indent[: len(indent) - lists[-1][2]] + pending_marker
                pending_marker = None
            for n, chunk in enumerate(inline_text(token.children or []).split("\n")):
                wrapped = textwrap.wrap(
                    chunk,
                    width,
                    initial_indent=first if n == 0 else rest,
                    subsequent_indent=rest,
                    break_long_words=False,
                    break_on_hyphens=False,
                ) or [first.rstrip()]
                lines.extend(wrapped)
            if not hidden:
                blank()
        elif kind in ("bullet_list_open", "ordered_list_open"):
            if not lists:
                blank()
            start = int(token.attrGet("start") or 1) if kind == "ordered_list_open" else 0
            lists.append([kind, start - 1, 2 if kind == "bullet_list_open" else 3])
        elif kind == "list_item_open":
            entry = lists[-1]
            entry[1] += 1
            pending_marker = "- " if entry[0] == "bullet_list_open" else f"{entry[1]}. ".ljust(3)
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
            if not lists:
                blank()
        elif kind == "blockquote_open":
            blank()
            quote += "> "
        elif kind == "blockquote_close":
            if lines and not lines[-1].replace(">", "").strip():
                lines.pop()
            quote = quote[:-2]
            blank()
        elif kind in ("fence", "code_block"):
            blank()
            lines.extend(indent + "    " + line for line in token.content.rstrip("\n").split("\n"))
            blank()
        elif kind == "hr":
            blank()
            lines.append(indent + "-" * 20)
            blank()
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(line.rstrip() for line in lines)


def inline_text(children: list[Token]) -> str:
    parts: list[str] = []
    link: list[Any] | None = None  # [href, start index in parts]
    for child in children:
        if child.type == "text" or child.type == "code_inline":
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append(" ")
        elif child.type == "hardbreak":
            parts.append("\n")
        elif child.type == "image":
            parts.append(f"[{child.content or 'image'}]")
        elif child.type == "link_open":
            link = [str(child.attrGet("href") or ""), len(parts)]
        elif child.type == "link_close" and link is not None:
            label = "".join(parts[link[1] :])
            href = link[0]
            if href and urlsplit(href).scheme.lower() in LINK_SCHEMES and href not in (label, f"mailto:{label}"):
                parts.append(f" ({href})")
            link = None
    return "".join(parts)


def wrap_filter(value: str, width: int = TEXT_WIDTH) -> str:
    return "\n".join(
        textwrap.fill(line, width, break_long_words=False, break_on_hyphens=False) for line in str(value).split("\n")
    )


class KeptTemplates(jinja2.FileSystemBytecodeCache):
    """Jinja's cache of compiled templates between runs, in its own per-user folder of the temporary directory.

    Compiling the theme is a sixth of a cold build of eight emails. Jinja keys each entry by template path and checks
    the source's checksum, its own version and Python's, so an edited theme compiles again. A cache that cannot be
    read or written (a full or read-only disk) only means compiling again, never a failed build.
    """

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except OSError:
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def compiled_templates(kind: str) -> jinja2.BytecodeCache | None:
    """The cache for one environment: the HTML and text environments compile the same file differently (one escapes,
    the other does not), so each has its own entries. None when there is no safe folder for it."""
    try:
        # The name carries the compiler's version (CappedCode): an entry compiled by another is never loaded.
        return KeptTemplates(pattern=f"__dripcourse_{kind}_{CappedCode.version}_%s.cache")
    except (OSError, RuntimeError):  # Jinja refuses a folder that another user owns or others may write to
        return None


# What a template may hold and look into: plain data, and the objects Jinja itself makes while a template runs
# (loops, macros, blocks, `namespace()`, `cycler()`, `joiner()`).
PLAIN_TYPES: tuple[type, ...] = (str, int, float, bool, type(None), dict, list, tuple)
JINJA_TYPES: tuple[type, ...] = (
    jinja2.runtime.LoopContext,
    jinja2.runtime.Macro,
    jinja2.runtime.TemplateReference,
    jinja2.runtime.BlockReference,
    jinja2.runtime.Undefined,
    jinja2.utils.Namespace,
    jinja2.utils.Cycler,
    jinja2.utils.Joiner,
)


class TemplateFunction:
    """A function dripcourse offers templates (`track`, `merge_tag`): callable, with nothing to look into."""

    __slots__ = ("_function",)

    def __init__(self, function: Any):
        self._function = function

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._function(*args, **kwargs)

    def __repr__(self) -> str:
        return "<template function>"


def plain(value: Any) -> Any:
    """`value` as plain data for a template: dataclasses become dicts of their fields and public properties, paths
    become text. A template then holds nothing with a side effect: a live object (a Path can read, write and
    delete files) is never reachable from it, whatever a sandbox rule lets through."""
    if type(value) in (str, Markup, int, float, bool, type(None)):
        return value
    if isinstance(value, TemplateFunction):
        return value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return tuple(plain(item) for item in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        for name, member in vars(type(value)).items():
            if isinstance(member, property) and not name.startswith("_"):
                fields[name] = plain(getattr(value, name))
        return fields
    raise TypeError(f"no plain form for template data of type {type(value).__name__}")


# How big a template may make things: one value (a text, a list) and the whole of one part of an email. The largest
# shipped email part is a few tens of kilobytes; these stop a theme from filling memory, not from being generous.
MAX_TEMPLATE_VALUE = 1_000_000  # characters or items
MAX_TEMPLATE_OUTPUT = 2_000_000  # characters
# Filters whose arguments set the size of what they make (a width, a count, an indent).
SIZED_FILTERS = ("center", "indent", "wordwrap", "truncate", "batch", "slice", "tojson", "wrap")
# Methods of text whose arguments set the size of what they return.
SIZED_METHODS = ("center", "ljust", "rjust", "zfill", "expandtabs")
PERCENT_FIELD = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d*)(?:\.(\*|\d*))?")


def too_big(detail: str) -> jinja2.sandbox.SecurityError:
    return jinja2.sandbox.SecurityError(
        f"{detail} would make a value of more than {MAX_TEMPLATE_VALUE:,} characters or items, "
        "the most a template may make"
    )


def size(value: Any) -> int:
    return len(value) if isinstance(value, (str, list, tuple, dict)) else 0


def capped(value: Any, detail: str = "this") -> Any:
    """`value`, if it is within MAX_TEMPLATE_VALUE."""
    if size(value) > MAX_TEMPLATE_VALUE:
        raise too_big(detail)
    return value


def check_numbers(numbers: Iterable[Any], detail: str) -> None:
    """Refuse a width, count or precision (an int) beyond MAX_TEMPLATE_VALUE before it is used."""
    for number in numbers:
        if isinstance(number, int) and abs(number) > MAX_TEMPLATE_VALUE:
            raise too_big(f"{detail} {number}")


def check_percent(text: str, values: Any, detail: str) -> None:
    """`text % values`: each field's width and precision, written or taken from `values` by a `*`."""
    stars = [value for value in (values if isinstance(values, tuple) else (values,))]
    for field in PERCENT_FIELD.finditer(text):
        for part in field.groups():
            if part and part != "*" and int(part) > MAX_TEMPLATE_VALUE:
                raise too_big(f"{detail} of width {part}")
            if part == "*":
                check_numbers(stars, detail)


def check_format(text: str, args: Iterable[Any], kwargs: Mapping[str, Any]) -> None:
    """`text.format(...)`: every number in a field's format spec, and any argument a nested field may use as one."""
    try:
        fields = [spec for _, _, spec, _ in string.Formatter().parse(text) if spec]
    except ValueError:
        return  # the real format raises its own error
    for spec in fields:
        if "{" in spec:
            check_numbers([*args, *kwargs.values()], "a format width")
        for number in re.findall(r"\d+", spec):
            if int(number) > MAX_TEMPLATE_VALUE:
                raise too_big(f"a format width {number}")


def joined_size(separator: Any, items: list[Any] | tuple[Any, ...]) -> int:
    return sum(map(size, items)) + size(separator) * len(items)


def check_method(function: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    """The methods of text that can make a value far larger than their input in one call."""
    owner, name = getattr(function, "__self__", None), getattr(function, "__name__", "")
    if not isinstance(owner, str):
        return
    if name in SIZED_METHODS:
        check_numbers([*args, *kwargs.values()], f"{name}()")
    elif name == "replace" and len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
        count = owner.count(args[0]) if args[0] else len(owner) + 1
        if len(owner) + count * len(args[1]) > MAX_TEMPLATE_VALUE:
            raise too_big("replace()")
    elif (
        name == "join"
        and args
        and isinstance(args[0], (list, tuple))
        and joined_size(owner, args[0]) > MAX_TEMPLATE_VALUE
    ):
        raise too_big("join()")


def sized_filter(name: str, function: Any) -> Any:
    """A filter whose size arguments are checked before it runs, and whose result is checked after."""

    @wraps(function)
    def checked(*args: Any, **kwargs: Any) -> Any:
        check_numbers([*args[1:], *kwargs.values()], f"|{name}")
        return capped(function(*args, **kwargs), f"|{name}")

    return checked


def joined_filter(function: Any) -> Any:
    """`join`, refused before it runs when its result would be too big."""

    @wraps(function)
    def checked(*args: Any, **kwargs: Any) -> Any:
        items = [arg for arg in args if isinstance(arg, (list, tuple))]
        separator = next((arg for arg in args[2:] if isinstance(arg, str)), kwargs.get("d", ""))
        if items and joined_size(separator, items[0]) > MAX_TEMPLATE_VALUE:
            raise too_big("|join")
        return capped(function(*args, **kwargs), "|join")

    return checked


def percent_filter(function: Any) -> Any:
    """`format` (printf-style), refused before it runs when a field's width is too big."""

    @wraps(function)
    def checked(value: Any, *args: Any, **kwargs: Any) -> Any:
        check_percent(str(value), tuple(args) or tuple(kwargs.values()), "|format")
        return capped(function(value, *args, **kwargs), "|format")

    return checked


def lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> Any:
    """Jinja's `lipsum()`, refused when it would make more than MAX_TEMPLATE_VALUE words."""
    if n * max > MAX_TEMPLATE_VALUE // 10:  # a word and its space are ten characters or less
        raise too_big(f"lipsum({n})")
    return jinja2.utils.generate_lorem_ipsum(n, html, min, max)


def power_too_big(base: int, exponent: int) -> bool:
    """`base ** exponent` would have more than some 20,000 digits (64 Kibit)."""
    return abs(base) > 1 and exponent * abs(base).bit_length() > 64 * 1024


class CappedNamespace(jinja2.utils.Namespace):
    """`namespace()`, the one value a template can change: what it holds is size-checked on every change, so a
    loop cannot double a text until memory runs out."""

    def __setitem__(self, name: str, value: Any) -> None:
        super().__setitem__(name, capped(value, f"namespace.{name}"))


class CappedCode(jinja2.compiler.CodeGenerator):
    """Jinja's compiler, with the one size-making operation a sandbox cannot intercept checked: `~`."""

    version = "c2"

    def visit_Concat(self, node: jinja2.nodes.Concat, frame: jinja2.compiler.Frame) -> None:
        self.write("environment.capped_concat(")
        super().visit_Concat(node, frame)
        self.write(")")


class PlainSandbox(jinja2.sandbox.ImmutableSandboxedEnvironment):
    """A sandbox that lets a template read plain data only: no attribute of any other object, no call of anything
    but the methods of plain values, Jinja's own helpers and dripcourse's template functions. The context is plain
    already (`plain`); this holds even if a live object slipped in.

    Sizes are capped too (MAX_TEMPLATE_VALUE): `*`, `+`, `%`, `**`, `~`, the methods and filters that take a width
    or a count, `lipsum()` and `namespace()`, so a theme cannot fill memory."""

    code_generator_class = CappedCode
    intercepted_binops = frozenset({"*", "+", "%", "**"})

    def capped_concat(self, value: Any) -> Any:
        return capped(value, "~")

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for items, times in ((left, right), (right, left)):
                if size(items) and isinstance(times, int) and size(items) * times > MAX_TEMPLATE_VALUE:
                    raise too_big(f"{'text' if isinstance(items, str) else 'a list'} * {times}")
        elif operator == "+" and size(left) + size(right) > MAX_TEMPLATE_VALUE:
            raise too_big("+")
        elif operator == "%" and isinstance(left, str):
            check_percent(left, right, "%")
        elif operator == "**" and isinstance(left, int) and isinstance(right, int) and power_too_big(left, right):
            raise jinja2.sandbox.SecurityError(f"{left} ** {right} is a larger number than a template may make")
        return capped(super().call_binop(context, operator, left, right), operator)

    def call(__self, __context: jinja2.runtime.Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        check_method(__obj, args, kwargs)
        return capped(super().call(__context, __obj, *args, **kwargs), "this call")

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        return isinstance(obj, PLAIN_TYPES + JINJA_TYPES) and super().is_safe_attribute(obj, attr, value)

    def is_safe_callable(self, obj: Any) -> bool:
        if not super().is_safe_callable(obj):
            return False
        if isinstance(obj, (TemplateFunction, *JINJA_TYPES)):
            return True
        if isinstance(obj, (types.BuiltinMethodType, types.MethodType)):
            return isinstance(obj.__self__, PLAIN_TYPES + JINJA_TYPES)  # `'x'.upper()`, `loop.cycle(...)`
        return any(obj is helper for helper in self.globals.values())  # range, dict, lipsum, cycler, namespace

    def wrap_str_format(self, value: Any) -> TemplateFunction | None:
        """`'...'.format`, which Jinja replaces by a sandboxed formatter (it looks up fields with the rules above)."""
        formatter = super().wrap_str_format(value)
        if formatter is None:
            return None
        text, is_map = value.__self__, value.__name__ == "format_map"

        def checked(*args: Any, **kwargs: Any) -> Any:
            values = args[0] if is_map and args and isinstance(args[0], Mapping) else kwargs
            check_format(text, () if is_map else args, values)
            return capped(formatter(*args, **kwargs), f"{value.__name__}()")

        return TemplateFunction(checked)


def theme_environment(loader: jinja2.BaseLoader, kind: str) -> PlainSandbox:
    """The sandbox one part of the email ("html" or "text") renders in: a theme can format what it is given, but not
    reach Python's internals (`__globals__`, `os`). Only the HTML part escapes."""
    environment = PlainSandbox(
        loader=loader,
        autoescape=kind == "html",
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        bytecode_cache=compiled_templates(kind),
    )
    environment.globals.update(lipsum=lipsum, namespace=CappedNamespace)
    return environment


def capped_filters(environment: PlainSandbox) -> None:
    """Put the size checks on the filters that take a size (once every filter of the environment is in place)."""
    for name in SIZED_FILTERS:
        if name in environment.filters:
            environment.filters[name] = sized_filter(name, environment.filters[name])
    environment.filters["join"] = joined_filter(environment.filters["join"])
    environment.filters["format"] = percent_filter(environment.filters["format"])


class Renderer:
    """Renders the lessons of one course with one theme."""

    def __init__(self, syllabus: Syllabus, template_dirs: list[Path] | None = None):
        self.use(syllabus)
        self.template_dirs = template_dirs or theme_dirs(syllabus.root)
        loader = ThemeLoader([str(d) for d in self.template_dirs])
        self.html_env = theme_environment(loader, "html")
        self.text_env = theme_environment(loader, "text")
        self.text_env.filters["wrap"] = wrap_filter
        capped_filters(self.html_env)
        capped_filters(self.text_env)

    def use(self, syllabus: Syllabus) -> None:
        """Render for this syllabus. The preview server keeps one Renderer, so templates compile once; Jinja
        reloads any template file that changes on disk."""
        self.syllabus = syllabus
        self.course = syllabus.course

    def render(self, lesson: Lesson, total: int) -> RenderedEmail:
        html, text, tags = self.compose(lesson, total)
        return RenderedEmail(lesson, inline_css(html), text, tags)

    def compose(self, lesson: Lesson, total: int) -> tuple[str, str, mergetags.Tags]:
        """The templates' output before CSS inlining: HTML with its stylesheet, the text part, the merge tags."""
        registry = mergetags.TagRegistry(mergetags.nonce_for([repr(lesson), repr(self.course), *self.theme_texts()]))
        track = UrlTracker(self.course, lesson.email.slug, registry.nonce)

        literals = Literals(registry.nonce)

        def parsed(markdown: str) -> list[Token]:
            return parse_markdown(markdown, registry, track, literals)

        blocks = {name: parsed(getattr(lesson.email, name)) for name in ("intro", "note", "outro", "action", "journal")}
        sections = [(s, parsed(s.markdown)) for s in lesson.sections]
        greeting = registry.tokenize(self.course.greeting)
        email = lesson.email
        if email.button is not None:
            button = Button(registry.tokenize(email.button.text), registry.tokenize(email.button.url))
            email = dataclasses.replace(email, button=button)
        common: dict[str, Any] = {
            "course": self.course,
            "palette": palette(self.course.brand_color),
            "email": email,
            "lesson": lesson,
            "total": total,
            "unsubscribe_url": registry.token("unsubscribe_url"),
            "postal_address": registry.token("postal_address"),
            "merge_tag": TemplateFunction(partial(template_merge_tag, registry)),
            "track": TemplateFunction(track),
        }
        html_template = self.template("email.html", self.html_env)
        text_template = self.template("email.txt", self.text_env)
        try:
            html, text, tags = self.run_templates(
                html_template, text_template, common, greeting, sections, blocks, registry
            )
            return literals.restore(html), literals.restore(text), tags
        except TemplateRefused as exc:
            raise DripcourseError(Problem(exc.path, f"template refused: {exc.reason}")) from None
        except jinja2.TemplateError as exc:
            raise DripcourseError(self.template_problem(exc, f"template error: {exc}")) from None
        except Exception as exc:  # a template can raise anything (a division by zero, a bad filter argument)
            if not self.raised_by_template(exc):
                raise  # dripcourse's own fault: not the template's to answer for
            raise DripcourseError(self.template_problem(exc, f"template failed: {type(exc).__name__}: {exc}")) from None

    def run_templates(
        self,
        html_template: jinja2.Template,
        text_template: jinja2.Template,
        common: dict[str, Any],
        greeting: str,
        sections: list[tuple[LessonSection, list[Token]]],
        blocks: dict[str, list[Token]],
        registry: mergetags.TagRegistry,
    ) -> tuple[str, str, mergetags.Tags]:
        html = rendered(
            html_template,
            plain(
                {
                    **common,
                    "greeting": greeting,
                    "preheader_padding": PREHEADER_PADDING,
                    "sections": [section_fields(s, markdown_html(t)) for s, t in sections],
                    **{name: markdown_html(tokens) for name, tokens in blocks.items()},
                }
            ),
        )
        text = rendered(
            text_template,
            plain(
                {
                    **common,
                    "greeting": greeting,
                    "sections": [section_fields(s, markdown_text(t)) for s, t in sections],
                    **{name: markdown_text(tokens) for name, tokens in blocks.items()},
                }
            ),
        )
        return html, tidy_text(text), registry.frozen()

    def theme_stamp(self) -> str:
        """A fingerprint of the template files (path, size, modification time), so a changed theme invalidates
        cached renders; it stats the files rather than reading them, since the preview server asks on every edit."""
        digest = hashlib.sha256()
        for folder in self.template_dirs:
            for path in theme_files(folder):
                stat = path.stat()
                digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
        return digest.hexdigest()

    def theme_texts(self) -> list[str]:
        """The text of every template file, so merge-tag tokens can be chosen to occur in none of them."""
        return [path.read_bytes().decode("utf-8", "replace") for d in self.template_dirs for path in theme_files(d)]

    def frames(self, exc: BaseException) -> list[tuple[str, int, bool]]:
        """The traceback of `exc` as (file, line, whether the file is one of the theme's templates)."""
        folders = [d.resolve() for d in self.template_dirs]
        found = []
        for frame, line in traceback.walk_tb(exc.__traceback__):
            name = frame.f_code.co_filename
            real = Path(name).resolve() if not name.startswith("<") else Path(name)
            found.append((name, line, any(real.is_relative_to(folder) for folder in folders)))
        return found

    def raised_by_template(self, exc: BaseException) -> bool:
        """True when a template's own code raised `exc`: a template frame is on the stack and the frame that raised
        is not dripcourse's (a bug of ours called from a template is still ours)."""
        frames = self.frames(exc)
        package = Path(__file__).resolve().parent
        return any(t for _, _, t in frames) and not Path(frames[-1][0]).resolve().is_relative_to(package)

    def template_problem(self, exc: BaseException, message: str) -> Problem:
        """Name the template file and line where a render failed (Jinja maps its frames to template lines)."""
        where = [(name, line) for name, line, in_template in self.frames(exc) if in_template]
        if not where:
            return Problem(str(self.template_dirs[0] / "email.html"), message)
        return Problem(where[-1][0], message, where[-1][1])

    def template(self, name: str, env: jinja2.Environment) -> jinja2.Template:
        try:
            return env.get_template(name)
        except TemplateRefused as exc:
            raise DripcourseError(Problem(exc.path, f"template refused: {exc.reason}")) from None
        except jinja2.TemplateSyntaxError as exc:
            raise DripcourseError(Problem(exc.filename or name, f"template error: {exc.message}", exc.lineno)) from None
        except jinja2.TemplateNotFound:
            folders = ", ".join(str(d) for d in self.template_dirs)
            raise DripcourseError(Problem(name, f"template not found in {folders}")) from None


def rendered(template: jinja2.Template, context: dict[str, Any]) -> str:
    """`template.render(context)`, stopped once it passes MAX_TEMPLATE_OUTPUT characters."""
    pieces, length = [], 0
    for piece in template.generate(context):
        length += len(piece)
        if length > MAX_TEMPLATE_OUTPUT:
            raise DripcourseError(
                Problem(
                    str(template.filename or template.name),
                    f"template error: it writes more than {MAX_TEMPLATE_OUTPUT:,} characters, the most one part of "
                    "an email may have",
                )
            )
        pieces.append(piece)
    return "".join(pieces)


def template_merge_tag(registry: mergetags.TagRegistry, name: str, fallback: str = "") -> str:
    """`merge_tag(name, fallback)` as templates call it: an unknown name is the template's error, not ours."""
    try:
        return registry.token(name, fallback)
    except ValueError as exc:
        raise jinja2.TemplateRuntimeError(str(exc)) from None


def section_fields(part: LessonSection, body: str) -> dict[str, str]:
    """What a template sees of a section: `title` is the heading this email shows, "" when it shows none."""
    section = part.section
    return {"title": part.heading, "id": section.id, "source": section.source, "body": body}


def tidy_text(text: str) -> str:
    """Collapse runs of blank lines left by template blocks; end with one newline."""
    lines = [line.rstrip() for line in text.strip("\n").split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out) + "\n"


def import_premailer() -> Any:
    """premailer's Premailer class, imported without requests.

    premailer imports requests (with urllib3, chardet and certifi, a third of its import time) only to fetch remote
    stylesheets, which `allow_network=False` never does; while premailer loads, an empty module stands in for it.
    """
    if "requests" in sys.modules:
        from premailer import Premailer

        return Premailer
    sys.modules["requests"] = types.ModuleType("requests", "not loaded: premailer runs with allow_network=False")
    try:
        from premailer import Premailer
    finally:
        del sys.modules["requests"]
    return Premailer


@cache
def css_inliner() -> Any:
    """premailer, set up once per process, with the theme's parsed style rules kept between emails.

    premailer caches cssutils' parse of a stylesheet, but re-serialises every rule of it for each email it inlines;
    on a 600-line theme that is most of the time an email takes. The rules depend only on the stylesheet's text, so
    one parse serves every email of a build (and every rebuild under `serve`, while the theme is unchanged).
    """
    premailer = import_premailer()  # imported here: only a build needs it

    quiet = logging.getLogger("dripcourse.premailer")
    quiet.addHandler(logging.NullHandler())
    quiet.propagate = False
    logging.getLogger("CSSUTILS").setLevel(logging.CRITICAL)
    parsed_rules: dict[tuple[str, int], tuple[list[Any], list[Any]]] = {}

    class ThemeInliner(premailer):  # type: ignore[misc,valid-type]
        def _parse_style_rules(self, css_body: str, ruleset_index: int) -> tuple[list[Any], list[Any]]:
            key = (css_body, ruleset_index)
            if key not in parsed_rules:
                if len(parsed_rules) > 64:  # a theme being edited under `serve` leaves old versions behind
                    parsed_rules.clear()
                parsed_rules[key] = super()._parse_style_rules(css_body, ruleset_index)
            rules, leftover = parsed_rules[key]
            return list(rules), list(leftover)

    def inline(html: str) -> str:
        inliner = ThemeInliner(
            html,
            remove_classes=False,
            keep_style_tags=False,
            strip_important=False,
            disable_validation=True,
            disable_leftover_css=True,
            allow_network=False,
            cssutils_logging_level=logging.CRITICAL,
            cssutils_logging_handler=logging.NullHandler(),
            # premailer copies CSS into width/height/align/valign/bgcolor attributes on any element, which is
            # invalid HTML on most of them; the template sets those attributes itself where old Outlook needs them.
            disable_basic_attributes=["width", "height", "align", "valign", "bgcolor"],
        )
        return str(inliner.transform(pretty_print=False))

    return inline


def inline_css(html: str) -> str:
    """Inline the theme's CSS with premailer, keeping DOCTYPE, MSO comments and `<style data-premailer="ignore">`."""
    return str(css_inliner()(html))


def fill_preview_html(rendered: RenderedEmail, course: CourseInfo) -> str:
    return mergetags.fill(rendered.html, rendered.tags, preview_writer(course), html=True)


def fill_preview_text(rendered: RenderedEmail, course: CourseInfo) -> str:
    return mergetags.fill(rendered.text, rendered.tags, preview_writer(course), html=False)


def preview_writer(course: CourseInfo) -> mergetags.Writer:
    return mergetags.value_writer(lambda tag: preview_value(tag, course))


def preview_value(tag: mergetags.MergeTag, course: CourseInfo) -> str:
    """What a merge tag shows in the preview files: the fallback, or the course's own URL and address."""
    if tag.name == "unsubscribe_url":
        return course.unsubscribe_url
    if tag.name == "postal_address":
        return course.postal_address
    return tag.fallback
