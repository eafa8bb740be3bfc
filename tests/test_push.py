"""`dripcourse push` against local servers that speak each service's API (tests/services/), with every request
checked against the published request schema kept in tests/contracts/.

For every target: the first push creates everything, a second push makes no write, an edit updates only what
changed, an interrupted push finishes on the next run, and the dry run lists exactly what a real push sends."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dripcourse.cli import app
from dripcourse.errors import DripcourseError
from dripcourse.push import PushError
from dripcourse.push.engine import set_pointer
from dripcourse.push.services import REMOTES
from dripcourse.push.state import state_path
from services.brevo import BrevoServer
from services.buttondown import ButtondownServer
from services.httpbase import ApiServer, Reply
from services.kit import KitServer
from services.listmonk import ListmonkServer
from services.mailchimp import MailchimpServer
from services.mailgun import MailgunServer
from services.postmark import PostmarkServer
from services.pushing import Pusher, same_as_sent
from services.sendgrid import SendgridServer
from services.ses import SesServer


@dataclass(frozen=True)
class Case:
    """What a target's objects look like on its server, for the checks below."""

    server: Callable[[], ApiServer]
    objects: Callable[[Any], list[dict[str, Any]]]  # everything push created there
    second_email: Callable[[Any], dict[str, Any]]  # the stored object for the second email
    drop: Callable[[Any, dict[str, Any]], None]  # delete that object on the service
    subject_field: str
    edit_field: str  # a field to change on the service, as a user in its web app would
    count: int  # objects a first push creates for the two-email course
    credential: str  # the variable a 401 names
    refused: str = "refused the credentials"
    missing: str = ""  # what a push without the credential says (default: "needs VARIABLE in the environment")
    retry_after: bool = True  # whether the service says how long to wait after a 429 (SES does not: push backs off)
    throttle: Callable[[], dict[str, str]] = lambda: {"Retry-After": "7"}  # the headers of its 429
    per_email: int = 1  # objects per email
    subject: Callable[[Any], str] | None = None  # where the server keeps the second email's subject, if elsewhere
    setup: Callable[[Pusher], None] = lambda pusher: None  # a change to the course this target needs
    dropped: int = 1  # objects that `drop` removes (a listmonk campaign takes its schedule with it)


def kit_emails(server: KitServer) -> list[dict[str, Any]]:
    return sorted(server.emails.values(), key=lambda e: e["position"])


CASES = {
    "kit": Case(
        KitServer,
        lambda s: [*s.sequences.values(), *s.emails.values()],
        lambda s: kit_emails(s)[1],
        lambda s, o: s.emails.pop(o["id"]),
        "subject",
        "subject",
        3,
        "KIT_API_KEY",
    ),
    "postmark": Case(
        PostmarkServer,
        lambda s: list(s.templates.values()),
        lambda s: sorted(s.templates.values(), key=lambda t: t["TemplateId"])[1],
        lambda s, o: s.templates.pop(o["TemplateId"]),
        "Subject",
        "HtmlBody",
        2,
        "POSTMARK_SERVER_TOKEN",
    ),
    "ses": Case(
        SesServer,
        lambda s: list(s.templates.values()),
        lambda s: s.templates[sorted(s.templates)[1]],
        lambda s, o: s.templates.pop(next(k for k, v in s.templates.items() if v is o)),
        "Subject",
        "Html",
        2,
        "AWS_ACCESS_KEY_ID",
        refused="AWS does not recognise these credentials",
        missing="found no AWS credentials: set AWS_ACCESS_KEY_ID",
        retry_after=False,
    ),
    "sendgrid": Case(
        SendgridServer,
        lambda s: [o for t in s.templates.values() for o in (t, *t["versions"])],
        lambda s: sorted(s.templates.values(), key=lambda t: t["name"])[1]["versions"][0],
        lambda s, o: next(t for t in s.templates.values() if o in t["versions"])["versions"].remove(o),
        "subject",
        "html_content",
        4,
        "SENDGRID_API_KEY",
        throttle=lambda: {
            "X-RateLimit-Limit": "600",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(int(time.time()) + 7),
        },
        per_email=2,
    ),
    "mailgun": Case(
        MailgunServer,
        lambda s: list(s.templates.values()),
        lambda s: s.active(s.templates[sorted(s.templates)[1]]),
        lambda s, o: s.templates.pop(next(k for k, t in s.templates.items() if o in t["versions"])),
        "Subject",
        "template",
        2,
        "MAILGUN_API_KEY",
        subject=lambda s: s.active(s.templates[sorted(s.templates)[1]])["headers"]["Subject"],
    ),
    "brevo": Case(
        BrevoServer,
        lambda s: list(s.templates.values()),
        lambda s: s.templates[sorted(s.templates)[1]],
        lambda s, o: s.templates.pop(o["id"]),
        "subject",
        "htmlContent",
        2,
        "BREVO_API_KEY",
        throttle=lambda: {
            "x-sib-ratelimit-limit": "10",
            "x-sib-ratelimit-remaining": "0",
            "x-sib-ratelimit-reset": "5",
        },
    ),
    "mailchimp": Case(
        MailchimpServer,
        lambda s: list(s.templates.values()),
        lambda s: s.templates[sorted(s.templates)[1]],
        lambda s, o: s.templates.pop(o["id"]),
        "name",
        "date_edited",
        2,
        "MAILCHIMP_API_KEY",
        # A Mailchimp template holds no subject: the HTML's <title> carries it.
        subject=lambda s: re.search(r"<title>(.*?)</title>", s.html[sorted(s.html)[1]]).group(1),  # type: ignore[union-attr]
    ),
    "buttondown": Case(
        ButtondownServer,
        lambda s: [*s.emails.values(), *s.automations.values()],
        lambda s: sorted(s.emails.values(), key=lambda e: e["creation_date"])[1],
        lambda s, o: s.emails.pop(o["id"]),
        "subject",
        "body",
        3,
        "BUTTONDOWN_API_KEY",
    ),
    # A cohort course: listmonk gets one campaign per email, scheduled by a status change.
    "listmonk": Case(
        ListmonkServer,
        lambda s: [
            *(t for t in s.templates.values() if t["type"] == "campaign"),
            *s.campaigns.values(),
            *(c for c in s.campaigns.values() if c["status"] == "scheduled"),
        ],
        lambda s: s.campaigns[sorted(s.campaigns)[1]],
        lambda s, o: s.campaigns.pop(o["id"]),
        "subject",
        "body",
        5,
        "LISTMONK_API_TOKEN",
        per_email=2,
        dropped=2,
        setup=lambda pusher: pusher.edit("  mode: evergreen\n", "  mode: cohort\n  start_date: 2027-03-01\n"),
    ),
}


