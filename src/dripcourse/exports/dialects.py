"""Each mailing service's merge-tag syntax for first name (with a fallback), email, unsubscribe link and address."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import escape

from dripcourse import mergetags
from dripcourse.syllabus import CourseInfo


def quoted(text: str) -> str:
    return text.replace('"', "").replace("\\", "")


@dataclass(frozen=True)
class Dialect:
    name: str
    first_name: Callable[[str], str]
    email: str
    unsubscribe: str
    postal_html: str | None = None  # None: the course's own address, written out
    postal_text: str | None = None

    def value(self, tag: mergetags.MergeTag, course: CourseInfo, html: bool) -> str:
        if tag.name == "first_name":
            return self.first_name(tag.fallback or "there")
        if tag.name == "email":
            return self.email
        if tag.name == "unsubscribe_url":
            return self.unsubscribe
        special = self.postal_html if html else self.postal_text
        if special is not None:
            return special
        return str(escape(course.postal_address)) if html else course.postal_address

    def fill(self, text: str, tags: tuple[mergetags.MergeTag, ...], course: CourseInfo, html: bool) -> str:
        return mergetags.fill(text, tags, lambda tag: self.value(tag, course, html))


def handlebars_first_name(fallback: str) -> str:
    return "{{#if first_name}}{{first_name}}{{else}}" + fallback + "{{/if}}"


MAILCHIMP = Dialect(
    "mailchimp",
    lambda f: f"*|IF:FNAME|**|FNAME|**|ELSE:|*{f}*|END:IF|*",
    "*|EMAIL|*",
    "*|UNSUB|*",
    "*|HTML:LIST_ADDRESS_HTML|*",
    "*|LIST:ADDRESS|*",
)
KIT = Dialect(
    "kit",
    lambda f: f'{{{{ subscriber.first_name | default: "{quoted(f)}" }}}}',
    "{{ subscriber.email_address }}",
    "{{ unsubscribe_url }}",
)
MAILERLITE = Dialect("mailerlite", lambda f: f"{{$name|default('{quoted(f)}')}}", "{$email}", "{$unsubscribe}")
BREVO = Dialect(
    "brevo",
    lambda f: f'{{{{ contact.FIRSTNAME | default : "{quoted(f)}" }}}}',
    "{{ contact.EMAIL }}",
    "{{ unsubscribe }}",
)
SENDGRID = Dialect(
    "sendgrid", handlebars_first_name, "{{email}}", "{{{unsubscribe}}}", "{{Sender_Address}}", "{{Sender_Address}}"
)
MAILGUN = Dialect("mailgun", handlebars_first_name, "{{email}}", "%unsubscribe_url%")
SES = Dialect("ses", handlebars_first_name, "{{email}}", "{{amazonSESUnsubscribeUrl}}")
POSTMARK = Dialect(
    "postmark",
    lambda f: "{{#first_name}}{{first_name}}{{/first_name}}{{^first_name}}" + f + "{{/first_name}}",
    "{{ email }}",
    "{{{ pm:unsubscribe }}}",
)
LISTMONK = Dialect(
    "listmonk",
    lambda f: f'{{{{ .Subscriber.FirstName | default "{quoted(f)}" }}}}',
    "{{ .Subscriber.Email }}",
    "{{ UnsubscribeURL }}",
)
BUTTONDOWN = Dialect(
    "buttondown",
    lambda f: f'{{{{ subscriber.metadata.first_name|default:"{quoted(f)}" }}}}',
    "{{ subscriber.email }}",
    "{{ unsubscribe_url }}",
)

# A tag that only one dialect writes: none of these may appear in another service's export.
SIGNATURES = {
    "mailchimp": "*|",
    "kit": "subscriber.first_name",
    "mailerlite": "{$",
    "brevo": "contact.FIRSTNAME",
    "sendgrid": "{{{unsubscribe}}}",
    "mailgun": "%unsubscribe_url%",
    "ses": "amazonSESUnsubscribeUrl",
    "postmark": "pm:unsubscribe",
    "listmonk": ".Subscriber.",
    "buttondown": "subscriber.metadata",
    "neutral": "dcmt-",
}
