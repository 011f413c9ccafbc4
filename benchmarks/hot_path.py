"""Speed of the hot path against raw floors (issue 9, item 11): ``python benchmarks/hot_path.py [SCALE]
[--seconds S] [--rounds R] [--clients C] [--workers N] [--keep]``.

(Re)creates the PostgreSQL database ``fixdesk_hot_path`` on 127.0.0.1:5432 (override the server with
``FIXDESK_BENCH_POSTGRES``), loads the demo shop at ``SCALE`` (default 1: 1,000 repairs, a quick run; the
issue's figure is scale 250) unless ``--keep`` reuses the loaded database, then starts on 127.0.0.1 only:

* Fixdesk itself (``fixdesk serve --no-worker``, one process unless ``--workers``), rate limits lifted;
* the raw floor: a minimal ASGI app on raw asyncpg that, per request, runs the SQL the answer needs (for the
  detail: the repair joined to its customer, technician and review, its history with who changed it, its
  items and its labour; for the first list page: the page joined to customers and technicians, and the
  bounded count, which beyond 10,000 repairs gives way to the planner's estimate, reused for 30 s as
  Fixdesk reuses it) and answers the byte-identical JSON Fixdesk gave for the same URL (checked at start-up).
  It does not build that JSON from the rows, so it is a strict floor: database, protocol and ASGI only;
* a bare ASGI app answering ``/health`` with Fixdesk's body shape.

Then it drives them interleaved (each round runs every target for ``--seconds``; ``--rounds`` rounds) with
``--clients`` (32) concurrent keep-alive HTTP/1.1 connections from a small asyncio load generator in this
script (``wrk`` is not assumed to be installed), and prints requests/s, p50, the ratio to each floor, and
single-client medians. The load generator shares the machine's cores with the servers, as wrk would.

Figures from this branch (2 shared cores, other work running, so read the ratios rather than the
absolute numbers) are in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from rich.console import Console
from sqlalchemy.engine import make_url

DATABASE = "fixdesk_hot_path"
SERVER = os.environ.get("FIXDESK_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
HOST = "127.0.0.1"
SECRET = "hot-path-benchmark-secret-key-long-enough-for-hs256"
REPOSITORY = Path(__file__).resolve().parent.parent


def server_environment(database_url: str, data_dir: str) -> dict[str, str]:
    """The ``FIXDESK_*`` settings of the measured Fixdesk (``hot_path_cpu.py`` uses them too): development
    mode on ``database_url``, no Redis, warnings only in the log, and rate limits out of the way."""
    return {
        "FIXDESK_ENV": "development",
        "FIXDESK_DATABASE_URL": database_url,
        "FIXDESK_DATA_DIR": data_dir,
        "FIXDESK_SECRET_KEY": SECRET,
        "FIXDESK_REDIS_URL": "",
        "FIXDESK_LOG_LEVEL": "WARNING",
        "FIXDESK_RATE_LIMIT_AUTHENTICATED": "1000000/second",
        "FIXDESK_RATE_LIMIT_ANONYMOUS": "1000000/second",
        "FIXDESK_RATE_LIMIT_AUTH": "1000/second",
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


# --- the floors -------------------------------------------------------------------------------------------

DETAIL_SQL = [
    """SELECT r.*, c.first_name, c.last_name, c.email, c.phone, u.first_name, u.last_name, u.role,
              v.id, v.rating, v.comment, v.created_at
       FROM repairs r JOIN customers c ON c.id = r.customer_id LEFT JOIN users u ON u.id = r.technician_id
       LEFT JOIN repair_reviews v ON v.repair_id = r.id WHERE r.id = $1""",
    """SELECT h.*, u.first_name, u.last_name, u.role FROM repair_status_history h
       LEFT JOIN users u ON u.id = h.changed_by_id WHERE h.repair_id = $1 ORDER BY h.created_at, h.id""",
    "SELECT * FROM repair_items WHERE repair_id = $1 ORDER BY position, id",
    "SELECT * FROM repair_labour WHERE repair_id = $1 ORDER BY position, id",
]
LIST_SQL = """SELECT r.*, c.first_name, c.last_name, c.email, c.phone, u.first_name, u.last_name, u.role
       FROM repairs r JOIN customers c ON c.id = r.customer_id LEFT JOIN users u ON u.id = r.technician_id
       ORDER BY r.created_at DESC, r.id DESC LIMIT 20"""
LIST_COUNT_SQL = "SELECT count(*) FROM (SELECT 1 FROM repairs LIMIT 10001) AS bounded"
LIST_ESTIMATE_SQL = "EXPLAIN (FORMAT JSON) SELECT repairs.id FROM repairs"
ESTIMATE_REUSE_SECONDS = 30.0  # fixdesk.platform.pagination.ESTIMATE_REUSE_SECONDS


def floor_app(dsn: str, detail_id: str, detail_body: bytes, list_body: bytes) -> Any:
    """The raw asyncpg ASGI app (see the module docstring)."""
    import uuid

    pool: asyncpg.Pool | None = None
    repair_id = uuid.UUID(detail_id)
    # The list's total as Fixdesk works it out: counted up to 10,001; beyond, the planner's estimate,
    # reused for 30 s (fixdesk.platform.pagination). Until then this floor does the same work.
    estimate_until = 0.0
    headers = [(b"content-type", b"application/json")]

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        nonlocal pool, estimate_until
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    pool = await asyncpg.create_pool(dsn, min_size=10, max_size=20)
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    assert pool is not None
                    await pool.close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        assert pool is not None
        async with pool.acquire() as connection:
            if scope["path"].endswith("/repairs"):
                await connection.fetch(LIST_SQL)
                counts = time.monotonic() >= estimate_until
                if counts and await connection.fetchval(LIST_COUNT_SQL) > 10_000:
                    await connection.fetchval(LIST_ESTIMATE_SQL)
                    estimate_until = time.monotonic() + ESTIMATE_REUSE_SECONDS
                body = list_body
            else:
                for sql in DETAIL_SQL:
                    await connection.fetch(sql, repair_id)
                body = detail_body
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [*headers, (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return app


async def bare_health(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A bare ASGI ``/health``: the same body shape as Fixdesk's, nothing else."""
    if scope["type"] != "http":
        return
    body = json.dumps(
        {
            "status": "healthy",
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "version": "0",
            "environment": "x",
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def serve_floor(kind: str, port: int, arguments: list[str]) -> None:
    """Entry point of the floor server processes (``--floor KIND``)."""
    import uvicorn

    if kind == "health":
        uvicorn.run(bare_health, host=HOST, port=port, log_level="warning", lifespan="off")
        return
    dsn, detail_id, detail_file, list_file = arguments
    app = floor_app(dsn, detail_id, Path(detail_file).read_bytes(), Path(list_file).read_bytes())
    uvicorn.run(app, host=HOST, port=port, log_level="warning")


# --- the load generator -----------------------------------------------------------------------------------


async def _one_connection(port: int, request: bytes, deadline: float, latencies: list[float]) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(f"unexpected answer: {head[:80]!r}")
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
    finally:
        writer.close()


async def drive(port: int, path: str, token: str | None, clients: int, seconds: float) -> tuple[float, float]:
    """``clients`` keep-alive connections hammering ``path`` for ``seconds``: (requests/s, p50 ms)."""
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    request = f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n{auth}\r\n".encode()
    latencies: list[float] = []
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(_one_connection(port, request, deadline, latencies) for _ in range(clients)))
    elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, statistics.median(latencies) * 1000 if latencies else float("nan")


async def single_client_median(port: int, path: str, token: str | None, requests: int = 200) -> float:
    latencies: list[float] = []
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    request = f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n{auth}\r\n".encode()
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        for _ in range(requests):
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line[15:]) for line in head.split(b"\r\n") if line[:15].lower() == b"content-length:"
            )
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
    finally:
        writer.close()
    return statistics.median(latencies) * 1000


