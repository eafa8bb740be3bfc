"""Header values as data: checked before they go into a message, and the message checked again after.

Python's email package decodes RFC 2047 encoded words (`=?utf-8?q?...?=`) when it folds a header, so a CR/LF
check on the raw text is not enough: an encoded word can carry a line break that becomes a real header. The rules:

- text (a subject, a display name) holds no control character of any kind, no bidirectional embedding, override
  or isolate control (they make a subject read differently from what it says), and no `=?`, the start of an encoded
  word; the zero-width joiner of emoji and the left-to-right and right-to-left marks stay allowed;
- an address is one rule, `ADDRESS`, for every field that holds one (the sender, reply_to, `send-test --to`, a
  subscriber): a dot-atom local part of at most 64 characters, a domain of at most 253 made of labels of at most
  63 (RFC 5321 section 4.5.3.1), no `=?`; it is then parsed and written again by `email.headerregistry.Address`;
- a URL is parsed, its host IDNA-encoded and anything outside RFC 3986 percent-encoded, and it goes inside `<>`;
- a structured header (List-Unsubscribe, Message-ID) is written on one line as it is: the email package would fold
  a long one into encoded words, which RFC 2047 section 5 allows in text and display names only; its value is kept
  short enough for the 998-octet line limit of RFC 5322 instead;
- the finished message is parsed back, and its header names and counts must be exactly the ones meant, and the raw
  bytes of every structured header must be the value meant, with no encoded word.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Iterable
from email import policy
from email.errors import HeaderParseError, MessageError
from email.header import decode_header, make_header
from email.headerregistry import Address, BaseHeader, HeaderRegistry, UnstructuredHeader
from email.parser import BytesHeaderParser, BytesParser
from email.utils import formataddr, getaddresses
from urllib.parse import quote, urlsplit, urlunsplit

from dripcourse.errors import DripcourseError, Problem

# C0 and C1 controls, DEL, the Unicode line and paragraph separators.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Bidirectional embeddings, overrides and isolates (LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI).
BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
ENCODED_WORD = "=?"
MAX_LOCAL_PART = 64
MAX_DOMAIN = 253
MAX_LABEL = 63
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
# \Z, not $: `$` also matches before a final newline, which would let "me@x.example\n" through.
ADDRESS = re.compile(
    rf"^(?!.*=\?)(?=[^@]{{1,{MAX_LOCAL_PART}}}@){_ATOM}(?:\.{_ATOM})*"
    rf"@(?=[^@]{{1,{MAX_DOMAIN}}}\Z)(?:{_LABEL}\.)+{_LABEL}\Z"
)
HOST = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?\Z")  # an ASCII (IDNA-encoded) host name; IPv6 is checked apart
MAX_NAME = 200  # characters of a sender name: a From line a reader can see whole, checked in linear time
# What RFC 3986 allows in a URL, less the comma (it separates List-Unsubscribe targets) and the apostrophe.
URL_SAFE = "/?#[]@!$&()*+;=:%-._~"
UNSUBSCRIBE_SCHEMES = ("https", "http")


class HeaderError(DripcourseError):
    """A value that cannot go into a header, or a message whose headers are not the ones meant."""


MAX_LINE = 998  # octets in a header line before its CRLF (RFC 5322 section 2.1.1)
# The longest unsubscribe URL: `dripcourse send` adds each subscriber's address (up to 254 characters, escaped) and
# a signature to it, and the List-Unsubscribe line must still fit in MAX_LINE.
MAX_UNSUBSCRIBE_URL = 600
# Headers whose value is a structured token, never text: written unfolded, and never holding an encoded word.
STRUCTURED = ("List-Unsubscribe", "List-Unsubscribe-Post", "Message-ID", "Date", "MIME-Version")
ADDRESS_HEADERS = ("From", "To", "Reply-To")


class VerbatimHeader(UnstructuredHeader, BaseHeader):
    """A structured header written on one line exactly as given (the value was checked before it got here)."""

    def fold(self, *, policy: policy.Policy) -> str:
        line = f"{self.name}: {self}"
        if len(line.encode("utf-8")) > MAX_LINE:
            raise HeaderError(Problem(None, f"the {self.name} header is longer than {MAX_LINE} octets"))
        return line + policy.linesep


class ReusedHeaders(HeaderRegistry):
    """The email package's header factory, with each header class made once and each parsed text value kept.

    The stock registry builds a new class for every header it makes and parses the same From, To and
    List-Unsubscribe again for every email of a course, a third of the time a build spends on messages. A header
    object is a string that nothing changes after it is made, so one parse serves every message that holds it.
    """

    KEPT = 4096  # parsed values kept; the preview server runs for hours

    def __init__(self) -> None:
        super().__init__()
        for name in ("list-unsubscribe", "message-id"):
            self.map_to_type(name, VerbatimHeader)
        self.classes: dict[str, type[BaseHeader]] = {}
        self.parsed: dict[tuple[str, str], BaseHeader] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        if key not in self.classes:
            self.classes[key] = super().__getitem__(name)
        return self.classes[key]

    def __call__(self, name: str, value: object) -> BaseHeader:
        if type(value) is not str:  # an Address or a Group: made by us, parsed once anyway
            return self[name](name, value)
        key = (name, value)
        header = self.parsed.get(key)
        if header is None:
            if len(self.parsed) >= self.KEPT:
                self.parsed.clear()
            header = self.parsed[key] = self[name](name, value)
        return header


# The policies every message is built and read back with, sharing one header factory.
READ_POLICY = policy.default.clone(header_factory=ReusedHeaders())
SMTP_POLICY = policy.SMTP.clone(max_line_length=78, header_factory=READ_POLICY.header_factory)
STRICT_POLICY = policy.strict.clone(header_factory=READ_POLICY.header_factory)


def text_problem(value: str) -> str | None:
    """Why `value` cannot be header text, or None when it can."""
    control = CONTROL.search(value)
    if control:
        return f"contains the control character U+{ord(control.group()):04X}; it must be one line of plain text"
    bidi = BIDI.search(value)
    if bidi:
        return (
            f"contains the bidirectional control U+{ord(bidi.group()):04X}, which makes text display in a different"
            " order from how it is written"
        )
    if ENCODED_WORD in value:
        return "contains '=?', the start of an RFC 2047 encoded word; write the text itself"
    return None


def checked_text(value: str, field: str) -> str:
    problem = text_problem(value)
    if problem:
        raise HeaderError(Problem(None, f"{problem}: {value!r}", field=field))
    return value


def address_problem(address: str) -> str | None:
    """Why `address` is not an email address dripcourse writes into a header, or None: the message to show."""
    if ADDRESS.match(address):
        return None
    local, at, domain = address.rpartition("@")
    reason = ""
    if ENCODED_WORD in address:
        reason = "it holds '=?', the start of an RFC 2047 encoded word"
    elif at and len(local) > MAX_LOCAL_PART:
        reason = f"its local part is {len(local)} characters, at most {MAX_LOCAL_PART} are allowed"
    elif at and len(domain) > MAX_DOMAIN:
        reason = f"its domain is {len(domain)} characters, at most {MAX_DOMAIN} are allowed"
    elif at and any(len(label) > MAX_LABEL for label in domain.split(".")):
        longest = max(len(label) for label in domain.split("."))
        reason = f"its domain has a label of {longest} characters, at most {MAX_LABEL} are allowed"
    return f"is not an email address{f' ({reason})' if reason else ''}: {address!r}"


def name_problem(name: str) -> str | None:
    """Why `name` cannot be a sender's display name, or None."""
    problem = text_problem(name)
    if problem:
        return problem
    if len(name) > MAX_NAME:
        return f"is {len(name)} characters long; a sender name may have at most {MAX_NAME}"
    if name != " ".join(name.split()):
        return (
            "has a space at its start or end, two spaces in a row or a tab; the From header keeps single spaces"
            " between words only"
        )
    return None


