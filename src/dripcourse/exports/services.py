"""The export targets, one function per mailing service. Each returns the files of its folder by relative path."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable
from typing import Any

from dripcourse.build import BuiltEmail
from dripcourse.errors import DripcourseError, Problem
from dripcourse.exports import ExportContext, Target
from dripcourse.exports import dialects as d
from dripcourse.message import mbox
from dripcourse.schedule import day_names

SES_NAME = re.compile(r"[^A-Za-z0-9_-]+")
SES_MAX_BYTES = 500 * 1024
FULL_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def as_json(value: Any) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def readme(ctx: ExportContext, service: str, steps: list[str]) -> bytes:
    schedule = ctx.schedule
    lines = [
        f"{ctx.info.title}: export for {service}",
        "",
        f"{len(ctx.emails)} emails. Schedule: {schedule.mode}, {schedule.send_time:%H:%M} {schedule.time_zone}, "
        f"on {', '.join(day_names(schedule.send_days))}.",
        "",
        "To load it:",
        *[f"{n}. {step}" for n, step in enumerate(steps, start=1)],
        "",
        "Delays (days after the previous email / days after signup):",
        *[
            f"  {e.rendered.lesson.file_stem}: {e.slot.delay_days} / {e.rendered.lesson.email.day}  "
            f"{e.rendered.lesson.email.subject}"
            for e in ctx.emails
        ],
        "",
    ]
    return "\n".join(lines).encode("utf-8")


def html_files(ctx: ExportContext, dialect: d.Dialect, folder: str = "html") -> dict[str, bytes]:
    return {f"{folder}/{e.rendered.lesson.file_stem}.html": ctx.html(e, dialect).encode("utf-8") for e in ctx.emails}


def ses_name(ctx: ExportContext, stem: str) -> str:
    return SES_NAME.sub("-", f"{ctx.campaign}-{stem}")[:64]


def ses(ctx: ExportContext) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for email in ctx.emails:
        stem = email.rendered.lesson.file_stem
        name = ses_name(ctx, stem)
        subject = email.rendered.lesson.email.subject
        html, text = ctx.html(email, d.SES), ctx.text(email, d.SES)
        size = len(html.encode()) + len(text.encode()) + len(subject.encode())
        if size > SES_MAX_BYTES:
            raise DripcourseError(
                Problem(None, f"{stem}: {size:,} bytes; SES templates may be at most {SES_MAX_BYTES:,}")
            )
        files[f"v2/{name}.json"] = as_json(
            {"TemplateName": name, "TemplateContent": {"Subject": subject, "Html": html, "Text": text}}
        )
        files[f"v1/{name}.json"] = as_json(
            {"Template": {"TemplateName": name, "SubjectPart": subject, "HtmlPart": html, "TextPart": text}}
        )
    files["README.txt"] = readme(
        ctx,
        "Amazon SES",
        [
            "For each file in v2/: aws sesv2 create-email-template --cli-input-json file://v2/NAME.json",
            "(or with the older API: aws ses create-template --cli-input-json file://v1/NAME.json).",
            "SES has no sequences and no send times: your sending code sends each template on its day, "
            "using the delays below or ../schedule.csv.",
            "{{amazonSESUnsubscribeUrl}} needs SES list management (a contact list with a topic).",
            "Pass first_name (and email) in the template data; an empty first_name shows the fallback.",
        ],
    )
    return files


def postmark_alias(ctx: ExportContext, stem: str) -> str:
    alias = re.sub(r"[^A-Za-z0-9._-]+", "-", f"{ctx.campaign}-{stem}")
    return alias if alias[:1].isalpha() else f"course-{alias}"


def postmark(ctx: ExportContext) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for email in ctx.emails:
        lesson = email.rendered.lesson
        alias = postmark_alias(ctx, lesson.file_stem)
        files[f"{alias}/content.html"] = ctx.html(email, d.POSTMARK).encode("utf-8")
        files[f"{alias}/content.txt"] = ctx.text(email, d.POSTMARK).encode("utf-8")
        files[f"{alias}/meta.json"] = as_json(
            {
                "Name": f"{ctx.info.title}: {lesson.email.subject}"[:100],
                "Alias": alias,
                "TemplateType": "Standard",
                "Subject": lesson.email.subject,
                "LayoutTemplate": None,
                "TestRenderModel": {"first_name": "Alex", "email": "alex@example.com"},
            }
        )
    files["README.txt"] = readme(
        ctx,
        "Postmark",
        [
            "Install postmark-cli (npm install -g postmark-cli) and set your server token.",
            "From this folder's parent: postmark templates push <this folder>",
            "Postmark has no sequences: send each template on its day from your own code or a workflow tool.",
            "Send with a message stream that has unsubscribe handling, so {{{ pm:unsubscribe }}} is filled.",
        ],
    )
    return files


def mailchimp(ctx: ExportContext) -> dict[str, bytes]:
    files = html_files(ctx, d.MAILCHIMP)
    for email in ctx.emails:
        stem = email.rendered.lesson.file_stem
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            info = zipfile.ZipInfo("index.html", date_time=(2026, 1, 1, 0, 0, 0))
            archive.writestr(info, ctx.html(email, d.MAILCHIMP))
        files[f"zip/{stem}.zip"] = buffer.getvalue()
    journey = ["position,slug,subject,preheader,delay_days_after_previous,day_after_signup"]
    for email in ctx.emails:
        spec = email.rendered.lesson.email
        journey.append(
            ",".join(
                [
                    str(spec.position),
                    spec.slug,
                    json.dumps(spec.subject),
                    json.dumps(spec.preheader),
                    str(email.slot.delay_days),
                    str(spec.day),
                ]
            )
        )
    files["journey.csv"] = ("\n".join(journey) + "\n").encode("utf-8")
    files["README.txt"] = readme(
        ctx,
        "Mailchimp",
        [
            "Content > Email templates > Create template > Code your own > Import zip: upload each file in zip/ "
            "(or paste the matching file from html/).",
            "Set the FNAME field's default value in your audience if you want one; the templates already fall back "
            "to the course's greeting when FNAME is empty.",
            "Automations > Customer Journey: start on 'Signs up', then add one 'Send email' step per template with "
            "the delays in journey.csv, sending at the time below.",
        ],
    )
    return files


def kit(ctx: ExportContext) -> dict[str, bytes]:
    days = [FULL_DAY_NAMES[n] for n in ctx.schedule.send_days]
    files = html_files(ctx, d.KIT)
    files["sequence.json"] = as_json(
        {
            "name": ctx.info.title,
            "send_hour": ctx.schedule.send_time.hour,
            "send_days": days,
            "time_zone": ctx.schedule.time_zone,
        }
    )
    for email in ctx.emails:
        spec = email.rendered.lesson.email
        files[f"emails/{email.rendered.lesson.file_stem}.json"] = as_json(
            {
                "subject": spec.subject,
                "preview_text": spec.preheader,
                "content": ctx.html(email, d.KIT),
                "delay_value": email.slot.delay_days,
                "delay_unit": "days",
                "send_days": days,
                "position": spec.position - 1,
                "published": False,
            }
        )
    files["README.txt"] = readme(
        ctx,
        "Kit (ConvertKit)",
        [
            "Create a sequence with the settings in sequence.json (send hour, days and time zone).",
            "POST each file in emails/ to /v4/sequences/{id}/emails, in order, or paste the HTML from html/.",
            "Kit counts each delay from the previous email; only the first email can be immediate.",
            "Emails are created unpublished: review them in Kit, then publish.",
        ],
    )
    return files


def mailerlite(ctx: ExportContext) -> dict[str, bytes]:
    files = html_files(ctx, d.MAILERLITE)
    files["automation.json"] = as_json(
        {
            "name": ctx.info.title,
            "trigger": "subscriber joins group",
            "steps": [
                {
                    "delay_days": e.slot.delay_days,
                    "send_time": f"{ctx.schedule.send_time:%H:%M}",
                    "email": {
                        "subject": e.rendered.lesson.email.subject,
                        "html": f"html/{e.rendered.lesson.file_stem}.html",
                    },
                }
                for e in ctx.emails
            ],
        }
    )
    files["README.txt"] = readme(
        ctx,
        "MailerLite",
        [
            "Automations > Create workflow, triggered when a subscriber joins your course group.",
            "For each step in automation.json add a Delay step, then an Email step using the custom HTML editor, "
            "and paste the matching file from html/.",
        ],
    )
    return files


def json_per_email(
    ctx: ExportContext, folder: str, payload: Callable[[BuiltEmail], dict[str, Any]]
) -> dict[str, bytes]:
    """One JSON payload file per email, named after the email's output files."""
    return {f"{folder}/{e.rendered.lesson.file_stem}.json": as_json(payload(e)) for e in ctx.emails}


