"""The export targets, one declarative description per mailing service (read by `exports.writer`).

Each request body follows the service's current API reference (linked in `docs`); docs/exports.md says for
every target what it produces, which calls or screens load it and what stays to do by hand.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from typing import Any

from dripcourse.csvcells import csv_bytes
from dripcourse.exports import dialects as d
from dripcourse.exports.model import Course, Limit, NameRule, Piece, Request, Target
from dripcourse.headers import sender_field
from dripcourse.jsonfile import json_bytes
from dripcourse.schedule import day_names

FULL_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
EVERY_DAY = tuple(range(7))


def send_window(course: Course) -> str:
    schedule = course.schedule
    days = "every day" if schedule.send_days == EVERY_DAY else ", ".join(day_names(schedule.send_days))
    return f"{schedule.send_time:%H:%M} {schedule.time_zone}, {days}"


def no_sequences(via: str) -> Callable[[Course], list[str]]:
    """The window note of a service without sequences, which `dripcourse send --via` can drive."""

    def notes(course: Course) -> list[str]:
        return [
            f"{course.info.title} has no sequence here: your sending code sends each template on its day, in the "
            f"send window {send_window(course)}. `dripcourse schedule --subscribers subs.csv` writes when each "
            "subscriber gets each email, in the same semantics as schedule.csv in the build folder: a lesson that "
            "falls on a blocked day moves to the next allowed day and pushes the lessons after it.",
            f"Or let dripcourse be that sending code: `dripcourse send --via {via} --subscribers subs.csv` (run "
            "it every few minutes, or with --watch) sends each subscriber each lesson when it is due, through "
            f"{SERVICE_NAMES[via]}, and records every send in a ledger; it renders the emails from the course "
            "folder itself and does not need these templates.",
        ]

    return notes


SERVICE_NAMES = {"ses": "Amazon SES", "postmark": "Postmark", "sendgrid": "SendGrid", "mailgun": "Mailgun"}


def html_files(course: Course, dialect: d.Dialect, folder: str = "html") -> dict[str, bytes]:
    return {f"{folder}/{p.stem}.html": p.html(dialect).encode("utf-8") for p in course.pieces}


# Amazon SES -------------------------------------------------------------------------------------------------
SES_NAMES = NameRule("https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_CreateEmailTemplate.html", 64)


def ses_v2(piece: Piece, course: Course) -> dict[str, Any]:
    return {
        "TemplateName": piece.name,
        "TemplateContent": {
            "Subject": piece.subject(d.SES),
            "Html": piece.html(d.SES),
            "Text": piece.text(d.SES),
        },
    }


def ses_v1(piece: Piece, course: Course) -> dict[str, Any]:
    return {
        "Template": {
            "TemplateName": piece.name,
            "SubjectPart": piece.subject(d.SES_OWN_LINK),
            "HtmlPart": piece.html(d.SES_OWN_LINK),
            "TextPart": piece.text(d.SES_OWN_LINK),
        }
    }


SES = Target(
    "ses",
    "Amazon SES",
    d.SES,
    "https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_CreateEmailTemplate.html",
    "none",
    names=SES_NAMES,
    per_email=(
        Request(
            "template", "POST", "/v2/email/templates", "v2/{name}.json", ses_v2, operation="sesv2.CreateEmailTemplate"
        ),
        Request(
            "template-own-link",
            "POST",
            "/",
            "v1/{name}.json",
            ses_v1,
            encoding="sdk",
            operation="ses.CreateTemplate",
            alternative_to="template",
        ),
    ),
    limits=(
        Limit(
            "template",
            ("/TemplateContent/Subject", "/TemplateContent/Html", "/TemplateContent/Text"),
            500 * 1024,
            "bytes",
            "the template",
            "https://docs.aws.amazon.com/ses/latest/dg/quotas.html",
        ),
    ),
    steps=lambda course: [
        "Load ONE of the two folders (they hold the same templates under the same names):",
        "v2/ for SES v2 SendEmail with ListManagementOptions (a contact list and topic): its unsubscribe link is "
        "{{amazonSESUnsubscribeUrl}}, which SES fills only in such sends. For each file: "
        "aws sesv2 create-email-template --cli-input-json file://v2/NAME.json",
        "v1/ for every other send (SES v1 SendTemplatedEmail, v2 SendBulkEmail, which has no list management, or "
        "v2 SendEmail without ListManagementOptions): its link is {{unsubscribe_url}}, which you pass in the "
        "template data with your own unsubscribe URL. For each file: "
        "aws ses create-template --cli-input-json file://v1/NAME.json",
        "A variable missing from the template data makes SES drop the message (a RenderingFailure event, no "
        "error to the sender): always pass first_name (empty for the fallback) and email, and unsubscribe_url "
        "with v1/.",
    ],
    window=no_sequences("ses"),
)

# Postmark ---------------------------------------------------------------------------------------------------
POSTMARK_NAMES = NameRule(
    "https://postmarkapp.com/developer/api/templates-api#create-template",
    100,
    r"[^A-Za-z0-9._-]+",
    first=r"[A-Za-z]",
)
TEST_MODEL = {"first_name": "Alex", "email": "alex@example.com"}


def postmark_template(piece: Piece, course: Course) -> dict[str, Any]:
    return {
        "Name": f"{course.info.title}: {piece.spec.subject}",
        "Alias": piece.name,
        "Subject": piece.subject(d.POSTMARK),
        "HtmlBody": piece.html(d.POSTMARK),
        "TextBody": piece.text(d.POSTMARK),
        "TemplateType": "Standard",
        "LayoutTemplate": None,
    }


def postmark_cli(course: Course) -> dict[str, bytes]:
    """The same templates as a `postmark templates push` folder."""
    files: dict[str, bytes] = {}
    for piece in course.pieces:
        body = postmark_template(piece, course)
        folder = f"postmark-cli/{piece.name}"
        files[f"{folder}/content.html"] = body["HtmlBody"].encode("utf-8")
        files[f"{folder}/content.txt"] = body["TextBody"].encode("utf-8")
        meta = {k: body[k] for k in ("Name", "Alias", "TemplateType", "Subject", "LayoutTemplate")}
        files[f"{folder}/meta.json"] = json_bytes({**meta, "TestRenderModel": TEST_MODEL})
    return files


POSTMARK = Target(
    "postmark",
    "Postmark",
    d.POSTMARK,
    "https://postmarkapp.com/developer/api/templates-api#create-template",
    "none",
    names=POSTMARK_NAMES,
    per_email=(Request("template", "POST", "/templates", "templates/{name}.json", postmark_template),),
    files=postmark_cli,
    steps=lambda course: [
        "POST each file in templates/ to https://api.postmarkapp.com/templates with your server token "
        "(X-Postmark-Server-Token), or push postmark-cli/ with `postmark templates push postmark-cli`.",
        "Send with TemplateAlias and a TemplateModel of first_name (empty for the fallback) and email, through a "
        "message stream with unsubscribe handling, so {{{ pm:unsubscribe }}} is filled.",
    ],
    window=no_sequences("postmark"),
)

# Mailchimp --------------------------------------------------------------------------------------------------


def mailchimp_files(course: Course) -> dict[str, bytes]:
    files = html_files(course, d.MAILCHIMP)
    for piece in course.pieces:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(zipfile.ZipInfo("index.html", date_time=(2026, 1, 1, 0, 0, 0)), piece.html(d.MAILCHIMP))
        files[f"zip/{piece.stem}.zip"] = buffer.getvalue()
    return {**files, **journey_files(course, d.MAILCHIMP, "journey.csv")}


def journey_files(course: Course, dialect: d.Dialect, name: str) -> dict[str, bytes]:
    """The steps to build by hand: a CSV of the waits for a spreadsheet, and emails.json with each subject and
    preheader exactly as written to paste into the service. Subjects are kept out of the CSV, where the formula
    guard would put an apostrophe before one starting with "=", "+", "-" or "@"."""
    columns = ("position", "slug", "template", "wait_days_after_previous", "day_after_signup")
    rows = [[p.spec.position, p.spec.slug, p.name, p.delay_days, p.spec.day] for p in course.pieces]
    emails = [
        {
            "position": p.spec.position,
            "slug": p.spec.slug,
            "template": p.name,
            "html": f"html/{p.stem}.html",
            "subject": p.subject(dialect),
            "preheader": p.preheader(dialect),
            "wait_days_after_previous": p.delay_days,
            "day_after_signup": p.spec.day,
        }
        for p in course.pieces
    ]
    return {name: csv_bytes(columns, rows, bom=True), "emails.json": json_bytes(emails)}


def manual_window(service: str) -> Any:
    def notes(course: Course) -> list[str]:
        return [
            f"Set each email's send time and days in {service} by hand: {send_window(course)}. Each wait counts "
            "from the email before it, so a lesson held back by a blocked day pushes the ones after it, as in "
            "schedule.csv."
        ]

    return notes


MAILCHIMP = Target(
    "mailchimp",
    "Mailchimp",
    d.MAILCHIMP,
    "https://mailchimp.com/developer/marketing/api/templates/add-template/",
    "previous",
    names=NameRule("https://mailchimp.com/developer/marketing/api/templates/add-template/", None, ""),
    per_email=(
        Request(
            "template",
            "POST",
            "/3.0/templates",
            "templates/{stem}.json",
            lambda p, c: {"name": p.name, "html": p.html(d.MAILCHIMP)},
        ),
    ),
    files=mailchimp_files,
    steps=lambda course: [
        "POST each file in templates/ to https://<dc>.api.mailchimp.com/3.0/templates, or in Content > Email "
        "templates > Create template > Code your own, import the matching ZIP from zip/ (or paste html/).",
        "Automations > Customer Journey: start on 'Signs up', then one 'Time delay' and one 'Send email' step per "
        "template, with the waits in journey.csv; paste each email's subject and preheader from emails.json.",
        "The templates fall back to the course's greeting when FNAME is empty, and carry *|UNSUB|* and "
        "*|HTML:LIST_ADDRESS_HTML|* (your audience's postal address).",
    ],
    window=manual_window("Mailchimp's journey"),
)

# Kit --------------------------------------------------------------------------------------------------------


def kit_days(course: Course) -> list[str]:
    return [FULL_DAY_NAMES[n] for n in course.schedule.send_days]


def kit_sequence(course: Course) -> dict[str, Any]:
    return {
        "name": course.info.title,
        "send_days": kit_days(course),
        "send_hour": course.schedule.send_time.hour,
        "time_zone": course.schedule.time_zone,
        "active": False,
    }


def kit_email(piece: Piece, course: Course) -> dict[str, Any]:
    return {
        "subject": piece.subject(d.KIT),
        "preview_text": piece.preheader(d.KIT),
        "content": piece.html(d.KIT),
        "delay_value": piece.delay_days,
        "delay_unit": "days",
        "position": piece.spec.position - 1,
        "published": False,
    }


def kit_window(course: Course) -> list[str]:
    notes = []
    if course.schedule.send_time.minute:
        notes.append(
            f"Kit sends on the hour: the sequence sends at {course.schedule.send_time:%H}:00, not "
            f"{course.schedule.send_time:%H:%M}."
        )
    if course.schedule.mode == "cohort":
        notes.append(
            "A Kit sequence starts per subscriber; for a cohort, add everyone on the start date "
            f"({course.schedule.start_date}) or send broadcasts on the dates in schedule.csv."
        )
    else:
        notes.append(
            f"A Kit sequence has one time zone ({course.schedule.time_zone}): Kit sends every subscriber at its send "
            "hour there. The per-subscriber plan (`dripcourse schedule --subscribers`) and `dripcourse send` use "
            "each subscriber's own zone, so for a subscriber elsewhere Kit's sends come at another local hour than "
            "the plan shows, shifted by the difference between the two zones."
        )
    return notes


KIT = Target(
    "kit",
    "Kit (ConvertKit)",
    d.KIT,
    "https://developers.kit.com/api-reference/sequence-emails/create-a-sequence-email",
    "previous",
    # A sequence email has no name, and Kit's reference sets no rule on subjects: two emails may share one. The
    # manifest names each by its file stem.
    before=(Request("sequence", "POST", "/v4/sequences", "sequence.json", kit_sequence),),
    per_email=(Request("email", "POST", "/v4/sequences/{course.sequence.id}/emails", "emails/{stem}.json", kit_email),),
    files=lambda course: html_files(course, d.KIT),
    steps=lambda course: [
        "POST sequence.json to https://api.kit.com/v4/sequences (X-Kit-Api-Key), then each file in emails/, in "
        "order, to /v4/sequences/{id}/emails. Or create the sequence by hand with the same send days, hour and "
        "time zone, and paste the HTML from html/.",
        "Kit counts each delay from the previous email, on the sequence's send days at its send hour; only the "
        "first email can be immediate. The emails are created unpublished: review them in Kit, then publish "
        "and activate the sequence.",
        "Kit wraps content in the sequence's email template: choose one that adds nothing around the course's "
        "own layout (a custom HTML template holding only {{ message_content }}, with its unsubscribe link), or "
        "the emails show Kit's frame inside.",
    ],
    window=kit_window,
)

# MailerLite -------------------------------------------------------------------------------------------------


MAILERLITE = Target(
    "mailerlite",
    "MailerLite",
    d.MAILERLITE,
    "https://developers.mailerlite.com/docs/",
    "previous",
    names=NameRule("https://developers.mailerlite.com/docs/", None, ""),
    files=lambda course: {**html_files(course, d.MAILERLITE), **journey_files(course, d.MAILERLITE, "workflow.csv")},
    steps=lambda course: [
        "MailerLite's API creates no automations or templates: Automations > Create workflow, triggered when a "
        "subscriber joins your course group.",
        "For each row of workflow.csv add a Delay step (the wait), then an Email step with the custom HTML "
        "editor, pasting the matching file from html/ and the subject and preheader from emails.json.",
    ],
    window=manual_window("MailerLite's workflow"),
    push=False,
)

# Brevo ------------------------------------------------------------------------------------------------------


def brevo_template(piece: Piece, course: Course) -> dict[str, Any]:
    info = course.info
    return {
        "templateName": piece.name,
        "subject": piece.subject(d.BREVO),
        "sender": {"name": info.sender.name, "email": info.sender.email},
        "replyTo": info.reply_to or info.sender.email,
        "htmlContent": piece.html(d.BREVO),
        "isActive": True,
    }


BREVO = Target(
    "brevo",
    "Brevo",
    d.BREVO,
    "https://developers.brevo.com/reference/createsmtptemplate",
    "previous",
    name_of=lambda course, spec, stem: f"{course.info.title}: {stem}",
    names=NameRule("https://developers.brevo.com/reference/createsmtptemplate", None, ""),
    per_email=(Request("template", "POST", "/v3/smtp/templates", "templates/{stem}.json", brevo_template),),
    steps=lambda course: [
        "POST each file in templates/ to https://api.brevo.com/v3/smtp/templates (api-key header).",
        "Automations > Create a workflow triggered by 'Contact added to list', with a Wait step and a 'Send an "
        "email' step per template, using the delays below.",
    ],
    window=manual_window("Brevo's workflow"),
)

# SendGrid ---------------------------------------------------------------------------------------------------
SENDGRID_NAMES = NameRule("https://www.twilio.com/docs/sendgrid/api-reference/transactional-templates", 100)


def sendgrid_version(piece: Piece, course: Course) -> dict[str, Any]:
    return {
        "name": piece.spec.slug,
        "subject": piece.subject(d.SENDGRID),
        "html_content": piece.html(d.SENDGRID),
        "plain_content": piece.text(d.SENDGRID),
        "generate_plain_content": False,
        "active": 1,
    }


SENDGRID_SOURCE = "https://github.com/twilio/sendgrid-oai/blob/main/spec/json/tsg_templates_v3.json"
SENDGRID = Target(
    "sendgrid",
    "SendGrid",
    d.SENDGRID,
    "https://www.twilio.com/docs/sendgrid/api-reference/transactional-templates-versions/create-a-new-transactional-template-version",
    "none",
    names=SENDGRID_NAMES,
    per_email=(
        Request(
            "template",
            "POST",
            "/v3/templates",
            "templates/{stem}.template.json",
            lambda p, c: {"name": p.name, "generation": "dynamic"},
        ),
        Request(
            "version",
            "POST",
            "/v3/templates/{this.template.id}/versions",
            "templates/{stem}.version.json",
            sendgrid_version,
        ),
    ),
    limits=(
        Limit("template", ("/name",), 100, "characters", "the template name", SENDGRID_SOURCE),
        Limit("version", ("/name",), 100, "characters", "the version name", SENDGRID_SOURCE),
        Limit("version", ("/subject",), 255, "characters", "the subject", SENDGRID_SOURCE),
        Limit("version", ("/html_content",), 1048576, "bytes", "the HTML", SENDGRID_SOURCE),
        Limit("version", ("/plain_content",), 1048576, "bytes", "the text part", SENDGRID_SOURCE),
    ),
    steps=lambda course: [
        "For each email: POST templates/NAME.template.json to https://api.sendgrid.com/v3/templates, then "
        "templates/NAME.version.json to /v3/templates/{template_id}/versions.",
        "Send with template_id and dynamic_template_data {first_name, email}. {{{unsubscribe}}} is filled only "
        "when the send names an unsubscribe group: pass asm.group_id (Suppressions > Unsubscribe Groups).",
        "The versions set generate_plain_content to false, so SendGrid keeps the course's own text part.",
    ],
    window=lambda course: [
        *no_sequences("sendgrid")(course),
        "SendGrid's send_at reaches at most 72 hours ahead, so schedule each day's sends from your own code.",
    ],
)

# Mailgun ----------------------------------------------------------------------------------------------------


def mailgun_template(piece: Piece, course: Course) -> dict[str, Any]:
    info = course.info
    headers = {"Subject": piece.subject(d.MAILGUN), "From": sender_field(info.sender.name, info.sender.email)}
    if info.reply_to:
        headers["Reply-To"] = info.reply_to
    return {
        "name": piece.name,
        "description": piece.spec.subject,
        "template": piece.html(d.MAILGUN),
        "tag": "initial",
        "comment": "dripcourse export",
        "headers": json.dumps(headers, ensure_ascii=False),
    }


MAILGUN = Target(
    "mailgun",
    "Mailgun",
    d.MAILGUN,
    "https://documentation.mailgun.com/docs/mailgun/api-reference/send/mailgun/templates",
    "none",
    names=NameRule(
        "https://documentation.mailgun.com/docs/mailgun/api-reference/send/mailgun/templates",
        None,
        r"[^A-Za-z0-9._-]+",
        lower=True,
    ),
    per_email=(
        Request(
            "template",
            "POST",
            "/v3/{input:domain}/templates",
            "templates/{stem}.json",
            mailgun_template,
            encoding="form",
        ),
    ),
    files=lambda course: {f"text/{p.stem}.txt": p.text(d.MAILGUN).encode("utf-8") for p in course.pieces},
    steps=lambda course: [
        "POST each file in templates/ as form fields to https://api.mailgun.net/v3/YOUR_DOMAIN/templates. The "
        "template stores its Subject and From as headers.",
        'Send with template=NAME and t:variables {"first_name": ..., "email": ...}.',
        "A Mailgun template holds no plain-text part: send the matching text/NAME.txt (rendered with the same "
        "variables) as the message's text, or pass t:text=yes to have Mailgun make one from the HTML.",
    ],
    window=lambda course: [
        *no_sequences("mailgun")(course),
        "Mailgun's o:deliverytime reaches 3 to 7 days ahead depending on the plan.",
    ],
)

# listmonk ---------------------------------------------------------------------------------------------------
LISTMONK_LAYOUT = '{{ template "content" . }}\n'


def listmonk_campaign(piece: Piece, course: Course) -> dict[str, Any]:
    info = course.info
    campaign: dict[str, Any] = {
        "name": piece.name,
        "subject": piece.subject(d.LISTMONK),
        "lists": [],
        "from_email": sender_field(info.sender.name, info.sender.email),
        "type": "regular",
        "content_type": "html",
        "body": piece.html(d.LISTMONK),
        "altbody": piece.text(d.LISTMONK),
        "template_id": None,
        "messenger": "email",
    }
    if course.schedule.mode == "cohort":
        campaign["send_at"] = f"{piece.utc:%Y-%m-%dT%H:%M:%SZ}"
    return campaign


def listmonk_requests() -> tuple[Request, ...]:
    create = Request(
        "campaign",
        "POST",
        "/api/campaigns",
        "campaigns/{stem}.json",
        listmonk_campaign,
        fill=(("/template_id", "course.template.id"), ("/lists", "input:list_ids")),
    )
    schedule = Request(
        "status",
        "PUT",
        "/api/campaigns/{this.campaign.id}/status",
        "campaigns/{stem}.status.json",
        lambda p, c: {"status": "scheduled"},
        when=lambda course: course.schedule.mode == "cohort",
    )
    return create, schedule


def listmonk_window(course: Course) -> list[str]:
    if course.schedule.mode == "cohort":
        return [
            "Each campaign carries send_at from the cohort's dates; listmonk sends it only after its status is "
            "changed to scheduled (campaigns/NAME.status.json), and refuses a send_at in the past."
        ]
    return [
        "listmonk has no drip sequences and this course is evergreen: the campaigns carry no send_at. A campaign "
        "goes to every subscriber of its lists at once, so campaigns cannot give each subscriber Day 1 on their "
        "own day. Either set schedule.mode to cohort with a start_date and export again (everyone starts "
        "together), or send the course with `dripcourse send --via listmonk`, which sends each subscriber each "
        'lesson when it is due through listmonk\'s transactional API (README, "A complete drip with listmonk") '
        "and needs none of these campaigns."
    ]


LISTMONK = Target(
    "listmonk",
    "listmonk",
    d.LISTMONK,
    "https://listmonk.app/docs/apis/campaigns/",
    "absolute",
    names=NameRule("https://listmonk.app/docs/apis/campaigns/", 2000, ""),
    name_of=lambda course, spec, stem: f"{course.info.title} {stem}",
    before=(
        Request(
            "template",
            "POST",
            "/api/templates",
            "template.json",
            lambda c: {"name": f"{c.info.title} (dripcourse)", "type": "campaign", "body": LISTMONK_LAYOUT},
        ),
    ),
    per_email=listmonk_requests(),
    limits=(
        Limit(
            "campaign",
            ("/name",),
            2000,
            "characters",
            "the campaign name",
            "https://github.com/knadh/listmonk/blob/master/cmd/campaigns.go",
        ),
        Limit(
            "campaign",
            ("/subject",),
            5000,
            "characters",
            "the subject",
            "https://github.com/knadh/listmonk/blob/master/cmd/campaigns.go",
        ),
    ),
    steps=lambda course: [
        "POST template.json to /api/templates and note its id.",
        "For each file in campaigns/ (not the .status.json ones): set template_id and your list ids, then POST "
        "it to /api/campaigns."
        + (
            " Then PUT the matching .status.json to /api/campaigns/{id}/status."
            if course.schedule.mode == "cohort"
            else ""
        ),
        "The body keeps Outlook's conditional comments through listmonk's Safe function (Go's html/template "
        "would strip them).",
    ],
    window=listmonk_window,
)

# Buttondown -------------------------------------------------------------------------------------------------
BUTTONDOWN_SOURCE = "https://github.com/buttondown/docs/blob/main/public/openapi.json"
BUTTONDOWN_NAMES = NameRule(BUTTONDOWN_SOURCE, 100, "")


def buttondown_email(piece: Piece, course: Course) -> dict[str, Any]:
    return {
        "subject": piece.subject(d.BUTTONDOWN),
        "body": piece.html(d.BUTTONDOWN),
        "status": "draft",
        "slug": piece.name,
        "description": piece.preheader(d.BUTTONDOWN),
        "archival_mode": "disabled",
        "template": "naked",
    }


def buttondown_automation(course: Course) -> dict[str, Any]:
    time_of_day = "morning" if course.schedule.send_time.hour < 12 else "evening"
    actions = []
    for piece in course.pieces:
        immediate = piece.spec.day == 0 and course.schedule.mode == "evergreen"
        timing: dict[str, Any] = (
            {"time": "immediate", "delay": None}
            if immediate
            else {"time": "delay", "delay": {"value": str(piece.spec.day), "unit": "days", "time_of_day": time_of_day}}
        )
        actions.append({"type": "send_email", "metadata": {"email_id": None}, "timing": timing})
    return {
        "name": BUTTONDOWN_NAMES.make(course.info.title),
        "trigger": "subscriber.confirmed",
        "actions": actions,
    }


def buttondown_window(course: Course) -> list[str]:
    notes = [
        f"Buttondown counts every delay from the signup and sends in the '{buttondown_time(course)}' slot of "
        f"your newsletter's time zone, not at {course.schedule.send_time:%H:%M} {course.schedule.time_zone}."
    ]
    if course.schedule.send_days != EVERY_DAY:
        notes.append(
            "Buttondown cannot hold lessons back on blocked weekdays: with send_days "
            f"{', '.join(day_names(course.schedule.send_days))} its sends will not match schedule.csv. Send "
            "every day, or send the lessons yourself from the per-subscriber plan."
        )
    return notes


def buttondown_time(course: Course) -> str:
    return "morning" if course.schedule.send_time.hour < 12 else "evening"


BUTTONDOWN = Target(
    "buttondown",
    "Buttondown",
    d.BUTTONDOWN,
    "https://docs.buttondown.com/api-emails-create",
    "signup",
    names=NameRule(BUTTONDOWN_SOURCE, 100, r"[^A-Za-z0-9_-]+"),
    per_email=(Request("email", "POST", "/v1/emails", "emails/{stem}.json", buttondown_email),),
    after=(Request("automation", "POST", "/v1/automations", "automation.json", buttondown_automation),),
    max_emails=25,
    limits=(
        Limit("email", ("/subject",), 2000, "characters", "the subject", BUTTONDOWN_SOURCE),
        Limit("automation", ("/name",), 100, "characters", "the automation name", BUTTONDOWN_SOURCE),
    ),
    steps=lambda course: [
        "POST each file in emails/ to https://api.buttondown.com/v1/emails (Authorization: Token ...): each is "
        "created as a draft and not sent. Note each email's id.",
        "Put the ids into automation.json, action by action in email order (metadata.email_id), then POST it to "
        "/v1/automations. The automation is created inactive: review it, then turn it on.",
        "The emails use the 'naked' template (the course's own layout, a paid Buttondown feature); "
        "{{ unsubscribe_url }} is in every footer, as Buttondown requires.",
    ],
    window=buttondown_window,
)

# .eml -------------------------------------------------------------------------------------------------------
EML = Target(
    "eml",
    "any mail client or server",
    None,
    "https://www.rfc-editor.org/rfc/rfc5322",
    "none",
    steps=lambda course: [
        "Each .eml is a complete message (CRLF line ends) in the preview form: merge tags show their fallbacks.",
        "Open one in a mail client, or import course.mbox, to see the whole sequence as an inbox would.",
    ],
    push=False,
)


TARGETS: dict[str, Target] = {
    t.name: t for t in (SES, POSTMARK, MAILCHIMP, KIT, MAILERLITE, BREVO, SENDGRID, MAILGUN, LISTMONK, BUTTONDOWN, EML)
}
