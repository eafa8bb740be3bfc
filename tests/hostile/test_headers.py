"""Hostile header input through the real CLI: every value that reaches a header is refused with its syllabus line,
or the built message parses back to exactly the headers dripcourse meant to write."""

from __future__ import annotations

from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path

import pytest

from conftest import named
from hostile import PREVIEW_HEADERS, course, eml, header_names, run

S = "Error: {tmp}/course/syllabus.yaml"
SUBJECT = "subject: Start small"
NAME = "name: Ada Rowe"
UNSUB = "unsubscribe_url: https://quiet-mornings.example/unsubscribe"
ENCODED = "contains '=?', the start of an RFC 2047 encoded word; write the text itself"


def bidi(code: str) -> str:
    return (
        f"contains the bidirectional control U+{code}, which makes text display in a different order from how it is"
        " written"
    )


def built(tmp_path: Path, edit: tuple[str, str]) -> EmailMessage:
    """The first preview .eml of the base course with one syllabus edit, which must build and carry exactly the
    preview headers."""
    outcome = run("build", course(tmp_path, edit), "--out", tmp_path / "out", tmp=tmp_path)
    assert outcome.code == 0, outcome.err
    msg = eml(tmp_path / "out")
    assert header_names(msg) == PREVIEW_HEADERS
    return msg


