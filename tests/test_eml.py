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
