"""Each service push can load, as data: credentials, how to read back, update and delete what the export's
requests create, and what stays to do by hand (docs/push.md has the same per target)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from dripcourse.drip.providers.httpapi import Response
from dripcourse.push.engine import PushError
from dripcourse.push.model import UUID, Kind, Remote, key_hash, matching, named_by


def errors_list(body: Any) -> str:
    """Kit and SendGrid answer errors as a list (of strings or of {message})."""
    found = body.get("errors") if isinstance(body, dict) else None
    if isinstance(found, list):
        return "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in found)
    return str(body)[:300]


def field(name: str) -> Any:
    def message(body: Any) -> str:
        return str(body.get(name, body))[:300] if isinstance(body, dict) else str(body)[:300]

    return message


def inside(name: str) -> Any:
    def view(body: Any) -> Any:
        return body.get(name) if isinstance(body, dict) else None

    return view


def by_hand(manifest: dict[str, Any]) -> list[str]:
    return list(manifest.get("schedule", {}).get("by_hand") or [])


def listed(listing: str, *match: str, wrap: str | None = None) -> Any:
    """A `pick` for a listing answer: the first item of `reply[listing]` whose `match` fields equal the create
    body's, inside `{wrap: item}` where the service's GET answer wraps the object."""

    def pick(reply: Any, body: Any) -> Any:
        for item in (reply or {}).get(listing) or []:
            if all(item.get(name) == body.get(name) for name in match):
                return item if wrap is None else {wrap: item}
        return None

    return pick


# Kit v4 -----------------------------------------------------------------------------------------------------
KIT = Remote(
    "kit",
    "Kit",
    "https://api.kit.com",
    "KIT_API_URL",
    ("KIT_API_KEY",),
    "KIT_API_KEY, a v4 API key from Kit's Settings > Developer",
    lambda env: {"X-Kit-Api-Key": env["KIT_API_KEY"]},
    {
        "sequence": Kind(
            "sequence",
            "/v4/sequences/{id}",
            lambda reply: reply["sequence"]["id"],
            name_field="name",
            view=inside("sequence"),
            keep=("active",),
            find=lambda body: "/v4/sequences?per_page=1000",
            pick=listed("sequences", "name", wrap="sequence"),
        ),
        "email": Kind(
            "sequence email",
            "/v4/sequences/{course.sequence.id}/emails/{id}",
            lambda reply: reply["email"]["id"],
            name_field="subject",
            view=inside("email"),
            keep=("published",),
            find=lambda body: "/v4/sequences/{course.sequence.id}/emails?per_page=1000",
            pick=listed("emails", "subject", "position", wrap="email"),
        ),
    },
    account=key_hash("KIT_API_KEY"),
    message=errors_list,
    manual=lambda manifest: [
        "In Kit, open the sequence and review each email: push creates them unpublished and never publishes, "
        "unpublishes, activates or deactivates anything afterwards.",
        "Choose the sequence's email template (one that holds only {{ message_content }}, so Kit adds no frame "
        "around the course's own layout), publish the emails, then activate the sequence.",
        *by_hand(manifest),
    ],
)

# Postmark ---------------------------------------------------------------------------------------------------
POSTMARK = Remote(
    "postmark",
    "Postmark",
    "https://api.postmarkapp.com",
    "POSTMARK_API_URL",
    ("POSTMARK_SERVER_TOKEN",),
    "POSTMARK_SERVER_TOKEN, the server's API token (Servers > your server > API Tokens), not the account token",
    lambda env: {"X-Postmark-Server-Token": env["POSTMARK_SERVER_TOKEN"]},
    {
        "template": Kind(
            "template",
            "/templates/{id}",
            lambda reply: reply["TemplateId"],
            name_field="Alias",
            keeps_name=True,
            keep=("TemplateType",),  # set at creation; Postmark's edit call does not take it
            find=lambda body: "/templates/" + quote(body["Alias"], safe=""),
        ),
    },
    # Postmark answers an unknown template with 422 and its API error code 1101.
    missing=lambda status, body: (
        status == 404 or (status == 422 and isinstance(body, dict) and body.get("ErrorCode") == 1101)
    ),
    account=key_hash("POSTMARK_SERVER_TOKEN"),
    message=field("Message"),
    manual=lambda manifest: [
        "Send with TemplateAlias and a TemplateModel holding first_name (empty for the fallback) and email, "
        "through a message stream with unsubscribe handling, so {{{ pm:unsubscribe }}} is filled.",
    ],
)

# Amazon SES v2 (through botocore; see push/ses.py) --------------------------------------------------------
SES = Remote(
    "ses",
    "Amazon SES",
    "https://email.REGION.amazonaws.com",
    "DRIPCOURSE_SES_ENDPOINT_URL",
    (),  # botocore's own chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, SSO, instance role
    "AWS credentials with ses:CreateEmailTemplate, ses:GetEmailTemplate and ses:UpdateEmailTemplate",
    lambda env: {},
    {
        "template": Kind(
            "template",
            "/v2/email/templates/{id}",
            lambda reply: reply["TemplateName"],
            name_field="TemplateName",
            keeps_name=True,
            update_body=lambda body, digest: {"TemplateContent": body["TemplateContent"]},
            find=lambda body: "/v2/email/templates/" + quote(body["TemplateName"], safe=""),
            # SES template names: letters, digits, '_' and '-', at most 64 (CreateEmailTemplate's TemplateName).
            shape=matching(r"[A-Za-z0-9_-]{1,64}"),
            shape_help="an SES template name (letters, digits, '_' and '-', at most 64)",
        ),
    },
    skip=("template-own-link",),  # the v1 form of the same templates, under the same names
    account=named_by("region", "AWS_REGION", "AWS_DEFAULT_REGION"),
    manual=lambda manifest: [
        "The templates are the v2 form: send them with SES v2 SendEmail and ListManagementOptions (a contact "
        "list and topic), which fills {{amazonSESUnsubscribeUrl}}. For other sends load v1/ from "
        "`dripcourse export ses` instead.",
        "Always pass first_name (empty for the fallback) and email in the template data: SES drops a message "
        "whose template names a variable the data lacks.",
        *by_hand(manifest),
    ],
)

# SendGrid ---------------------------------------------------------------------------------------------------


def reset_header(header: str, *, unix_time: bool = False) -> Any:
    """A 429's wait from a rate-limit reset header, else Retry-After. The header holds seconds (Brevo's
    x-sib-ratelimit-reset) or, with `unix_time`, the moment of the reset (SendGrid's X-RateLimit-Reset)."""

    def wait(reply: Response) -> float | None:
        value = reply.headers.get(header)
        if value is not None and value.replace(".", "", 1).isdigit():
            return max(0.0, float(value) - time.time()) if unix_time else float(value)
        return reply.retry_after()

    return wait


SENDGRID = Remote(
    "sendgrid",
    "SendGrid",
    "https://api.sendgrid.com",
    "SENDGRID_API_URL",
    ("SENDGRID_API_KEY",),
    "SENDGRID_API_KEY, an API key with the Template Engine scope (full access)",
    lambda env: {"Authorization": f"Bearer {env['SENDGRID_API_KEY']}"},
    {
        "template": Kind(
            "dynamic template",
            "/v3/templates/{id}",
            lambda reply: reply["id"],
            name_field="name",
            update="PATCH",
            update_body=lambda body, digest: {"name": body["name"]},
            link="https://mc.sendgrid.com/dynamic-templates/{id}",
            shape=matching(r"d-[0-9a-f]{32}"),
            shape_help="a dynamic template id ('d-' and 32 hex digits)",
            find=lambda body: "/v3/templates?generations=dynamic&page_size=200",
            pick=listed("result", "name"),
        ),
        "version": Kind(
            "template version",
            "/v3/templates/{this.template.id}/versions/{id}",
            lambda reply: reply["id"],
            update="PATCH",
            version="updated_at",
            prune=False,  # deleting the template deletes its versions
            shape=matching(UUID),
            shape_help="a version id (a UUID)",
            find=lambda body: "/v3/templates/{this.template.id}",
            pick=listed("versions", "name"),
        ),
    },
    account=key_hash("SENDGRID_API_KEY"),
    wait=reset_header("x-ratelimit-reset", unix_time=True),
    message=errors_list,
    manual=lambda manifest: [
        "Send with template_id and dynamic_template_data {first_name, email}, and an unsubscribe group "
        "(asm.group_id): SendGrid fills {{{unsubscribe}}} only then.",
        *by_hand(manifest),
    ],
)

# Mailgun ----------------------------------------------------------------------------------------------------


def mailgun_view(reply: Any) -> Any:
    """A template with its active version, in the create form's field names."""
    template = (reply or {}).get("template") or {}
    version = template.get("version") or {}
    return {
        "name": template.get("name"),
        "description": template.get("description"),
        "template": version.get("template"),
        "tag": version.get("tag"),
        "comment": version.get("comment"),
        "headers": version.get("headers"),
    }


def mailgun_version(body: Any, digest: str) -> dict[str, str]:
    """A content change is a new active version; its tag, from the content hash, is unique per change."""
    return {
        "template": body["template"],
        "tag": f"dripcourse-{digest[:12]}",
        "comment": body["comment"],
        "headers": body["headers"],
        "active": "yes",
    }


def basic(user: str, secret: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()


MAILGUN = Remote(
    "mailgun",
    "Mailgun",
    "https://api.mailgun.net",
    "MAILGUN_API_URL",
    ("MAILGUN_API_KEY", "MAILGUN_DOMAIN"),
    "MAILGUN_API_KEY (a private API key of the account that owns MAILGUN_DOMAIN; EU accounts set "
    "MAILGUN_API_URL=https://api.eu.mailgun.net)",
    lambda env: {"Authorization": basic("api", env["MAILGUN_API_KEY"])},
    {
        "template": Kind(
            "template",
            "/v3/{input:domain}/templates/{id}",
            lambda reply: reply["template"]["name"],
            name_field="name",
            keeps_name=True,
            view=mailgun_view,
            read="/v3/{input:domain}/templates/{id}?active=yes",
            update="POST",
            update_path="/v3/{input:domain}/templates/{id}/versions",
            update_body=mailgun_version,
            repeated=(409,),  # this content's tag exists: a version whose answer was lost was stored
            find=lambda body: "/v3/{input:domain}/templates/" + quote(body["name"], safe="") + "?active=yes",
            shape=matching(r"[A-Za-z0-9][A-Za-z0-9._~-]{0,254}"),
            shape_help="a Mailgun template name (letters, digits, '.', '_', '~' and '-')",
        ),
    },
    inputs={"domain": "MAILGUN_DOMAIN"},
    account=named_by("domain", "MAILGUN_DOMAIN"),
    message=field("message"),
    manual=lambda manifest: [
        "Send with template=NAME and t:variables {first_name, email}. A Mailgun template holds no text part: "
        "send the export's text/NAME.txt as the message text (or t:text=yes).",
        "Each content change is a new active version; Mailgun keeps at most 40 versions of a template, so delete "
        "old ones in Sending > Templates when it refuses a new one.",
        *by_hand(manifest),
    ],
)

# Brevo ------------------------------------------------------------------------------------------------------


def brevo_view(reply: Any) -> Any:
    """A template as Brevo answers a GET, in the create request's field names."""
    reply = reply or {}
    sender = reply.get("sender") or {}
    return {
        "templateName": reply.get("name"),
        "subject": reply.get("subject"),
        "sender": {"name": sender.get("name"), "email": sender.get("email")},
        "replyTo": reply.get("replyTo"),
        "htmlContent": reply.get("htmlContent"),
        "isActive": reply.get("isActive"),
        "modifiedAt": reply.get("modifiedAt"),
    }


BREVO = Remote(
    "brevo",
    "Brevo",
    "https://api.brevo.com",
    "BREVO_API_URL",
    ("BREVO_API_KEY",),
    "BREVO_API_KEY, a v3 API key (SMTP & API > API keys); an SMTP key does not work here",
    lambda env: {"api-key": env["BREVO_API_KEY"]},
    {
        "template": Kind(
            "template",
            "/v3/smtp/templates/{id}",
            lambda reply: reply["id"],
            name_field="templateName",
            view=brevo_view,
            keep=("isActive",),
            version="modifiedAt",
            find=lambda body: "/v3/smtp/templates?limit=1000&offset=0",
            pick=lambda reply, body: next(
                (t for t in reply.get("templates", []) if t.get("name") == body["templateName"]), None
            ),
        ),
    },
    account=key_hash("BREVO_API_KEY"),
    wait=reset_header("x-sib-ratelimit-reset"),
    message=field("message"),
    manual=lambda manifest: [
        "Brevo's API makes no automations: in Automations, create a workflow triggered by 'Contact added to "
        "list', then a Wait step and a 'Send an email' step per template, with the delays in the export's "
        "README (`dripcourse export brevo`).",
        *by_hand(manifest),
    ],
)

# listmonk ---------------------------------------------------------------------------------------------------


def listmonk_campaign(reply: Any) -> Any:
    """A campaign as listmonk answers it, with its lists as ids, as the create request has them."""
    data = dict((reply or {}).get("data") or {})
    data["lists"] = [item.get("id") for item in data.get("lists") or [] if isinstance(item, dict)]
    return data


def listmonk_manual(manifest: dict[str, Any]) -> list[str]:
    steps = by_hand(manifest)
    if manifest.get("schedule", {}).get("mode") == "cohort":
        return [
            "The campaigns are scheduled: listmonk sends each at its send_at to the lists in LISTMONK_LIST_IDS. "
            "Check them under Campaigns before the first date.",
            *steps,
        ]
    return [
        "The campaigns are drafts: listmonk has no drip sequences, so start each one yourself on its day, or set "
        "schedule.mode to cohort with a start_date and push again to have them scheduled.",
        *steps,
    ]


LISTMONK = Remote(
    "listmonk",
    "listmonk",
    "https://listmonk.example",
    "LISTMONK_URL",
    ("LISTMONK_URL", "LISTMONK_API_USER", "LISTMONK_API_TOKEN"),
    "LISTMONK_API_USER and LISTMONK_API_TOKEN, an API user (Admin > Users) whose role may manage campaigns and "
    "templates",
    lambda env: {"Authorization": f"token {env['LISTMONK_API_USER']}:{env['LISTMONK_API_TOKEN']}"},
    {
        "template": Kind(
            "template",
            "/api/templates/{id}",
            lambda reply: reply["data"]["id"],
            name_field="name",
            view=inside("data"),
            find=lambda body: "/api/templates",
            pick=listed("data", "name", wrap="data"),
        ),
        "campaign": Kind(
            "campaign",
            "/api/campaigns/{id}",
            lambda reply: reply["data"]["id"],
            name_field="name",
            view=listmonk_campaign,
            link="{base}/admin/campaigns/{id}",
            find=lambda body: "/api/campaigns?per_page=100&query=" + quote(body["name"]),
            pick=lambda reply, body: next(
                ({"data": c} for c in (reply.get("data") or {}).get("results") or [] if c.get("name") == body["name"]),
                None,
            ),
        ),
        "status": Kind(
            "schedule",
            "/api/campaigns/{this.campaign.id}",
            lambda reply: reply["data"]["id"],
            view=inside("data"),
            update_path="/api/campaigns/{this.campaign.id}/status",
            prune=False,  # the campaign's own state: deleting the campaign removes it
        ),
    },
    inputs={"list_ids": "LISTMONK_LIST_IDS"},
    missing=lambda status, body: status == 404,
    message=field("message"),
    manual=listmonk_manual,
)

# Mailchimp --------------------------------------------------------------------------------------------------


def mailchimp_base(env: Mapping[str, str]) -> str | None:
    """Mailchimp's API host is the data center named after the '-' of the API key (`...-us21`)."""
    key = env.get("MAILCHIMP_API_KEY", "")
    if not key:
        return None  # a dry run without credentials lists the placeholder host
    center = key.rpartition("-")[2] if "-" in key else ""
    if not center.isalnum():
        raise PushError("MAILCHIMP_API_KEY does not end in its data center (like '-us21'); copy the whole key")
    return f"https://{center}.api.mailchimp.com"


MAILCHIMP = Remote(
    "mailchimp",
    "Mailchimp",
    "https://DC.api.mailchimp.com",
    "MAILCHIMP_API_URL",
    ("MAILCHIMP_API_KEY",),
    "MAILCHIMP_API_KEY, a Marketing API key (Profile > Extras > API keys)",
    lambda env: {"Authorization": basic("dripcourse", env["MAILCHIMP_API_KEY"])},
    {
        "template": Kind(
            "template",
            "/3.0/templates/{id}",
            lambda reply: reply["id"],
            name_field="name",
            update="PATCH",
            version="date_edited",  # Mailchimp does not give the HTML back; its edit time shows a change
            find=lambda body: "/3.0/templates?type=user&count=1000",
            pick=listed("templates", "name"),
        ),
    },
    account=key_hash("MAILCHIMP_API_KEY"),
    base=mailchimp_base,
    message=lambda body: f"{body.get('title')}: {body.get('detail')}" if isinstance(body, dict) else str(body)[:300],
    manual=lambda manifest: [
        "Mailchimp's API cannot build a Customer Journey: in Automations, start one on 'Signs up' to your "
        "audience, then per template a 'Time delay' and a 'Send email' step using it, with the waits in the "
        "export's journey.csv (`dripcourse export mailchimp`).",
        "Set the audience's FNAME default to the course's greeting fallback, and its postal address (the "
        "templates carry *|UNSUB|* and *|HTML:LIST_ADDRESS_HTML|*).",
        *by_hand(manifest),
    ],
)

# Buttondown -------------------------------------------------------------------------------------------------


BUTTONDOWN = Remote(
    "buttondown",
    "Buttondown",
    "https://api.buttondown.com",
    "BUTTONDOWN_API_URL",
    ("BUTTONDOWN_API_KEY",),
    "BUTTONDOWN_API_KEY, the API key from Settings > API",
    lambda env: {"Authorization": f"Token {env['BUTTONDOWN_API_KEY']}"},
    {
        "email": Kind(
            "email",
            "/v1/emails/{id}",
            lambda reply: reply["id"],
            name_field="slug",
            keeps_name=True,
            update="PATCH",
            keep=("status",),  # created as a draft; sending or scheduling it is the user's
            # Buttondown's update takes no description (the preview text): it is set when the email is created.
            update_body=lambda body, digest: {k: v for k, v in body.items() if k not in ("status", "description")},
            version="modification_date",
            find=lambda body: "/v1/emails?status=draft",
            pick=listed("results", "slug"),
            shape=matching(rf"em_[0-9a-z]{{10,40}}|{UUID}"),
            shape_help="a Buttondown email id ('em_...' or a UUID)",
        ),
        "automation": Kind(
            "automation",
            "/v1/automations/{id}",
            lambda reply: reply["id"],
            name_field="name",
            update="PATCH",
            version="modification_date",
            find=lambda body: "/v1/automations",
            pick=listed("results", "name"),
            shape=matching(rf"aut_[0-9a-z]{{10,40}}|{UUID}"),
            shape_help="a Buttondown automation id ('aut_...' or a UUID)",
        ),
    },
    account=key_hash("BUTTONDOWN_API_KEY"),
    message=field("detail"),
    manual=lambda manifest: [
        "In Buttondown, review the draft emails and the automation, then turn the automation on: push creates it "
        "inactive and never changes its status.",
        "A preheader changed after the first push must be changed in Buttondown by hand (the email's "
        "description): Buttondown's update call does not take it.",
        *by_hand(manifest),
    ],
)

REMOTES: dict[str, Remote] = {
    r.target: r for r in (KIT, POSTMARK, SES, SENDGRID, MAILGUN, BREVO, LISTMONK, MAILCHIMP, BUTTONDOWN)
}
