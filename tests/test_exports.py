"""Exports: each mailing service's folder, its payloads (one request body per file), names, limits and manifest.

The services' own engines render these payloads in tests/test_exports_engines.py; this file checks shapes,
names, limits and the manifest the push command reads.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import REPO
from dripcourse.cli import app
from dripcourse.errors import DripcourseError
from dripcourse.export import export
from dripcourse.exports.services import TARGETS

PREVIEW = date(2026, 3, 2)
# A tag only one dialect writes: none may appear in another service's export.
SIGNATURES = {
    "ses": "{{amazonSESUnsubscribeUrl}}",
    "postmark": "pm:unsubscribe",
    "mailchimp": "*|UNSUB|*",
    "kit": "subscriber.first_name",
    "mailerlite": "{$unsubscribe}",
    "brevo": "contact.FIRSTNAME",
    "sendgrid": "{{{unsubscribe}}}",
    "mailgun": "%unsubscribe_url%",
    "listmonk": ".Subscriber.",
    "buttondown": "subscriber.metadata",
    "eml": "Hi there,",
}


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, bytes]]:
    root = tmp_path_factory.mktemp("exports")
    return {name: export(name, REPO / "course", root / name, PREVIEW) for name in TARGETS}


def all_text(files: dict[str, bytes]) -> str:
    parts = []
    for name, data in files.items():
        if name.endswith(".zip"):
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                parts += [archive.read(n).decode() for n in archive.namelist()]
        else:
            parts.append(data.decode("utf-8", "replace"))
    return "\n".join(parts)


def test_every_target_is_listed_and_has_a_readme_and_manifest(exported: dict[str, dict[str, bytes]]) -> None:
    assert sorted(exported) == sorted(SIGNATURES)
    for name, files in exported.items():
        assert b"To load it:" in files["README.txt"], name
        manifest = json.loads(files["manifest.json"])
        assert manifest["format"] == "dripcourse-export/1" and manifest["target"] == name
        assert manifest["files"] == sorted(files), name


@pytest.mark.parametrize("target", sorted(SIGNATURES))
def test_target_writes_only_its_own_merge_tags(exported: dict[str, dict[str, bytes]], target: str) -> None:
    text = all_text(exported[target])
    assert SIGNATURES[target] in text
    foreign = {other: sig for other, sig in SIGNATURES.items() if other not in (target, "eml") and sig in text}
    assert foreign == {}
    assert not re.search(r"dcmt[0-9a-f]{16}t", text)


@pytest.mark.parametrize("target", sorted(set(SIGNATURES) - {"eml", "mailerlite"}))
def test_manifest_names_one_payload_file_per_request(exported: dict[str, dict[str, bytes]], target: str) -> None:
    files = exported[target]
    manifest = json.loads(files["manifest.json"])
    assert [e["position"] for e in manifest["emails"]] == list(range(1, 9))
    bodies = [r["body"] for e in manifest["emails"] for r in e["requests"]]
    bodies += [r["body"] for r in manifest["before"] + manifest["after"]]
    assert len(bodies) == len(set(bodies))
    for body in bodies:
        assert isinstance(json.loads(files[body]), dict), body
    names = [e["name"] for e in manifest["emails"]]
    assert len(set(names)) == 8


def test_manifest_of_kit_and_its_delays(exported: dict[str, dict[str, bytes]]) -> None:
    manifest = json.loads(exported["kit"]["manifest.json"])
    assert manifest["before"] == [
        {"key": "sequence", "method": "POST", "path": "/v4/sequences", "body": "sequence.json", "encoding": "json"}
    ]
    first, second = manifest["emails"][:2]
    assert first["requests"] == [
        {
            "key": "email",
            "method": "POST",
            "path": "/v4/sequences/{course.sequence.id}/emails",
            "body": "emails/01-welcome.json",
            "encoding": "json",
        }
    ]
    # The first email has no email before it: Kit counts its delay from entering the sequence (the signup).
    assert first["delay"] == {"value": 0, "unit": "days", "counted_from": "signup"}
    assert second["delay"] == {"value": 1, "unit": "days", "counted_from": "previous email"}
    assert manifest["schedule"]["delays"] == "previous"


def test_ses_payloads_validate_against_botocore(exported: dict[str, dict[str, bytes]]) -> None:
    import botocore.session
    from botocore.validate import ParamValidator

    session = botocore.session.get_session()
    v2 = session.get_service_model("sesv2").operation_model("CreateEmailTemplate").input_shape
    v1 = session.get_service_model("ses").operation_model("CreateTemplate").input_shape
    files = exported["ses"]
    v2_files = sorted(n for n in files if n.startswith("v2/"))
    assert len(v2_files) == 8
    for name in v2_files:
        payload = json.loads(files[name])
        report = ParamValidator().validate(payload, v2)
        assert not report.has_errors(), report.generate_report()
        assert re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", payload["TemplateName"])
        old = json.loads(files[name.replace("v2/", "v1/")])
        assert not ParamValidator().validate(old, v1).has_errors()
        # v1 sends have no list management: their unsubscribe link comes from the template data.
        assert "{{amazonSESUnsubscribeUrl}}" in payload["TemplateContent"]["Html"]
        assert "amazonSESUnsubscribeUrl" not in json.dumps(old)
        assert '<a class="footer-link" href="{{unsubscribe_url}}"' in old["Template"]["HtmlPart"]


def test_ses_manifest_requests_match_botocore_and_v1_is_the_alternative(exported: dict[str, dict[str, bytes]]) -> None:
    """v2 is REST-JSON, so its request is the HTTP call botocore makes; v1 is the Query protocol (form-encoded
    Action=CreateTemplate), so the manifest names only its SDK operation, as the other form of the same template."""
    import botocore.session

    session = botocore.session.get_session()
    v2 = session.get_service_model("sesv2")
    v1 = session.get_service_model("ses")
    assert (v2.protocol, v1.protocol) == ("rest-json", "query")
    create = v2.operation_model("CreateEmailTemplate").http
    for email in json.loads(exported["ses"]["manifest.json"])["emails"]:
        new, old = email["requests"]
        assert (new["method"], new["path"], new["encoding"]) == (create["method"], create["requestUri"], "json")
        assert new["operation"] == "sesv2.CreateEmailTemplate" and "alternative_to" not in new
        assert old["alternative_to"] == new["key"]
        assert old["encoding"] == "sdk" and "method" not in old and "path" not in old
        assert old["operation"] == "ses.CreateTemplate"
        assert v1.operation_model(old["operation"].split(".")[1]).input_shape.name == "CreateTemplateRequest"


def test_ses_readme_names_no_file_outside_the_folder(exported: dict[str, dict[str, bytes]]) -> None:
    readme = exported["ses"]["README.txt"].decode()
    assert "../" not in readme
    assert "SendBulkEmail, which has no list management" in readme


def test_sendgrid_keeps_the_text_part_and_writes_the_postal_address(exported: dict[str, dict[str, bytes]]) -> None:
    version = json.loads(exported["sendgrid"]["templates/01-welcome.version.json"])
    assert version["generate_plain_content"] is False
    assert "Sender_Address" not in json.dumps(version)
    assert "Example Coaching, 123 Example Street" in version["html_content"]
    assert "Example Coaching, 123 Example Street" in version["plain_content"]
    assert "asm.group_id" in exported["sendgrid"]["README.txt"].decode()


def test_mailgun_template_stores_subject_and_text(exported: dict[str, dict[str, bytes]]) -> None:
    template = json.loads(exported["mailgun"]["templates/01-welcome.json"])
    headers = json.loads(template["headers"])
    assert headers["Subject"] == "What his distance usually means"
    assert headers["From"] == "Claire Morgan <claire@example.com>"
    text = exported["mailgun"]["text/01-welcome.txt"].decode()
    assert "Hi {{#if first_name}}{{{first_name}}}{{else}}there{{/if}}," in text


def test_postmark_api_bodies_and_cli_folder(exported: dict[str, dict[str, bytes]]) -> None:
    files = exported["postmark"]
    bodies = sorted(n for n in files if n.startswith("templates/"))
    assert len(bodies) == 8
    for name in bodies:
        body = json.loads(files[name])
        assert set(body) == {"Name", "Alias", "Subject", "HtmlBody", "TextBody", "TemplateType", "LayoutTemplate"}
        assert re.fullmatch(r"[A-Za-z][A-Za-z0-9._-]*", body["Alias"])
        folder = f"postmark-cli/{body['Alias']}"
        assert files[f"{folder}/content.html"].decode() == body["HtmlBody"]
        assert json.loads(files[f"{folder}/meta.json"])["Alias"] == body["Alias"]


def test_listmonk_evergreen_has_no_send_at_and_quotes_the_sender(exported: dict[str, dict[str, bytes]]) -> None:
    template = json.loads(exported["listmonk"]["template.json"])
    assert template["type"] == "campaign" and template["body"].count('{{ template "content" . }}') == 1
    campaign = json.loads(exported["listmonk"]["campaigns/01-welcome.json"])
    assert "send_at" not in campaign and campaign["type"] == "regular"
    assert campaign["from_email"] == "Claire Morgan <claire@example.com>"
    assert "campaigns/01-welcome.status.json" not in exported["listmonk"]
    assert "cohort with a start_date" in exported["listmonk"]["README.txt"].decode()


def test_listmonk_cohort_is_scheduled_by_a_status_change(mini_course: Path, tmp_path: Path) -> None:
    syllabus = mini_course / "syllabus.yaml"
    syllabus.write_text(syllabus.read_text().replace("mode: evergreen", "mode: cohort\n  start_date: 2026-03-27"))
    files = export("listmonk", mini_course, tmp_path / "lm", PREVIEW)
    sends = [json.loads(files[f"campaigns/{n}.json"])["send_at"] for n in ("01-welcome", "02-water-matters")]
    assert sends == ["2026-03-27T07:30:00Z", "2026-03-30T06:30:00Z"]
    assert json.loads(files["campaigns/01-welcome.status.json"]) == {"status": "scheduled"}
    requests = json.loads(files["manifest.json"])["emails"][0]["requests"]
    assert [(r["method"], r["path"]) for r in requests] == [
        ("POST", "/api/campaigns"),
        ("PUT", "/api/campaigns/{01-welcome.campaign.id}/status"),
    ]
    assert requests[0]["fill"] == {"/template_id": "course.template.id", "/lists": "input:list_ids"}


def test_listmonk_sender_with_a_comma_stays_one_address(course_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from conftest import BASE_SYLLABUS

    course = course_factory(BASE_SYLLABUS.replace("name: Ada Rowe", 'name: "Rowe, Ada <ceo@bank.example>"'))
    files = export("listmonk", course, tmp_path / "lm", PREVIEW)
    sender = json.loads(files["campaigns/01-start.json"])["from_email"]
    assert sender == '"Rowe, Ada <ceo@bank.example>" <ada@quiet-mornings.example>'


def test_kit_sequence_and_email_payloads(exported: dict[str, dict[str, bytes]]) -> None:
    files = exported["kit"]
    assert json.loads(files["sequence.json"]) == {
        "name": "When He Pulls Away",
        "send_days": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"],
        "send_hour": 8,
        "time_zone": "America/New_York",
        "active": False,
    }
    first, second = (json.loads(files[n]) for n in sorted(n for n in files if n.startswith("emails/"))[:2])
    assert (first["delay_value"], first["position"], second["delay_value"], second["position"]) == (0, 0, 1, 1)
    assert first["delay_unit"] == "days" and first["published"] is False


def test_buttondown_emails_are_drafts_and_the_automation_refers_to_them(
    exported: dict[str, dict[str, bytes]],
) -> None:
    files = exported["buttondown"]
    email = json.loads(files["emails/01-welcome.json"])
    assert email["status"] == "draft" and email["subject"] == "What his distance usually means"
    automation = json.loads(files["automation.json"])
    assert set(automation) == {"name", "trigger", "actions"}
    assert automation["actions"][0] == {
        "type": "send_email",
        "metadata": {"email_id": None},
        "timing": {"time": "immediate", "delay": None},
    }
    assert automation["actions"][7]["timing"] == {
        "time": "delay",
        "delay": {"value": "7", "unit": "days", "time_of_day": "morning"},
    }
    after = json.loads(files["manifest.json"])["after"][0]
    assert after["fill"]["/actions/7/metadata/email_id"] == "08-decide-what-you-want.email.id"


def test_mailchimp_zip_and_journey_csv_parse_with_the_csv_module(exported: dict[str, dict[str, bytes]]) -> None:
    with zipfile.ZipFile(io.BytesIO(exported["mailchimp"]["zip/01-welcome.zip"])) as archive:
        assert archive.namelist() == ["index.html"]
        assert archive.read("index.html").startswith(b"<!DOCTYPE html>")
    journey = exported["mailchimp"]["journey.csv"]
    assert journey.startswith(b"\xef\xbb\xbf")  # the UTF-8 mark Excel needs to read the file as UTF-8
    rows = list(csv.DictReader(io.StringIO(journey.decode("utf-8-sig"))))
    assert len(rows) == 8 and next(iter(rows[0])) == "position"
    assert (rows[1]["wait_days_after_previous"], rows[1]["day_after_signup"]) == ("1", "1")
    emails = json.loads(exported["mailchimp"]["emails.json"])
    quoted = next(e for e in emails if "\u2019" in e["subject"] + e["preheader"] or "," in e["preheader"])
    assert "\\u" not in quoted["subject"] + quoted["preheader"]
    assert [e["template"] for e in emails] == [r["template"] for r in rows]


def test_export_runs_twice_into_the_same_folder(tmp_path: Path) -> None:
    for _ in range(2):
        result = CliRunner().invoke(app, ["export", "kit", str(REPO / "course"), "--out", str(tmp_path / "kit")])
        assert result.exit_code == 0, result.output
    assert (tmp_path / "kit" / "sequence.json").is_file()


def test_unknown_target(tmp_path: Path) -> None:
    bad = CliRunner().invoke(app, ["export", "mailchimps", str(REPO / "course")])
    assert bad.exit_code == 2
    assert bad.stderr.startswith("Error: unknown export target 'mailchimps' (did you mean 'mailchimp'?); choose one of")


LONG_TITLE = "Brewing better tea at home: a gentle course in leaves, water, timing and the small rituals that make a cup of tea matter"
NAME_LIMITS = {"ses": 64, "sendgrid": 100, "postmark": 100, "buttondown": 100}


@pytest.mark.parametrize("target", sorted(SIGNATURES))
def test_a_120_character_title_exports_every_email(course_factory, tmp_path: Path, target: str) -> None:  # type: ignore[no-untyped-def]
    from conftest import BASE_SYLLABUS

    title = LONG_TITLE
    assert len(title) == 120
    course = course_factory(BASE_SYLLABUS.replace("title: Quiet Mornings", f"title: '{title}'"))
    files = export(target, course, tmp_path / target, PREVIEW)
    manifest = json.loads(files["manifest.json"])
    assert [e["slug"] for e in manifest["emails"]] == ["start", "keep-going"]
    names = [e["name"] for e in manifest["emails"]]
    assert len(set(names)) == 2
    if target in NAME_LIMITS:
        assert all(len(n) <= NAME_LIMITS[target] for n in names), names
    bodies = [r["body"] for e in manifest["emails"] for r in e["requests"]]
    assert all(b in files for b in bodies)


def test_shortened_names_keep_a_stable_hash(course_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from conftest import BASE_SYLLABUS

    course = course_factory(BASE_SYLLABUS.replace("title: Quiet Mornings", f"title: '{LONG_TITLE}'"))
    names = [e["name"] for e in json.loads(export("ses", course, tmp_path / "a", PREVIEW)["manifest.json"])["emails"]]
    again = [e["name"] for e in json.loads(export("ses", course, tmp_path / "b", PREVIEW)["manifest.json"])["emails"]]
    assert names == again
    assert all(re.fullmatch(r"brewing-better-tea-at-home-a-gentle-course-in-leaves-wa-[0-9a-f]{8}", n) for n in names)
    assert len(set(names)) == 2 and all(len(n) == 64 for n in names)


def test_kit_takes_two_emails_with_one_subject(course_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Kit's reference for creating a sequence email (developers.kit.com, sequence-emails/create-a-sequence-email)
    requires subject, delay_value and delay_unit and sets no rule on subjects being unique."""
    from conftest import BASE_SYLLABUS

    course = course_factory(BASE_SYLLABUS.replace("subject: Keep going", "subject: Start small"))
    files = export("kit", course, tmp_path / "kit", PREVIEW)
    emails = [json.loads(files[n]) for n in sorted(files) if n.startswith("emails/")]
    assert [e["subject"] for e in emails] == ["Start small", "Start small"]
    manifest = json.loads(files["manifest.json"])
    assert [e["name"] for e in manifest["emails"]] == ["01-start", "02-keep-going"]


