"""Recurring service plans (issue 11, item 5): a plan's RRULE gives the visit days; the periodic job makes
each occurrence's work order 14 days ahead exactly once (even with racing workers), reminds the customer
2 days before; pause, resume, end; an edit changes only occurrences not made yet."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text

from fixdesk.db import transaction
from fixdesk.fieldservice.models import WorkOrder
from fixdesk.fieldservice.service_plans.jobs import SERVICE_PLANS_JOB
from fixdesk.fieldservice.service_plans.service import create_due_occurrences
from fixdesk.messaging.models import Notification
from fixdesk.platform.jobs import enqueue, registry
from fixdesk.platform.jobs.worker import Worker
from fixdesk.services import build_services
from tests.factories import make_customer, make_user, settle
from tests.fieldservice.helpers import make_location, make_technician
from tests.support.clock import clock_at
from tests.support.polling import wait_until

pytestmark = pytest.mark.usefixtures("fixed_clock")  # Wednesday 2026-06-17 in the shop

PLANS = "/api/v1/service-plans"


@pytest.fixture
async def shop(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    _, nia = await make_technician(client, app, sessionmaker, admin, first_name="Nia")
    rita = await make_customer(
        app, sessionmaker, first_name="Rita", last_name="Nunes", phone="+15125550123", notify_sms=True
    )
    house = await make_location(client, admin, rita.id, addressLine1="412 Oak Street")
    return {"admin": admin, "nia": nia, "rita": rita, "house": house}


async def make_plan(client, shop, **fields):
    body = {
        "customerId": str(shop["rita"].id),
        "locationId": shop["house"]["id"],
        "serviceType": "Septic pumping",
        "recurrence": "FREQ=MONTHLY;INTERVAL=3",
        "startsOn": "2025-12-25",
        "timeWindowStart": "09:00",
        "timeWindowEnd": "11:00",
        "estimatedDurationMinutes": 90,
        **fields,
    }
    response = await client.post(PLANS, json=body, headers=shop["admin"].headers)
    assert response.status_code == 201, response.text
    return response.json()


async def run_job(app, sessionmaker):
    """Run the service plans' periodic job now, as the scheduler would enqueue it, through a worker."""
    async with transaction(sessionmaker) as session:
        await enqueue(session, SERVICE_PLANS_JOB, {})
    await settle(app)


