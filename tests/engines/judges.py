"""The services' own template engines (or the closest that installs), run as outside judges of the exports.

- handlebars 4.7 (npm): Amazon SES, SendGrid and Mailgun render Handlebars; also the stand-in for Postmark's
  Mustachio, see POSTMARK_STAND_IN.
- liquidjs 10 (npm): Kit renders Liquid.
- mustache 4 (npm): only to show that a generic Mustache engine cannot judge Postmark.
- Go's html/template (Debian golang-go), in listmonk/main.go: compiles a campaign the way listmonk does.
- Django's template engine (pip): Buttondown renders Django templates.

Each judge fails, not skips, under CI=true when its engine is missing (.ci/run installs them).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from conftest import need_tool

HERE = Path(__file__).parent

# Mustachio (C#, the engine of Postmark templates) installs only from NuGet, which this project cannot reach.
# Handlebars in its default (non-compat) mode stands in for its scoping rule, the one that matters here: inside
# {{#name}} ... {{/name}} a name is looked up in the section's value only, never in an outer scope, so the
# value itself is {{.}}. Mustachio's other rules (its tokenizer, `each`, `../` paths) are not judged by it.
POSTMARK_STAND_IN = "handlebars"


@cache
def node_engines() -> subprocess.Popen[str]:
    """One node process for the whole test run: starting node and loading the engines is the slow part."""
    need_tool(shutil.which("node") is not None, "node")
    need_tool((HERE / "node_modules" / "handlebars").is_dir(), "tests/engines npm packages (npm ci)")
    return subprocess.Popen(
        ["node", str(HERE / "render.mjs")], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8"
    )


def node_render(jobs: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Render {"engine", "template", "data"} jobs with the npm engines."""
    process = node_engines()
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(json.dumps(jobs) + "\n")
    process.stdin.flush()
    line = process.stdout.readline()
    assert line, "the node engines stopped"
    return list(json.loads(line))


@cache
def listmonk_harness() -> Path:
    """Build the harness once per version of its source, in the system's temporary folder."""
    need_tool(shutil.which("go") is not None, "Go (Debian golang-go)")
    source = HERE / "listmonk" / "main.go"
    build_dir = (
        Path(tempfile.gettempdir()) / f"dripcourse-listmonk-{hashlib.sha256(source.read_bytes()).hexdigest()[:12]}"
    )
    binary = build_dir / "listmonk-harness"
    if binary.is_file():
        return binary
    env = {
        **os.environ,
        "GO111MODULE": "off",
        "GOCACHE": str(build_dir / "gocache"),
        "GOPATH": str(build_dir / "gopath"),
        "GOFLAGS": "",
    }
    scratch = build_dir / f"building-{os.getpid()}"
    subprocess.run(["go", "build", "-o", str(scratch), str(source)], env=env, check=True, capture_output=True)
    scratch.replace(binary)
    return binary


def listmonk_render(jobs: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Render {"layout", "body", "altbody", "subject", "name", "attribs", "email", "unsubscribe_url"} campaigns."""
    result = subprocess.run(
        [str(listmonk_harness())], input=json.dumps(jobs), capture_output=True, text=True, check=True
    )
    return list(json.loads(result.stdout))


def django_render(template: str, context: dict[str, Any]) -> str:
    """Render with Django's engine as Buttondown does: HTML autoescaping on, no settings file."""
    try:
        from django.template import Context
    except ImportError:
        need_tool(False, "Django (pip)")
        raise
    return str(django_engine().from_string(template).render(Context(context)))


@cache
def django_engine() -> Any:
    from django.template import Engine

    return Engine(autoescape=True)
