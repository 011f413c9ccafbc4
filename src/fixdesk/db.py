"""Database plumbing: the declarative ``Base``, column types shared by every domain, and the async engine.

Conventions (DESIGN.md): one transaction per request, job or CLI command; services ``flush()``, never
``commit()``. Relationships are declared ``lazy="raise"`` so a forgotten eager load fails in tests instead of
issuing one query per row in production.
"""

from __future__ import annotations

import uuid
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, ClassVar, NoReturn

import structlog
import uuid_utils
from sqlalchemy import JSON, BigInteger, DateTime, MetaData, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    ORMExecuteState,
    Session,
    SessionTransaction,
    mapped_column,
)
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.types import TypeDecorator, Uuid

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLITE_BUSY_TIMEOUT_MS = 15_000
POOL_RECYCLE_SECONDS = 1_800
"""PostgreSQL connections older than this (30 minutes) are closed and replaced when next checked out, so no
pooled connection outlives a server's or a proxy's idle timeout (PgBouncer, cloud load balancers)."""


def new_id() -> uuid.UUID:
    """A time-ordered UUID (version 7, RFC 9562), so primary keys index in creation order."""
    return uuid.UUID(int=uuid_utils.uuid7().int)


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware.

    PostgreSQL keeps ``timestamptz``; SQLite has no time zones, so values are stored as naive UTC text
    (which also sorts correctly) and the UTC zone is put back on read. Naive input is rejected, because
    guessing its zone is how off-by-hours bugs start.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use an aware datetime")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        if dialect.driver == "asyncpg":
            # asyncpg reads a timestamptz as a datetime in UTC already (the wire value is UTC microseconds,
            # whatever the session's time zone): nothing to do per value, and rows have several.
            return None
        return super().result_processor(dialect, coltype)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is UTC:
            return value
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


CENT = Decimal("0.01")


def round_money(amount: Decimal) -> Decimal:
    """``amount`` rounded half-up to cents (the commercial rounding shops and tax offices use, not Python's
    default banker's rounding): ``100.005`` → ``100.01``, ``-0.005`` → ``-0.01``."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def to_cents(amount: Decimal) -> int:
    """Round a money amount half-up to cents and return it as an integer number of minor units."""
    return int((amount.quantize(CENT, rounding=ROUND_HALF_UP) * 100).to_integral_value())


class _FixedPointDecimal(TypeDecorator[Decimal]):
    """A ``Decimal`` with a fixed number of places stored exactly as an integer count of ``SCALE`` steps
    (``BIGINT``): hundredths by default.

    Integers are exact on both SQLite and PostgreSQL and stay exact under SQL ``SUM``; values are rounded
    half-up to ``SCALE`` on the way in.
    """

    impl = BigInteger
    cache_ok = True
    SCALE: ClassVar[Decimal] = CENT
    _exponent: ClassVar[int] = -2  # SCALE as a power of ten

    def __init_subclass__(cls, **options: Any) -> None:
        super().__init_subclass__(**options)
        exponent = cls.SCALE.as_tuple().exponent
        if not isinstance(exponent, int) or Decimal(1).scaleb(exponent) != cls.SCALE:
            raise TypeError(f"{cls.__name__}.SCALE must be a power of ten, such as 0.01")
        cls._exponent = exponent

    def process_bind_param(self, value: Decimal | int | None, dialect: Any) -> int | None:
        if value is None:
            return None
        return int(Decimal(value).quantize(self.SCALE, rounding=ROUND_HALF_UP) / self.SCALE)

    def process_result_value(self, value: int | None, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        # The count of steps moved by the scale's exponent: exact, with the scale's places (1234 → 12.34,
        # 0 → 0.00), as quantizing the product would give, at two thirds of its cost.
        return Decimal(int(value)).scaleb(self._exponent)


class Money(_FixedPointDecimal):
    """A money amount: ``Decimal`` in Python, ``BIGINT`` minor units (cents) in the database, in the shop's
    currency (``FIXDESK_CURRENCY``)."""

    cache_ok = True  # SQLAlchemy reads it from each subclass itself


class Hundredths(_FixedPointDecimal):
    """A non-money decimal with two places (e.g. completion time in days), so SQLite and PostgreSQL give the
    same answers, including under ``AVG``."""

    cache_ok = True


class Percent(_FixedPointDecimal):
    """A percentage with up to four decimal places (a tax rate such as ``8.875`` meaning 8.875 %), stored
    exactly as an integer number of ten-thousandths of a percent (``BIGINT``); rounded half-up on the way in."""

    cache_ok = True
    SCALE = Decimal("0.0001")


JSONDocument = JSON().with_variant(JSONB(), "postgresql")
"""A JSON object column: ``jsonb`` on PostgreSQL (so GIN indexes and ``@>`` containment work), JSON text on
SQLite (queried with ``json_extract``)."""


def cents_to_money(value: int | Decimal | None) -> Decimal:
    """Turn a raw SQL aggregate of a :class:`Money` column (cents) back into a Decimal amount."""
    return (Decimal(int(value or 0)) / 100).quantize(CENT)


class Base(DeclarativeBase):
    """Declarative base of every model; constraint names follow :data:`NAMING_CONVENTION`."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        uuid.UUID: Uuid(),
        Decimal: Money(),
    }


