"""Every dependency on a request's path is ``async def`` (issue 9, item 11): FastAPI runs a plain ``def``
dependency in the thread pool, a thread hop (and a wait for a free thread under load) per dependency and
request, for functions that only read ``request.app.state``."""

from __future__ import annotations

import inspect
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from fixdesk.app import create_app
from tests.conftest import make_settings


def _dependency_calls(dependant: Dependant) -> list[Any]:
    calls = []
    for sub in dependant.dependencies:
        if sub.call is not None:
            calls.append(sub.call)
        calls.extend(_dependency_calls(sub))
    return calls


def _runs_in_the_thread_pool(call: Any) -> bool:
    if inspect.isroutine(call):
        return not (inspect.iscoroutinefunction(call) or inspect.isasyncgenfunction(call))
    # A class instance (fastapi.security.HTTPBearer…) is called through its __call__.
    method = getattr(call, "__call__", None)  # noqa: B004
    return not (inspect.iscoroutinefunction(method) or inspect.isasyncgenfunction(method))


def test_no_request_dependency_runs_in_the_thread_pool(tmp_path):
    app = create_app(make_settings(f"sqlite+aiosqlite:///{tmp_path}/deps.db", tmp_path))
    sync = sorted(
        {
            f"{call.__module__}.{getattr(call, '__qualname__', type(call).__qualname__)}"
            for route in app.routes
            if isinstance(route, APIRoute)
            for call in _dependency_calls(route.dependant)
            if _runs_in_the_thread_pool(call)
        }
    )
    assert sync == []
