"""The import graph of dripcourse: layers that only point down, and no circle anywhere.

Read from the source with `ast`, so every import counts: at the top of a module, inside a function (the lazy
imports of the CLI) and under `TYPE_CHECKING`. An edge is a use of another module's code: a package's `__init__`
counts only when something imports a name defined there, so a package may import its own modules as long as none of
them imports from the package's `__init__`. The same layer order is drawn in docs/architecture.md.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import REPO

PACKAGE = REPO / "src" / "dripcourse"

# From the bottom up. A module may import modules of its own layer or of a layer below it, never above.
LAYERS: list[tuple[str, list[str]]] = [
    ("foundation", ["dripcourse", "errors", "csvcells", "jsonfile", "palette", "mergetags", "headers", "yamlread", "outputs"]),
    ("syllabus", ["schema", "syllabus"]),
    ("sources", ["sources"]),
    ("lessons", ["assemble"]),
    ("rendering", ["render", "schedule", "message", "subscribers"]),
    ("model", ["model"]),
    ("views of built emails", ["check", "preview", "exports", "exports.*", "sending"]),
    ("pipelines", ["build", "export", "planner", "scaffold", "importer"]),
    ("services", ["preview.server", "preview.testsend", "drip", "drip.*", "push", "push.*"]),
    ("command line", ["terminal", "cli", "__main__"]),
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports(name: str, path: Path) -> set[str]:
    """Every dripcourse module whose code `name` uses: `import a.b` uses a.b; `from a import b` uses the module a.b
    when there is one, else a name defined in a's `__init__`, so a itself."""
    known = modules()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return {t for t in found if t in known and t != name}


def graph() -> dict[str, set[str]]:
    return {name: imports(name, path) for name, path in modules().items()}


def layer_of(name: str) -> int:
    """The layer a module belongs to: its own entry, else its package's `pkg.*` entry."""
    short = name.removeprefix("dripcourse.") if name != "dripcourse" else "dripcourse"
    for index, (_, members) in enumerate(LAYERS):
        if short in members:
            return index
    for index, (_, members) in enumerate(LAYERS):
        if any(m.endswith(".*") and short.startswith(m[:-1]) for m in members):
            return index
    raise KeyError(name)


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each a circle of imports."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_every_module_has_a_layer() -> None:
    unplaced = []
    for name in modules():
        try:
            layer_of(name)
        except KeyError:
            unplaced.append(name)
    assert not unplaced, f"add these modules to LAYERS here and to docs/architecture.md: {unplaced}"


def test_no_module_imports_a_layer_above_its_own() -> None:
    upward = [
        f"{name} ({LAYERS[layer_of(name)][0]}) imports {target} ({LAYERS[layer_of(target)][0]})"
        for name, targets in graph().items()
        for target in sorted(targets)
        if layer_of(target) > layer_of(name)
    ]
    assert not upward, "\n".join(upward)


def test_no_import_circles() -> None:
    assert cycles(graph()) == []


def test_only_the_command_line_layer_imports_typer() -> None:
    users = [name for name, path in modules().items() if "typer" in imports_of_any(path)]
    assert users and all(LAYERS[layer_of(name)][0] == "command line" for name in users), users


def imports_of_any(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize(
    ("edges", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
        ({"a": {"b"}, "b": set(), "c": {"b"}}, []),
    ],
)
def test_the_circle_finder_finds_circles(edges: dict[str, set[str]], expected: list[list[str]]) -> None:
    assert cycles(edges) == expected


def test_the_graph_sees_lazy_and_type_checking_imports() -> None:
    edges = graph()
    assert "dripcourse.build" in edges["dripcourse.cli"]  # imported inside the command functions
    assert "dripcourse.exports.dialects" in edges["dripcourse.exports.services"]  # from dripcourse.exports import dialects
    assert "dripcourse.model" in edges["dripcourse.check"]
    layers = [name for name, _ in LAYERS]
    assert layer_of("dripcourse.exports.writer") == layers.index("views of built emails")
