"""Imports run down the layers, never up (docs/architecture.md, "Layers").

Walks every module of relief/ with ``ast`` (imports inside functions and under
TYPE_CHECKING count too) and fails on an import from a higher layer, so that a plan's
one pipeline, the pure code under it and the domains' order cannot tangle again.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "relief"

# Lowest first. A module belongs to the first layer one of whose names it is or is under.
FOUNDATION = 0
RECORDS = 1
RULES = 2
ALLOCATION = 3
FOLDER = 4
SERVICES = 5
ENTRY = 6

LAYER_NAMES = {
    FOUNDATION: "foundation",
    RECORDS: "records",
    RULES: "pure rules",
    ALLOCATION: "allocation pipeline",
    FOLDER: "folder source",
    SERVICES: "domain services",
    ENTRY: "entry points",
}

LAYERS: dict[int, tuple[str, ...]] = {
    FOUNDATION: ("relief.clock", "relief.config", "relief.errors", "relief.i18n"),
    RECORDS: (
        "relief.network.records",
        "relief.emergency.records",
        "relief.emergency.figures",
        "relief.scenario.records",
    ),
    RULES: (
        "relief.network.graph",
        "relief.emergency.assessment",
        "relief.emergency.needs",
        "relief.emergency.reporting",
    ),
    ALLOCATION: (
        "relief.allocation.model",
        "relief.allocation.problem",
        "relief.allocation.solver",
        "relief.allocation.greedy",
        "relief.allocation.compare",
        "relief.allocation.replan",
        "relief.allocation.pipeline",
    ),
    FOLDER: ("relief.allocation.planning", "relief.allocation.bench"),
    ENTRY: ("relief.app", "relief.cli", "relief.web", "relief.demo", "relief.load_bench"),
}

# Between domain services: a domain below never imports one above it. Allocation plans
# from the network, the stock and the emergency's needs, and approves into dispatch.
BELOW_ALLOCATION = ("relief.network", "relief.stock", "relief.emergency", "relief.dispatch")
BELOW_EMERGENCY = ("relief.network", "relief.stock")


def _under(module: str, names: tuple[str, ...]) -> bool:
    return any(module == n or module.startswith(n + ".") for n in names)


def layer_of(module: str) -> int:
    for layer in sorted(LAYERS):
        if _under(module, LAYERS[layer]):
            return layer
    last = module.rsplit(".", 1)[-1]
    if last == "api" or last.endswith("_api"):
        return ENTRY  # a domain's routers
    return SERVICES


@functools.cache
def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


@functools.cache
def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every relief import in the file; ``from relief.x import y`` is
    recorded as relief.x.y when y is a module, else as relief.x."""
    modules = _modules()
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("relief")]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if not node.module.startswith("relief"):
                continue
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.append((node.lineno, sub if sub in modules else node.module))
    return sorted(set(found))


def violations() -> list[str]:
    out = []
    for module, path in _modules().items():
        mine = layer_of(module)
        for line, target in imports_of(path):
            if target == "relief":
                continue
            theirs = layer_of(target)
            where = f"{path.relative_to(ROOT.parent)}:{line}: {module} imports {target}"
            if theirs > mine:
                out.append(f"{where} ({LAYER_NAMES[mine]} may not import {LAYER_NAMES[theirs]})")
            elif _under(module, BELOW_ALLOCATION) and _under(target, ("relief.allocation",)):
                out.append(f"{where} (allocation sits above this domain)")
            elif _under(module, BELOW_EMERGENCY) and _under(target, ("relief.emergency",)):
                out.append(f"{where} (the emergency domain sits above this one)")
    return out


def test_no_module_imports_from_a_higher_layer():
    found = violations()
    assert not found, "imports that run up the layers:\n" + "\n".join(found)


def test_every_named_module_exists():
    # A renamed module must not silently drop out of its layer.
    modules = _modules()
    for names in LAYERS.values():
        for name in names:
            assert name in modules, name


@pytest.mark.parametrize(
    ("module", "target"),
    [
        ("relief.network.graph", "relief.emergency.records"),
        ("relief.emergency.responses", "relief.allocation.model"),
        ("relief.allocation.pipeline", "relief.allocation.service"),
        ("relief.allocation.solver", "relief.db"),
        ("relief.allocation.service", "relief.web.shell"),
    ],
)
def test_the_check_catches_an_import_up(module, target, monkeypatch):
    path = _modules()[module]
    original = imports_of

    def with_one_more(p: Path) -> list[tuple[int, str]]:
        found = original(p)
        return [*found, (1, target)] if p == path else found

    monkeypatch.setitem(globals(), "imports_of", with_one_more)
    assert any(f"{module} imports {target}" in v for v in violations())
