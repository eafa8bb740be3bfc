"""Test sends against a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from typer.testing import CliRunner

from dripcourse.cli import app

PASSWORD = "s3cret-Pa55word"


@dataclass
class Inbox:
    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:  # aiosmtpd's port=0 does not work; find a free port first
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()

    def authenticate(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        ok = isinstance(auth_data, LoginPassword) and auth_data.password.decode() == PASSWORD
        if ok:
            inbox.logins.append(auth_data.login.decode())
        return AuthResult(success=ok, handled=False)

    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=authenticate, auth_require_tls=False)
    controller.start()
    yield inbox, port
    controller.stop()


def invoke(args: list[str], env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["send-test", *args], env={"DRIPCOURSE_SMTP_PASSWORD": "", **(env or {})})


def test_sends_one_email_parsed_back(smtp: tuple[Inbox, int], mini_course: Path) -> None:
    inbox, port = smtp
    result = invoke(
        [
            "--to",
            "me@writer.example",
            str(mini_course),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--security",
            "none",
        ]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Sent 1 test email to me@writer.example through 127.0.0.1:{port}\n"
    [(sender, recipients, data)] = inbox.messages
    assert (sender, recipients) == ("mira@tea-at-home.example", ["me@writer.example"])
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert msg["Subject"] == "[TEST] Your first better cup"
    assert msg["To"] == "me@writer.example"
    assert msg["List-Unsubscribe"] == "<https://tea-at-home.example/unsubscribe>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert "Hi Alex," in parts[0].get_content() and "Hi Alex," in parts[1].get_content()
    assert "dcmt" not in data.decode()


def test_all_with_login_to_localhost(smtp: tuple[Inbox, int], mini_course: Path) -> None:
    inbox, port = smtp
    result = invoke(
        ["--to", "me@writer.example", "--all", str(mini_course)],
        env={
            "DRIPCOURSE_SMTP_HOST": "127.0.0.1",
            "DRIPCOURSE_SMTP_PORT": str(port),
            "DRIPCOURSE_SMTP_SECURITY": "none",
            "DRIPCOURSE_SMTP_USER": "mira",
            "DRIPCOURSE_SMTP_PASSWORD": PASSWORD,
        },
    )
    assert result.exit_code == 0, result.output
    assert inbox.logins == ["mira"]
    assert len(inbox.messages) == 2
    assert PASSWORD not in result.output


def test_wrong_password_never_shows_the_password(smtp: tuple[Inbox, int], mini_course: Path) -> None:
    _, port = smtp
    wrong = "not-the-" + PASSWORD
    result = invoke(
        [
            "--to",
            "me@writer.example",
            str(mini_course),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--security",
            "none",
            "--user",
            "mira",
        ],
        env={"DRIPCOURSE_SMTP_PASSWORD": wrong},
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: SMTP login as mira failed: 535")
    assert wrong not in result.output and "Traceback" not in result.output


def test_refuses_to_log_in_unencrypted_to_a_remote_host(mini_course: Path) -> None:
    result = invoke(
        [
            "--to",
            "me@writer.example",
            str(mini_course),
            "--host",
            "mail.writer.example",
            "--security",
            "none",
            "--user",
            "mira",
        ],
        env={"DRIPCOURSE_SMTP_PASSWORD": PASSWORD},
    )
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: refusing to log in to mail.writer.example over an unencrypted connection; "
        "use --security starttls or ssl\n"
    )


def test_no_password_flag_exists() -> None:
    result = CliRunner().invoke(app, ["send-test", "--help"])
    assert "--password" not in result.output
    assert "DRIPCOURSE_SMTP_PASSWORD" in result.output


def test_unknown_slug_and_unreachable_server(mini_course: Path) -> None:
    result = invoke(["--to", "me@writer.example", "--email", "welcom", str(mini_course), "--host", "127.0.0.1"])
    assert result.exit_code == 2
    assert result.stderr == "Error: no email with slug 'welcom' (did you mean 'welcome'?)\n"
    closed = free_port()
    result = invoke(
        [
            "--to",
            "me@writer.example",
            str(mini_course),
            "--host",
            "127.0.0.1",
            "--port",
            str(closed),
            "--security",
            "none",
        ]
    )
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: sending through 127.0.0.1:{closed} failed: ")
