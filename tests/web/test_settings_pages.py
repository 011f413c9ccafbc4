"""The settings pages over HTTP (SQLite): admins only (a technician or an agent gets 403 and no menu entry),
staff invitations, role changes and deactivation, webhooks with deliveries and redeliver, API clients with
the secret shown once and revoke, custom fields, the shop's details read-only."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from fixdesk.customfields.models import CustomFieldDefinition
from fixdesk.identity.models import ApiClient, User
from fixdesk.webhooks.models import WebhookDelivery, WebhookSubscription
from tests.conftest import make_settings
from tests.factories import make_user

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

SETTINGS_PAGES = [
    "/app/settings/staff",
    "/app/settings/webhooks",
    "/app/settings/api-clients",
    "/app/settings/custom-fields",
    "/app/settings/shop",
]


async def count(sessionmaker, model) -> int:
    async with sessionmaker() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


@pytest.mark.parametrize("role", ["technician", "agent", "manager"])
async def test_only_admins_open_settings_or_see_the_menu_entry(client, app, sessionmaker, role):
    user = await make_user(app, sessionmaker, role)

    pages = [await client.get(path, headers=user.headers) for path in SETTINGS_PAGES]
    invite = await client.post(
        "/app/settings/staff",
        data={"email": "new@example.com", "firstName": "N", "lastName": "N", "role": "admin"},
        headers=user.headers,
    )
    customers = await client.get("/app/customers", headers=user.headers)

    assert [page.status_code for page in pages] == [403] * len(SETTINGS_PAGES)
    assert invite.status_code == 403
    assert await count(sessionmaker, User) == 1
    assert customers.status_code == 200
    assert 'href="/app/settings"' not in customers.text


async def test_an_admin_sees_the_settings_menu_and_every_section(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")

    pages = [await client.get(path, headers=admin.headers) for path in SETTINGS_PAGES]

    assert [page.status_code for page in pages] == [200] * len(SETTINGS_PAGES)
    assert 'href="/app/settings"' in pages[0].text
    assert "Fixdesk Demo Repair" in pages[4].text
    assert "FIXDESK_SHOP_NAME" in pages[4].text  # read-only, and where it is set


async def test_staff_invite_change_role_and_deactivate(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    agent = await make_user(app, sessionmaker, "agent")

    refused = await client.post(
        "/app/settings/staff",
        data={"email": "nope", "firstName": "", "lastName": "X", "role": "agent"},
        headers=admin.headers,
    )
    invited = await client.post(
        "/app/settings/staff",
        data={"email": "tech@example.com", "firstName": "Tia", "lastName": "Tech", "role": "technician"},
        headers=admin.headers,
    )
    promoted = await client.post(
        f"/app/settings/staff/{agent.id}/role", data={"role": "manager"}, headers=admin.headers
    )
    deactivated = await client.post(f"/app/settings/staff/{agent.id}/deactivate", headers=admin.headers)
    last_admin = await client.post(f"/app/settings/staff/{admin.id}/deactivate", headers=admin.headers)
    page = await client.get("/app/settings/staff", headers=admin.headers)

    assert refused.status_code == 400
    assert 'id="email-error"' in refused.text
    assert 'id="firstName-error"' in refused.text
    assert (invited.status_code, promoted.status_code, deactivated.status_code) == (303, 303, 303)
    assert last_admin.status_code == 409
    async with sessionmaker() as session:
        users = {user.email: user for user in (await session.execute(select(User))).scalars()}
    assert set(users) == {admin.email, agent.email, "tech@example.com"}
    assert users["tech@example.com"].role == "technician"
    assert (users[agent.email].role, users[agent.email].is_active) == ("manager", False)
    assert users[admin.email].is_active
    assert "tech@example.com" in page.text
    assert "data-confirm=" in page.text  # deactivation asks first


async def test_webhooks_create_shows_the_secret_once_and_deliveries_can_be_redelivered(
    database, database_url, tmp_path, sessionmaker
):
    # A local endpoint (no name to resolve in a closed network), as tests/webhooks do.
    app = database.app(make_settings(database_url, tmp_path, webhooks_allow_private=True))
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        await _webhooks_walk(client, app, sessionmaker)


async def _webhooks_walk(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")

    refused = await client.post(
        "/app/settings/webhooks",
        data={"url": "ftp://nowhere", "events": ["no.such.event"]},
        headers=admin.headers,
    )
    created = await client.post(
        "/app/settings/webhooks",
        data={"url": "http://127.0.0.1:9/fixdesk", "events": ["*"]},
        headers=admin.headers,
    )
    listed = await client.get("/app/settings/webhooks", headers=admin.headers)

    assert refused.status_code == 400
    assert "alert-danger" in refused.text
    assert created.status_code == 200
    assert "whsec_" in created.text
    assert "whsec_" not in listed.text
    assert "http://127.0.0.1:9/fixdesk" in listed.text
    async with sessionmaker() as session:
        subscription = (await session.execute(select(WebhookSubscription))).scalar_one()
    test_ping = await client.post(f"/api/v1/webhooks/{subscription.id}/test", headers=admin.headers)
    assert test_ping.status_code in (200, 201, 202), test_ping.text
    deliveries = await client.get(f"/app/settings/webhooks/{subscription.id}", headers=admin.headers)
    assert "webhook.test" in deliveries.text
    async with sessionmaker() as session:
        delivery = (await session.execute(select(WebhookDelivery))).scalar_one()
    again = await client.post(
        f"/app/settings/webhooks/deliveries/{delivery.id}/redeliver", headers=admin.headers
    )
    assert again.status_code == 303
    assert again.headers["location"] == f"/app/settings/webhooks/{subscription.id}?saved=redelivered"


async def test_api_clients_show_the_secret_once_and_revoke(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")

    refused = await client.post("/app/settings/api-clients", data={"name": ""}, headers=admin.headers)
    created = await client.post(
        "/app/settings/api-clients",
        data={"name": "Accounting sync", "scopes": ["customers:read"]},
        headers=admin.headers,
    )
    listed = await client.get("/app/settings/api-clients", headers=admin.headers)

    assert refused.status_code == 400
    assert 'id="name-error"' in refused.text
    assert created.status_code == 200
    assert "Copy the client secret now" in created.text
    assert "Copy the client secret now" not in listed.text
    async with sessionmaker() as session:
        api_client = (await session.execute(select(ApiClient))).scalar_one()
    assert api_client.scopes == ["customers:read"]
    revoked = await client.post(f"/app/settings/api-clients/{api_client.id}/revoke", headers=admin.headers)
    assert revoked.status_code == 303
    async with sessionmaker() as session:
        assert (await session.get(ApiClient, api_client.id)).is_active is False


async def test_custom_fields_are_defined_and_refusals_store_nothing(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")

    defined = await client.post(
        "/app/settings/custom-fields",
        data={"entity": "repair", "key": "bay", "label": "Bay", "type": "select", "options": "A\nB"},
        headers=admin.headers,
    )
    no_options = await client.post(
        "/app/settings/custom-fields",
        data={"entity": "repair", "key": "colour", "label": "Colour", "type": "select"},
        headers=admin.headers,
    )
    taken = await client.post(
        "/app/settings/custom-fields",
        data={"entity": "repair", "key": "bay", "label": "Bay again", "type": "text"},
        headers=admin.headers,
    )
    page = await client.get("/app/settings/custom-fields", headers=admin.headers)

    assert defined.status_code == 303
    assert no_options.status_code == 400
    assert taken.status_code == 409
    assert 'id="key-error"' in taken.text
    assert await count(sessionmaker, CustomFieldDefinition) == 1
    assert "<code>bay</code>" in page.text
