"""The catalog pages over HTTP (SQLite): the price list with inline editing (the row re-renders, the change
lands in the price's history, a refused price shows its problem and changes nothing), device search, the
estimator naming the price it used, the CSV import as a job whose progress the page polls until the
rejected rows are shown, and the export link."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from fixdesk.catalog.models import PriceHistory, Pricing
from tests.catalog.helpers import csv_bytes
from tests.factories import (
    count_rows,
    make_catalog_device,
    make_part_type,
    make_price,
    make_repair_type,
    make_user,
    settle,
)

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

HTMX = {"HX-Request": "true"}


async def priced_device(sessionmaker, name="Pixel 7", price="120.00"):
    device = await make_catalog_device(sessionmaker, brand="Google", name=name)
    repair = await make_repair_type(sessionmaker, "Screen replacement")
    part = await make_part_type(sessionmaker, "OLED display")
    row = await make_price(
        sessionmaker, device_model_id=device.id, repair_type_id=repair.id, part_type_id=part.id, price=price
    )
    return device, repair, part, row


async def test_an_empty_price_list_points_to_the_import(client, app, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")

    response = await client.get("/app/catalog", headers=agent.headers)

    assert response.status_code == 200
    assert "No prices yet" in response.text
    assert 'href="/app/catalog/import"' in response.text


async def test_a_price_is_edited_in_its_row_and_the_change_is_in_its_history(client, app, sessionmaker):
    manager = await make_user(app, sessionmaker, "manager")
    _, _, _, price = await priced_device(sessionmaker)

    listed = await client.get("/app/catalog", headers=manager.headers)
    form = await client.get(f"/app/catalog/prices/{price.id}/edit", headers={**manager.headers, **HTMX})
    saved = await client.post(
        f"/app/catalog/prices/{price.id}",
        data={"price": "135.50", "cost": "60", "reason": "Supplier raised prices"},
        headers={**manager.headers, **HTMX},
    )
    history = await client.get(f"/app/catalog/prices/{price.id}/history", headers={**manager.headers, **HTMX})

    assert listed.status_code == 200
    assert "Pixel 7" in listed.text
    assert f'hx-get="/app/catalog/prices/{price.id}/edit"' in listed.text
    assert form.status_code == 200
    assert 'name="price" inputmode="decimal" value="120.00"' in form.text
    assert saved.status_code == 200
    assert saved.text.lstrip().startswith(f'<tr id="price-{price.id}">')
    assert "$135.50" in saved.text
    assert 'name="price"' not in saved.text  # back to the row as shown
    async with sessionmaker() as session:
        row = await session.get(Pricing, price.id)
    assert (row.price, row.cost) == (Decimal("135.50"), Decimal("60.00"))
    assert "$120.00 → $135.50" in history.text
    assert "Supplier raised prices" in history.text


async def test_a_refused_price_shows_the_problem_in_the_row_and_changes_nothing(client, app, sessionmaker):
    manager = await make_user(app, sessionmaker, "manager")
    _, _, _, price = await priced_device(sessionmaker)

    refused = await client.post(
        f"/app/catalog/prices/{price.id}",
        data={"price": "-5", "cost": ""},
        headers={**manager.headers, **HTMX},
    )

    assert refused.status_code == 200  # htmx swaps the form with its problems into the row
    assert 'id="price-error"' in refused.text
    assert 'value="-5"' in refused.text
    async with sessionmaker() as session:
        assert (await session.get(Pricing, price.id)).price == Decimal("120.00")
    assert await count_rows(sessionmaker, PriceHistory) == 0


async def test_agents_read_the_price_list_but_cannot_edit(client, app, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")
    _, _, _, price = await priced_device(sessionmaker)

    listed = await client.get("/app/catalog", headers=agent.headers)
    post = await client.post(f"/app/catalog/prices/{price.id}", data={"price": "1"}, headers=agent.headers)
    upload = await client.get("/app/catalog/import", headers=agent.headers)

    assert listed.status_code == 200
    assert "/edit" not in listed.text
    assert (post.status_code, upload.status_code) == (403, 403)


async def test_device_models_search(client, app, sessionmaker):
    technician = await make_user(app, sessionmaker, "technician")
    await make_catalog_device(sessionmaker, brand="Google", name="Pixel 7")
    await make_catalog_device(sessionmaker, brand="Apple", name="iPhone 13")

    page = await client.get("/app/catalog/devices", headers=technician.headers)
    found = await client.get("/app/catalog/devices?search=pixel", headers={**technician.headers, **HTMX})
    none = await client.get("/app/catalog/devices?search=nokia", headers=technician.headers)

    assert "Pixel 7" in page.text
    assert "iPhone 13" in page.text
    assert "Pixel 7" in found.text
    assert "iPhone 13" not in found.text
    assert "<html" not in found.text
    assert "No device model matches" in none.text


async def test_the_estimator_shows_the_price_and_which_price_it_used(client, app, sessionmaker):
    agent = await make_user(app, sessionmaker, "agent")
    device, repair, _part, _ = await priced_device(sessionmaker, price="149.00")

    form = await client.get("/app/catalog/estimate", headers=agent.headers)
    answer = await client.get(
        f"/app/catalog/estimate?deviceModelId={device.id}&repairTypeId={repair.id}", headers=agent.headers
    )

    assert form.status_code == 200
    assert "Pixel 7" in form.text
    assert answer.status_code == 200
    assert '<div class="display-6" data-estimate="price">$149.00</div>' in answer.text
    assert "<code>exact</code>" in answer.text
    assert "Uses the shop's price of Pixel 7, Screen replacement, OLED display" in answer.text


# Real commits: the job writes its progress on one connection while the import's batches commit on others.
@pytest.mark.commits
async def test_a_csv_import_runs_as_a_job_and_shows_progress_then_the_rejected_rows(
    client, app, sessionmaker
):
    manager = await make_user(app, sessionmaker, "manager")
    data = csv_bytes(
        {
            "brand": "Google",
            "model": "Pixel 8",
            "deviceType": "phone",
            "repairType": "Battery replacement",
            "partType": "Battery",
            "partQuality": "original",
            "price": "89.00",
        },
        {
            "brand": "Google",
            "model": "Pixel 8",
            "repairType": "Screen replacement",
            "partType": "OLED",
            "partQuality": "original",
            "price": "12,50",
        },
    )

    started = await client.post(
        "/app/catalog/import", files={"file": ("prices.csv", data, "text/csv")}, headers=manager.headers
    )
    assert started.status_code == 303
    progress_url = started.headers["location"]
    waiting = await client.get(progress_url, headers={**manager.headers, **HTMX})
    ran = await settle(app)
    done = await client.get(progress_url, headers={**manager.headers, **HTMX})
    page = await client.get(progress_url, headers=manager.headers)

    assert waiting.status_code == 200
    assert 'hx-trigger="every 1s"' in waiting.text
    assert "<progress" in waiting.text
    assert ran >= 1
    assert 'hx-trigger="every 1s"' not in done.text  # finished: the page stops asking
    assert "1 of 2 rows imported" in done.text
    assert "1 row was not imported" in done.text
    assert "<td>3</td>" in done.text  # the rejected row's line
    assert "prices.csv" in page.text
    async with sessionmaker() as session:
        prices = list((await session.execute(select(Pricing))).scalars())
    assert [row.price for row in prices] == [Decimal("89.00")]


async def test_an_import_without_a_file_is_refused_and_queues_nothing(client, app, sessionmaker):
    manager = await make_user(app, sessionmaker, "manager")

    refused = await client.post("/app/catalog/import", data={"x": "1"}, headers=manager.headers)

    assert refused.status_code == 400
    assert 'id="file-error"' in refused.text
    assert await settle(app) == 0


async def test_the_export_link_downloads_the_price_list(client, app, sessionmaker):
    manager = await make_user(app, sessionmaker, "manager")
    await priced_device(sessionmaker)

    page = await client.get("/app/catalog/import", headers=manager.headers)
    export = await client.get("/app/catalog/export", headers=manager.headers)

    assert 'href="/app/catalog/export"' in page.text
    assert export.status_code == 200
    assert export.headers["content-disposition"].startswith('attachment; filename="fixdesk-pricing-')
    assert "Pixel 7" in export.text
