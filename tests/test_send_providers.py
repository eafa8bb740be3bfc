"""`send` through the HTTP providers, each against a local server that speaks its API as the service documents
it and checks every request against the published request schema (tests/contracts/), and SES through botocore
(parameter validation on) against a local SES v2 endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dripcourse.cli import app
from dripcourse.drip.ledger import open_ledger
from services.httpbase import ApiServer, Reply
from services.listmonk import ListmonkServer
from services.mailgun import MailgunServer
from services.postmark import PostmarkServer
from services.sendgrid import SendgridServer
from services.ses import MAX_SEND_RATE, SesServer
from services.world import World

MONDAY_NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
PEOPLE = [
    ("zoe@readers.example", "Zoë", MONDAY_NOON - timedelta(minutes=5), "Europe/London"),
    ("nameless@readers.example", "", MONDAY_NOON - timedelta(minutes=3), ""),
    ("ann@readers.example", "Ann", MONDAY_NOON - timedelta(minutes=1), ""),
]
SERVERS = {"postmark": PostmarkServer, "sendgrid": SendgridServer, "mailgun": MailgunServer, "ses": SesServer}


def world_for(tmp_path: Path, server: ApiServer, via: str) -> World:
    world = World(tmp_path, server.env(), via=via)  # type: ignore[attr-defined]
    world.at(MONDAY_NOON)
    world.sign_up(PEOPLE)
    return world


def delivered(server: ApiServer, via: str) -> list[tuple[str, str, str, str]]:
    """(recipient, HTML, List-Unsubscribe, List-Unsubscribe-Post) of every message the server accepted."""
    found = []
    if isinstance(server, PostmarkServer):
        for m in server.sent:
            headers = {h["Name"]: h["Value"] for h in m["Headers"]}
            found.append((m["Recipient"], m["HtmlBody"], headers["List-Unsubscribe"], headers["List-Unsubscribe-Post"]))
    elif isinstance(server, SendgridServer):
        for m in server.sent:
            to = m["personalizations"][0]["to"][0]["email"]
            html = next(c["value"] for c in m["content"] if c["type"] == "text/html")
            found.append((to, html, m["headers"]["List-Unsubscribe"], m["headers"]["List-Unsubscribe-Post"]))
    elif isinstance(server, MailgunServer | SesServer):
        for to, msg in server.sent:
            html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
            found.append((to, html, str(msg["List-Unsubscribe"]), str(msg["List-Unsubscribe-Post"])))
    return sorted(found)


def rows(world: World) -> list[tuple[object, ...]]:
    ledger = open_ledger(world.course / "ledger.sqlite")
    try:
        return ledger.query(
            "SELECT s.email, d.lesson, d.state, d.reason FROM sends d JOIN subscribers s ON s.id = d.subscriber_id"
            " ORDER BY s.email, d.position"
        )
    finally:
        ledger.close()


@pytest.fixture(params=sorted(SERVERS))
def service(request: pytest.FixtureRequest) -> Iterator[tuple[str, ApiServer]]:
    with SERVERS[request.param]() as server:
        yield request.param, server


def test_each_provider_delivers_every_subscriber_once_with_their_values(
    tmp_path: Path, service: tuple[str, ApiServer]
) -> None:
    via, server = service
    world = world_for(tmp_path, server, via)
    report = world.send()
    assert (report.sent, report.failed, report.skipped, report.unresolved) == (3, 0, {}, 0)
    assert world.send().sent == 0
    assert server.violations == []
    got = delivered(server, via)
    assert [to for to, *_ in got] == ["ann@readers.example", "nameless@readers.example", "zoe@readers.example"]
    greetings = {to: html for to, html, _, _ in got}
    assert "Hi Ann," in greetings["ann@readers.example"]
    assert "Hi Zoë," in greetings["zoe@readers.example"]
    assert "Hi there," in greetings["nameless@readers.example"]
    for to, _, unsubscribe, post in got:
        assert unsubscribe.startswith(f"<https://tea-at-home.example/unsubscribe?email={to}&sig=")
        assert post == "List-Unsubscribe=One-Click"


def test_rate_limits_are_waited_out_as_the_server_says(tmp_path: Path, service: tuple[str, ApiServer]) -> None:
    via, server = service
    if via == "ses":
        server.faults.append(
            ("status", Reply(200, {"SendQuota": {"MaxSendRate": MAX_SEND_RATE}, "SendingEnabled": True}))
        )
        server.faults.append(("status", Reply(200, {"SuppressedDestinationSummaries": []})))
        server.faults.append(
            (
                "status",
                Reply(
                    429, {"message": "Maximum sending rate exceeded."}, {"x-amzn-ErrorType": "TooManyRequestsException"}
                ),
            )
        )
    else:
        server.faults.append(("status", Reply(200, [] if via == "sendgrid" else {"Suppressions": [], "items": []})))
        if via == "sendgrid":
            server.faults.extend([("status", Reply(200, []))] * 3)
        if via == "mailgun":
            server.faults.extend([("status", Reply(200, {"items": [], "paging": {}}))] * 2)
        server.faults.append(
            (
                "status",
                Reply(
                    429,
                    {"ErrorCode": 429, "Message": "Rate limit exceeded", "message": "slow down"},
                    {"Retry-After": "7"},
                ),
            )
        )
    world = world_for(tmp_path, server, via)
    report = world.send()
    assert report.sent == 3
    if via == "ses":
        gap = 1 / MAX_SEND_RATE
        assert world.sleeps[0] == 2.0  # SES sends no Retry-After: the backoff
        assert world.sleeps[1:] == pytest.approx([gap, gap])  # the account's own per-second quota
    else:
        assert world.sleeps == [7.0]
    assert server.violations == []


def test_an_answer_lost_after_postmark_accepted_is_found_by_lookup_not_sent_again(tmp_path: Path) -> None:
    with PostmarkServer() as server:
        world = world_for(tmp_path, server, "postmark")
        server.faults.append(("status", Reply(200, {"Suppressions": []})))
        server.faults.append(("drop-after", None))  # Ann's is accepted; the answer never comes back
        server.faults.append(("drop-before", None))  # the next is dropped before Postmark sees it
        report = world.send()
        assert (report.sent, report.unresolved) == (1, 2)
        assert len(server.sent) == 2
        assert world.send(settle=300).resolved == 0  # too soon to trust the search: left alone
        world.advance(minutes=6)
        report = world.send(settle=300)
        assert (report.resolved, report.sent) == (2, 1)
        assert sorted(m["Recipient"] for m in server.sent) == sorted(p[0] for p in PEOPLE)
        assert [r[2:] for r in rows(world)] == [("sent", None), ("sent", None), ("sent", "confirmed by lookup")]


def test_postmark_inactive_recipients_and_suppressions(tmp_path: Path) -> None:
    with PostmarkServer() as server:
        server.inactive.add("ann@readers.example")
        server.suppressed["zoe@readers.example"] = "HardBounce"
        world = world_for(tmp_path, server, "postmark")
        report = world.send()
        assert (report.sent, report.failed, report.skipped) == (1, 1, {"suppressed": 1})
        assert rows(world) == [
            (
                "ann@readers.example",
                "welcome",
                "failed",
                "Postmark 422 (ErrorCode 406): You tried to send to recipient(s) that have been marked as inactive.",
            ),
            ("nameless@readers.example", "welcome", "sent", None),
            ("zoe@readers.example", "welcome", "skipped", "suppressed: Postmark suppression: HardBounce"),
        ]
        ledger = open_ledger(world.course / "ledger.sqlite")
        assert ledger.query("SELECT email, reason FROM suppressions ORDER BY email") == [
            ("ann@readers.example", "inactive recipient (Postmark 406)"),
            ("zoe@readers.example", "Postmark suppression: HardBounce"),
        ]
        ledger.close()


def test_bad_credentials_stop_with_one_message(tmp_path: Path, service: tuple[str, ApiServer]) -> None:
    via, server = service
    world = world_for(tmp_path, server, via)
    wrong = {
        "postmark": ("POSTMARK_SERVER_TOKEN", "nope"),
        "sendgrid": ("SENDGRID_API_KEY", "nope"),
        "mailgun": ("MAILGUN_API_KEY", "nope"),
        "ses": ("AWS_ACCESS_KEY_ID", "AKIDWRONG"),
    }[via]
    world.env[wrong[0]] = wrong[1]
    args = ["send", str(world.course), "--via", via, "--subscribers", str(world.subscribers)]
    result = CliRunner().invoke(app, args, env=world.env)
    assert result.exit_code == 1
    expected = {
        "postmark": "Error: Postmark refused the server token\n",
        "sendgrid": "Error: SendGrid refused the API key (it needs the Suppressions read scope)\n",
        "mailgun": "Error: Mailgun refused the API key for tea-at-home.example\n",
        "ses": "Error: AWS does not recognise these credentials (SES UnrecognizedClientException: The security token"
        " included in the request is invalid.)\n",
    }
    assert result.output == expected[via]


def test_missing_credentials_are_named(tmp_path: Path) -> None:
    world = World(tmp_path, {}, via="postmark")
    world.sign_up(PEOPLE)
    result = CliRunner().invoke(
        app, ["send", str(world.course), "--via", "postmark", "-s", str(world.subscribers)], env=world.env
    )
    assert (result.exit_code, result.output) == (
        1,
        "Error: --via postmark needs POSTMARK_SERVER_TOKEN in the environment\n",
    )


def test_provider_suppression_lists_are_read_before_sending(tmp_path: Path) -> None:
    with SendgridServer() as sendgrid:
        sendgrid.lists["bounces"].append({"email": "ann@readers.example", "created": 1, "reason": "550 no such user"})
        sendgrid.lists["spam_reports"].append({"email": "zoe@readers.example", "created": 1})
        world = world_for(tmp_path, sendgrid, "sendgrid")
        assert world.send().skipped == {"suppressed": 2}
        assert [r[3] for r in rows(world)] == [
            "suppressed: SendGrid bounce: 550 no such user",
            None,
            "suppressed: SendGrid spam report",
        ]
    with MailgunServer() as mailgun:
        for i in range(3):  # three bounces over two pages
            mailgun.lists["bounces"].append({"address": f"gone{i}@readers.example", "code": "550"})
        mailgun.lists["complaints"].append({"address": "ann@readers.example"})
        world = world_for(tmp_path / "mg", mailgun, "mailgun")
        world.sign_up([*PEOPLE, ("gone2@readers.example", "", MONDAY_NOON, "")])
        assert world.send().skipped == {"suppressed": 2}
        assert mailgun.violations == []


def test_mailgun_gets_our_own_mime_message(tmp_path: Path) -> None:
    with MailgunServer() as server:
        world = world_for(tmp_path, server, "mailgun")
        world.send()
        to, message = server.sent[0]
        assert message["Message-ID"].startswith("<welcome.")
        assert str(message["To"]).endswith(f"<{to}>") or str(message["To"]) == to
        assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]


def test_ses_rejections_and_its_suppression_list(tmp_path: Path) -> None:
    with SesServer() as server:
        server.rejected.add("ann@readers.example")
        server.suppressed.append(
            {"EmailAddress": "zoe@readers.example", "Reason": "COMPLAINT", "LastUpdateTime": 1_772_000_000}
        )
        world = world_for(tmp_path, server, "ses")
        report = world.send()
        assert (report.sent, report.failed, report.skipped) == (1, 1, {"suppressed": 1})
        assert [r[2:] for r in rows(world)] == [
            ("failed", "SES MessageRejected: Email address is not verified."),
            ("sent", None),
            ("skipped", "suppressed: SES suppression list: COMPLAINT"),
        ]
        server.paused = True
        world.sign_up([*PEOPLE, ("new@readers.example", "", datetime.now(UTC), "")])  # the command's own clock
        result = CliRunner().invoke(
            app, ["send", str(world.course), "--via", "ses", "-s", str(world.subscribers)], env=world.env
        )
    assert result.exit_code == 1
    assert result.output == (
        "Error: sending is paused for this SES account or configuration set"
        " (SES SendingPausedException: Sending is paused for this account.)\n"
    )


def test_listmonk_list_blocklist_and_unsubscribes_right_before_sending(tmp_path: Path) -> None:
    with ListmonkServer() as server:
        signed = (MONDAY_NOON - timedelta(minutes=2)).isoformat()
        server.add("ann@readers.example", "Ann Lee", signed, attribs={"timezone": "Europe/London"})
        server.add("bob@readers.example", "Bob Ray", signed)
        server.add("cat@readers.example", "Cat", signed, status="blocklisted")
        server.add("dan@readers.example", "Dan", signed, subscription="unsubscribed")
        server.add("eve@readers.example", "Eve", signed, attribs={"first_name": "Evie"})
        original = server.handle

        def unsubscribe_eve_on_first_send(request):  # type: ignore[no-untyped-def]
            if request.path == "/api/tx" and not server.sent:
                server.subscribers[4]["lists"][0]["subscription_status"] = "unsubscribed"
            return original(request)

        server.handle = unsubscribe_eve_on_first_send  # type: ignore[method-assign]
        world = World(tmp_path, server.env(), via="listmonk")
        world.at(MONDAY_NOON)
        from dripcourse.drip import session
        from dripcourse.drip.runner import SendOptions

        report = session.send(
            world.course,
            "listmonk",
            world.env,
            options=SendOptions(batch=1),
            clock=lambda: world.now,
            sleep=world.sleep,
        )
        assert (report.sent, report.skipped) == (2, {"unsubscribed": 1})
        assert server.violations == []
        sent = {m["subscriber_email"]: m for m in server.sent}
        assert sorted(sent) == ["ann@readers.example", "bob@readers.example"]
        assert "Hi Ann," in sent["ann@readers.example"]["data"]["html"]
        assert sent["bob@readers.example"]["headers"][1] == {"List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
        assert sent["ann@readers.example"]["template_id"] == 7
        assert rows(world)[-1] == ("eve@readers.example", "welcome", "skipped", "unsubscribed")
        ledger = open_ledger(world.course / "ledger.sqlite")
        assert ledger.query("SELECT email, reason FROM suppressions") == [("cat@readers.example", "listmonk blocklist")]
        ledger.close()
