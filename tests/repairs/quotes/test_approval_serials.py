"""Approving a quote keeps the serial numbers already recorded on the repair's lines (issue 9, item 12):
the quote's lines replace the repair's, and each takes the serials of the old line for the same repair
and part type (free-text lines: the same description), each old line at most once, in order."""

from __future__ import annotations

from tests.factories import make_customer, make_user
from tests.repairs.items.bench import make_bench
from tests.repairs.quotes.desk import create_quote, diagnosing_repair, quote_body


async def approve(client, customer, repair_id: str, quote_id: str) -> None:
    response = await client.post(
        f"/api/v1/customer/repairs/{repair_id}/quotes/{quote_id}/approve", headers=customer.headers
    )
    assert response.status_code == 200, response.text


async def serials_after_approval(client, admin, repair_id: str) -> list[tuple[str, str | None, str | None]]:
    response = await client.get(f"/api/v1/repairs/{repair_id}", headers=admin.headers)
    assert response.status_code == 200, response.text
    return [
        (item["description"], item["removedSerial"], item["installedSerial"])
        for item in response.json()["items"]
    ]


async def test_approving_a_quote_keeps_the_serials_recorded_at_diagnosis(client, app, sessionmaker):
    bench = await make_bench(sessionmaker)
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair = await diagnosing_repair(
        client,
        admin,
        customer.id,
        bench,
        items=[
            {"description": "Diagnosis", "unitPrice": "15.00", "removedSerial": "FEE-0"},
            {
                "repairTypeId": str(bench.screen.id),
                "partTypeId": str(bench.oled.id),
                "removedSerial": "SCR-OLD-1",
            },
            {
                "repairTypeId": str(bench.battery.id),
                "partTypeId": str(bench.cell.id),
                "unitPrice": "70.00",
                "removedSerial": "BAT-OLD-7",
                "installedSerial": "BAT-NEW-9",
            },
        ],
    )
    # The standard quote: the same screen, the same battery (repriced, discounted), and labour.
    quote = await create_quote(client, admin, repair["id"], quote_body(bench, send=True))

    await approve(client, customer, repair["id"], quote["id"])

    assert await serials_after_approval(client, admin, repair["id"]) == [
        ("Screen replacement (OLED screen)", "SCR-OLD-1", None),
        ("Battery replacement (Battery cell)", "BAT-OLD-7", "BAT-NEW-9"),
    ]


async def test_each_recorded_serial_goes_to_one_matching_line_only(client, app, sessionmaker):
    bench = await make_bench(sessionmaker)
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    screen = {"repairTypeId": str(bench.screen.id), "partTypeId": str(bench.oled.id)}
    repair = await diagnosing_repair(
        client,
        admin,
        customer.id,
        bench,
        items=[
            {**screen, "removedSerial": "SCR-A"},
            {**screen, "removedSerial": "SCR-B"},
            {"description": "Cleaning", "unitPrice": "5.00", "removedSerial": "KIT-1"},
        ],
    )
    body = quote_body(
        bench,
        send=True,
        items=[
            screen,
            {"repairTypeId": str(bench.battery.id), "partTypeId": str(bench.cell.id)},
            screen,
            screen,
            {"description": "  CLEANING ", "unitPrice": "5.00"},
        ],
    )
    quote = await create_quote(client, admin, repair["id"], body)

    await approve(client, customer, repair["id"], quote["id"])

    assert [serials[1:] for serials in await serials_after_approval(client, admin, repair["id"])] == [
        ("SCR-A", None),
        (None, None),  # another repair type: nothing to carry over
        ("SCR-B", None),
        (None, None),  # a third screen: both recorded serials are taken
        ("KIT-1", None),  # free text: the same description, whatever its case and spaces
    ]


async def test_approving_a_quote_keeps_the_product_a_line_fits(client, app, sessionmaker):
    """A line naming a product (a part in stock, issue 13) keeps it when the quote's lines replace the
    repair's, so completing the repair still takes the part out of stock."""
    bench = await make_bench(sessionmaker)
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    product = await client.post(
        "/api/v1/products",
        json={"name": "OLED screen", "sku": "OLED-IP13", "price": "120.00", "stockQuantity": 3},
        headers=admin.headers,
    )
    assert product.status_code == 201, product.text
    repair = await diagnosing_repair(
        client,
        admin,
        customer.id,
        bench,
        items=[
            {
                "repairTypeId": str(bench.screen.id),
                "partTypeId": str(bench.oled.id),
                "productId": product.json()["id"],
            }
        ],
    )
    quote = await create_quote(client, admin, repair["id"], quote_body(bench, send=True))

    await approve(client, customer, repair["id"], quote["id"])

    response = await client.get(f"/api/v1/repairs/{repair['id']}", headers=admin.headers)
    assert [(item["description"], item["productId"]) for item in response.json()["items"]] == [
        ("Screen replacement (OLED screen)", product.json()["id"]),
        ("Battery replacement (Battery cell)", None),
    ]
