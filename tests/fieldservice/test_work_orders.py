"""Work orders: creation with lines and totals, validation, the lifecycle and its 409, filters and paging,
events in the outbox, and technicians seeing only their own."""

from __future__ import annotations

import pytest

from fixdesk.fieldservice.models import WorkOrder
from tests.conftest import make_settings
from tests.factories import count_rows, event_payloads, make_customer, make_user
from tests.fieldservice.helpers import make_location, make_technician, make_work_order


@pytest.fixture
async def settings(database_url, tmp_path):
    return make_settings(database_url, tmp_path, tax_rate="8.25")


@pytest.mark.usefixtures("fixed_clock")
async def test_a_work_order_is_created_with_seed_fields_lines_and_totals(app, client, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    location = await make_location(client, agent, customer.id)
    equipment = await client.post(
        f"/api/v1/locations/{location['id']}/equipment",
        json={"equipmentType": "Septic tank", "make": "Norwesco", "installedOn": "2015-06-01"},
        headers=agent.headers,
    )
    assert equipment.status_code == 201, equipment.text
    _, technician = await make_technician(client, app, sessionmaker, admin)
    body = {
        "customer_id": str(customer.id),
        "location_id": location["id"],
        "equipment_id": equipment.json()["id"],
        "service_type": "Pumping",
        "priority": "high",
        "scheduled_date": "2026-01-20",
        "time_window_start": "09:00",
        "time_window_end": "11:00",
        "estimated_duration_hours": 2,
        "assigned_technician": technician["id"],
        "notes": "Customer requested morning appointment",
        "checklist": [{"label": "Open the lid"}],
        "items": [{"description": "Riser lid", "quantity": 2, "unitPrice": "10.005", "discount": "1.00"}],
        "labour": [{"description": "Pumping", "hours": "1.5", "rate": "80.00"}],
    }
    response = await client.post("/api/v1/work-orders", json=body, headers=agent.headers)
    assert response.status_code == 400  # unit prices are whole cents
    body["items"][0]["unitPrice"] = "10.01"
    response = await client.post("/api/v1/work-orders", json=body, headers=agent.headers)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["workOrderNumber"] == "WO-2026-000001"
    assert created["status"] == "scheduled"
    assert created["estimatedDurationMinutes"] == 120
    assert created["estimatedDurationHours"] == 2.0
    assert created["assignedTechnician"] == technician["id"]
    assert created["technicians"][0]["firstName"] == "Mike"
    assert created["timeWindowStart"] == "09:00"
    assert created["checklist"] == [{"label": "Open the lid", "done": False}]
    # 2 × 10.01 − 1.00 = 19.02; 1.5 h × 80 = 120.00; subtotal 139.02; tax 8.25 % = 11.469… → 11.47
    assert [item["lineTotal"] for item in created["items"]] == [19.02]
    assert [line["lineTotal"] for line in created["labour"]] == [120.0]
    assert (created["subtotal"], created["taxAmount"], created["total"]) == (139.02, 11.47, 150.49)
    assert created["statusHistory"][0]["toStatus"] == "scheduled"
    assert created["allowedTransitions"] == ["in_progress", "draft", "cancelled"]
    assert (await client.get(f"/api/v1/work-orders/{created['id']}", headers=agent.headers)).json() == created

    [payload] = await event_payloads(sessionmaker, "work_order.created")
    assert payload["workOrderId"] == created["id"]
    assert payload["customerId"] == str(customer.id)
    assert payload["technicianId"] == technician["id"]
    assert payload["total"] == 150.49
    assert len(await event_payloads(sessionmaker, "work_order.scheduled")) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"serviceType": ""}, "serviceType"),
        ({"priority": "whenever"}, "priority"),
        ({"estimatedDurationMinutes": 0}, "estimatedDurationMinutes"),
        ({"scheduledDate": "20-01-2026"}, "scheduledDate"),
        ({"customerId": "01a24c2e-49b0-746a-97d4-693de12ae838"}, "customerId"),
        ({"locationId": "01a24c2e-49b0-746a-97d4-693de12ae838"}, "locationId"),
        ({"technicianIds": ["01a24c2e-49b0-746a-97d4-693de12ae838"]}, "technicianIds.0"),
        (
            {"items": [{"description": "Lid", "quantity": 1, "unitPrice": "5.00", "discount": "6.00"}]},
            "items.0.discount",
        ),
    ],
)
async def test_bad_work_orders_are_400_naming_the_field_and_nothing_is_stored(
    app, client, sessionmaker, change, field
):
    agent = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker)
    body = {"customerId": str(customer.id), "serviceType": "Pumping", **change}
    response = await client.post("/api/v1/work-orders", json=body, headers=agent.headers)
    assert response.status_code == 400, response.text
    assert [error["field"] for error in response.json()["errors"]] == [field]
    assert await count_rows(sessionmaker, WorkOrder) == 0


