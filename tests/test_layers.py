"""The import graph keeps the layers (docs/architecture.md): no cycles, and each package imports only the
layers beneath it. A new violation fails here with the offending import named."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("kernel", "texts", "models", "notices", "handlers", "scheduler", "bot")

# what each layer may import from the project (besides itself); everything else is a layering error
ALLOWED: dict[str, set[str]] = {
    "texts": {"kernel"},
    "kernel": {"texts"},
    "models": {"kernel", "texts"},
    "notices": {"kernel", "texts", "models"},
    "handlers": {"kernel", "texts", "models", "notices"},
    "scheduler": {"kernel", "texts", "models", "notices"},
    "bot": {"kernel", "texts", "models", "notices", "handlers", "scheduler"},
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """Project modules imported anywhere in the file (function-level imports included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for name in names:
            # the longest project module the name refers to (a `from pkg import module` names a module)
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    return found


def _graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")
             if "migrations" not in p.parts}
    modules = set(files)
    return {name: _imports(path, modules) - {name} for name, path in files.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _package_of(module: str) -> str:
    """A module's layer; a package's __init__ counts as its package."""
    return module.split(".")[0]


def test_no_import_cycles() -> None:
    assert _cycles(_graph()) == []


def test_each_layer_imports_only_the_layers_beneath_it() -> None:
    wrong = sorted(f"{src} → {dst}" for src, dsts in _graph().items() for dst in dsts
                   if _package_of(dst) != _package_of(src) and _package_of(dst) not in ALLOWED[_package_of(src)])
    assert wrong == []
