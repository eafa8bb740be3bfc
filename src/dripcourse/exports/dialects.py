"""Each mailing service's merge-tag dialect: what a merge tag becomes in each context, and how course text is
kept as text under that service's template engine.

Course text (sources, syllabus strings, fallbacks) may contain characters that a service's engine would read
as its own syntax: `{{ .Subscriber.Email }}`, `*|FNAME|*`, `{$email}`, `%recipient%`, `{% raw %}`. In HTML the
first character of every such sequence is written as a numeric character reference (`&#123;` for `{`), which
a browser shows as the character and no template engine reads. In plain text and subjects there are no
character references, so each dialect either writes the sequence in its engine's own escape (Handlebars
`\\{{`, Liquid and Go `{{ "{{" }}`, Django `{% templatetag openvariable %}`) or, where the engine has none,
refuses the export with the file and line of the text (docs/exports.md lists the choice per service).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from markupsafe import escape

from dripcourse import mergetags
from dripcourse.mergetags import Context, MergeTag
from dripcourse.syllabus import CourseInfo

# A "{" right before a merge tag would merge into the service's own opening braces ("{" + "{{x}}" is "{{{x}}}").
TOKEN_AHEAD = rf"(?={mergetags.TOKEN_PREFIX}[0-9a-f]{{{mergetags.NONCE_LENGTH}}}t)"
BEFORE_TAG = rf"\{{{TOKEN_AHEAD}"


def braces(pattern: str) -> re.Pattern[str]:
    """An engine's syntax pattern, plus the "{" right before a merge tag."""
    return re.compile(f"{pattern}|{BEFORE_TAG}")


# Characters a fallback may not carry raw into a service tag, in HTML: they could end the tag or its string.
TAG_BREAKERS = re.compile(r"[{}|%$*\\\[\]#@^~`]")
STYLE_BLOCK = re.compile(r"(<style\b[^>]*>.*?</style>)", re.S | re.I)


def reference(char: str) -> str:
    return f"&#{ord(char)};"


class Refused(Exception):
    """Course text holds syntax that the service would run, in a place where it cannot be escaped."""

    def __init__(self, snippet: str, in_link: bool = False):
        super().__init__(snippet)
        self.snippet = snippet
        self.in_link = in_link  # a value tag inside a link, for an engine without a URL filter


@dataclass(frozen=True)
class Dialect:
    """How one service's engine writes the four merge tags, and how literal text survives it."""

    name: str
    engine: str  # the engine's name as docs/exports.md gives it
    syntax: re.Pattern[str]  # the first character of every sequence the engine would read
    first_name: Callable[[str, Context], str]  # the service's tag around an already escaped fallback
    email: Callable[[Context], str]
    unsubscribe: Callable[[Context], str]
    postal: Callable[[Context], str] | None = None  # None: the course's own address, as text
    text_escape: Callable[[str], str] | None = None  # the engine's escape for plain text; None: refuse
    comments: Callable[[str, re.Pattern[str]], str] | None = None  # keeps HTML comments the engine would drop
    # A subscriber's value inside an href or src, through the engine's URL filter, given the already encoded
    # fallback; None: the engine has no URL filter and a value tag in a link is refused.
    url_value: Callable[[str, str, Context], str] | None = None
    text_syntax: re.Pattern[str] | None = None  # what the engine reads in plain text, when more than in HTML

    def html(self, text: str, tokens: re.Pattern[str] | None = None) -> str:
        """Course text in HTML with every sequence of this engine's syntax made inert (and its comments kept)."""
        parts = STYLE_BLOCK.split(text)
        inert = "".join(
            part if part.lower().startswith("<style") else self.syntax.sub(lambda m: reference(m.group()), part)
            for part in parts
        )
        return self.comments(inert, tokens) if self.comments and tokens is not None else inert

    def text(self, text: str) -> str:
        """Course text in a plain-text part or a subject, escaped for this engine; Refused where it cannot be."""
        match = (self.text_syntax or self.syntax).search(text)
        if match is None:
            return text
        if self.text_escape is None:
            raise Refused(snippet_at(text, match.start()))
        return self.text_escape(text)

    def fallback(self, fallback: str, context: Context) -> str:
        if context is Context.TEXT:
            return self.text(fallback)
        if context in (Context.URL, Context.TEXT_URL):
            return quote(fallback, safe="")  # only letters, digits, "%" and "_.-~": inert in every engine
        return "".join(reference(c) if TAG_BREAKERS.fullmatch(c) else str(escape(c)) for c in fallback)

    def writer(self, course: CourseInfo) -> mergetags.Writer:
        def write(tag: MergeTag, context: Context) -> str:
            if context in (Context.URL, Context.TEXT_URL) and tag.name in ("first_name", "email"):
                if self.url_value is None:
                    raise Refused(f"{{{{ {tag.name}", in_link=True)
                return self.url_value(tag.name, self.fallback(tag.fallback, context), context)
            if context is Context.TEXT_URL:
                context = Context.TEXT  # the unsubscribe link or the address, written as text
            if tag.name == "first_name":
                return self.first_name(self.fallback(tag.fallback, context), context)
            if tag.name == "email":
                return self.email(context)
            if tag.name == "unsubscribe_url":
                return self.unsubscribe(context)
            if self.postal is not None:
                return self.postal(context)
            if context is Context.TEXT:
                return self.text(course.postal_address)
            return self.html(str(escape(course.postal_address)))

        return write


