"""Each service push can load, as data: credentials, how to read back, update and delete what the export's
requests create, and what stays to do by hand (docs/push.md has the same per target)."""

from __future__ import annotations

from typing import Any

from dripcourse.push.model import Kind, Remote


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


def kit_pick(listing: str, wrap: str, match: tuple[str, ...]) -> Any:
    def pick(reply: Any, body: Any) -> Any:
        for item in (reply or {}).get(listing) or []:
            if all(item.get(name) == body.get(name) for name in match):
                return {wrap: item}
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
            view=inside("sequence"),
            keep=("active",),
            find=lambda body: "/v4/sequences?per_page=1000",
            pick=kit_pick("sequences", "sequence", ("name",)),
        ),
        "email": Kind(
            "sequence email",
            "/v4/sequences/{course.sequence.id}/emails/{id}",
            lambda reply: reply["email"]["id"],
            view=inside("email"),
            keep=("published",),
            find=lambda body: "/v4/sequences/{course.sequence.id}/emails?per_page=1000",
            pick=kit_pick("emails", "email", ("subject", "position")),
        ),
    },
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
            keep=("TemplateType",),  # set at creation; Postmark's edit call does not take it
            find=lambda body: f"/templates/{body['Alias']}",
        ),
    },
    # Postmark answers an unknown template with 422 and its API error code 1101.
    missing=lambda status, body: (
        status == 404 or (status == 422 and isinstance(body, dict) and body.get("ErrorCode") == 1101)
    ),
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
            update_body=lambda body, digest: {"TemplateContent": body["TemplateContent"]},
            find=lambda body: f"/v2/email/templates/{body['TemplateName']}",
        ),
    },
    skip=("template-own-link",),  # the v1 form of the same templates, under the same names
    manual=lambda manifest: [
        "The templates are the v2 form: send them with SES v2 SendEmail and ListManagementOptions (a contact "
        "list and topic), which fills {{amazonSESUnsubscribeUrl}}. For other sends load v1/ from "
        "`dripcourse export ses` instead.",
        "Always pass first_name (empty for the fallback) and email in the template data: SES drops a message "
        "whose template names a variable the data lacks.",
        *by_hand(manifest),
    ],
)

REMOTES: dict[str, Remote] = {r.target: r for r in (KIT, POSTMARK, SES)}
