"""An import publishes one ``catalog.price_changed`` event per created or changed price, in its transaction,
like a change through the API: integrators keeping a copy of the price list receive them as webhooks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from fixdesk.catalog.models import Pricing
from fixdesk.config import Settings
from fixdesk.platform.events import DomainEvent
from fixdesk.platform.jobs import Job
from fixdesk.platform.jobs.worker import Worker
from fixdesk.services import build_services
from tests.catalog.helpers import csv_bytes, imported
from tests.conftest import make_settings
from tests.factories import make_user
from tests.webhooks.receiver import Receiver


@pytest.fixture
async def settings(database_url: str, tmp_path: Any) -> Settings:
    return make_settings(database_url, tmp_path, webhooks_allow_private=True)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


def priced(part: str, price: str) -> dict[str, str]:
    return {
        "brand": "Apple",
        "model": "iPhone 13",
        "deviceType": "phone",
        "repairType": "Screen replacement",
        "partType": part,
        "price": price,
    }


async def test_imported_price_changes_reach_webhook_subscribers(
    app, client, sessionmaker, settings, receiver
):
    admin = await make_user(app, sessionmaker, "admin")
    hook = await client.post(
        "/api/v1/webhooks",
        json={"url": receiver.url(), "events": ["catalog.price_changed"]},
        headers=admin.headers,
    )
    assert hook.status_code == 201, hook.text

    first = csv_bytes(priced("OLED", "279.00"), priced("LCD", "149.00"))
    await imported(client, admin, first, filename="prices.csv")
    changed = csv_bytes(priced("OLED", "289.00"), priced("LCD", "149.00"))  # one change, one unchanged
    await imported(client, admin, changed, filename="prices.csv")

    async with sessionmaker() as session:
        events = list(
            (await session.execute(select(DomainEvent).order_by(DomainEvent.occurred_at))).scalars()
        )
        dispatches = list((await session.execute(select(Job).where(Job.kind == "events.dispatch"))).scalars())
        oled = (await session.execute(select(Pricing).where(Pricing.price == 289))).scalar_one()
    assert [event.name for event in events] == ["catalog.price_changed"] * 3
    assert {job.unique_key for job in dispatches} == {f"dispatch:{event.id}" for event in events}
    assert {job.payload["eventId"] for job in dispatches} == {str(event.id) for event in events}
    assert all(event.actor_id == admin.id for event in events)

    services = build_services(settings)
    try:
        worker = Worker(
            sessionmaker,
            settings=settings,
            services=services,
            # One job at a time: the test's sessions share one connection (tests/conftest.py).
            concurrency=1,
            poll_interval=0.05,
            run_periodic=False,
        )
        await worker.drain()
    finally:
        await services.aclose()

    delivered = [json.loads(request.body) for request in receiver.posts()]
    assert sorted((body["data"]["newPrice"], body["data"]["oldPrice"]) for body in delivered) == [
        (149.0, None),
        (279.0, None),
        (289.0, 279.0),
    ]
    change = next(body for body in delivered if body["data"]["oldPrice"] == 279.0)
    assert change["event"] == "catalog.price_changed"
    assert change["data"]["pricingId"] == str(oled.id)
    assert change["data"]["source"] == "import"
    assert change["data"]["reason"] == "CSV import of prices.csv, line 2"