async def plan_work_orders(client, shop):
    response = await client.get(
        f"/api/v1/work-orders?customerId={shop['rita'].id}&pageSize=100", headers=shop["admin"].headers
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def get_plan(client, shop, plan):
    response = await client.get(f"{PLANS}/{plan['id']}", headers=shop["admin"].headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_job_runs_every_hour(app):
    [schedule] = [p for p in registry.periodics.values() if p.kind == SERVICE_PLANS_JOB]
    assert schedule.cron.split()[1:] == ["*", "*", "*", "*"]


async def test_a_quarterly_plan_makes_its_next_visit_a_scheduled_work_order_once(
    client, app, sessionmaker, shop
):
    plan = await make_plan(client, shop, technicianId=shop["nia"]["id"])
    # DTSTART 2025-12-25, every three months: March 25, June 25 (8 days ahead), September 25.
    assert plan["nextOccurrenceDate"] == "2026-06-25"
    assert plan["status"] == "active"

    await run_job(app, sessionmaker)
    await run_job(app, sessionmaker)

    [work_order] = await plan_work_orders(client, shop)
    assert work_order["status"] == "scheduled"
    assert work_order["scheduledDate"] == "2026-06-25"
    assert (work_order["timeWindowStart"], work_order["timeWindowEnd"]) == ("09:00", "11:00")
    assert work_order["estimatedDurationMinutes"] == 90
    assert work_order["serviceType"] == "Septic pumping"
    assert work_order["locationId"] == shop["house"]["id"]
    assert work_order["technicianIds"] == [shop["nia"]["id"]]
    plan = await get_plan(client, shop, plan)
    assert (plan["lastOccurrenceDate"], plan["nextOccurrenceDate"]) == ("2026-06-25", "2026-09-25")


async def test_a_visit_the_technician_cannot_take_is_made_unassigned_for_the_dispatcher(
    client, app, sessionmaker, shop
):
    # Saturdays, when Nia does not work: the visit is still made, without her.
    await make_plan(
        client, shop, recurrence="FREQ=WEEKLY;BYDAY=SA", startsOn="2026-06-20", technicianId=shop["nia"]["id"]
    )
    await run_job(app, sessionmaker)

    work_orders = await plan_work_orders(client, shop)
    assert sorted(w["scheduledDate"] for w in work_orders) == ["2026-06-20", "2026-06-27"]
    assert all(w["status"] == "scheduled" and w["technicianIds"] == [] for w in work_orders)


@pytest.mark.parametrize(
    "rule", ["FREQ=FORTNIGHTLY", "FREQ=HOURLY", "DTSTART:20260101\nRRULE:FREQ=DAILY", "not a rule"]
)
async def test_a_bad_rule_is_a_400_naming_recurrence_and_nothing_is_stored(client, shop, rule):
    body = {
        "customerId": str(shop["rita"].id),
        "locationId": shop["house"]["id"],
        "serviceType": "Septic pumping",
        "recurrence": rule,
        "startsOn": "2026-06-20",
    }
    response = await client.post(PLANS, json=body, headers=shop["admin"].headers)

    assert response.status_code == 400, response.text
    assert "recurrence" in response.text
    listed = await client.get(PLANS, headers=shop["admin"].headers)
    assert listed.json()["items"] == []


async def test_pause_stops_occurrences_and_resume_continues_after_today(client, app, sessionmaker, shop):
    # Every Wednesday from June 10: June 17 (today), June 24, July 1 are within 14 days.
    plan = await make_plan(client, shop, recurrence="FREQ=WEEKLY", startsOn="2026-06-10")
    headers = shop["admin"].headers

    paused = await client.post(f"{PLANS}/{plan['id']}/pause", headers=headers)
    assert paused.status_code == 200, paused.text
    assert (paused.json()["status"], paused.json()["nextOccurrenceDate"]) == ("paused", None)
    await run_job(app, sessionmaker)
    assert await plan_work_orders(client, shop) == []
    assert (await client.post(f"{PLANS}/{plan['id']}/pause", headers=headers)).status_code == 409

    resumed = await client.post(f"{PLANS}/{plan['id']}/resume", headers=headers)
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["nextOccurrenceDate"] == "2026-06-24"
    await run_job(app, sessionmaker)

    days = sorted(w["scheduledDate"] for w in await plan_work_orders(client, shop))
    assert days == ["2026-06-24", "2026-07-01"]

    listed = await client.get(f"{PLANS}?status=active&customerId={shop['rita'].id}", headers=headers)
    assert [p["id"] for p in listed.json()["items"]] == [plan["id"]]


async def test_an_ended_plan_makes_no_occurrence_after_its_end(client, app, sessionmaker, shop):
    plan = await make_plan(client, shop, recurrence="FREQ=WEEKLY", startsOn="2026-06-18")
    headers = shop["admin"].headers

    ended = await client.post(f"{PLANS}/{plan['id']}/end", json={"endsOn": "2026-06-20"}, headers=headers)
    assert ended.status_code == 200, ended.text
    assert ended.json()["status"] == "ended"
    await run_job(app, sessionmaker)

    assert [w["scheduledDate"] for w in await plan_work_orders(client, shop)] == ["2026-06-18"]
    assert (await get_plan(client, shop, plan))["nextOccurrenceDate"] is None
    assert (await client.post(f"{PLANS}/{plan['id']}/resume", headers=headers)).status_code == 409
    filtered = await client.get(f"{PLANS}?status=ended", headers=headers)
    assert [p["id"] for p in filtered.json()["items"]] == [plan["id"]]


async def test_an_edit_changes_only_the_occurrences_not_made_yet(client, app, sessionmaker, shop):
    plan = await make_plan(client, shop, recurrence="FREQ=WEEKLY", startsOn="2026-06-18")
    await run_job(app, sessionmaker)  # June 18 and June 25

    response = await client.patch(
        f"{PLANS}/{plan['id']}",
        json={
            "recurrence": "RRULE:FREQ=MONTHLY;BYMONTHDAY=5",
            "timeWindowStart": "13:00",
            "timeWindowEnd": "15:00",
            "serviceType": "Septic inspection",
            "estimatedDurationMinutes": 30,
        },
        headers=shop["admin"].headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["nextOccurrenceDate"] == "2026-07-05"
    with clock_at(datetime(2026, 6, 24, 14, 30, tzinfo=UTC)):
        await run_job(app, sessionmaker)

    work_orders = sorted(await plan_work_orders(client, shop), key=lambda w: w["scheduledDate"])
    seen = [
        (w["scheduledDate"], w["serviceType"], w["timeWindowStart"], w["estimatedDurationMinutes"])
        for w in work_orders
    ]
    assert seen == [
        ("2026-06-18", "Septic pumping", "09:00", 90),
        ("2026-06-25", "Septic pumping", "09:00", 90),
        ("2026-07-05", "Septic inspection", "13:00", 30),
    ]


async def test_a_bad_rule_in_an_edit_is_a_400_that_changes_nothing(client, shop):
    plan = await make_plan(client, shop)
    response = await client.patch(
        f"{PLANS}/{plan['id']}", json={"recurrence": "FREQ=SOMETIMES"}, headers=shop["admin"].headers
    )
    assert response.status_code == 400
    assert "recurrence" in response.text
    assert (await get_plan(client, shop, plan))["recurrence"] == "FREQ=MONTHLY;INTERVAL=3"


async def reminders(sessionmaker, customer_id):
    async with sessionmaker() as session:
        rows = await session.execute(select(Notification).where(Notification.customer_id == customer_id))
        return [n for n in rows.scalars() if n.event == "service_visit_reminder"]


async def test_the_customer_is_reminded_two_days_before_the_visit_once(client, app, sessionmaker, shop):
    await make_plan(client, shop)  # visit on June 25
    await run_job(app, sessionmaker)
    assert await reminders(sessionmaker, shop["rita"].id) == []  # 8 days ahead: not yet

    with clock_at(datetime(2026, 6, 23, 14, 30, tzinfo=UTC)):
        await run_job(app, sessionmaker)
        await run_job(app, sessionmaker)

    sent = await reminders(sessionmaker, shop["rita"].id)
    assert sorted(n.channel for n in sent) == sorted({n.channel for n in sent})  # once per channel
    [text] = [n for n in sent if n.channel == "sms"]
    assert "09:00-11:00" in text.body_preview
    assert "Septic pumping" in text.body_preview


async def test_technicians_read_plans_but_cannot_manage_them(client, app, sessionmaker, shop):
    plan = await make_plan(client, shop)
    technician = await make_user(app, sessionmaker, "technician")

    assert (await client.get(f"{PLANS}/{plan['id']}", headers=technician.headers)).status_code == 200
    paused = await client.post(f"{PLANS}/{plan['id']}/pause", headers=technician.headers)
    assert paused.status_code == 403


@pytest.mark.commits  # two workers racing, each on its own connection
async def test_two_racing_workers_make_each_occurrence_once(client, app, sessionmaker, shop):
    settings = app.state.settings
    if settings.is_sqlite:
        pytest.skip("SQLite runs one writer at a time; the race needs PostgreSQL")
    await make_plan(client, shop, recurrence="FREQ=WEEKLY", startsOn="2026-06-18")
    async with transaction(sessionmaker) as session:
        await enqueue(session, SERVICE_PLANS_JOB, {"run": 1})
        await enqueue(session, SERVICE_PLANS_JOB, {"run": 2})
    services = build_services(settings)
    try:
        workers = [
            Worker(sessionmaker, settings=settings, services=services, concurrency=1, run_periodic=False)
            for _ in range(2)
        ]
        await asyncio.gather(*(worker.drain() for worker in workers))
    finally:
        await services.aclose()

    async with sessionmaker() as session:
        days = (
            await session.execute(
                select(WorkOrder.scheduled_date, func.count())
                .where(WorkOrder.customer_id == shop["rita"].id)
                .group_by(WorkOrder.scheduled_date)
            )
        ).all()
    assert sorted((day.isoformat(), count) for day, count in days) == [("2026-06-18", 1), ("2026-06-25", 1)]


@pytest.mark.commits  # two transactions open at once, each on its own connection
async def test_a_second_run_during_an_open_first_run_waits_and_creates_nothing(
    client, app, sessionmaker, shop
):
    """The race made certain: the second run starts while the first one's occurrences are written but not
    committed; it is seen waiting on PostgreSQL's lock of the occurrence key, and once the first commits
    it finds every occurrence taken."""
    settings = app.state.settings
    if settings.is_sqlite:
        pytest.skip("SQLite runs one writer at a time; the race needs PostgreSQL")
    await make_plan(client, shop, recurrence="FREQ=WEEKLY", startsOn="2026-06-18")

    async with sessionmaker() as first, sessionmaker() as second, sessionmaker() as observer:
        made_first = await create_due_occurrences(first, settings)
        racing = asyncio.create_task(create_due_occurrences(second, settings))

        async def second_is_waiting_on_a_lock() -> bool:
            waiting = await observer.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND state = 'active'"
                )
            )
            await observer.rollback()
            return waiting.scalar_one() > 0 and not racing.done()

        await wait_until(second_is_waiting_on_a_lock, message="the second run waiting on the first's lock")
        await first.commit()
        made_second = await racing
        await second.commit()

    async with sessionmaker() as session:
        days = (
            await session.execute(
                select(WorkOrder.scheduled_date, func.count())
                .where(WorkOrder.customer_id == shop["rita"].id)
                .group_by(WorkOrder.scheduled_date)
            )
        ).all()
    assert (made_first, made_second) == (2, 0)
    assert sorted((day.isoformat(), count) for day, count in days) == [("2026-06-18", 1), ("2026-06-25", 1)]
