"""Warranty claims (issue 5, item 7): ``POST /repairs/{id}/warranty-claims`` opens a linked repair at no
charge within the warranty, and otherwise says why not and changes nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from fixdesk.platform.events import DomainEvent
from fixdesk.repairs.models import Repair, RepairItem, RepairStatusHistory, WarrantyClaim
from tests.factories import (
    TO_COMPLETED,
    count_rows,
    events_named,
    make_catalog_device,
    make_repair,
    make_user,
    stored_repair,
    walk,
)
from tests.repairs.warranty.conftest import (
    add_item,
    claims_of,
    make_bench,
    set_status,
    set_warranty_dates,
    warranties_of,
)
from tests.support.clock import FIXED_NOW

# Numbers carry the year: the tests run at a fixed moment (tests/support/clock.py), whatever the day.
pytestmark = pytest.mark.usefixtures("fixed_clock")
YEAR = FIXED_NOW.year


def claim_url(repair_id: str) -> str:
    return f"/api/v1/repairs/{repair_id}/warranty-claims"


async def totals(sessionmaker) -> dict[str, int]:
    """Row counts of everything a claim writes."""
    return {
        "repairs": await count_rows(sessionmaker, Repair),
        "items": await count_rows(sessionmaker, RepairItem),
        "history": await count_rows(sessionmaker, RepairStatusHistory),
        "claims": await count_rows(sessionmaker, WarrantyClaim),
        "events": await count_rows(sessionmaker, DomainEvent),
    }


# --- accepted -------------------------------------------------------------------------------------------


async def test_a_claim_opens_a_linked_repair_at_no_charge(client, app, sessionmaker, settings):
    bench = await make_bench(client, app, sessionmaker)
    agent = await make_user(app, sessionmaker, "agent")
    device = await make_catalog_device(sessionmaker, brand="Apple", name="iPhone 13")
    original = await make_repair(
        client, bench.admin, bench.customer.id, deviceModelId=str(device.id), serialNumber="SN-ORIGINAL"
    )
    await add_item(
        sessionmaker,
        original["id"],
        part_type=bench.part_type,
        repair_type=bench.repair_type,
        description="OLED screen",
        unit_cost="88.40",
        removed_serial="SCR-FAULTY-1",
        installed_serial="SCR-NEW-9",
    )
    await walk(client, bench.admin, original["id"], *TO_COMPLETED, "delivered")
    await bench.settle()
    [warranty] = await warranties_of(sessionmaker, original["id"])

    response = await client.post(
        claim_url(original["id"]),
        json={"warrantyId": str(warranty.id), "issueDescription": "Touch stops working at the top edge"},
        headers=agent.headers,
    )

    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["warrantyId"] == str(warranty.id)
    assert answer["repairId"] == original["id"]
    assert answer["repairNumber"] == original["repairNumber"] == f"R-{YEAR}-000001"
    # The next number of the one repair sequence, as for any intake.
    assert answer["claimRepairNumber"] == f"R-{YEAR}-000002"
    assert answer["claimRepairStatus"] == "received"
    assert answer["issueDescription"] == "Touch stops working at the top edge"
    assert answer["createdById"] == str(agent.id)

    stored = await stored_repair(sessionmaker, answer["claimRepairId"])
    assert stored is not None
    job = stored.repair
    assert job.repair_number == answer["claimRepairNumber"]
    assert job.warranty_claim_of_id == uuid.UUID(original["id"])
    assert job.customer_id == bench.customer.id
    assert job.device_model_id == device.id
    assert (job.device_type, job.device_brand, job.device_model) == ("phone", "Apple", "iPhone 13")
    assert (job.serial_number, job.imei) == ("SN-ORIGINAL", original["imei"])
    assert job.status == "received"
    assert job.created_by_id == agent.id
    assert original["repairNumber"] in job.issue_description
    assert "Touch stops working at the top edge" in job.issue_description
    assert (job.subtotal, job.tax_amount, job.total_cost, job.deposit) == (Decimal("0.00"),) * 4
    assert job.balance == Decimal("0.00")
    assert [(row.from_status, row.to_status) for row in stored.history] == [(None, "received")]

    async with sessionmaker() as session:
        [line] = (await session.execute(select(RepairItem).where(RepairItem.repair_id == job.id))).scalars()
    assert line.price_source == "warranty"
    assert (line.unit_price, line.discount, line.line_total, line.quantity) == (
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("0.00"),
        1,
    )
    assert line.part_type_id == bench.part_type.id
    assert line.repair_type_id == bench.repair_type.id
    assert line.part_quality == "original"
    assert line.description == "OLED screen"
    assert line.removed_serial == "SCR-NEW-9", "the part coming out is the one fitted last time"
    assert line.installed_serial is None

    [claim] = await claims_of(sessionmaker)
    assert str(claim.id) == answer["id"]
    assert (claim.warranty_id, claim.repair_id, claim.claim_repair_id) == (
        warranty.id,
        uuid.UUID(original["id"]),
        job.id,
    )
    assert claim.created_by_id == agent.id

    [event] = await events_named(sessionmaker, "warranty.claimed")
    assert event.customer_id == bench.customer.id
    assert event.actor_id == agent.id
    assert event.payload["id"] == answer["id"]
    assert event.payload["claimRepairId"] == answer["claimRepairId"]
    assert event.payload["claimRepairNumber"] == answer["claimRepairNumber"]
    assert event.payload["repairNumber"] == original["repairNumber"]
    assert event.payload["endsOn"] == warranty.ends_on.isoformat()
    created = [
        e for e in await events_named(sessionmaker, "repair.created") if e.payload["id"] == str(job.id)
    ]
    assert len(created) == 1, "the warranty job is taken in like any repair (and the customer told)"
    assert created[0].payload["totalCost"] == 0.0

    # The job shows its link in its own detail, and the original's warranty view shows the claim.
    detail = (await client.get(f"/api/v1/repairs/{job.id}", headers=agent.headers)).json()
    assert detail["warrantyClaimOfId"] == original["id"]
    assert detail["totalCost"] == 0.0
    assert [item["priceSource"] for item in detail["items"]] == ["warranty"]
    view = (await client.get(f"/api/v1/repairs/{original['id']}/warranty", headers=agent.headers)).json()
    [claim_shown] = view["warranties"][0]["claims"]
    assert claim_shown["id"] == answer["id"]
    assert claim_shown["claimRepairId"] == str(job.id)
    assert claim_shown["claimRepairNumber"] == f"R-{YEAR}-000002"
    assert claim_shown["claimRepairStatus"] == "received"
    job_view = (await client.get(f"/api/v1/repairs/{job.id}/warranty", headers=agent.headers)).json()
    assert job_view["claimedUnder"] == {
        "claimId": answer["id"],
        "warrantyId": str(warranty.id),
        "repairId": original["id"],
        "repairNumber": original["repairNumber"],
    }
    portal = await client.get(
        f"/api/v1/customer/repairs/{original['id']}/warranty", headers=bench.customer.headers
    )
    assert portal.json()["warranties"][0]["claims"][0]["claimRepairNumber"] == f"R-{YEAR}-000002"


async def test_a_claim_on_the_last_day_of_the_warranty_is_accepted(client, app, sessionmaker, settings):
    bench = await make_bench(client, app, sessionmaker)
    completed, warranty = await bench.completed_repair()
    today = settings.shop_today()
    await set_warranty_dates(sessionmaker, warranty.id, starts_on=today - timedelta(days=90), ends_on=today)

    response = await client.post(
        claim_url(completed["id"]),
        json={"warrantyId": str(warranty.id), "issueDescription": "Dead pixels"},
        headers=bench.admin.headers,
    )
    assert response.status_code == 201, response.text


async def test_a_new_claim_is_taken_once_the_previous_claim_is_closed(client, app, sessionmaker):
    bench = await make_bench(client, app, sessionmaker)
    completed, warranty = await bench.completed_repair()
    body = {"warrantyId": str(warranty.id), "issueDescription": "Flickers"}
    first = (await client.post(claim_url(completed["id"]), json=body, headers=bench.admin.headers)).json()
    cancel = await client.put(
        f"/api/v1/repairs/{first['claimRepairId']}/status",
        json={"status": "cancelled", "notifyCustomer": False},
        headers=bench.admin.headers,
    )
    assert cancel.status_code == 200

    second = await client.post(claim_url(completed["id"]), json=body, headers=bench.admin.headers)

    assert second.status_code == 201, second.text
    assert second.json()["claimRepairNumber"] == f"R-{YEAR}-000003"
    assert len(await claims_of(sessionmaker)) == 2


async def test_a_required_repair_custom_field_does_not_block_a_claim(client, app, sessionmaker):
    bench = await make_bench(client, app, sessionmaker)
    completed, warranty = await bench.completed_repair()
    # The shop adds a required intake field after the original repair was taken in.
    definition = await client.post(
        "/api/v1/custom-fields",
        json={
            "entity": "repair",
            "key": "intake_bay",
            "label": "Intake bay",
            "type": "text",
            "required": True,
        },
        headers=bench.admin.headers,
    )
    assert definition.status_code == 201, definition.text

    response = await client.post(
        claim_url(completed["id"]),
        json={"warrantyId": str(warranty.id), "issueDescription": "Touch dead again"},
        headers=bench.admin.headers,
    )

    assert response.status_code == 201, response.text
    claim_repair = await stored_repair(sessionmaker, response.json()["claimRepairId"])
    assert claim_repair is not None
    assert claim_repair.repair.custom_fields == {}


# --- refused --------------------------------------------------------------------------------------------


async def test_an_expired_warranty_is_refused_with_its_end_date(client, app, sessionmaker, settings):
    bench = await make_bench(client, app, sessionmaker)
    completed, warranty = await bench.completed_repair()
    ended = settings.shop_today() - timedelta(days=1)
    await set_warranty_dates(sessionmaker, warranty.id, starts_on=ended - timedelta(days=180), ends_on=ended)
    before = await totals(sessionmaker)

    response = await client.post(
        claim_url(completed["id"]),
        json={"warrantyId": str(warranty.id), "issueDescription": "Dead pixels"},
        headers=bench.admin.headers,
    )

    assert response.status_code == 409
    assert response.json()["code"] == "CONFLICT"
    assert response.json()["detail"] == f"The warranty ended on {ended.isoformat()}."
    assert response.json()["endsOn"] == ended.isoformat()
    assert await totals(sessionmaker) == before


async def test_a_claim_on_a_repair_that_is_not_completed_is_refused(client, app, sessionmaker):
    bench = await make_bench(client, app, sessionmaker)
    completed, warranty = await bench.completed_repair()
    # A warranty on a repair that is somehow open again: the status rule holds on its own.
    await set_status(sessionmaker, completed["id"], "repairing")
    open_repair = await make_repair(client, bench.admin, bench.customer.id)
    before = await totals(sessionmaker)

    reopened = await client.post(
        claim_url(completed["id"]),
        json={"warrantyId": str(warranty.id), "issueDescription": "Dead pixels"},
        headers=bench.admin.headers,
    )
    never_completed = await client.post(
        claim_url(open_repair["id"]),
        json={"warrantyId": str(warranty.id), "issueDescription": "Dead pixels"},
        headers=bench.admin.headers,
    )

    assert reopened.status_code == 409
    assert reopened.json()["detail"] == (
        f"Repair {completed['repairNumber']} is repairing: warranty claims are taken on completed or "
        "delivered repairs."
    )
    assert reopened.json()["repairStatus"] == "repairing"
    assert never_completed.status_code == 409
    assert never_completed.json()["repairStatus"] == "received"
    assert await totals(sessionmaker) == before


async def test_an_unknown_warranty_or_another_repairs_warranty_is_a_400(client, app, sessionmaker):
    bench = await make_bench(client, app, sessionmaker)
    completed, _ = await bench.completed_repair()
    _, other_warranty = await bench.completed_repair()
    before = await totals(sessionmaker)

    for warranty_id in (uuid.uuid4(), other_warranty.id):
        response = await client.post(
            claim_url(completed["id"]),
            json={"warrantyId": str(warranty_id), "issueDescription": "Dead pixels"},
            headers=bench.admin.headers,
        )
        assert response.status_code == 400, response.text
        assert response.json()["errors"] == [
            {
                "field": "warrantyId",
                "message": f"no warranty with this id on repair {completed['repairNumber']}",
            }
        ]
    assert await totals(sessionmaker) == before


async def test_a_second_claim_while_one_is_under_way_names_its_repair(client, app, sessionmaker):
    bench = await make_bench(client, app, sessionmaker)
    completed, warranty = await bench.completed_repair()
    body = {"warrantyId": str(warranty.id), "issueDescription": "Flickers"}
    first = (await client.post(claim_url(completed["id"]), json=body, headers=bench.admin.headers)).json()
    await walk(client, bench.admin, first["claimRepairId"], "diagnosing")
    before = await totals(sessionmaker)

    second = await client.post(claim_url(completed["id"]), json=body, headers=bench.admin.headers)

    assert second.status_code == 409
    assert second.json()["detail"] == (
        f"A claim under this warranty is already under way: repair {first['claimRepairNumber']}."
    )
    assert second.json()["claimRepairNumber"] == first["claimRepairNumber"]
    assert second.json()["claimRepairId"] == first["claimRepairId"]
    assert await totals(sessionmaker) == before


async def test_an_unknown_repair_is_404_and_bad_bodies_are_400(client, app, sessionmaker):
    bench = await make_bench(client, app, sessionmaker)
    completed, warranty = await bench.completed_repair()
    before = await totals(sessionmaker)

    unknown = await client.post(
        claim_url(str(uuid.uuid4())),
        json={"warrantyId": str(warranty.id), "issueDescription": "Flickers"},
        headers=bench.admin.headers,
    )
    empty = await client.post(
        claim_url(completed["id"]),
        json={"warrantyId": str(warranty.id), "issueDescription": "   "},
        headers=bench.admin.headers,
    )
    smuggled = await client.post(
        claim_url(completed["id"]),
        json={"warrantyId": str(warranty.id), "issueDescription": "Flickers", "unitPrice": 10},
        headers=bench.admin.headers,
    )

    assert unknown.status_code == 404
    assert empty.status_code == 400
    assert {e["field"] for e in empty.json()["errors"]} == {"issueDescription"}
    assert smuggled.status_code == 400
    assert await totals(sessionmaker) == before


async def test_a_claim_for_an_archived_customer_is_refused(client, app, sessionmaker):
    bench = await make_bench(client, app, sessionmaker)
    completed, warranty = await bench.completed_repair()
    archived = await client.delete(f"/api/v1/customers/{bench.customer.id}", headers=bench.admin.headers)
    assert archived.status_code in (200, 204), archived.text
    before = await totals(sessionmaker)

    response = await client.post(
        claim_url(completed["id"]),
        json={"warrantyId": str(warranty.id), "issueDescription": "Flickers"},
        headers=bench.admin.headers,
    )

    assert response.status_code == 409
    assert "archived" in response.json()["detail"]
    assert await totals(sessionmaker) == before


# --- who may claim --------------------------------------------------------------------------------------


async def test_technicians_and_customers_cannot_take_claims(client, app, sessionmaker):
    bench = await make_bench(client, app, sessionmaker)
    completed, warranty = await bench.completed_repair()
    technician = await make_user(app, sessionmaker, "technician")
    body = {"warrantyId": str(warranty.id), "issueDescription": "Flickers"}
    before = await totals(sessionmaker)

    by_technician = await client.post(claim_url(completed["id"]), json=body, headers=technician.headers)
    by_customer = await client.post(claim_url(completed["id"]), json=body, headers=bench.customer.headers)
    anonymous = await client.post(claim_url(completed["id"]), json=body)

    assert by_technician.status_code == 403
    assert by_technician.json()["required"] == "repairs:create"
    assert by_customer.status_code == 403
    assert anonymous.status_code == 401
    assert await totals(sessionmaker) == before


async def test_managers_take_claims(client, app, sessionmaker):
    bench = await make_bench(client, app, sessionmaker)
    completed, warranty = await bench.completed_repair()
    manager = await make_user(app, sessionmaker, "manager")
    response = await client.post(
        claim_url(completed["id"]),
        json={"warrantyId": str(warranty.id), "issueDescription": "Flickers"},
        headers=manager.headers,
    )
    assert response.status_code == 201, response.text
