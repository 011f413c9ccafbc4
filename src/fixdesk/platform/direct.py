"""SELECT statements of the hot path run on asyncpg itself, with SQLAlchemy's own value conversions.

The repair detail, the first page of the repair list and the authentication statement of every request are
Core statements built once at import. Through ``AsyncSession.execute`` each one still pays SQLAlchemy's
per-statement machinery (execution context, parameter processing, the greenlet hop into the adapter,
result metadata, row objects): measured in process, the detail's three statements took about 0.84 ms of
CPU through the session and about 0.3 ms on asyncpg directly. :class:`DirectSelect` keeps the statement
(and so its SQL, written once by SQLAlchemy's compiler for the connection's dialect) and on PostgreSQL
sends it straight to the asyncpg connection under the session, converting each value with the same
processors SQLAlchemy would apply (those of the column's type for this dialect, e.g. a ``TypeDecorator``'s
``process_result_value``), so the rows hold the very values ``session.execute`` gives. Everywhere else
(SQLite, or a connection whose transaction SQLAlchemy has not begun yet) it goes through
``session.execute``.

Listeners of the engine's or connection's ``before_cursor_execute`` event still hear of each statement
(with no cursor and no execution context, and they cannot rewrite it; on a connection taken from the pool
alone, :func:`engine_reader`, with no connection either): the suite's statement counters and
the test mode's read-only check (:func:`fixdesk.db.refuse_writes_per_statement`) see these statements as
they see any other. Only for reads: the constructor refuses anything but a ``SELECT``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Executable, Select
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.util import greenlet_spawn

Row = dict[str, Any]
"""One row: the statement's column labels to their values."""

_Processor = Callable[[Any], Any] | None
_REQUIRED = object()
"""A parameter with no value of its own: the caller must give it."""


class _Plan:
    """The statement compiled for asyncpg: its SQL, the order of its parameters with their bind
    processors and values of their own, its column labels, and the result processors of the columns
    that have one (the others' values are the driver's as they are). Built on the first run and kept:
    the SQL and the processors depend only on the statement and the dialect."""

    __slots__ = ("keys", "parameters", "processed", "sql")

    def __init__(
        self,
        sql: str,
        parameters: list[tuple[str, _Processor, Any]],
        keys: tuple[str, ...],
        processed: list[tuple[int, Callable[[Any], Any]]],
    ) -> None:
        self.sql = sql
        self.parameters = parameters
        self.keys = keys
        self.processed = processed


class DirectSelect:
    """A ``SELECT`` built once, run by :meth:`DirectReader.rows` on the driver where it can be (see the
    module docstring). Its result columns must have distinct labels (``.label(...)``), which become the
    rows' keys."""

    __slots__ = ("_plan", "statement")

    def __init__(self, statement: Select[Any]) -> None:
        if not isinstance(statement, Select):
            raise TypeError("DirectSelect runs SELECT statements only.")
        named = [column.key for column in statement.selected_columns if column.key is not None]
        if len(set(named)) != len(named):
            raise ValueError(f"The statement's result columns need distinct labels: {named}")
        self.statement = statement
        self._plan: _Plan | None = None

    async def _compile(self, dialect: Dialect, driver: Any) -> _Plan:
        compiled = self.statement.compile(dialect=dialect)
        names: Sequence[str] = compiled.positiontup or ()
        parameters = []
        for name in names:
            bind = compiled.binds[name]
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            # A value given when the statement was built (a literal bound as a parameter, e.g. a LIMIT).
            default = _REQUIRED if bind.required or bind.callable else bind.value
            parameters.append((name, process, default))
        # The result processors of some types depend on the column's database type (asyncpg's numeric
        # and float columns): ask PostgreSQL for the statement's columns once, as SQLAlchemy's adapter does.
        attributes = (await driver.prepare(compiled.string)).get_attributes()
        columns = list(self.statement.selected_columns)
        if len(attributes) != len(columns):
            raise RuntimeError("The statement's columns and the prepared statement's do not match.")
        processed = []
        for index, (column, attribute) in enumerate(zip(columns, attributes, strict=True)):
            process = column.type.dialect_impl(dialect).result_processor(dialect, attribute.type.oid)
            if process is not None:
                processed.append((index, process))
        return _Plan(compiled.string, parameters, tuple(self.statement.selected_columns.keys()), processed)


