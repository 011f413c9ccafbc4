"""Every process that builds the app (each server, worker and command, each test worker) imports the
modules the app's modules import at their top. A few dependencies cost far more than the rest and serve one
feature: they are imported where that feature runs, so a process pays for them only when it uses it."""

from __future__ import annotations

import ast
from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent / "src" / "fixdesk"
# Measured alone, in a process that has the app's common libraries: pyvroom imports pandas, about half a
# second of CPU; fpdf2 imports fontTools, a third of a second. The whole app's imports take about a second.
IMPORTED_WHERE_USED = frozenset({"vroom", "pandas", "fpdf", "fontTools"})


def _top_level_imports(tree: ast.Module) -> set[str]:
    """The top-level packages a module imports when it is loaded (not inside a function)."""
    found: set[str] = set()
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.If | ast.Try | ast.With):
            pending.extend(ast.iter_child_nodes(node))
    return found


def test_costly_single_feature_dependencies_are_imported_where_they_are_used():
    offenders = {
        str(path.relative_to(SOURCE)): sorted(
            _top_level_imports(ast.parse(path.read_text())) & IMPORTED_WHERE_USED
        )
        for path in sorted(SOURCE.rglob("*.py"))
    }
    assert {path: names for path, names in offenders.items() if names} == {}
