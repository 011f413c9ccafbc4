"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

Each xdist worker migrates one database per backend once (with Alembic, the only way the schema is made).
A test's database work happens inside one transaction that is rolled back at the end (:class:`Database`):
the app's, the services' and the test's own sessions are bound to the test's connection and their commits
only release SAVEPOINTs, so nothing a test writes is visible to the next one and no table is emptied.
Tests that need real commits (servers or workers in other processes, several connections racing, the CLI)
are marked ``@pytest.mark.commits``: they get sessions on the engine and the tables they filled are
emptied afterwards. After every test the tables are checked to be empty again, so a test that commits
without the marker fails at once instead of leaking rows into the next test.

PostgreSQL is ``FIXDESK_TEST_POSTGRES_URL`` (default ``postgresql+asyncpg://postgres@127.0.0.1:5432/test``):
with ``CI=true`` an unreachable server fails the run, without ``CI`` its tests are skipped and the reason
is printed in the summary.
"""

from __future__ import annotations

import gc

# Python's garbage collector runs a full pass every so many new objects, and loading the app, the test
# modules and their strategies makes hundreds of thousands that all stay: about 1.5 s of CPU of passes per
# test process for nothing. It pauses while they load and resumes once collection is over and what it
# built is frozen out of its sight (pytest_collection_finish; at once in xdist's controller, which
# collects nothing). The imports below come after this line on purpose.
gc.disable()

import asyncio
import concurrent.futures
import contextlib
import os
import re
import uuid
import zlib
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from _pytest.nodeid import NodeId
from _pytest.outcomes import OutcomeException
from _pytest.pathlib import import_path
from fastapi import FastAPI
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from fixdesk import migrations
from fixdesk.app import create_app
from fixdesk.config import Settings
from fixdesk.db import create_engine, make_sessionmaker, read_only
from fixdesk.models import Base
from fixdesk.platform.observability import configure_logging
from tests.support.clock import FIXED_NOW, clock_at

POSTGRES_URL = os.environ.get(
    "FIXDESK_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
TEST_SECRET = "test-secret-key-that-is-long-enough-for-hs256"
BACKENDS = ["sqlite", "postgresql"]
REDIS_URL = os.environ.get("FIXDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379").rstrip("/")


EVERY_DATABASE_ENV = "FIXDESK_TEST_EVERY_DATABASE"
"""Set to ``1`` to run every database test on both databases (the default keeps both only where it matters,
see :func:`pytest_collection_modifyitems`)."""

EVERY_DATABASE = (
    # Aggregates by day and week in the shop's time zone, money sums, literal expected answers.
    "tests/analytics/",
    "tests/billing/test_receivables.py",
    "tests/billing/test_reminders.py",
    "tests/billing/test_properties.py",
    "tests/billing/test_exports.py",
    "tests/sales/",
    "tests/marketing/",
    "tests/fieldservice/test_field_analytics.py",
    "tests/fieldservice/test_schedule.py",
    "tests/fieldservice/test_calendar_feed.py",
    "tests/repairs/tracking/test_reviews_list.py",
    # Searching and filtering: trigram and ILIKE on PostgreSQL, LIKE on SQLite; JSON paths differ.
    "tests/customers/",
    "tests/customfields/",
    "tests/repairs/test_router.py",
    "tests/fieldservice/test_work_orders.py",
    # Numbers, locks, claims and the job queue: SKIP LOCKED and sequences against SQLite's single writer.
    "tests/repairs/test_numbering",
    "tests/fieldservice/test_numbering.py",
    "tests/fieldservice/test_service_plans.py",
    "tests/platform/jobs/",
    "tests/platform/test_idempotency.py",
    "tests/platform/test_control_characters.py",
    "tests/catalog/test_import_rules.py",
    # Direct answers read on the driver on PostgreSQL and through the session on SQLite: their bytes are
    # compared with the endpoint's on each.
    "tests/platform/test_direct_routes.py",
    # The schema itself, the test isolation, the demo's bulk loader.
    "tests/test_migrations.py",
    "tests/test_isolation.py",
    "tests/demo/",
)
"""Test modules (path prefixes) that run on both databases whatever :func:`pytest_collection_modifyitems`
would choose: those whose result depends on what the database computes or how it locks. A module that
names a backend in its code (``"sqlite"``, ``"postgresql"``, ``dialect.name``: a backend-specific skip or
expectation) is kept on both as well, found by :func:`_names_a_backend`."""

_BACKEND_NAMED = re.compile(r"""["'](sqlite|postgresql)["']|dialect\.name""")
_NAMES_A_BACKEND: dict[str, bool] = {}


def _names_a_backend(path: Path) -> bool:
    """Whether the test module at ``path`` mentions a backend by name (read once per module)."""
    key = str(path)
    if key not in _NAMES_A_BACKEND:
        _NAMES_A_BACKEND[key] = bool(_BACKEND_NAMED.search(path.read_text()))
    return _NAMES_A_BACKEND[key]


def one_database_for(nodeid: str) -> str:
    """The database a backend-neutral test runs on: ``sqlite`` or ``postgresql`` by a stable hash of its id
    without the backend, so each database takes about half of them, the same half on every run."""
    neutral = re.sub(r"\b(sqlite|postgresql)\b", "", nodeid)
    return BACKENDS[zlib.crc32(neutral.encode()) % 2]


ONE_WORKER = {
    # Each starts its two fuzzed apps (one per database) once per module: on one worker, once.
    "tests/platform/test_openapi_fuzz.py": "openapi-fuzz",
    # Both use the realtime package's live server (tests/realtime/conftest.py).
    "tests/realtime/test_websocket.py": "live-server",
    "tests/realtime/test_sales_live.py": "live-server",
    # moto's S3 server, a session fixture.
    "tests/platform/test_storage.py": "s3",
    "tests/repairs/attachments/test_s3.py": "s3",
}
"""Modules whose expensive module or session fixtures (servers, started apps) should be set up on one
xdist worker only, by group name. Browser tests (marker ``browser``) form the group ``browser``: one
``fixdesk serve`` and one Chromium for all of them. ``make test`` runs xdist with ``--dist loadgroup``,
which sends each group whole to one worker, the largest groups first, and spreads every other test
one by one."""


def _set_node_id(item: pytest.Item, nodeid: str) -> None:
    """Change an item's node id after collection, as xdist's ``loadgroup`` does: pytest 9.2 keeps it in
    ``_id`` (a ``NodeId``), older releases in ``_nodeid``; xdist 3.8 still writes only the latter, so its
    ``xdist_group`` mark has no effect under pytest 9.2."""
    if isinstance(getattr(item, "_id", None), NodeId):
        item._id = NodeId.parse(nodeid)
    else:
        item._nodeid = nodeid
    assert item.nodeid == nodeid


def _give_each_item_its_own_id(items: list[pytest.Item]) -> None:
    """Schemathesis gives every per-operation item of a fuzz test the test function's node id (its
    ``name`` has the operation). xdist's ``loadgroup`` keys its work by node id, so it would run one
    item of each and drop the rest silently, and a report could not say which operation failed. Give
    each the id its name implies, and refuse to run with ids that still collide."""
    counts = Counter(item.nodeid for item in items)
    for item in items:
        if counts[item.nodeid] > 1:
            _set_node_id(item, f"{item.nodeid.rsplit('::', 1)[0]}::{item.name}")
    repeated = [nodeid for nodeid, count in Counter(item.nodeid for item in items).items() if count > 1]
    if repeated:
        raise pytest.UsageError(f"tests with the same node id would run only once: {repeated[:5]}")


@pytest.hookimpl(tryfirst=True)  # before xdist and the reports read the node ids
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the :data:`ONE_WORKER` groups, then run each backend-neutral database test on one database
    instead of both.

    Most tests check what the API answers, whom it lets in, what a page shows or what a job sends; their
    result does not depend on the database, and running them twice doubled the suite's time. They run on
    one database chosen by :func:`one_database_for`, so both databases still serve every kind of request
    in every run. Tests whose result depends on the database (:data:`EVERY_DATABASE`, or modules that name
    a backend) keep both runs. ``FIXDESK_TEST_EVERY_DATABASE=1`` runs everything on both."""
    _give_each_item_its_own_id(items)
    # In a worker, xdist has reset ``dist`` and kept the choice of loadgroup here.
    if getattr(config.option, "loadgroup", False):
        for item in items:
            module = item.nodeid.split("::")[0]
            group = "browser" if item.get_closest_marker("browser") else ONE_WORKER.get(module)
            if group:
                _set_node_id(item, f"{item.nodeid}@{group}")  # loadgroup's own notation
    if os.environ.get(EVERY_DATABASE_ENV, "").strip() in {"1", "true", "yes"}:
        return
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("backend") if callspec else None
        if backend is None:
            kept.append(item)
            continue
        relative = item.nodeid.split("::", 1)[0]
        if (
            relative.startswith(EVERY_DATABASE)
            or _names_a_backend(Path(str(item.path)))
            or one_database_for(item.nodeid) == backend
        ):
            kept.append(item)
        else:
            dropped.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


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


LOCK_TIMEOUT = "60s"
"""How long a test's PostgreSQL statement waits for a lock: a statement that waits for the test's own
open transaction (work on another connection without the ``commits`` marker) fails instead of hanging."""


async def create_postgres_database(name: str) -> str:
    """(Re)create database ``name`` on the test server and return its SQLAlchemy URL."""
    url = make_url(POSTGRES_URL)
    admin = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, database=url.database
    )
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
        # A test database need not survive a power cut: commits return without waiting for the WAL to
        # reach the disk (seconds per test run of fsync waits on a busy virtual disk). Durability is all
        # this changes; what a transaction sees and locks is the same.
        await admin.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
        # A default of the database, not a SET run by each new connection: asyncpg would run that SET in a
        # transaction left open until the connection's first user ends it, and a first user in autocommit
        # (a GET) would send an extra ROLLBACK that undoes the SET.
        await admin.execute(f"ALTER DATABASE \"{name}\" SET lock_timeout = '{LOCK_TIMEOUT}'")
    finally:
        await admin.close()
    return url.set(database=name).render_as_string(hide_password=False)


async def drop_postgres_databases(names: list[str]) -> None:
    """Drop the databases ``names``, all at once: every ``DROP DATABASE`` makes PostgreSQL wait for a
    checkpoint (seconds on a busy disk), and drops that run together share them."""
    url = make_url(POSTGRES_URL)

    async def drop(name: str) -> None:
        admin = await asyncpg.connect(
            host=url.host, port=url.port or 5432, user=url.username, database=url.database
        )
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()

    await asyncio.gather(*(drop(name) for name in names))


_DATABASES_TO_DROP: list[str] = []


def fresh_postgres_database(purpose: str) -> str:
    """The URL of a new, empty PostgreSQL database named after ``purpose``, unique to this run, worker and
    call (for tests of a fresh installation: real servers, migrations from nothing). It is dropped with
    the worker's other databases when its session ends (:func:`pytest_sessionfinish`), not by the test, so
    the drops' checkpoints are paid once."""
    name = f"fixdesk_{purpose}_{run_id()}_{worker_id()}_{uuid.uuid4().hex[:6]}"
    url = run_async(create_postgres_database, name)
    _DATABASES_TO_DROP.append(name)
    return url


def pytest_configure(config: pytest.Config) -> None:
    """Log as a server does (``configure_logging``: console lines, plain tracebacks) in every test process,
    warnings and errors only.

    The apps the tests build in process never run the CLI that configures logging, and structlog's
    unconfigured default renders each logged exception with rich, syntax-highlighting the source of every
    frame: about 5 s of CPU per exception (a test that provokes a 500, a job that fails and is retried).
    At ``WARNING`` the tens of thousands of requests of the suite write no access line each (what a
    failing test shows is its warnings, errors and tracebacks); tests of the log lines themselves
    configure their own (``app_log`` in ``tests/platform/conftest.py``)."""
    configure_logging("WARNING")
    if getattr(config, "workerinput", None) is None and getattr(config.option, "numprocesses", None):
        # xdist's controller hands the tests out and collects none: its garbage collector resumes now.
        gc.enable()


def _test_modules(session: pytest.Session) -> list[Path]:
    """The test modules the session's arguments name, in path order, less those pytest ignores."""
    config = session.config
    found: set[Path] = set()
    for argument in config.args:
        path = Path(argument.split("::")[0]).resolve()
        if path.is_dir():
            found.update(path.rglob("test_*.py"))
        elif path.name.startswith("test_") and path.suffix == ".py":
            found.add(path)
    return [
        path
        for path in sorted(found)
        if not config.hook.pytest_ignore_collect(collection_path=path, config=config)
    ]


@pytest.hookimpl(tryfirst=True)
def pytest_collection(session: pytest.Session) -> None:
    """In an xdist worker, import the test modules first, starting from this worker's own share of them,
    before pytest's collection imports them all in path order (and finds them imported).

    A clean checkout (CI) has no bytecode yet: each module must be compiled, and each test module's
    assertions rewritten, before it runs, about 8 s of CPU. The workers start together and collect the
    same modules; in path order all of them would compile everything at once, each for itself. Started at
    different places (worker ``k`` of ``n`` at the ``k/n``-th module), each compiles its share while the
    others compile theirs, and finds the rest in the cache (``.venv/pycache``, see the Makefile) by the
    time it gets there. A module that fails to import is left to pytest's collection, which imports it
    again and reports the error as it always does."""
    workerinput = getattr(session.config, "workerinput", None)
    if workerinput is None:
        return
    modules = _test_modules(session)
    count = int(workerinput.get("workercount", 1))
    index = int(workerinput["workerid"].removeprefix("gw"))
    start = len(modules) * index // max(count, 1)
    importmode = session.config.getoption("--import-mode")
    namespace_packages = session.config.getini("consider_namespace_packages")
    for path in modules[start:] + modules[:start]:
        # A module-level skip, or a module that fails to import, is reported by pytest's own import.
        with contextlib.suppress(Exception, OutcomeException):
            import_path(
                path,
                mode=importmode,
                root=session.config.rootpath,
                consider_namespace_packages=namespace_packages,
            )


def pytest_collection_finish(session: pytest.Session) -> None:
    """Keep Python's garbage collector off what collection built, let it run less often, and resume it
    (it paused while the modules loaded, see the top of this file).

    After collection a test process holds about 800,000 objects that live as long as it does (the
    modules, the app's routes and models, schemathesis's and Hypothesis's strategies). ``gc.freeze``
    moves them out of the collector's sight, so a full collection (pytest forces several at the end of
    the session) no longer walks them; a larger first threshold makes the young collections rarer. On
    the repairs and customers tests the collector's time fell from 7.6 s to 1.9 s of CPU."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 10, 10)
    gc.enable()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Drop the PostgreSQL databases this process created (each xdist worker drops its own), and the run's
    shared OpenAPI document (every worker has read it by now: tests start once all have collected)."""
    from tests.support.openapi import shared_document_path

    shared = shared_document_path()
    if shared is not None:
        shared.unlink(missing_ok=True)
        shared.with_name(f"{shared.name}.lock").unlink(missing_ok=True)
    if _DATABASES_TO_DROP:
        names = list(_DATABASES_TO_DROP)
        _DATABASES_TO_DROP.clear()
        run_async(drop_postgres_databases, names)


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
def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated, empty database of ``backend`` for this worker, dropped at the end of the run."""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'fixdesk.db'}"
    else:
        url = fresh_postgres_database("test")
    migrations.upgrade(url)
    return url


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, pool_size=5)
    yield engine
    await engine.dispose()


def _tables() -> list[str]:
    """Every table of the models, children before parents."""
    return [table.name for table in reversed(Base.metadata.sorted_tables)]


async def filled_tables(connection: AsyncConnection) -> list[str]:
    """The tables holding at least one row (one statement, cheap on empty tables)."""
    probes = " UNION ALL ".join(
        f"SELECT '{name}' AS name WHERE EXISTS (SELECT 1 FROM {name})" for name in _tables()
    )
    return list((await connection.execute(text(probes))).scalars())


async def wipe(engine: AsyncEngine) -> None:
    """Delete every row of every table (the schema stays); only the tables that hold rows are touched,
    since a PostgreSQL ``TRUNCATE`` costs about the same for an empty table as for a full one."""
    async with engine.begin() as connection:
        filled = await filled_tables(connection)
        if not filled:
            return
        if connection.dialect.name == "postgresql":
            await connection.execute(text(f"TRUNCATE {', '.join(filled)} RESTART IDENTITY CASCADE"))
        else:
            for table in _tables():
                if table in filled:
                    await connection.execute(text(f"DELETE FROM {table}"))


def bound_sessionmaker(connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    """The app's session factory (same options as :func:`~fixdesk.db.make_sessionmaker`) bound to the
    test's ``connection``: each session's transaction is a SAVEPOINT inside the test's transaction, so
    its commit releases the savepoint (later sessions of the test see the rows) and its rollback rolls back
    to it, while the test's final rollback undoes everything."""
    factory = make_sessionmaker(connection.engine)
    factory.configure(bind=connection, join_transaction_mode="create_savepoint")
    return factory


@dataclass
class Database:
    """The test's database: the session factories its app, services and workers use, and the connection
    holding the test's transaction (``None`` for tests marked ``commits``, whose factories are on the
    engine and commit for real).

    On a single connection, work must not run concurrently (asyncpg refuses a second operation in
    progress, and interleaved savepoints would release each other): tests that need concurrency are marked
    ``commits``.
    """

    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    read_sessionmaker: async_sessionmaker[AsyncSession]
    connection: AsyncConnection | None = None

    @property
    def commits(self) -> bool:
        return self.connection is None

    def app(self, settings: Settings, **options: Any) -> FastAPI:
        """An app with ``settings`` whose every session uses this database's factories."""
        return create_app(
            settings,
            engine=self.engine,
            sessionmaker=self.sessionmaker,
            read_sessionmaker=self.read_sessionmaker,
            **options,
        )

    def begin(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """A Core connection in a transaction that sees the test's rows and keeps what it writes for the
        rest of the test: a SAVEPOINT on the test's connection, or a transaction on the engine."""
        if self.connection is None:
            return self.engine.begin()
        return self._savepoint(self.connection)

    @staticmethod
    @asynccontextmanager
    async def _savepoint(connection: AsyncConnection) -> AsyncIterator[AsyncConnection]:
        async with connection.begin_nested():
            yield connection


@asynccontextmanager
async def rolled_back(engine: AsyncEngine) -> AsyncIterator[Database]:
    """A :class:`Database` whose every write is rolled back when the block ends."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        try:
            factory = bound_sessionmaker(connection)
            yield Database(engine, factory, factory, connection)
        finally:
            if transaction.is_active:
                await transaction.rollback()


@pytest.fixture
async def database(engine: AsyncEngine, request: pytest.FixtureRequest) -> AsyncIterator[Database]:
    """The test's :class:`Database`: rolled back at the end, or, for a test marked ``commits``, emptied.

    Either way the tables are empty once the test is over; a test that left rows behind fails (in its
    teardown) with the names of the tables.
    """
    if request.node.get_closest_marker("commits") is not None:
        yield Database(engine, make_sessionmaker(engine), make_sessionmaker(read_only(engine)))
        await wipe(engine)
        return
    async with rolled_back(engine) as database:
        yield database
    async with read_only(engine).connect() as connection:
        leaked = await filled_tables(connection)
    if leaked:
        await wipe(engine)
        pytest.fail(
            f"rows committed outside the test's transaction are left in {', '.join(sorted(leaked))}: "
            "write through the test's sessions, or mark the test @pytest.mark.commits",
            pytrace=False,
        )


class ArgumentSettings(Settings):
    """:class:`~fixdesk.config.Settings` from the arguments alone. A test's settings are what the test says:
    no ``FIXDESK_*`` variable of the shell running the suite leaks in, and pydantic-settings's look-up of
    every field in the environment (about 10 ms of CPU, paid by each of the suite's thousands of apps) is
    skipped. Reading the environment has its own tests (``tests/test_config.py``)."""

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource, *_: Any, **__: Any
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def make_settings(database_url: str, tmp_path: Any, **overrides: Any) -> Settings:
    """The settings of a test's app: the test environment on ``database_url``, with its data under
    ``tmp_path``, and ``overrides`` (field names) on top; see :class:`ArgumentSettings`."""
    values: dict[str, Any] = {
        "env": "test",
        "data_dir": tmp_path / "data",
        "database_url": database_url,
        "secret_key": TEST_SECRET,
    }
    values.update(overrides)
    return ArgumentSettings(**values)


@pytest.fixture
async def settings(database_url: str, tmp_path: Any) -> Settings:
    return make_settings(database_url, tmp_path)


@pytest.fixture
async def app(settings: Settings, database: Database) -> FastAPI:
    """The app with the test's ``settings`` on the test's :class:`Database` (no lifespan runs: no worker)."""
    return database.app(settings)


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
def sessionmaker(database: Database) -> async_sessionmaker[AsyncSession]:
    """Sessions on the test's database (see :class:`Database`)."""
    return database.sessionmaker


@pytest.fixture
def read_sessionmaker(database: Database) -> async_sessionmaker[AsyncSession]:
    """Read-only sessions on the test's database, as the app and the worker use for reads."""
    return database.read_sessionmaker


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


@pytest.fixture
def fixed_clock() -> Iterator[datetime]:
    """The process clock moved to :data:`tests.support.clock.FIXED_NOW` (ticking) for the test; yields it.
    Use it (``pytestmark = pytest.mark.usefixtures("fixed_clock")``) where expectations carry the date."""
    with clock_at(FIXED_NOW) as moment:
        yield moment


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