def snippet_at(text: str, start: int) -> str:
    line = text[start:].split("\n", 1)[0]
    return line[:40]


def by_context(html: str, text: str) -> Callable[[Context], str]:
    return lambda context: text if context is Context.TEXT else html


# Handlebars (Amazon SES, SendGrid, Mailgun): `{{x}}` HTML-escapes, `{{{x}}}` does not, so text parts use the
# triple form; `\{{` writes a literal `{{`.
# In Handlebars a backslash right before "{{" makes the mustache literal text, so one before a tag is syntax too.
HANDLEBARS = braces(rf"\{{(?=\{{)|\\(?=\{{\{{)|\\{TOKEN_AHEAD}")


def handlebars_escape(text: str) -> str:
    stuck = re.search(rf"\\\{{\{{|{BEFORE_TAG}|\\{TOKEN_AHEAD}", text)
    if stuck:
        raise Refused(snippet_at(text, stuck.start()))
    return text.replace("{{", "\\{{")


def handlebars(
    name: str,
    unsubscribe_html: str,
    unsubscribe_text: str,
    syntax: re.Pattern[str] = HANDLEBARS,
    text_escape: Callable[[str], str] | None = handlebars_escape,
) -> Dialect:
    return Dialect(
        name,
        "Handlebars",
        syntax,
        lambda f, c: (
            "{{#if first_name}}"
            + ("{{{first_name}}}" if c is Context.TEXT else "{{first_name}}")
            + "{{else}}"
            + f
            + "{{/if}}"
        ),
        by_context("{{email}}", "{{{email}}}"),
        by_context(unsubscribe_html, unsubscribe_text),
        text_escape=text_escape,
    )


SES = handlebars("ses", "{{amazonSESUnsubscribeUrl}}", "{{{amazonSESUnsubscribeUrl}}}")
# Sends without SES list management (v1, v2 SendBulkEmail) have no amazonSESUnsubscribeUrl: the sender passes
# its own unsubscribe_url in the template data.
SES_OWN_LINK = handlebars("ses-own-link", "{{unsubscribe_url}}", "{{{unsubscribe_url}}}")
SENDGRID = handlebars("sendgrid", "{{{unsubscribe}}}", "{{{unsubscribe}}}")
# Mailgun also fills `%recipient.x%`-style variables and `%unsubscribe_url%` in any message it sends.
MAILGUN_SYNTAX = braces(rf"\{{(?=\{{)|\\(?=\{{\{{)|\\{TOKEN_AHEAD}|%(?=[A-Za-z_][A-Za-z0-9_.]*%)")


def mailgun_escape(text: str) -> str:
    percent = re.search(r"%(?=[A-Za-z_][A-Za-z0-9_.]*%)", text)
    if percent:
        raise Refused(snippet_at(text, percent.start()))
    return handlebars_escape(text)


MAILGUN = handlebars("mailgun", "%unsubscribe_url%", "%unsubscribe_url%", MAILGUN_SYNTAX, mailgun_escape)