@pytest.fixture(params=sorted(CASES))
def pushing(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Pusher, Case]]:
    case = CASES[request.param]
    with case.server() as server:
        pusher = Pusher(tmp_path, request.param, server, server.env())  # type: ignore[attr-defined]
        case.setup(pusher)
        yield pusher, case


def test_first_push_creates_everything_and_a_second_makes_no_write(pushing: tuple[Pusher, Case]) -> None:
    pusher, case = pushing
    first = pusher.push()
    assert len(first.outcome.created) == case.count == len(case.objects(pusher.server))
    assert pusher.server.violations == []
    assert len(pusher.state()) == case.count
    # Each object: its remote id, the hash of what was sent, and what the service stored (read back after the write).
    assert all(r["id"] is not None and len(r["hash"]) == 64 and len(r["remote"]) == 64 for r in pusher.state().values())
    seen = len(pusher.server.requests)
    second = pusher.push()
    assert pusher.writes(seen) == []
    assert len(second.outcome.unchanged) == case.count and not second.outcome.created
    assert len(case.objects(pusher.server)) == case.count
    assert pusher.questions == []


def test_an_edit_updates_only_what_changed(pushing: tuple[Pusher, Case]) -> None:
    pusher, case = pushing
    pusher.push()
    pusher.edit("subject: The ingredient you forget", "subject: The ingredient nobody measures")
    seen = len(pusher.server.requests)
    report = pusher.push()
    writes = pusher.writes(seen)
    assert len(writes) == 1 and writes[0].method in ("PUT", "PATCH", "POST")
    assert len(report.outcome.updated) == 1 and report.outcome.updated[0].endswith(" 02-water-matters")
    stored = case.second_email(pusher.server)
    subject = case.subject(pusher.server) if case.subject else stored[case.subject_field]
    assert subject == "The ingredient nobody measures"
    assert pusher.server.violations == []
    assert len(case.objects(pusher.server)) == case.count


def test_dry_run_lists_exactly_what_the_push_sends(pushing: tuple[Pusher, Case]) -> None:
    pusher, case = pushing
    dry = pusher.push(dry_run=True)
    assert pusher.server.requests == []  # a dry run sends nothing, not even a read
    listing = pusher.dry_run_listing()
    assert len(listing) == case.count == len(dry.outcome.created)
    pusher.push()
    same_as_sent(pusher, listing, pusher.writes())

    pusher.edit("subject: Your first better cup", "subject: A better cup, to begin")
    pusher.push(dry_run=True)
    listing = pusher.dry_run_listing()
    seen = len(pusher.server.requests)
    pusher.push()
    same_as_sent(pusher, listing, pusher.writes(seen))
    assert len(listing) == 1


