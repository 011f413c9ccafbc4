"""Catalog import rules (issue 5, item 2): a second import of the same file changes nothing, changed prices
are updated with a price-history row and event each (and only those), blank cells keep stored values, names
match regardless of case, money and dates follow the documented format, and the writes are bulk."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from sqlalchemy import select, update

from fixdesk.catalog.models import DeviceModel, PriceHistory, Pricing
from fixdesk.catalog.transfer import import_catalog
from fixdesk.db import transaction
from tests.catalog.helpers import csv_bytes, imported, price_events
from tests.factories import count_rows, make_user


async def prices_by_part(sessionmaker) -> dict[str, Pricing]:
    from fixdesk.catalog.models import PartType

    async with sessionmaker() as session:
        rows = await session.execute(
            select(Pricing, PartType.name).join(PartType, PartType.id == Pricing.part_type_id)
        )
        return {name: pricing for pricing, name in rows.all()}


DEVICE = {
    "brand": "Apple",
    "model": "iPhone 13",
    "releaseYear": "2021",
    "deviceType": "phone",
    "tierLevel": "1",
}


def priced(part: str, price: str, **cells: str) -> dict[str, str]:
    return {**DEVICE, "repairType": "Screen replacement", "partType": part, "price": price, **cells}


BASE = (
    priced("OLED original", "279.00", cost="150.00", partQuality="original"),
    priced("OLED premium", "219.00", cost="95.00", partQuality="aftermarket_premium"),
    priced("LCD standard", "149.00", cost="40.00", partQuality="aftermarket_standard"),
    priced("LCD economy", "109.00", cost="25.00", partQuality="aftermarket_economy", notes="No True Tone"),
)


async def test_importing_the_same_file_again_changes_nothing(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    first = await imported(client, admin, csv_bytes(*BASE))
    assert first["prices"] == {"created": 4, "updated": 0, "unchanged": 0}
    before = {
        name: (p.price, p.cost, p.updated_at) for name, p in (await prices_by_part(sessionmaker)).items()
    }
    events = len(await price_events(sessionmaker))

    again = await imported(client, admin, csv_bytes(*BASE))

    assert again["brands"] == {"created": 0, "updated": 0, "unchanged": 1}
    assert again["deviceModels"] == {"created": 0, "updated": 0, "unchanged": 1}
    assert again["repairTypes"] == {"created": 0, "updated": 0, "unchanged": 1}
    assert again["partTypes"] == {"created": 0, "updated": 0, "unchanged": 4}
    assert again["prices"] == {"created": 0, "updated": 0, "unchanged": 4}
    assert again["priceHistory"] == 0
    after = {
        name: (p.price, p.cost, p.updated_at) for name, p in (await prices_by_part(sessionmaker)).items()
    }
    assert after == before
    assert await count_rows(sessionmaker, PriceHistory) == 4
    assert len(await price_events(sessionmaker)) == events


async def test_changed_prices_are_updated_with_history_for_price_and_cost_changes_only(
    client, app, sessionmaker
):
    admin = await make_user(app, sessionmaker, "admin")
    await imported(client, admin, csv_bytes(*BASE))
    ids = {name: p.id for name, p in (await prices_by_part(sessionmaker)).items()}
    events = len(await price_events(sessionmaker))

    changed = await imported(
        client,
        admin,
        csv_bytes(
            priced("OLED original", "289.00", cost="150.00", partQuality="original"),  # price up
            priced("OLED premium", "219.00", cost="99.00", partQuality="aftermarket_premium"),  # cost up
            priced("LCD standard", "149.00", partQuality="aftermarket_standard", notes="Supplier B"),  # note
            priced("LCD economy", "109", cost="25", partQuality="aftermarket_economy"),  # same amounts
        ),
    )

    assert changed["prices"] == {"created": 0, "updated": 3, "unchanged": 1}
    assert changed["priceHistory"] == 2
    prices = await prices_by_part(sessionmaker)
    assert {name: p.id for name, p in prices.items()} == ids  # updated in place
    assert (prices["OLED original"].price, prices["OLED original"].cost) == (D("289.00"), D("150.00"))
    assert prices["OLED premium"].cost == D("99.00")
    # A blank cell keeps the stored value; a given one replaces it.
    assert (prices["LCD standard"].cost, prices["LCD standard"].notes) == (D("40.00"), "Supplier B")
    assert prices["LCD economy"].notes == "No True Tone"
    async with sessionmaker() as session:
        history = list(
            (
                await session.execute(
                    select(PriceHistory)
                    .where(PriceHistory.old_price.is_not(None))
                    .order_by(PriceHistory.new_price)
                )
            ).scalars()
        )
    assert [(h.pricing_id, h.old_price, h.new_price, h.old_cost, h.new_cost) for h in history] == [
        (ids["OLED premium"], D("219.00"), D("219.00"), D("95.00"), D("99.00")),
        (ids["OLED original"], D("279.00"), D("289.00"), D("150.00"), D("150.00")),
    ]
    assert {h.source for h in history} == {"import"}
    assert len(await price_events(sessionmaker)) == events + 2


async def test_device_columns_update_the_model_and_blank_cells_keep_what_is_stored(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    await imported(client, admin, csv_bytes({**DEVICE, "modelNumber": "A2633", "screenSize": "6.1"}))

    result = await imported(
        client,
        admin,
        csv_bytes(
            {"brand": "APPLE", "model": "  iphone   13 ", "releaseYear": "2022"},  # same model, any case
            {"brand": "Apple", "model": "iPhone 13", "tierLevel": "1"},  # agrees with what is stored
        ),
    )

    assert result["brands"] == {"created": 0, "updated": 0, "unchanged": 1}
    assert result["deviceModels"] == {"created": 0, "updated": 1, "unchanged": 0}
    async with sessionmaker() as session:
        device = (await session.execute(select(DeviceModel))).scalar_one()
    assert device.name == "iPhone 13"  # never renamed by an import
    assert (device.release_year, device.model_number, device.screen_size) == (2022, "A2633", D("6.10"))
    assert (device.device_type, device.tier_level) == ("phone", 1)


async def test_a_changed_estimated_price_becomes_the_shops_own(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    await imported(client, admin, csv_bytes(*BASE[:2]))
    async with transaction(sessionmaker) as session:
        await session.execute(update(Pricing).values(is_estimated=True, confidence_score=D("0.75")))

    await imported(
        client,
        admin,
        csv_bytes(
            priced("OLED original", "299.00", partQuality="original"),
            priced("OLED premium", "219.00", partQuality="aftermarket_premium", validUntil="2030-01-01"),
        ),
    )

    prices = await prices_by_part(sessionmaker)
    assert (prices["OLED original"].is_estimated, prices["OLED original"].confidence_score) == (False, None)
    # Only the validity changed: still the estimate it was.
    assert (prices["OLED premium"].is_estimated, prices["OLED premium"].confidence_score) == (True, D("0.75"))


async def test_new_repair_and_part_types_are_created_and_a_blank_quality_is_the_part_types(
    client, app, sessionmaker
):
    admin = await make_user(app, sessionmaker, "admin")
    result = await imported(
        client,
        admin,
        csv_bytes(
            priced("OLED original", "279", partQuality="original"),
            priced("OLED original", "279", partQuality="", model="iPhone 14", releaseYear="2022"),
            priced("Glass", "99", repairType="Back glass replacement"),
        ),
    )

    assert result["repairTypes"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert result["partTypes"] == {"created": 2, "updated": 0, "unchanged": 0}
    async with sessionmaker() as session:
        qualities = sorted(p.part_quality for p in (await session.execute(select(Pricing))).scalars())
    assert qualities == ["aftermarket_standard", "original", "original"]


@pytest.mark.parametrize(
    "amount", ["149,99", "$149", "1,499.00", "149.999", "-5", "1e3", "149.", ".5", "12 EUR"]
)
async def test_money_needs_a_dot_and_at_most_two_decimals(client, app, sessionmaker, amount):
    admin = await make_user(app, sessionmaker, "admin")
    result = await imported(client, admin, csv_bytes(priced("OLED", "279.00"), priced("LCD", amount)))

    assert [(item["line"], item["column"]) for item in result["rejected"]] == [(3, "price")]
    assert result["prices"]["created"] == 1
    assert await count_rows(sessionmaker, Pricing) == 1


@pytest.mark.parametrize(("amount", "stored"), [("149", "149.00"), ("149.5", "149.50"), ("0.99", "0.99")])
async def test_money_in_the_documented_format_is_stored_exactly(client, app, sessionmaker, amount, stored):
    admin = await make_user(app, sessionmaker, "admin")
    await imported(client, admin, csv_bytes(priced("OLED", amount, cost=amount)))
    price = (await prices_by_part(sessionmaker))["OLED"]
    assert (price.price, price.cost) == (D(stored), D(stored))


async def test_dates_are_shop_midnight_and_times_are_exact(engine, database_url, tmp_path, sessionmaker):
    report = await import_catalog(
        sessionmaker,
        csv_bytes(
            priced("OLED", "279", validFrom="2025-03-01", validUntil="2025-12-31"),
            priced("LCD", "149", validFrom="2025-03-01T09:30:00+02:00"),
            priced("Glass", "99", validFrom="2025-03-01T09:30:00"),  # no offset: shop time
        ),
        timezone="America/Chicago",
    )
    try:
        assert report.rejected == []
        prices = await prices_by_part(sessionmaker)
        assert prices["OLED"].valid_from == datetime(2025, 3, 1, 6, 0, tzinfo=UTC)  # CST is UTC-6
        assert prices["OLED"].valid_until == datetime(2025, 12, 31, 6, 0, tzinfo=UTC)
        assert prices["LCD"].valid_from == datetime(2025, 3, 1, 7, 30, tzinfo=UTC)
        assert prices["Glass"].valid_from == datetime(2025, 3, 1, 15, 30, tzinfo=UTC)
    finally:
        from tests.conftest import wipe

        await wipe(engine)


async def test_line_numbers_count_physical_lines_of_quoted_multi_line_cells(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    data = csv_bytes(
        priced("OLED", "279", notes='Line one\nline two, with a comma and "quotes"'),
        {},  # a blank line is skipped
        priced("LCD", "14,9"),
    )

    result = await imported(client, admin, data)

    assert result["rows"] == 2
    assert [(item["line"], item["column"]) for item in result["rejected"]] == [(5, "price")]
    assert (await prices_by_part(sessionmaker))[
        "OLED"
    ].notes == 'Line one\nline two, with a comma and "quotes"'


async def test_the_import_is_bulk_not_one_query_per_row(engine, sessionmaker, statement_counter):
    rows = [
        priced(f"Part {part}", f"{100 + index}.00", model=f"Phone {index}")
        for index in range(300)
        for part in range(4)
    ]
    statement_counter.reset()
    report = await import_catalog(sessionmaker, csv_bytes(*rows))
    try:
        assert report.prices.created == 1_200
        assert report.device_models.created == 300
        # A handful of loads, then chunks of 1,000 rows per table written (prices, history, events, jobs).
        assert statement_counter.count <= 20, statement_counter.statements
    finally:
        from tests.conftest import wipe

        await wipe(engine)


class RecordedProgress:
    """An :class:`~fixdesk.catalog.transfer.ImportProgress` that notes each stage's total and what was done."""

    def __init__(self) -> None:
        self.stages: list[list] = []  # [name, total, done]

    def stage(self, name: str, total: int) -> None:
        self.stages.append([name, total, 0])

    def advance(self, count: int) -> None:
        self.stages[-1][2] += count


async def test_the_import_reports_its_progress_stage_by_stage(engine, sessionmaker):
    # What the CLI's progress bars show (issue 5, item 2): reading lines, checking rows, writing records.
    progress = RecordedProgress()
    data = csv_bytes(
        priced("OLED original", "279.00"),
        priced("LCD standard", "149.00"),
        {"brand": "Google", "model": "Pixel 7", "deviceType": "phone"},
        priced("LCD economy", "14,9"),  # rejected while reading: never checked nor written
    )
    report = await import_catalog(sessionmaker, data, progress=progress)
    try:
        assert len(report.rejected) == 1
        assert progress.stages == [
            ["reading", 5, 5],  # the header and four rows
            ["checking", 3, 3],
            # 2 brands, 1 repair type, 2 part types, 2 device models, 2 prices and their 2 history rows
            ["writing", 11, 11],
        ]
    finally:
        from tests.conftest import wipe

        await wipe(engine)
