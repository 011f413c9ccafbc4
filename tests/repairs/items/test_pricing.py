"""Pricing repair lines (issue 5, item 4): unit prices default to the shop's price list, then to the
estimator; totals are computed by the server; lines that cannot be priced are refused with nothing
written."""

from __future__ import annotations

from fixdesk.platform.events import DomainEvent
from fixdesk.repairs.models import Repair, RepairItem, RepairLabour
from tests.factories import count_rows, make_customer, make_repair, make_user, repair_body
from tests.repairs.items.bench import catalog_repair, exact, make_bench, stored_lines, stored_totals


async def test_intake_prices_lines_from_the_catalog_the_estimator_and_by_hand(client, app, sessionmaker):
    bench = await make_bench(sessionmaker)
    agent = await make_user(app, sessionmaker, "agent")
    customer = await make_customer(app, sessionmaker)

    response = await client.post(
        "/api/v1/repairs",
        json=repair_body(
            customer.id,
            deviceModelId=str(bench.device.id),
            deposit="20.00",
            items=[
                {"repairTypeId": str(bench.screen.id), "partTypeId": str(bench.oled.id)},
                {"repairTypeId": str(bench.battery.id), "partTypeId": str(bench.cell.id), "discount": "9.00"},
                {"description": "Screen protector", "unitPrice": "12.99", "quantity": 2},
            ],
            labour=[{"description": "Diagnosis", "hours": "0.75", "rate": "60.00"}],
        ),
        headers=agent.headers,
    )

    assert response.status_code == 201, response.text
    repair = exact(response)
    screen, battery, protector = repair["items"]
    assert screen["description"] == "Screen replacement (OLED screen)"
    assert (screen["priceSource"], str(screen["unitPrice"]), str(screen["unitCost"])) == (
        "catalog",
        "199.0",
        "80.0",
    )
    assert screen["pricingId"] == str(bench.screen_price.id)
    assert screen["partQuality"] == "original"
    assert screen["estimateConfidence"] is None
    # No price for the iPhone 13; its sibling's 89.00 (same brand, type, tier and year) is the estimate.
    assert battery["description"] == "Battery replacement (Battery cell)"
    assert (battery["priceSource"], str(battery["unitPrice"]), str(battery["estimateConfidence"])) == (
        "estimate",
        "89.0",
        "0.7",
    )
    assert battery["pricingId"] is None
    assert battery["partQuality"] == "aftermarket_standard"
    assert str(battery["lineTotal"]) == "80.0"
    assert (protector["priceSource"], str(protector["lineTotal"])) == ("manual", "25.98")
    assert [line["position"] for line in repair["items"]] == [0, 1, 2]
    [diagnosis] = repair["labour"]
    assert str(diagnosis["lineTotal"]) == "45.0"
    # 199.00 + 80.00 + 25.98 + 45.00 = 349.98; 8.875 % of it is 31.060725 → 31.06.
    assert str(repair["subtotal"]) == "349.98"
    assert str(repair["taxRate"]) == "8.875"
    assert str(repair["taxAmount"]) == "31.06"
    assert str(repair["totalCost"]) == "381.04"
    assert str(repair["balance"]) == "361.04"
    assert repair["currency"] == "USD"

    assert await stored_totals(sessionmaker, repair["id"]) == ("349.98", "31.06", "381.04")
    items, labour = await stored_lines(sessionmaker, repair["id"])
    assert [(str(i.unit_price), str(i.discount), str(i.line_total), i.price_source) for i in items] == [
        ("199.00", "0.00", "199.00", "catalog"),
        ("89.00", "9.00", "80.00", "estimate"),
        ("12.99", "0.00", "25.98", "manual"),
    ]
    assert str(items[0].unit_cost) == "80.00"
    assert str(items[1].estimate_confidence) == "0.70"
    assert [(str(line.hours), str(line.rate), str(line.line_total)) for line in labour] == [
        ("0.75", "60.00", "45.00")
    ]


async def test_a_given_unit_price_wins_over_the_catalog(client, app, sessionmaker):
    bench = await make_bench(sessionmaker)
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair = await catalog_repair(client, admin, customer.id, bench)

    response = await client.post(
        f"/api/v1/repairs/{repair['id']}/items",
        json={
            "repairTypeId": str(bench.screen.id),
            "partTypeId": str(bench.oled.id),
            "unitPrice": "179.00",
            "description": "Screen (loyalty price)",
        },
        headers=admin.headers,
    )

    assert response.status_code == 201, response.text
    item = exact(response)["item"]
    assert (item["priceSource"], str(item["unitPrice"]), item["pricingId"], item["unitCost"]) == (
        "manual",
        "179.0",
        None,
        None,
    )
    assert item["description"] == "Screen (loyalty price)"


async def test_a_line_naming_no_part_takes_the_part_of_the_catalog_price(client, app, sessionmaker):
    bench = await make_bench(sessionmaker)
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair = await catalog_repair(client, admin, customer.id, bench)

    response = await client.post(
        f"/api/v1/repairs/{repair['id']}/items",
        json={"repairTypeId": str(bench.screen.id)},
        headers=admin.headers,
    )

    assert response.status_code == 201, response.text
    item = exact(response)["item"]
    assert (item["partTypeId"], item["partQuality"], item["description"]) == (
        str(bench.oled.id),
        "original",
        "Screen replacement (OLED screen)",
    )
    assert (item["priceSource"], str(item["unitPrice"])) == ("catalog", "199.0")
    [stored], _ = await stored_lines(sessionmaker, repair["id"])
    assert stored.part_type_id == bench.oled.id