def test_a_dry_run_shows_no_credentials(pushing: tuple[Pusher, Case]) -> None:
    pusher, case = pushing
    secrets = [v for k, v in pusher.env.items() if k == case.credential or "SECRET" in k or "TOKEN" in k]
    result = CliRunner().invoke(app, ["push", pusher.target, str(pusher.course), "--dry-run"], env=pusher.env)
    assert result.exit_code == 0, result.output
    written = (pusher.course / "push-state" / f"{pusher.target}.dry-run.json").read_text(encoding="utf-8")
    assert "POST " in result.output and "Dry run:" in result.output
    for secret in secrets:
        assert secret not in result.output and secret not in written


def test_a_connection_dropped_half_way_is_finished_by_the_next_push(pushing: tuple[Pusher, Case]) -> None:
    pusher, case = pushing
    # Create, read back, then the second create: done on the service, but its answer never comes back.
    pusher.server.faults.extend([("pass", None), ("pass", None), ("drop-after", None)])
    with pytest.raises(PushError, match="no answer after creating"):
        pusher.push()
    state = pusher.state()
    assert sum(1 for record in state.values() if record.get("uncertain")) == 1
    report = pusher.push()
    assert len(case.objects(pusher.server)) == case.count  # found by its name, not created twice
    assert len(pusher.state()) == case.count
    assert not any(record.get("uncertain") for record in pusher.state().values())
    assert pusher.server.violations == []
    assert report.outcome.created or report.outcome.updated or report.outcome.unchanged


def test_a_push_stopped_by_errors_is_finished_by_the_next(pushing: tuple[Pusher, Case]) -> None:
    pusher, case = pushing
    pusher.push(dry_run=True)
    failing = Reply(503, {"errors": ["Service Unavailable"], "ErrorCode": 503, "Message": "Service Unavailable"})

    original = pusher.server.handle
    calls = 0

    def handle(request):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if request.method == "POST" and len(case.objects(pusher.server)) == 1:
            return failing
        return original(request)

    pusher.server.handle = handle  # type: ignore[method-assign]
    with pytest.raises(PushError, match="503"):
        pusher.push()
    assert len(pusher.sleeps) == 4 and pusher.sleeps == sorted(pusher.sleeps)  # bounded, backing off
    assert len(pusher.state()) == 1
    pusher.server.handle = original  # type: ignore[method-assign]
    report = pusher.push()
    assert len(report.outcome.created) == case.count - 1 and len(report.outcome.unchanged) == 1
    assert len(case.objects(pusher.server)) == case.count


def test_429_waits_for_retry_after_and_500_backs_off(pushing: tuple[Pusher, Case]) -> None:
    pusher, case = pushing
    throttled = {**case.throttle(), "x-amzn-ErrorType": "TooManyRequestsException"}
    pusher.server.faults.append(
        ("status", Reply(429, {"errors": ["Rate limit hit"], "message": "slow down"}, throttled))
    )
    failed = {"x-amzn-ErrorType": "InternalFailure"}
    pusher.server.faults.append(("status", Reply(500, {"errors": ["Internal Server Error"], "message": "x"}, failed)))
    report = pusher.push()
    assert (3.0 <= pusher.sleeps[0] <= 7.0) if case.retry_after else pusher.sleeps[0] == 1.0, pusher.sleeps
    assert len(pusher.sleeps) == 2
    assert len(report.outcome.created) == case.count == len(case.objects(pusher.server))


def test_a_timeout_on_a_read_is_retried(pushing: tuple[Pusher, Case]) -> None:
    pusher, case = pushing
    pusher.push()
    pusher.server.faults.append(("stall", 1.0))
    report = pusher.push(timeout=0.3)
    assert len(report.outcome.unchanged) == case.count
    assert len(pusher.sleeps) == 1


def test_401_names_the_variable_and_exits_1(pushing: tuple[Pusher, Case]) -> None:
    pusher, case = pushing
    env = {**pusher.env, case.credential: "AKIDWRONG"}
    result = CliRunner().invoke(app, ["push", pusher.target, str(pusher.course)], env=env)
    assert result.exit_code == 1
    assert case.refused in result.output and case.credential in result.output
    assert "Traceback" not in result.output