async def test_the_lifecycle_stamps_and_publishes_and_refuses_with_the_allowed_states(
    app, client, sessionmaker
):
    agent = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker)
    work_order = await make_work_order(client, agent, customer.id)
    assert work_order["status"] == "draft"
    url = f"/api/v1/work-orders/{work_order['id']}/status"

    no_date = await client.put(url, json={"status": "scheduled"}, headers=agent.headers)
    assert no_date.status_code == 400
    assert no_date.json()["errors"][0]["field"] == "scheduledDate"
    skip = await client.put(url, json={"status": "completed"}, headers=agent.headers)
    assert skip.status_code == 409
    assert skip.json()["allowed"] == ["scheduled", "cancelled"]
    assert "scheduled, cancelled" in skip.json()["detail"]

    dated = await client.patch(
        f"/api/v1/work-orders/{work_order['id']}", json={"scheduledDate": "2026-03-02"}, headers=agent.headers
    )
    assert dated.status_code == 200
    for status in ("scheduled", "in_progress", "completed"):
        response = await client.put(url, json={"status": status, "notes": status}, headers=agent.headers)
        assert response.status_code == 200, response.text
    done = response.json()
    assert done["startedAt"] is not None
    assert done["completedAt"] is not None
    assert [row["toStatus"] for row in done["statusHistory"]] == [
        "draft",
        "scheduled",
        "in_progress",
        "completed",
    ]
    assert done["allowedTransitions"] == []
    final = await client.put(url, json={"status": "cancelled"}, headers=agent.headers)
    assert final.status_code == 409
    assert final.json()["allowed"] == []
    late_edit = await client.patch(
        f"/api/v1/work-orders/{work_order['id']}", json={"notes": "x"}, headers=agent.headers
    )
    assert late_edit.status_code == 409

    changes = await event_payloads(sessionmaker, "work_order.status_changed")
    assert [(p["fromStatus"], p["toStatus"]) for p in changes] == [
        ("draft", "scheduled"),
        ("scheduled", "in_progress"),
        ("in_progress", "completed"),
    ]
    [started] = await event_payloads(sessionmaker, "work_order.started")
    assert started["startedAt"] is not None
    [completed] = await event_payloads(sessionmaker, "work_order.completed")
    assert completed["completedAt"] == done["completedAt"]
    assert completed["workOrderId"] == work_order["id"]
    assert len(await event_payloads(sessionmaker, "work_order.updated")) == 1

    cancelled = await make_work_order(client, agent, customer.id)
    response = await client.put(
        f"/api/v1/work-orders/{cancelled['id']}/status", json={"status": "cancelled"}, headers=agent.headers
    )
    assert response.status_code == 200
    assert response.json()["cancelledAt"] is not None
    assert len(await event_payloads(sessionmaker, "work_order.cancelled")) == 1


async def test_only_drafts_are_deleted(app, client, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker)
    draft = await make_work_order(client, agent, customer.id)
    scheduled = await make_work_order(client, agent, customer.id, scheduledDate="2026-03-02")
    assert (
        await client.delete(f"/api/v1/work-orders/{scheduled['id']}", headers=agent.headers)
    ).status_code == 409
    assert (
        await client.delete(f"/api/v1/work-orders/{draft['id']}", headers=agent.headers)
    ).status_code == 204
    assert (await client.get(f"/api/v1/work-orders/{draft['id']}", headers=agent.headers)).status_code == 404
    assert await count_rows(sessionmaker, WorkOrder) == 1


