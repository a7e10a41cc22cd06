"""The import graph of a package, read from its source.

Every import counts: at module level, under `TYPE_CHECKING` and inside functions. Deferring
an import hides a cycle from the interpreter, not from a reader.
"""

from __future__ import annotations

import ast
from pathlib import Path

Graph = dict[str, set[str]]


def modules(package: Path) -> dict[str, Path]:
    """Each module of `package` by its dotted name (a package by its `__init__.py`)."""
    found: dict[str, Path] = {}
    for path in package.rglob("*.py"):
        parts = path.relative_to(package.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def import_graph(package: Path) -> Graph:
    """Module -> the package's modules it imports. A module's own enclosing packages are left
    out: importing a submodule runs its parents' `__init__` anyway."""
    known = modules(package)
    graph: Graph = {name: set() for name in known}
    for name, path in known.items():
        for target in _imported(name, path, known):
            if target != name and not name.startswith(target + ".") and target != package.name:
                graph[name].add(target)
    return graph


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected components of more than one module, each sorted."""
    reach = {node: _reachable(graph, node) for node in graph}
    seen: set[str] = set()
    found: list[list[str]] = []
    for node in sorted(graph):
        if node in seen:
            continue
        component = sorted({node} | {other for other in reach[node] if node in reach[other]})
        seen.update(component)
        if len(component) > 1:
            found.append(component)
    return found


def _imported(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    targets: set[str] = set()
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package[: len(package) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            candidates = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for candidate in candidates:
            while candidate and candidate not in known:
                candidate = candidate.rpartition(".")[0]
            if candidate:
                targets.add(candidate)
    return targets


def _reachable(graph: Graph, start: str) -> set[str]:
    stack, seen = [start], set[str]()
    while stack:
        for target in graph[stack.pop()]:
            if target not in seen:
                seen.add(target)
                stack.append(target)
    return seen
