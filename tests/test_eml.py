"""Every .eml parses back with Python's email package: parts in order, headers, CRLF line ends."""

from __future__ import annotations

import email
import email.policy
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def built_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from conftest import FIXTURES

    out = tmp_path_factory.mktemp("eml") / "out"
    env_date = {"SOURCE_DATE_EPOCH": "1767225600"}
    import os

    subprocess.run(
        [sys.executable, "-m", "dripcourse", "build", str(FIXTURES / "mini"), "--out", str(out)],
        check=True,
        env={**os.environ, **env_date},
    )
    return out


def messages(out: Path) -> list[tuple[Path, bytes]]:
    return [(p, p.read_bytes()) for p in sorted((out / "emails").glob("*.eml"))]


def test_every_eml_is_multipart_alternative_text_first(built_out: Path) -> None:
    found = messages(built_out)
    assert len(found) == 2
    for _path, data in found:
        msg = email.message_from_bytes(data, policy=email.policy.default)
        assert msg.get_content_type() == "multipart/alternative"
        parts = list(msg.iter_parts())
        assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
        assert parts[0].get_content_charset() == "utf-8"
        assert "<!DOCTYPE html>" in parts[1].get_content()


def test_headers(built_out: Path) -> None:
    data = (built_out / "emails" / "02-water-matters.eml").read_bytes()
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert msg["From"] == "Mira Lane <mira@tea-at-home.example>"
    assert msg["Reply-To"] == "hello@tea-at-home.example"
    assert msg["Subject"] == "The ingredient you forget"
    assert msg["Date"] == "Mon, 05 Jan 2026 07:30:00 +0000"  # Day 2 lands on a Saturday and rolls to Monday
    assert msg["Message-ID"].startswith("<water-matters.") and msg["Message-ID"].endswith("@tea-at-home.example>")
    assert msg["List-Unsubscribe"] == "<https://tea-at-home.example/unsubscribe>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_crlf_line_ends_only(built_out: Path) -> None:
    for _path, data in messages(built_out):
        assert b"\r\n" in data
        assert data.count(b"\n") == data.count(b"\r\n")
        assert max(len(line) for line in data.split(b"\r\n")) <= 998


def test_non_ascii_subject_is_encoded(mini_course: Path, tmp_path: Path) -> None:
    from datetime import date

    from dripcourse.build import build

    syllabus = mini_course / "syllabus.yaml"
    syllabus.write_text(
        syllabus.read_text().replace("Your first better cup", "Ton premier thé — réussi"), encoding="utf-8"
    )
    build(mini_course, tmp_path / "out", date(2026, 1, 5))
    data = (tmp_path / "out" / "emails" / "01-welcome.eml").read_bytes()
    raw_subject = next(line for line in data.split(b"\r\n") if line.startswith(b"Subject:"))
    assert b"=?utf-8?" in raw_subject
    assert data.isascii()
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert msg["Subject"] == "Ton premier thé — réussi"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ((b"Content-Type: text/html", b"Content-Type: text/calendar"), "is not one text part and one HTML part"),
        ((b"Content-Type: text/plain", b"Content-Type: application/pdf"), "is not one text part and one HTML part"),
        ((b"--\r\n", b"\r\n"), "does not parse back"),
    ],
)
def test_the_read_back_check_sees_the_parts(built_out: Path, change: tuple[bytes, bytes], message: str) -> None:
    """A built .eml passes the check it was written through; with a part changed after, it fails."""
    from dripcourse.headers import HeaderError, verify

    data = sorted((built_out / "emails").glob("*.eml"))[0].read_bytes()
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    expected: dict[str, str | None] = {name: None for name in parsed}
    verify(data, expected, "the email")
    old, new = change
    at = data.rindex(old) if old == b"--\r\n" else data.index(old)
    with pytest.raises(HeaderError) as caught:
        verify(data[:at] + new + data[at + len(old) :], expected, "the email")
    assert message in str(caught.value)