class DirectReader:
    """Runs :class:`DirectSelect` statements on one connection: its asyncpg connection where it can (see
    the module docstring), else through the session. Get one with :func:`reader` (a session's connection)
    or :func:`engine_reader` (a connection of the engine's pool, in autocommit), for the statements of one
    read, not for longer: a session may change connections when its transaction ends."""

    __slots__ = ("_connection", "_driver", "_listeners", "_session", "info")

    def __init__(
        self,
        session: AsyncSession | None,
        connection: Connection | Engine,
        driver: Any | None,
        info: dict[str, Any] | None = None,
    ) -> None:
        if session is None and driver is None:
            raise ValueError("A reader without a session must have the driver's connection.")
        self._session = session
        self.info: dict[str, Any] = session.info if session is not None else (info or {})
        """The session's ``Session.info`` (a request's session holds the app's state there); for a reader on
        a pool's connection, the ``info`` given (see :func:`engine_reader`)."""
        self._connection = connection
        self._driver = driver
        # Looked up once per reader: an engine's dispatch joined to its options' builds a new listener
        # collection on each look-up.
        self._listeners = connection.dispatch.before_cursor_execute if driver is not None else None

    @property
    def on_driver(self) -> bool:
        """Whether statements go to asyncpg directly (else through the session)."""
        return self._driver is not None

    async def rows(self, select: DirectSelect, parameters: Mapping[str, Any]) -> list[Row]:
        """``select``'s rows for ``parameters`` (its bound parameters by name), as dictionaries keyed by
        column label, with the values ``session.execute`` would give. Errors are the driver's own on
        PostgreSQL (``asyncpg.PostgresError``), SQLAlchemy's elsewhere."""
        driver = self._driver
        if driver is None:
            assert self._session is not None
            result = await self._session.execute(select.statement, parameters)
            return [dict(row) for row in result.mappings()]
        connection = self._connection
        plan = select._plan
        if plan is None:
            plan = select._plan = await select._compile(connection.dialect, driver)
        arguments = []
        for name, process, default in plan.parameters:
            value = parameters.get(name, default)
            if value is _REQUIRED:
                raise KeyError(f"The statement's parameter {name!r} has no value.")
            arguments.append(value if process is None else process(value))
        self._announce(plan.sql, arguments)
        records = await driver.fetch(plan.sql, *arguments)
        keys = plan.keys
        if not plan.processed:
            return [dict(zip(keys, record, strict=True)) for record in records]
        rows = []
        for record in records:
            values = list(record)
            for index, process in plan.processed:
                value = values[index]
                # NULL stays None under every result processor of SQLAlchemy's types and Fixdesk's
                # (fixdesk.db): not calling them for it matters where a row is mostly NULLs (a UNION ALL of
                # parts, fixdesk.repairs.reads).
                if value is not None:
                    values[index] = process(value)
            rows.append(dict(zip(keys, values, strict=True)))
        return rows

    async def scalar(self, statement: Executable) -> Any:
        """The first value of ``statement``'s one row, every value of it bound in the statement itself. It
        is compiled on each call (not for the hot statements: :class:`DirectSelect` compiles once), and
        its value is the driver's (no result processor). For the rare statement of a read that is not a
        ``SELECT`` built once, such as a planner estimate (``EXPLAIN``)."""
        driver = self._driver
        if driver is None:
            assert self._session is not None
            return (await self._session.execute(statement)).scalar_one()
        dialect = self._connection.dialect
        compiled = statement.compile(dialect=dialect)
        values = compiled.construct_params()
        arguments = []
        for name in compiled.positiontup or ():
            process = compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            arguments.append(values[name] if process is None else process(values[name]))
        self._announce(compiled.string, arguments)
        return await driver.fetchval(compiled.string, *arguments)

    def _announce(self, sql: str, arguments: list[Any]) -> None:
        """Tell the ``before_cursor_execute`` listeners (see the module docstring); the connection they
        are given is ``None`` for a connection taken from the pool alone (:func:`engine_reader`)."""
        connection = self._connection
        listeners = self._listeners
        if listeners:
            announced = connection if isinstance(connection, Connection) else None
            for listener in listeners:
                listener(announced, None, sql, tuple(arguments), None, False)

    @property
    def dialect(self) -> Dialect:
        """The connection's SQLAlchemy dialect (``dialect.name``: ``postgresql`` or ``sqlite``)."""
        return self._connection.dialect


Database = AsyncSession | DirectReader
"""What a read takes: a session, or a reader already made (:func:`engine_reader`)."""


async def reader(database: Database) -> DirectReader:
    """A :class:`DirectReader` on ``database``: itself when it is one, else on the session's connection
    (which it takes now, beginning the session's transaction as ``session.connection()`` does)."""
    if isinstance(database, DirectReader):
        return database
    connection = await database.connection()
    driver = None
    if connection.dialect.driver == "asyncpg":
        dbapi_connection = (await connection.get_raw_connection()).dbapi_connection
        # The asyncpg adapter begins its transaction lazily, on the first statement it runs itself: a
        # statement sent past it before that would run outside the session's transaction. In autocommit
        # (a GET's session on PostgreSQL) there is none to begin.
        if dbapi_connection.autocommit or dbapi_connection._transaction is not None:
            driver = dbapi_connection.driver_connection
    return DirectReader(database, connection.sync_connection, driver)


@asynccontextmanager
async def engine_reader(
    engine: AsyncEngine, info: dict[str, Any] | None = None
) -> AsyncIterator[DirectReader]:
    """A :class:`DirectReader` on a connection of ``engine``'s pool (PostgreSQL with asyncpg only), for a
    read that needs no session: no transaction is begun, so each statement is its own, as in a ``GET``'s
    session in autocommit (:func:`fixdesk.db.begin_autocommit`). The connection goes back to the pool when
    the block ends. ``info`` stands for a session's (:attr:`DirectReader.info`), such as a request's
    (:func:`fixdesk.platform.deps.request_session`). About a seventh of the CPU of opening a session,
    taking its connection in autocommit and committing it (measured in process: 0.025 ms against
    0.17 ms)."""
    if engine.dialect.driver != "asyncpg":
        raise ValueError("engine_reader needs a PostgreSQL engine on asyncpg.")
    # The pool's connection itself, without a Connection around it (its events, its transaction
    # bookkeeping and the task its async exit runs in cost about half of this block).
    pooled = await engine.raw_connection()
    try:
        yield DirectReader(None, engine.sync_engine, pooled.driver_connection, info)
    finally:
        # Back to the pool. Nothing was begun, so its reset sends nothing.
        await greenlet_spawn(pooled.close)