REFUSED = [
    (
        "subject-q-bcc",
        (SUBJECT, "subject: 'Hi =?utf-8?q?x=0D=0ABcc=3A_victim=40evil=2Eexample?='"),
        f"{S}:19:14: emails[0].subject: {ENCODED}",
    ),
    (
        "subject-b-body",
        (SUBJECT, "subject: 'Hi =?utf-8?b?DQoNCjxoMT5oaTwvaDE+?='"),
        f"{S}:19:14: emails[0].subject: {ENCODED}",
    ),
    (
        "subject-split-word",
        (SUBJECT, "subject: 'a =?utf-8?q?=0D?= =?utf-8?q?=0ABcc:_x@evil.example?='"),
        f"{S}:19:14: emails[0].subject: {ENCODED}",
    ),
    ("subject-upper-q", (SUBJECT, "subject: 'x =?UTF-8?Q?=0A?='"), f"{S}:19:14: emails[0].subject: {ENCODED}"),
    (
        "subject-lf",
        (SUBJECT, 'subject: "Hi\\nBcc: x@evil.example"'),
        f"{S}:19:14: emails[0].subject: contains a control character ('\\n'); it must be one line",
    ),
    (
        "subject-cr",
        (SUBJECT, 'subject: "Hi\\rBcc: x@evil.example"'),
        f"{S}:19:14: emails[0].subject: contains a control character ('\\r'); it must be one line",
    ),
    (
        "subject-u2028",
        (SUBJECT, 'subject: "Hi\\u2028Bcc: x@evil.example"'),
        f"{S}:19:14: emails[0].subject: contains a control character ('\\u2028'); it must be one line",
    ),
    (
        "subject-u2029",
        (SUBJECT, 'subject: "Hi\\u2029Bcc"'),
        f"{S}:19:14: emails[0].subject: contains a control character ('\\u2029'); it must be one line",
    ),
    (
        "subject-nel",
        (SUBJECT, 'subject: "Hi\\u0085Bcc"'),
        f"{S}:19:14: emails[0].subject: contains a control character ('\\x85'); it must be one line",
    ),
    (
        "subject-esc",
        (SUBJECT, 'subject: "Hi\\e[31m"'),
        f"{S}:19:14: emails[0].subject: contains a control character ('\\x1b'); it must be one line",
    ),
    (
        "subject-nul",
        (SUBJECT, 'subject: "Hi\\0"'),
        f"{S}:19:14: emails[0].subject: contains a control character ('\\x00'); it must be one line",
    ),
    (
        "subject-c1",
        (SUBJECT, 'subject: "Hi\\x9bX"'),
        f"{S}:19:14: emails[0].subject: contains the control character U+009B; it must be one line of plain text",
    ),
    ("subject-rlo", (SUBJECT, 'subject: "Start \\u202Esmall"'), f"{S}:19:14: emails[0].subject: {bidi('202E')}"),
    ("subject-lre", (SUBJECT, 'subject: "Start \\u202Asmall"'), f"{S}:19:14: emails[0].subject: {bidi('202A')}"),
    ("subject-lri", (SUBJECT, 'subject: "Start \\u2066small"'), f"{S}:19:14: emails[0].subject: {bidi('2066')}"),
    ("subject-pdi", (SUBJECT, 'subject: "Start small\\u2069"'), f"{S}:19:14: emails[0].subject: {bidi('2069')}"),
    (
        "preheader-rlo",
        ("preheader: One small habit beats a grand plan that never begins.", 'preheader: "\\u202EOne small habit"'),
        f"{S}:20:16: emails[0].preheader: {bidi('202E')}",
    ),
    (
        "name-encoded",
        (NAME, "name: '=?utf-8?q?x=0D=0ABcc=3A_v=40e=2Eexample?='"),
        f"{S}:5:11: course.sender.name: {ENCODED}",
    ),
    ("name-rlo", (NAME, 'name: "Ada \\u202Eewor"'), f"{S}:5:11: course.sender.name: {bidi('202E')}"),
    (
        "name-crlf",
        (NAME, 'name: "Ada\\r\\nBcc: x@evil.example"'),
        f"{S}:5:11: course.sender.name: contains a control character ('\\r'); it must be one line",
    ),
    (
        "name-folds-wrong",
        (NAME, f"name: {'Zoë ' * 30}Z"),
        f"{S}:5:11: course.sender.name: is too long to go into the From header unchanged (121 characters); shorten it",
    ),
    ("name-fsi", (NAME, 'name: "Ada \\u2068Rowe"'), f"{S}:5:11: course.sender.name: {bidi('2068')}"),
    (
        "title-rlo",
        ("title: Quiet Mornings", 'title: "Quiet \\u202EMornings"'),
        f"{S}:2:10: course.title: {bidi('202E')}",
    ),
    (
        "sender-email-lf",
        ("email: ada@quiet-mornings.example", 'email: "ada@quiet-mornings.example\\n"'),
        f"{S}:6:12: course.sender.email: contains a control character ('\\n'); it must be one line",
    ),
    (
        "sender-email-angle",
        ("email: ada@quiet-mornings.example", "email: 'ada@quiet-mornings.example>, <x@evil.example'"),
        f"{S}:6:12: course.sender.email: is not an email address: 'ada@quiet-mornings.example>, <x@evil.example'",
    ),
    (
        "reply-to-lf",
        ("  website:", '  reply_to: "hi@quiet-mornings.example\\nBcc: x@evil.example"\n  website:'),
        f"{S}:9:13: course.reply_to: contains a control character ('\\n'); it must be one line",
    ),
    (
        "reply-to-two",
        ("  website:", "  reply_to: 'a@quiet-mornings.example, x@evil.example'\n  website:"),
        f"{S}:9:13: course.reply_to: is not an email address: 'a@quiet-mornings.example, x@evil.example'",
    ),
    (
        "unsub-second-target",
        (UNSUB, "unsubscribe_url: 'https://h.example/u>, <mailto:c@evil.example'"),
        f"{S}:8:20: course.unsubscribe_url: holds '>', which a URL in a header may not; percent-encode it: 'https://h.example/u>, <mailto:c@evil.example'",
    ),
    (
        "unsub-comma",
        (UNSUB, "unsubscribe_url: 'https://h.example/u,mailto:c@evil.example'"),
        f"{S}:8:20: course.unsubscribe_url: holds ',', which a URL in a header may not; percent-encode it: 'https://h.example/u,mailto:c@evil.example'",
    ),
    (
        "unsub-space",
        (UNSUB, "unsubscribe_url: 'https://h.example/u x'"),
        f"{S}:8:20: course.unsubscribe_url: holds ' ', which a URL in a header may not; percent-encode it: 'https://h.example/u x'",
    ),
    (
        "unsub-encoded",
        (UNSUB, "unsubscribe_url: 'https://h.example/=?utf-8?q?=0D=0ABcc:x?='"),
        f"{S}:8:20: course.unsubscribe_url: {ENCODED}: 'https://h.example/=?utf-8?q?=0D=0ABcc:x?='",
    ),
    (
        "unsub-userinfo",
        (UNSUB, "unsubscribe_url: 'https://me:pw@h.example/u'"),
        f"{S}:8:20: course.unsubscribe_url: must not hold a user name or password: 'https://me:pw@h.example/u'",
    ),
    (
        "unsub-quote",
        (UNSUB, 'unsubscribe_url: "https://h.example/u\'x"'),
        f'{S}:8:20: course.unsubscribe_url: holds "\'", which a URL in a header may not; percent-encode it: "https://h.example/u\'x"',
    ),
    (
        "unsub-bad-port",
        (UNSUB, "unsubscribe_url: 'https://h.example:99999/u'"),
        f"{S}:8:20: course.unsubscribe_url: is not a URL (Port out of range 0-65535): 'https://h.example:99999/u'",
    ),
]


