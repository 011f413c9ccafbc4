"""Reading the app's route table: every route with its full path, and the methods answered at a path."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import fastapi.routing


def flat_routes(routes: Iterable[Any]) -> Iterator[Any]:
    """Every route with its full path and the dependencies of the routers around it.

    Recent FastAPI releases keep included routers as lazy entries in ``app.routes``;
    ``iter_route_contexts`` flattens them into route contexts (prefixed path, dependency tree with the
    routers' dependencies, ``path_regex``, ``methods``). Older releases list flat routes already.
    """
    flatten = getattr(fastapi.routing, "iter_route_contexts", None)
    yield from (flatten(routes) if flatten is not None else routes)


def allowed_methods(routes: Iterable[Any], path: str) -> list[str]:
    """The methods some route answers at ``path`` (a request path without the root path), sorted; HEAD is
    among them wherever GET is (Starlette answers HEAD for every GET route).

    Starlette's own 405 names only the methods of the first route whose path matched, so a path served
    by several routes (``GET /customers`` and ``POST /customers``) would advertise half of them.
    """
    methods: set[str] = set()
    for route in flat_routes(routes):
        route_methods = getattr(route, "methods", None)
        path_regex = getattr(route, "path_regex", None)
        if route_methods and path_regex is not None and path_regex.match(path):
            methods.update(route_methods)
    return sorted(methods)
