"""Taking a device in from the staff app (``/app/repairs/new``) over HTTP (SQLite): the form, finding the
customer, the repair stored as the API stores it, and refused input shown next to its fields with nothing
stored."""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from fixdesk.repairs.models import Repair
from tests.factories import make_customer, make_user, repair_body

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


async def count_repairs(sessionmaker) -> int:
    async with sessionmaker() as session:
        return (await session.execute(select(func.count()).select_from(Repair))).scalar_one()


def intake(customer_id, **overrides):
    """The intake form's fields: the API's repair body (the form's fields carry its names), a day promised."""
    return {
        **repair_body(customer_id),
        "priority": "high",
        "estimatedCompletion": "2026-03-14",
        **overrides,
    }


async def test_the_board_and_the_customer_page_lead_to_the_form_with_the_customer_chosen(
    client, app, sessionmaker
):
    agent = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker, first_name="Beatriz", last_name="Moura")

    board = await client.get("/app/repairs", headers=agent.headers)
    customer_page = await client.get(f"/app/customers/{customer.id}", headers=agent.headers)
    form = await client.get(f"/app/repairs/new?customerId={customer.id}", headers=agent.headers)

    assert 'href="/app/repairs/new"' in board.text
    assert f'href="/app/repairs/new?customerId={customer.id}"' in customer_page.text
    assert form.status_code == 200
    assert f'name="customerId" value="{customer.id}" checked' in form.text
    assert "Beatriz Moura" in form.text
    # An agent may not assign technicians (repairs:assign): the form does not offer it.
    assert 'name="technicianId"' not in form.text


async def test_the_customer_is_found_by_name_as_one_types_and_without_javascript(client, app, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")
    wanted = await make_customer(app, sessionmaker, first_name="Beatriz", last_name="Moura")
    await make_customer(app, sessionmaker, first_name="Carl", last_name="Other")

    typed = await client.get(
        "/app/repairs/new/customers?search=moura", headers={**agent.headers, "HX-Request": "true"}
    )
    reloaded = await client.get("/app/repairs/new?search=moura", headers=agent.headers)
    nobody = await client.get("/app/repairs/new/customers?search=zzzz", headers=agent.headers)

    assert typed.status_code == 200
    assert f'value="{wanted.id}"' in typed.text
    assert "Carl" not in typed.text
    assert "<html" not in typed.text
    assert f'value="{wanted.id}"' in reloaded.text
    assert "No customer matches" in nobody.text


async def test_taking_a_device_in_stores_the_repair_and_opens_its_page(client, app, sessionmaker, settings):
    manager = await make_user(app, sessionmaker, "manager")
    technician = await make_user(app, sessionmaker, "technician", first_name="Tomás")
    customer = await make_customer(app, sessionmaker)

    form = await client.get("/app/repairs/new", headers=manager.headers)
    response = await client.post(
        "/app/repairs/new",
        data=intake(customer.id, technicianId=str(technician.id)),
        headers=manager.headers,
    )

    assert f'value="{technician.id}"' in form.text  # a manager may assign at intake
    assert response.status_code == 303, response.text
    async with sessionmaker() as session:
        repair = (await session.execute(select(Repair))).scalar_one()
    assert response.headers["location"] == f"/app/repairs/{repair.id}"
    assert (repair.customer_id, repair.status, repair.priority) == (customer.id, "received", "high")
    assert (repair.device_brand, repair.device_model, repair.imei) == (
        "Apple",
        "iPhone 13",
        "490154203237518",
    )
    assert str(repair.deposit) == "20.00"
    assert repair.technician_id == technician.id
    assert repair.repair_number.startswith("R-")
    # The promised day ends at midnight in the shop's time zone, not UTC's.
    promised = repair.estimated_completion.replace(tzinfo=repair.estimated_completion.tzinfo or UTC)
    local = promised.astimezone(ZoneInfo(settings.shop_timezone))
    assert (local.date().isoformat(), local.hour, local.minute) == ("2026-03-14", 23, 59)
    page = await client.get(response.headers["location"], headers=manager.headers)
    assert repair.repair_number in page.text


async def test_refused_input_is_shown_next_to_its_fields_and_nothing_is_stored(client, app, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker, first_name="Beatriz", last_name="Moura")

    response = await client.post(
        "/app/repairs/new",
        data=intake(customer.id, deviceBrand="", imei="490154203237519", issueDescription="Won't charge"),
        headers=agent.headers,
    )
    no_customer = await client.post("/app/repairs/new", data=intake("", customerId=""), headers=agent.headers)

    assert response.status_code == 400
    assert 'id="deviceBrand-error"' in response.text
    assert 'id="imei-error"' in response.text
    assert "Won&#39;t charge" in response.text  # what was typed stays in the form
    assert f'name="customerId" value="{customer.id}" checked' in response.text
    assert no_customer.status_code == 400
    assert 'id="customerId-error"' in no_customer.text
    assert await count_repairs(sessionmaker) == 0


async def test_only_staff_who_take_devices_in_see_the_form(client, app, sessionmaker):
    technician = await make_user(app, sessionmaker, "technician")
    customer = await make_customer(app, sessionmaker)

    board = await client.get("/app/repairs", headers=technician.headers)
    form = await client.get("/app/repairs/new", headers=technician.headers)
    posted = await client.post("/app/repairs/new", data=intake(customer.id), headers=technician.headers)

    assert 'href="/app/repairs/new"' not in board.text
    assert form.status_code == 403
    assert posted.status_code == 403
    assert await count_repairs(sessionmaker) == 0


async def _define(client, admin, **field):
    response = await client.post(
        "/api/v1/custom-fields", json={"entity": "repair", **field}, headers=admin.headers
    )
    assert response.status_code == 201, response.text


async def test_the_shops_own_fields_are_asked_at_intake_and_stored_typed(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    manager = await make_user(app, sessionmaker, "manager")
    customer = await make_customer(app, sessionmaker)
    await _define(client, admin, key="passcode", label="Passcode", type="text", required=True)
    await _define(client, admin, key="cycle_count", label="Battery cycles", type="number")
    await _define(
        client, admin, key="water_damage", label="Water damage", type="select", options=["none", "light"]
    )
    await _define(client, admin, key="backup_wanted", label="Back up the data first", type="boolean")

    form = await client.get("/app/repairs/new", headers=manager.headers)
    missing = await client.post("/app/repairs/new", data=intake(customer.id), headers=manager.headers)
    stored_nothing = await count_repairs(sessionmaker)
    taken_in = await client.post(
        "/app/repairs/new",
        data=intake(
            customer.id,
            **{
                "customFields.passcode": "1234",
                "customFields.cycle_count": "812",
                "customFields.water_damage": "light",
                "customFields.backup_wanted": "on",
            },
        ),
        headers=manager.headers,
    )

    assert 'name="customFields.passcode"' in form.text
    assert 'name="customFields.water_damage"' in form.text
    assert missing.status_code == 400
    assert 'id="customFields.passcode-error"' in missing.text
    assert stored_nothing == 0
    assert taken_in.status_code == 303, taken_in.text
    async with sessionmaker() as session:
        repair = (await session.execute(select(Repair))).scalar_one()
    assert repair.custom_fields == {
        "passcode": "1234",
        "cycle_count": 812,
        "water_damage": "light",
        "backup_wanted": True,
    }