@pytest.mark.parametrize(("edit", "expected"), named(REFUSED))
def test_header_value_is_refused_with_its_line(tmp_path: Path, edit: tuple[str, str], expected: str) -> None:
    folder = course(tmp_path, edit)
    outcome = run("build", folder, "--out", tmp_path / "out", tmp=tmp_path)
    assert (outcome.code, outcome.out, outcome.err) == (2, "", expected + "\n")
    assert not (tmp_path / "out").exists()


# Inputs that are fine: each builds, and its .eml has exactly the intended headers, From naming one address.
ACCEPTED = [
    ("name-comma-angle", (NAME, "name: 'Lane, Mira <ceo@bank.example>'"), "Lane, Mira <ceo@bank.example>"),
    ("name-quotes", (NAME, "name: 'Mira \"The Tea\" Lane'"), 'Mira "The Tea" Lane'),
    ("name-backslash", (NAME, "name: 'Mira \\ Lane'"), "Mira \\ Lane"),
    ("name-non-ascii", (NAME, "name: Zoë Ünal-Şahin"), "Zoë Ünal-Şahin"),
    ("name-at-sign", (NAME, "name: 'ceo@bank.example'"), "ceo@bank.example"),
    ("name-semicolon", (NAME, "name: 'A; B: C'"), "A; B: C"),
    ("name-emoji-zwj", (NAME, 'name: "Ada \\U0001F469\\u200D\\U0001F4BB"'), "Ada \U0001f469\u200d\U0001f4bb"),
    ("name-rtl-mark", (NAME, 'name: "\\u05D0\\u05D3\\u05D4 \\u200F"'), "\u05d0\u05d3\u05d4 \u200f"),
    ("name-non-ascii-31", (NAME, "name: Zoë Ünal-Şahin of Tea at Home"), "Zoë Ünal-Şahin of Tea at Home"),
]


@pytest.mark.parametrize(("edit", "name"), named(ACCEPTED))
def test_sender_name_gives_exactly_one_from_address(tmp_path: Path, edit: tuple[str, str], name: str) -> None:
    msg = built(tmp_path, edit)
    assert [(a.display_name, a.addr_spec) for a in msg["From"].addresses] == [(name, "ada@quiet-mornings.example")]


SUBJECTS = [
    (
        "emoji-zwj",
        'subject: "Family \\U0001F468\\u200D\\U0001F469\\u200D\\U0001F467 time"',
        "Family 👨\u200d👩\u200d👧 time",
    ),
    ("colon-bcc-words", "subject: 'Bcc: not a header'", "Bcc: not a header"),
    ("long-non-ascii", f"subject: {'Ünïcödé ' * 18}end", "Ünïcödé " * 18 + "end"),
    ("cjk", "subject: 静かな朝のための小さな習慣", "静かな朝のための小さな習慣"),
    ("lrm", 'subject: "Start\\u200E small"', "Start\u200e small"),
    ("question-equals-apart", "subject: 'Why ? = maybe'", "Why ? = maybe"),
]