def test_missing_credentials_name_the_variable(pushing: tuple[Pusher, Case]) -> None:
    pusher, case = pushing
    env = {**pusher.env, case.credential: ""}
    result = CliRunner().invoke(app, ["push", pusher.target, str(pusher.course)], env=env)
    assert result.exit_code == 1
    assert (case.missing or f"needs {case.credential} in the environment") in result.output


def test_deleted_on_the_service_is_recreated_only_after_asking(pushing: tuple[Pusher, Case]) -> None:
    pusher, case = pushing
    pusher.push()
    case.drop(pusher.server, case.second_email(pusher.server))
    seen = len(pusher.server.requests)
    report = pusher.push()  # the question is answered no
    assert pusher.writes(seen) == [] and len(report.outcome.skipped) == case.dropped
    assert "was deleted there" in pusher.questions[-1]
    pusher.answer = True
    report = pusher.push()
    assert len(report.outcome.created) == 1 and len(case.objects(pusher.server)) == case.count
    assert pusher.server.violations == []


def test_changed_on_the_service_is_kept_unless_confirmed_or_forced(pushing: tuple[Pusher, Case]) -> None:
    pusher, case = pushing
    pusher.push()
    case.second_email(pusher.server)[case.edit_field] = "Changed in the web app"
    seen = len(pusher.server.requests)
    report = pusher.push()
    assert pusher.writes(seen) == [] and len(report.outcome.kept) == 1
    assert "was changed there" in pusher.questions[-1]
    asked = len(pusher.questions)
    report = pusher.push(force=True)
    assert len(pusher.questions) == asked  # --force does not ask
    assert len(report.outcome.updated) == 1
    assert case.second_email(pusher.server)[case.edit_field] != "Changed in the web app"
    seen = len(pusher.server.requests)
    pusher.push()
    assert pusher.writes(seen) == []


def test_nothing_is_deleted_without_prune(pushing: tuple[Pusher, Case]) -> None:
    pusher, case = pushing
    pusher.push()
    syllabus = pusher.course / "syllabus.yaml"
    text = syllabus.read_text(encoding="utf-8")
    syllabus.write_text(text[: text.index("  - day: 2")], encoding="utf-8")
    seen = len(pusher.server.requests)
    report = pusher.push()
    # The first email may change too (its footer counts the lessons); nothing is deleted.
    assert "DELETE" not in [w.method for w in pusher.writes(seen)] and len(report.outcome.left) == case.per_email
    assert len(case.objects(pusher.server)) == case.count
    seen = len(pusher.server.requests)
    report = pusher.push(prune=True)
    assert [w.method for w in pusher.writes(seen)] == ["DELETE"]
    assert len(case.objects(pusher.server)) == case.count - case.per_email
    assert len(pusher.state()) == case.count - case.per_email


def test_cli_summary_and_manual_steps(pushing: tuple[Pusher, Case]) -> None:
    pusher, case = pushing
    result = CliRunner().invoke(app, ["push", pusher.target, str(pusher.course)], env=pusher.env)
    assert result.exit_code == 0, result.output
    assert f"{case.count} created, 0 updated, 0 unchanged" in result.output
    assert "Still to do by hand:" in result.output
    again = CliRunner().invoke(app, ["push", pusher.target, str(pusher.course)], env=pusher.env)
    assert f"0 created, 0 updated, {case.count} unchanged" in again.output


def test_unknown_target_is_an_input_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["push", "kitt", str(tmp_path)])
    assert result.exit_code == 2 and "did you mean 'kit'" in result.output


def test_kit_emails_are_created_unpublished_and_publishing_is_left_alone(tmp_path: Path) -> None:
    with KitServer() as server:
        pusher = Pusher(tmp_path, "kit", server, server.env())
        report = pusher.push()
        emails = kit_emails(server)
        assert [e["published"] for e in emails] == [False, False]
        assert [e["delay_value"] for e in emails] == [0, 2] and [e["position"] for e in emails] == [0, 1]
        sequence = next(iter(server.sequences.values()))
        assert sequence["send_hour"] == 7 and sequence["time_zone"] == "Europe/London"
        assert any("publish" in step for step in report.manual)
        # The user publishes in Kit and activates the sequence: the next push leaves that alone.
        for email in emails:
            email["published"] = True
        sequence["active"] = True
        seen = len(server.requests)
        pusher.push()
        assert pusher.writes(seen) == [] and pusher.questions == []
        pusher.edit("subject: The ingredient you forget", "subject: Water first")
        pusher.push()
        assert kit_emails(server)[1]["published"] is True and sequence["active"] is True
        assert server.violations == []