async def test_filters_date_range_and_paging(app, client, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    ana = await make_customer(app, sessionmaker)
    bob = await make_customer(app, sessionmaker, first_name="Bob")
    _, mike = await make_technician(client, app, sessionmaker, admin)
    first = await make_work_order(
        client, admin, ana.id, scheduledDate="2026-03-02", timeWindowStart="13:00", technicianIds=[mike["id"]]
    )
    second = await make_work_order(client, admin, ana.id, scheduledDate="2026-03-02", timeWindowStart="09:00")
    third = await make_work_order(
        client, admin, bob.id, scheduledDate="2026-03-05", technicianIds=[mike["id"]]
    )
    draft = await make_work_order(client, admin, bob.id)

    async def numbers(query: str) -> list[str]:
        response = await client.get(f"/api/v1/work-orders?{query}", headers=admin.headers)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert await numbers("") == [second["id"], first["id"], third["id"], draft["id"]]
    assert await numbers("status=draft") == [draft["id"]]
    assert await numbers("scheduled_date=2026-03-02") == [second["id"], first["id"]]
    assert await numbers(f"customerId={bob.id}") == [third["id"], draft["id"]]
    assert await numbers(f"technician_id={mike['id']}") == [first["id"], third["id"]]
    assert await numbers("dateFrom=2026-03-03&dateTo=2026-03-31") == [third["id"]]
    assert await numbers("status=scheduled&pageSize=1&page=3") == [third["id"]]
    bad = await client.get("/api/v1/work-orders?status=lost", headers=admin.headers)
    assert bad.status_code == 400


async def test_a_technician_sees_and_changes_only_their_own_work_orders(app, client, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    mike_user, mike = await make_technician(client, app, sessionmaker, admin, first_name="Mike")
    rosa_user, rosa = await make_technician(client, app, sessionmaker, admin, first_name="Rosa")
    mine = await make_work_order(
        client, admin, customer.id, scheduledDate="2026-03-02", technicianIds=[mike["id"]]
    )
    theirs = await make_work_order(
        client, admin, customer.id, scheduledDate="2026-03-02", technicianIds=[rosa["id"]]
    )

    listed = (await client.get("/api/v1/work-orders", headers=mike_user.headers)).json()
    assert [item["id"] for item in listed["items"]] == [mine["id"]]
    assert (
        await client.get(f"/api/v1/work-orders/{theirs['id']}", headers=mike_user.headers)
    ).status_code == 404
    start_theirs = await client.put(
        f"/api/v1/work-orders/{theirs['id']}/status",
        json={"status": "in_progress"},
        headers=mike_user.headers,
    )
    assert start_theirs.status_code == 404
    start_mine = await client.put(
        f"/api/v1/work-orders/{mine['id']}/status", json={"status": "in_progress"}, headers=mike_user.headers
    )
    assert start_mine.status_code == 200
    tick = await client.patch(
        f"/api/v1/work-orders/{mine['id']}",
        json={"checklist": [{"label": "Open the lid", "done": True}]},
        headers=mike_user.headers,
    )
    assert tick.status_code == 200
    assert tick.json()["checklist"][0]["done"] is True
    reassign = await client.put(
        f"/api/v1/work-orders/{mine['id']}/technicians", json={"technicianIds": []}, headers=mike_user.headers
    )
    assert reassign.status_code == 403
    create = await client.post(
        "/api/v1/work-orders",
        json={"customerId": str(customer.id), "serviceType": "x"},
        headers=mike_user.headers,
    )
    assert create.status_code == 403
    assert rosa_user.id != mike_user.id


async def test_assigning_technicians_publishes_the_change(app, client, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    _, mike = await make_technician(client, app, sessionmaker, admin, first_name="Mike")
    _, rosa = await make_technician(client, app, sessionmaker, admin, first_name="Rosa")
    work_order = await make_work_order(client, admin, customer.id, technicianIds=[mike["id"]])
    url = f"/api/v1/work-orders/{work_order['id']}/technicians"
    response = await client.put(url, json={"technicianIds": [rosa["id"], mike["id"]]}, headers=admin.headers)
    assert response.status_code == 200
    assert response.json()["technicianIds"] == [rosa["id"], mike["id"]]
    assert response.json()["assignedTechnician"] == rosa["id"]
    twice = await client.put(url, json={"technicianIds": [rosa["id"], rosa["id"]]}, headers=admin.headers)
    assert twice.status_code == 400
    [payload] = await event_payloads(sessionmaker, "work_order.assigned")
    assert payload["previousTechnicianIds"] == [mike["id"]]
    assert payload["technicianIds"] == [rosa["id"], mike["id"]]
