"""The package's shape: no import cycle (function-level imports count), no module over 450 lines."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import hma_gui
from tests.early import Results, outputs, python, starts_early

PACKAGE = Path(hma_gui.__file__).parent
MAX_LINES = 450


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


# The nodes an import statement can be in (or be): statements, except and case clauses.
_HOLDS_IMPORTS = (ast.stmt, ast.excepthandler, ast.match_case)


def imported_modules(path: Path, modules: set[str], name: str | None = None) -> set[str]:
    """Our modules `path` imports anywhere (functions too), except under `if TYPE_CHECKING:`."""
    name = name or module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, _HOLDS_IMPORTS):  # an import is a statement: skip expressions
                visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    result = set()
    for target in found:
        # importing a.b.c runs a/__init__ and a/b/__init__ too
        parts = target.split(".")
        for n in range(1, len(parts) + 1):
            candidate = ".".join(parts[:n])
            if candidate in modules and candidate != name:
                result.add(candidate)
    return result


def import_graph() -> dict[str, set[str]]:
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    modules = set(files)
    return {name: imported_modules(path, modules) for name, path in files.items()}


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def connect(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return cycles


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycles(graph) == [["a", "b", "c"]]


def test_function_level_imports_count(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    import hma_gui.core.errors\n"
        "def f():\n    from hma_gui.core import progress\n"
    )
    found = imported_modules(source, {"hma_gui", "hma_gui.core", "hma_gui.core.progress",
                                      "hma_gui.core.errors"}, name="m")  # fmt: skip
    assert found == {"hma_gui", "hma_gui.core", "hma_gui.core.progress"}


def find_cycles_in_hma_gui(folder: Path) -> list[list[str]]:
    """Parsing every module takes ~0.4 s: done in a child started early (`tests.early`)."""
    code = (
        "import json\n"
        "from tests.test_module_shape import find_cycles, import_graph\n"
        "graph = import_graph()\n"
        "print(json.dumps({'modules': len(graph), 'cycles': find_cycles(graph)}))\n"
    )
    return python(code)


@starts_early(find_cycles_in_hma_gui)
def test_hma_gui_has_no_import_cycle(early: Results) -> None:
    [out] = outputs(early)
    found = json.loads(out)
    assert found["modules"] == len(list(PACKAGE.rglob("*.py")))
    assert found["cycles"] == []


def test_no_module_is_over_the_line_limit() -> None:
    long = {
        module_name(p): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}
