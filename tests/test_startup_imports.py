"""Every process that builds the app (each server, worker and command, each test worker) imports the
modules the app's modules import at their top. A few dependencies cost far more than the rest and serve one
feature: they are imported where that feature runs, so a process pays for them only when it uses it."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.test_import_direction import _is_type_checking

SOURCE = Path(__file__).resolve().parent.parent / "src" / "fixdesk"
# Measured alone, in a process that has the app's common libraries: pyvroom imports pandas, about half a
# second of CPU; fpdf2 imports fontTools, a third of a second; dateparser (the scheduling assistant's
# explicit dates) a fifth; cashews (the read cache's store) imports redis-py, a fifth. The whole app's
# imports take about a second.
IMPORTED_WHERE_USED = frozenset({"vroom", "pandas", "fpdf", "fontTools", "dateparser", "cashews", "redis"})


def _top_level_imports(tree: ast.Module) -> set[str]:
    """The top-level packages a module imports when it is loaded: outside functions and classes' methods,
    and outside ``if TYPE_CHECKING:`` blocks (whose ``else`` still runs)."""
    found: set[str] = set()
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.If) and _is_type_checking(node):
            pending.extend(node.orelse)
        elif isinstance(node, ast.If | ast.Try | ast.ExceptHandler | ast.With | ast.ClassDef):
            pending.extend(ast.iter_child_nodes(node))
    return found


def test_the_check_sees_imports_that_run_and_ignores_those_that_do_not():
    source = """
import vroom.solver
from fpdf import FPDF
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    import pandas
else:
    import fontTools
try:
    import json
except ImportError:
    import simplejson
class Holder:
    import zlib
    def method(self):
        import gzip
def render():
    import bz2
"""
    assert _top_level_imports(ast.parse(source)) == {
        "vroom",
        "fpdf",
        "typing",
        "fontTools",
        "json",
        "simplejson",
        "zlib",
    }


def test_costly_single_feature_dependencies_are_imported_where_they_are_used():
    offenders = {
        str(path.relative_to(SOURCE)): sorted(
            _top_level_imports(ast.parse(path.read_text())) & IMPORTED_WHERE_USED
        )
        for path in sorted(SOURCE.rglob("*.py"))
    }
    assert {path: names for path, names in offenders.items() if names} == {}
