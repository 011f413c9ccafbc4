"""The app's route table: including a router once per process, every route with its full path, and the
methods answered at a path."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from typing import Any

import fastapi.routing
from fastapi import APIRouter, FastAPI
from starlette._utils import get_route_path
from starlette.routing import Match

_shared_inclusions: dict[tuple[int, str, bool], tuple[APIRouter, Any]] = {}
_shared_inclusions_lock = threading.Lock()


def include_router(
    app: FastAPI, router: APIRouter, *, prefix: str = "", include_in_schema: bool = True
) -> None:
    """``app.include_router(router, prefix=..., include_in_schema=...)``, with the inclusion shared by every
    app of the process that includes the same router with the same options.

    Recent FastAPI releases build an included router's handlers (each route's dependency tree, request
    and response models) lazily, per inclusion: on an app's first request, about 0.15 s of CPU for
    Fixdesk's few hundred routes, paid again by every new app. Sharing the inclusion pays it once per
    process; the test suite, which builds an app per test, spent about a third of its time there. The
    shared entry is the one FastAPI itself makes, included into a bare router: the routes' own options are
    untouched, and only app-level ``dependency_overrides`` (which Fixdesk does not use) would not reach
    them. A router whose routes change later is rebuilt by FastAPI as usual.
    """
    key = (id(router), prefix, include_in_schema)
    with _shared_inclusions_lock:
        shared = _shared_inclusions.get(key)
        if shared is None:
            holder = APIRouter()
            holder.include_router(router, prefix=prefix, include_in_schema=include_in_schema)
            (entry,) = holder.routes
            _match_only_under(entry, path_prefixes(_unbuilt_paths(entry)))
            # The router is kept with its entry, so its id cannot be reused by another router.
            shared = _shared_inclusions[key] = (router, entry)
    app.router.routes.append(shared[1])


def literal_prefixes(routes: Iterable[Any]) -> tuple[str, ...]:
    """The literal start of each route's path, up to its first parameter (``/api/v1/repairs/`` for
    ``/api/v1/repairs/{repair_id}``): a request path can match a route only if it starts with it."""
    return path_prefixes(route.path for route in routes if hasattr(route, "path"))


def path_prefixes(paths: Iterable[str]) -> tuple[str, ...]:
    """The literal start of each path up to its first parameter, sorted, without repeats."""
    return tuple(sorted({path.split("{", 1)[0] for path in paths}))


def _unbuilt_paths(entry: Any) -> Iterator[str]:
    """The full paths of an included router's routes, without building the routes.

    :func:`flat_routes` builds each route's handler (dependency tree, request and response models): the
    work FastAPI otherwise does on the first request a route could answer. Walking the router's own routes
    with the inclusion's prefix gives the same paths for nothing, and leaves the building to the requests:
    a process pays only for the routes it serves (a server started for one test, a command). Another
    FastAPI release without the lazy inclusion falls back to :func:`flat_routes`.
    """
    original = getattr(entry, "original_router", None)
    context = getattr(entry, "include_context", None)
    if original is None or context is None:
        yield from (route.path for route in flat_routes([entry]) if hasattr(route, "path"))
        return

    def walk(router: Any, prefix: str) -> Iterator[str]:
        for route in [*router.routes, *getattr(router, "_low_priority_routes", ())]:
            child = getattr(route, "original_router", None)
            if child is not None:
                yield from walk(child, prefix + route.include_context.prefix)
            elif hasattr(route, "path"):
                yield prefix + route.path

    yield from walk(original, context.prefix)


def _match_only_under(entry: Any, prefixes: tuple[str, ...]) -> None:
    """Make an included router's entry answer "no match" at once for a path that starts with none of
    ``prefixes`` (its routes' :func:`literal_prefixes`).

    The app matches a request against its entries in order, and FastAPI matches an included router by
    trying every route of it (regular expressions, and scope bookkeeping around each): for the repairs
    detail that was 78 routes of 11 routers before its own, about a tenth of the request's CPU. A path
    that starts with none of the literal prefixes cannot match any of the routes, fully or partly (the
    same path with another method), so the answer is the same, and the test is one ``str.startswith``.
    """
    if not prefixes or not hasattr(entry, "matches"):
        return
    matches = entry.matches

    def matches_under_prefixes(scope: Any) -> tuple[Match, Any]:
        if not get_route_path(scope).startswith(prefixes):
            return Match.NONE, {}
        return matches(scope)  # type: ignore[no-any-return]

    entry.matches = matches_under_prefixes


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