# Postmark's Mustachio does not look names up in outer scopes inside a section: the value is `{{.}}` there.
POSTMARK = Dialect(
    "postmark",
    "Mustachio",
    braces(r"\{(?=\{)"),
    lambda f, c: (
        "{{#first_name}}"
        + ("{{{.}}}" if c is Context.TEXT else "{{.}}")
        + "{{/first_name}}{{^first_name}}"
        + f
        + "{{/first_name}}"
    ),
    by_context("{{email}}", "{{{email}}}"),
    by_context("{{{ pm:unsubscribe }}}", "{{{ pm:unsubscribe }}}"),
)

MAILCHIMP = Dialect(
    "mailchimp",
    "Mailchimp merge tags",
    re.compile(r"\*(?=\|)"),
    lambda f, c: f"*|IF:FNAME|**|FNAME|**|ELSE:|*{f}*|END:IF|*",
    by_context("*|EMAIL|*", "*|EMAIL|*"),
    by_context("*|UNSUB|*", "*|UNSUB|*"),
    by_context("*|HTML:LIST_ADDRESS_HTML|*", "*|LIST:ADDRESS|*"),
    # *|URL:TAG|* is Mailchimp's URL-encoded form of a merge tag.
    url_value=lambda name, f, c: (
        f"*|IF:FNAME|**|URL:FNAME|**|ELSE:|*{f}*|END:IF|*" if name == "first_name" else "*|URL:EMAIL|*"
    ),
)

# Liquid: `{{ "{{" }}` writes a literal `{{` (and `{%`); a string in a tag ends at its quote, no escapes.
LIQUID = braces(r"\{(?=[{%])")


def liquid_escape(text: str) -> str:
    return re.sub(rf"\{{[{{%]|{BEFORE_TAG}", lambda m: '{{ "' + m.group() + '" }}', text)


KIT = Dialect(
    "kit",
    "Liquid",
    LIQUID,
    lambda f, c: f"{{{{ subscriber.first_name | default: '{f}' }}}}",
    by_context("{{ subscriber.email_address }}", "{{ subscriber.email_address }}"),
    by_context("{{ unsubscribe_url }}", "{{ unsubscribe_url }}"),
    text_escape=liquid_escape,
    # url_encode gives "" for a missing value, which `default` then replaces with the encoded fallback.
    url_value=lambda name, f, c: (
        f"{{{{ subscriber.first_name | url_encode | default: '{f}' }}}}"
        if name == "first_name"
        else "{{ subscriber.email_address | url_encode }}"
    ),
)

MAILERLITE = Dialect(
    "mailerlite",
    "MailerLite variables",
    braces(r"\{(?=[$%{])"),
    lambda f, c: f"{{$name|default('{f}')}}",
    by_context("{$email}", "{$email}"),
    by_context("{$unsubscribe}", "{$unsubscribe}"),
)

BREVO = Dialect(
    "brevo",
    "Brevo template language",
    braces(r"\{(?=[{%#])"),
    lambda f, c: f"{{{{ contact.FIRSTNAME | default : '{f}' }}}}",
    by_context("{{ contact.EMAIL }}", "{{ contact.EMAIL }}"),
    by_context("{{ unsubscribe }}", "{{ unsubscribe }}"),
)


# Go templates (listmonk): `{{ "{{" }}` writes a literal `{{`; listmonk also rewrites `URL@TrackLink`.
GO = braces(r"\{(?=\{)|@(?=TrackLink)")
# listmonk compiles the plain-text body with html/template too, which reads every "<" of the text as markup: it
# rewrites a lone "<" as "&lt;" and fails every render of a text that leaves a tag open (`<a href="x`).
GO_TEXT = braces(r"\{(?=\{)|@(?=TrackLink)|<")


def go_escape(text: str) -> str:
    def literal(match: re.Match[str]) -> str:
        if match.group() == "<":
            return '{{ Safe "<" }}'  # a value html/template leaves as it is
        return '{{ "' + match.group() + '" }}'

    # A "{" right before a "<" would run into the braces of the "<" written as a value.
    return re.sub(rf"\{{\{{|@(?=TrackLink)|<|\{{(?=<)|{BEFORE_TAG}", literal, text)


COMMENT = re.compile(r"<!--.*?-->", re.S)