@pytest.mark.parametrize(("edit", "subject"), named(SUBJECTS))
def test_subject_reads_back_exactly(tmp_path: Path, edit: str, subject: str) -> None:
    msg = built(tmp_path, (SUBJECT, edit))
    assert "".join(str(msg["Subject"]).split()) == "".join(subject.split())


URLS = [
    ("idn-host", "unsubscribe_url: https://bücher.example/u", "<https://xn--bcher-kva.example/u>"),
    ("non-ascii-path", "unsubscribe_url: https://h.example/abmelden/ü", "<https://h.example/abmelden/%C3%BC>"),
    ("query-kept", "unsubscribe_url: https://h.example/u?list=7&x=%2C", "<https://h.example/u?list=7&x=%2C>"),
    ("port-kept", "unsubscribe_url: https://h.example:8443/u", "<https://h.example:8443/u>"),
]


@pytest.mark.parametrize(("edit", "header"), named(URLS))
def test_unsubscribe_url_is_one_reserialised_target(tmp_path: Path, edit: str, header: str) -> None:
    msg = built(tmp_path, (UNSUB, edit))
    assert str(msg["List-Unsubscribe"]) == header


SEND_TEST = [
    ("to-trailing-lf", ["--to", "me@dest.example\n"], "Error: --to is not an email address: 'me@dest.example\\n'"),
    (
        "to-crlf-bcc",
        ["--to", "me@dest.example\r\nBcc: x@evil.example"],
        "Error: --to is not an email address: 'me@dest.example\\r\\nBcc: x@evil.example'",
    ),
    (
        "to-two",
        ["--to", "me@dest.example, x@evil.example"],
        "Error: --to is not an email address: 'me@dest.example, x@evil.example'",
    ),
    ("to-display", ["--to", "Me <me@dest.example>"], "Error: --to is not an email address: 'Me <me@dest.example>'"),
    ("to-u2028", ["--to", "me@dest.example\u2028"], "Error: --to is not an email address: 'me@dest.example\\u2028'"),
    (
        "host-70-label",
        ["--to", "me@dest.example", "--host", "a" * 70 + ".example"],
        "Error: SMTP host '"
        + "a" * 70
        + ".example' has a label of 70 characters; each dot-separated part may be at most 63",
    ),
    (
        "host-lf",
        ["--to", "me@dest.example", "--host", "smtp.example\n"],
        "Error: SMTP host 'smtp.example\\n' is not a valid host name (letters, digits, hyphens and dots)",
    ),
    (
        "host-space",
        ["--to", "me@dest.example", "--host", "smtp example"],
        "Error: SMTP host 'smtp example' is not a valid host name (letters, digits, hyphens and dots)",
    ),
    (
        "host-300",
        ["--to", "me@dest.example", "--host", ".".join(["abcdefghij"] * 28)],
        "Error: SMTP host '" + ".".join(["abcdefghij"] * 28) + "' is 307 characters; a host name may be at most 253",
    ),
    (
        "port-70000",
        ["--to", "me@dest.example", "--host", "localhost", "--port", "70000"],
        "Error: the SMTP port must be from 1 to 65535, got 70000",
    ),
]


@pytest.mark.parametrize(("args", "expected"), named(SEND_TEST))
def test_send_test_refuses_before_connecting(tmp_path: Path, args: list[str], expected: str) -> None:
    outcome = run("send-test", *args, course(tmp_path), tmp=tmp_path, env={"DRIPCOURSE_SMTP_HOST": ""})
    assert (outcome.code, outcome.out, outcome.err) == (2, "", expected + "\n")


