"""Load the demo shop: staff, customers and a year of repairs with consistent status histories.

Everything is generated from one seed (``random.Random(seed)`` and a seeded Faker) relative to the moment of
loading, so the same seed gives the same shop (only the UUIDv7 ids differ). Rows are built as plain dicts,
a batch of repairs at a time in a worker thread while the previous batch is written, so memory stays flat
at any ``scale`` and Python's work overlaps the database's. They are written with bulk inserts: chunked
SQLAlchemy Core ``insert(table)`` on SQLite, ``COPY`` on PostgreSQL (with the secondary indexes and
foreign keys of the loaded tables rebuilt once at the end). The whole load is one transaction, so a load
that fails leaves the database empty and can simply be run again.

The repairs follow :data:`fixdesk.repairs.lifecycle.TRANSITIONS`: each one walks a legal path from
``received`` to its current status, with increasing timestamps, and old repairs are mostly closed while
recent ones are still on the bench. Numbers are ``R-<year>-NNNNNN``, gap-free per year in creation order,
and the ``number_sequences`` counters are left at the last number so new repairs continue the sequence.
Search texts, completion days and repair numbers are computed by the same functions the services use.

Each repair's intake issue fits its device, and its bench (:mod:`fixdesk.demo.bench`) follows from its
history: line items and labour priced from the demo catalog or by the estimator, totals at the shop's tax
rate (``FIXDESK_TAX_RATE``), the quotes it was sent and their answers, the warranties of the parts fitted
in completed repairs and the customers' reviews.
"""

from __future__ import annotations

import asyncio
import bisect
import functools
import itertools
import json
import operator
import random
import re
import time
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

import phonenumbers
from faker import Faker
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import JSON, ForeignKeyConstraint, Index, Table, func, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.schema import AddConstraint, DropConstraint

from fixdesk.billing.invoices.service import CREDIT_NOTE_NUMBER_PREFIX, INVOICE_NUMBER_PREFIX
from fixdesk.catalog.models import Brand
from fixdesk.config import Settings
from fixdesk.customers.models import Customer, CustomerStatus, CustomerTag
from fixdesk.customers.service import _search_text as customer_search_text
from fixdesk.db import Hundredths, Money, Percent, create_engine, new_id
from fixdesk.demo.bench import BENCH_TABLES, Bench, BenchRows, Step
from fixdesk.demo.billing import BILLING_TABLES, BillingGenerator, load_billables
from fixdesk.demo.catalog import DemoCatalog, build_demo_catalog
from fixdesk.demo.devices import (
    COSMETIC_CONDITIONS,
    STATUS_NOTES,
    DeviceModelSeed,
    models_by_type,
)
from fixdesk.demo.field import FIELD_BULK_TABLES, FieldGenerator
from fixdesk.demo.marketing import MarketingGenerator, load_marketing_customers
from fixdesk.demo.sales import SALES_TABLES, SalesGenerator, load_customers
from fixdesk.fieldservice.work_orders.service import WORK_ORDER_NUMBER_PREFIX
from fixdesk.identity.models import Role, User
from fixdesk.platform.numbering import NumberSequence, local_year
from fixdesk.platform.security import hash_password
from fixdesk.repairs import lifecycle
from fixdesk.repairs.models import (
    Priority,
    Quote,
    QuoteItem,
    QuoteLabour,
    Repair,
    RepairItem,
    RepairLabour,
    RepairReview,
    RepairStatus,
    RepairStatusHistory,
    Warranty,
    new_tracking_token,
)
from fixdesk.repairs.service import REPAIR_NUMBER_PREFIX, _completion_days
from fixdesk.repairs.service import _search_text as repair_search_text
from fixdesk.sales.orders.service import ORDER_NUMBER_PREFIX

S = RepairStatus
T = TypeVar("T")

DEMO_PASSWORD = "fixdesk-demo"
PORTAL_CUSTOMER_EMAIL = "customer@example.com"
CUSTOMERS_PER_SCALE = 200
REPAIRS_PER_SCALE = 1_000
REPAIR_BATCH_SIZE = 1_000
INSERT_CHUNK_SIZE = 5_000
HISTORY_DAYS = 365
# The demo shop is in Austin (the default shop phone is +1 512 …); opening hours are local time.
SHOP_TIMEZONE = ZoneInfo("America/Chicago")
OPENING_HOUR = 9
OPEN_HOURS = 10

DAY = 86_400
HOUR = 3_600

STAFF: tuple[tuple[str, Role], ...] = (
    ("admin@example.com", Role.admin),
    ("manager@example.com", Role.manager),
    ("tech@example.com", Role.technician),
    ("tech2@example.com", Role.technician),
    ("front-desk@example.com", Role.agent),
)


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`load_demo` wrote and how long it took."""

    users: int
    customers: int
    repairs: int
    status_history: int
    elapsed_seconds: float
    # The catalog (fixdesk.demo.catalog): every real device model, and the shop's prices for the popular ones.
    device_models: int = 0
    prices: int = 0
    # The bench (fixdesk.demo.bench): line items, labour lines, quotes (with their lines), warranties, reviews.
    repair_items: int = 0
    repair_labour: int = 0
    quotes: int = 0
    quote_lines: int = 0
    warranties: int = 0
    reviews: int = 0
    # The field team (fixdesk.demo.field): technicians, service locations and their equipment, service
    # plans, work orders and their status history.
    technicians: int = 0
    service_locations: int = 0
    equipment: int = 0
    service_plans: int = 0
    work_orders: int = 0
    work_order_history: int = 0
    # Every other row the field team wrote (skills, time off, lines, assignments …; its technicians' users
    # and its customers are counted in ``users`` and ``customers``).
    field_rows: int = 0
    field_seconds: float = 0.0
    # The books (fixdesk.demo.billing): invoices of the completed repairs and work orders, their payments
    # and credit notes.
    invoices: int = 0
    payments: int = 0
    credit_notes: int = 0
    # The shop's sales (fixdesk.demo.sales): parts and accessories with their stock ledger, a year of
    # orders and their lines, the website's visits.
    products: int = 0
    orders: int = 0
    order_items: int = 0
    stock_movements: int = 0
    visits: int = 0
    sales_seconds: float = 0.0
    # The shop's marketing (fixdesk.demo.marketing): consent per customer and channel with its history,
    # suppressed addresses, saved segments, email campaigns and an SMS broadcast with their recipients.
    marketing_consents: int = 0
    suppressions: int = 0
    segments: int = 0
    email_campaigns: int = 0
    campaign_recipients: int = 0
    broadcasts: int = 0
    broadcast_recipients: int = 0

    @property
    def rows(self) -> int:
        """Users, customers, repairs and status-history rows together (the people and the tickets)."""
        return self.users + self.customers + self.repairs + self.status_history

    @property
    def bench_rows(self) -> int:
        """Line items, labour, quotes and their lines, warranties and reviews together."""
        return (
            self.repair_items
            + self.repair_labour
            + self.quotes
            + self.quote_lines
            + self.warranties
            + self.reviews
        )


class DemoDatabaseNotEmpty(RuntimeError):
    """The demo shop loads only into a database without users, customers, repairs or catalog brands."""


DEMO_SECTIONS: tuple[str, ...] = ("field", "books", "sales", "marketing")
"""The optional parts of the demo shop :func:`load_demo` can leave out: the field team, the books, the
shop's sales and its marketing."""


