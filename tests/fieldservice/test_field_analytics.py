"""Field analytics (issue 11, item 9; seed 001): the dashboard, equipment health and customer intelligence
computed from a small history whose figures are worked out by hand below, identical on SQLite and
PostgreSQL. The clock is fixed (Wednesday 17 June 2026, 14:30 UTC)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import update

from fixdesk.fieldservice.models import WorkOrder
from tests.factories import make_customer, make_user
from tests.fieldservice.helpers import make_location, make_work_order

pytestmark = pytest.mark.usefixtures("fixed_clock")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def history(client, app, sessionmaker):
    """Two customers. Ana's boiler (installed 2015-06-01) was serviced on 10 April (A) and came back as an
    urgent job 10 days later (B, done 21 April); Bruno's house had one job done on 5 June (C); a draft (D)
    is still open."""
    manager = await make_user(app, sessionmaker, "manager")
    ana = await make_customer(app, sessionmaker, first_name="Ana", last_name="Silva")
    bruno = await make_customer(app, sessionmaker, first_name="Bruno", last_name="Costa")
    ana_home = await make_location(client, manager, ana.id)
    bruno_home = await make_location(client, manager, bruno.id, addressLine1="9 Elm Road")
    boiler = await client.post(
        f"/api/v1/locations/{ana_home['id']}/equipment",
        json={"equipmentType": "Boiler", "make": "Vaillant", "installedOn": "2015-06-01"},
        headers=manager.headers,
    )
    assert boiler.status_code == 201, boiler.text
    equipment_id = boiler.json()["id"]
    a = await make_work_order(client, manager, ana.id, locationId=ana_home["id"], equipmentId=equipment_id)
    b = await make_work_order(
        client, manager, ana.id, locationId=ana_home["id"], equipmentId=equipment_id, priority="urgent"
    )
    c = await make_work_order(client, manager, bruno.id, locationId=bruno_home["id"])
    await make_work_order(client, manager, bruno.id, locationId=bruno_home["id"])
    done = {
        a["id"]: ("2026-04-09T08:00", "2026-04-09T10:00", "2026-04-10T12:00", "150.00"),
        b["id"]: ("2026-04-20T09:00", "2026-04-20T13:00", "2026-04-21T12:00", "90.00"),
        c["id"]: ("2026-06-04T12:00", "2026-06-05T12:00", "2026-06-05T15:00", "100.00"),
    }
    async with sessionmaker() as session, session.begin():
        for work_order_id, (created, started, completed, total) in done.items():
            await session.execute(
                update(WorkOrder)
                .where(WorkOrder.id == uuid.UUID(work_order_id))
                .values(
                    status="completed",
                    created_at=at(created),
                    started_at=at(started),
                    completed_at=at(completed),
                    total=Decimal(total),
                )
            )
    return manager, ana, bruno, equipment_id


async def test_the_dashboard(client, app, sessionmaker):
    manager, *_ = await history(client, app, sessionmaker)

    response = await client.get("/api/v1/analytics/dashboard", headers=manager.headers)

    assert response.status_code == 200, response.text
    assert response.json() == {
        "totalCustomers": 2,
        "activeWorkOrders": 1,
        # Only C was completed in June.
        "revenueMtd": 100.0,
        # A (10 April) came back within 30 days (B), B held; C is too recent to judge.
        "firstTimeFixRate": 0.5,
        # (2 h + 4 h + 24 h) / 3.
        "averageResponseTimeHours": 10.0,
        "customerSatisfaction": None,
    }


async def test_equipment_health(client, app, sessionmaker):
    manager, ana, _, equipment_id = await history(client, app, sessionmaker)

    response = await client.get("/api/v1/analytics/equipment-health", headers=manager.headers)

    assert response.status_code == 200, response.text
    (boiler,) = response.json()["items"]
    assert boiler["equipmentId"] == equipment_id
    assert boiler["customerId"] == str(ana.id)
    assert boiler["ageYears"] == 11.0
    assert (boiler["services"], boiler["correctiveVisits12Months"]) == (2, 1)
    # Due again 11 days (the gap between its services) after 21 April: overdue.
    assert (boiler["lastServiceOn"], boiler["nextDueOn"]) == ("2026-04-21", "2026-05-02")
    # 100 − 30 (6 years beyond 5) − 15 (one corrective visit) − 15 (overdue).
    assert boiler["healthScore"] == 40


async def test_customer_intelligence(client, app, sessionmaker):
    manager, ana, bruno, _ = await history(client, app, sessionmaker)

    response = await client.get("/api/v1/analytics/customer-intelligence", headers=manager.headers)

    assert response.status_code == 200, response.text
    first, second = response.json()["items"]
    assert first["customerId"] == str(ana.id)
    assert (first["visits"], first["lifetimeValue"], first["usualIntervalDays"]) == (2, 240.0, 11)
    # 57 days since 21 April, against twice her usual 11: certain to have lapsed.
    assert first["churnRisk"] == 1.0
    assert first["segment"] == "at_risk"
    assert second["customerId"] == str(bruno.id)
    assert (second["visits"], second["usualIntervalDays"], second["churnRisk"]) == (1, None, None)
    assert second["segment"] == "promising"


async def test_analytics_need_the_analytics_permission(client, app, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")
    for path in ("dashboard", "equipment-health", "customer-intelligence"):
        response = await client.get(f"/api/v1/analytics/{path}", headers=agent.headers)
        assert response.status_code == 403
