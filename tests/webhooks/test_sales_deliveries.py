"""Seed 002's "new order" and "new customer" on webhooks (issue 13, item 8): a subscription to
``order.created`` and ``customer.created`` receives both, signed, at a real receiver on 127.0.0.1."""

from __future__ import annotations

from tests.factories import make_user
from tests.sales.helpers import make_product, place_order
from tests.webhooks.test_deliveries import subscribe, verify


async def test_a_new_customer_and_their_order_reach_a_webhook_under_the_seed_names(
    app, client, sessionmaker, receiver, jobs
):
    admin = await make_user(app, sessionmaker, "admin")
    hook = await subscribe(client, admin, receiver.url(), ["order.created", "customer.created"])
    product = await make_product(client, admin, name="USB-C charger 20 W", price="19.90")
    customer = await client.post(
        "/api/v1/customers",
        json={"firstName": "Rita", "lastName": "Nunes", "email": "rita@example.com"},
        headers=admin.headers,
    )
    assert customer.status_code == 201, customer.text
    order = await place_order(client, admin, customer.json()["id"], (product["id"], 2), orderType="online")
    assert order.status_code == 201, order.text

    await jobs.drain()

    envelopes = [verify(request, hook["secret"]) for request in receiver.posts("/hooks")]
    by_name = {envelope["event"]: envelope["data"] for envelope in envelopes}
    assert sorted(by_name) == ["customer.created", "order.created"]
    assert len(envelopes) == 2
    assert (by_name["customer.created"]["id"], by_name["customer.created"]["email"]) == (
        customer.json()["id"],
        "rita@example.com",
    )
    placed = by_name["order.created"]
    assert (placed["orderId"], placed["customerId"], placed["customerName"]) == (
        order.json()["id"],
        customer.json()["id"],
        "Rita Nunes",
    )
    assert (placed["totalAmount"], placed["status"], placed["orderType"]) == (39.8, "pending", "online")