async def test_a_catalog_line_on_a_repair_without_a_device_model_is_refused_with_the_reason(
    client, app, sessionmaker
):
    bench = await make_bench(sessionmaker)
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair = await make_repair(client, admin, customer.id, totalCost="50.00")
    events_before = await count_rows(sessionmaker, DomainEvent)

    response = await client.post(
        f"/api/v1/repairs/{repair['id']}/items",
        json={"repairTypeId": str(bench.screen.id)},
        headers=admin.headers,
    )

    assert response.status_code == 400, response.text
    [error] = response.json()["errors"]
    assert error["field"] == "unitPrice"
    assert "no catalog device model (deviceModelId)" in error["message"]
    assert "Screen replacement" in error["message"]
    assert await count_rows(sessionmaker, RepairItem) == 0
    assert await stored_totals(sessionmaker, repair["id"]) == ("50.00", "0.00", "50.00")
    assert await count_rows(sessionmaker, DomainEvent) == events_before


async def test_intake_with_a_line_that_cannot_be_priced_writes_nothing(client, app, sessionmaker):
    bench = await make_bench(sessionmaker)
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    events_before = await count_rows(sessionmaker, DomainEvent)

    free_text = await client.post(
        "/api/v1/repairs",
        json=repair_body(customer.id, items=[{"repairTypeId": str(bench.screen.id)}]),
        headers=admin.headers,
    )
    nothing_to_estimate = await client.post(
        "/api/v1/repairs",
        json=repair_body(
            customer.id,
            deviceModelId=str(bench.device.id),
            items=[
                {"repairTypeId": str(bench.screen.id), "partTypeId": str(bench.oled.id)},
                {"repairTypeId": str(bench.water.id)},
            ],
        ),
        headers=admin.headers,
    )

    assert free_text.status_code == 400, free_text.text
    assert [e["field"] for e in free_text.json()["errors"]] == ["items.0.unitPrice"]
    assert nothing_to_estimate.status_code == 400, nothing_to_estimate.text
    [error] = nothing_to_estimate.json()["errors"]
    assert error["field"] == "items.1.unitPrice"
    assert "none can be estimated" in error["message"]
    assert "Water damage treatment" in error["message"]
    assert await count_rows(sessionmaker, Repair) == 0
    assert await count_rows(sessionmaker, RepairItem) == 0
    assert await count_rows(sessionmaker, DomainEvent) == events_before


async def test_bad_lines_answer_400_naming_the_field_and_change_nothing(client, app, sessionmaker):
    bench = await make_bench(sessionmaker)
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair = await catalog_repair(
        client, admin, customer.id, bench, items=[{"description": "Cleaning", "unitPrice": "10.00"}]
    )
    events_before = await count_rows(sessionmaker, DomainEvent)
    url = f"/api/v1/repairs/{repair['id']}/items"

    cases = {
        "repairTypeId": {"repairTypeId": "018f0000-0000-7000-8000-000000000000"},
        "partTypeId": {"repairTypeId": str(bench.screen.id), "partTypeId": str(bench.screen.id)},
        "discount": {"description": "Case", "unitPrice": "10.00", "quantity": 2, "discount": "20.01"},
    }
    for field, body in cases.items():
        response = await client.post(url, json=body, headers=admin.headers)
        assert response.status_code == 400, response.text
        assert [e["field"] for e in response.json()["errors"]] == [field]
    no_price = await client.post(url, json={"description": "Mystery"}, headers=admin.headers)
    unknown_field = await client.post(
        url, json={"description": "Case", "unitPrice": "1.00", "lineTotal": "0.01"}, headers=admin.headers
    )
    negative = await client.post(
        url, json={"description": "Case", "unitPrice": "-1.00"}, headers=admin.headers
    )
    sub_cent = await client.post(
        url, json={"description": "Case", "unitPrice": "1.005"}, headers=admin.headers
    )
    bad_labour = await client.post(
        f"/api/v1/repairs/{repair['id']}/labour",
        json={"description": "Bench time", "hours": "0", "rate": "60.00"},
        headers=admin.headers,
    )

    for response in (no_price, unknown_field, negative, sub_cent, bad_labour):
        assert response.status_code == 400, response.text
    # The client may not send a total: unknown fields are refused, not ignored.
    assert "lineTotal" in {e["field"] for e in unknown_field.json()["errors"]}
    assert await count_rows(sessionmaker, RepairItem) == 1
    assert await count_rows(sessionmaker, RepairLabour) == 0
    # 10.00 + 8.875 % tax (0.8875 → 0.89)
    assert await stored_totals(sessionmaker, repair["id"]) == ("10.00", "0.89", "10.89")
    assert await count_rows(sessionmaker, DomainEvent) == events_before


async def test_the_total_of_a_repair_with_lines_cannot_be_set_by_hand(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair = await make_repair(
        client, admin, customer.id, items=[{"description": "Cleaning", "unitPrice": "10.00"}]
    )

    response = await client.patch(
        f"/api/v1/repairs/{repair['id']}", json={"totalCost": "1.00"}, headers=admin.headers
    )

    assert response.status_code == 400, response.text
    assert await stored_totals(sessionmaker, repair["id"]) == ("10.00", "0.89", "10.89")