def brevo(ctx: ExportContext) -> dict[str, bytes]:
    def payload(email: BuiltEmail) -> dict[str, Any]:
        subject = email.rendered.lesson.email.subject
        return {
            "templateName": f"{ctx.info.title}: {subject}",
            "subject": subject,
            "sender": {"name": ctx.info.sender.name, "email": ctx.info.sender.email},
            "replyTo": ctx.info.reply_to or ctx.info.sender.email,
            "htmlContent": ctx.html(email, d.BREVO),
            "isActive": True,
        }

    files = json_per_email(ctx, "templates", payload)
    files["README.txt"] = readme(
        ctx,
        "Brevo",
        [
            "POST each file in templates/ to /v3/smtp/templates with your API key.",
            "Automations > Create a workflow triggered by 'Contact added to list', with a Wait step and a "
            "Send an email step per template, using the delays below.",
        ],
    )
    return files


def sendgrid(ctx: ExportContext) -> dict[str, bytes]:
    def payload(email: BuiltEmail) -> dict[str, Any]:
        spec = email.rendered.lesson.email
        return {
            "template": {"name": f"{ctx.campaign}-{email.rendered.lesson.file_stem}", "generation": "dynamic"},
            "version": {
                "name": spec.slug,
                "subject": spec.subject,
                "html_content": ctx.html(email, d.SENDGRID),
                "plain_content": ctx.text(email, d.SENDGRID),
                "active": 1,
            },
        }

    files = json_per_email(ctx, "templates", payload)
    files["README.txt"] = readme(
        ctx,
        "SendGrid",
        [
            "For each file in templates/: POST its 'template' to /v3/templates, then its 'version' to "
            "/v3/templates/{template_id}/versions.",
            "Send with dynamic_template_data {first_name, email}; send_at may be at most 72 hours ahead, so schedule "
            "each day's send from your own code.",
        ],
    )
    return files