class IdMixin:
    """A UUIDv7 primary key named ``id``."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)


class TimestampMixin:
    """``created_at`` and ``updated_at`` maintained by the ORM, in UTC."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def create_engine(
    url: str, *, echo: bool = False, pool_size: int = 10, sqlite_busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS
) -> AsyncEngine:
    """Create the async engine for a SQLite (aiosqlite) or PostgreSQL (asyncpg) URL.

    SQLite connections get WAL journaling (readers never block the writer), foreign keys on and a busy
    timeout (``sqlite_busy_timeout_ms``, 15 s). Transactions that write start with ``BEGIN IMMEDIATE`` so
    two writers queue on the busy timeout instead of failing with "database is locked" when a read lock
    cannot be upgraded; read-only sessions (see :func:`read_only`) start a plain deferred ``BEGIN``. A
    writer still waiting when the timeout runs out fails, and the API answers 503
    (:func:`fixdesk.platform.errors.is_database_busy`).

    PostgreSQL connections are not pinged before each use (``pool_pre_ping`` costs a round trip on every
    checkout, on every request). Stale connections are handled instead by ``pool_recycle``
    (:data:`POOL_RECYCLE_SECONDS`) and by the driver's disconnect detection: when a statement fails
    because the server went away, SQLAlchemy marks the error ``connection_invalidated`` and invalidates
    every connection of the pool, so only requests already in flight fail (503 with ``Retry-After``, see
    :func:`fixdesk.platform.errors.is_database_busy`) and the next ones reconnect. ``/ready`` retries once
    on such an error, so it reports the database as it is, not a dead pooled connection.
    """
    if url.startswith("sqlite"):
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": sqlite_busy_timeout_ms / 1000})
        _configure_sqlite(engine, sqlite_busy_timeout_ms)
    else:
        engine = create_async_engine(
            url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_recycle=POOL_RECYCLE_SECONDS
        )
    return engine


READ_ONLY_OPTION = "fixdesk_read_only"


