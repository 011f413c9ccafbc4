"""The demo shop's field team (fixdesk.demo.field): technicians, service locations in Austin with their
equipment, service plans and a year of work orders, loaded once per backend and checked against the field
services' rules, then planned through ``POST /api/v1/dispatch/plan`` for the demo's today. The generator's
own properties (same seed, same team; ``scale`` multiplies it) are checked in memory.
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from pydantic import TypeAdapter
from sqlalchemy import select

from fixdesk.customers.models import Customer
from fixdesk.demo.field import PLAN_KINDS, FieldGenerator
from fixdesk.demo.loader import DEMO_PASSWORD, load_demo
from fixdesk.fieldservice.lifecycle import TRANSITIONS
from fixdesk.fieldservice.models import (
    Equipment,
    ServiceLocation,
    Technician,
    TechnicianSkill,
    TechnicianTimeOff,
    WorkOrder,
    WorkOrderItem,
    WorkOrderLabour,
    WorkOrderStatus,
    WorkOrderStatusHistory,
    WorkOrderTechnician,
)
from fixdesk.fieldservice.service_plans import recurrence as rules
from fixdesk.fieldservice.service_plans.models import ServicePlan, ServicePlanOccurrence
from fixdesk.fieldservice.service_plans.service import _refresh_next
from fixdesk.fieldservice.technicians.schemas import WorkingHours
from fixdesk.fieldservice.work_orders.booking import Booking, booked_interval, working_day
from fixdesk.identity.models import User
from fixdesk.platform.numbering import NumberSequence
from fixdesk.repairs.items import totals as money
from tests.conftest import make_settings
from tests.demo.conftest import DEMO_NOW

# load_demo writes through its own engine and commits.
pytestmark = pytest.mark.commits

ZONE = "America/Chicago"
TAX_RATE = Decimal("8.25")
# Austin, TX: the city limits lie within these degrees (the demo's addresses must be in the city).
AUSTIN = {"south": 30.09, "north": 30.53, "west": -97.95, "east": -97.55}
WORK_ORDER_NUMBER = re.compile(r"^WO-(\d{4})-(\d{6})$")
PLAN_SKILLS = {kind.service: kind.skill for kind in PLAN_KINDS}
STAFF_EMAILS = {"tech@example.com", "tech2@example.com", "manager@example.com", "front-desk@example.com"}


@pytest.fixture
async def settings(database_url, tmp_path):
    return make_settings(
        database_url,
        tmp_path,
        rate_limit_auth="1000/minute",
        tax_rate=TAX_RATE,
        shop_timezone=ZONE,
        dispatch_time_limit_seconds=1,
    )


async def rows_of(connection, table, *order):
    statement = select(table)
    if order:
        statement = statement.order_by(*order)
    return (await connection.execute(statement)).mappings().all()


def grouped(rows, key):
    result = defaultdict(list)
    for row in rows:
        result[row[key]].append(row)
    return result


def inside_austin(latitude: float, longitude: float) -> bool:
    return AUSTIN["south"] < latitude < AUSTIN["north"] and AUSTIN["west"] < longitude < AUSTIN["east"]


def aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive UTC, PostgreSQL aware datetimes."""
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def test_the_demo_field_team_keeps_the_services_rules_and_can_be_dispatched(
    engine, app, client, settings, demo_clock
):
    summary = await load_demo(settings, scale=1, now=DEMO_NOW, sections=("field",))
    today = DEMO_NOW.astimezone(ZoneInfo(ZONE)).date()
    async with engine.connect() as connection:
        users = {row.id: row for row in await rows_of(connection, User.__table__)}
        technicians = await rows_of(connection, Technician.__table__)
        skills = grouped(await rows_of(connection, TechnicianSkill.__table__), "technician_id")
        time_off = grouped(await rows_of(connection, TechnicianTimeOff.__table__), "technician_id")
        customers = {row.id: row for row in await rows_of(connection, Customer.__table__)}
        locations = {row.id: row for row in await rows_of(connection, ServiceLocation.__table__)}
        equipment = {row.id: row for row in await rows_of(connection, Equipment.__table__)}
        plans = await rows_of(connection, ServicePlan.__table__)
        occurrences = await rows_of(connection, ServicePlanOccurrence.__table__)
        orders = await rows_of(connection, WorkOrder.__table__)
        assignments = grouped(
            await rows_of(connection, WorkOrderTechnician.__table__, WorkOrderTechnician.position),
            "work_order_id",
        )
        history = grouped(
            await rows_of(
                connection,
                WorkOrderStatusHistory.__table__,
                WorkOrderStatusHistory.created_at,
                WorkOrderStatusHistory.id,
            ),
            "work_order_id",
        )
        items = grouped(await rows_of(connection, WorkOrderItem.__table__), "work_order_id")
        labour = grouped(await rows_of(connection, WorkOrderLabour.__table__), "work_order_id")
        sequences = {
            row.year: row.last_value
            for row in await connection.execute(
                select(NumberSequence.year, NumberSequence.last_value).where(NumberSequence.prefix == "WO")
            )
        }

    # The summary tells the truth.
    assert (summary.technicians, summary.service_locations, summary.equipment) == (
        len(technicians),
        len(locations),
        len(equipment),
    )
    assert (summary.service_plans, summary.work_orders) == (len(plans), len(orders))
    assert summary.work_order_history == sum(len(rows) for rows in history.values())

    # Ten active technicians: staff users who go out, with skills, a home base in Austin and valid hours.
    assert len(technicians) == 10
    by_technician = {row.id: row for row in technicians}
    for technician in technicians:
        user = users[technician.user_id]
        assert (technician.is_active, user.is_active, user.role) == (True, True, "technician")
        assert skills[technician.id], user.email
        assert all(s.skill_key == s.skill.lower() for s in skills[technician.id])
        assert inside_austin(technician.home_latitude, technician.home_longitude)
        assert technician.home_address.endswith(
            tuple(f"Austin, TX {zip_code}" for zip_code in _zips(locations))
        )
        TypeAdapter(WorkingHours).validate_python(technician.working_hours)
    team_skills = Counter(s.skill for rows in skills.values() for s in rows)
    assert {"HVAC", "Plumbing", "Septic", "Electrical"} <= set(team_skills)
    assert {users[t.user_id].email for t in technicians} >= {"tech@example.com", "tech2@example.com"}

    # 500 locations on Austin's streets, each with equipment (type, make, model, serial, installed before today).
    assert len(locations) >= 500
    for location in locations.values():
        assert inside_austin(location.latitude, location.longitude), location.address_line1
        assert (location.city, location.region, location.country) == ("Austin", "TX", "US")
        assert re.fullmatch(r"787\d\d", location.postal_code)
        assert re.fullmatch(r"\d{3,5} \S.*", location.address_line1)
        assert location.geocode_status == "given"
        assert customers[location.customer_id].status == "active"
    addresses = [(row.address_line1, row.address_line2) for row in locations.values()]
    assert len(set(addresses)) == len(addresses)
    assert len({row.postal_code for row in locations.values()}) >= 15
    equipped = {row.location_id for row in equipment.values()}
    assert equipped == set(locations)
    for unit in equipment.values():
        assert all((unit.equipment_type, unit.make, unit.model, unit.serial_number))
        assert unit.installed_on < today

    # 150 plans with valid RRULEs; their next occurrence is what the plans' own service computes.
    assert len(plans) == 150
    assert {"FREQ=MONTHLY;INTERVAL=3", "FREQ=MONTHLY;INTERVAL=4", "FREQ=YEARLY"} <= {
        ";".join(part for part in plan.recurrence.split(";") if not part.startswith(("BYDAY", "BYMONTH")))
        for plan in plans
    }
    for plan in plans:
        rule = rules.parse_rule(plan.recurrence, plan.starts_on)
        assert plan.recurrence == rules.normalized(plan.recurrence)
        assert locations[plan.location_id].customer_id == plan.customer_id
        if plan.technician_id is not None:
            assert PLAN_SKILLS[plan.service_type] in skills_of(skills, plan.technician_id)
        recomputed = ServicePlan(**dict(plan))
        _refresh_next(recomputed, today)
        assert recomputed.next_occurrence_date == plan.next_occurrence_date, plan.recurrence
        if plan.status == "active":
            assert plan.next_occurrence_date is not None
            assert rules.first_on_or_after(rule, plan.next_occurrence_date) == plan.next_occurrence_date
    assert Counter(plan.status for plan in plans)["active"] > 130

    # Occurrences: one work order per (plan, day), made as the periodic job makes them.
    by_order = {row.id: row for row in orders}
    plan_by_id = {plan.id: plan for plan in plans}
    assert len({(o.plan_id, o.occurrence_date) for o in occurrences}) == len(occurrences) > 150
    for occurrence in occurrences:
        order = by_order[occurrence.work_order_id]
        plan = plan_by_id[occurrence.plan_id]
        assert order.scheduled_date == occurrence.occurrence_date
        assert occurrence.occurrence_date in rules.occurrences_between(
            rules.parse_rule(plan.recurrence, plan.starts_on),
            occurrence.occurrence_date,
            occurrence.occurrence_date,
        )
        assert occurrence.occurrence_date <= today + timedelta(days=settings.service_plan_lead_days)
        assert (order.service_type, order.location_id, order.created_by_id) == (
            plan.service_type,
            plan.location_id,
            None,
        )
        assert order.notes.startswith(f"Service plan visit of {occurrence.occurrence_date.isoformat()}.")

    # Work orders: a year back, four weeks ahead; every status; numbers gap-free per shop year.
    days = [row.scheduled_date for row in orders if row.scheduled_date]
    assert min(days) <= today - timedelta(days=360)
    assert max(days) >= today + timedelta(days=21)
    assert {row.status for row in orders} == {status.value for status in WorkOrderStatus}
    assert all(
        row.status in ("completed", "cancelled")
        for row in orders
        if row.scheduled_date and row.scheduled_date < today
    )
    assert all(
        row.status in ("scheduled", "cancelled")
        for row in orders
        if row.scheduled_date and row.scheduled_date > today
    )
    numbers = defaultdict(list)
    zone = ZoneInfo(ZONE)
    for row in sorted(orders, key=lambda row: (aware(row.created_at), row.work_order_number)):
        match = WORK_ORDER_NUMBER.match(row.work_order_number)
        assert match, row.work_order_number
        assert int(match[1]) == aware(row.created_at).astimezone(zone).year
        numbers[int(match[1])].append(int(match[2]))
    assert numbers == {year: list(range(1, len(values) + 1)) for year, values in numbers.items()}
    assert sequences == {year: len(values) for year, values in numbers.items()}

    # Histories follow the lifecycle, and the stamps and totals agree with them.
    staff_ids = set(users)
    for row in orders:
        rows = history[row.id]
        assert rows[0].from_status is None
        assert rows[0].to_status in ("draft", "scheduled")
        assert aware(rows[0].created_at) == aware(row.created_at)
        for before, after in itertools.pairwise(rows):
            assert after.from_status == before.to_status
            assert WorkOrderStatus(after.to_status) in TRANSITIONS[WorkOrderStatus(before.to_status)]
            assert after.created_at >= before.created_at
        assert rows[-1].to_status == row.status
        assert aware(row.updated_at) == aware(rows[-1].created_at)
        assert all(entry.changed_by_id is None or entry.changed_by_id in staff_ids for entry in rows)
        stamps = {entry.to_status: aware(entry.created_at) for entry in rows}
        assert aware(row.started_at) == stamps.get("in_progress")
        assert aware(row.completed_at) == stamps.get("completed")
        assert aware(row.cancelled_at) == stamps.get("cancelled")
        assert max(aware(row.created_at), aware(row.updated_at)) <= DEMO_NOW
        lead = assignments[row.id][0].technician_id if assignments[row.id] else None
        if row.status in ("in_progress", "completed"):
            assert lead is not None
            assert rows[-1].changed_by_id == by_technician[lead].user_id
        if row.status == "completed":
            assert row.time_on_site_minutes > 0
            assert row.completion_notes
            assert items[row.id] or labour[row.id]
        if row.status == "draft":
            assert row.scheduled_date is None
        elif row.status != "cancelled":
            assert row.scheduled_date is not None
        lines = [line.line_total for line in (*items[row.id], *labour[row.id])]
        for line in items[row.id]:
            assert line.line_total == money.item_total(line.quantity, line.unit_price, line.discount)
        for line in labour[row.id]:
            assert line.line_total == money.labour_total(line.hours, line.rate)
        expected = money.compute_totals(lines, row.tax_rate)
        assert (row.subtotal, row.tax_amount, row.total) == (
            expected.subtotal,
            expected.tax_amount,
            expected.total,
        )
        assert row.tax_rate == TAX_RATE
        if row.equipment_id is not None:
            assert equipment[row.equipment_id].location_id == row.location_id
        assert locations[row.location_id].customer_id == row.customer_id
        assert row.required_skills
        assert all(
            set(row.required_skills) <= set(skills_of(skills, a.technician_id)) for a in assignments[row.id]
        )

    # Bookings keep the booking rules: inside the technician's hours, clear of breaks, time off and each other.
    booked = defaultdict(list)
    for row in orders:
        if row.status in ("scheduled", "in_progress", "completed") and row.scheduled_date:
            for assignment in assignments[row.id]:
                booked[(assignment.technician_id, row.scheduled_date)].append(row)
    assert len(booked) > 1_000
    for (technician_id, day), rows in booked.items():
        technician = by_technician[technician_id]
        hours = working_day(technician, day)
        assert hours is not None, (day, technician.working_hours)
        day_start = datetime.combine(day, datetime.strptime(hours["start"], "%H:%M").time())
        day_end = datetime.combine(day, datetime.strptime(hours["end"], "%H:%M").time())
        intervals = sorted(
            booked_interval(
                Booking(
                    r.scheduled_date, r.time_window_start, r.time_window_end, r.estimated_duration_minutes
                ),
                hours,
            )
            for r in rows
        )
        assert all(r.time_window_start and r.time_window_end for r in rows)
        for start, end in intervals:
            assert day_start <= start
            assert end <= day_end
            for pause in hours["breaks"]:
                pause_start = datetime.combine(day, datetime.strptime(pause["start"], "%H:%M").time())
                pause_end = datetime.combine(day, datetime.strptime(pause["end"], "%H:%M").time())
                assert end <= pause_start or start >= pause_end
            utc_start = start.replace(tzinfo=zone).astimezone(UTC)
            utc_end = end.replace(tzinfo=zone).astimezone(UTC)
            for period in time_off[technician_id]:
                assert utc_end <= aware(period.starts_at) or utc_start >= aware(period.ends_at)
        for (_, first_end), (second_start, _) in itertools.pairwise(intervals):
            assert first_end <= second_start
    for row in orders:
        if row.time_window_start and row.time_window_end:
            assert row.time_window_start < row.time_window_end
            assert (
                row.estimated_duration_minutes
                <= (
                    datetime.combine(date.min, row.time_window_end)
                    - datetime.combine(date.min, row.time_window_start)
                ).seconds
                // 60
            )

    # Today has work to dispatch: booked jobs, unassigned ones and undated drafts.
    todays = [row for row in orders if row.scheduled_date == today]
    assert sum(bool(assignments[row.id]) for row in todays if row.status == "scheduled") >= 5
    assert sum(not assignments[row.id] for row in todays if row.status == "scheduled") >= 5
    assert sum(row.status == "draft" for row in orders) >= 3
    coming = [row for row in orders if today < (row.scheduled_date or today) <= today + timedelta(days=14)]
    assert sum(not assignments[row.id] for row in coming) >= 5

    # The dispatcher plans today: technicians with their stops, and the one off sick is skipped.
    response = await client.post(
        "/api/v1/auth/login", json={"email": "manager@example.com", "password": DEMO_PASSWORD}
    )
    headers = {"Authorization": f"Bearer {response.json()['accessToken']}"}
    response = await client.post("/api/v1/dispatch/plan", json={"date": today.isoformat()}, headers=headers)
    assert response.status_code == 201, response.text
    plan = response.json()
    routes_with_stops = [route for route in plan["routes"] if route["stops"]]
    assert len(routes_with_stops) >= 5
    assert plan["totals"]["placed"] >= 15
    assert any(skipped["reason"] == "time off" for skipped in plan["skippedTechnicians"])
    stop_numbers = {stop["workOrderNumber"] for route in routes_with_stops for stop in route["stops"]}
    assert stop_numbers <= {row.work_order_number for row in orders if row.status in ("scheduled", "draft")}


