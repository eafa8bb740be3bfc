"""The shared part of the local API servers: a threaded HTTP server on 127.0.0.1 that records every request,
checks it against the service's contract (tests/contracts/*.json) and can be told to fail."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

CONTRACTS = Path(__file__).resolve().parents[1] / "contracts"


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


#: a fault: ("status", Reply) answers with it instead of the service; ("drop-after", None) does the work, then
#: closes the connection without an answer; ("drop-before", None) closes it without doing anything;
#: ("stall", seconds) waits that long before doing the work (past a client's timeout)
Fault = tuple[str, Reply | float | None]


def contract(name: str) -> dict[str, Any]:
    return json.loads((CONTRACTS / f"{name}.json").read_text(encoding="utf-8"))


def published(service: str, request: str, body: Any) -> list[str]:
    """Problems of a create request's body against the service's published schema, as the export tests keep it
    (tests/engines/contracts.json, with its source and date)."""
    import jsonschema

    schemas = json.loads((CONTRACTS.parent / "engines" / "contracts.json").read_text(encoding="utf-8"))[service]
    schema = {**schemas["requests"][request], "$defs": schemas.get("$defs", {})}
    validator = jsonschema.Draft202012Validator(schema)
    return [f"{'/'.join(map(str, e.absolute_path)) or 'body'}: {e.message}" for e in validator.iter_errors(body)]


def check_fields(value: Any, spec: dict[str, Any], where: str = "") -> list[str]:
    """Problems of `value` against a small schema: type, required, properties, items, maxLength, maxItems,
    minItems, enum, nullable, additionalProperties: false."""
    problems: list[str] = []
    kind = spec.get("type")
    if value is None and spec.get("nullable"):
        return []
    types = {"object": dict, "array": list, "string": str, "integer": int, "boolean": bool, "number": (int, float)}
    if (kind and not isinstance(value, types[kind])) or (kind == "integer" and isinstance(value, bool)):
        return [f"{where or 'body'}: expected {kind}, got {type(value).__name__}"]
    if "enum" in spec and value not in spec["enum"]:
        problems.append(f"{where}: {value!r} is not one of {spec['enum']}")
    if kind == "string" and "maxLength" in spec and len(value) > spec["maxLength"]:
        problems.append(f"{where}: longer than {spec['maxLength']}")
    if kind == "array":
        if len(value) > spec.get("maxItems", len(value)) or len(value) < spec.get("minItems", 0):
            problems.append(f"{where}: {len(value)} items")
        for i, item in enumerate(value):
            problems += check_fields(item, spec.get("items", {}), f"{where}[{i}]")
    if kind == "object":
        properties = spec.get("properties", {})
        for name in spec.get("required", []):
            if name not in value:
                problems.append(f"{where}.{name}: required".lstrip("."))
        for name, item in value.items():
            if name in properties:
                problems += check_fields(item, properties[name], f"{where}.{name}".lstrip("."))
            elif spec.get("additionalProperties") is False:
                problems.append(f"{where}.{name}: not a field of this API".lstrip("."))
            elif isinstance(spec.get("additionalProperties"), dict):
                problems += check_fields(item, spec["additionalProperties"], f"{where}.{name}".lstrip("."))
    return problems


class QuietServer(ThreadingHTTPServer):
    """A client that gave up (a timeout test) closes its end; writing the late answer then fails, as expected."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class ApiServer:
    """Subclasses implement `handle(request) -> Reply`. `with Server() as api:` serves on api.url."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.violations: list[str] = []
        self.faults: deque[Fault] = deque()
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
                request = Request(
                    self.command, parts.path, query, {k.lower(): v for k, v in self.headers.items()}, body
                )
                with server.lock:
                    server.requests.append(request)
                    fault = server.faults.popleft() if server.faults else None
                if fault and fault[0] == "drop-before":
                    self.close_connection = True
                    self.connection.close()
                    return
                if fault and fault[0] == "stall" and isinstance(fault[1], float):
                    time.sleep(fault[1])
                if fault and fault[0] == "status" and isinstance(fault[1], Reply):
                    reply = fault[1]
                else:
                    with server.lock:
                        reply = server.handle(request)
                if fault and fault[0] == "drop-after":
                    self.close_connection = True
                    self.connection.close()
                    return
                data = (
                    b""
                    if reply.body is None
                    else reply.body
                    if isinstance(reply.body, bytes)
                    else json.dumps(reply.body).encode()
                )
                self.send_response(reply.status)
                for name, value in {"Content-Type": "application/json", **reply.headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_any

        self.httpd = QuietServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def handle(self, request: Request) -> Reply:
        raise NotImplementedError

    def check(self, value: Any, spec: dict[str, Any], where: str) -> list[str]:
        problems = check_fields(value, spec)
        self.violations += [f"{where}: {p}" for p in problems]
        return problems

    def __enter__(self) -> ApiServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