def test_listmonk_from_email_is_one_quoted_address(tmp_path: Path) -> None:
    import json

    folder = course(tmp_path, (NAME, "name: 'Lane, Mira <ceo@bank.example>'"))
    outcome = run("export", "listmonk", folder, "--out", tmp_path / "x", tmp=tmp_path)
    assert outcome.code == 0, outcome.err
    (first, *_) = sorted((tmp_path / "x").rglob("*.json"))
    campaigns = [json.loads(p.read_text()) for p in sorted((tmp_path / "x").rglob("*.json"))]
    senders = {c["from_email"] for c in campaigns if isinstance(c, dict) and "from_email" in c}
    assert senders == {'"Lane, Mira <ceo@bank.example>" <ada@quiet-mornings.example>'}, first
    assert getaddresses(list(senders)) == [("Lane, Mira <ceo@bank.example>", "ada@quiet-mornings.example")]


def test_a_subscriber_copy_with_one_header_too_many_is_not_sent() -> None:
    """The per-subscriber check parses each copy's head back: a Bcc that got in by any route stops the send."""
    from conftest import FIXTURES
    from dripcourse.build import load_course, render_course
    from dripcourse.drip.compose import LessonMessage, Recipient
    from dripcourse.headers import HeaderError, verify_head

    loaded = load_course(FIXTURES / "mini")
    lesson = LessonMessage(render_course(loaded, date(2026, 3, 2))[0], loaded.syllabus.course, "s" * 20)
    copy = lesson.fill(Recipient("ann@readers.example", "Ann"), datetime(2026, 3, 2, tzinfo=UTC))
    unsubscribe = f"<{copy.unsubscribe}>"
    verify_head(copy.mime, lesson.intended, "ann@readers.example", unsubscribe, "copy")
    tampered = [
        copy.mime.replace(b"\r\nDate:", b"\r\nBcc: x@evil.example\r\nDate:", 1),
        copy.mime.replace(b"To: Ann <ann@readers.example>", b"To: Ann <ann@readers.example>, x@evil.example", 1),
        copy.mime.replace(b"\r\nDate:", b"\r\n\r\nDate:", 1),
        copy.mime.replace(b"List-Unsubscribe: <", b"List-Unsubscribe: <mailto:x@evil.example>, <", 1),
    ]
    for raw in tampered:
        assert raw != copy.mime
        with pytest.raises(HeaderError):
            verify_head(raw, lesson.intended, "ann@readers.example", unsubscribe, "copy")


def test_mailgun_from_header_is_one_quoted_address(tmp_path: Path) -> None:
    import json

    folder = course(tmp_path, (NAME, "name: 'Lane, Mira <ceo@bank.example>'"))
    outcome = run("export", "mailgun", folder, "--out", tmp_path / "x", tmp=tmp_path)
    assert outcome.code == 0, outcome.err

    def from_values(value: object) -> list[str]:
        if isinstance(value, dict):
            return [v for k, v in value.items() if k == "From" and isinstance(v, str)] + [
                found for v in value.values() for found in from_values(v)
            ]
        if isinstance(value, list):
            return [found for v in value for found in from_values(v)]
        if isinstance(value, str) and value.startswith("{"):
            return from_values(json.loads(value))
        return []

    found = {f for p in (tmp_path / "x").rglob("*.json") for f in from_values(json.loads(p.read_text()))}
    assert found == {'"Lane, Mira <ceo@bank.example>" <ada@quiet-mornings.example>'}


STRUCTURED = (b"list-unsubscribe", b"list-unsubscribe-post", b"message-id", b"date", b"mime-version")


def head_fields(raw: bytes, eol: bytes = b"\r\n") -> list[bytes]:
    """The header fields of a message's head as written, each with any folded continuation lines."""
    fields: list[bytes] = []
    for line in raw.partition(eol + eol)[0].split(eol):
        if line[:1] in (b" ", b"\t"):
            fields[-1] += eol + line
        else:
            fields.append(line)
    return fields


