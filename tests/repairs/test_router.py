"""Staff repair endpoints (issue 2, item 7): intake, assignment, the technician rule and the list filters."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import update

from fixdesk.db import transaction
from fixdesk.identity.permissions import permissions_for
from fixdesk.platform.numbering import NumberSequence
from fixdesk.platform.permissions import Principal
from fixdesk.repairs import service
from fixdesk.repairs.models import Repair, RepairStatusHistory
from fixdesk.repairs.schemas import RepairCreate, StatusChange
from tests.factories import (
    count_rows,
    make_catalog_device,
    make_customer,
    make_repair,
    make_user,
    repair_body,
    stored_repair,
)
from tests.support.clock import FIXED_NOW

# Numbers carry the year: the tests run at a fixed moment (tests/support/clock.py), whatever the day.
pytestmark = pytest.mark.usefixtures("fixed_clock")
YEAR = FIXED_NOW.year


def number(sequence: int) -> str:
    return f"R-{YEAR}-{sequence:06d}"


def field_errors(response) -> set[str]:
    return {error["field"] for error in response.json().get("errors", [])}


async def assert_nothing_written(sessionmaker) -> None:
    assert await count_rows(sessionmaker, Repair) == 0
    assert await count_rows(sessionmaker, RepairStatusHistory) == 0


# --- create -------------------------------------------------------------------------------------------------


async def test_create_numbers_repairs_and_answers_the_full_ticket(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin", first_name="Alex")
    customer = await make_customer(
        app, sessionmaker, first_name="Ana", last_name="Silva", phone="+1 415 555 0100"
    )

    response = await client.post(
        "/api/v1/repairs",
        json=repair_body(customer.id, imei="49 015420 323751 8", deposit="20.00", totalCost="149.99"),
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text
    first = response.json()
    assert first["repairNumber"] == number(1)
    assert first["status"] == "received"
    assert first["imei"] == "490154203237518"
    assert first["priority"] == "normal"
    assert first["deviceModel"] == "iPhone 13"
    # Money is a JSON number, not a string.
    assert '"deposit":20.0' in response.text
    assert first["deposit"] == 20.0
    assert first["totalCost"] == 149.99
    assert first["balance"] == 129.99
    assert first["completionDays"] is None
    assert first["actualCompletion"] is None
    assert first["customerId"] == str(customer.id)
    assert first["customer"] == {
        "id": str(customer.id),
        "firstName": "Ana",
        "lastName": "Silva",
        "email": customer.email,
        "phone": "+14155550100",
    }
    assert first["technician"] is None
    assert first["technicianId"] is None
    assert first["allowedTransitions"] == ["diagnosing", "cancelled"]
    [history] = first["statusHistory"]
    assert history["fromStatus"] is None
    assert history["toStatus"] == "received"
    assert history["changedBy"]["id"] == str(admin.id)
    assert history["changedBy"]["firstName"] == "Alex"

    second = await make_repair(client, admin, customer.id)
    assert second["repairNumber"] == number(2)

    stored = await stored_repair(sessionmaker, first["id"])
    assert stored is not None
    assert stored.repair.repair_number == number(1)
    assert stored.repair.imei == "490154203237518"
    assert str(stored.repair.deposit) == "20.00"
    assert stored.repair.created_by_id == admin.id
    assert [(row.from_status, row.to_status) for row in stored.history] == [(None, "received")]


async def test_create_accepts_snake_case_input(client, app, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker)
    response = await client.post(
        "/api/v1/repairs",
        json={
            "customer_id": str(customer.id),
            "device_type": "laptop",
            "device_brand": "Lenovo",
            "device_model": "ThinkPad T14",
            "issue_description": "Fan is loud",
            "total_cost": 80,
        },
        headers=agent.headers,
    )
    assert response.status_code == 201, response.text
    assert response.json()["deviceModel"] == "ThinkPad T14"
    assert response.json()["totalCost"] == 80.0
    assert response.json()["deposit"] == 0.0


async def test_create_rejects_an_imei_with_a_bad_check_digit_and_writes_nothing(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    for bad in ("490154203237519", "49015420323751", "4901542032375180", "49015420323751A"):
        response = await client.post(
            "/api/v1/repairs", json=repair_body(customer.id, imei=bad), headers=admin.headers
        )
        assert response.status_code == 400, (bad, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "VALIDATION_ERROR"
        assert field_errors(response) == {"imei"}, bad
    await assert_nothing_written(sessionmaker)
    assert await count_rows(sessionmaker, NumberSequence) == 0


async def test_create_rejects_unknown_or_archived_customers_without_using_a_number(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    response = await client.post("/api/v1/repairs", json=repair_body(uuid.uuid4()), headers=admin.headers)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert field_errors(response) == {"customerId"}
    await assert_nothing_written(sessionmaker)

    archived = await make_customer(app, sessionmaker)
    archive = await client.delete(f"/api/v1/customers/{archived.id}", headers=admin.headers)
    assert archive.status_code in (200, 204), archive.text
    response = await client.post("/api/v1/repairs", json=repair_body(archived.id), headers=admin.headers)
    assert response.status_code == 400, response.text
    assert field_errors(response) == {"customerId"}
    assert "archived" in response.json()["detail"]
    await assert_nothing_written(sessionmaker)

    # The refused attempts did not use up numbers.
    active = await make_customer(app, sessionmaker)
    assert (await make_repair(client, admin, active.id))["repairNumber"] == number(1)


async def test_create_validates_priority_and_required_fields(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    for priority in ("low", "normal", "high", "urgent"):
        created = await make_repair(client, admin, customer.id, priority=priority)
        assert created["priority"] == priority
    response = await client.post(
        "/api/v1/repairs", json=repair_body(customer.id, priority="critical"), headers=admin.headers
    )
    assert response.status_code == 400
    assert field_errors(response) == {"priority"}

    body = repair_body(customer.id)
    del body["deviceModel"]
    body["deviceType"] = "toaster"
    response = await client.post("/api/v1/repairs", json=body, headers=admin.headers)
    assert response.status_code == 400
    assert field_errors(response) == {"deviceModel", "deviceType"}

    response = await client.post(
        "/api/v1/repairs", json=repair_body(customer.id, deposit="-5"), headers=admin.headers
    )
    assert response.status_code == 400
    assert field_errors(response) == {"deposit"}
    assert await count_rows(sessionmaker, Repair) == 4


async def test_create_reads_estimated_completion_as_a_date_or_a_datetime(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)

    by_date = await make_repair(client, admin, customer.id, estimatedCompletion="2026-12-01")
    assert datetime.fromisoformat(by_date["estimatedCompletion"]) == datetime(
        2026, 12, 1, 23, 59, 59, tzinfo=UTC
    )
    by_datetime = await make_repair(
        client, admin, customer.id, estimatedCompletion="2026-12-01T10:30:00+02:00"
    )
    assert datetime.fromisoformat(by_datetime["estimatedCompletion"]) == datetime(
        2026, 12, 1, 8, 30, tzinfo=UTC
    )
    stored = await stored_repair(sessionmaker, by_date["id"])
    assert stored is not None
    assert stored.repair.estimated_completion == datetime(2026, 12, 1, 23, 59, 59, tzinfo=UTC)

    response = await client.post(
        "/api/v1/repairs",
        json=repair_body(customer.id, estimatedCompletion="next tuesday"),
        headers=admin.headers,
    )
    assert response.status_code == 400
    assert field_errors(response) == {"estimatedCompletion"}


async def test_a_device_picked_from_the_catalog_fills_the_device_text(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    galaxy = await make_catalog_device(sessionmaker, brand="Samsung", name="Galaxy S23", device_type="phone")
    tab = await make_catalog_device(sessionmaker, brand="Samsung", name="Galaxy Tab S9", device_type="tablet")
    body = repair_body(customer.id, deviceModelId=str(galaxy.id))
    for typed in ("deviceType", "deviceBrand", "deviceModel"):
        del body[typed]

    response = await client.post("/api/v1/repairs", json=body, headers=admin.headers)

    assert response.status_code == 201, response.text
    picked = response.json()
    assert (picked["deviceModelId"], picked["deviceType"], picked["deviceBrand"], picked["deviceModel"]) == (
        str(galaxy.id),
        "phone",
        "Samsung",
        "Galaxy S23",
    )
    # Text typed at the counter wins over the catalog's; the rest still comes from it.
    typed = await make_repair(
        client, admin, customer.id, deviceModelId=str(galaxy.id), deviceModel="Galaxy S23 (blue, 256 GB)"
    )
    assert (typed["deviceBrand"], typed["deviceModel"]) == ("Apple", "Galaxy S23 (blue, 256 GB)")

    # Another catalog device replaces the device text unless the same change gives it.
    changed = await client.patch(
        f"/api/v1/repairs/{picked['id']}", json={"deviceModelId": str(tab.id)}, headers=admin.headers
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["deviceType"], changed.json()["deviceModel"]) == ("tablet", "Galaxy Tab S9")
    stored = await stored_repair(sessionmaker, picked["id"])
    assert stored is not None
    assert (stored.repair.device_model_id, stored.repair.device_model) == (tab.id, "Galaxy Tab S9")
    assert "galaxy tab s9" in stored.repair.search_text

    unknown = str(uuid.uuid4())
    refused = [
        await client.post("/api/v1/repairs", json={**body, "deviceModelId": unknown}, headers=admin.headers),
        await client.patch(
            f"/api/v1/repairs/{picked['id']}", json={"deviceModelId": unknown}, headers=admin.headers
        ),
    ]
    assert [r.status_code for r in refused] == [400, 400]
    assert [field_errors(r) for r in refused] == [{"deviceModelId"}, {"deviceModelId"}]
    assert await count_rows(sessionmaker, Repair) == 2


async def test_assigning_at_intake_needs_the_assign_permission(client, app, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")
    manager = await make_user(app, sessionmaker, "manager")
    technician = await make_user(app, sessionmaker, "technician", first_name="Tess")
    customer = await make_customer(app, sessionmaker)

    response = await client.post(
        "/api/v1/repairs",
        json=repair_body(customer.id, technicianId=str(technician.id)),
        headers=agent.headers,
    )
    assert response.status_code == 403, response.text
    assert response.json()["code"] == "FORBIDDEN"
    await assert_nothing_written(sessionmaker)

    created = await make_repair(client, manager, customer.id, technicianId=str(technician.id))
    assert created["technicianId"] == str(technician.id)
    assert created["technician"] == {
        "id": str(technician.id),
        "firstName": "Tess",
        "lastName": "Technician",
        "role": "technician",
    }
    # The agent may take devices in without choosing a technician.
    assert (await make_repair(client, agent, customer.id))["technician"] is None

    response = await client.post(
        "/api/v1/repairs",
        json=repair_body(customer.id, technicianId=str(agent.id)),
        headers=manager.headers,
    )
    assert response.status_code == 400
    assert field_errors(response) == {"technicianId"}
    assert await count_rows(sessionmaker, Repair) == 2


async def test_get_unknown_repair_is_404(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    response = await client.get(f"/api/v1/repairs/{uuid.uuid4()}", headers=admin.headers)
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"
    response = await client.get("/api/v1/repairs/not-a-uuid", headers=admin.headers)
    assert response.status_code == 400


async def test_repairs_need_a_token(client):
    assert (await client.get("/api/v1/repairs")).status_code == 401
    assert (await client.post("/api/v1/repairs", json={})).status_code == 401


# --- assign -------------------------------------------------------------------------------------------------


async def test_manager_assigns_and_unassigns_a_technician(client, app, sessionmaker):
    manager = await make_user(app, sessionmaker, "manager")
    technician = await make_user(app, sessionmaker, "technician", first_name="Tess")
    agent = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker)
    repair = await make_repair(client, manager, customer.id)
    assign_url = f"/api/v1/repairs/{repair['id']}/assign"

    response = await client.post(
        assign_url, json={"technicianId": str(technician.id)}, headers=manager.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["technicianId"] == str(technician.id)
    assert response.json()["technician"]["firstName"] == "Tess"
    detail = (await client.get(f"/api/v1/repairs/{repair['id']}", headers=manager.headers)).json()
    assert detail["technician"]["id"] == str(technician.id)

    for not_a_technician in (agent.id, uuid.uuid4()):
        response = await client.post(
            assign_url, json={"technicianId": str(not_a_technician)}, headers=manager.headers
        )
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "VALIDATION_ERROR"
        assert field_errors(response) == {"technicianId"}
    stored = await stored_repair(sessionmaker, repair["id"])
    assert stored is not None
    assert stored.repair.technician_id == technician.id

    response = await client.post(assign_url, json={"technicianId": None}, headers=manager.headers)
    assert response.status_code == 200, response.text
    assert response.json()["technicianId"] is None
    assert response.json()["technician"] is None
    stored = await stored_repair(sessionmaker, repair["id"])
    assert stored is not None
    assert stored.repair.technician_id is None


async def test_only_roles_with_the_assign_permission_may_assign(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    agent = await make_user(app, sessionmaker, "agent")
    technician = await make_user(app, sessionmaker, "technician")
    customer = await make_customer(app, sessionmaker)
    repair = await make_repair(client, admin, customer.id)
    for caller in (agent, technician):
        response = await client.post(
            f"/api/v1/repairs/{repair['id']}/assign",
            json={"technicianId": str(technician.id)},
            headers=caller.headers,
        )
        assert response.status_code == 403, response.text
    stored = await stored_repair(sessionmaker, repair["id"])
    assert stored is not None
    assert stored.repair.technician_id is None

    response = await client.post(
        f"/api/v1/repairs/{uuid.uuid4()}/assign",
        json={"technicianId": str(technician.id)},
        headers=admin.headers,
    )
    assert response.status_code == 404


# --- technician rule ----------------------------------------------------------------------------------------


async def test_technician_reads_every_repair_but_changes_only_assigned_ones(client, app, sessionmaker):
    manager = await make_user(app, sessionmaker, "manager")
    technician = await make_user(app, sessionmaker, "technician")
    colleague = await make_user(app, sessionmaker, "technician")
    customer = await make_customer(app, sessionmaker)
    mine = await make_repair(client, manager, customer.id, technicianId=str(technician.id))
    unassigned = await make_repair(client, manager, customer.id, deviceModel="Pixel 8")
    colleagues = await make_repair(
        client, manager, customer.id, deviceModel="Pixel 8", technicianId=str(colleague.id)
    )

    listing = await client.get("/api/v1/repairs", headers=technician.headers)
    assert listing.status_code == 200
    assert {item["id"] for item in listing.json()["items"]} == {
        mine["id"],
        unassigned["id"],
        colleagues["id"],
    }
    for repair in (unassigned, colleagues):
        assert (
            await client.get(f"/api/v1/repairs/{repair['id']}", headers=technician.headers)
        ).status_code == 200

        response = await client.put(
            f"/api/v1/repairs/{repair['id']}/status",
            json={"status": "diagnosing"},
            headers=technician.headers,
        )
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "FORBIDDEN"
        response = await client.patch(
            f"/api/v1/repairs/{repair['id']}",
            json={"deviceModel": "Pixel 9"},
            headers=technician.headers,
        )
        assert response.status_code == 403, response.text

        stored = await stored_repair(sessionmaker, repair["id"])
        assert stored is not None
        assert stored.repair.status == "received"
        assert stored.repair.device_model == "Pixel 8"
        assert len(stored.history) == 1

    response = await client.put(
        f"/api/v1/repairs/{mine['id']}/status",
        json={"status": "diagnosing", "notes": "Opening it up"},
        headers=technician.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["statusHistory"][-1]["changedBy"]["id"] == str(technician.id)
    response = await client.patch(
        f"/api/v1/repairs/{mine['id']}",
        json={"serialNumber": "SN-42", "totalCost": "99.50"},
        headers=technician.headers,
    )
    assert response.status_code == 200, response.text
    stored = await stored_repair(sessionmaker, mine["id"])
    assert stored is not None
    assert stored.repair.status == "diagnosing"
    assert stored.repair.serial_number == "SN-42"
    assert str(stored.repair.total_cost) == "99.50"


async def test_patch_updates_details_and_keeps_them_searchable(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair = await make_repair(client, admin, customer.id)
    response = await client.patch(
        f"/api/v1/repairs/{repair['id']}",
        json={"deviceModel": "Galaxy Fold 5", "priority": "urgent", "imei": "35-209900-176148-1"},
        headers=admin.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["deviceModel"] == "Galaxy Fold 5"
    assert response.json()["priority"] == "urgent"
    assert response.json()["imei"] == "352099001761481"
    found = await client.get("/api/v1/repairs?search=fold", headers=admin.headers)
    assert [item["id"] for item in found.json()["items"]] == [repair["id"]]

    for bad in (
        {"imei": "352099001761482"},
        {"priority": "soon"},
        {"deviceModel": None},
        {"status": "testing"},
    ):
        response = await client.patch(f"/api/v1/repairs/{repair['id']}", json=bad, headers=admin.headers)
        assert response.status_code == 400, (bad, response.text)
    stored = await stored_repair(sessionmaker, repair["id"])
    assert stored is not None
    assert (stored.repair.device_model, stored.repair.priority, stored.repair.status) == (
        "Galaxy Fold 5",
        "urgent",
        "received",
    )


# --- list filters -------------------------------------------------------------------------------------------


async def make_board(client, app, sessionmaker) -> dict:
    """Six repairs of three customers and two technicians, spread over 9–13 March 2025, in every group."""
    admin = await make_user(app, sessionmaker, "admin")
    first_tech = await make_user(app, sessionmaker, "technician", first_name="Tess")
    second_tech = await make_user(app, sessionmaker, "technician", first_name="Theo")
    ana = await make_customer(
        app, sessionmaker, first_name="Ana", last_name="Silva", email="ana.silva@example.org"
    )
    bruno = await make_customer(
        app, sessionmaker, first_name="Bruno", last_name="Okafor", email="bruno@example.org"
    )
    chloe = await make_customer(
        app, sessionmaker, first_name="Chloe", last_name="Novak", email="c.n-7781@example.org"
    )
    plan = [
        # name, customer, model, priority, technician, statuses, created at
        ("r1", ana, "iPhone 13", "normal", first_tech, [], datetime(2025, 3, 9, 12, tzinfo=UTC)),
        (
            "r2",
            ana,
            "Pixel 8",
            "high",
            second_tech,
            ["diagnosing", "quoted", "approved", "repairing"],
            datetime(2025, 3, 10, tzinfo=UTC),
        ),
        (
            "r3",
            bruno,
            "Galaxy S23",
            "urgent",
            first_tech,
            ["diagnosing", "quoted", "approved", "repairing", "testing", "completed"],
            datetime(2025, 3, 10, 23, 30, tzinfo=UTC),
        ),
        (
            "r4",
            bruno,
            "ThinkPad X1 Carbon",
            "low",
            None,
            ["diagnosing", "quoted", "approved", "repairing", "testing", "completed", "delivered"],
            datetime(2025, 3, 11, 0, 0, 1, tzinfo=UTC),
        ),
        ("r5", chloe, "Switch OLED", "normal", second_tech, ["cancelled"], datetime(2025, 3, 12, tzinfo=UTC)),
        (
            "r6",
            chloe,
            "iPad Air",
            "normal",
            None,
            ["diagnosing", "quoted", "approved", "waiting_parts"],
            datetime(2025, 3, 13, tzinfo=UTC),
        ),
    ]
    # Built through the services in one transaction: these tests are about the list, and one commit
    # instead of thirty keeps them fast on PostgreSQL.
    principal = Principal(id=admin.id, type="user", role="admin", permissions=permissions_for("admin"))
    repairs = {}
    async with transaction(sessionmaker) as session:
        for name, customer, model, priority, technician, statuses, created_at in plan:
            overrides = {"deviceModel": model, "priority": priority}
            if technician:
                overrides["technicianId"] = str(technician.id)
            created = await service.create_repair(
                session, principal, RepairCreate(**repair_body(customer.id, **overrides))
            )
            repairs[name] = {"id": str(created.id), "repairNumber": created.repair_number}
            for status in statuses:
                await service.change_status(session, principal, created.id, StatusChange(status=status))
            await session.execute(update(Repair).where(Repair.id == created.id).values(created_at=created_at))
    return {
        "admin": admin,
        "first_tech": first_tech,
        "second_tech": second_tech,
        "ana": ana,
        "bruno": bruno,
        "chloe": chloe,
        **repairs,
    }


async def listed(client, board: dict, query: str) -> list[str]:
    """Names (r1…r6) of the repairs the list answers for ``query``, in the order listed."""
    response = await client.get(f"/api/v1/repairs?pageSize=100&{query}", headers=board["admin"].headers)
    assert response.status_code == 200, (query, response.text)
    by_id = {board[name]["id"]: name for name in ("r1", "r2", "r3", "r4", "r5", "r6")}
    return [by_id[item["id"]] for item in response.json()["items"]]


async def test_list_filters_by_status_and_status_group(client, app, sessionmaker):
    board = await make_board(client, app, sessionmaker)
    expectations = {
        "": ["r6", "r5", "r4", "r3", "r2", "r1"],
        "status=received": ["r1"],
        "status=repairing": ["r2"],
        "status=waiting_parts": ["r6"],
        "status=delivered": ["r4"],
        "status=pending": ["r1"],
        "status=ready_pickup": ["r3"],
        "status=active": ["r6", "r2", "r1"],
        "statusGroup=active": ["r6", "r2", "r1"],
        "statusGroup=completed": ["r4", "r3"],
        "statusGroup=cancelled": ["r5"],
        "statusGroup=all": ["r6", "r5", "r4", "r3", "r2", "r1"],
        "status=completed": ["r3"],
    }
    for query, expected in expectations.items():
        assert await listed(client, board, query) == expected, query

    for bad in ("status=broken", "statusGroup=finished", "priority=critical", "technicianId=nobody"):
        response = await client.get(f"/api/v1/repairs?{bad}", headers=board["admin"].headers)
        assert response.status_code == 400, bad
        assert response.json()["code"] == "VALIDATION_ERROR"
        assert field_errors(response) == {bad.split("=")[0]}, bad


async def test_list_filters_by_people_priority_and_dates(client, app, sessionmaker):
    board = await make_board(client, app, sessionmaker)
    expectations = {
        f"technicianId={board['first_tech'].id}": ["r3", "r1"],
        f"technicianId={board['second_tech'].id}": ["r5", "r2"],
        f"customerId={board['bruno'].id}": ["r4", "r3"],
        f"customerId={board['ana'].id}&status=active": ["r2", "r1"],
        "priority=normal": ["r6", "r5", "r1"],
        "priority=urgent": ["r3"],
        # A date is a whole UTC day on both ends.
        "dateFrom=2025-03-10&dateTo=2025-03-10": ["r3", "r2"],
        "dateTo=2025-03-10": ["r3", "r2", "r1"],
        "dateFrom=2025-03-11": ["r6", "r5", "r4"],
        "dateFrom=2025-03-10T23:00:00Z": ["r6", "r5", "r4", "r3"],
        "dateFrom=2025-03-10T12:00:00Z&dateTo=2025-03-12T00:00:00Z": ["r5", "r4", "r3"],
        "dateFrom=2025-04-01": [],
    }
    for query, expected in expectations.items():
        assert await listed(client, board, query) == expected, query


async def test_list_searches_number_device_and_customer_case_insensitively(client, app, sessionmaker):
    board = await make_board(client, app, sessionmaker)
    expectations = {
        f"search={board['r3']['repairNumber']}": ["r3"],
        f"search={board['r3']['repairNumber'].lower()}": ["r3"],
        "search=PIXEL": ["r2"],
        "search=thinkpad x1": ["r4"],
        "search=okafor": ["r4", "r3"],
        "search=ANA SILVA": ["r2", "r1"],
        "search=n-7781@EXAMPLE": ["r6", "r5"],
        "search=galaxy&status=completed": ["r3"],
        "search=galaxy&status=active": [],
        "search=nothing-like-this": [],
        # LIKE wildcards in the term are literal characters.
        "search=%25": [],
        "search=_": [],
    }
    for query, expected in expectations.items():
        assert await listed(client, board, query) == expected, query


async def test_list_pages_and_embeds_customer_and_technician(client, app, sessionmaker):
    board = await make_board(client, app, sessionmaker)
    response = await client.get("/api/v1/repairs?pageSize=4&page=2", headers=board["admin"].headers)
    assert response.status_code == 200
    page = response.json()
    assert {key: page[key] for key in ("total", "page", "pageSize", "totalPages")} == {
        "total": 6,
        "page": 2,
        "pageSize": 4,
        "totalPages": 2,
    }
    assert [item["id"] for item in page["items"]] == [board["r2"]["id"], board["r1"]["id"]]
    newest_first = page["items"]
    assert newest_first[0]["customer"]["lastName"] == "Silva"
    assert newest_first[0]["technician"]["firstName"] == "Theo"
    assert newest_first[1]["technician"]["firstName"] == "Tess"
    assert "statusHistory" not in newest_first[0]

    beyond = (await client.get("/api/v1/repairs?pageSize=4&page=3", headers=board["admin"].headers)).json()
    assert beyond["items"] == []
    assert beyond["total"] == 6

    unassigned = (await client.get("/api/v1/repairs?pageSize=1", headers=board["admin"].headers)).json()
    assert unassigned["items"][0]["id"] == board["r6"]["id"]
    assert unassigned["items"][0]["technician"] is None
    assert unassigned["totalPages"] == 6

    for bad in ("pageSize=0", "pageSize=101", "page=0"):
        response = await client.get(f"/api/v1/repairs?{bad}", headers=board["admin"].headers)
        assert response.status_code == 400, bad


async def test_update_refuses_null_for_required_fields_naming_them_in_camel_case(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair = await make_repair(client, admin, customer.id)

    for field in ("deviceType", "deviceBrand", "deviceModel", "issueDescription", "priority", "deposit"):
        response = await client.patch(
            f"/api/v1/repairs/{repair['id']}", json={field: None}, headers=admin.headers
        )
        assert response.status_code == 400, response.text
        assert field_errors(response) == {field}

    stored = await stored_repair(sessionmaker, repair["id"])
    assert stored is not None
    assert (stored.repair.device_brand, stored.repair.deposit) == ("Apple", Decimal("20.00"))