def mailgun(ctx: ExportContext) -> dict[str, bytes]:
    def payload(email: BuiltEmail) -> dict[str, Any]:
        return {
            "name": f"{ctx.campaign}-{email.rendered.lesson.file_stem}".lower(),
            "description": email.rendered.lesson.email.subject,
            "template": ctx.html(email, d.MAILGUN),
            "engine": "handlebars",
            "tag": "initial",
        }

    files = json_per_email(ctx, "templates", payload)
    files["README.txt"] = readme(
        ctx,
        "Mailgun",
        [
            "POST each file in templates/ to /v3/{your domain}/templates (form fields name, description, template, "
            "engine, tag).",
            'Send with t:variables {"first_name": ...}; o:deliverytime reaches 3 to 7 days ahead depending on plan.',
        ],
    )
    return files


LISTMONK_TEMPLATE = '{{ template "content" . }}\n'


def listmonk(ctx: ExportContext) -> dict[str, bytes]:
    files: dict[str, bytes] = {
        "template.json": as_json(
            {"name": f"{ctx.info.title} (dripcourse)", "type": "campaign", "body": LISTMONK_TEMPLATE}
        ),
    }
    cohort = ctx.schedule.mode == "cohort"
    for email in ctx.emails:
        spec = email.rendered.lesson.email
        campaign: dict[str, Any] = {
            "name": f"{ctx.info.title} {email.rendered.lesson.file_stem}",
            "subject": spec.subject,
            "lists": [],
            "from_email": f"{ctx.info.sender.name} <{ctx.info.sender.email}>",
            "content_type": "html",
            "body": ctx.html(email, d.LISTMONK),
            "altbody": ctx.text(email, d.LISTMONK),
            "template_id": None,
        }
        if cohort:
            campaign["send_at"] = f"{email.slot.utc:%Y-%m-%dT%H:%M:%SZ}"
        files[f"campaigns/{email.rendered.lesson.file_stem}.json"] = as_json(campaign)
    files["README.txt"] = readme(
        ctx,
        "listmonk",
        [
            "POST template.json to /api/templates and note its id.",
            "For each file in campaigns/: set template_id and your list ids, then POST it to /api/campaigns.",
            "listmonk has no drip sequences, so a course goes in as one scheduled campaign per email for a cohort"
            + (
                " (send_at is set from the cohort start date)."
                if cohort
                else "; this course is evergreen, so the campaigns carry no send_at: set schedule.mode to "
                "cohort with a start_date and export again, or send them by hand."
            ),
        ],
    )
    return files


