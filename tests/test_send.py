"""`dripcourse send` through a real SMTP server (aiosmtpd on 127.0.0.1) that keeps every message it gets."""

from __future__ import annotations

import fcntl
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from functools import cache
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from dripcourse import mergetags
from dripcourse.build import load_course, render_course
from dripcourse.cli import app
from dripcourse.drip import session
from dripcourse.drip.compose import LessonMessage, Recipient, send_key, verify_unsubscribe
from dripcourse.drip.ledger import boot_id, open_ledger
from dripcourse.message import build_message, message_bytes
from dripcourse.model import BuiltEmail
from dripcourse.syllabus import CourseInfo
from services.smtp import SmtpServer
from services.world import FIXTURES, SECRET, World

MONDAY_NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    with SmtpServer() as running:
        yield running


@pytest.fixture
def world(tmp_path: Path, server: SmtpServer) -> World:
    return World(tmp_path, server.env())


def parsed(data: bytes) -> EmailMessage:
    return message_from_bytes(data, policy=policy.default)  # type: ignore[return-value]


def body(msg: EmailMessage, kind: str) -> str:
    part = msg.get_body((kind,))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def ledger_rows(world: World) -> list[tuple[str, str, str, str | None]]:
    ledger = open_ledger(world.course / "ledger.sqlite")
    try:
        rows = ledger.query(
            "SELECT s.email, d.lesson, d.state, d.reason FROM sends d JOIN subscribers s ON s.id = d.subscriber_id"
            " ORDER BY s.email, d.position"
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]
    finally:
        ledger.close()


def test_day_zero_goes_to_everyone_with_their_own_values(world: World, server: SmtpServer) -> None:
    world.at(MONDAY_NOON)
    world.sign_up(
        [
            ("zoe@readers.example", "Zoë", MONDAY_NOON - timedelta(minutes=5), "Europe/London"),
            ("nameless@readers.example", "", MONDAY_NOON - timedelta(minutes=1), ""),
        ]
    )
    report = world.send()
    assert (report.sent, report.failed, report.skipped) == (2, 0, {})
    by_to = {m.recipients[0]: parsed(m.data) for m in server.messages}
    assert sorted(by_to) == ["nameless@readers.example", "zoe@readers.example"]
    zoe, nameless = by_to["zoe@readers.example"], by_to["nameless@readers.example"]
    assert str(zoe["To"]) == "Zoë <zoe@readers.example>"
    assert str(nameless["To"]) == "nameless@readers.example"
    assert "Hi Zoë," in body(zoe, "plain") and "Hi Zoë," in body(zoe, "html")
    assert "Hi there," in body(nameless, "plain") and "Hi there," in body(nameless, "html")
    assert [p.get_content_type() for p in zoe.iter_parts()] == ["text/plain", "text/html"]
    for address, msg in by_to.items():
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        link = str(msg["List-Unsubscribe"]).strip("<>")
        query = parse_qs(urlsplit(link).query)
        assert link.startswith("https://tea-at-home.example/unsubscribe?")
        assert query["email"] == [address]
        assert verify_unsubscribe(address, query["sig"][0], SECRET)
        assert not verify_unsubscribe(address, query["sig"][0], "another-secret-entirely")
        # the same per-subscriber link is the one in the body
        assert link in body(msg, "plain")
        assert msg["Message-ID"] == send_key(load_course(world.course).syllabus.course, address, "welcome")
        assert msg["Date"] == "Mon, 02 Mar 2026 12:00:00 +0000"
    assert all(m.envelope_from == "mira@tea-at-home.example" for m in server.messages)


@cache
def mini_welcome() -> tuple[CourseInfo, BuiltEmail, LessonMessage]:
    course = load_course(FIXTURES / "mini")
    built = render_course(course, MONDAY_NOON.date())[0]
    return course.syllabus.course, built, LessonMessage(built, course.syllabus.course, SECRET)