def structured_fields(raw: bytes, eol: bytes = b"\r\n") -> list[bytes]:
    return [f for f in head_fields(raw, eol) if f.partition(b":")[0].lower() in STRUCTURED]


def long_url(length: int) -> str:
    url = "https://h.example/unsubscribe?list=" + "a" * length
    return url[:length]


@pytest.mark.parametrize("length", [77, 100, 300, 600])
def test_a_long_unsubscribe_url_is_one_unfolded_line_everywhere(tmp_path: Path, length: int) -> None:
    """RFC 2047 section 5: no encoded word in a structured header. The .eml, the mbox and the eml export hold the
    List-Unsubscribe line byte for byte as the URL was written, and no structured header is folded or encoded."""
    url = long_url(length)
    folder = course(tmp_path, (UNSUB, f"unsubscribe_url: {url}"))
    assert run("build", folder, "--out", tmp_path / "out", tmp=tmp_path).code == 0
    assert run("export", "eml", folder, "--out", tmp_path / "x", tmp=tmp_path).code == 0
    line = f"List-Unsubscribe: <{url}>".encode()
    for path in [*(tmp_path / "out").glob("emails/*.eml"), *(tmp_path / "x").rglob("*.eml")]:
        raw = path.read_bytes()
        assert line in head_fields(raw), path
        assert all(b"=?" not in f and b"\r\n" not in f for f in structured_fields(raw)), path
    for path in [tmp_path / "out" / "course.mbox", *(tmp_path / "x").rglob("*.mbox")]:
        messages = path.read_bytes().split(b"\n\nFrom dripcourse@")
        assert len(messages) == len(list((tmp_path / "out").glob("emails/*.eml")))
        for message in messages:
            head = message.partition(b"\n")[2]
            assert line in head_fields(head, b"\n")
            assert all(b"=?" not in f and b"\n" not in f for f in structured_fields(head, b"\n"))


def test_an_unsubscribe_url_too_long_for_a_header_line_is_refused(tmp_path: Path) -> None:
    url = long_url(601)
    outcome = run("build", course(tmp_path, (UNSUB, f"unsubscribe_url: {url}")), "--out", tmp_path / "o", tmp=tmp_path)
    assert (outcome.code, outcome.out, outcome.err) == (
        2,
        "",
        f"{S}:8:20: course.unsubscribe_url: is 601 characters long as written into a header; the limit is 600, so"
        f" the List-Unsubscribe line of every subscriber stays within 998 octets: {url!r}\n",
    )