async def load_demo(
    settings: Settings,
    *,
    scale: int = 1,
    console: Console | None = None,
    seed: int = 2026,
    now: datetime | None = None,
    sections: Collection[str] = DEMO_SECTIONS,
) -> DemoSummary:
    """Fill an empty (migrated) database with the demo shop and return what was written.

    The shop is generated from ``seed`` relative to ``now`` (an aware datetime; the current time by
    default, so ``fixdesk demo`` shows a history that ends today): the same seed and moment give the same
    shop. ``scale`` multiplies the volume: ``200 × scale`` customers (plus the portal customer) and
    ``1,000 × scale`` repairs over the 12 months before ``now``, about eight status-history rows each, on
    devices of the demo catalog (:mod:`fixdesk.demo.catalog`, the same at every scale), with their line
    items, quotes, warranties and reviews (:mod:`fixdesk.demo.bench`), taxed at ``settings.tax_rate`` and
    dated in ``settings.shop_timezone``; and a field team in Austin (:mod:`fixdesk.demo.field`): ``10 ×
    scale`` technicians, ``500 × scale`` service locations with their equipment, ``150 × scale`` service
    plans and a year of work orders up to four weeks ahead; the books of the completed repairs and work
    orders (:mod:`fixdesk.demo.billing`); and the shop's sales (:mod:`fixdesk.demo.sales`): 300 parts and
    accessories with their stock ledger, ``1,200 × scale`` orders over the year and 90 days of website
    visitors; and its marketing (:mod:`fixdesk.demo.marketing`): consent per channel for most customers,
    suppressed addresses, saved segments, email campaigns and an SMS broadcast. With a ``console`` a Rich progress bar shows the rows as they
    are written. ``sections`` names the optional parts to write (:data:`DEMO_SECTIONS`, all by default):
    ``"field"`` for the field team, ``"books"`` for the invoices and payments, ``"sales"`` for the products
    and orders and ``"marketing"`` for consent and segments. The staff, the catalog, the customers and the repairs are always written; a test that needs
    only the repair desk leaves the rest out.
    Raises :class:`DemoDatabaseNotEmpty` when the database already holds users, customers, repairs or
    brands, and :class:`ValueError` for an unknown section.
    """
    unknown = set(sections) - set(DEMO_SECTIONS)
    if unknown:
        raise ValueError(f"unknown demo sections: {', '.join(sorted(unknown))}")
    if scale < 1:
        raise ValueError("scale must be at least 1")
    started = time.perf_counter()
    if now is not None and now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    # One Argon2id hash for every demo account: hashing is slow on purpose.
    password_hash = await asyncio.to_thread(hash_password, DEMO_PASSWORD)
    generator = _ShopGenerator(
        seed=seed, scale=scale, now=now, password_hash=password_hash, settings=settings
    )
    bench_tables = [table.name for table in BENCH_TABLES]
    counts = {
        table: 0
        for table in (
            "users",
            "customers",
            "repairs",
            "repair_status_history",
            "device_models",
            "pricing",
            *bench_tables,
            *FIELD_TABLES,
        )
    }
    engine = create_engine(settings.resolved_database_url)
    try:
        async with engine.begin() as connection:
            await _ensure_empty(connection)
            writer = await _BulkWriter.open(connection)
            with _progress(console) as progress:
                tasks = {
                    "customers": progress.add_task("Customers", total=generator.customer_count),
                    "repairs": progress.add_task("Repairs", total=generator.repair_count),
                    "repair_status_history": progress.add_task("Status history", total=None),
                    "bench": progress.add_task("Quotes, lines", total=None),
                }

                def written(table: str, rows: int) -> None:
                    if table in counts:
                        counts[table] += rows
                    task = "bench" if table in bench_tables else table
                    if task in tasks:
                        progress.advance(tasks[task], rows)

                await writer.write_batches(iter([generator.staff_batch()]), written)
                # --- the catalog: brands, device models, repair and part types, the price list ---
                catalog = generator.catalog(ZoneInfo(settings.shop_timezone))
                catalog_task = progress.add_task("Catalog", total=sum(len(rows) for _, rows in catalog.batch))

                def catalog_written(table: str, rows: int) -> None:
                    written(table, rows)
                    progress.advance(catalog_task, rows)

                await writer.write_batches(iter([catalog.batch]), catalog_written)
                # --- end of the catalog ---
                deferred = await writer.defer_indexes_and_foreign_keys()
                await writer.write_batches(generator.customer_batches(), written)
                await writer.write_batches(generator.repair_batches(), written)
                progress.update(tasks["repair_status_history"], total=counts["repair_status_history"])
                progress.update(tasks["bench"], total=sum(counts[table] for table in bench_tables))
                # --- the field team: technicians, locations, plans, a year of work orders ---
                field_started = time.perf_counter()
                field: FieldGenerator | None = None
                field_rows = 0
                if "field" in sections:
                    field = FieldGenerator(
                        seed=seed,
                        scale=scale,
                        now=now,
                        zone=settings.shop_timezone,
                        tax_rate=settings.tax_rate,
                        password_hash=password_hash,
                        staff=generator.staff_ids,
                        taken_emails=generator.emails,
                        lead_days=settings.service_plan_lead_days,
                        reminder_days=settings.service_plan_reminder_days,
                    )
                    field_task = progress.add_task("Field team", total=None)

                    def field_written(table: str, rows: int) -> None:
                        nonlocal field_rows
                        if table in counts:
                            counts[table] += rows
                        if table not in ("users", "customers"):  # those are in summary.rows already
                            field_rows += rows
                        progress.advance(field_task, rows)

                    await writer.write_batches(field.batches(), field_written)
                    progress.update(field_task, total=progress.tasks[field_task].completed)
                field_seconds = time.perf_counter() - field_started
                # --- end of the field team ---
                # --- the books: invoices and payments of the completed repairs and work orders ---
                books: BillingGenerator | None = None
                if "books" in sections:
                    books = BillingGenerator(
                        seed=seed,
                        now=now,
                        zone=settings.shop_timezone,
                        currency=settings.currency,
                        rounding=settings.invoice_rounding,
                        payment_terms_days=settings.payment_terms_days,
                        staff=generator.staff_ids,
                        reminder_offsets=settings.payment_reminder_offsets,
                    )
                    books_task = progress.add_task("Invoices", total=None)

                    def books_written(table: str, rows: int) -> None:
                        counts[table] = counts.get(table, 0) + rows
                        progress.advance(books_task, rows)

                    await writer.write_batches(books.batches(await load_billables(connection)), books_written)
                    progress.update(books_task, total=progress.tasks[books_task].completed)
                # --- end of the books ---
                # --- the shop's sales: products and their stock ledger, a year of orders, visits ---
                sales_started = time.perf_counter()
                sales: SalesGenerator | None = None
                if "sales" in sections:
                    sales = SalesGenerator(
                        seed=seed,
                        scale=scale,
                        now=now,
                        zone=settings.shop_timezone,
                        tax_rate=settings.tax_rate,
                        staff=list(generator.staff_ids.values()),
                        signing_key=settings.signing_key,
                    )
                    sales_task = progress.add_task("Products, orders", total=None)

                    def sales_written(table: str, rows: int) -> None:
                        counts[table] = counts.get(table, 0) + rows
                        progress.advance(sales_task, rows)

                    await writer.write_batches(sales.batches(await load_customers(connection)), sales_written)
                    progress.update(sales_task, total=progress.tasks[sales_task].completed)
                sales_seconds = time.perf_counter() - sales_started
                # --- end of the shop's sales ---
                # --- the shop's marketing: consent per channel, suppressions, saved segments ---
                if "marketing" in sections:
                    marketing = MarketingGenerator(
                        seed=seed,
                        now=now,
                        manager_id=generator.staff_ids.get("manager@example.com"),
                        front_desk_id=generator.staff_ids.get("front-desk@example.com"),
                        sms_segment_price=settings.broadcast_sms_segment_price,
                    )
                    marketing_task = progress.add_task("Consent, segments", total=None)

                    def marketing_written(table: str, rows: int) -> None:
                        counts[table] = counts.get(table, 0) + rows
                        progress.advance(marketing_task, rows)

                    customers = await load_marketing_customers(connection)
                    await writer.write_batches(marketing.batches(customers), marketing_written)
                    progress.update(marketing_task, total=progress.tasks[marketing_task].completed)
                # --- end of the shop's marketing ---
                if deferred.count:
                    index_task = progress.add_task("Indexes, keys", total=deferred.count)
                    await writer.restore(deferred, lambda: progress.advance(index_task))
                await _set_number_sequences(connection, REPAIR_NUMBER_PREFIX, generator.last_numbers)
                if field is not None:
                    await _set_number_sequences(connection, WORK_ORDER_NUMBER_PREFIX, field.last_numbers)
                if books is not None:
                    await _set_number_sequences(connection, INVOICE_NUMBER_PREFIX, books.last_invoice_numbers)
                    await _set_number_sequences(
                        connection, CREDIT_NOTE_NUMBER_PREFIX, books.last_credit_note_numbers
                    )
                if sales is not None:
                    await _set_number_sequences(connection, ORDER_NUMBER_PREFIX, sales.last_order_numbers)
    finally:
        await engine.dispose()
    summary = DemoSummary(
        users=counts["users"],
        customers=counts["customers"],
        repairs=counts["repairs"],
        status_history=counts["repair_status_history"],
        elapsed_seconds=time.perf_counter() - started,
        device_models=counts["device_models"],
        prices=counts["pricing"],
        repair_items=counts[RepairItem.__tablename__],
        repair_labour=counts[RepairLabour.__tablename__],
        quotes=counts[Quote.__tablename__],
        quote_lines=counts[QuoteItem.__tablename__] + counts[QuoteLabour.__tablename__],
        warranties=counts[Warranty.__tablename__],
        reviews=counts[RepairReview.__tablename__],
        technicians=counts["technicians"],
        service_locations=counts["service_locations"],
        equipment=counts["equipment"],
        service_plans=counts["service_plans"],
        work_orders=counts["work_orders"],
        work_order_history=counts["work_order_status_history"],
        field_rows=field_rows,
        field_seconds=field_seconds,
        invoices=counts.get("invoices", 0),
        payments=counts.get("payments", 0),
        credit_notes=counts.get("credit_notes", 0),
        products=counts.get("products", 0),
        orders=counts.get("orders", 0),
        order_items=counts.get("order_items", 0),
        stock_movements=counts.get("stock_movements", 0),
        visits=counts.get("visits", 0),
        sales_seconds=sales_seconds,
        marketing_consents=counts.get("marketing_consents", 0),
        suppressions=counts.get("marketing_suppressions", 0),
        segments=counts.get("segments", 0),
        email_campaigns=counts.get("email_campaigns", 0),
        campaign_recipients=counts.get("email_campaign_recipients", 0),
        broadcasts=counts.get("broadcasts", 0),
        broadcast_recipients=counts.get("broadcast_recipients", 0),
    )
    if console is not None:
        console.print(
            f"[green]Demo shop loaded:[/] {summary.users} staff, {summary.customers:,} customers, "
            f"{summary.repairs:,} repairs, {summary.status_history:,} status changes, "
            f"{summary.repair_items + summary.repair_labour:,} repair lines, {summary.quotes:,} quotes, "
            f"{summary.warranties:,} warranties, {summary.reviews:,} reviews, "
            f"{summary.device_models:,} device models and {summary.prices:,} prices; "
            f"a field team of {summary.technicians} technicians in Austin with {summary.service_locations:,} "
            f"service locations, {summary.equipment:,} units of equipment, {summary.service_plans:,} service "
            f"plans and {summary.work_orders:,} work orders ({summary.field_seconds:.1f} s); "
            f"{summary.invoices:,} invoices with {summary.payments:,} payments and "
            f"{summary.credit_notes:,} credit notes; {summary.products} products with "
            f"{summary.stock_movements:,} stock movements and {summary.orders:,} orders "
            f"({summary.sales_seconds:.1f} s); {summary.marketing_consents:,} marketing consents and "
            f"{summary.segments} segments, {summary.email_campaigns} email campaigns to "
            f"{summary.campaign_recipients:,} recipients, {summary.broadcasts} SMS broadcast to "
            f"{summary.broadcast_recipients:,}; "
            f"in {summary.elapsed_seconds:.1f} s."
        )
    return summary