def go_safe_comments(html: str, tokens: re.Pattern[str]) -> str:
    """Wrap every HTML comment in listmonk's `Safe`, which Go's html/template leaves in place (it strips
    comments from template text); merge-tag tokens inside a comment stay outside the string, to be filled."""
    token = re.compile(f"({tokens.pattern})")

    def wrap(match: re.Match[str]) -> str:
        pieces = token.split(match.group())
        return "".join(
            piece if token.fullmatch(piece) else "{{ Safe " + json.dumps(piece, ensure_ascii=False) + " }}"
            for piece in pieces
            if piece
        )

    return COMMENT.sub(wrap, html)


def listmonk_first_name(fallback: str, value: str) -> str:
    """The subscriber's `first_name` attribute, else the first word of their name, else the fallback: the rule
    `dripcourse send --via listmonk` uses. listmonk's own `.Subscriber.FirstName` is not used: it takes the first
    part longer than two bytes ("Al Smith" gives "Smith"). `splitList` is one of the sprig functions listmonk
    registers for templates; its separator is a Go raw string, so no quote ends the HTML attribute around it."""
    return (
        "{{ with .Subscriber.Attribs.first_name }}" + value + "{{ else }}"
        "{{ with index (splitList ` ` .Subscriber.Name) 0 }}" + value + "{{ else }}" + fallback + "{{ end }}{{ end }}"
    )


def listmonk_link(name: str, fallback: str, context: Context) -> str:
    """In an href html/template percent-encodes a value itself (its URL context); a link in the plain-text body is
    text to html/template, so the value goes through Go's `urlquery`, then `Safe` so that its "+" stays "+"
    (html/template refuses `urlquery` anywhere but last in a pipeline, hence the call form)."""
    if name == "first_name":
        return listmonk_first_name(fallback, "{{ . }}" if context is Context.URL else "{{ Safe (urlquery .) }}")
    return "{{ .Subscriber.Email }}" if context is Context.URL else "{{ Safe (urlquery .Subscriber.Email) }}"


# listmonk compiles the body and the plain-text body with Go's html/template, which HTML-escapes every value:
# in the text part each value is passed through listmonk's `Safe` so D'Angelo stays D'Angelo.
LISTMONK = Dialect(
    "listmonk",
    "Go html/template",
    GO,
    lambda f, c: listmonk_first_name(f, "{{ . | Safe }}" if c is Context.TEXT else "{{ . }}"),
    by_context("{{ .Subscriber.Email }}", "{{ .Subscriber.Email | Safe }}"),
    by_context("{{ UnsubscribeURL }}", "{{ UnsubscribeURL . | Safe }}"),
    text_escape=go_escape,
    comments=go_safe_comments,
    url_value=listmonk_link,
    text_syntax=GO_TEXT,
)


# Django templates (Buttondown): `{% templatetag openvariable %}` writes `{{`, and likewise `{%` and `{#`.
DJANGO = braces(r"\{(?=[{%#])")
DJANGO_OPENERS = {"{{": "openvariable", "{%": "openblock", "{#": "opencomment", "{": "openbrace"}


def django_escape(text: str) -> str:
    return re.sub(rf"\{{[{{%#]|{BEFORE_TAG}", lambda m: "{% templatetag " + DJANGO_OPENERS[m.group()] + " %}", text)


BUTTONDOWN = Dialect(
    "buttondown",
    "Django templates",
    DJANGO,
    lambda f, c: (
        "{% if subscriber.metadata.first_name %}{{ subscriber.metadata.first_name }}{% else %}" + f + "{% endif %}"
    ),
    by_context("{{ subscriber.email }}", "{{ subscriber.email }}"),
    by_context("{{ unsubscribe_url }}", "{{ unsubscribe_url }}"),
    text_escape=django_escape,
    url_value=lambda name, f, c: (
        "{% if subscriber.metadata.first_name %}{{ subscriber.metadata.first_name|urlencode:'' }}{% else %}"
        + f
        + "{% endif %}"
        if name == "first_name"
        else "{{ subscriber.email|urlencode:'' }}"
    ),
)

DIALECTS = {
    d.name: d
    for d in (SES, SES_OWN_LINK, SENDGRID, MAILGUN, POSTMARK, MAILCHIMP, KIT, MAILERLITE, BREVO, LISTMONK, BUTTONDOWN)
}
