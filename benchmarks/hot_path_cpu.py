"""CPU one hot-path request costs inside the Fixdesk process (issue 9, item 11): ``python
benchmarks/hot_path_cpu.py [--requests N] [--rounds R] [--profile KIND] [--calls] [--bodies FILE]
[--compare BEFORE AFTER]``.

Runs on the database that ``benchmarks/hot_path.py`` loaded (``fixdesk_hot_path`` on 127.0.0.1:5432, override
the server with ``FIXDESK_BENCH_POSTGRES``; run ``hot_path.py`` once first). Builds the app in this process
(rate limits lifted, as ``hot_path.py`` does), signs in as the demo admin, then calls the ASGI app directly,
without a server or an HTTP client, ``N`` times (200) per request after a warm-up of 50, one request at a
time, in ``R`` rounds (9), and prints the process CPU time per request (``time.process_time``: this
process's CPU only) of the lowest and the median round, and the lowest wall time per request (which
includes waiting for PostgreSQL). On a shared machine even CPU time grows with the others' load (caches,
the second hardware thread), so the lowest round is the figure to compare, from runs taken in turn. The
requests: the repair detail, the first list page, and ``/health``, plain and with a query string (which
takes the full middleware stack).

``--profile cprofile`` prints the 40 functions with the most cumulative time over the detail's and the
list's runs (``--profile detail``, ``list`` or ``health`` for one of them).

``--calls`` prints the Python function calls one request makes (cProfile's count, garbage collector off):
a deterministic measure of the Python work, the same on every run whatever the machine's load, for
comparing two versions (``PYTHONPATH=<other checkout>/src`` runs another version's code with this script).

``--bodies FILE`` also writes the answers to a sample of URLs (100 repair details, list pages, filters and
searches) to ``FILE`` as JSON (URL → status and body), and ``--compare FILE`` compares them with an earlier
file, byte for byte, so a change can be shown to answer the same bytes.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from hot_path import DATABASE, SERVER, server_environment  # the same database and settings


class _Call:
    """One GET through the ASGI app, with a prebuilt scope; collects the status and body."""

    def __init__(self, app: Any, path: str, token: str | None) -> None:
        self.app = app
        path, _, query = path.partition("?")
        headers = [(b"host", b"127.0.0.1")]
        if token:
            headers.append((b"authorization", f"Bearer {token}".encode()))
        self.scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": query.encode(),
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
        }

    async def __call__(self) -> tuple[int, bytes]:
        status = 0
        body = bytearray()

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))

        await self.app(dict(self.scope), receive, send)
        return status, bytes(body)


async def _measure(call: _Call, requests: int, warm_up: int = 50) -> tuple[float, float]:
    """(CPU ms, wall ms) per request, after ``warm_up`` requests."""
    for _ in range(warm_up):
        status, body = await call()
        if status != 200:
            raise RuntimeError(f"{call.scope['path']}: {status} {body[:200]!r}")
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(requests):
        await call()
    return (time.process_time() - cpu) * 1000 / requests, (time.perf_counter() - wall) * 1000 / requests


async def run(options: argparse.Namespace) -> None:
    import httpx
    from sqlalchemy.engine import make_url

    from fixdesk.app import create_app
    from fixdesk.config import Settings
    from fixdesk.demo.loader import DEMO_PASSWORD
    from fixdesk.platform.observability import configure_logging

    database_url = make_url(SERVER).set(drivername="postgresql+asyncpg", database=DATABASE)
    os.environ.update(
        server_environment(
            database_url.render_as_string(hide_password=False), tempfile.mkdtemp(prefix="fixdesk-cpu-")
        )
    )
    settings = Settings()
    # As `fixdesk serve` does: the request log at WARNING writes nothing per request.
    configure_logging(settings.log_level, settings.log_json)
    app = create_app(settings, run_worker=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            login = await client.post(
                "/api/v1/auth/login", json={"email": "admin@example.com", "password": DEMO_PASSWORD}
            )
            login.raise_for_status()
            token = login.json()["accessToken"]
            first_page = await client.get("/api/v1/repairs", headers={"Authorization": f"Bearer {token}"})
            first_page.raise_for_status()
        detail_id = first_page.json()["items"][0]["id"]

        calls = {
            "detail": _Call(app, f"/api/v1/repairs/{detail_id}", token),
            "list": _Call(app, "/api/v1/repairs", token),
            "health": _Call(app, "/health", None),
            "health?probe=1": _Call(app, "/health?probe=1", None),
        }
        if options.bodies:
            await _write_bodies(app, token, Path(options.bodies))
        if options.calls:
            await _count_calls(calls, options.requests)
            return
        if options.profile:
            names = ["detail", "list"] if options.profile == "cprofile" else [options.profile]
            # CPU time, not wall time: waiting for PostgreSQL is not what the profile is after.
            profiler = cProfile.Profile(time.process_time)
            for name in names:
                await _measure(calls[name], 20, warm_up=50)
                profiler.enable()
                await _measure(calls[name], options.requests, warm_up=0)
                profiler.disable()
            stats = pstats.Stats(profiler)
            stats.sort_stats("cumulative").print_stats(40)
            stats.sort_stats("tottime").print_stats(40)
            return
        print(
            f"{'':16} {'CPU ms/request':>15} {'median':>8} {'wall ms/request':>16}  "
            f"(lowest and median of {options.rounds} runs of {options.requests})"
        )
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in calls}
        for _ in range(options.rounds):
            for name, call in calls.items():
                results[name].append(await _measure(call, options.requests))
        for name, runs in results.items():
            # The lowest run is the one the machine's other work disturbed least.
            cpu = min(run[0] for run in runs)
            median = statistics.median(run[0] for run in runs)
            wall = min(run[1] for run in runs)
            print(f"{name:16} {cpu:15.3f} {median:8.3f} {wall:16.3f}")


async def _count_calls(calls: dict[str, _Call], requests: int) -> None:
    """The Python function calls one request makes (cProfile's count, ``requests`` requests after a
    warm-up, the garbage collector off): the same on every run, whatever else the machine does, so two
    versions of the code compare exactly; C work (the drivers, pydantic-core) counts as one call each."""
    print(f"{'':16} {'Python calls/request':>21}")
    for name, call in calls.items():
        await _measure(call, 1, warm_up=50)
        gc.collect()
        gc.disable()
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(requests):
            await call()
        profiler.disable()
        gc.enable()
        total = sum(entry[1] for entry in pstats.Stats(profiler).stats.values())  # type: ignore[attr-defined]
        print(f"{name:16} {total / requests:21.0f}")


async def _write_bodies(app: Any, token: str, path: Path) -> None:
    """The status and body of a sample of URLs (see the module docstring), written as JSON (a benchmark's
    one write, after the answers: blocking the loop then delays nothing)."""
    listing = await _Call(app, "/api/v1/repairs?pageSize=100", token)()
    ids = [item["id"] for item in json.loads(listing[1])["items"]]
    urls = [f"/api/v1/repairs/{repair_id}" for repair_id in ids]
    urls += [
        "/api/v1/repairs",
        "/api/v1/repairs?page=2",
        "/api/v1/repairs?pageSize=50&page=3",
        "/api/v1/repairs?status=active",
        "/api/v1/repairs?status=received",
        "/api/v1/repairs?statusGroup=completed",
        "/api/v1/repairs?priority=urgent",
        "/api/v1/repairs?search=iphone",
        "/api/v1/repairs?status=active&search=iphone",
        "/api/v1/repairs?search=samsung&pageSize=5",
        "/api/v1/repairs?sortBy=priority&sortOrder=asc",
        "/api/v1/repairs/00000000-0000-0000-0000-000000000000",
        "/api/v1/repairs/not-a-uuid",
        "/api/v1/customers",
        "/api/v1/customers?search=a",
        "/api/v1/users/me",
        "/api/v1/work-orders",
        "/api/v1/invoices",
    ]
    answers = {}
    for url in urls:
        status, body = await _Call(app, url, token)()
        answers[url] = {"status": status, "body": body.decode()}
    path.write_text(json.dumps(answers, indent=1, sort_keys=True))  # noqa: ASYNC240
    print(f"wrote {len(answers)} answers to {path}", file=sys.stderr)


def compare(first: Path, second: Path) -> int:
    """Compare two ``--bodies`` files; prints the URLs whose answers differ. Returns the exit status."""
    before, after = json.loads(first.read_text()), json.loads(second.read_text())
    differing = [url for url in sorted(set(before) | set(after)) if before.get(url) != after.get(url)]
    for url in differing:
        print(f"differs: {url}")
    print(f"{len(before)} and {len(after)} answers, {len(differing)} differ")
    return 1 if differing else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--profile", choices=["cprofile", "detail", "list", "health"])
    parser.add_argument("--calls", action="store_true", help="Python function calls per request")
    parser.add_argument("--bodies", help="write a sample of answers to this file")
    parser.add_argument("--compare", nargs=2, metavar=("BEFORE", "AFTER"), help="compare two --bodies files")
    options = parser.parse_args()
    if options.compare:
        sys.exit(compare(Path(options.compare[0]), Path(options.compare[1])))
    asyncio.run(run(options))


if __name__ == "__main__":
    main()