def test_state_file_that_is_not_ours_is_an_input_error(tmp_path: Path) -> None:
    with KitServer() as server:
        pusher = Pusher(tmp_path, "kit", server, server.env())
        (pusher.course / "push-state").mkdir()
        (pusher.course / "push-state" / "kit.json").write_text("{}", encoding="utf-8")
        with pytest.raises(DripcourseError, match="is not a dripcourse-push/1 state file"):
            pusher.push()
        assert server.requests == []


def test_buttondown_automation_sends_the_emails_push_created_in_order(tmp_path: Path) -> None:
    with ButtondownServer() as server:
        pusher = Pusher(tmp_path, "buttondown", server, server.env())
        pusher.push()
        emails = sorted(server.emails.values(), key=lambda e: e["creation_date"])
        automation = next(iter(server.automations.values()))
        assert [a["metadata"]["email_id"] for a in automation["actions"]] == [e["id"] for e in emails]
        assert [e["status"] for e in emails] == ["draft", "draft"] and automation["status"] == "inactive"
        stamps = [r["version"] for r in pusher.state().values()]
        assert stamps == [e["modification_date"] for e in emails] + [automation["modification_date"]]
        automation["status"] = "active"  # the user turns it on; the next push leaves that alone
        seen = len(server.requests)
        pusher.push()
        assert pusher.writes(seen) == [] and server.violations == []


def test_without_a_terminal_a_question_is_answered_no_and_said(tmp_path: Path) -> None:
    with PostmarkServer() as server:
        pusher = Pusher(tmp_path, "postmark", server, server.env())
        pusher.push()
        next(iter(server.templates.values()))["HtmlBody"] = "<p>Edited in Postmark</p>"
        seen = len(server.requests)
        result = CliRunner().invoke(app, ["push", "postmark", str(pusher.course)], env=pusher.env)
        assert result.exit_code == 3, result.output
        assert "was changed there since the last push" in result.output and "nobody to ask" in result.output
        assert "1 kept as changed there" in result.output and pusher.writes(seen) == []
        assert "Exit code 3: 1 objects differ from the course" in result.output


@pytest.mark.parametrize(
    ("change", "options", "code"),
    [
        ("delete", [], 3),  # not recreated
        ("edit", [], 3),  # changed there, kept
        ("delete", ["--force"], 0),
        ("edit", ["--force"], 0),
        (None, [], 0),
    ],
)
def test_a_push_that_leaves_the_service_different_exits_3(
    change: str | None, options: list[str], code: int, tmp_path: Path
) -> None:
    with PostmarkServer() as server:
        pusher = Pusher(tmp_path, "postmark", server, server.env())
        pusher.push()
        template_id = next(iter(server.templates))
        if change == "delete":
            del server.templates[template_id]
        elif change == "edit":
            server.templates[template_id]["HtmlBody"] = "<p>Edited in Postmark</p>"
        result = CliRunner().invoke(app, ["push", "postmark", str(pusher.course), *options], env=pusher.env)
        assert result.exit_code == code, result.output


def test_a_target_without_an_api_points_to_its_export(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["push", "mailerlite", str(tmp_path)])
    assert result.exit_code == 2
    assert "push cannot load the mailerlite export: MailerLite takes it by hand" in result.output
    assert "dripcourse export mailerlite" in result.output


def test_a_dry_run_needs_no_credentials(pushing: tuple[Pusher, Case]) -> None:
    pusher, case = pushing
    pusher.env = {}
    report = pusher.push(dry_run=True)
    listing = pusher.dry_run_listing()
    assert len(listing) == case.count == len(report.outcome.created)
    assert all(entry["url"].startswith("https://") for entry in listing)
    assert pusher.server.requests == []


def test_nothing_push_writes_holds_a_credential(pushing: tuple[Pusher, Case]) -> None:
    pusher, case = pushing
    pusher.push()
    pusher.push(dry_run=True)
    written = "".join(p.read_text(encoding="utf-8") for p in (pusher.course / "push-state").iterdir())
    assert pusher.env[case.credential] not in written


def test_the_summary_links_each_listmonk_campaign(tmp_path: Path) -> None:
    with ListmonkServer() as server:
        pusher = Pusher(tmp_path, "listmonk", server, server.env())
        report = pusher.push()
        links = sorted(url for _, url in report.outcome.links)
        assert links == sorted(f"{server.url}/admin/campaigns/{number}" for number in server.campaigns)
        assert [c["status"] for c in server.campaigns.values()] == ["draft", "draft"]  # evergreen: not scheduled
        assert any("start each one yourself" in step for step in report.manual)