def skills_of(skills, technician_id) -> list[str]:
    return [row.skill for row in skills[technician_id]]


def _zips(locations) -> set[str]:
    return {row.postal_code for row in locations.values()}


# --- the generator in memory ---------------------------------------------------------------------------


def generate(
    seed: int, scale: int = 1, now: datetime = DEMO_NOW
) -> tuple[FieldGenerator, dict[str, list[dict]]]:
    staff = {email: uuid.UUID(int=n + 1) for n, email in enumerate(sorted(STAFF_EMAILS))}
    generator = FieldGenerator(
        seed=seed, scale=scale, now=now, zone=ZONE, tax_rate=TAX_RATE, password_hash="not-a-hash", staff=staff
    )
    tables: dict[str, list[dict]] = defaultdict(list)
    for batch in generator.batches():
        for table, rows in batch:
            tables[table.name].extend(rows)
    return generator, tables


def without_ids(tables: dict[str, list[dict]]) -> list[tuple]:
    ids = re.compile(r"(^id$|_id$)")
    return [
        (name, tuple((key, value) for key, value in row.items() if not ids.search(key)))
        for name, rows in sorted(tables.items())
        for row in rows
    ]


def test_the_same_seed_and_moment_give_the_same_field_team():
    first = without_ids(generate(7)[1])
    assert first == without_ids(generate(7)[1])
    # Another seed, another team; another moment moves the year with it.
    later = generate(8, now=DEMO_NOW + timedelta(days=30))[1]
    assert first != without_ids(later)
    days = sorted(
        value
        for name, row in first
        if name == "work_orders"
        for key, value in row
        if key == "scheduled_date" and value
    )
    later_days = sorted(row["scheduled_date"] for row in later["work_orders"] if row["scheduled_date"])
    assert later_days[0] - days[0] >= timedelta(days=29)
    assert later_days[-1] - days[-1] >= timedelta(days=29)


def test_scale_multiplies_the_field_team():
    _, one = generate(3, scale=1)
    _, two = generate(3, scale=2)
    assert (len(one["technicians"]), len(two["technicians"])) == (10, 20)
    assert len(two["service_locations"]) == 2 * len(one["service_locations"]) == 1_000
    assert len(two["service_plans"]) == 2 * len(one["service_plans"]) == 300
    assert 1.7 < len(two["work_orders"]) / len(one["work_orders"]) < 2.3
    # The staff's bench technicians get profiles; the others are new technician accounts.
    emails = {row["email"] for row in two["users"]}
    assert emails == {f"tech{n}@example.com" for n in range(3, 21)}
