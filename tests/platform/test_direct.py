"""SELECTs sent to asyncpg directly (``fixdesk.platform.direct``, issue 9, item 11): the same rows and values
as ``session.execute`` on both databases, inside the session's transaction, seen by statement listeners,
and on a pool connection without a transaction."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import bindparam, event, func, literal_column, select, text, update

from fixdesk.customers.models import Customer
from fixdesk.db import Hundredths, Money, Percent, begin_autocommit, read_only
from fixdesk.platform.direct import DirectSelect, engine_reader, reader
from fixdesk.platform.pagination import bounded_count
from fixdesk.repairs.models import Repair, RepairItem
from tests.factories import make_customer, make_repair, make_user

_repairs = Repair.__table__
_customers = Customer.__table__
_items = RepairItem.__table__

# Every column of a repair and of its customer, and its items: money (cents as BIGINT), percentages,
# UTC time stamps, JSON, UUIDs, enums and nulls, labelled so the keys are distinct.
_REPAIR_WITH_CUSTOMER = select(
    *(column.label(column.key) for column in _repairs.c),
    *(column.label("customer__" + column.key) for column in _customers.c),
).join(_customers, _customers.c.id == _repairs.c.customer_id)
_BY_ID = DirectSelect(_REPAIR_WITH_CUSTOMER.where(_repairs.c.id == bindparam("repair_id")))
_ITEMS = DirectSelect(
    select(*(column.label(column.key) for column in _items.c))
    .where(_items.c.repair_id == bindparam("repair_id"))
    .order_by(_items.c.position)
)
# A LIMIT given as a value when the statement was built: a parameter the caller does not pass.
_COUNT = DirectSelect(bounded_count(select(_repairs.c.id)))


async def _repair_with_lines(client: Any, app: Any, sessionmaker: Any) -> uuid.UUID:
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair = await make_repair(client, admin, customer.id, deposit="12.34")
    for body in (
        {
            "description": "Screen",
            "unitPrice": "89.99",
            "unitCost": "41.10",
            "quantity": 2,
            "discount": "0.99",
        },
        {"description": "Adhesive", "unitPrice": "3.50"},
    ):
        added = await client.post(f"/api/v1/repairs/{repair['id']}/items", json=body, headers=admin.headers)
        assert added.status_code == 201, added.text
    return uuid.UUID(repair["id"])


def _typed(rows: list[dict[str, Any]]) -> list[dict[str, tuple[type, Any]]]:
    return [{key: (type(value), value) for key, value in row.items()} for row in rows]


async def test_rows_are_the_sessions_rows_on_both_databases(
    backend, client, app, read_sessionmaker, sessionmaker
):
    repair_id = await _repair_with_lines(client, app, sessionmaker)
    async with sessionmaker() as session:
        await session.execute(
            update(Repair).where(Repair.id == repair_id).values(custom_fields={"bay": 3, "note": "é"})
        )
        await session.commit()
    parameters = {"repair_id": repair_id}
    async with read_sessionmaker() as session:
        if app.state.reads_in_autocommit:
            await begin_autocommit(session)
        expected = [dict(row) for row in (await session.execute(_BY_ID.statement, parameters)).mappings()]
        expected_items = [
            dict(row) for row in (await session.execute(_ITEMS.statement, parameters)).mappings()
        ]
        database = await reader(session)
        rows = await database.rows(_BY_ID, parameters)
        items = await database.rows(_ITEMS, parameters)
        counted = await database.rows(_COUNT, {})

    assert database.on_driver is (backend == "postgresql")
    assert len(rows) == 1
    assert _typed(rows) == _typed(expected)
    assert _typed(items) == _typed(expected_items)
    assert rows[0]["deposit"] == Decimal("12.34")
    assert rows[0]["custom_fields"] == {"bay": 3, "note": "é"}
    assert rows[0]["created_at"].utcoffset().total_seconds() == 0
    assert [item["unit_price"] for item in items] == [Decimal("89.99"), Decimal("3.50")]
    assert items[1]["unit_cost"] is None
    assert counted == [{"count": 1}]


async def test_a_missing_parameter_is_an_error_not_a_null(
    backend, client, app, read_sessionmaker, sessionmaker
):
    await _repair_with_lines(client, app, sessionmaker)
    async with read_sessionmaker() as session:
        database = await reader(session)
        with pytest.raises(Exception, match="repair_id"):
            await database.rows(_BY_ID, {})


def test_only_selects_with_distinct_labels():
    with pytest.raises(TypeError):
        DirectSelect(update(Repair).values(status="received"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="distinct labels"):
        DirectSelect(select(_repairs.c.id, _customers.c.id))


async def test_statement_listeners_see_direct_statements(
    backend, client, app, engine, read_sessionmaker, sessionmaker
):
    """The suite's statement counters (and the test mode's read-only check) listen for
    ``before_cursor_execute``: a statement sent to the driver is announced to them too."""
    repair_id = await _repair_with_lines(client, app, sessionmaker)
    heard: list[str] = []

    def listener(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        heard.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", listener)
    try:
        async with read_sessionmaker() as session:
            database = await reader(session)
            await database.rows(_ITEMS, {"repair_id": repair_id})
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", listener)
    assert [sql for sql in heard if "repair_items" in sql], heard


@pytest.mark.commits  # a session of its own on the engine, whose transaction has not begun
async def test_a_transaction_not_yet_begun_is_begun_first(backend, engine, app, client, sessionmaker):
    """On PostgreSQL the asyncpg adapter begins its transaction lazily, with its first statement: a
    session whose transaction has not sent ``BEGIN`` reads through the session, so the read is inside the
    transaction (a direct statement would have run outside it, in autocommit)."""
    if backend != "postgresql":
        pytest.skip("SQLite's reads always go through the session")
    repair_id = await _repair_with_lines(client, app, sessionmaker)
    async with sessionmaker() as session:
        database = await reader(session)
        assert not database.on_driver
        rows = await database.rows(_ITEMS, {"repair_id": repair_id})
        raw = await (await session.connection()).get_raw_connection()
        assert raw.driver_connection.is_in_transaction()
        # Once begun, the next reader sends its statements to the driver, inside the same transaction.
        assert (await reader(session)).on_driver
        await session.rollback()
    assert len(rows) == 2


@pytest.mark.commits  # a connection of the engine's pool, outside any test transaction
async def test_an_engine_reader_reads_in_autocommit(backend, engine, app, client, sessionmaker):
    if backend != "postgresql":
        with pytest.raises(ValueError, match="PostgreSQL"):
            async with engine_reader(read_only(engine)):
                pass
        return
    repair_id = await _repair_with_lines(client, app, sessionmaker)
    sent: list[str] = []
    async with engine_reader(read_only(engine)) as database:
        driver = database._driver

        def log(record: Any) -> None:
            sent.append(record.query)

        driver.add_query_logger(log)
        rows = await database.rows(_ITEMS, {"repair_id": repair_id})
        in_transaction = driver.is_in_transaction()
        estimate = await database.scalar(
            select(func.count()).select_from(_repairs).where(literal_column("1") == 1)
        )
        await asyncio.sleep(0)  # asyncpg hands its log records over on the next turn of the loop
        driver.remove_query_logger(log)
    assert [row["description"] for row in rows] == ["Screen", "Adhesive"]
    assert not in_transaction
    assert estimate == 1
    assert not [sql for sql in sent if sql.split()[0].upper() in {"BEGIN", "COMMIT", "ROLLBACK"}], sent


@pytest.mark.parametrize("column_type", [Money, Hundredths, Percent])
def test_fixed_point_values_read_back_with_their_places(column_type):
    """A fixed-point column's integer count of steps reads back as the decimal with exactly the scale's
    places (``1234`` cents → ``12.34``, ``0`` → ``0.00``), the value and the places JSON shows."""
    column = column_type()
    places = -column_type.SCALE.as_tuple().exponent
    for steps in (0, 1, -1, 7, 100, 123_456, -99_999, 9_007_199_254_740_993):
        value = column.process_result_value(steps, None)
        assert value == Decimal(steps) * column_type.SCALE
        assert value.as_tuple().exponent == -places
    assert column.process_result_value(None, None) is None
    assert column.process_bind_param(column.process_result_value(123_456, None), None) == 123_456


async def test_time_stamps_read_back_in_utc_whatever_the_session_time_zone(
    backend, client, app, sessionmaker
):
    """On PostgreSQL a time stamp is read as asyncpg gives it (no conversion per value): in UTC, also when
    the session's time zone is another."""
    repair_id = await _repair_with_lines(client, app, sessionmaker)
    async with sessionmaker() as session:
        if backend == "postgresql":
            await session.execute(text("SET LOCAL TIME ZONE 'America/New_York'"))
        created = (
            await session.execute(select(Repair.created_at).where(Repair.id == repair_id))
        ).scalar_one()
        await session.rollback()
    assert created.tzinfo is UTC
