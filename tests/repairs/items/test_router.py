"""Line item and labour endpoints (issue 5, item 4): add, change and remove lines with the totals
recomputed by the server, repair.updated events, closed repairs (409), technician scoping, a repair detail
whose statement count does not grow with its lines, and the portal's totalSpent from line totals."""

from __future__ import annotations

from fixdesk.platform.events import DomainEvent
from fixdesk.repairs.models import RepairItem, RepairLabour
from tests.factories import (
    TO_COMPLETED,
    count_rows,
    event_payloads,
    make_customer,
    make_repair,
    make_user,
    walk,
)
from tests.repairs.items.bench import (
    catalog_repair,
    exact,
    make_bench,
    stored_lines,
    stored_totals,
)


async def test_lines_are_added_changed_and_removed_with_totals_recomputed(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair = await make_repair(client, admin, customer.id, deposit="50.00")
    base = f"/api/v1/repairs/{repair['id']}"

    added = await client.post(
        f"{base}/items",
        json={"description": "Charging port", "unitPrice": "33.33", "quantity": 3, "discount": "0.99"},
        headers=admin.headers,
    )
    assert added.status_code == 201, added.text
    body = exact(added)
    item = body["item"]
    # 3 × 33.33 − 0.99 = 99.00; tax 8.875 % = 8.78625 → 8.79
    assert (item["description"], item["position"], str(item["lineTotal"])) == ("Charging port", 0, "99.0")
    assert item["priceSource"] == "manual"
    assert {k: str(v) for k, v in body["totals"].items()} == {
        "subtotal": "99.0",
        "taxRate": "8.875",
        "taxAmount": "8.79",
        "total": "107.79",
        "deposit": "50.0",
        "balance": "57.79",
        "currency": "USD",
    }

    labour = await client.post(
        f"{base}/labour",
        json={"description": "Soldering", "hours": "1.25", "rate": "45.50"},
        headers=admin.headers,
    )
    assert labour.status_code == 201, labour.text
    line = exact(labour)["labour"]
    # 1.25 h × 45.50 = 56.875 → 56.88; subtotal 155.88; tax 13.83435 → 13.83
    assert str(line["lineTotal"]) == "56.88"
    assert str(exact(labour)["totals"]["total"]) == "169.71"

    changed = await client.patch(
        f"{base}/items/{item['id']}", json={"quantity": 1, "discount": "0.00"}, headers=admin.headers
    )
    assert changed.status_code == 200, changed.text
    assert str(exact(changed)["item"]["lineTotal"]) == "33.33"
    # 33.33 + 56.88 = 90.21; tax 8.0061375 → 8.01
    assert await stored_totals(sessionmaker, repair["id"]) == ("90.21", "8.01", "98.22")

    changed_labour = await client.patch(
        f"{base}/labour/{line['id']}", json={"hours": "2"}, headers=admin.headers
    )
    assert changed_labour.status_code == 200, changed_labour.text
    assert str(exact(changed_labour)["labour"]["lineTotal"]) == "91.0"

    removed = await client.delete(f"{base}/items/{item['id']}", headers=admin.headers)
    assert removed.status_code == 200, removed.text
    # 91.00; tax 8.07625 → 8.08
    assert str(exact(removed)["total"]) == "99.08"
    removed_labour = await client.delete(f"{base}/labour/{line['id']}", headers=admin.headers)
    assert removed_labour.status_code == 200, removed_labour.text
    assert (str(exact(removed_labour)["total"]), str(exact(removed_labour)["balance"])) == ("0.0", "-50.0")

    assert await count_rows(sessionmaker, RepairItem) == 0
    assert await count_rows(sessionmaker, RepairLabour) == 0
    assert await stored_totals(sessionmaker, repair["id"]) == ("0.00", "0.00", "0.00")
    detail = exact(await client.get(base, headers=admin.headers))
    assert (detail["items"], detail["labour"], str(detail["totalCost"])) == ([], [], "0.0")


async def test_each_line_change_publishes_repair_updated_with_what_changed(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair = await make_repair(client, admin, customer.id)
    base = f"/api/v1/repairs/{repair['id']}"

    item = exact(
        await client.post(
            f"{base}/items", json={"description": "Port", "unitPrice": "20.00"}, headers=admin.headers
        )
    )["item"]
    await client.patch(f"{base}/items/{item['id']}", json={"installedSerial": "SN-1"}, headers=admin.headers)
    labour = exact(
        await client.post(
            f"{base}/labour", json={"description": "Bench", "hours": "1", "rate": "10"}, headers=admin.headers
        )
    )["labour"]
    await client.delete(f"{base}/labour/{labour['id']}", headers=admin.headers)

    updates = await event_payloads(sessionmaker, "repair.updated")
    # 20.00 + 1.775 tax → 21.78; 30.00 + 2.6625 → 32.66
    assert [event["changedFields"] for event in updates] == [
        ["items", "totalCost"],
        ["items"],  # a serial number changes no money
        ["labour", "totalCost"],
        ["labour", "totalCost"],
    ]
    assert {event["id"] for event in updates} == {repair["id"]}
    assert {event["changedById"] for event in updates} == {str(admin.id)}
    assert [event["totalCost"] for event in updates] == [21.78, 21.78, 32.66, 21.78]
    items, _ = await stored_lines(sessionmaker, repair["id"])
    assert items[0].installed_serial == "SN-1"


async def test_a_new_unit_price_makes_a_catalog_line_manual(client, app, sessionmaker):
    bench = await make_bench(sessionmaker)
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair = await catalog_repair(
        client,
        admin,
        customer.id,
        bench,
        items=[{"repairTypeId": str(bench.screen.id), "partTypeId": str(bench.oled.id)}],
    )
    [item] = repair["items"]
    assert item["priceSource"] == "catalog"

    response = await client.patch(
        f"/api/v1/repairs/{repair['id']}/items/{item['id']}",
        json={"unitPrice": "189.00"},
        headers=admin.headers,
    )

    assert response.status_code == 200, response.text
    changed = exact(response)["item"]
    assert (changed["priceSource"], changed["pricingId"], str(changed["unitPrice"])) == (
        "manual",
        None,
        "189.0",
    )
    # The part still cost the shop what the price list said.
    assert str(changed["unitCost"]) == "80.0"


async def test_null_and_bad_changes_answer_400_and_change_nothing(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair = await make_repair(
        client,
        admin,
        customer.id,
        items=[{"description": "Port", "unitPrice": "20.00", "quantity": 2}],
        labour=[{"description": "Bench", "hours": "1.00", "rate": "30.00"}],
    )
    [item], [labour] = repair["items"], repair["labour"]
    base = f"/api/v1/repairs/{repair['id']}"
    events_before = await count_rows(sessionmaker, DomainEvent)

    responses = [
        await client.patch(f"{base}/items/{item['id']}", json={"unitPrice": None}, headers=admin.headers),
        await client.patch(f"{base}/items/{item['id']}", json={"quantity": None}, headers=admin.headers),
        await client.patch(f"{base}/items/{item['id']}", json={"discount": "40.01"}, headers=admin.headers),
        await client.patch(f"{base}/items/{item['id']}", json={"lineTotal": "1.00"}, headers=admin.headers),
        await client.patch(f"{base}/labour/{labour['id']}", json={"rate": None}, headers=admin.headers),
        await client.patch(f"{base}/labour/{labour['id']}", json={"hours": "-1"}, headers=admin.headers),
    ]

    assert [r.status_code for r in responses] == [400] * 6, [r.text for r in responses]
    assert [e["field"] for e in responses[0].json()["errors"]] == ["unitPrice"]
    assert [e["field"] for e in responses[2].json()["errors"]] == ["discount"]
    items, labour_lines = await stored_lines(sessionmaker, repair["id"])
    assert [(i.quantity, str(i.unit_price), str(i.line_total)) for i in items] == [(2, "20.00", "40.00")]
    assert [str(line.rate) for line in labour_lines] == ["30.00"]
    # 70.00 + 6.2125 → 6.21
    assert await stored_totals(sessionmaker, repair["id"]) == ("70.00", "6.21", "76.21")
    assert await count_rows(sessionmaker, DomainEvent) == events_before


async def test_lines_of_another_repair_are_not_found(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    first = await make_repair(client, admin, customer.id, items=[{"description": "A", "unitPrice": "1.00"}])
    second = await make_repair(
        client, admin, customer.id, labour=[{"description": "B", "hours": 1, "rate": 1}]
    )
    item_id, labour_id = first["items"][0]["id"], second["labour"][0]["id"]

    wrong_item = await client.patch(
        f"/api/v1/repairs/{second['id']}/items/{item_id}", json={"quantity": 5}, headers=admin.headers
    )
    wrong_labour = await client.delete(
        f"/api/v1/repairs/{first['id']}/labour/{labour_id}", headers=admin.headers
    )
    no_repair = await client.post(
        "/api/v1/repairs/018f0000-0000-7000-8000-000000000000/items",
        json={"description": "A", "unitPrice": "1.00"},
        headers=admin.headers,
    )

    assert [wrong_item.status_code, wrong_labour.status_code, no_repair.status_code] == [404, 404, 404]
    assert await count_rows(sessionmaker, RepairLabour) == 1
    items, _ = await stored_lines(sessionmaker, first["id"])
    assert items[0].quantity == 1


async def test_closed_repairs_refuse_line_changes_with_409(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    completed = await make_repair(
        client,
        admin,
        customer.id,
        items=[{"description": "Port", "unitPrice": "20.00"}],
        labour=[{"description": "Bench", "hours": "1", "rate": "30"}],
    )
    await walk(
        client,
        admin,
        completed["id"],
        *TO_COMPLETED,
    )
    cancelled = await make_repair(
        client, admin, customer.id, items=[{"description": "Port", "unitPrice": "5.00"}]
    )
    await walk(client, admin, cancelled["id"], "cancelled")
    delivered = await make_repair(client, admin, customer.id)
    await walk(
        client,
        admin,
        delivered["id"],
        *TO_COMPLETED,
        "delivered",
    )
    item, labour = completed["items"][0]["id"], completed["labour"][0]["id"]
    events_before = await count_rows(sessionmaker, DomainEvent)
    line = {"description": "Extra", "unitPrice": "1.00"}

    attempts = [
        ("post", f"/api/v1/repairs/{completed['id']}/items", line),
        ("patch", f"/api/v1/repairs/{completed['id']}/items/{item}", {"quantity": 2}),
        ("delete", f"/api/v1/repairs/{completed['id']}/items/{item}", None),
        ("post", f"/api/v1/repairs/{completed['id']}/labour", {"description": "X", "hours": 1, "rate": 1}),
        ("patch", f"/api/v1/repairs/{completed['id']}/labour/{labour}", {"hours": 2}),
        ("delete", f"/api/v1/repairs/{completed['id']}/labour/{labour}", None),
        ("post", f"/api/v1/repairs/{cancelled['id']}/items", line),
        ("post", f"/api/v1/repairs/{delivered['id']}/items", line),
    ]
    for method, url, body in attempts:
        response = await client.request(method, url, json=body, headers=admin.headers)
        assert response.status_code == 409, (url, response.text)
        assert response.json()["code"] == "CONFLICT"
        assert "can no longer change" in response.json()["detail"]

    assert await count_rows(sessionmaker, RepairItem) == 2
    assert await count_rows(sessionmaker, RepairLabour) == 1
    # 50.00 + 4.4375 → 4.44
    assert await stored_totals(sessionmaker, completed["id"]) == ("50.00", "4.44", "54.44")
    assert await count_rows(sessionmaker, DomainEvent) == events_before


async def test_technicians_change_lines_only_on_their_own_repairs(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    mine = await make_user(app, sessionmaker, "technician")
    other = await make_user(app, sessionmaker, "technician")
    customer = await make_customer(app, sessionmaker)
    repair = await make_repair(
        client,
        admin,
        customer.id,
        technicianId=str(mine.id),
        items=[{"description": "Port", "unitPrice": "20.00"}],
    )
    item = repair["items"][0]["id"]
    base = f"/api/v1/repairs/{repair['id']}"

    refused = [
        await client.post(
            f"{base}/items", json={"description": "X", "unitPrice": "1"}, headers=other.headers
        ),
        await client.patch(f"{base}/items/{item}", json={"quantity": 3}, headers=other.headers),
        await client.delete(f"{base}/items/{item}", headers=other.headers),
        await client.post(
            f"{base}/labour", json={"description": "X", "hours": 1, "rate": 1}, headers=other.headers
        ),
    ]
    customer_try = await client.post(
        f"{base}/items", json={"description": "X", "unitPrice": "1"}, headers=customer.headers
    )
    allowed = await client.patch(f"{base}/items/{item}", json={"quantity": 3}, headers=mine.headers)

    assert [r.status_code for r in refused] == [403] * 4
    assert customer_try.status_code == 403
    assert allowed.status_code == 200, allowed.text
    items, labour = await stored_lines(sessionmaker, repair["id"])
    assert [(i.quantity, str(i.line_total)) for i in items] == [(3, "60.00")]
    assert labour == []


async def test_detail_statement_count_does_not_grow_with_lines(client, app, sessionmaker, statement_counter):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    few = await make_repair(
        client,
        admin,
        customer.id,
        items=[{"description": "Port", "unitPrice": "20.00"}],
        labour=[{"description": "Bench", "hours": "1", "rate": "30"}],
    )
    many = await make_repair(
        client,
        admin,
        customer.id,
        items=[
            {"description": f"Part {n}", "unitPrice": f"{n}.25", "quantity": n % 3 + 1} for n in range(40)
        ],
        labour=[{"description": f"Step {n}", "hours": "0.25", "rate": "60"} for n in range(30)],
    )

    counts = {}
    for repair, size in ((few, 2), (many, 70)):
        statement_counter.reset()
        response = await client.get(f"/api/v1/repairs/{repair['id']}", headers=admin.headers)
        counts[size] = statement_counter.count
        assert response.status_code == 200, response.text
        assert len(response.json()["items"]) + len(response.json()["labour"]) == size
    assert counts[70] == counts[2], statement_counter.statements
    detail = exact(response)
    assert [line["position"] for line in detail["items"]] == list(range(40))
    expected_subtotal = sum((n % 3 + 1) * (n + 0.25) for n in range(40)) + 30 * 15
    assert float(detail["subtotal"]) == expected_subtotal


async def test_dashboard_total_spent_comes_from_line_totals(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    by_lines = await make_repair(
        client,
        admin,
        customer.id,
        items=[{"description": "Screen", "unitPrice": "149.99"}],
        labour=[{"description": "Fitting", "hours": "0.50", "rate": "60.00"}],
    )
    by_hand = await make_repair(client, admin, customer.id, totalCost="40.00")
    still_open = await make_repair(
        client, admin, customer.id, items=[{"description": "X", "unitPrice": "999"}]
    )
    for repair in (by_lines, by_hand):
        await walk(
            client,
            admin,
            repair["id"],
            *TO_COMPLETED,
        )
    await walk(client, admin, still_open["id"], "diagnosing")

    response = await client.get("/api/v1/customer/dashboard/stats", headers=customer.headers)

    assert response.status_code == 200, response.text
    # 149.99 + 30.00 = 179.99; tax 15.9741125 → 15.97; 195.96 + 40.00 by hand
    assert str(exact(response)["totalSpent"]) == "235.96"
    assert await stored_totals(sessionmaker, by_lines["id"]) == ("179.99", "15.97", "195.96")
