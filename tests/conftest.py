"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

Each xdist worker migrates one database per backend once (with Alembic, the only way the schema is made)
and every test starts from empty tables. PostgreSQL is ``FIXDESK_TEST_POSTGRES_URL`` (default
``postgresql+asyncpg://postgres@127.0.0.1:5432/test``): with ``CI=true`` an unreachable server fails the
run, without ``CI`` its tests are skipped and the reason is printed in the summary.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import uuid
import zlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from fixdesk import migrations
from fixdesk.app import create_app
from fixdesk.config import Settings
from fixdesk.db import create_engine, make_sessionmaker
from fixdesk.models import Base

POSTGRES_URL = os.environ.get(
    "FIXDESK_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
TEST_SECRET = "test-secret-key-that-is-long-enough-for-hs256"
BACKENDS = ["sqlite", "postgresql"]
REDIS_URL = os.environ.get("FIXDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379").rstrip("/")


def worker_id() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


async def _postgres_problem() -> str | None:
    url = make_url(POSTGRES_URL)
    try:
        connection = await asyncpg.connect(
            host=url.host, port=url.port or 5432, user=url.username, database=url.database, timeout=5
        )
    except Exception as exc:
        return f"PostgreSQL unreachable at {url.host}:{url.port or 5432} ({type(exc).__name__}: {exc})"
    await connection.close()
    return None


def run_async(function: Any, *args: Any) -> Any:
    """Run ``function(*args)`` (a coroutine function) to completion on a fresh loop in another thread, so
    pytest-asyncio's session loop is left alone."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, function(*args)).result()


async def create_postgres_database(name: str) -> str:
    """(Re)create database ``name`` on the test server and return its SQLAlchemy URL."""
    url = make_url(POSTGRES_URL)
    admin = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, database=url.database
    )
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return url.set(database=name).render_as_string(hide_password=False)


async def drop_postgres_database(name: str) -> None:
    url = make_url(POSTGRES_URL)
    admin = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, database=url.database
    )
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql":
        problem = run_async(_postgres_problem)
        if problem:
            if IN_CI:
                pytest.fail(f"{problem}; CI=true requires PostgreSQL", pytrace=False)
            pytest.skip(problem)
    return request.param


def run_id() -> str:
    """Unique per pytest run (shared by its xdist workers), so two runs at once never share a database."""
    return (os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"p{os.getpid()}")[:8]


@pytest.fixture(scope="session")
def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, empty database of ``backend`` for this worker, dropped at the end of the run."""
    name = f"fixdesk_test_{run_id()}_{worker_id()}"
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'fixdesk.db'}"
    else:
        url = run_async(create_postgres_database, name)
    migrations.upgrade(url)
    yield url
    if backend == "postgresql":
        run_async(drop_postgres_database, name)


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, pool_size=5)
    yield engine
    await engine.dispose()


async def wipe(engine: AsyncEngine) -> None:
    """Delete every row of every table (the schema stays)."""
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                await connection.execute(text(f"DELETE FROM {table}"))


def make_settings(database_url: str, tmp_path: Any, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "env": "test",
        "data_dir": tmp_path / "data",
        "database_url": database_url,
        "secret_key": TEST_SECRET,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
async def settings(database_url: str, tmp_path: Any) -> Settings:
    return make_settings(database_url, tmp_path)


@pytest.fixture
async def app(settings: Settings, engine: AsyncEngine) -> AsyncIterator[Any]:
    application = create_app(settings, engine=engine)
    yield application
    await wipe(engine)


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(engine)


@dataclass
class StatementCounter:
    """Counts the SQL statements an engine executes while active."""

    count: int = 0
    statements: list[str] | None = None

    def reset(self) -> None:
        self.count = 0
        self.statements = []


@pytest.fixture
def statement_counter(engine: AsyncEngine) -> Any:
    counter = StatementCounter(statements=[])

    def on_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        upper = statement.lstrip().upper()
        if upper.startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")):
            return
        counter.count += 1
        assert counter.statements is not None
        counter.statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", on_execute)
    yield counter
    event.remove(engine.sync_engine, "before_cursor_execute", on_execute)


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


async def _redis_problem(url: str) -> str | None:
    from redis.asyncio import Redis

    client = Redis.from_url(url, socket_connect_timeout=3)
    try:
        await client.ping()
    except Exception as exc:
        return f"Redis unreachable at {url} ({type(exc).__name__}: {exc})"
    finally:
        await client.aclose()
    return None


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A Redis URL for this run: a database index derived from the run id, so the live-event channel
    (which includes the index) differs from a parallel run's most of the time; tests also match events
    by their own ids, so a shared channel could only add noise."""
    problem = run_async(_redis_problem, REDIS_URL)
    if problem:
        if IN_CI:
            pytest.fail(f"{problem}; CI=true requires Redis", pytrace=False)
        pytest.skip(problem)
    return f"{REDIS_URL}/{1 + zlib.crc32(run_id().encode()) % 15}"