@pytest.mark.parametrize("length", [77, 300, 600])
def test_send_test_and_send_write_a_long_unsubscribe_url_on_one_line(tmp_path: Path, length: int) -> None:
    """send-test through a real SMTP server (aiosmtpd), and the per-subscriber copy `dripcourse send` makes."""
    import socket

    from aiosmtpd.controller import Controller

    from dripcourse.build import load_course, render_course
    from dripcourse.drip.compose import LessonMessage, Recipient

    received: list[bytes] = []

    class Inbox:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            received.append(envelope.original_content)  # type: ignore[attr-defined]
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    url = long_url(length)
    folder = course(tmp_path, (UNSUB, f"unsubscribe_url: {url}"))
    controller = Controller(Inbox(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        args = ["--to", "me@dest.example", "--host", "127.0.0.1", "--port", str(port), "--security", "none"]
        outcome = run("send-test", *args, folder, tmp=tmp_path, env={"DRIPCOURSE_SMTP_PASSWORD": ""})
    finally:
        controller.stop()
    assert outcome.code == 0, outcome.err
    [raw] = received
    assert f"List-Unsubscribe: <{url}>".encode() in head_fields(raw)
    assert all(b"=?" not in f and b"\r\n" not in f for f in structured_fields(raw))

    loaded = load_course(folder)
    lesson = LessonMessage(render_course(loaded, date(2026, 3, 2))[0], loaded.syllabus.course, "s" * 20)
    copy = lesson.fill(Recipient("a" * 64 + "@readers.example", "Ann"), datetime(2026, 3, 2, tzinfo=UTC))
    assert f"List-Unsubscribe: <{copy.unsubscribe}>".encode() in head_fields(copy.mime)
    assert all(b"=?" not in f and b"\r\n" not in f and len(f) <= 998 for f in structured_fields(copy.mime))


def test_the_read_back_check_compares_structured_headers_as_bytes() -> None:
    """A List-Unsubscribe folded into encoded words decodes to the right URL, so only the bytes can catch it."""
    from dripcourse.headers import HeaderError, verify
    from dripcourse.message import build_message, message_bytes
    from dripcourse.syllabus import CourseInfo, Sender

    info = CourseInfo(
        "T", "en", Sender("Ada", "ada@h.example"), None, "1 Road", "https://h.example/u", "https://h.example"
    )
    msg = build_message(info, "s", "Hi", "text", "<p>html</p>", datetime(2026, 3, 2, tzinfo=UTC), info.unsubscribe_url)
    raw = message_bytes(msg)
    encoded = b"List-Unsubscribe: =?utf-8?q?=3Chttps=3A//h=2Eexample/u=3E?="
    for tampered in (
        raw.replace(b"List-Unsubscribe: <https://h.example/u>", encoded),
        raw.replace(b"List-Unsubscribe: <https://h.example/u>", b"List-Unsubscribe:\r\n <https://h.example/u>"),
        raw.replace(b"Message-ID: <", b"Message-ID: =?utf-8?q?=3C?=", 1),
    ):
        assert tampered != raw
        with pytest.raises(HeaderError, match="is not written as meant"):
            verify(tampered, msg.intended, "copy")
    for tampered in (
        raw.replace(b"From: Ada <ada@h.example>", b"From: =?utf-8?q?Ada_=3Cada=40h=2Eexample=3E?=", 1),
        raw.replace(b"To: Reader <reader@example.com>", b"To: Reader =?utf-8?q?=3Creader=40example=2Ecom=3E?=", 1),
    ):
        assert tampered != raw
        with pytest.raises(HeaderError):
            verify(tampered, msg.intended, "copy")


EMAIL_LINE = "email: ada@quiet-mornings.example"
REPLY_TO = "  postal_address:"
LONG_LABEL = "b" * 64
# (address, why it is refused, as every address field words it)
BAD_ADDRESSES = [
    ("encoded-word", "=?utf-8?q?a=0D=0A?=@example.com", " (it holds '=?', the start of an RFC 2047 encoded word)"),
    ("encoded-word-domain", "a@=?utf-8?q?x?=.example", " (it holds '=?', the start of an RFC 2047 encoded word)"),
    ("local-65", "a" * 65 + "@example.com", " (its local part is 65 characters, at most 64 are allowed)"),
    ("label-64", f"a@{LONG_LABEL}.example", " (its domain has a label of 64 characters, at most 63 are allowed)"),
    ("domain-254", "a@" + ".".join(["c" * 62] * 4) + ".de", " (its domain is 254 characters, at most 253 are allowed)"),
    (
        "domain-300",
        "a@" + ".".join(["c" * 59] * 5) + ".example",
        " (its domain is 307 characters, at most 253 are allowed)",
    ),
    ("quoted-local", '"a b"@example.com', ""),
    ("trailing-dot", "you@example.com.", ""),
    ("double-dot", "a..b@example.com", ""),
    ("hyphen-label", "a@-b.example", ""),
]


@pytest.mark.parametrize(("address", "why"), named(BAD_ADDRESSES))
def test_one_address_rule_for_every_address_field(tmp_path: Path, address: str, why: str) -> None:
    """The sender, reply_to and send-test --to refuse the same addresses with the same words, each with its place."""
    shown = repr(address)
    sender = run(
        "build", course(tmp_path / "a", (EMAIL_LINE, f"email: {shown}")), "--out", tmp_path / "o", tmp=tmp_path
    )
    assert (sender.code, sender.out, sender.err) == (
        2,
        "",
        f"Error: {{tmp}}/a/course/syllabus.yaml:6:12: course.sender.email: is not an email address{why}: {shown}\n",
    )
    reply = run(
        "build",
        course(tmp_path / "b", (REPLY_TO, f"  reply_to: {shown}\n{REPLY_TO}")),
        "--out",
        tmp_path / "o",
        tmp=tmp_path,
    )
    assert (reply.code, reply.out, reply.err) == (
        2,
        "",
        f"Error: {{tmp}}/b/course/syllabus.yaml:7:13: course.reply_to: is not an email address{why}: {shown}\n",
    )
    to = run("send-test", "--to", address, course(tmp_path / "c"), tmp=tmp_path, env={"DRIPCOURSE_SMTP_HOST": ""})
    assert (to.code, to.out, to.err) == (2, "", f"Error: --to is not an email address{why}: {shown}\n")
    assert not (tmp_path / "o").exists()


def test_the_longest_address_allowed_keeps_every_line_within_998_octets(tmp_path: Path) -> None:
    address = "a" * 64 + "@" + ".".join(["d" * 63] * 3) + ".de"  # 64 + 1 + 195 characters
    folder = course(tmp_path, (EMAIL_LINE, f"email: {address}"), (REPLY_TO, f"  reply_to: {address}\n{REPLY_TO}"))
    outcome = run("build", folder, "--out", tmp_path / "out", tmp=tmp_path)
    assert outcome.code == 0, outcome.err
    raw = next((tmp_path / "out").glob("emails/*.eml")).read_bytes()
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    assert f"Reply-To: {address}".encode() in head_fields(raw)


NAMES = [
    (
        "two-spaces",
        "name: Ann  Lee",
        "has a space at its start or end, two spaces in a row or a tab; the From header"
        " keeps single spaces between words only",
    ),
    ("tab", 'name: "Ann\\tLee"', "contains a control character ('\\t'); it must be one line"),
    ("201", "name: " + "A" * 201, "is 201 characters long; a sender name may have at most 200"),
    (
        "half-megabyte",
        "name: " + "Ann Lee " * 65536 + "X",
        "is 524289 characters long; a sender name may have at most 200",
    ),
]


@pytest.mark.parametrize(("edit", "expected"), named(NAMES))
def test_sender_name_limits_are_named(tmp_path: Path, edit: str, expected: str) -> None:
    outcome = run("build", course(tmp_path, (NAME, edit)), "--out", tmp_path / "out", tmp=tmp_path)
    assert (outcome.code, outcome.out, outcome.err) == (2, "", f"{S}:5:11: course.sender.name: {expected}\n")


def test_a_200_character_sender_name_is_one_from_name(tmp_path: Path) -> None:
    name = " ".join(["Ann"] * 50)[:200]
    outcome = run("build", course(tmp_path, (NAME, f"name: {name}")), "--out", tmp_path / "out", tmp=tmp_path)
    assert outcome.code == 0, outcome.err
    assert [a.display_name for a in eml(tmp_path / "out")["From"].addresses] == [name]


HOSTS = [
    ("host-percent-nul", "https://exa%00mple.com/u"),
    ("host-percent-crlf", "https://h.example%0d%0abcc/u"),
    ("host-future-literal", "https://[v1.x]/u"),
    ("host-space-escape", "https://h%20x.example/u"),
]


@pytest.mark.parametrize("url", [c[1] for c in HOSTS], ids=[c[0] for c in HOSTS])
def test_an_unsubscribe_host_that_is_no_host_name_is_refused(tmp_path: Path, url: str) -> None:
    outcome = run(
        "build", course(tmp_path, (UNSUB, f"unsubscribe_url: '{url}'")), "--out", tmp_path / "o", tmp=tmp_path
    )
    assert (outcome.code, outcome.out, outcome.err) == (
        2,
        "",
        f"{S}:8:20: course.unsubscribe_url: has a host name that is not valid: {url!r}\n",
    )
