"""The house's floors (shared/STYLE.md): no two modules of the layer import each other, however
indirectly, and a lower room never reaches up into a room built on it. Read statically from the
source (every import, those inside functions and under TYPE_CHECKING included), so it costs no import.
"""

from __future__ import annotations

import ast
from pathlib import Path

LAYER = Path(__file__).resolve().parent.parent / "layers" / "shared"
PACKAGE = LAYER / "fleetreport"

# room → rooms built on it, which it must never import (a fact both need lives in the lower room).
UPPER_ROOMS: dict[str, set[str]] = {
    "storage": {"apps", "auth", "groups", "compliance", "reports", "rollup", "alerts", "aggregates"},
    "groups": {"alerts", "aggregates", "reports"},
    "rollup": {"reports", "alerts", "aggregates"},
    "compliance": {"reports", "alerts", "aggregates", "groups"},
    "aggregates": {"alerts", "reports"},
    "apps": {"groups", "alerts", "aggregates", "reports", "rollup", "compliance"},
}


def module_name(path: Path) -> str:
    parts = path.relative_to(LAYER).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """The fleetreport modules `path` imports (`from a import b` counts as `a.b` when that is a module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.startswith("fleetreport.")}


def import_graph() -> dict[str, set[str]]:
    modules = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    return {name: imports_of(path) & modules.keys() - {name} for name, path in modules.items()}


def room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 else ""


def cycle_from(graph: dict[str, set[str]], start: str) -> list[str] | None:
    """A path of imports from `start` back to itself, if any (depth-first, iterative)."""
    pending: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while pending:
        module, path = pending.pop()
        for imported in sorted(graph.get(module, ())):
            if imported == start:
                return [*path, start]
            if imported not in seen:
                seen.add(imported)
                pending.append((imported, [*path, imported]))
    return None


def test_the_import_check_sees_a_cycle_and_an_upward_import() -> None:
    graph = {"fleetreport.a.x": {"fleetreport.b.y"}, "fleetreport.b.y": {"fleetreport.a.x"}}
    assert cycle_from(graph, "fleetreport.a.x") == ["fleetreport.a.x", "fleetreport.b.y", "fleetreport.a.x"]
    assert cycle_from({"fleetreport.a.x": {"fleetreport.b.y"}}, "fleetreport.a.x") is None
    assert room("fleetreport.groups.activity") == "groups" and room("fleetreport.http") == ""


def test_no_module_of_the_layer_imports_itself_through_others() -> None:
    graph = import_graph()
    assert len(graph) > 50  # the walk found the layer
    cycles = [" -> ".join(cycle) for module in sorted(graph) if (cycle := cycle_from(graph, module))]
    assert cycles == []


def test_no_lower_room_imports_a_room_built_on_it() -> None:
    upward = sorted(
        f"{module} imports {imported}"
        for module, imported_modules in import_graph().items()
        for imported in imported_modules
        if room(imported) in UPPER_ROOMS.get(room(module), set())
    )
    assert upward == []