def test_mailgun_a_lost_answer_to_a_new_version_is_finished_without_a_question(tmp_path: Path) -> None:
    with MailgunServer() as server:
        pusher = Pusher(tmp_path, "mailgun", server, server.env())
        pusher.push()
        pusher.edit("subject: The ingredient you forget", "subject: Water first")
        # Read back both templates, then the new version is stored but its answer is lost.
        server.faults.extend([("pass", None), ("pass", None), ("drop-after", None)])
        with pytest.raises(PushError, match="no answer after updating"):
            pusher.push()
        assert pusher.state()["02-water-matters.template"]["pending"] is True
        report = pusher.push()  # sends the same version again: Mailgun says it exists (409), which is done
        assert pusher.questions == [] and len(report.outcome.updated) == 1
        template = server.templates[sorted(server.templates)[1]]
        assert len(template["versions"]) == 2 and server.active(template)["headers"]["Subject"] == "Water first"
        seen = len(server.requests)
        pusher.push()
        assert pusher.writes(seen) == []


def test_prune_of_an_object_already_gone_there_just_forgets_it(tmp_path: Path) -> None:
    with PostmarkServer() as server:
        pusher = Pusher(tmp_path, "postmark", server, server.env())
        pusher.push()
        gone = sorted(server.templates)[1]
        del server.templates[gone]
        syllabus = pusher.course / "syllabus.yaml"
        text = syllabus.read_text(encoding="utf-8")
        syllabus.write_text(text[: text.index("  - day: 2")], encoding="utf-8")
        report = pusher.push(prune=True)
        assert report.outcome.deleted == ["02-water-matters.template"]
        assert list(pusher.state()) == ["01-welcome.template"]


