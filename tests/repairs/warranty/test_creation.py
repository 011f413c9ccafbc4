"""Warranties created when a repair is completed (issue 5, item 7): one per fitted part, with the part
type's months, the serial numbers, the part cost and dates in the shop's time zone. They are the follow-up
work of the ``repair.completed`` event (issue 9, item 10), done by the worker from the outbox."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from fixdesk.db import transaction
from fixdesk.platform.events import DISPATCH_JOB, DomainEvent
from fixdesk.platform.jobs import enqueue
from fixdesk.platform.jobs.models import Job
from fixdesk.repairs import access
from fixdesk.repairs import service as repairs_service
from fixdesk.repairs.events import REPAIR_COMPLETED
from fixdesk.repairs.models import Repair, RepairStatus, Warranty
from fixdesk.repairs.warranty import service
from tests.conftest import make_settings
from tests.factories import TO_COMPLETED, count_rows, make_part_type, make_repair, walk
from tests.repairs.warranty.conftest import add_item, make_bench, warranties_of

# --- the end date ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("starts_on", "months", "ends_on"),
    [
        (date(2026, 1, 15), 3, date(2026, 4, 15)),  # same day of the month, inclusive
        (date(2026, 1, 31), 1, date(2026, 2, 28)),  # no 31 February: the month's last day
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),  # across the year end, clamped
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),  # a leap day a year on
        (date(2026, 2, 28), 1, date(2026, 3, 28)),  # a short month's last day is not "end of month"
        (date(2026, 5, 10), 24, date(2028, 5, 10)),
    ],
)
def test_a_warranty_ends_on_the_same_day_of_the_month_or_that_months_last_day(starts_on, months, ends_on):
    assert service.warranty_end(starts_on, months) == ends_on


def test_coverage_counts_the_days_left_after_today():
    assert service.coverage(date(2026, 3, 10), date(2026, 3, 1)) == ("active", 9)
    assert service.coverage(date(2026, 3, 10), date(2026, 3, 10)) == ("active", 0)
    assert service.coverage(date(2026, 3, 10), date(2026, 3, 11)) == ("expired", 0)


# --- on completion --------------------------------------------------------------------------------------


async def test_completing_a_repair_creates_one_warranty_per_part_with_a_warranty(client, app, sessionmaker):
    bench = await make_bench(client, app, sessionmaker)
    battery = await make_part_type(sessionmaker, "Battery", quality="aftermarket_premium", warranty_months=12)
    adhesive = await make_part_type(sessionmaker, "Adhesive strip", warranty_months=0)
    repair = await make_repair(client, bench.admin, bench.customer.id)
    await add_item(
        sessionmaker,
        repair["id"],
        part_type=bench.part_type,
        repair_type=bench.repair_type,
        description="OLED screen",
        unit_cost="88.40",
        removed_serial="SCR-FAULTY-1",
        installed_serial="SCR-NEW-9",
        position=0,
    )
    # Two cells on one line: the warranty covers the line, and its cost is both cells'.
    await add_item(
        sessionmaker,
        repair["id"],
        part_type=battery,
        description="Battery cells",
        quantity=2,
        unit_cost="12.35",
        part_quality="aftermarket_economy",
        position=1,
    )
    await add_item(sessionmaker, repair["id"], part_type=adhesive, description="Adhesive", position=2)
    await add_item(sessionmaker, repair["id"], description="Cleaning", unit_cost=None, position=3)

    await walk(client, bench.admin, repair["id"], *TO_COMPLETED[:-1])
    assert await warranties_of(sessionmaker, repair["id"]) == [], "no warranty before completion"
    completed = await walk(client, bench.admin, repair["id"], "completed")
    await bench.settle()

    today = datetime.fromisoformat(completed["actualCompletion"].replace("Z", "+00:00")).date()
    screen, cells = await warranties_of(sessionmaker, repair["id"])
    items = {item["description"]: item["id"] for item in completed["items"]}
    assert screen.description == "OLED screen"
    assert screen.part_type_id == bench.part_type.id
    assert screen.part_quality == "original", "the part type's quality when the line names none"
    assert (screen.removed_serial, screen.installed_serial) == ("SCR-FAULTY-1", "SCR-NEW-9")
    assert screen.part_cost == Decimal("88.40")
    assert screen.warranty_months == 6
    assert screen.starts_on == today
    assert screen.ends_on == service.warranty_end(today, 6)
    assert cells.description == "Battery cells"
    assert cells.part_quality == "aftermarket_economy"
    assert cells.part_cost == Decimal("24.70")
    assert cells.warranty_months == 12
    assert cells.ends_on == service.warranty_end(today, 12)
    assert (cells.removed_serial, cells.installed_serial) == (None, None)
    assert screen.repair_item_id == uuid.UUID(items["OLED screen"])
    assert cells.repair_item_id == uuid.UUID(items["Battery cells"])


async def completion_events(sessionmaker, repair_id: str) -> list[DomainEvent]:
    async with sessionmaker() as session:
        events = await session.execute(select(DomainEvent).where(DomainEvent.name == REPAIR_COMPLETED))
        return [event for event in events.scalars() if event.payload["id"] == repair_id]


async def test_warranties_are_the_follow_up_work_of_the_completion_event(client, app, sessionmaker):
    bench = await make_bench(client, app, sessionmaker)
    repair = await make_repair(client, bench.admin, bench.customer.id)
    await add_item(sessionmaker, repair["id"], part_type=bench.part_type, repair_type=bench.repair_type)

    await walk(client, bench.admin, repair["id"], *TO_COMPLETED)

    # The completion committed together with its event and the event's dispatch job; the warranty is
    # the worker's to create.
    [event] = await completion_events(sessionmaker, repair["id"])
    async with sessionmaker() as session:
        dispatches = (await session.execute(select(Job).where(Job.kind == DISPATCH_JOB))).scalars()
        assert str(event.id) in {job.payload["eventId"] for job in dispatches}
    assert await warranties_of(sessionmaker, repair["id"]) == []

    await bench.settle()
    [warranty] = await warranties_of(sessionmaker, repair["id"])

    # The event dispatched again (a worker killed after the subscriber ran) creates nothing twice.
    async with transaction(sessionmaker) as session:
        await enqueue(session, DISPATCH_JOB, {"eventId": str(event.id)}, unique_key=f"again:{event.id}")
    assert await bench.settle() == 1
    assert [w.id for w in await warranties_of(sessionmaker, repair["id"])] == [warranty.id]


async def test_a_completion_that_rolls_back_leaves_no_warranty_behind(client, app, sessionmaker):
    bench = await make_bench(client, app, sessionmaker)
    repair = await make_repair(client, bench.admin, bench.customer.id)
    await add_item(sessionmaker, repair["id"], part_type=bench.part_type, repair_type=bench.repair_type)
    await walk(client, bench.admin, repair["id"], *TO_COMPLETED[:-1])
    await bench.settle()

    async def complete_then_fail() -> None:
        async with transaction(sessionmaker) as session:
            row = await access.load_repair(session, uuid.UUID(repair["id"]))
            await repairs_service.transition(session, row, RepairStatus.completed, actor_id=None)
            raise RuntimeError("the request failed after the completion")

    with pytest.raises(RuntimeError):
        await complete_then_fail()
    await bench.settle()

    assert await completion_events(sessionmaker, repair["id"]) == []
    assert await warranties_of(sessionmaker, repair["id"]) == []


async def test_a_repair_without_warranted_parts_gets_no_warranty(client, app, sessionmaker):
    bench = await make_bench(client, app, sessionmaker)
    none_months = await make_part_type(sessionmaker, "Sticker", warranty_months=0)
    repair = await make_repair(client, bench.admin, bench.customer.id)
    await add_item(sessionmaker, repair["id"], part_type=none_months)
    await add_item(sessionmaker, repair["id"], repair_type=bench.repair_type, position=1)
    bare = await make_repair(client, bench.admin, bench.customer.id)

    await walk(client, bench.admin, repair["id"], *TO_COMPLETED)
    await walk(client, bench.admin, bare["id"], *TO_COMPLETED)
    assert await bench.settle() > 0, "the completions' follow-up work ran"

    assert await count_rows(sessionmaker, Warranty) == 0


async def test_a_line_without_a_unit_cost_has_a_warranty_without_a_cost(client, app, sessionmaker):
    bench = await make_bench(client, app, sessionmaker)
    _, warranty = await bench.completed_repair(unit_cost=None)
    assert warranty.part_cost is None
    assert warranty.warranty_months == 6


async def test_delivering_a_completed_repair_adds_no_warranty(client, app, sessionmaker):
    bench = await make_bench(client, app, sessionmaker)
    completed, warranty = await bench.completed_repair()
    await walk(client, bench.admin, completed["id"], "delivered")
    await bench.settle()
    assert [w.id for w in await warranties_of(sessionmaker, completed["id"])] == [warranty.id]


async def test_creating_warranties_again_duplicates_nothing_and_covers_only_new_lines(
    client, app, sessionmaker, settings
):
    bench = await make_bench(client, app, sessionmaker)
    completed, first = await bench.completed_repair()
    repair_id = uuid.UUID(completed["id"])

    async with transaction(sessionmaker) as session:
        repair = await session.get(Repair, repair_id)
        again = await service.create_warranties(
            session, repair, completed_at=datetime.now(UTC), settings=settings
        )
    assert again == []
    assert [w.id for w in await warranties_of(sessionmaker, repair_id)] == [first.id]

    # A line added since (a re-completion after more work) is covered, the old one still once.
    await add_item(sessionmaker, repair_id, part_type=bench.part_type, description="Back glass", position=1)
    later = datetime.now(UTC) + timedelta(days=40)
    async with transaction(sessionmaker) as session:
        repair = await session.get(Repair, repair_id)
        created = await service.create_warranties(session, repair, completed_at=later, settings=settings)
    assert [w.description for w in created] == ["Back glass"]
    stored = await warranties_of(sessionmaker, repair_id)
    assert [w.description for w in stored] == ["Screen replacement", "Back glass"]
    assert stored[0].starts_on == first.starts_on
    assert stored[1].starts_on == later.date()


async def test_dates_are_the_completion_date_in_the_shops_time_zone(
    client, app, sessionmaker, database_url, tmp_path
):
    bench = await make_bench(client, app, sessionmaker)
    monthly = await make_part_type(sessionmaker, "Charging port", warranty_months=1)
    repair = await make_repair(client, bench.admin, bench.customer.id)
    await add_item(sessionmaker, repair["id"], part_type=monthly, description="Charging port")
    chicago = make_settings(database_url, tmp_path, shop_timezone="America/Chicago")

    # 03:00 UTC on 1 February is still 31 January (21:00) in Chicago: a month from 31 January ends on
    # the last day of February.
    async with transaction(sessionmaker) as session:
        row = await session.get(Repair, uuid.UUID(repair["id"]))
        await service.create_warranties(
            session, row, completed_at=datetime(2026, 2, 1, 3, 0, tzinfo=UTC), settings=chicago
        )
    [warranty] = await warranties_of(sessionmaker, repair["id"])
    assert (warranty.starts_on, warranty.ends_on) == (date(2026, 1, 31), date(2026, 2, 28))


async def test_without_settings_dates_are_utc_dates(client, app, sessionmaker):
    bench = await make_bench(client, app, sessionmaker)
    repair = await make_repair(client, bench.admin, bench.customer.id)
    await add_item(sessionmaker, repair["id"], part_type=bench.part_type)

    async with transaction(sessionmaker) as session:
        row = await session.get(Repair, uuid.UUID(repair["id"]))
        await service.create_warranties(
            session, row, completed_at=datetime(2028, 8, 31, 23, 30, tzinfo=UTC), settings=None
        )
    [warranty] = await warranties_of(sessionmaker, repair["id"])
    assert (warranty.starts_on, warranty.ends_on) == (date(2028, 8, 31), date(2029, 2, 28))


async def test_completion_through_the_api_dates_warranties_in_the_shop_time_zone(
    database, sessionmaker, database_url, tmp_path
):
    # Kiribati (UTC+14) is a calendar day ahead of UTC for most of the day and never behind it.
    import httpx

    kiribati = make_settings(database_url, tmp_path, shop_timezone="Pacific/Kiritimati")
    shop_app = database.app(kiribati)
    transport = httpx.ASGITransport(app=shop_app, client=("127.0.0.1", 50001))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as shop:
        bench = await make_bench(shop, shop_app, sessionmaker)
        completed, warranty = await bench.completed_repair()
    completed_at = datetime.fromisoformat(completed["actualCompletion"].replace("Z", "+00:00"))
    assert warranty.starts_on == kiribati.shop_today(completed_at)
    assert warranty.ends_on == service.warranty_end(kiribati.shop_today(completed_at), 6)