def buttondown(ctx: ExportContext) -> dict[str, bytes]:
    if len(ctx.emails) > 25:
        raise DripcourseError(
            Problem(None, f"Buttondown automations hold at most 25 actions; the course has {len(ctx.emails)} emails")
        )
    time_of_day = "morning" if ctx.schedule.send_time.hour < 12 else "evening"
    actions = []
    for email in ctx.emails:
        spec = email.rendered.lesson.email
        timing: dict[str, Any] = (
            {"time": "immediate"}
            if spec.day == 0
            else {"time": "delay", "delay": {"value": spec.day, "unit": "days", "time_of_day": time_of_day}}
        )
        actions.append(
            {
                "type": "send_email",
                "timing": timing,
                "email": {"subject": spec.subject, "body": ctx.html(email, d.BUTTONDOWN)},
            }
        )
    files = {
        "automation.json": as_json({"name": ctx.info.title, "trigger": "subscriber.confirmed", "actions": actions})
    }
    files["README.txt"] = readme(
        ctx,
        "Buttondown",
        [
            "POST automation.json to /v1/automations (or build it in Automations with the same steps).",
            "Buttondown counts every delay from the trigger (the signup), not from the previous email.",
        ],
    )
    return files


def eml(ctx: ExportContext) -> dict[str, bytes]:
    files = {f"{e.rendered.lesson.file_stem}.eml": e.eml for e in ctx.emails}
    files["course.mbox"] = mbox([(e.eml, e.slot.local) for e in ctx.emails])
    files["README.txt"] = readme(
        ctx,
        "any mail client or server",
        [
            "Each .eml is a complete message (CRLF line ends) in the preview form: merge tags show their fallbacks.",
            "Open one in a mail client, or import course.mbox, to see the whole sequence as an inbox would.",
        ],
    )
    return files


TARGETS: dict[str, Target] = {
    "ses": ses,
    "postmark": postmark,
    "mailchimp": mailchimp,
    "kit": kit,
    "mailerlite": mailerlite,
    "brevo": brevo,
    "sendgrid": sendgrid,
    "mailgun": mailgun,
    "listmonk": listmonk,
    "buttondown": buttondown,
    "eml": eml,
}
