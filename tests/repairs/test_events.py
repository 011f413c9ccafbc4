"""Every repair change publishes its domain event in the same transaction (issue 3, item 2)."""

from __future__ import annotations

from sqlalchemy import select

from fixdesk.platform.events import DomainEvent
from fixdesk.platform.jobs.models import Job
from tests.factories import make_customer, make_repair, make_user


async def published(sessionmaker) -> list[DomainEvent]:
    async with sessionmaker() as session:
        return list((await session.execute(select(DomainEvent).order_by(DomainEvent.occurred_at))).scalars())


async def test_each_change_publishes_its_event_and_a_refused_change_publishes_none(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    technician = await make_user(app, sessionmaker, "technician")
    customer = await make_customer(app, sessionmaker)
    repair = await make_repair(client, admin, customer.id)
    repair_id = repair["id"]

    patched = await client.patch(
        f"/api/v1/repairs/{repair_id}",
        json={"deviceModel": "iPhone 13 Pro", "priority": "high"},
        headers=admin.headers,
    )
    assert patched.status_code == 200
    assigned = await client.post(
        f"/api/v1/repairs/{repair_id}/assign",
        json={"technicianId": str(technician.id)},
        headers=admin.headers,
    )
    assert assigned.status_code == 200
    moved = await client.put(
        f"/api/v1/repairs/{repair_id}/status",
        json={"status": "diagnosing", "notifyCustomer": False},
        headers=admin.headers,
    )
    assert moved.status_code == 200
    before = len(await published(sessionmaker))
    refused = await client.put(
        f"/api/v1/repairs/{repair_id}/status", json={"status": "delivered"}, headers=admin.headers
    )
    assert refused.status_code == 409

    events = await published(sessionmaker)
    assert len(events) == before, "a refused change must publish nothing"
    repair_events = [e for e in events if e.name.startswith("repair.")]
    assert [e.name for e in repair_events] == [
        "repair.created",
        "repair.updated",
        "repair.assigned",
        "repair.status_changed",
    ]
    updated = repair_events[1].payload
    assert updated["changedFields"] == ["deviceModel", "priority"]
    assert updated["deviceModel"] == "iPhone 13 Pro"
    assert repair_events[2].payload["technicianId"] == str(technician.id)
    status = repair_events[3].payload
    assert (status["fromStatus"], status["toStatus"], status["notifyCustomer"]) == (
        "received",
        "diagnosing",
        False,
    )
    assert all(e.customer_id == customer.id for e in repair_events)
    async with sessionmaker() as session:
        dispatches = (await session.execute(select(Job).where(Job.kind == "events.dispatch"))).scalars().all()
    assert {job.payload["eventId"] for job in dispatches} >= {str(e.id) for e in repair_events}