# --- orchestration ----------------------------------------------------------------------------------------


def wait_until_up(port: int, path: str, process: subprocess.Popen[bytes], timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {process.returncode}")
        try:
            if httpx.get(f"http://{HOST}:{port}{path}", timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"server on port {port} did not start")


def prepare_database(scale: int, keep: bool, console: Console) -> str:
    sys.path.insert(0, str(REPOSITORY / "benchmarks"))
    from demo_scale import recreate_database

    from fixdesk import migrations
    from fixdesk.bootstrap import load_domains
    from fixdesk.config import Settings
    from fixdesk.demo.loader import load_demo

    url = make_url(SERVER)
    database_url = url.set(drivername="postgresql+asyncpg", database=DATABASE).render_as_string(
        hide_password=False
    )
    if keep:
        return database_url
    load_domains()
    database_url = asyncio.run(recreate_database(SERVER, DATABASE))
    migrations.upgrade(database_url)
    console.print(f"Loading the demo shop at scale {scale}…")
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(env="development", data_dir=Path(data_dir), database_url=database_url)
        asyncio.run(load_demo(settings, scale=scale, console=console))
    # Statistics for the planner and the visibility map, as a database in service has them from autovacuum:
    # right after a bulk load it may not have run yet, and a plan from stale estimates measures the
    # estimates, not the code (at scale 250 the floor's status-history statement took a parallel plan of
    # 8 ms instead of 0.2 ms), while the bounded count's index-only scan needs the visibility map.
    asyncio.run(_analyze(database_url))
    return database_url


async def _analyze(database_url: str) -> None:
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scale", nargs="?", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="reuse the database loaded by an earlier run")
    if sys.argv[1:2] == ["--floor"]:
        # A floor server process: --floor KIND --port PORT [ARGUMENTS…]
        serve_floor(sys.argv[2], int(sys.argv[4]), sys.argv[5:])
        return
    options = parser.parse_args()

    console = Console(stderr=True)
    database_url = prepare_database(options.scale, options.keep, console)
    processes: list[subprocess.Popen[bytes]] = []
    data_dir = tempfile.mkdtemp(prefix="fixdesk-hot-path-")
    try:
        fixdesk_port = free_port()
        environment = {**os.environ, **server_environment(database_url, data_dir)}
        fixdesk = [sys.executable, "-m", "fixdesk", "serve", "--no-worker", "--host", HOST]
        fixdesk += ["--port", str(fixdesk_port), "--workers", str(options.workers)]
        processes.append(
            subprocess.Popen(  # noqa: S603
                fixdesk, env=environment, stdout=subprocess.DEVNULL
            )
        )
        wait_until_up(fixdesk_port, "/health", processes[-1])

        from fixdesk.demo.loader import DEMO_PASSWORD

        login = httpx.post(
            f"http://{HOST}:{fixdesk_port}/api/v1/auth/login",
            json={"email": "admin@example.com", "password": DEMO_PASSWORD},
        )
        login.raise_for_status()
        token = login.json()["accessToken"]
        headers = {"Authorization": f"Bearer {token}"}
        first_page = httpx.get(f"http://{HOST}:{fixdesk_port}/api/v1/repairs", headers=headers)
        first_page.raise_for_status()
        detail_id = first_page.json()["items"][0]["id"]
        detail = httpx.get(f"http://{HOST}:{fixdesk_port}/api/v1/repairs/{detail_id}", headers=headers)
        detail.raise_for_status()
        detail_file = Path(data_dir) / "detail.json"
        list_file = Path(data_dir) / "list.json"
        detail_file.write_bytes(detail.content)
        list_file.write_bytes(first_page.content)

        dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        floor_port, health_port = free_port(), free_port()
        script = str(Path(__file__).resolve())
        processes.append(
            subprocess.Popen(  # noqa: S603
                [
                    sys.executable,
                    script,
                    "--floor",
                    "raw",
                    "--port",
                    str(floor_port),
                    dsn,
                    detail_id,
                    str(detail_file),
                    str(list_file),
                ]
            )
        )
        processes.append(
            subprocess.Popen(  # noqa: S603
                [sys.executable, script, "--floor", "health", "--port", str(health_port)]
            )
        )
        wait_until_up(floor_port, "/api/v1/repairs", processes[-2])
        wait_until_up(health_port, "/health", processes[-1])
        for path in (f"/api/v1/repairs/{detail_id}", "/api/v1/repairs"):
            raw = httpx.get(f"http://{HOST}:{floor_port}{path}").content
            served = httpx.get(f"http://{HOST}:{fixdesk_port}{path}", headers=headers).content
            assert raw == served, f"the floor's answer to {path} differs from Fixdesk's"

        targets = [
            ("detail", "fixdesk", fixdesk_port, f"/api/v1/repairs/{detail_id}", token),
            ("detail", "floor", floor_port, f"/api/v1/repairs/{detail_id}", None),
            ("list", "fixdesk", fixdesk_port, "/api/v1/repairs", token),
            ("list", "floor", floor_port, "/api/v1/repairs", None),
            ("health", "fixdesk", fixdesk_port, "/health", None),
            ("health", "floor", health_port, "/health", None),
        ]
        results: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for round_number in range(options.rounds):
            for name, side, port, path, bearer in targets:
                console.print(f"round {round_number + 1}: {name} {side}…")
                results.setdefault((name, side), []).append(
                    asyncio.run(drive(port, path, bearer, options.clients, options.seconds))
                )
        singles = {
            (name, side): asyncio.run(single_client_median(port, path, bearer))
            for name, side, port, path, bearer in targets
        }

        print(
            f"scale {options.scale}, {options.clients} clients, {options.workers} Fixdesk process(es), "
            f"{options.rounds} interleaved rounds of {options.seconds:g} s"
        )
        print(
            f"{'':8} {'fixdesk req/s':>14} {'p50 ms':>8} {'floor req/s':>12} {'p50 ms':>8} {'ratio':>7} "
            f"{'1-client fixdesk ms':>20} {'floor ms':>9}"
        )
        for name in ("detail", "list", "health"):
            ours = results[(name, "fixdesk")]
            floor = results[(name, "floor")]
            rate = statistics.mean(rate for rate, _ in ours)
            p50 = statistics.median(p for _, p in ours)
            floor_rate = statistics.mean(rate for rate, _ in floor)
            floor_p50 = statistics.median(p for _, p in floor)
            print(
                f"{name:8} {rate:14.0f} {p50:8.1f} {floor_rate:12.0f} {floor_p50:8.1f} "
                f"{rate / floor_rate:7.0%} {singles[(name, 'fixdesk')]:20.2f} {singles[(name, 'floor')]:9.2f}"
            )
    finally:
        for process in processes:
            process.send_signal(signal.SIGINT)
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    main()