def _configure_sqlite(engine: AsyncEngine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (see the "begin" hook below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY_OPTION):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def read_only(engine: AsyncEngine) -> AsyncEngine:
    """The same engine (and pool) marked read-only: on SQLite its transactions do not take the write lock."""
    return engine.execution_options(**{READ_ONLY_OPTION: True})


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """A session factory; ``expire_on_commit=False`` so loaded objects stay usable after the commit."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


AUTOCOMMIT = {"isolation_level": "AUTOCOMMIT"}


def reads_in_autocommit(factory: async_sessionmaker[AsyncSession]) -> bool:
    """Whether read-only sessions of ``factory`` can run in autocommit (:func:`begin_autocommit`): on a
    PostgreSQL engine. Not on SQLite (its ``BEGIN`` is no round trip, and the deferred one of
    :func:`read_only` takes no lock), nor for a factory bound to a connection rather than an engine (the
    tests' sessions: savepoints inside the test's transaction)."""
    bind = factory.kw.get("bind")
    return isinstance(bind, AsyncEngine) and bind.dialect.name == "postgresql"


async def begin_autocommit(session: AsyncSession) -> None:
    """Take ``session``'s connection in autocommit: no ``BEGIN`` and no ``COMMIT``, each statement its own
    transaction. For a read-only session (:func:`refuse_writes`) of a factory where
    :func:`reads_in_autocommit`, before its first statement. The hot path's reads save two of their six
    round trips (a repair's detail: ``BEGIN``, the authentication statement, three reads, ``COMMIT``), with
    the same answers: under PostgreSQL's default READ COMMITTED every statement has its own snapshot inside
    a transaction too. The isolation level is put back when the connection returns to the pool (asyncpg
    only flags the connection, no round trip either way). Set on the connection, not as an engine option,
    which would add an event listener to every statement of the engine."""
    await session.connection(execution_options=AUTOCOMMIT)


READ_ONLY_SESSION = "fixdesk.read_only_session"
"""Key of ``session.info`` marking a session that must write nothing (see :func:`refuse_writes`)."""
_READ_ONLY_SESSION_CONNECTIONS = "fixdesk.read_only_session_connections"


class WriteInReadOnlySession(RuntimeError):
    """A write ran in a session marked read-only: a ``GET`` handler wrote without declaring it
    (:func:`fixdesk.platform.deps.writes_on_read`). In autocommit the write would have been committed at
    once, alone, whatever the request did next; it is refused instead (a 500, in tests a failure)."""


def refuse_writes(session: AsyncSession) -> None:
    """Mark ``session`` read-only: any ``INSERT``, ``UPDATE``, ``DELETE`` or DDL it executes (Core, ORM or
    text) and any flush of new, changed or deleted objects raises :class:`WriteInReadOnlySession` before
    it reaches the database. Always checked (two session events: cheap). Under test
    (:func:`refuse_writes_per_statement`) every statement on the session's connection is checked too,
    which also catches Core statements run on ``session.connection()``."""
    session.info[READ_ONLY_SESSION] = True


def _refuse(statement: Any) -> NoReturn:
    raise WriteInReadOnlySession(
        "A read-only session (a GET or HEAD request) tried to write; declare the endpoint with "
        f"@writes_on_read if it must: {str(statement)[:200]}"
    )


_READS = ("SELECT", "WITH", "SHOW", "EXPLAIN", "VALUES", "SAVEPOINT", "RELEASE", "ROLLBACK")


def _is_read(sql: str) -> bool:
    return sql.lstrip(" \t\r\n(")[:9].upper().startswith(_READS)


@event.listens_for(Session, "do_orm_execute")
def _refuse_write_statements(state: ORMExecuteState) -> None:
    if not state.session.info.get(READ_ONLY_SESSION):
        return
    statement = state.statement
    if isinstance(statement, TextClause):
        if not _is_read(statement.text):
            _refuse(statement)
    elif getattr(statement, "is_dml", False) or getattr(statement, "is_ddl", False):
        _refuse(statement)


@event.listens_for(Session, "before_flush")
def _refuse_flushes(session: Session, _context: Any, _instances: Any) -> None:
    if not session.info.get(READ_ONLY_SESSION):
        return
    changed = [obj for obj in session.dirty if session.is_modified(obj)]
    if session.new or session.deleted or changed:
        _refuse(f"a flush of {len(session.new)} new, {len(changed)} changed, {len(session.deleted)} deleted")


# --- per statement, under test ------------------------------------------------------------------------

_read_only_connections: weakref.WeakSet[Connection] = weakref.WeakSet()
"""The connections a read-only session is using right now (a connection of the pool is a new object at
every checkout; the tests' one connection is shared by their sessions, so it is taken out again when the
read-only session's transaction ends)."""


def refuse_writes_per_statement(engine: AsyncEngine) -> None:
    """Check every statement ``engine`` runs on a read-only session's connection (:func:`refuse_writes`):
    anything but a read raises :class:`WriteInReadOnlySession`, Core statements on
    ``session.connection()`` included. Installed by the app under test (``FIXDESK_ENV=test``): an engine
    event listener makes SQLAlchemy dispatch every connection event of every statement (about 7 % of a
    repair detail's CPU), too much for production, where the session events above remain. Idempotent."""
    target = engine.sync_engine
    if not event.contains(target, "before_cursor_execute", _refuse_writes_of_read_only_sessions):
        event.listen(target, "before_cursor_execute", _refuse_writes_of_read_only_sessions)


@event.listens_for(Session, "after_begin")
def _track_read_only_connection(
    session: Session, _transaction: SessionTransaction, connection: Connection
) -> None:
    if session.info.get(READ_ONLY_SESSION):
        _read_only_connections.add(connection)
        session.info.setdefault(_READ_ONLY_SESSION_CONNECTIONS, []).append(connection)


@event.listens_for(Session, "after_transaction_end")
def _untrack_read_only_connection(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None and _READ_ONLY_SESSION_CONNECTIONS in session.info:
        for connection in session.info.pop(_READ_ONLY_SESSION_CONNECTIONS):
            _read_only_connections.discard(connection)


def _refuse_writes_of_read_only_sessions(
    connection: Connection, _cursor: Any, statement: str, _parameters: Any, context: Any, _many: bool
) -> None:
    if connection not in _read_only_connections:
        return
    compiled_write = context is not None and (
        context.isinsert or context.isupdate or context.isdelete or context.isddl
    )
    if compiled_write or not _is_read(statement):
        _refuse(statement)


CommitHook = Callable[[], Awaitable[None]]
_COMMIT_HOOKS = "fixdesk.commit_hooks"


def on_commit(
    session: AsyncSession,
    key: str,
    *,
    before: CommitHook | None = None,
    after: CommitHook | None = None,
) -> None:
    """Run ``before`` just before the session's transaction commits and ``after`` once it has committed
    (neither on rollback), through :func:`commit`. One pair per ``key`` and transaction: registering the
    same key again is a no-op. Used for work outside the database that must follow a commit, such as
    invalidating a shared cache (``fixdesk.platform.cache``)."""
    session.info.setdefault(_COMMIT_HOOKS, {}).setdefault(key, (before, after))


def has_commit_hook(session: AsyncSession, key: str) -> bool:
    """Whether the session's current transaction registered hooks under ``key``."""
    return key in session.info.get(_COMMIT_HOOKS, {})


def discard_commit_hooks(session: AsyncSession) -> None:
    """Forget the current transaction's hooks (it is being rolled back)."""
    session.info.pop(_COMMIT_HOOKS, None)


async def commit(session: AsyncSession) -> None:
    """Commit the session, running its :func:`on_commit` hooks: ``before`` ones first, ``after`` ones once
    the commit succeeded. A failing ``after`` hook is logged, never raised: the change is committed."""
    hooks = list(session.info.get(_COMMIT_HOOKS, {}).values())
    for before, _ in hooks:
        if before is not None:
            await before()
    await session.commit()
    session.info.pop(_COMMIT_HOOKS, None)
    for _, after in hooks:
        if after is None:
            continue
        try:
            await after()
        except Exception:
            structlog.get_logger(__name__).exception("after_commit_hook_failed")


@asynccontextmanager
async def transaction(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work for jobs and CLI commands: commit on success (with the session's
    :func:`on_commit` hooks), roll back on any exception."""
    async with factory() as session:
        try:
            yield session
            await commit(session)
        except BaseException:
            discard_commit_hooks(session)
            await session.rollback()
            raise
