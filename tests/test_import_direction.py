"""Imports point one way (docs/ARCHITECTURE.md, "Dependencies between domains").

Read from the source with ``ast``, not by importing: every ``import``/``from … import`` of a ``fixdesk``
module anywhere in a file counts, inside functions and ``if TYPE_CHECKING:`` blocks included, since a
dependency hidden in a function is still a dependency.

* Between domains the graph is acyclic: a domain may use the domains below it (repairs uses customers),
  and anything that must flow back up (a warranty when a repair completes, an erasure reaching the
  reviews) runs from a domain event.
* The platform and the integrations import no domain and not the composition root (``fixdesk.app``,
  ``fixdesk.bootstrap``, ``fixdesk.domains``, …): they are the layer everything else stands on.
* No module imports, while it is being loaded, a module that imports it back: a cycle of top-level imports
  works only by the luck of the import order.
"""

from __future__ import annotations

import ast
import graphlib
import itertools
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from fixdesk.domains import DOMAINS

SOURCE = Path(__file__).resolve().parent.parent / "src" / "fixdesk"
DOMAIN_PACKAGES = frozenset(manifest.name for manifest in DOMAINS) - {"platform"}
FOUNDATION_PACKAGES = frozenset({"platform", "integrations"})
# The modules that put the application together; only they (and tools such as the CLI and the demo
# loader) may know every domain.
COMPOSITION_ROOT = frozenset({"app", "bootstrap", "cli", "domains", "models", "services", "__main__"})
# The web app's pages call the domains' services; a domain names its pages in its manifest by import path.
WEB_APP = "web"

# Domain → domain imports allowed although they close a cycle. An entry needs a comment saying why the cycle
# cannot be broken (yet) with an access function or a domain event.
ALLOWED_CYCLE_EDGES: frozenset[tuple[str, str]] = frozenset()
# None today. (customers → identity was one until the audit log and the credential rules moved below
# customers, into the audit and credentials domains, and the portal-link routes into identity's router.)


@dataclass(frozen=True)
class Import:
    """One import in a source file: the importing module, the imported one, and whether it runs when
    the importing module is loaded (top level, outside ``if TYPE_CHECKING:``)."""

    source: str
    target: str
    at_load: bool
    line: int


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SOURCE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(node: ast.AST, source: str, package: str, at_load: bool) -> Iterator[Import]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import):
            for alias in child.names:
                if alias.name.startswith("fixdesk"):
                    yield Import(source, alias.name, at_load, child.lineno)
        elif isinstance(child, ast.ImportFrom):
            base = child.module or ""
            if child.level:
                parent = package.split(".")[: len(package.split(".")) - child.level + 1]
                base = ".".join([*parent, base] if base else parent)
            if base.startswith("fixdesk"):
                for alias in child.names:
                    yield Import(source, f"{base}.{alias.name}", at_load, child.lineno)
        elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            yield from _imports(child, source, package, at_load=False)
        elif isinstance(child, ast.If) and _is_type_checking(child):
            for statement in child.body:
                yield from _imports(ast.Module(body=[statement], type_ignores=[]), source, package, False)
            for statement in child.orelse:
                yield from _imports(ast.Module(body=[statement], type_ignores=[]), source, package, at_load)
        else:
            yield from _imports(child, source, package, at_load)


def source_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(SOURCE.rglob("*.py"))}


def all_imports() -> list[Import]:
    """Every import of a ``fixdesk`` module in the source, resolved to the module it loads (``from
    fixdesk.repairs import service`` loads ``fixdesk.repairs.service``; ``from fixdesk.db import Base``
    loads ``fixdesk.db``)."""
    modules = source_modules()
    found: list[Import] = []
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for item in _imports(ast.parse(path.read_text(), str(path)), name, package, at_load=True):
            target = item.target
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.append(Import(item.source, target, item.at_load, item.line))
    return found


def top_package(module: str) -> str:
    """``fixdesk.repairs.quotes.service`` → ``repairs``; a root module such as ``fixdesk.db`` → ``db``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def domain_graph(imports: list[Import]) -> dict[str, dict[str, list[str]]]:
    """``{domain: {imported domain: ["file:line", …]}}`` over the domain packages."""
    graph: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for item in imports:
        source, target = top_package(item.source), top_package(item.target)
        between_domains = source in DOMAIN_PACKAGES and target in DOMAIN_PACKAGES and source != target
        if between_domains and (source, target) not in ALLOWED_CYCLE_EDGES:
            graph[source][target].append(f"{item.source}:{item.line}")
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of ``graph`` (node → the nodes it depends on) as a list of nodes, or ``None``."""
    try:
        tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as error:
        return list(error.args[1])
    return None


# --- the checks ------------------------------------------------------------------------------------------


def test_the_domains_import_one_another_in_one_direction():
    graph = domain_graph(all_imports())
    cycle = find_cycle({domain: set(targets) for domain, targets in graph.items()})
    if cycle is not None:
        steps = []
        for a, b in itertools.pairwise(cycle):
            source, target = (a, b) if b in graph[a] else (b, a)
            steps.append(f"{source} → {target} ({', '.join(graph[source][target][:3])})")
        pytest.fail("import cycle between domains: " + "; ".join(steps))
    # The reader found the domains' real dependencies (a reader that saw nothing would pass vacuously).
    assert {"customers", "catalog", "identity"} <= set(graph["repairs"])


def test_the_platform_and_the_integrations_import_no_domain_and_not_the_composition_root():
    offending = [
        f"{item.source}:{item.line} imports {item.target}"
        for item in all_imports()
        if top_package(item.source) in FOUNDATION_PACKAGES
        and (
            top_package(item.target) in DOMAIN_PACKAGES
            or top_package(item.target) in COMPOSITION_ROOT
            or top_package(item.target) == WEB_APP
        )
    ]
    assert offending == []


def test_domains_do_not_import_the_composition_root_or_the_web_app():
    offending = [
        f"{item.source}:{item.line} imports {item.target}"
        for item in all_imports()
        if top_package(item.source) in DOMAIN_PACKAGES
        and (top_package(item.target) in COMPOSITION_ROOT or top_package(item.target) == WEB_APP)
    ]
    assert offending == []


def test_no_module_imports_back_a_module_that_is_loading_it():
    graph: dict[str, set[str]] = defaultdict(set)
    for item in all_imports():
        if item.at_load:
            graph[item.source].add(item.target)
    cycle = find_cycle(graph)
    assert cycle is None, f"modules importing one another while loading: {' ↔ '.join(cycle or [])}"


def test_the_checks_see_a_cycle_and_a_type_checking_import():
    # The checks themselves must be able to fail.
    assert find_cycle({"repairs": {"customers"}, "customers": {"repairs"}}) in (
        ["repairs", "customers", "repairs"],
        ["customers", "repairs", "customers"],
    )
    assert find_cycle({"repairs": {"customers"}, "customers": set()}) is None
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "import fixdesk.db\n"
        "if TYPE_CHECKING:\n    from fixdesk.repairs.models import Repair\n"
        "def f():\n    from fixdesk.customers import access\n"
    )
    found = {(item.target, item.at_load) for item in _imports(tree, "fixdesk.x", "fixdesk", True)}
    assert found == {
        ("fixdesk.db", True),
        ("fixdesk.repairs.models.Repair", False),
        ("fixdesk.customers.access", False),
    }