def checked_address(name: str, address: str, field: str) -> Address:
    """An address parsed by the email package, with a display name that is plain text."""
    checked_text(name, field)
    problem = address_problem(address)
    if problem:
        raise HeaderError(Problem(None, problem, field=field))
    try:
        parsed = Address(display_name=name, addr_spec=address)
    except (ValueError, IndexError, HeaderParseError, MessageError) as exc:
        raise HeaderError(Problem(None, f"is not an email address: {address!r} ({exc})", field=field)) from None
    if parsed.addr_spec != address:
        raise HeaderError(Problem(None, f"is not a plain email address: {address!r}", field=field))
    return parsed


def name_survives_folding(name: str, address: str) -> bool:
    """True when a From header with this display name reads back with exactly this name.

    The email package splits a long non-ASCII name into several encoded words at a 78-character line, and readers
    then show a space too many or too few at the split; such a name is refused rather than shown wrong.
    """
    from email.message import EmailMessage

    msg = EmailMessage(policy=SMTP_POLICY)
    msg["From"] = Address(display_name=name, addr_spec=address)
    raw = msg.as_bytes()
    parsed = BytesParser(policy=READ_POLICY).parsebytes(raw)
    legacy = BytesParser(policy=policy.compat32).parsebytes(raw)
    words = decode_header(str(legacy["From"]).replace("\r\n", ""))
    legacy_name = str(make_header(words)).rpartition(" <")[0]
    if legacy_name.startswith('"'):
        legacy_name = legacy_name[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return [a.display_name for a in parsed["From"].addresses] == [name] and legacy_name == name


def sender_field(name: str, address: str, field: str = "course.sender") -> str:
    """`Name <address>` for a service's from field, quoted where the name needs it, and checked to read back as
    exactly one address with exactly this name (a name like `Lane, Mira <ceo@bank.example>` stays one name)."""
    checked_address(name, address, field)
    value = formataddr((name, address))
    read = [(str(make_header(decode_header(shown))), spec) for shown, spec in getaddresses([value])]
    if read != [(name, address)]:
        raise HeaderError(Problem(None, f"does not read back as one address: {value!r}", field=field))
    return value


def url_problem(url: str, schemes: Iterable[str] = UNSUBSCRIBE_SCHEMES) -> str | None:
    """Why `url` cannot be the one target of a header like List-Unsubscribe, or None."""
    problem = text_problem(url)
    if problem:
        return problem
    bad = re.search(r"[\s<>\",'\\{}|^`]", url)
    if bad:
        return f"holds {bad.group()!r}, which a URL in a header may not; percent-encode it"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError as exc:
        return f"is not a URL ({exc})"
    allowed = tuple(schemes)
    if parts.scheme.lower() not in allowed or not parts.hostname:
        return f"must be an absolute {' or '.join(allowed)} URL"
    if parts.username is not None or parts.password is not None:
        return "must not hold a user name or password"
    bracketed = "[" in parts.netloc  # an IP literal (RFC 3986 section 3.2.2): only IPv6 is one dripcourse writes
    try:
        written = serialise(url)
    except UnicodeError:
        return "has a host name that is not valid"
    host = urlsplit(written).hostname or ""
    if not (is_ipv6(host) if bracketed else HOST.match(host)):
        return "has a host name that is not valid"
    if len(written) > MAX_UNSUBSCRIBE_URL:
        return (
            f"is {len(written)} characters long as written into a header; the limit is {MAX_UNSUBSCRIBE_URL}, so the"
            " List-Unsubscribe line of every subscriber stays within 998 octets"
        )
    return None


def is_ipv6(host: str) -> bool:
    try:
        ipaddress.IPv6Address(host)
    except ValueError:
        return False
    return True


def serialised_url(url: str, field: str, schemes: Iterable[str] = UNSUBSCRIBE_SCHEMES) -> str:
    """`url` parsed and written again: IDNA host, RFC 3986 characters only."""
    problem = url_problem(url, schemes)
    if problem:
        raise HeaderError(Problem(None, f"{problem}: {url!r}", field=field))
    return serialise(url)


def serialise(url: str) -> str:
    """`url` with an IDNA host and RFC 3986 characters only (UnicodeError for a host IDNA cannot encode)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    ascii_host = host.encode("idna").decode("ascii") if not host.isascii() else host
    if "[" in parts.netloc:
        ascii_host = f"[{ascii_host}]"
    netloc = ascii_host if parts.port is None else f"{ascii_host}:{parts.port}"
    return urlunsplit(
        (
            parts.scheme.lower(),
            netloc,
            quote(parts.path, safe=URL_SAFE),
            quote(parts.query, safe=URL_SAFE),
            quote(parts.fragment, safe=URL_SAFE),
        )
    )


def list_unsubscribe(url: str, field: str = "course.unsubscribe_url") -> str:
    """The List-Unsubscribe value: exactly one https (or http) target in angle brackets."""
    return f"<{serialised_url(url, field)}>"


HEAD_PARSER = BytesHeaderParser(policy=policy.compat32)


def verify_head(raw: bytes, names: Iterable[str], to: str, list_unsubscribe: str, what: str) -> None:
    """The per-subscriber check of a message whose lesson part passed `verify`: its head, parsed back as a
    receiving server reads it (no encoded word decoded), has exactly the header names meant, one `To` address,
    and the List-Unsubscribe meant. About 50 microseconds, where `verify` takes a few milliseconds."""
    head = raw.partition(b"\r\n\r\n")[0] + b"\r\n\r\n"
    msg = HEAD_PARSER.parsebytes(head)
    if Counter(name.lower() for name in msg) != Counter(name.lower() for name in names):
        raise HeaderError(Problem(None, f"{what}: the message's headers are not the ones meant"))
    if [address for _, address in getaddresses(msg.get_all("To", []))] != [to]:
        raise HeaderError(Problem(None, f"{what}: the To header does not name exactly {to}"))
    if msg["List-Unsubscribe"] != list_unsubscribe:
        raise HeaderError(Problem(None, f"{what}: the List-Unsubscribe header is not {list_unsubscribe}"))


def raw_fields(raw: bytes) -> dict[str, list[bytes]]:
    """Each header field of a message's head as its raw bytes (continuation lines kept), by lower-case name."""
    fields: dict[str, list[bytes]] = {}
    last: list[bytes] = []
    for line in raw.partition(b"\r\n\r\n")[0].split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and last:
            last[-1] += b"\r\n" + line
        else:
            last = fields.setdefault(line.partition(b":")[0].decode("ascii", "replace").lower(), [])
            last.append(line)
    return fields


def check_structured(raw: bytes, expected: dict[str, str | None], what: str) -> None:
    """The structured headers as they are in the bytes, not as a parser decodes them: one line each, no encoded
    word, and exactly the value meant where one is given."""
    fields = raw_fields(raw)
    for name in STRUCTURED:
        if name not in expected:
            continue
        for line in fields.get(name.lower(), []):
            value = expected[name]
            if b"=?" in line or b"\r\n" in line or (value is not None and line != f"{name}: {value}".encode()):
                raise HeaderError(Problem(None, f"{what}: the {name} header is not written as meant: {line!r}"))
    for name in ADDRESS_HEADERS:
        value = expected.get(name)
        if value is None:
            continue
        # A display name may be encoded words (RFC 2047 section 5 allows them in a phrase); the address may not.
        spec = getaddresses([value])[0][1]
        for line in fields.get(name.lower(), []):
            unfolded = re.sub(rb"\r\n(?=[ \t])", b"", line)
            if not (unfolded.endswith(f"<{spec}>".encode()) or unfolded == f"{name}: {spec}".encode()):
                raise HeaderError(Problem(None, f"{what}: the {name} header does not end in its address: {line!r}"))


def part_types(raw: bytes, boundary: str) -> list[str]:
    """The content type of each part of a multipart message, read from the parts' own headers only.

    Parsing the whole message would also decode every line of both bodies, ten times the work (4 ms an email);
    the parts' headers are all this check needs, and the bodies are quoted-printable, so the boundary, which
    holds "=", cannot occur inside them.
    """
    body = b"\r\n" + raw.split(b"\r\n\r\n", 1)[1]
    pieces = body.split(b"\r\n--" + boundary.encode("ascii"))
    if len(pieces) < 2 or not pieces[-1].startswith(b"--"):
        raise ValueError("the closing boundary is missing")
    parser = BytesParser(policy=READ_POLICY)
    heads = [piece.split(b"\r\n", 1)[1] for piece in pieces[1:-1]]
    return [parser.parsebytes(head, headersonly=True).get_content_type() for head in heads]


def verify(raw: bytes, expected: dict[str, str | None], what: str, *, headers_only: bool = False) -> None:
    """Parse a finished message back and check that its headers are exactly `expected`, once each.

    `expected` maps each header name to the value it must decode to, or None where only its presence is checked.
    The message also has to be one multipart/alternative of a text/plain and a text/html part (unless
    `headers_only`, for a message whose body was checked once and is copied as it is).
    """
    try:
        # policy.strict raises on any defect the parser finds (a header it cannot parse, a bad encoded word).
        msg = BytesParser(policy=STRICT_POLICY).parsebytes(raw, headersonly=True)
        names = Counter(name.lower() for name in msg)
        values = {name: str(msg[name]) for name in expected if expected[name] is not None and msg[name] is not None}
        boundary = msg.get_boundary()
        parts = part_types(raw, boundary) if boundary and not headers_only else []
    except (MessageError, ValueError, IndexError, TypeError) as exc:
        raise HeaderError(Problem(None, f"{what}: the message does not parse back ({exc})")) from None
    wanted = Counter(name.lower() for name in expected)
    if names != wanted:
        extra = sorted((names - wanted).elements())
        missing = sorted((wanted - names).elements())
        detail = "; ".join(
            [f"unexpected {', '.join(extra)}"] * bool(extra) + [f"missing {', '.join(missing)}"] * bool(missing)
        )
        raise HeaderError(Problem(None, f"{what}: the message's headers are not the ones meant ({detail})"))
    for name, value in expected.items():
        # Compared without whitespace: the email package folds a long encoded name into several encoded words and
        # reads a space back between them, which changes nothing a reader sees.
        if value is not None and "".join(values.get(name, "").split()) != "".join(value.split()):
            raise HeaderError(
                Problem(None, f"{what}: the {name} header reads back as {values.get(name)!r}, not {value!r}")
            )
    check_structured(raw, expected, what)
    if msg.get_content_type() != "multipart/alternative" or (not headers_only and parts != ["text/plain", "text/html"]):
        raise HeaderError(Problem(None, f"{what}: the message is not one text part and one HTML part"))
