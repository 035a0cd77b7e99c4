"""Imports follow the layer table in docs/architecture.md ("## Layers").

Every ``import liveshop.x`` and ``from liveshop.x import ...`` under src/liveshop
counts, at module level or inside a function (and under ``TYPE_CHECKING``): a
package may import only packages on its own row or a lower one, and no two
packages may import each other, directly or round a longer loop.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "liveshop"
ARCHITECTURE = ROOT / "docs" / "architecture.md"

# (importing module, imported package): why it is allowed for now. Empty today;
# an entry here is a known exception to remove, never a new rule.
ALLOWED_EXCEPTIONS: dict[tuple[str, str], str] = {}


def layer_rows() -> dict[str, int]:
    """Each package's row number in the numbered list under "## Layers"."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    section = text.split("## Layers", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, int] = {}
    for line in section.splitlines():
        numbered = re.match(r"^(\d+)\. (.*)$", line)
        if numbered:
            for name in re.findall(r"`([a-z_]+)(?:\.py|/)?`", numbered.group(2)):
                rows[name] = int(numbered.group(1))
    return rows


def top_level_parts() -> set[str]:
    """The subpackages and modules directly under src/liveshop."""
    parts = {path.name for path in PACKAGE.iterdir() if (path / "__init__.py").exists()}
    parts |= {path.stem for path in PACKAGE.glob("*.py") if path.stem != "__init__"}
    return parts


def module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts)


def imported_parts(tree: ast.AST, known: set[str]) -> Iterator[tuple[str, int]]:
    """(top-level part of liveshop, line) for every import of one, at any depth."""
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "liveshop":
                names = [f"liveshop.{alias.name}" for alias in node.names]
            else:
                names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "liveshop" and len(parts) > 1 and parts[1] in known:
                yield parts[1], node.lineno


def package_imports() -> list[tuple[str, str, str, int]]:
    """(importing module, its part, imported part, line) across src/liveshop."""
    known = top_level_parts()
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = module_name(path)
        own = module.split(".")[1] if "." in module else ""
        if not own:
            continue  # liveshop/__init__.py
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for imported, line in imported_parts(tree, known):
            if imported != own:
                found.append((module, own, imported, line))
    return found


def test_every_package_has_a_row() -> None:
    rows = layer_rows()
    assert sorted(top_level_parts() - rows.keys()) == []
    assert sorted(rows.keys() - top_level_parts()) == []


def test_no_package_imports_a_higher_row() -> None:
    rows = layer_rows()
    upward = [
        f"{module}:{line} imports liveshop.{imported} (row {rows[imported]} > {rows[own]})"
        for module, own, imported, line in package_imports()
        if rows[imported] > rows[own] and (module, imported) not in ALLOWED_EXCEPTIONS
    ]
    assert upward == []


def test_allowed_exceptions_still_exist() -> None:
    """An exception that was fixed leaves the list, so it cannot come back unseen."""
    current = {(module, imported) for module, _, imported, _ in package_imports()}
    assert sorted(set(ALLOWED_EXCEPTIONS) - current) == []


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One loop in the graph, as a path that ends where it starts; [] if none."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str]:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return []
        for target in sorted(graph.get(node, set())):
            cycle = visit(target, [*path, node])
            if cycle:
                return cycle
        done.add(node)
        return []

    for start in sorted(graph):
        cycle = visit(start, [])
        if cycle:
            return cycle
    return []


def test_no_import_cycles_between_packages() -> None:
    graph: dict[str, set[str]] = {}
    for module, own, imported, _ in package_imports():
        if (module, imported) not in ALLOWED_EXCEPTIONS:
            graph.setdefault(own, set()).add(imported)
    assert find_cycle(graph) == []


def test_the_checks_see_function_level_imports_and_cycles() -> None:
    tree = ast.parse("def f():\n    from liveshop.web.pages import x\n    import liveshop.live\n")
    assert list(imported_parts(tree, {"web", "live"})) == [("web", 2), ("live", 3)]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) == []
