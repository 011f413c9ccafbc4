"""The pickup message states what the customer still owes (issue 12, item 7): the repair's total less its
deposit, in the email and in the SMS, in the customer's language; nothing is said when nothing is owed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fixdesk.messaging.models import Notification
from tests.conftest import make_settings
from tests.factories import TO_COMPLETED, make_customer, make_repair, make_user, settle, walk

pytestmark = pytest.mark.usefixtures("fixed_clock")


@pytest.fixture
async def settings(database_url, tmp_path):
    return make_settings(database_url, tmp_path, tax_rate="0")


async def pickup_messages(sessionmaker, customer_id) -> dict[str, Notification]:
    async with sessionmaker() as session:
        rows = await session.execute(
            select(Notification).where(
                Notification.customer_id == customer_id, Notification.event == "repair_ready_pickup"
            )
        )
        return {row.channel: row for row in rows.scalars()}


async def ready(client, app, sessionmaker, staff, customer, unit_price, deposit):
    repair = await make_repair(
        client,
        staff,
        customer.id,
        items=[{"description": "Screen assembly", "unitPrice": unit_price}],
        deposit=deposit,
    )
    await walk(client, staff, repair["id"], *TO_COMPLETED[:-1])
    response = await client.put(
        f"/api/v1/repairs/{repair['id']}/status",
        json={"status": "completed", "notifyCustomer": True},
        headers=staff.headers,
    )
    assert response.status_code == 200, response.text
    await settle(app)
    return await pickup_messages(sessionmaker, customer.id)


async def test_the_pickup_email_and_sms_state_the_balance_due(client, app, sessionmaker):
    staff = await make_user(app, sessionmaker, "manager")
    customer = await make_customer(app, sessionmaker, phone="+15125550123")
    messages = await ready(client, app, sessionmaker, staff, customer, "324.00", "20.00")

    assert set(messages) == {"email", "sms"}
    assert messages["email"].variables["balance_due"] == "$304.00"
    assert "Balance due at pickup: $304.00." in messages["email"].body_preview
    assert "Balance due: $304.00." in messages["sms"].body_preview


async def test_in_portuguese_and_not_when_the_deposit_covers_it(client, app, sessionmaker):
    staff = await make_user(app, sessionmaker, "manager")
    maria = await make_customer(app, sessionmaker, phone=None, language="pt")
    [email] = (await ready(client, app, sessionmaker, staff, maria, "50.00", "20.00")).values()
    assert "Valor a pagar no levantamento: US$ 30,00." in email.body_preview, email.body_preview

    paid_up = await make_customer(app, sessionmaker, phone=None)
    [email] = (await ready(client, app, sessionmaker, staff, paid_up, "20.00", "20.00")).values()
    assert email.variables["balance_due"] is None
    assert "Balance due" not in email.body_preview
