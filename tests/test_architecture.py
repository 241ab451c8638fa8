"""The shape of the package, checked: layers, no cycles, small modules, public interfaces.

These are the rules `docs/architecture.md` states. They are read off the source with `ast`,
so they hold for every import, including those made only for type checking.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SIM = Path(__file__).resolve().parents[1] / "sim"
LAYERS = (
    "base",
    "config",
    "patients",
    "contracts",
    "providers",
    "engine",
    "experiments",
    "report",
    "cli",
    "app",
)
SCHEMA_MODULES = {"sim.config.scenario", "sim.config.scenario_schema"}
"""The scenario schema embeds each contract's terms, which live beside their rules: these two
modules may import from ``sim.contracts`` (its rule modules never import them back)."""
MAX_LINES = 400
MAX_TOP_LEVEL = 12


def _module_name(path: Path) -> str:
    parts = path.relative_to(SIM.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(SIM.rglob("*.py"))}


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, imported names) for every `sim` import in the file, at any depth."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sim"):
            found.append((node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names if a.name.startswith("sim")]
    return found


def _targets(module: str, names: list[str]) -> set[str]:
    """The package modules an import statement loads (a name may itself be a submodule)."""
    hits = {f"{module}.{n}" for n in names if f"{module}.{n}" in MODULES}
    if module in MODULES and (not hits or len(hits) < len(names)):
        hits.add(module)
    return hits


GRAPH = {
    name: {t for module, names in _imports(path) for t in _targets(module, names)} - {name}
    for name, path in MODULES.items()
}


def _layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else None


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_the_import_graph_has_no_cycle() -> None:
    assert _cycles(GRAPH) == []


def test_imports_flow_from_lower_layers_to_higher() -> None:
    upward = [
        (source, target)
        for source, targets in GRAPH.items()
        for target in targets
        if _layer(source) is not None
        and _layer(target) is not None
        and _layer(target) > _layer(source)
        and not (source in SCHEMA_MODULES and target.startswith("sim.contracts."))
    ]
    assert upward == []


def test_no_private_name_is_imported_from_another_module() -> None:
    private = [
        (name, module, imported)
        for name, path in MODULES.items()
        for module, names in _imports(path)
        for imported in names
        if imported.startswith("_") and module != name
    ]
    assert private == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_stay_small(name: str) -> None:
    lines = len(MODULES[name].read_text().splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines; split it by concept"


def test_the_package_top_level_stays_short() -> None:
    entries = [p.name for p in SIM.iterdir() if p.name != "__pycache__"]
    assert len(entries) <= MAX_TOP_LEVEL, sorted(entries)


def test_every_subpackage_says_what_it_holds() -> None:
    for package in SIM.iterdir():
        if package.is_dir() and (package / "__init__.py").exists():
            assert ast.get_docstring(ast.parse((package / "__init__.py").read_text())), package.name