@settings(max_examples=30, deadline=None, phases=(Phase.explicit, Phase.reuse, Phase.generate))
@given(name=st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zs", "Zl", "Zp")), max_size=30))
def test_a_filled_message_is_the_message_build_message_makes(name: str) -> None:
    """The fast per-subscriber path must give the same message as the email package's builder."""
    info, built, lesson = mini_welcome()
    name = name.replace("=?", "")
    if any(ch in name for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"):
        return
    fast = lesson.fill(Recipient("ann@readers.example", name), MONDAY_NOON)
    # the per-lesson markers give what the one merge-tag filler gives for this subscriber
    write = mergetags.value_writer(
        lambda tag: lesson.values(tag, Recipient("ann@readers.example", name), fast.unsubscribe)
    )
    assert fast.html == mergetags.fill(built.rendered.html, built.rendered.tags, write, html=True)
    assert fast.text == mergetags.fill(built.rendered.text, built.rendered.tags, write, html=False)
    slow = build_message(
        info,
        "welcome",
        built.rendered.lesson.email.subject,
        fast.text,
        fast.html,
        MONDAY_NOON,
        fast.unsubscribe,
        to=(name, "ann@readers.example"),
    )
    slow.replace_header("Message-ID", fast.key)
    a, b = parsed(fast.mime), parsed(message_bytes(slow))
    # The email package folds a long encoded name into several words and decodes a space between them; our To
    # is one encoded word, which gives the name back exactly.
    assert sorted((k, str(v)) for k, v in a.items() if k != "To") == sorted(
        (k, str(v)) for k, v in b.items() if k != "To"
    )
    (address,) = a["To"].addresses
    assert (address.display_name, address.addr_spec) == (name, "ann@readers.example")
    assert body(a, "plain") == body(b, "plain")
    assert body(a, "html") == body(b, "html")


def test_nothing_twice_and_the_next_lesson_at_its_planned_time(world: World, server: SmtpServer) -> None:
    world.at(MONDAY_NOON)
    world.sign_up([("ann@readers.example", "Ann", MONDAY_NOON, "Europe/London")])
    assert world.send().sent == 1
    assert world.send().sent == 0
    # Day 2 after a Monday signup is Wednesday, at 07:30 in London (GMT in early March).
    world.at(datetime(2026, 3, 4, 7, 29, 59, tzinfo=UTC))
    assert world.send().sent == 0
    world.at(datetime(2026, 3, 4, 7, 30, tzinfo=UTC))
    assert world.send().sent == 1
    assert world.send().sent == 0
    assert [parsed(m.data)["Subject"] for m in server.messages] == [
        "Your first better cup",
        "The ingredient you forget",
    ]
    assert ledger_rows(world) == [
        ("ann@readers.example", "welcome", "sent", None),
        ("ann@readers.example", "water-matters", "sent", None),
    ]


def test_unsubscribed_addresses_are_skipped_with_the_reason(world: World, server: SmtpServer) -> None:
    world.at(MONDAY_NOON)
    world.sign_up([("ann@readers.example", "Ann", MONDAY_NOON, ""), ("bob@readers.example", "Bob", MONDAY_NOON, "")])
    world.unsubscribe("BOB@readers.example")
    report = world.send()
    assert (report.sent, report.skipped) == (1, {"unsubscribed": 1})
    assert [m.recipients for m in server.messages] == [["ann@readers.example"]]
    assert ledger_rows(world) == [
        ("ann@readers.example", "welcome", "sent", None),
        ("bob@readers.example", "welcome", "skipped", "unsubscribed"),
    ]


def test_the_unsubscribe_file_is_read_again_between_messages(world: World, server: SmtpServer) -> None:
    world.at(MONDAY_NOON)
    world.sign_up([(f"r{i}@readers.example", "", MONDAY_NOON, "") for i in range(3)])
    original = server.mailbox.handle_DATA

    async def unsubscribe_the_last(*args):  # type: ignore[no-untyped-def]
        world.unsubscribe("r2@readers.example")  # arrives while the run is under way
        return await original(*args)

    server.mailbox.handle_DATA = unsubscribe_the_last  # type: ignore[method-assign]
    report = world.send()
    assert (report.sent, report.skipped) == (2, {"unsubscribed": 1})


def test_a_hard_bounce_is_recorded_and_the_address_suppressed(world: World, server: SmtpServer) -> None:
    world.at(MONDAY_NOON)
    world.sign_up([("gone@readers.example", "", MONDAY_NOON, ""), ("ann@readers.example", "", MONDAY_NOON, "")])
    server.mailbox.refuse["gone@readers.example"] = "550 5.1.1 <gone@readers.example>: user unknown"
    report = world.send()
    assert (report.sent, report.failed) == (1, 1)
    world.at(datetime(2026, 3, 4, 7, 30, tzinfo=UTC))
    del server.mailbox.refuse["gone@readers.example"]
    report = world.send()
    assert (report.sent, report.skipped) == (1, {"suppressed": 1})
    reason = "RCPT TO: 550 5.1.1 <gone@readers.example>: user unknown"
    assert ledger_rows(world) == [
        ("ann@readers.example", "welcome", "sent", None),
        ("ann@readers.example", "water-matters", "sent", None),
        ("gone@readers.example", "welcome", "failed", reason),
        ("gone@readers.example", "water-matters", "skipped", f"suppressed: {reason}"),
    ]
    assert [m.recipients[0] for m in server.messages] == ["ann@readers.example"] * 2


def test_transient_errors_are_retried_with_backoff_then_deferred(world: World, server: SmtpServer) -> None:
    world.at(MONDAY_NOON)
    world.sign_up([("ann@readers.example", "", MONDAY_NOON, "")])
    server.mailbox.refuse["ann@readers.example"] = "451 4.3.0 try again later"
    report = world.send(retries=3, backoff=2.0)
    assert (report.sent, report.deferred) == (0, 1)
    assert report.stopped is None  # one address refused for now does not stop the run
    assert world.sleeps == [2.0, 4.0, 8.0]
    assert ledger_rows(world) == [
        ("ann@readers.example", "welcome", "deferred", "RCPT TO: 451 4.3.0 try again later (after 4 tries)")
    ]
    del server.mailbox.refuse["ann@readers.example"]
    assert world.send().sent == 0  # deferred: not before its retry time
    world.advance(minutes=2)
    assert world.send().sent == 1
    assert ledger_rows(world) == [("ann@readers.example", "welcome", "sent", None)]


def test_a_provider_that_keeps_failing_stops_the_run_with_exit_1(world: World, server: SmtpServer) -> None:
    world.at(MONDAY_NOON)
    world.sign_up([(f"r{i}@readers.example", "", MONDAY_NOON, "") for i in range(7)])
    for i in range(7):
        server.mailbox.refuse[f"r{i}@readers.example"] = "421 4.3.2 shutting down"
    report = world.send(retries=1, backoff=0.5)
    assert (report.sent, report.deferred) == (0, 5)
    assert report.stopped == "smtp keeps failing: RCPT TO: 421 4.3.2 shutting down"
    assert world.sleeps == [0.5] * 5
    server.stop()
    result = cli_send(world)
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert result.output.endswith(  # type: ignore[attr-defined]
        f"Error: stopped: cannot connect to 127.0.0.1:{server.port}: [Errno 111] Connection refused\n"
    )


def test_late_lessons_go_out_within_the_catch_up_window_or_are_skipped_with_why(
    world: World, server: SmtpServer
) -> None:
    world.at(MONDAY_NOON)
    world.sign_up(
        [
            ("recent@readers.example", "", MONDAY_NOON - timedelta(hours=3), ""),  # 3 hours late: still sent
            ("old@readers.example", "", MONDAY_NOON - timedelta(hours=30), ""),  # Sunday 06:00: outside 24 h
            # Thursday's signup: Day 2 rolls to Monday 07:30, already due, so Day 0 is skipped for it
            ("thursday@readers.example", "", datetime(2026, 2, 26, 12, 0, tzinfo=UTC), ""),
        ]
    )
    report = world.send(catch_up=timedelta(hours=120))
    assert (report.sent, report.skipped) == (3, {"too late": 1})
    report = world.send()
    assert report.sent == 0
    assert ledger_rows(world)[:2] == [
        ("old@readers.example", "welcome", "sent", None),
        ("recent@readers.example", "welcome", "sent", None),
    ]
    assert ledger_rows(world)[2:] == [
        (
            "thursday@readers.example",
            "welcome",
            "skipped",
            "too late: due 2026-02-26T12:00:00Z, and the next lesson (water-matters) is due too",
        ),
        ("thursday@readers.example", "water-matters", "sent", None),
    ]


def test_outside_the_window_is_skipped(world: World, server: SmtpServer) -> None:
    world.at(MONDAY_NOON)
    world.sign_up([("old@readers.example", "", MONDAY_NOON - timedelta(hours=30), "")])
    report = world.send(catch_up=timedelta(hours=24))
    assert (report.sent, report.skipped) == (0, {"too late": 1})
    assert ledger_rows(world) == [
        (
            "old@readers.example",
            "welcome",
            "skipped",
            "too late: due 2026-03-01T06:00:00Z, outside the 24-hour catch-up window",
        )
    ]


def test_subscribers_who_leave_the_list_get_nothing_more(world: World, server: SmtpServer) -> None:
    world.at(MONDAY_NOON)
    world.sign_up([("ann@readers.example", "", MONDAY_NOON, ""), ("bob@readers.example", "", MONDAY_NOON, "")])
    world.send()
    world.sign_up([("ann@readers.example", "", MONDAY_NOON, "")])
    world.at(datetime(2026, 3, 4, 7, 30, tzinfo=UTC))
    assert world.send().sent == 1
    assert [m.recipients[0] for m in server.messages][-1] == "ann@readers.example"


class SilentAfterData:
    """A real TCP SMTP peer that takes a whole message and drops the connection before answering it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.received = 0
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.sendall(b"220 silent ESMTP\r\n")
                buffer = b""
                while True:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    buffer += chunk
                    if buffer.endswith(b"\r\n.\r\n"):
                        self.received += 1
                        break
                    if buffer.upper().startswith(b"QUIT"):
                        conn.sendall(b"221 bye\r\n")
                        break
                    for command in (b"EHLO", b"MAIL", b"RCPT"):
                        if buffer.upper().startswith(command) and buffer.endswith(b"\r\n"):
                            conn.sendall(b"250 OK\r\n")
                            buffer = b""
                    if buffer.upper().startswith(b"DATA\r\n"):
                        conn.sendall(b"354 go ahead\r\n")
                        buffer = b""


def test_a_send_whose_answer_never_came_is_unresolved_until_decided(tmp_path: Path) -> None:
    silent = SilentAfterData()
    env = {
        "DRIPCOURSE_SMTP_HOST": "127.0.0.1",
        "DRIPCOURSE_SMTP_PORT": str(silent.port),
        "DRIPCOURSE_SMTP_SECURITY": "none",
    }
    world = World(tmp_path, env)
    world.at(MONDAY_NOON)
    world.sign_up([("ann@readers.example", "", MONDAY_NOON, "")])
    report = world.send()
    assert (report.sent, report.unresolved) == (0, 1)
    assert silent.received == 1
    assert world.send().sent == 0  # never retried on its own
    cli_env = {**world.env}
    listing = CliRunner().invoke(app, ["send", str(world.course), "--unresolved"], env=cli_env)
    assert listing.exit_code == 0, listing.output
    key = send_key(load_course(world.course).syllabus.course, "ann@readers.example", "welcome")
    assert listing.output == (
        f"welcome:ann@readers.example  unresolved  smtp  {key}\n"
        "1 unresolved; settle each with --mark-sent SLUG:EMAIL or --resend SLUG:EMAIL\n"
    )
    wrong = CliRunner().invoke(
        app, ["send", str(world.course), "--mark-sent", "welcome:bob@readers.example"], env=cli_env
    )
    assert wrong.exit_code == 2
    assert wrong.output == "Error: no unresolved send 'welcome:bob@readers.example' (write it as SLUG:EMAIL)\n"
    done = CliRunner().invoke(
        app, ["send", str(world.course), "--mark-sent", "welcome:ann@readers.example"], env=cli_env
    )
    assert done.output == "Settled 1 unresolved send\n"
    assert ledger_rows(world) == [("ann@readers.example", "welcome", "sent", "marked as sent by hand")]


def test_resend_puts_an_unresolved_send_back_in_the_queue(tmp_path: Path, server: SmtpServer) -> None:
    silent = SilentAfterData()
    env = {
        "DRIPCOURSE_SMTP_HOST": "127.0.0.1",
        "DRIPCOURSE_SMTP_PORT": str(silent.port),
        "DRIPCOURSE_SMTP_SECURITY": "none",
    }
    world = World(tmp_path, env)
    world.at(MONDAY_NOON)
    world.sign_up([("ann@readers.example", "", MONDAY_NOON, "")])
    world.send()
    session.decide(world.course, None, [("welcome:ann@readers.example", False)], world.now)
    world.env = {**world.env, **server.env()}
    assert world.send().sent == 1
    assert len(server.messages) == 1


def leave_claims(world: World, boot: str | None) -> None:
    """What a sender killed right after claiming its batch leaves: claims, and its row in `senders` (with another
    boot of the machine when `boot` is given, as if the machine had restarted since)."""
    world.send(limit=0)  # reads the list into the ledger, sends nothing
    ledger = open_ledger(world.course / "ledger.sqlite")
    assert ledger.start_sender()
    assert len(ledger.claim(int(world.now), 10)) == 2
    if boot is not None:
        ledger.execute("UPDATE senders SET boot_id = ? WHERE id = ?", (boot, ledger.sender))
    ledger.close()


@pytest.mark.skipif(boot_id() is None, reason="the boot of the machine cannot be told here (not Linux)")
def test_claims_of_a_killed_sender_go_out_once_on_the_same_boot(world: World, server: SmtpServer) -> None:
    world.at(MONDAY_NOON)
    world.sign_up([("ann@readers.example", "", MONDAY_NOON, ""), ("bob@readers.example", "", MONDAY_NOON, "")])
    leave_claims(world, None)
    report = world.send()
    assert (report.released, report.sent, report.unresolved) == (2, 2, 0)
    assert sorted(m.recipients[0] for m in server.messages) == ["ann@readers.example", "bob@readers.example"]


@pytest.mark.skipif(boot_id() is None, reason="the boot of the machine cannot be told here (not Linux)")
def test_claims_from_before_a_restart_of_the_machine_are_unresolved(world: World, server: SmtpServer) -> None:
    # The unflushed `sending` marks of such a sender may be lost: a claim can hide a message that went out.
    world.at(MONDAY_NOON)
    world.sign_up([("ann@readers.example", "", MONDAY_NOON, ""), ("bob@readers.example", "", MONDAY_NOON, "")])
    leave_claims(world, "an-earlier-boot")
    report = world.send()
    assert (report.released, report.sent, report.unresolved) == (0, 0, 2)
    assert server.messages == []
    reason = "claimed by a sender whose machine restarted; it may have been sent"
    assert ledger_rows(world) == [
        ("ann@readers.example", "welcome", "unresolved", reason),
        ("bob@readers.example", "welcome", "unresolved", reason),
    ]
    session.decide(world.course, None, [("welcome:ann@readers.example", False)], world.now)
    assert world.send().sent == 1
    assert [m.recipients[0] for m in server.messages] == ["ann@readers.example"]


def cli_send(world: World, *extra: str) -> object:
    args = ["send", str(world.course), "--via", "smtp", "--subscribers", str(world.subscribers), *extra]
    return CliRunner().invoke(app, args, env=world.env)


def test_cli_sends_and_status_counts(world: World, server: SmtpServer) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    world.sign_up(
        [("ann@readers.example", "Ann", now, ""), ("not-an-address", "", now, ""), ("bob@readers.example", "", now, "")]
    )
    result = cli_send(world)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert result.output == (  # type: ignore[attr-defined]
        f"Skipped: {world.subscribers}:3: email: not an email address: 'not-an-address'\nSent 2, failed 0, skipped 0\n"
    )
    status = CliRunner().invoke(app, ["status", str(world.course)], env=world.env)
    assert status.exit_code == 0, status.output
    lines = status.output.splitlines()
    assert lines[0].split() == ["lesson", "sent", "due", "waiting", "sending", "failed", "skipped", "unresolved"]
    assert lines[1].split() == ["1", "welcome", "2", "0", "0", "0", "0", "0", "0"]
    assert lines[2].split() == ["2", "water-matters", "0", "0", "2", "0", "0", "0", "0"]
    assert lines[3] == "2 subscribers, 2 on the current list, 0 suppressed"
    person = CliRunner().invoke(app, ["status", str(world.course), "--subscriber", "ANN@readers.example"])
    assert person.output.splitlines()[4].split()[:2] == ["welcome", "sent"]
    assert person.output.splitlines()[5].split()[:2] == ["water-matters", "planned"]


def test_cli_needs_the_unsubscribe_secret(world: World) -> None:
    world.sign_up([])
    world.env.pop("DRIPCOURSE_UNSUBSCRIBE_SECRET")
    result = cli_send(world)
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert result.output == (  # type: ignore[attr-defined]
        "Error: set DRIPCOURSE_UNSUBSCRIBE_SECRET to a random string of at least 16 characters: it signs each"
        " subscriber's one-click unsubscribe link (see the README)\n"
    )


def test_cli_input_errors(world: World) -> None:
    result = CliRunner().invoke(app, ["send", str(world.course)], env=world.env)
    assert (result.exit_code, result.output) == (
        2,
        "Error: --via is required: smtp, ses, postmark, sendgrid, mailgun or listmonk\n",
    )
    missing = cli_send(world)
    assert (missing.exit_code, missing.output) == (2, f"Error: {world.subscribers}: file not found\n")  # type: ignore[attr-defined]
    result = CliRunner().invoke(app, ["send", str(world.course), "--via", "pigeon", "-s", "x.csv"], env=world.env)
    assert (result.exit_code, result.output) == (
        1,
        "Error: --via must be one of smtp, ses, postmark, sendgrid, mailgun, listmonk, got 'pigeon'\n",
    )
    no_ledger = CliRunner().invoke(app, ["status", str(world.course)])
    assert (no_ledger.exit_code, no_ledger.output) == (
        1,
        f"Error: {world.course / 'ledger.sqlite'}: no ledger here yet: nothing has been sent (run dripcourse send first)\n",
    )


def test_a_second_sender_on_one_sqlite_ledger_steps_aside(world: World, server: SmtpServer) -> None:
    world.at(MONDAY_NOON)
    world.sign_up([("ann@readers.example", "", MONDAY_NOON, "")])
    world.send()  # creates the ledger
    with (world.course / "ledger.sqlite.lock").open("a") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        result = cli_send(world)
    assert result.exit_code == 0  # type: ignore[attr-defined]
    assert result.output == "Another dripcourse send is using this ledger; nothing to do.\n"  # type: ignore[attr-defined]


def test_the_ledger_refuses_another_course_and_reordered_lessons(world: World, server: SmtpServer) -> None:
    world.at(MONDAY_NOON)
    world.sign_up([("ann@readers.example", "", MONDAY_NOON, "")])
    world.send()
    syllabus = world.course / "syllabus.yaml"
    text = syllabus.read_text(encoding="utf-8")
    syllabus.write_text(text.replace("slug: water-matters", "slug: water"), encoding="utf-8")
    result = cli_send(world)
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert result.output == (  # type: ignore[attr-defined]
        f"Error: {world.course / 'ledger.sqlite'}: the ledger's lessons are welcome, water-matters; the syllabus now"
        " has welcome, water. Lessons can be added at the end, but not renamed, reordered or removed while a course runs\n"
    )
    syllabus.write_text(text.replace("title: Tea at Home", "title: Coffee at Home"), encoding="utf-8")
    result = cli_send(world)
    assert result.output == (  # type: ignore[attr-defined]
        f"Error: {world.course / 'ledger.sqlite'}: this ledger belongs to the course 'Tea at Home', not 'Coffee at Home'\n"
    )


def test_rows_appended_to_the_list_are_read_alone_with_their_own_line_numbers(world: World, server: SmtpServer) -> None:
    world.at(MONDAY_NOON)
    world.sign_up([("ann@readers.example", "", MONDAY_NOON, "")])
    assert world.send().sent == 1
    with world.subscribers.open("a", encoding="utf-8") as out:
        out.write(f"bob@readers.example,Bob,{MONDAY_NOON.isoformat()},\nnot-an-address,,{MONDAY_NOON.isoformat()},\n")
    report = world.send()
    assert report.sent == 1
    assert report.list_report is not None
    assert report.list_report.rows == 1  # only the new rows were read
    assert [str(p) for p in report.list_report.problems] == [
        f"{world.subscribers}:4: email: not an email address: 'not-an-address'"
    ]
    assert [m.recipients[0] for m in server.messages] == ["ann@readers.example", "bob@readers.example"]
