"""The catalog CSV against hostile and heavy input (issue 9, item 6): formula cells are escaped on export
and restored on import, control characters reject their row only, and a long import commits in batches,
so another writer gets its turn on SQLite and an interrupted import is finished by importing again."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid

import pytest
from sqlalchemy import select

from fixdesk.catalog.models import Brand, DeviceModel, PriceHistory, Pricing
from fixdesk.catalog.transfer import import_catalog
from fixdesk.catalog.transfer.csv_format import escape_cell, unescape_cell
from fixdesk.catalog.transfer.parsing import parse_csv
from fixdesk.customers.models import Customer
from fixdesk.db import transaction
from tests.catalog.helpers import brand, csv_bytes, device, imported, part_type, price, repair_type
from tests.factories import count_rows, make_user

EXPORT = "/api/v1/catalog/pricing/export"
TRIGGERS = ["=1+1", "+44 20", "-Phone", "@SUM(A1)", "\tTabbed", "\rReturn", "'quoted", "''twice", "-5"]


def records(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


# --- formulas: escaped on export, restored on import -------------------------------------------------------


@pytest.mark.parametrize("value", [*TRIGGERS, "plain", "", "a=b", "3.14"])
def test_escaping_round_trips_every_value(value):
    escaped = escape_cell(value)

    assert unescape_cell(escaped) == value
    assert not escaped.startswith(("=", "+", "-", "@", "\t", "\r"))


async def test_an_export_escapes_formula_cells_and_imports_back_unchanged(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    maker = await brand(client, admin, "@Acme")
    model = await device(client, admin, maker["id"], "-Phone", modelNumber="-5")
    screen = await repair_type(client, admin, "=HYPERLINK(evil)")
    part = await part_type(client, admin, "+Glass")
    await price(client, admin, model["id"], screen["id"], part["id"], "19.99", notes="-10% for students")

    export = await client.get(EXPORT, headers=admin.headers)

    assert export.status_code == 200, export.text
    [header, row] = records(export.text)
    cells = dict(zip(header, row, strict=True))
    assert (cells["brand"], cells["model"], cells["modelNumber"]) == ("'@Acme", "'-Phone", "'-5")
    assert (cells["repairType"], cells["partType"]) == ("'=HYPERLINK(evil)", "'+Glass")
    assert cells["notes"] == "'-10% for students"
    assert (cells["price"], cells["releaseYear"]) == ("19.99", "2021")  # numbers are never escaped
    # Importing the export reads back exactly what is stored: nothing is created or changed.
    result = await imported(client, admin, export.content)
    assert result["rejected"] == []
    assert result["brands"] == {"created": 0, "updated": 0, "unchanged": 1}
    assert result["deviceModels"] == {"created": 0, "updated": 0, "unchanged": 1}
    assert result["prices"] == {"created": 0, "updated": 0, "unchanged": 1}
    async with sessionmaker() as session:
        stored = (await session.execute(select(DeviceModel))).scalar_one()
    assert (stored.name, stored.model_number) == ("-Phone", "-5")


def test_escaped_cells_are_read_as_their_values_and_an_escaped_negative_amount_is_still_refused():
    parsed = parse_csv(
        csv_bytes(
            {"brand": "'@Acme", "model": "'-Phone", "deviceType": "phone", "modelNumber": "'=1+1"},
            {
                "brand": "Acme",
                "model": "X",
                "deviceType": "phone",
                "repairType": "R",
                "partType": "P",
                "price": "'149.99",
            },
            {
                "brand": "Acme",
                "model": "Y",
                "deviceType": "phone",
                "repairType": "R",
                "partType": "P",
                "price": "'-1",
            },
        )
    )

    [first, second] = parsed.rows
    assert (first.brand, first.model, first.device["model_number"]) == ("@Acme", "-Phone", "=1+1")
    assert str(second.price.price) == "149.99"
    assert [(rejection.line, rejection.column) for rejection in parsed.rejected] == [(4, "price")]


# --- control characters reject their row, the rest imports ----------------------------------------------


async def test_a_row_with_a_control_character_is_rejected_with_its_line_and_the_rest_imports(
    client, app, sessionmaker
):
    admin = await make_user(app, sessionmaker, "admin")
    data = csv_bytes(
        {"brand": "Apple", "model": "iPhone 13", "deviceType": "phone"},
        {"brand": "Apple", "model": "iPhone\x0014", "deviceType": "phone"},
        {"brand": "Apple", "model": "iPhone 15", "deviceType": "phone", "notes": ""},
        {"brand": "Samsung", "model": "S21", "deviceType": "phone", "modelNumber": "SM\x1bG991"},
    )

    result = await imported(client, admin, data)

    assert [(item["line"], item["column"], item["reason"]) for item in result["rejected"]] == [
        (3, "model", "model contains the control character U+0000 at position 7"),
        (5, "modelNumber", "modelNumber contains the control character U+001B at position 3"),
    ]
    assert result["deviceModels"]["created"] == 2
    async with sessionmaker() as session:
        names = sorted((await session.execute(select(DeviceModel.name))).scalars())
    assert names == ["iPhone 13", "iPhone 15"]


async def test_a_header_with_control_characters_refuses_the_file(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    utf16 = "brand,model\nApple,iPhone 13\n".encode("utf-16-le")

    response = await client.post(
        "/api/v1/catalog/import", files={"file": ("utf16.csv", utf16, "text/csv")}, headers=admin.headers
    )

    assert response.status_code == 400, response.text
    assert "save the file as UTF-8" in response.json()["errors"][0]["message"]
    assert await count_rows(sessionmaker, Brand) == 0


# --- batches --------------------------------------------------------------------------------------------


def phones(count: int, brand_name: str = "Batchco") -> bytes:
    return csv_bytes(
        *(
            {
                "brand": brand_name,
                "model": f"Phone {index:03d}",
                "deviceType": "phone",
                "repairType": "Screen replacement",
                "partType": "Glass",
                "price": f"{100 + index}.00",
            }
            for index in range(count)
        )
    )


class Interrupted(Exception):
    """Stands for the process dying in the middle of an import."""


class DiesWhileWriting:
    """Progress that raises once ``after`` records of the writing stage were reported: the batch in hand
    rolls back, the committed ones stay."""

    def __init__(self, after: int) -> None:
        self.after = after
        self.writing = 0
        self.current = ""

    def stage(self, name: str, total: int) -> None:
        self.current = name

    def advance(self, count: int) -> None:
        if self.current == "writing":
            self.writing += count
            if self.writing >= self.after:
                raise Interrupted


async def test_an_interrupted_import_is_finished_by_importing_the_file_again(sessionmaker, app):
    data = phones(6)

    with pytest.raises(Interrupted):
        await import_catalog(sessionmaker, data, batch_rows=2, progress=DiesWhileWriting(after=15))

    # Brand, repair type, part type and the six device models were committed; some prices too.
    async with sessionmaker() as session:
        partial = len((await session.execute(select(Pricing.id))).all())
    assert 0 < partial < 6
    assert await count_rows(sessionmaker, PriceHistory) == partial
    report = await import_catalog(sessionmaker, data, batch_rows=2)

    assert report.rejected == []
    assert (report.device_models.created, report.device_models.unchanged) == (0, 6)
    assert (report.prices.created, report.prices.unchanged) == (6 - partial, partial)
    assert await count_rows(sessionmaker, Pricing) == 6
    # Exactly one history row per price: nothing was written twice.
    async with sessionmaker() as session:
        histories = list((await session.execute(select(PriceHistory.pricing_id))).scalars())
    assert len(histories) == len(set(histories)) == 6
    again = await import_catalog(sessionmaker, data, batch_rows=2)
    assert (again.prices.unchanged, again.price_history) == (6, 0)


async def test_a_batched_import_reports_exactly_what_one_transaction_would(sessionmaker, app):
    report = await import_catalog(sessionmaker, phones(5), batch_rows=2)

    assert (report.rows, report.accepted) == (5, 5)
    assert (report.brands.created, report.repair_types.created, report.part_types.created) == (1, 1, 1)
    assert (report.device_models.created, report.prices.created, report.price_history) == (5, 5, 5)
    assert await count_rows(sessionmaker, DeviceModel) == 5
    assert await count_rows(sessionmaker, PriceHistory) == 5


async def test_another_writer_gets_its_turn_during_a_long_import_on_sqlite(backend, sessionmaker, app):
    """A real writer (another connection, another transaction) starts while the import holds SQLite's
    write lock, and commits before the import's last batch: it waited for one batch, not for the import
    (which in one transaction held the lock to the end, longer than any busy timeout allows)."""
    if backend != "sqlite":
        pytest.skip("PostgreSQL locks rows, not the database: its writers never wait for an import")
    timeline: list[str] = []
    writing = asyncio.Event()

    class Watch:
        current = ""

        def stage(self, name: str, total: int) -> None:
            self.current = name

        def advance(self, count: int) -> None:
            if self.current == "writing":
                timeline.append("import wrote")
                writing.set()

    async def writer() -> None:
        await writing.wait()
        async with transaction(sessionmaker) as session:
            session.add(Customer(id=uuid.uuid4(), first_name="Walk", last_name="In", search_text="walk in"))
        timeline.append("writer committed")

    other = asyncio.create_task(writer())
    report = await import_catalog(sessionmaker, phones(8), batch_rows=2, progress=Watch())
    await other

    assert report.prices.created == 8
    assert "writer committed" in timeline
    assert "import wrote" in timeline[timeline.index("writer committed") :], timeline
    assert await count_rows(sessionmaker, Customer) == 1