def test_push_sends_exactly_the_payload_files_the_export_writes(pushing: tuple[Pusher, Case], tmp_path: Path) -> None:
    pusher, _ = pushing
    folder = tmp_path / "export"
    result = CliRunner().invoke(app, ["export", pusher.target, str(pusher.course), "--out", str(folder)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    requests = [*manifest["before"], *(r for e in manifest["emails"] for r in e["requests"]), *manifest["after"]]
    requests = [r for r in requests if r["key"] != "template-own-link"]  # SES: push loads the v2 form only
    pusher.push(dry_run=True)
    creates = [entry for entry in pusher.dry_run_listing() if entry["action"] == "create"]
    assert len(creates) == len(requests)
    for request, entry in zip(requests, creates, strict=True):
        payload = json.loads((folder / request["body"]).read_text(encoding="utf-8"))
        sent = entry["body"]
        for pointer in request.get("fill") or {}:  # ids known only at push time
            set_pointer(payload, pointer, None)
            set_pointer(sent, pointer, None)
        assert sent == payload, request["body"]
        assert entry["method"] == request["method"]


# Ids in the state file, by the shape each service's API documents for them: (target, kind, good, bad).
ID_SHAPES = [
    ("kit", "sequence", 101, "101/../../v4/account"),
    ("kit", "email", 7, True),
    ("postmark", "template", 4512, "4512?x=1"),
    ("brevo", "template", 3, 0),
    ("listmonk", "campaign", 21, "21"),
    ("mailchimp", "template", 10001, -4),
    ("sendgrid", "template", "d-" + "0123456789abcdef" * 2, "d-../../v3/api_keys"),
    ("sendgrid", "version", "8b6a3f4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b", "d-" + "0" * 32),
    ("buttondown", "email", "em_" + "a1b2c3" * 4, "em_../../v1/subscribers"),
    ("buttondown", "automation", "8b6a3f4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b", "aut_"),
    ("ses", "template", "mini-course-01-welcome", "mini/../other"),
    ("mailgun", "template", "mini-course-01-welcome", "x?active=no"),
]


@pytest.mark.parametrize(("target", "kind", "good", "bad"), ID_SHAPES)
def test_an_id_in_the_state_file_must_have_its_service_shape(
    target: str, kind: str, good: Any, bad: Any, tmp_path: Path
) -> None:
    from dripcourse.push.engine import check_ids
    from dripcourse.push.services import REMOTES
    from dripcourse.push.state import State

    remote = REMOTES[target]
    path = tmp_path / f"{target}.json"
    check_ids(remote, State(path, target, {f"01-welcome.{kind}": {"id": good}}))
    with pytest.raises(DripcourseError) as raised:
        check_ids(remote, State(path, target, {f"01-welcome.{kind}": {"id": bad}}))
    assert str(raised.value).startswith(f"{path}: objects.01-welcome.{kind}.id: {json.dumps(bad)} is not ")


def test_a_bad_id_in_the_state_file_stops_the_push_before_any_request(tmp_path: Path) -> None:
    with KitServer() as server:
        pusher = Pusher(tmp_path, "kit", server, server.env())
        pusher.push()
        state = state_path(pusher.course, "kit")
        data = json.loads(state.read_text(encoding="utf-8"))
        data["objects"]["course.sequence"]["id"] = "1/../../v4/account"
        state.write_text(json.dumps(data), encoding="utf-8")
        seen = len(server.requests)
        result = CliRunner().invoke(app, ["push", "kit", str(pusher.course)], env=pusher.env)
        assert result.exit_code == 2, result.output
        assert f"{state}: objects.course.sequence.id: " in result.output and "Traceback" not in result.output
        assert server.requests[seen:] == []


def test_every_filled_path_segment_is_percent_encoded(tmp_path: Path) -> None:
    from dripcourse.push.engine import Resolver
    from dripcourse.push.services import REMOTES
    from dripcourse.push.state import State

    resolve = Resolver(REMOTES["kit"], State(tmp_path / "kit.json", "kit"), {}, dry_run=False)
    assert resolve.path("/v4/sequences/{id}", "a/../b?c=d#e f") == "/v4/sequences/a%2F..%2Fb%3Fc%3Dd%23e%20f"


def test_the_dry_run_summary_shows_json_types(tmp_path: Path) -> None:
    from dripcourse.push import body_summary

    assert body_summary({"position": 1, "published": False, "name": "1", "x": None}) == (
        'position=1, published=false, name="1", x=null'
    )


ENVIRONMENT_VALUES = [
    ("mailgun", {"MAILGUN_DOMAIN": "mg.example.com/../../v4"}, "MAILGUN_DOMAIN='mg.example.com/../../v4' is not a"),
    ("mailgun", {"MAILGUN_DOMAIN": "localhost"}, "MAILGUN_DOMAIN='localhost' is not a domain name"),
    ("ses", {"AWS_REGION": "eu-west-1.evil.example#"}, "AWS_REGION='eu-west-1.evil.example#' is not an AWS region"),
    ("listmonk", {"LISTMONK_LIST_IDS": "3,x"}, "LISTMONK_LIST_IDS='3,x' is not a comma-separated list"),
    ("listmonk", {"LISTMONK_LIST_IDS": "0"}, "LISTMONK_LIST_IDS='0' is not"),
    ("kit", {"KIT_API_URL": "http://api.kit.example"}, "would send the API key in clear text"),
    ("kit", {"KIT_API_URL": "https://api.kit.example/v4/"}, "ends in /v4, which push adds"),
    ("sendgrid", {"SENDGRID_API_URL": "https://sg.example/v3"}, "set it to https://sg.example"),
    ("mailchimp", {"MAILCHIMP_API_URL": "https://us21.api.mailchimp.com/3.0"}, "ends in /3.0"),
    ("listmonk", {"LISTMONK_URL": "https://lists.example/api"}, "ends in /api"),
    ("brevo", {"BREVO_API_URL": "https://api.brevo.com?x=1"}, "takes no '?' or '#' part"),
    ("ses", {"DRIPCOURSE_SES_ENDPOINT_URL": "ftp://ses.example"}, "is not an http(s) URL"),
    ("ses", {"DRIPCOURSE_SES_ENDPOINT_URL": "https://ses.example/v2"}, "ends in /v2"),
]


@pytest.mark.parametrize(("target", "env", "message"), ENVIRONMENT_VALUES)
def test_environment_values_that_go_into_urls_are_checked(
    target: str, env: dict[str, str], message: str, tmp_path: Path
) -> None:
    with KitServer() as server:  # never contacted: the check comes first
        pusher = Pusher(tmp_path, target, server, env)
        with pytest.raises(DripcourseError, match=re.escape(message)) as raised:
            pusher.push(dry_run=True)
        assert raised.value.exit_code == 1 and server.requests == []


@pytest.mark.parametrize(
    ("target", "env", "base"),
    [
        ("kit", {"KIT_API_URL": "https://api.kit.example/"}, "https://api.kit.example"),
        ("listmonk", {"LISTMONK_URL": "https://example.org/lists/"}, "https://example.org/lists"),
        ("kit", {"KIT_API_URL": "http://127.0.0.1:8080"}, "http://127.0.0.1:8080"),
        ("ses", {"AWS_REGION": "ap-southeast-2"}, "https://email.ap-southeast-2.amazonaws.com"),
    ],
)
def test_a_good_base_url_loses_only_its_trailing_slash(
    target: str, env: dict[str, str], base: str, tmp_path: Path
) -> None:
    with KitServer() as server:
        report = Pusher(tmp_path, target, server, {"LISTMONK_LIST_IDS": "3, 7", **env}).push(dry_run=True)
        assert report.base_url == base
        assert all(entry["url"].startswith(base + "/") for entry in json.loads(report.dry_run_file.read_text()))


# Per target, one variable whose change means another account (or server, domain, region) on the service.
ANOTHER_ACCOUNT = {
    "kit": ("KIT_API_KEY", "another-kit-key"),
    "postmark": ("POSTMARK_SERVER_TOKEN", "another-server-token"),
    "ses": ("AWS_REGION", "us-east-2"),
    "sendgrid": ("SENDGRID_API_KEY", "SG.another"),
    "mailgun": ("MAILGUN_DOMAIN", "mg.another.example"),
    "brevo": ("BREVO_API_KEY", "xkeysib-another"),
    "listmonk": ("LISTMONK_URL", "http://127.0.0.1:9/lists"),
    "mailchimp": ("MAILCHIMP_API_KEY", "another-us21"),
    "buttondown": ("BUTTONDOWN_API_KEY", "another-key"),
}


def test_a_state_file_is_refused_for_another_account(pushing: tuple[Pusher, Case]) -> None:
    pusher, _case = pushing
    pusher.push()
    variable, value = ANOTHER_ACCOUNT[pusher.target]
    state = state_path(pusher.course, pusher.target)
    before = state.read_text(encoding="utf-8")
    assert pusher.env.get(variable) != value and value not in before
    seen = len(pusher.server.requests)
    env = {**pusher.env, variable: value}
    result = CliRunner().invoke(app, ["push", pusher.target, str(pusher.course)], env=env)
    assert result.exit_code == 2, result.output
    assert f"{state}: bound_to: records objects made at " in result.output and "--fresh-state" in result.output
    assert pusher.server.requests[seen:] == [] and state.read_text(encoding="utf-8") == before
    if variable.endswith(("_KEY", "_TOKEN")):  # a credential is bound by a hash of it only
        assert pusher.env[variable] not in before and "sha256:" in json.loads(before)["bound_to"]["account"]


def test_fresh_state_keeps_the_old_file_and_starts_over(tmp_path: Path) -> None:
    with KitServer() as server:
        pusher = Pusher(tmp_path, "kit", server, server.env())
        pusher.push()
        state = state_path(pusher.course, "kit")
        old = state.read_text(encoding="utf-8")
        assert json.loads(old)["bound_to"] == {
            "base_url": server.url,
            "account": json.loads(old)["bound_to"]["account"],
        }
        assert json.loads(old)["bound_to"]["account"].startswith("KIT_API_KEY sha256:")
        result = CliRunner().invoke(app, ["push", "kit", str(pusher.course), "--fresh-state"], env=pusher.env)
        assert result.exit_code == 0, result.output
        assert "3 created" in result.output
        kept = list(state.parent.glob("kit.before-*.json"))
        assert len(kept) == 1 and kept[0].read_text(encoding="utf-8") == old


@pytest.mark.parametrize("tampered", ["not made by push", "renamed there"])
def test_prune_deletes_only_what_push_made_and_still_carries_its_name(
    pushing: tuple[Pusher, Case], tampered: str
) -> None:
    pusher, case = pushing
    pusher.push()
    assert all(record["created_by_push"] is True for record in pusher.state().values())
    syllabus = pusher.course / "syllabus.yaml"
    text = syllabus.read_text(encoding="utf-8")
    syllabus.write_text(text[: text.index("  - day: 2")], encoding="utf-8")
    state = state_path(pusher.course, pusher.target)
    data = json.loads(state.read_text(encoding="utf-8"))
    kinds = REMOTES[pusher.target].kinds
    key = next(k for k in data["objects"] if k.startswith("02-") and kinds[k.rpartition(".")[2]].prune)
    if tampered == "not made by push":
        del data["objects"][key]["created_by_push"]
    else:  # the id now names an object called otherwise than push named it
        data["objects"][key]["name"] = "someone-elses-object"
    state.write_text(json.dumps(data), encoding="utf-8")
    seen = len(pusher.server.requests)
    report = pusher.push(prune=True)
    assert "DELETE" not in [w.method for w in pusher.writes(seen)]
    assert [s.partition(" ")[0] for s in report.outcome.spared] == [key] and report.outcome.deleted == []
    assert len(case.objects(pusher.server)) == case.count and key in pusher.state()
    result = CliRunner().invoke(app, ["push", pusher.target, str(pusher.course), "--prune"], env=pusher.env)
    assert result.exit_code == 3 and "Not deleted, as push cannot tell it made them: " + key in result.output