def test_a_template_over_the_ses_size_limit_is_refused(course_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from conftest import BASE_SOURCE

    big = BASE_SOURCE + "\n## Long {#long}\n\n" + ("A sentence of tea. " * 30000) + "\n"
    from conftest import BASE_SYLLABUS

    course = course_factory(
        BASE_SYLLABUS.replace("[habits#evening]", "[habits#evening, habits#long]"), {"habits.md": big}
    )
    with pytest.raises(DripcourseError) as caught:
        export("ses", course, tmp_path / "ses", PREVIEW)
    assert re.fullmatch(
        r"Amazon SES: 02-keep-going: the template is [0-9,]+ bytes; Amazon SES allows at most 512,000 "
        r"\(https://docs.aws.amazon.com/ses/latest/dg/quotas.html\)",
        str(caught.value),
    )


def test_buttondown_refuses_more_than_25_emails(course_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from conftest import BASE_SYLLABUS

    extra = "".join(
        f"  - day: {n}\n    slug: more-{n}\n    subject: More {n}\n    preheader: Another small step for the morning routine today.\n"
        f"    sections: [habits#evening]\n"
        for n in range(2, 26)
    )
    course = course_factory(BASE_SYLLABUS + extra)
    with pytest.raises(DripcourseError) as caught:
        export("buttondown", course, tmp_path / "bd", PREVIEW)
    assert str(caught.value) == "Buttondown takes at most 25 emails in one automation; the course has 26"


# Payloads against the services' published schemas (tests/engines/contracts.json) ----------------------------
CONTRACTS = json.loads((Path(__file__).parent / "engines" / "contracts.json").read_text())
EXAMPLE_IDS = {"input:list_ids": [3], "course.template.id": 7}


def validator(service: str, request: str):  # type: ignore[no-untyped-def]
    from jsonschema import Draft202012Validator

    contract = CONTRACTS[service]
    schema = {"$defs": contract.get("$defs", {}), **contract["requests"][request]}
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def filled(body: dict, fill: dict[str, str]) -> dict:
    for where, ref in fill.items():
        *path, last = where.strip("/").split("/")
        node = body
        for part in path:
            node = node[int(part)] if isinstance(node, list) else node[part]
        node[last] = EXAMPLE_IDS.get(ref, "em_01h8xg4j3k2m1n0p9q8r7s6t5v")
    return body


@pytest.mark.parametrize("service", sorted(k for k in CONTRACTS if not k.startswith("_")))
def test_every_payload_matches_the_published_request_schema(
    exported: dict[str, dict[str, bytes]], service: str
) -> None:
    files = exported[service]
    manifest = json.loads(files["manifest.json"])
    requests = [*manifest["before"], *(r for e in manifest["emails"] for r in e["requests"]), *manifest["after"]]
    assert requests
    for request in requests:
        body = filled(json.loads(files[request["body"]]), request.get("fill", {}))
        errors = [e.message for e in validator(service, request["key"]).iter_errors(body)]
        assert errors == [], (request["body"], errors)
        if service == "mailgun":
            assert set(json.loads(body["headers"])) <= set(CONTRACTS["mailgun"]["headers"])


def test_the_schemas_refuse_what_the_services_refused() -> None:
    """The old Buttondown automation (an inline email, a numeric delay) and an over-long SendGrid name."""
    old_automation = {
        "name": "When He Pulls Away",
        "trigger": "subscriber.confirmed",
        "actions": [
            {
                "type": "send_email",
                "timing": {"time": "delay", "delay": {"value": 7, "unit": "days", "time_of_day": "morning"}},
                "email": {"subject": "Day 7", "body": "<p>...</p>"},
            }
        ],
    }
    errors = sorted(e.message for e in validator("buttondown", "automation").iter_errors(old_automation))
    assert errors == [
        "Additional properties are not allowed ('email' was unexpected)",
        "{'time': 'delay', 'delay': {'value': 7, 'unit': 'days', 'time_of_day': 'morning'}} is not valid under any "
        "of the given schemas",
    ]
    assert not validator("sendgrid", "template").is_valid({"name": "x" * 101, "generation": "dynamic"})


def test_sendgrid_sdk_builds_the_send_the_readme_describes(exported: dict[str, dict[str, bytes]]) -> None:
    from sendgrid.helpers.mail import Asm, GroupId, Mail

    template = json.loads(exported["sendgrid"]["templates/01-welcome.template.json"])
    mail = Mail(from_email="claire@example.com", to_emails="alex@reader.example")
    mail.template_id = "d-0123456789abcdef0123456789abcdef"
    mail.dynamic_template_data = {"first_name": "Alex", "email": "alex@reader.example"}
    mail.asm = Asm(GroupId(1234))
    body = mail.get()
    assert body["template_id"].startswith("d-") and body["asm"] == {"group_id": 1234}
    assert body["personalizations"][0]["dynamic_template_data"] == {
        "first_name": "Alex",
        "email": "alex@reader.example",
    }
    assert template == {"name": "when-he-pulls-away-01-welcome", "generation": "dynamic"}


def test_a_title_without_latin_letters_names_objects_after_the_course(course_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from conftest import BASE_SYLLABUS

    names = {}
    for title in ("茶", "お茶"):
        course = course_factory(BASE_SYLLABUS.replace("title: Quiet Mornings", f"title: {title}"))
        manifest = json.loads(export("ses", course, tmp_path / title, PREVIEW)["manifest.json"])
        names[title] = [e["name"] for e in manifest["emails"]]
    assert all(re.fullmatch(r"course-[0-9a-f]{8}-0[12]-[a-z-]+", n) for n in names["茶"]), names
    assert not any("section" in n for n in names["茶"])
    assert set(names["茶"]).isdisjoint(names["お茶"])


def test_each_readme_names_the_commands_that_really_exist(exported: dict[str, dict[str, bytes]]) -> None:
    """`dripcourse send --via X` for the services it drives, `dripcourse push X` only where push supports X:
    both read from the CLI's own option lists, not from the exports."""
    from typer.main import get_command

    from dripcourse.push.services import REMOTES

    command = get_command(app)
    send_help = CliRunner().invoke(app, ["send", "--help"]).output
    assert "push" in command.commands  # type: ignore[attr-defined]
    for target in ("ses", "postmark", "sendgrid", "mailgun", "listmonk"):
        assert target in send_help
        readme = " ".join(exported[target]["README.txt"].decode().split())
        assert f"dripcourse send --via {target}" in readme, target
    for target, files in exported.items():
        readme = " ".join(files["README.txt"].decode().split())
        assert (f"`dripcourse push {target}`" in readme) == (target in REMOTES), target
    listmonk = " ".join(exported["listmonk"]["README.txt"].decode().split())
    assert "send each campaign yourself" not in listmonk
    assert "goes to every subscriber of its lists at once" in listmonk
