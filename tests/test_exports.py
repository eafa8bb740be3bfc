"""Exports: each mailing service's folder, in its own merge-tag dialect and import shape."""

from __future__ import annotations

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
from dripcourse.exports import export, targets
from dripcourse.exports.dialects import SIGNATURES

PREVIEW = date(2026, 3, 2)
# What each target must write for first name (with its fallback), unsubscribe link and postal address.
OWN_TAGS = {
    "ses": ["{{#if first_name}}{{first_name}}{{else}}there{{/if}}", "{{amazonSESUnsubscribeUrl}}", "Example Coaching"],
    "postmark": [
        "{{#first_name}}{{first_name}}{{/first_name}}{{^first_name}}there{{/first_name}}",
        "{{{ pm:unsubscribe }}}",
        "Example Coaching",
    ],
    "mailchimp": ["*|IF:FNAME|**|FNAME|**|ELSE:|*there*|END:IF|*", "*|UNSUB|*", "*|HTML:LIST_ADDRESS_HTML|*"],
    "kit": ['{{ subscriber.first_name | default: \\"there\\" }}', "{{ unsubscribe_url }}", "Example Coaching"],
    "mailerlite": ["{$name|default('there')}", "{$unsubscribe}", "Example Coaching"],
    "brevo": ['{{ contact.FIRSTNAME | default : \\"there\\" }}', "{{ unsubscribe }}", "Example Coaching"],
    "sendgrid": ["{{#if first_name}}{{first_name}}{{else}}there{{/if}}", "{{{unsubscribe}}}", "{{Sender_Address}}"],
    "mailgun": ["{{#if first_name}}{{first_name}}{{else}}there{{/if}}", "%unsubscribe_url%", "Example Coaching"],
    "listmonk": ['{{ .Subscriber.FirstName | default \\"there\\" }}', "{{ UnsubscribeURL }}", "Example Coaching"],
    "buttondown": [
        '{{ subscriber.metadata.first_name|default:\\"there\\" }}',
        "{{ unsubscribe_url }}",
        "Example Coaching",
    ],
    "eml": ["Hi there,", "https://example.com/unsubscribe", "Example Coaching"],
}


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, bytes]]:
    root = tmp_path_factory.mktemp("exports")
    return {name: export(name, REPO / "course", root / name, PREVIEW) for name in targets()}


def all_text(files: dict[str, bytes]) -> str:
    parts = []
    for name, data in files.items():
        if name.endswith(".zip"):
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                parts += [archive.read(n).decode() for n in archive.namelist()]
        else:
            parts.append(data.decode("utf-8", "replace"))
    return "\n".join(parts)


def test_every_target_is_listed_and_has_a_readme(exported: dict[str, dict[str, bytes]]) -> None:
    assert sorted(exported) == sorted(OWN_TAGS)
    for name, files in exported.items():
        assert "README.txt" in files, name
        assert b"To load it:" in files["README.txt"]


@pytest.mark.parametrize("target", sorted(OWN_TAGS))
def test_target_writes_its_own_merge_tags_and_no_foreign_ones(
    exported: dict[str, dict[str, bytes]], target: str
) -> None:
    text = all_text(exported[target])
    for tag in OWN_TAGS[target]:
        assert tag in text, (target, tag)
    foreign = {other: sig for other, sig in SIGNATURES.items() if other != target and sig in text}
    assert foreign == {}, target


def test_ses_payloads_validate_against_the_service_model(exported: dict[str, dict[str, bytes]]) -> None:
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
        assert len(files[name]) < 500 * 1024
        old = json.loads(files[name.replace("v2/", "v1/")])
        assert not ParamValidator().validate(old, v1).has_errors()
        assert old["Template"]["HtmlPart"] == payload["TemplateContent"]["Html"]


def test_ses_validator_rejects_a_broken_payload() -> None:
    import botocore.session
    from botocore.validate import ParamValidator

    shape = botocore.session.get_session().get_service_model("sesv2").operation_model("CreateEmailTemplate").input_shape
    assert ParamValidator().validate({"TemplateName": "x", "TemplateContent": {"Subject": 5}}, shape).has_errors()


