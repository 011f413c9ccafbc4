"""A repair's line item may name a product (issue 13, item 1): the part leaves stock when the repair is
completed (from the ``repair.status_changed`` event, in the worker) and comes back if that is undone."""

from __future__ import annotations

import uuid

import pytest

from fixdesk.db import transaction
from fixdesk.platform.events import publish
from fixdesk.repairs import access as repairs_access
from fixdesk.repairs.events import REPAIR_STATUS_CHANGED, RepairEventPayload
from tests.factories import TO_COMPLETED, make_customer, make_repair, make_user, settle, walk
from tests.sales.helpers import get_product, make_product, movements


@pytest.fixture
async def shop(app, sessionmaker, client):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    screen = await make_product(client, admin, stockQuantity=5, lowStockThreshold=3)
    return {"admin": admin, "customer": customer, "screen": screen}


async def test_a_completed_repair_takes_its_parts_out_of_stock_once(client, app, sessionmaker, shop):
    admin, screen = shop["admin"], shop["screen"]
    repair = await make_repair(
        client,
        admin,
        shop["customer"].id,
        items=[{"description": "Screen", "unitPrice": "129.00", "quantity": 2, "productId": screen["id"]}],
    )
    assert repair["items"][0]["productId"] == screen["id"]
    added = await client.post(
        f"/api/v1/repairs/{repair['id']}/items",
        json={"description": "Adhesive", "unitPrice": "5.00"},
        headers=admin.headers,
    )
    assert added.status_code == 201, added.text
    await walk(client, admin, repair["id"], *TO_COMPLETED[:-1])
    await settle(app)
    assert (await get_product(client, admin, screen["id"]))["onHand"] == 5  # not done yet

    await walk(client, admin, repair["id"], "completed")
    await settle(app)
    assert (await get_product(client, admin, screen["id"]))["onHand"] == 3
    ledger = await movements(client, admin, screen["id"])
    assert (ledger[0]["kind"], ledger[0]["quantity"], ledger[0]["repairId"], ledger[0]["repairItemId"]) == (
        "used_in_repair",
        -2,
        repair["id"],
        repair["items"][0]["id"],
    )

    await walk(client, admin, repair["id"], "delivered")  # still done: nothing moves
    await settle(app)
    assert (await get_product(client, admin, screen["id"]))["onHand"] == 3
    assert len(await movements(client, admin, screen["id"])) == 2


async def test_a_completion_undone_puts_the_parts_back(client, app, sessionmaker, shop):
    """The repairs lifecycle has no step back from completed today, so the undo is made as the repairs
    domain would make it: the repair's status changes and ``repair.status_changed`` is published."""
    admin, screen = shop["admin"], shop["screen"]
    repair = await make_repair(
        client,
        admin,
        shop["customer"].id,
        items=[{"description": "Screen", "unitPrice": "129.00", "quantity": 1, "productId": screen["id"]}],
    )
    await walk(client, admin, repair["id"], *TO_COMPLETED)
    await settle(app)
    assert (await get_product(client, admin, screen["id"]))["onHand"] == 4

    async with transaction(sessionmaker) as session:
        row = await repairs_access.load_repair(session, uuid.UUID(repair["id"]), lock=True)
        assert row is not None
        row.status = "testing"
        await session.flush()
        payload = RepairEventPayload.of(row, from_status="completed", to_status="testing")
        await publish(session, REPAIR_STATUS_CHANGED, payload, customer_id=row.customer_id)
        # The same event twice (a redelivery) moves the part once.
        await publish(session, REPAIR_STATUS_CHANGED, payload, customer_id=row.customer_id)
    await settle(app)
    assert (await get_product(client, admin, screen["id"]))["onHand"] == 5
    ledger = await movements(client, admin, screen["id"])
    assert [(row["kind"], row["quantity"]) for row in ledger] == [
        ("returned", 1),
        ("used_in_repair", -1),
        ("received", 5),
    ]


async def test_a_technician_can_read_products_to_pick_a_part(client, app, sessionmaker, shop):
    technician = await make_user(app, sessionmaker, "technician")
    response = await client.get("/api/v1/products?search=screen", headers=technician.headers)
    assert response.status_code == 200
    assert shop["screen"]["id"] in [item["id"] for item in response.json()["items"]]
