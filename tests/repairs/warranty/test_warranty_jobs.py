"""Warranty jobs end to end (issue 5, item 7): parts fitted through the line-item API are warranted on
completion, a claim opens a no-charge job, and the part replaced under warranty carries the remainder of
the original warranty while a part the customer pays for gets a fresh one."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from fixdesk.repairs.models import Repair, WarrantyClaim
from fixdesk.repairs.warranty import service
from tests.factories import TO_COMPLETED, count_rows, make_catalog_device, make_part_type, make_repair, walk
from tests.repairs.warranty.conftest import make_bench, set_warranty_dates, warranties_of


async def add_line(client, staff, repair_id: str, **body) -> dict:
    response = await client.post(f"/api/v1/repairs/{repair_id}/items", json=body, headers=staff.headers)
    assert response.status_code == 201, response.text
    return response.json()["item"]


async def test_parts_fitted_through_the_api_are_warranted_and_a_claim_carries_the_remainder(
    client, app, sessionmaker, settings
):
    bench = await make_bench(client, app, sessionmaker)
    battery = await make_part_type(sessionmaker, "Battery", warranty_months=12)
    device = await make_catalog_device(sessionmaker, brand="Samsung", name="Galaxy S23")
    original = await make_repair(client, bench.admin, bench.customer.id, deviceModelId=str(device.id))
    screen_line = await add_line(
        client,
        bench.admin,
        original["id"],
        repairTypeId=str(bench.repair_type.id),
        partTypeId=str(bench.part_type.id),
        description="AMOLED screen",
        unitPrice="189.00",
        unitCost="74.20",
        removedSerial="AM-OLD-1",
        installedSerial="AM-NEW-1",
    )
    await walk(client, bench.admin, original["id"], *TO_COMPLETED)
    await bench.settle()

    view = (
        await client.get(f"/api/v1/repairs/{original['id']}/warranty", headers=bench.admin.headers)
    ).json()
    [warranty] = view["warranties"]
    assert warranty["repairItemId"] == screen_line["id"]
    assert (warranty["removedSerial"], warranty["installedSerial"]) == ("AM-OLD-1", "AM-NEW-1")
    assert warranty["partCost"] == 74.2
    assert warranty["warrantyMonths"] == 6
    assert warranty["status"] == "active"
    # Two months into the warranty, the screen fails again.
    today = settings.shop_today()
    ends_on = today + timedelta(days=120)
    await set_warranty_dates(
        sessionmaker, warranty["id"], starts_on=today - timedelta(days=60), ends_on=ends_on
    )

    claim = await client.post(
        f"/api/v1/repairs/{original['id']}/warranty-claims",
        json={"warrantyId": warranty["id"], "issueDescription": "Green line down the middle"},
        headers=bench.admin.headers,
    )
    assert claim.status_code == 201, claim.text
    job_id = claim.json()["claimRepairId"]
    job = (await client.get(f"/api/v1/repairs/{job_id}", headers=bench.admin.headers)).json()
    [warranty_line] = job["items"]
    assert warranty_line["priceSource"] == "warranty"
    assert job["totalCost"] == 0.0
    assert job["deviceModelId"] == str(device.id)

    # At the bench: the replacement's serial, and a battery the customer pays for.
    patched = await client.patch(
        f"/api/v1/repairs/{job_id}/items/{warranty_line['id']}",
        json={"installedSerial": "AM-NEW-2"},
        headers=bench.admin.headers,
    )
    assert patched.status_code == 200, patched.text
    await add_line(
        client, bench.admin, job_id, partTypeId=str(battery.id), description="Battery", unitPrice="59.00"
    )
    await walk(client, bench.admin, job_id, *TO_COMPLETED)
    await bench.settle()

    job_view = (await client.get(f"/api/v1/repairs/{job_id}/warranty", headers=bench.admin.headers)).json()
    assert job_view["claimedUnder"]["repairId"] == original["id"]
    replaced, paid = job_view["warranties"]
    assert (replaced["removedSerial"], replaced["installedSerial"]) == ("AM-NEW-1", "AM-NEW-2")
    assert replaced["startsOn"] == today.isoformat()
    assert replaced["endsOn"] == ends_on.isoformat(), (
        "the remainder of the claimed warranty, not 6 new months"
    )
    assert replaced["warrantyMonths"] == 6
    assert paid["description"] == "Battery"
    assert paid["warrantyMonths"] == 12
    assert paid["endsOn"] == service.warranty_end(today, 12).isoformat()
    # The claim is closed once its job is completed.
    original_view = (
        await client.get(f"/api/v1/repairs/{original['id']}/warranty", headers=bench.admin.headers)
    ).json()
    assert original_view["warranties"][0]["claims"][0]["claimRepairStatus"] == "completed"


async def test_a_job_finished_after_the_claimed_warranty_ended_is_covered_on_its_completion_day(
    client, app, sessionmaker, settings
):
    bench = await make_bench(client, app, sessionmaker)
    completed, warranty = await bench.completed_repair()
    today = settings.shop_today()
    await set_warranty_dates(sessionmaker, warranty.id, starts_on=today - timedelta(days=180), ends_on=today)
    claim = await client.post(
        f"/api/v1/repairs/{completed['id']}/warranty-claims",
        json={"warrantyId": str(warranty.id), "issueDescription": "Flickers"},
        headers=bench.admin.headers,
    )
    assert claim.status_code == 201
    # The job takes longer than the warranty had left.
    await set_warranty_dates(
        sessionmaker, warranty.id, starts_on=today - timedelta(days=181), ends_on=today - timedelta(days=1)
    )
    await walk(client, bench.admin, claim.json()["claimRepairId"], *TO_COMPLETED)
    await bench.settle()

    [replaced] = await warranties_of(sessionmaker, claim.json()["claimRepairId"])
    assert (replaced.starts_on, replaced.ends_on) == (today, today)


@pytest.mark.commits  # concurrent requests, each on its own connection
async def test_two_claims_at_once_open_one_job(client, app, sessionmaker):
    bench = await make_bench(client, app, sessionmaker)
    completed, warranty = await bench.completed_repair()
    repairs_before = await count_rows(sessionmaker, Repair)
    body = {"warrantyId": str(warranty.id), "issueDescription": "Flickers"}

    answers = await asyncio.gather(
        *(
            client.post(
                f"/api/v1/repairs/{completed['id']}/warranty-claims", json=body, headers=bench.admin.headers
            )
            for _ in range(2)
        )
    )

    assert sorted(answer.status_code for answer in answers) == [201, 409]
    assert await count_rows(sessionmaker, Repair) == repairs_before + 1
    assert await count_rows(sessionmaker, WarrantyClaim) == 1