def test_postmark_folder_matches_postmark_cli_layout(exported: dict[str, dict[str, bytes]]) -> None:
    files = exported["postmark"]
    aliases = sorted({name.split("/")[0] for name in files if "/" in name})
    assert len(aliases) == 8
    for alias in aliases:
        assert re.fullmatch(r"[A-Za-z][A-Za-z0-9._-]*", alias)
        assert {f"{alias}/meta.json", f"{alias}/content.html", f"{alias}/content.txt"} <= set(files)
        meta = json.loads(files[f"{alias}/meta.json"])
        assert meta["Alias"] == alias and meta["TemplateType"] == "Standard"
        assert set(meta) == {"Name", "Alias", "TemplateType", "Subject", "LayoutTemplate", "TestRenderModel"}


def test_listmonk_template_holds_the_content_tag_exactly_once(exported: dict[str, dict[str, bytes]]) -> None:
    template = json.loads(exported["listmonk"]["template.json"])
    assert template["type"] == "campaign"
    assert template["body"].count('{{ template "content" . }}') == 1
    campaign = json.loads(exported["listmonk"]["campaigns/01-welcome.json"])
    assert "send_at" not in campaign  # evergreen: no absolute time
    assert campaign["content_type"] == "html" and campaign["altbody"].startswith("WHEN HE PULLS AWAY")


def test_listmonk_cohort_campaigns_carry_send_at(mini_course: Path, tmp_path: Path) -> None:
    syllabus = mini_course / "syllabus.yaml"
    syllabus.write_text(syllabus.read_text().replace("mode: evergreen", "mode: cohort\n  start_date: 2026-03-27"))
    files = export("listmonk", mini_course, tmp_path / "lm", PREVIEW)
    sends = [json.loads(files[f"campaigns/{n}.json"])["send_at"] for n in ("01-welcome", "02-water-matters")]
    assert sends == ["2026-03-27T07:30:00Z", "2026-03-30T06:30:00Z"]


def test_kit_payloads_and_sequence(exported: dict[str, dict[str, bytes]]) -> None:
    files = exported["kit"]
    sequence = json.loads(files["sequence.json"])
    assert sequence == {
        "name": "When He Pulls Away",
        "send_hour": 8,
        "send_days": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"],
        "time_zone": "America/New_York",
    }
    first, second = (json.loads(files[n]) for n in sorted(n for n in files if n.startswith("emails/"))[:2])
    assert (first["delay_value"], first["position"], second["delay_value"], second["position"]) == (0, 0, 1, 1)
    assert first["delay_unit"] == "days" and first["published"] is False


def test_buttondown_delays_count_from_the_trigger(exported: dict[str, dict[str, bytes]]) -> None:
    automation = json.loads(exported["buttondown"]["automation.json"])
    timings = [a["timing"] for a in automation["actions"]]
    assert timings[0] == {"time": "immediate"}
    assert timings[7] == {"time": "delay", "delay": {"value": 7, "unit": "days", "time_of_day": "morning"}}
    assert len(automation["actions"]) <= 25


def test_mailchimp_zip_holds_index_html(exported: dict[str, dict[str, bytes]]) -> None:
    data = exported["mailchimp"]["zip/01-welcome.zip"]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == ["index.html"]
        assert archive.read("index.html").startswith(b"<!DOCTYPE html>")
    assert exported["mailchimp"]["journey.csv"].splitlines()[2].endswith(b",1,1")


def test_cli_export_and_unknown_target(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["export", "kit", str(REPO / "course"), "--out", str(tmp_path / "kit")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "kit" / "sequence.json").is_file()
    bad = CliRunner().invoke(app, ["export", "mailchimps", str(REPO / "course")])
    assert bad.exit_code == 2
    assert bad.stderr.startswith("Error: unknown export target 'mailchimps' (did you mean 'mailchimp'?); choose one of")
