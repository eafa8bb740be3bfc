"""`send-test` against an SMTP server that is not there and a port that cannot be one: an unreachable server is the
environment's fault (exit 1), and `--port 0` is refused rather than quietly replaced by the default port."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from hostile import course, run


def closed_port() -> int:
    """A loopback port nothing listens on: bound, then released."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("security", ["none", "starttls"])
def test_a_refused_connection_is_an_environment_fault(tmp_path: Path, security: str) -> None:
    port = closed_port()
    args = ["--host", "127.0.0.1", "--port", str(port), "--security", security]
    outcome = run("send-test", "--to", "me@dest.example", course(tmp_path), *args, tmp=tmp_path)
    assert (outcome.code, outcome.out) == (1, "")
    assert outcome.err == f"Error: sending through 127.0.0.1:{port} failed: [Errno 111] Connection refused\n"


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--port", "0"], {}),
        ([], {"DRIPCOURSE_SMTP_PORT": "0"}),
    ],
    ids=["flag", "environment"],
)
def test_port_zero_is_refused_not_replaced_by_25(tmp_path: Path, args: list[str], env: dict[str, str]) -> None:
    folder = course(tmp_path)
    flags = ["--host", "127.0.0.1", "--security", "none", *args]
    outcome = run("send-test", "--to", "me@dest.example", folder, *flags, tmp=tmp_path, env=env)
    assert (outcome.code, outcome.out, outcome.err) == (2, "", "Error: the SMTP port must be from 1 to 65535, got 0\n")