def _progress(console: Console | None) -> Progress:
    return Progress(
        TextColumn("{task.description:<15}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=console is None,
    )


async def _ensure_empty(connection: AsyncConnection) -> None:
    for model in (User, Customer, Repair, Brand):
        if await connection.scalar(select(func.count()).select_from(model.__table__)):
            raise DemoDatabaseNotEmpty(
                f"The database already holds {model.__tablename__}; the demo shop loads only into an "
                "empty database."
            )


async def _set_number_sequences(
    connection: AsyncConnection, prefix: str, last_numbers: dict[int, int]
) -> None:
    """Leave each year's counter of ``prefix`` (``R`` repairs, ``WO`` work orders) at the last demo number,
    so the next repair or work order continues the sequence."""
    if not last_numbers:
        return
    rows = [{"prefix": prefix, "year": year, "last_value": value} for year, value in last_numbers.items()]
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(NumberSequence.__table__)
    # The repairs and work orders tables were empty, so a left-over counter is safely overwritten.
    statement = statement.on_conflict_do_update(
        index_elements=["prefix", "year"], set_={"last_value": statement.excluded.last_value}
    )
    await connection.execute(statement, rows)


Batch = list[tuple[Table, list[dict[str, Any]]]]
FIELD_TABLES: tuple[str, ...] = (
    "technicians",
    "service_locations",
    "equipment",
    "service_plans",
    "work_orders",
    "work_order_status_history",
)
BULK_LOADED_TABLES: tuple[Table, ...] = (
    Customer.__table__,
    CustomerTag.__table__,
    Repair.__table__,
    RepairStatusHistory.__table__,
    *BENCH_TABLES,
    *FIELD_BULK_TABLES,
    *BILLING_TABLES,
    *SALES_TABLES,
)


@dataclass(slots=True)
class _Prepared:
    """One table's rows of a batch, ready to send: row dicts for Core, tuples for ``COPY``."""

    table: Table
    count: int
    columns: list[str]
    payload: list[Any]
    statement: str = ""  # SQLite: the driver's INSERT statement


class _BulkWriter:
    """Writes batches of row dicts: ``COPY`` on asyncpg, the driver's own ``executemany`` of a plain
    ``INSERT`` on SQLite, chunked Core ``INSERT`` (executemany) elsewhere.

    The Core path lets the column types convert values (Money to cents, UTC timestamps to naive on SQLite);
    ``COPY`` bypasses them, so :meth:`_prepare` turns Money, Hundredths and Percent into their stored
    integers and JSON into text itself (asyncpg encodes aware datetimes and UUIDs natively). On SQLite
    :meth:`_prepare` applies each column type's own bind processor (what Core would apply, so the stored
    values are the same) in the worker thread, which spares Core's per-row parameter handling: about a
    third of the load's time at 50,000 rows.
    """

    def __init__(self, connection: AsyncConnection, copy_connection: Any | None) -> None:
        self._connection = connection
        self._copy_connection = copy_connection
        self._sqlite = connection.dialect.name == "sqlite"

    @classmethod
    async def open(cls, connection: AsyncConnection) -> _BulkWriter:
        copy_connection = None
        if connection.dialect.name == "postgresql" and connection.dialect.driver == "asyncpg":
            # The emptiness check already ran on this connection, so its transaction is open and COPY
            # joins it instead of committing on its own.
            copy_connection = (await connection.get_raw_connection()).driver_connection
        return cls(connection, copy_connection)

    async def write_batches(self, batches: Iterator[Batch], written: Callable[[str, int], None]) -> None:
        """Write every batch, generating the next one in a worker thread meanwhile, so Python's work and
        the database's overlap. ``written(table name, row count)`` is called after each table's rows."""

        def produce() -> list[_Prepared] | None:
            batch = next(batches, None)
            if batch is None:
                return None
            return [self._prepare(table, rows) for table, rows in batch if rows]

        pending = asyncio.ensure_future(asyncio.to_thread(produce))
        try:
            while (prepared := await pending) is not None:
                pending = asyncio.ensure_future(asyncio.to_thread(produce))
                for part in prepared:
                    await self._send(part)
                    written(part.table.name, part.count)
        finally:
            # After a failed write, let the worker finish its batch before the transaction goes away.
            await asyncio.wait([pending])
            if not pending.cancelled():
                pending.exception()

    def _prepare(self, table: Table, rows: list[dict[str, Any]]) -> _Prepared:
        columns = list(rows[0])
        if self._sqlite:
            dialect = self._connection.dialect
            # Core would fill in a column's Python-side default; the driver leaves it to the database, so a
            # column whose default only Python knows must be in the rows.
            unfilled = [
                column.name
                for column in table.columns
                if column.name not in columns and column.default is not None and column.server_default is None
            ]
            if unfilled:
                raise ValueError(f"{table.name} rows lack {', '.join(unfilled)} (no server default)")
            # Names from the model's table, quoted by the dialect: nothing here comes from outside.
            quote = dialect.identifier_preparer.quote
            statement = (
                f"INSERT INTO {quote(table.name)} ({', '.join(quote(name) for name in columns)}) "  # noqa: S608
                f"VALUES ({', '.join('?' for _ in columns)})"
            )
            processors = [
                table.columns[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns
            ]
            values = operator.itemgetter(*columns)
            # itemgetter of one column answers the bare value; every loaded table has several.
            records = [values(row) for row in rows]
            if any(processors):
                records = [
                    tuple(
                        value if process is None else process(value)
                        for process, value in zip(processors, record, strict=True)
                    )
                    for record in records
                ]
            return _Prepared(table, len(rows), columns, records, statement)
        if not self._uses_copy(table):
            return _Prepared(table, len(rows), columns, rows)
        # COPY bypasses the column types: do their conversions here (asyncpg takes jsonb as JSON text).
        converters: dict[str, Callable[[Any], Any]] = {}
        for name in columns:
            column_type = table.columns[name].type
            if isinstance(column_type, Money | Hundredths | Percent):
                converters[name] = functools.partial(column_type.process_bind_param, dialect=None)
            elif isinstance(column_type, JSON):
                converters[name] = json.dumps
        if converters:
            records = [
                tuple(
                    converters[name](row[name]) if name in converters and row[name] is not None else row[name]
                    for name in columns
                )
                for row in rows
            ]
        else:
            records = [tuple(row.values()) for row in rows]
        return _Prepared(table, len(rows), columns, records)

    def _uses_copy(self, table: Table) -> bool:
        # JSON columns (users.permissions) need the Core type's serialisation; there are five users.
        return self._copy_connection is not None and table.name != User.__tablename__

    async def _send(self, part: _Prepared) -> None:
        if self._uses_copy(part.table):
            await self._copy_connection.copy_records_to_table(
                part.table.name, records=part.payload, columns=part.columns
            )
            return
        if self._sqlite:
            statement = part.statement
            for start in range(0, part.count, INSERT_CHUNK_SIZE):
                await self._connection.exec_driver_sql(
                    statement, part.payload[start : start + INSERT_CHUNK_SIZE]
                )
            return
        for start in range(0, part.count, INSERT_CHUNK_SIZE):
            await self._connection.execute(
                insert(part.table), part.payload[start : start + INSERT_CHUNK_SIZE]
            )

    async def defer_indexes_and_foreign_keys(self) -> _Deferred:
        """On PostgreSQL, drop the secondary indexes and foreign keys of the bulk-loaded tables; put them
        back with :meth:`restore`.

        This is PostgreSQL's own advice for populating a database ("Remove Indexes", "Remove Foreign Key
        Constraints"): one index build and one foreign-key validation over the finished tables are several
        times faster than maintaining them row by row (the GIN trigram indexes and the per-row foreign-key
        triggers dominate otherwise). Definitions come from the models, which the migration tests keep
        identical to the schema, and only what exists is touched. DDL is transactional, so a failed load
        rolls the drops back too. Elsewhere (SQLite) nothing is deferred.
        """
        if self._copy_connection is None:
            return _Deferred([], [])
        indexes_present = set(
            await self._connection.scalars(
                text("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")
            )
        )
        foreign_keys_present = set(
            await self._connection.scalars(
                text(
                    "SELECT c.conname FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
                    "WHERE c.contype = 'f' AND n.nspname = current_schema()"
                )
            )
        )
        deferred = _Deferred(
            indexes=[
                index
                for table in BULK_LOADED_TABLES
                for index in table.indexes
                if not index.unique and index.name in indexes_present
            ],
            foreign_keys=[
                foreign_key
                for table in BULK_LOADED_TABLES
                for foreign_key in table.foreign_key_constraints
                if foreign_key.name in foreign_keys_present
            ],
        )
        for foreign_key in deferred.foreign_keys:
            await self._connection.execute(DropConstraint(foreign_key))
        for index in deferred.indexes:
            await self._connection.run_sync(index.drop)
        return deferred

    async def restore(self, deferred: _Deferred, step_done: Callable[[], None]) -> None:
        """Build the deferred indexes and validate the deferred foreign keys again."""
        if deferred.count:
            # More sort memory for this transaction's index builds (the server default is 64 MB).
            await self._connection.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
        for index in deferred.indexes:
            await self._connection.run_sync(index.create)
            step_done()
        for foreign_key in deferred.foreign_keys:
            await self._connection.execute(AddConstraint(foreign_key))
            step_done()


@dataclass(slots=True)
class _Deferred:
    """Indexes and foreign keys dropped for the bulk load."""

    indexes: list[Index]
    foreign_keys: list[ForeignKeyConstraint]

    @property
    def count(self) -> int:
        return len(self.indexes) + len(self.foreign_keys)


class _Weighted(Generic[T]):
    """A weighted random choice prepared once (``random.choices`` rebuilds the running totals per call)."""

    __slots__ = ("_cumulative", "_total", "_values")

    def __init__(self, pairs: Iterable[tuple[T, float]]) -> None:
        pairs = list(pairs)
        self._values = [value for value, _ in pairs]
        self._cumulative = list(itertools.accumulate(weight for _, weight in pairs))
        self._total = self._cumulative[-1]

    def pick(self, rng: random.Random) -> T:
        index = bisect.bisect(self._cumulative, rng.random() * self._total)
        return self._values[min(index, len(self._values) - 1)]


# --------------------------------------------------------------------------------------------------
# People
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Metro:
    city: str
    region: str
    timezone: str
    area_codes: tuple[str, ...]
    postal_codes: tuple[str, ...]


# Most customers live around the shop; some moved away or are visiting. Area codes and ZIP codes are real.
METROS: _Weighted[_Metro] = _Weighted(
    (
        (
            _Metro(
                "Austin",
                "TX",
                "America/Chicago",
                ("512", "737"),
                ("78701", "78702", "78704", "78731", "78745", "78757"),
            ),
            70,
        ),
        (_Metro("Round Rock", "TX", "America/Chicago", ("512", "737"), ("78664", "78665", "78681")), 8),
        (_Metro("San Antonio", "TX", "America/Chicago", ("210", "726"), ("78205", "78209", "78216")), 5),
        (_Metro("Dallas", "TX", "America/Chicago", ("214", "469", "972"), ("75201", "75204", "75219")), 4),
        (_Metro("Houston", "TX", "America/Chicago", ("713", "281", "832"), ("77002", "77006", "77019")), 4),
        (_Metro("New York", "NY", "America/New_York", ("212", "646", "718"), ("10001", "10011", "10025")), 2),
        (_Metro("Chicago", "IL", "America/Chicago", ("312", "773"), ("60601", "60614", "60622")), 2),
        (
            _Metro("San Francisco", "CA", "America/Los_Angeles", ("415", "628"), ("94103", "94110", "94117")),
            2,
        ),
        (_Metro("Denver", "CO", "America/Denver", ("303", "720"), ("80202", "80205", "80218")), 2),
        (_Metro("Boston", "MA", "America/New_York", ("617", "857"), ("02108", "02116", "02139")), 1),
    )
)
SHOP_METRO = _Metro("Austin", "TX", "America/Chicago", ("512", "737"), ("78701",))

CUSTOMER_TAGS: tuple[tuple[str, float], ...] = (
    ("vip", 0.05),
    ("business", 0.08),
    ("student", 0.10),
    ("warranty", 0.08),
    ("senior", 0.04),
    ("referral", 0.05),
)

CUSTOMER_NOTES: tuple[str, ...] = (
    "Prefers text messages over calls",
    "Always asks for original parts",
    "Call before 5 pm",
    "Second phone number on file at the front desk",
    "Picks up on Saturdays only",
    "Asked for old parts to be returned",
)
BUSINESS_NOTES: tuple[str, ...] = (
    "Business account, invoice monthly",
    "Company devices, purchase order number needed on invoices",
    "Fleet of field tablets, priority turnaround agreed",
)
EMAIL_DOMAINS: tuple[str, ...] = ("example.com", "example.net", "example.org", "mail.example.com")
PORTAL_ACCESS_RATE = 0.10
PORTUGUESE_RATE = 0.06
SPANISH_RATE = 0.05
LANGUAGE_NOTES: dict[str, str] = {
    "pt": "Speaks Portuguese, prefers updates in Portuguese",
    "es": "Speaks Spanish, prefers updates in Spanish",
}
ARCHIVED_RATE = 0.025
INACTIVE_RATE = 0.03
PRE_WINDOW_CUSTOMERS = 0.3  # customers who already came in before the 12 months of repairs


@dataclass(slots=True)
class _CustomerRef:
    """What repair generation needs to know about a customer."""

    id: uuid.UUID
    created: int
    archived: int | None
    weight: int
    language: str = "en"


# --------------------------------------------------------------------------------------------------
# Repairs
# --------------------------------------------------------------------------------------------------

DEVICE_TYPES: _Weighted[str] = _Weighted(
    (
        ("phone", 48),
        ("laptop", 20),
        ("tablet", 10),
        ("console", 8),
        ("desktop", 5),
        ("watch", 5),
        ("other", 4),
    )
)
# Cellular-capable device types and how often such a device has an IMEI.
IMEI_RATES: dict[str, float] = {"phone": 1.0, "tablet": 0.4, "watch": 0.3}
DEPOSITS: tuple[int, ...] = (20, 25, 30, 50, 75, 100)
PRIORITIES: _Weighted[str] = _Weighted(
    (
        (Priority.normal.value, 70),
        (Priority.high.value, 15),
        (Priority.low.value, 10),
        (Priority.urgent.value, 5),
    )
)
# Who works the bench (managers fix things too) and who takes devices in at the counter.
TECHNICIANS: _Weighted[str] = _Weighted(
    (("tech@example.com", 45), ("tech2@example.com", 45), ("manager@example.com", 10))
)
INTAKE_STAFF: _Weighted[str] = _Weighted(
    (("front-desk@example.com", 60), ("manager@example.com", 25), ("admin@example.com", 15))
)

# Where cancelled repairs were cancelled: mostly a declined or unanswered quote.
CANCELLED_FROM: _Weighted[S] = _Weighted(
    (
        (S.received, 8),
        (S.diagnosing, 15),
        (S.quoted, 52),
        (S.approved, 3),
        (S.waiting_parts, 12),
        (S.repairing, 6),
        (S.testing, 4),
    )
)

# How long a step usually takes, in hours (low, high), by target status; ``(from, to)`` overrides.
STEP_HOURS: dict[S | tuple[S, S], tuple[float, float]] = {
    S.diagnosing: (0.5, 30),
    S.quoted: (1, 48),
    S.approved: (0.5, 72),
    S.waiting_parts: (0.5, 8),
    S.repairing: (1, 48),
    S.testing: (1, 24),
    S.completed: (1, 24),
    S.delivered: (2, 240),
    S.cancelled: (1, 72),
    (S.quoted, S.diagnosing): (2, 48),
    (S.waiting_parts, S.repairing): (24, 240),
    (S.testing, S.repairing): (1, 8),
    (S.quoted, S.cancelled): (24, 720),
    (S.waiting_parts, S.cancelled): (72, 500),
}

# By age in days (below the first number): the share still open, the mix of open statuses and the mix
# of closed ones. Long-open repairs are mostly waiting for parts or for the customer's answer to a quote.
_StatusMix = tuple[tuple[S, float], ...]
_STATUS_MIX_TABLE: tuple[tuple[float, float, _StatusMix, _StatusMix], ...] = (
    (
        1,
        0.95,
        ((S.received, 45), (S.diagnosing, 30), (S.quoted, 15), (S.approved, 5), (S.repairing, 5)),
        ((S.delivered, 40), (S.completed, 45), (S.cancelled, 15)),
    ),
    (
        3,
        0.8,
        (
            (S.received, 10),
            (S.diagnosing, 20),
            (S.quoted, 25),
            (S.approved, 15),
            (S.repairing, 15),
            (S.waiting_parts, 10),
            (S.testing, 5),
        ),
        ((S.delivered, 40), (S.completed, 45), (S.cancelled, 15)),
    ),
    (
        14,
        0.45,
        (
            (S.received, 2),
            (S.diagnosing, 8),
            (S.quoted, 20),
            (S.approved, 10),
            (S.repairing, 20),
            (S.waiting_parts, 25),
            (S.testing, 15),
        ),
        ((S.delivered, 60), (S.completed, 28), (S.cancelled, 12)),
    ),
    (
        30,
        0.12,
        ((S.quoted, 25), (S.waiting_parts, 50), (S.repairing, 15), (S.testing, 10)),
        ((S.delivered, 80), (S.completed, 8), (S.cancelled, 12)),
    ),
    (
        float("inf"),
        0.02,
        ((S.quoted, 25), (S.waiting_parts, 50), (S.repairing, 15), (S.testing, 10)),
        ((S.delivered, 87), (S.completed, 2), (S.cancelled, 11)),
    ),
)

STATUS_MIX_BY_AGE: tuple[tuple[float, float, _Weighted[S], _Weighted[S]], ...] = tuple(
    (max_age, open_rate, _Weighted(active), _Weighted(closed))
    for max_age, open_rate, active, closed in _STATUS_MIX_TABLE
)

# Repairs pinned to a status at an age (days), so every status is shown whatever the random draws. The
# portal customer's also say whether they were reviewed (None: as chance has it): one completed repair is
# rated, one delivered repair is left for a visitor to rate, and the quoted one has a fresh quote to approve.
PORTAL_REPAIRS: tuple[tuple[S, float, bool | None], ...] = (
    (S.delivered, 250, False),
    (S.delivered, 120, True),
    (S.cancelled, 60, None),
    (S.completed, 4, True),
    (S.repairing, 2.5, None),
    (S.quoted, 1, None),
)
SHOWCASE_AGES: dict[S, float] = {
    S.received: 0.1,
    S.diagnosing: 0.6,
    S.quoted: 1.5,
    S.approved: 1.5,
    S.repairing: 3,
    S.waiting_parts: 9,
    S.testing: 3,
    S.completed: 5,
    S.delivered: 45,
    S.cancelled: 60,
}
# A quote the customer never answered, long expired: approving it answers 409.
SHOWCASE_EXTRA: tuple[tuple[S, float], ...] = ((S.quoted, 24),)


@dataclass(frozen=True, slots=True)
class _Pinned:
    status: S
    portal_customer: bool
    review: bool | None = None


class _ShopGenerator:
    """Builds the demo rows from one seed; customers first (repairs need them), then repairs in batches."""

    def __init__(
        self,
        *,
        seed: int,
        scale: int,
        now: datetime,
        password_hash: str,
        settings: Settings | None = None,
    ) -> None:
        self.rng = random.Random(seed)
        # The shop's tax rate and time zone (untaxed, UTC without settings).
        self.settings = settings
        self.tax_rate = settings.tax_rate if settings is not None else Decimal("0")
        self.fake = Faker("en_US")
        self.fake.seed_instance(seed)
        self.now = now
        self.now_ts = int(now.timestamp())
        self.password_hash = password_hash
        self.customer_count = CUSTOMERS_PER_SCALE * scale + 1  # plus the portal customer
        self.repair_count = REPAIRS_PER_SCALE * scale
        self.last_numbers: dict[int, int] = {}
        self._emails: set[str] = {PORTAL_CUSTOMER_EMAIL}
        self._staff: dict[str, uuid.UUID] = {}
        self._timeline = self._repair_times()
        self._pinned = self._pin_repairs()
        self._newcomer_at: dict[int, int] = {}  # timeline index -> index into self._customers
        self._customers: list[_CustomerRef] = []  # in creation order, the portal customer first
        self._devices = self._device_tables()
        self._seed = seed
        self._catalog_device_ids: dict[tuple[str, str], uuid.UUID] = {}
        self._bench: Bench | None = None

    # ---------------------------------------------------------------------------------------- time

    def _repair_times(self) -> list[int]:
        """Creation times (epoch seconds, sorted) of all repairs: shop hours, busier lately and on
        Fridays and Saturdays, quiet on Sundays."""
        rng = self.rng
        today = self.now.astimezone(SHOP_TIMEZONE).date()
        window_start = self.now_ts - HISTORY_DAYS * DAY
        weekday_factor = (1.0, 1.0, 1.0, 1.0, 1.15, 1.25, 0.3)
        openings: list[int] = []
        weights: list[float] = []
        for days_ago in range(HISTORY_DAYS):
            day = today - timedelta(days=days_ago)
            opening = datetime(day.year, day.month, day.day, OPENING_HOUR, tzinfo=SHOP_TIMEZONE)
            openings.append(int(opening.timestamp()))
            growth = 0.75 + 0.5 * (1 - days_ago / HISTORY_DAYS)
            weights.append(growth * weekday_factor[day.weekday()])
        times: list[int] = []
        while len(times) < self.repair_count:
            days = rng.choices(range(HISTORY_DAYS), weights=weights, k=self.repair_count - len(times))
            for days_ago in days:
                moment = openings[days_ago] + rng.randrange(OPEN_HOURS * HOUR)
                # Nothing in the last quarter hour, so even the newest repair has room for a few steps.
                if window_start <= moment <= self.now_ts - 15 * 60:
                    times.append(moment)
        times.sort()
        return times

    def _pin_repairs(self) -> dict[int, _Pinned]:
        pinned: dict[int, _Pinned] = {}
        wanted = [(status, age, True, review) for status, age, review in PORTAL_REPAIRS]
        wanted += [(status, age, False, None) for status, age in SHOWCASE_AGES.items()]
        wanted += [(status, age, False, None) for status, age in SHOWCASE_EXTRA]
        for status, age_days, portal, review in wanted:
            index = self._free_index_near(self.now_ts - int(age_days * DAY), pinned)
            pinned[index] = _Pinned(status, portal, review)
        return pinned

    def _free_index_near(self, moment: int, taken: dict[int, _Pinned]) -> int:
        center = min(bisect.bisect_left(self._timeline, moment), len(self._timeline) - 1)
        for distance in range(len(self._timeline)):
            for index in (center - distance, center + distance):
                if 0 <= index < len(self._timeline) and index not in taken:
                    return index
        raise ValueError("not enough repairs to pin every status")

    # -------------------------------------------------------------------------------------- people

    @property
    def staff_ids(self) -> dict[str, uuid.UUID]:
        """The staff's user ids by email (after :meth:`staff_batch`)."""
        return dict(self._staff)

    @property
    def emails(self) -> set[str]:
        """The customers' emails used so far (the field team's customers must not reuse them)."""
        return self._emails

    def staff_batch(self) -> Batch:
        """The staff accounts, all with the demo password."""
        created = self.now - timedelta(days=800)
        rows = []
        for email, role in STAFF:
            user_id = new_id()
            self._staff[email] = user_id
            rows.append(
                {
                    "id": user_id,
                    "email": email,
                    "password_hash": self.password_hash,
                    "first_name": self.fake.first_name(),
                    "last_name": self.fake.last_name(),
                    "phone": self._phone(SHOP_METRO),
                    "role": role.value,
                    "permissions": [],
                    "is_active": True,
                    "last_login_at": None,
                    "created_at": created,
                    "updated_at": created,
                }
            )
        return [(User.__table__, rows)]

    # ------------------------------------------------------------------------------------- catalog

    def catalog(self, zone: ZoneInfo) -> DemoCatalog:
        """The demo catalog (after :meth:`staff_batch`: the manager made the later price changes); repairs
        generated afterwards reference its device models and are priced from it."""
        catalog = build_demo_catalog(
            seed=self._seed, now=self.now, changed_by_id=self._staff.get("manager@example.com"), zone=zone
        )
        self._catalog_device_ids = catalog.device_ids
        self._bench = Bench(
            self.rng, catalog, tax_rate=self.tax_rate, settings=self.settings, now_ts=self.now_ts
        )
        return catalog

    def customer_batches(self) -> Iterator[Batch]:
        """Customer and tag rows, in creation order, ``INSERT_CHUNK_SIZE`` customers at a time.

        About a third of the customers came in before the 12 months of repairs; every other one is created
        just before their first repair, which is picked now so repairs never predate their customer.
        """
        rng = self.rng
        generic = self.customer_count - 1
        before_window = int(generic * PRE_WINDOW_CUSTOMERS)
        free = [i for i in range(len(self._timeline)) if i not in self._pinned]
        newcomer_indexes = sorted(rng.sample(free, min(generic - before_window, len(free))))
        before_window = generic - len(newcomer_indexes)
        window_start = self._timeline[0]
        created_times = sorted(
            window_start - rng.randrange(30 * DAY, HISTORY_DAYS * DAY) for _ in range(before_window)
        )
        created_times += [self._timeline[i] - rng.randrange(60, 1_800) for i in newcomer_indexes]
        for offset, index in enumerate(newcomer_indexes):
            self._newcomer_at[index] = before_window + offset + 1  # +1: the portal customer comes first

        pools = _NamePools(self.fake, size=min(2_000, generic + 50))
        portal_row, portal_tags = self._portal_customer_row(pools)
        customer_rows: list[dict[str, Any]] = [portal_row]
        tag_rows: list[dict[str, Any]] = portal_tags
        for created in created_times:
            row, tags = self._customer_row(pools, created)
            customer_rows.append(row)
            tag_rows.extend(tags)
            if len(customer_rows) >= INSERT_CHUNK_SIZE:
                yield [(Customer.__table__, customer_rows), (CustomerTag.__table__, tag_rows)]
                customer_rows, tag_rows = [], []
        if customer_rows:
            yield [(Customer.__table__, customer_rows), (CustomerTag.__table__, tag_rows)]

    def _portal_customer_row(self, pools: _NamePools) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        created = self._timeline[0] - 140 * DAY
        row, tags = self._customer_row(
            pools, created, email=PORTAL_CUSTOMER_EMAIL, status=CustomerStatus.active
        )
        row["portal_password_hash"] = self.password_hash
        return row, tags

    def _customer_row(
        self,
        pools: _NamePools,
        created: int,
        *,
        email: str | None = None,
        status: CustomerStatus | None = None,
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        rng = self.rng
        customer_id = new_id()
        first_name = rng.choice(pools.first_names)
        last_name = rng.choice(pools.last_names)
        tags = [tag for tag, rate in CUSTOMER_TAGS if rng.random() < rate]
        company = rng.choice(pools.companies) if "business" in tags else None
        if email is None and rng.random() < 0.96:
            email = self._email(first_name, last_name, company)
        metro = METROS.pick(rng)
        phone = self._phone(metro) if rng.random() < 0.95 else None
        draw = rng.random()
        # Fixdesk writes to customers in English and Portuguese; Spanish speakers get English messages.
        language = "pt" if draw < PORTUGUESE_RATE else "es" if draw < PORTUGUESE_RATE + SPANISH_RATE else "en"
        notes = None
        if company and rng.random() < 0.6:
            notes = rng.choice(BUSINESS_NOTES)
        elif language != "en" and rng.random() < 0.5:
            notes = LANGUAGE_NOTES[language]
        elif rng.random() < 0.08:
            notes = rng.choice(CUSTOMER_NOTES)
        has_address = rng.random() < 0.7
        if status is None:
            draw = rng.random()
            if draw < ARCHIVED_RATE and created < self.now_ts - 120 * DAY:
                status = CustomerStatus.archived
            elif draw < ARCHIVED_RATE + INACTIVE_RATE:
                status = CustomerStatus.inactive
            else:
                status = CustomerStatus.active
        archived = None
        if status == CustomerStatus.archived:
            archived = rng.randrange(created + 60 * DAY, self.now_ts - 30 * DAY)
        created_at = _at(created)
        row = {
            "id": customer_id,
            "first_name": first_name,
            "last_name": last_name,
            "email": email,
            "phone": phone,
            "company_name": company,
            "address_line1": f"{rng.randrange(100, 9_900)} {rng.choice(pools.streets)}"
            if has_address
            else None,
            "address_line2": rng.choice(("Apt 2B", "Apt 14", "Unit 5", "Suite 200", "#310"))
            if has_address and rng.random() < 0.12
            else None,
            "city": metro.city if has_address else None,
            "region": metro.region if has_address else None,
            "postal_code": rng.choice(metro.postal_codes) if has_address else None,
            "country": "US",
            "language": language,
            "timezone": metro.timezone,
            "notes": notes,
            "status": status.value,
            "archived_at": _at(archived) if archived else None,
            "search_text": "",
            "portal_password_hash": self.password_hash
            if email and rng.random() < PORTAL_ACCESS_RATE
            else None,
            "last_login_at": None,
            "custom_fields": {},
            "created_at": created_at,
            "updated_at": _at(archived) if archived else created_at,
        }
        row["search_text"] = customer_search_text(SimpleNamespace(**row))
        weight = 5 if company else 1  # business accounts bring many devices
        self._customers.append(_CustomerRef(customer_id, created, archived, weight, language))
        return row, [{"customer_id": customer_id, "tag": tag} for tag in tags]

    def _email(self, first_name: str, last_name: str, company: str | None) -> str:
        rng = self.rng
        first = re.sub(r"[^a-z0-9]", "", first_name.lower())
        last = re.sub(r"[^a-z0-9]", "", last_name.lower())
        if company:
            domain = re.sub(r"[^a-z0-9]+", "-", company.lower()).strip("-") + ".example.com"
            local = rng.choice((f"{first}.{last}", f"{first[0]}{last}", first))
        else:
            domain = rng.choice(EMAIL_DOMAINS)
            local = rng.choice(
                (
                    f"{first}.{last}",
                    f"{first}{last}",
                    f"{first[0]}{last}",
                    f"{first}_{last}",
                    f"{last}.{first}",
                )
            )
            if rng.random() < 0.3:
                local += str(rng.randrange(1, 100))
        email = f"{local}@{domain}"
        suffix = 2
        while email in self._emails:
            email = f"{local}{suffix}@{domain}"
            suffix += 1
        self._emails.add(email)
        return email

    def _phone(self, metro: _Metro) -> str:
        """A valid E.164 number in one of the metro's area codes (checked with ``phonenumbers``)."""
        while True:
            number = f"+1{self.rng.choice(metro.area_codes)}{self.rng.randrange(200, 1_000)}{self.rng.randrange(10_000):04d}"
            if phonenumbers.is_valid_number(phonenumbers.parse(number)):
                return number

    # ------------------------------------------------------------------------------------- repairs

    def _device_tables(self) -> dict[str, _Weighted[DeviceModelSeed]]:
        """Per device type, a weighted choice of models: recent models come in far more often."""
        return {
            device_type: _Weighted(
                (model, 0.72 ** max(0, self.now.year - model.release_year - 1)) for model in models
            )
            for device_type, models in models_by_type().items()
        }

    def repair_batches(self) -> Iterator[Batch]:
        """Repair and status-history rows in creation order, ``REPAIR_BATCH_SIZE`` repairs at a time, each
        batch with its repairs' bench rows (:class:`fixdesk.demo.bench.BenchRows`, in foreign-key order)."""
        if not self._customers:
            raise RuntimeError("customer_batches() must be consumed before repair_batches()")
        if self._bench is None:
            raise RuntimeError("catalog() must be called before repair_batches()")
        portal = self._customers[0]
        pool: list[int] = []  # customer indexes, repeated by weight, that may bring in a device
        newcomers = set(self._newcomer_at.values())
        # The portal customer's repairs are the pinned ones only, so their portal tells a tidy story.
        waiting = [i for i in range(1, len(self._customers)) if i not in newcomers]
        next_waiting = 0
        repair_rows: list[dict[str, Any]] = []
        history_rows: list[dict[str, Any]] = []
        bench_rows = BenchRows()
        for index, created in enumerate(self._timeline):
            while next_waiting < len(waiting) and self._customers[waiting[next_waiting]].created <= created:
                pool.extend([waiting[next_waiting]] * self._customers[waiting[next_waiting]].weight)
                next_waiting += 1
            pinned = self._pinned.get(index)
            if pinned is not None and pinned.portal_customer:
                customer = portal
            elif index in self._newcomer_at:
                customer_index = self._newcomer_at[index]
                customer = self._customers[customer_index]
                pool.extend([customer_index] * customer.weight)
            else:
                customer = self._pick_customer(pool, created, allow_archived=pinned is None)
            self._repair(customer, created, pinned, repair_rows, history_rows, bench_rows)
            if len(repair_rows) >= REPAIR_BATCH_SIZE:
                yield [
                    (Repair.__table__, repair_rows),
                    (RepairStatusHistory.__table__, history_rows),
                    *bench_rows.tables(),
                ]
                repair_rows, history_rows, bench_rows = [], [], BenchRows()
        if repair_rows:
            yield [
                (Repair.__table__, repair_rows),
                (RepairStatusHistory.__table__, history_rows),
                *bench_rows.tables(),
            ]

    def _pick_customer(self, pool: list[int], created: int, *, allow_archived: bool) -> _CustomerRef:
        for _ in range(20):
            customer = self._customers[self.rng.choice(pool) if pool else 0]
            # An archived customer's last repair was well before they were archived.
            if customer.archived is None or (allow_archived and created < customer.archived - 45 * DAY):
                return customer
        return self._customers[0]

    def _repair(
        self,
        customer: _CustomerRef,
        created: int,
        pinned: _Pinned | None,
        repair_rows: list[dict[str, Any]],
        history_rows: list[dict[str, Any]],
        bench_rows: BenchRows,
    ) -> None:
        rng = self.rng
        bench = self._bench
        assert bench is not None
        age_days = (self.now_ts - created) / DAY
        if pinned is not None:
            target = pinned.status
        else:
            target = _target_status(rng, age_days, closed_only=customer.archived is not None)
        path = _path_to(rng, target)
        times = self._step_times(path, created)
        if times is None:  # too young for the whole path: still at the counter
            path, times = [S.received], [created]

        created_at = _at(created)
        # Numbered in the shop's year, as create_repair numbers the repairs taken in after the demo.
        year = local_year(created_at, self.settings.shop_timezone if self.settings is not None else "UTC")
        number = self.last_numbers.get(year, 0) + 1
        self.last_numbers[year] = number

        device_type = DEVICE_TYPES.pick(rng)
        device = self._device(device_type, year)
        device_model_id = self._catalog_device_ids[(device.brand, device.name)]
        imei = _imei(rng) if rng.random() < IMEI_RATES.get(device_type, 0.0) else None
        serial = _serial_number(rng, device) if rng.random() < 0.92 else None
        issue = bench.issue_for(device)

        status = path[-1]
        reached = set(path)
        technician = self._staff[TECHNICIANS.pick(rng)] if S.diagnosing in reached else None
        intake_by = self._staff[INTAKE_STAFF.pick(rng)]
        steps: list[Step] = []
        previous: S | None = None
        for step, moment in zip(path, times, strict=True):
            changed_by = self._changed_by(step, intake_by, technician)
            steps.append(Step(step, moment, changed_by, _note(rng, previous, step)))
            previous = step

        repair_id = new_id()
        price = bench.work(
            repair_id=repair_id,
            customer_id=customer.id,
            language=customer.language,
            device=device,
            device_model_id=device_model_id,
            issue=issue,
            steps=steps,
            review=pinned.review if pinned is not None else None,
            rows=bench_rows,
        )
        total_cost = price.total_cost
        deposit = Decimal("0.00")
        if total_cost is not None and S.approved in reached and status != S.cancelled and rng.random() < 0.4:
            deposit = min(Decimal(rng.choice(DEPOSITS)), (total_cost / 2).quantize(Decimal("1")))
        actual_completion = None
        completion_days = None
        if S.completed in reached:
            actual_completion = _at(times[path.index(S.completed)])
            completion_days = _completion_days(created_at, actual_completion)

        row = {
            "id": repair_id,
            "repair_number": f"{REPAIR_NUMBER_PREFIX}-{year}-{number:06d}",
            "customer_id": customer.id,
            "technician_id": technician,
            "created_by_id": intake_by,
            "status": status.value,
            "priority": PRIORITIES.pick(rng),
            "device_type": device_type,
            "device_brand": device.brand,
            "device_model": device.name,
            "device_model_id": device_model_id,
            "serial_number": serial,
            "imei": imei,
            "issue_description": issue,
            "cosmetic_condition": rng.choice(COSMETIC_CONDITIONS) if rng.random() < 0.85 else None,
            "estimated_completion": _at(created + rng.randrange(2, 8) * DAY) if rng.random() < 0.8 else None,
            "actual_completion": actual_completion,
            "completion_days": completion_days,
            "deposit": deposit,
            "total_cost": total_cost,
            # From the lines (subtotal + tax = total cost) or, priced by hand, the agreed price untaxed.
            "subtotal": price.subtotal,
            "tax_rate": self.tax_rate,
            "tax_amount": price.tax_amount,
            # Not from the seeded generator: tracking links must stay unguessable even in a demo.
            "tracking_token": new_tracking_token(),
            "custom_fields": {},
            "search_text": "",
            "created_at": created_at,
            "updated_at": _at(times[-1]),
        }
        row["search_text"] = repair_search_text(SimpleNamespace(**row))
        repair_rows.append(row)

        previous = None
        for step in steps:
            history_rows.append(
                {
                    "id": new_id(),
                    "repair_id": repair_id,
                    "from_status": previous.value if previous else None,
                    "to_status": step.status.value,
                    "changed_by_id": step.changed_by,
                    "notes": step.note,
                    "customer_notified": rng.random() < (0.97 if step.status in _ALWAYS_NOTIFIED else 0.8),
                    "created_at": _at(step.moment),
                }
            )
            previous = step.status

    def _step_times(self, path: Sequence[S], created: int) -> list[int] | None:
        """Timestamps of each step of ``path`` (the first is ``created``), all at least a minute apart and
        before now; ``None`` when the repair is too young for the path."""
        rng = self.rng
        durations: list[float] = []
        for previous, step in itertools.pairwise(path):
            low, high = STEP_HOURS.get((previous, step), STEP_HOURS[step])
            # Skewed towards the short end: most steps are quick, a few drag on.
            durations.append((low + (high - low) * rng.random() ** 2) * HOUR)
        limit = self.now_ts - created - 60
        if limit < 60 * len(durations):
            return None if durations else [created]
        total = sum(durations)
        if total > limit:
            factor = limit * rng.uniform(0.5, 0.95) / total
            durations = [d * factor for d in durations]
        steps = [max(60, int(d)) for d in durations]
        if sum(steps) > limit:
            steps = [limit // len(steps)] * len(steps)
        times = [created]
        for step in steps:
            times.append(times[-1] + step)
        return times

    def _device(self, device_type: str, year: int) -> DeviceModelSeed:
        models = self._devices[device_type]
        for _ in range(10):
            device = models.pick(self.rng)
            if device.release_year <= year:
                return device
        return device

    def _changed_by(self, step: S, intake_by: uuid.UUID, technician: uuid.UUID | None) -> uuid.UUID:
        """Who made a change: the front desk takes devices in, the technician works on them, managers
        handle quotes, approvals, cancellations and handovers (agents may not change statuses)."""
        rng = self.rng
        staff = self._staff
        if step == S.received:
            return intake_by
        if step in _BENCH_STEPS and technician is not None:
            return technician
        if step in (S.quoted, S.approved) and technician is not None and rng.random() < 0.5:
            return technician
        return staff["admin@example.com"] if rng.random() < 0.2 else staff["manager@example.com"]


_BENCH_STEPS = frozenset({S.diagnosing, S.repairing, S.waiting_parts, S.testing, S.completed})
_ALWAYS_NOTIFIED = frozenset({S.quoted, S.completed, S.delivered, S.cancelled})


class _NamePools:
    """Names drawn once from Faker and then reused: Faker's weighted pickers cost ~100 µs a call, which
    adds up at 40,000 customers, while the pools keep its realistic frequencies."""

    def __init__(self, fake: Faker, size: int) -> None:
        self.first_names = [fake.first_name() for _ in range(size)]
        self.last_names = [fake.last_name() for _ in range(size)]
        self.streets = [fake.street_name() for _ in range(max(50, size // 4))]
        self.companies = [fake.company() for _ in range(max(20, size // 10))]


def _at(epoch_seconds: int) -> datetime:
    return datetime.fromtimestamp(epoch_seconds, UTC)


def _target_status(rng: random.Random, age_days: float, *, closed_only: bool) -> S:
    """The current status of a repair of this age: young ones are on the bench, old ones are closed."""
    _, active_rate, active, closed = next(mix for mix in STATUS_MIX_BY_AGE if age_days < mix[0])
    if not closed_only and rng.random() < active_rate:
        return active.pick(rng)
    return closed.pick(rng)


def _route(rng: random.Random, *, through_parts: bool) -> list[S]:
    """A full legal walk from ``received`` to ``delivered`` with the detours shops see: a declined quote
    re-diagnosed, a wait for parts, a failed test sent back to the bench."""
    route = [S.received, S.diagnosing, S.quoted]
    if rng.random() < 0.06:
        route += [S.diagnosing, S.quoted]
    route.append(S.approved)
    parts_first = rng.random() < 0.18
    parts_later = rng.random() < 0.10
    if through_parts and not (parts_first or parts_later):
        parts_first = rng.random() < 0.6
        parts_later = not parts_first
    if parts_first:
        route.append(S.waiting_parts)
    route.append(S.repairing)
    if parts_later:
        route += [S.waiting_parts, S.repairing]
    route.append(S.testing)
    if rng.random() < 0.07:
        route += [S.repairing, S.testing]
    route += [S.completed, S.delivered]
    return route


def _path_to(rng: random.Random, target: S) -> list[S]:
    """A legal path (per ``lifecycle.TRANSITIONS``) from ``received`` to ``target``."""
    stop = CANCELLED_FROM.pick(rng) if target == S.cancelled else target
    route = _route(rng, through_parts=stop == S.waiting_parts)
    end = rng.choice([i for i, step in enumerate(route) if step == stop])
    path = route[: end + 1]
    if target == S.cancelled:
        path.append(S.cancelled)
    assert all(b in lifecycle.TRANSITIONS[a] for a, b in itertools.pairwise(path))
    return path


def _note(rng: random.Random, previous: S | None, step: S) -> str:
    return rng.choice(_fitting_notes(previous, step))


@functools.cache
def _fitting_notes(previous: S | None, step: S) -> tuple[str, ...]:
    notes = STATUS_NOTES[step.value]
    if step != S.cancelled:
        return notes
    # Match the reason to where the repair stopped: a quote answer, a missing part, a change of mind.
    if previous == S.quoted:
        fitting = [n for n in notes if "quote" in n.lower() or "economical" in n.lower()]
    elif previous == S.waiting_parts:
        fitting = [n for n in notes if "part" in n.lower() or "replace" in n.lower()]
    elif previous == S.received:
        fitting = [n for n in notes if "replace" in n.lower()]
    else:
        fitting = [n for n in notes if "quote" not in n.lower() and "part" not in n.lower()]
    return tuple(fitting) or notes


_SERIAL_CHARACTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"


def _serial_number(rng: random.Random, device: DeviceModelSeed) -> str:
    """A serial number in the brand's usual shape (Apple's 10/12 characters, Dell's 7-character service
    tag, Samsung's R-prefixed code, …)."""

    def chars(count: int, alphabet: str = _SERIAL_CHARACTERS) -> str:
        return "".join(rng.choices(alphabet, k=count))

    brand = device.brand
    if brand == "Apple":
        return chars(10) if device.release_year >= 2021 else chars(12)
    if brand == "Samsung":
        return "R" + chars(2, "0123456789") + chars(8)
    if brand == "Dell":
        return chars(7)
    if brand == "HP":
        return "5CD" + chars(7)
    if brand == "Lenovo":
        return "PF" + chars(6)
    if brand == "Microsoft":
        return chars(12, "0123456789")
    if brand == "Nintendo":
        return "XKW" + chars(11, "0123456789")
    return chars(rng.choice((10, 12, 14)))


def _imei(rng: random.Random) -> str:
    """A 15-digit IMEI with a GSMA-style TAC prefix and a valid Luhn check digit."""
    body = f"35{rng.randrange(10**12):012d}"
    total = 0
    for index, char in enumerate(reversed(body)):
        value = int(char)
        if index % 2 == 0:  # these digits sit at odd positions once the check digit is appended
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return body + str((10 - total % 10) % 10)
