"""Every app of a process shares one built route table (:func:`fixdesk.platform.routes.include_router`):
FastAPI builds an included router's handlers on an app's first request, and a second app must not pay it
again, nor see a different route."""

from __future__ import annotations

import httpx
from fastapi import APIRouter, FastAPI, Request

from fixdesk.app import create_app
from fixdesk.platform.routes import (
    _unbuilt_paths,
    flat_routes,
    include_router,
    literal_prefixes,
    path_prefixes,
)
from tests.conftest import make_settings


def _included(app: FastAPI) -> list[object]:
    return [route for route in app.router.routes if type(route).__name__ == "_IncludedRouter"]


def test_two_apps_share_the_routers_they_include(tmp_path):
    first = create_app(make_settings("sqlite+aiosqlite://", tmp_path / "one"))
    second = create_app(make_settings("sqlite+aiosqlite://", tmp_path / "two"))

    shared = _included(first)
    assert len(shared) > 20  # every domain's routers and the pages
    assert all(a is b for a, b in zip(shared, _included(second), strict=True))
    paths = {route.path_format for route in flat_routes(first.routes) if hasattr(route, "path_format")}
    assert "/api/v1/repairs/{repair_id}" in paths


async def test_a_shared_router_serves_each_app_with_its_own_state():
    router = APIRouter()

    @router.get("/name")
    async def name(request: Request) -> dict[str, str]:
        return {"name": request.app.state.name}

    answers = []
    for label in ("first", "second"):
        app = FastAPI()
        app.state.name = label
        include_router(app, router, prefix="/shared")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            answers.append((await client.get("/shared/name")).json()["name"])
    assert answers == ["first", "second"]


async def test_routers_skipped_by_their_path_prefixes_still_answer_as_before():
    # Each included router answers "no match" at once for a path outside its routes' literal prefixes;
    # the routes themselves, their 405s and the parameters they read are unchanged.
    first, second = APIRouter(), APIRouter()

    @first.get("/things/{thing_id}")
    async def thing(thing_id: int) -> dict[str, int]:
        return {"thing": thing_id}

    @second.get("/thing-types")
    async def thing_types() -> dict[str, str]:
        return {"router": "second"}

    @second.post("/things")
    async def add_thing() -> dict[str, str]:
        return {"router": "second"}

    app = FastAPI()
    include_router(app, first, prefix="/api")
    include_router(app, second, prefix="/api")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        assert (await http.get("/api/things/7")).json() == {"thing": 7}
        assert (await http.get("/api/thing-types")).json() == {"router": "second"}
        assert (await http.post("/api/things")).json() == {"router": "second"}
        wrong_method = await http.delete("/api/things/7")
        assert wrong_method.status_code == 405
        assert "GET" in wrong_method.headers["allow"]
        assert (await http.get("/api/other")).status_code == 404


def test_the_prefixes_read_without_building_the_routes_are_those_of_the_built_routes(tmp_path):
    # include_router reads each router's literal prefixes from the routes' own paths, leaving FastAPI to
    # build the handlers on the first request. A nested router, a route of a router's own prefix or a
    # low-priority route missed by that walk would make its paths answer 404.
    nested, outer = APIRouter(prefix="/inner"), APIRouter(prefix="/outer")

    @nested.get("/{item_id}")
    async def item(item_id: int) -> dict[str, int]:
        return {"item": item_id}

    outer.include_router(nested, prefix="/nested")
    app = create_app(make_settings("sqlite+aiosqlite://", tmp_path))
    include_router(app, outer, prefix="/extra")

    entries = _included(app)
    assert len(entries) > 20
    for entry in entries:
        assert path_prefixes(_unbuilt_paths(entry)) == literal_prefixes(flat_routes([entry]))
    assert path_prefixes(_unbuilt_paths(entries[-1])) == ("/extra/outer/nested/inner/",)
