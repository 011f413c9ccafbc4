"""Webhook subscriptions through the API: the secret shown once, validation of events and URLs (no private
addresses unless allowed), permissions and the event catalogue."""

from __future__ import annotations

import base64
import ipaddress
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from fixdesk.app import create_app
from fixdesk.platform.crypto import Keyring
from fixdesk.webhooks.models import WebhookSubscription
from fixdesk.webhooks.targets import is_forbidden_address
from tests.conftest import make_settings
from tests.factories import make_user

ENDPOINT = "http://127.0.0.1:9/hooks"  # never called by these tests


@pytest.fixture
async def strict_client(database_url, tmp_path, engine) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app with the production default: private webhook addresses refused."""
    application = create_app(
        make_settings(database_url, tmp_path, webhooks_allow_private=False), engine=engine
    )
    transport = httpx.ASGITransport(app=application, client=("127.0.0.1", 50001))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def test_create_shows_the_secret_once_and_stores_the_owner(app, client, sessionmaker, settings):
    admin = await make_user(app, sessionmaker, "admin")

    response = await client.post(
        "/api/v1/webhooks",
        json={"url": ENDPOINT, "events": ["repair.created"], "description": "ERP sync"},
        headers=admin.headers,
    )

    assert response.status_code == 201, response.text
    created = response.json()
    assert created["url"] == ENDPOINT
    assert created["events"] == ["repair.created"]
    assert created["active"] is True
    assert created["createdById"] == str(admin.id)
    secret = created["secret"]
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) >= 24

    fetched = await client.get(f"/api/v1/webhooks/{created['id']}", headers=admin.headers)
    listed = await client.get("/api/v1/webhooks", headers=admin.headers)
    assert fetched.status_code == 200
    assert "secret" not in fetched.json()
    assert fetched.json()["description"] == "ERP sync"
    assert listed.json()["total"] == 1
    assert "secret" not in listed.json()["items"][0]
    assert secret not in fetched.text + listed.text
    async with sessionmaker() as session:
        stored = await session.get(WebhookSubscription, uuid.UUID(created["id"]))
    # Stored encrypted, bound to its row: only the server's key opens it.
    assert secret not in stored.secret_ciphertext
    assert stored.secret_ciphertext.startswith("v1.")
    assert stored.reveal_secret(Keyring.from_settings(settings)) == secret
    assert stored.created_by_id == admin.id


async def test_rotate_secret_returns_a_new_secret_once(app, client, sessionmaker, settings):
    admin = await make_user(app, sessionmaker, "admin")
    created = (
        await client.post("/api/v1/webhooks", json={"url": ENDPOINT, "events": ["*"]}, headers=admin.headers)
    ).json()

    rotated = await client.post(f"/api/v1/webhooks/{created['id']}/rotate-secret", headers=admin.headers)

    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["secret"]
    assert new_secret.startswith("whsec_")
    assert new_secret != created["secret"]
    assert rotated.json()["secretRotatedAt"] is not None
    async with sessionmaker() as session:
        stored = await session.get(WebhookSubscription, uuid.UUID(created["id"]))
    assert stored.reveal_secret(Keyring.from_settings(settings)) == new_secret
    fetched = await client.get(f"/api/v1/webhooks/{created['id']}", headers=admin.headers)
    assert new_secret not in fetched.text


async def test_unknown_event_names_are_rejected(app, client, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")

    response = await client.post(
        "/api/v1/webhooks",
        json={"url": ENDPOINT, "events": ["repair.created", "invoice.exploded"]},
        headers=admin.headers,
    )

    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert {"field": "events", "message": "Unknown event 'invoice.exploded'"} in response.json()["errors"]
    assert (await client.get("/api/v1/webhooks", headers=admin.headers)).json()["total"] == 0


async def test_star_takes_every_event_and_makes_other_names_redundant(app, client, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    response = await client.post(
        "/api/v1/webhooks", json={"url": ENDPOINT, "events": ["repair.created", "*"]}, headers=admin.headers
    )
    assert response.status_code == 201
    assert response.json()["events"] == ["*"]


async def test_urls_must_be_http_with_a_host(app, client, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    for url in ["ftp://127.0.0.1/hooks", "127.0.0.1/hooks", "http:///hooks", "http://127.0.0.1:99999/"]:
        response = await client.post(
            "/api/v1/webhooks", json={"url": url, "events": ["*"]}, headers=admin.headers
        )
        assert response.status_code == 400, url
        assert response.json()["errors"][0]["field"] == "url"


async def test_private_addresses_are_refused_unless_allowed(app, strict_client, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    refused = [
        "http://127.0.0.1/",
        "http://10.0.0.1/",
        "http://localhost:8080/hooks",
        "http://[::1]/hooks",
        "https://169.254.169.254/latest/meta-data",
        "http://0.0.0.0/",
    ]

    for url in refused:
        response = await strict_client.post(
            "/api/v1/webhooks", json={"url": url, "events": ["*"]}, headers=admin.headers
        )
        assert response.status_code == 400, (url, response.text)
        assert response.json()["errors"][0]["field"] == "url"
        assert "FIXDESK_WEBHOOKS_ALLOW_PRIVATE" in response.json()["detail"]

    async with sessionmaker() as session:
        assert (await session.execute(select(WebhookSubscription))).first() is None


async def test_a_public_address_is_accepted_and_updates_are_checked_too(app, strict_client, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    # A literal public address needs no DNS; nothing is sent because no worker runs in this test.
    created = await strict_client.post(
        "/api/v1/webhooks", json={"url": "https://8.8.8.8/hooks", "events": ["*"]}, headers=admin.headers
    )
    assert created.status_code == 201, created.text

    moved = await strict_client.patch(
        f"/api/v1/webhooks/{created.json()['id']}",
        json={"url": "http://192.168.1.10/"},
        headers=admin.headers,
    )

    assert moved.status_code == 400
    fetched = await strict_client.get(f"/api/v1/webhooks/{created.json()['id']}", headers=admin.headers)
    assert fetched.json()["url"] == "https://8.8.8.8/hooks"


@pytest.mark.parametrize(
    ("address", "forbidden"),
    [
        ("8.8.8.8", False),
        ("2606:4700:4700::1111", False),
        ("127.0.0.1", True),
        ("10.1.2.3", True),
        ("172.16.0.1", True),
        ("192.168.0.1", True),
        ("169.254.169.254", True),
        ("100.64.0.1", True),  # carrier-grade NAT
        ("224.0.0.1", True),
        ("240.0.0.1", True),
        ("0.0.0.0", True),  # noqa: S104 - an address to judge, not to bind
        ("::1", True),
        ("fe80::1", True),
        ("fc00::1", True),
        ("ff02::1", True),
        ("::", True),
        ("::ffff:10.0.0.1", True),
    ],
)
def test_forbidden_addresses(address, forbidden):
    assert is_forbidden_address(ipaddress.ip_address(address)) is forbidden


async def test_update_and_delete(app, client, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    created = (
        await client.post("/api/v1/webhooks", json={"url": ENDPOINT, "events": ["*"]}, headers=admin.headers)
    ).json()

    updated = await client.patch(
        f"/api/v1/webhooks/{created['id']}",
        json={"events": ["repair.completed", "repair.created"], "active": False, "description": None},
        headers=admin.headers,
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["events"] == ["repair.completed", "repair.created"]
    assert updated.json()["active"] is False
    bad = await client.patch(
        f"/api/v1/webhooks/{created['id']}", json={"events": ["nope"]}, headers=admin.headers
    )
    assert bad.status_code == 400

    deleted = await client.delete(f"/api/v1/webhooks/{created['id']}", headers=admin.headers)
    assert deleted.status_code == 204
    assert (await client.get(f"/api/v1/webhooks/{created['id']}", headers=admin.headers)).status_code == 404
    assert (
        await client.delete(f"/api/v1/webhooks/{created['id']}", headers=admin.headers)
    ).status_code == 404


async def test_only_admins_manage_webhooks(app, client, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    created = (
        await client.post("/api/v1/webhooks", json={"url": ENDPOINT, "events": ["*"]}, headers=admin.headers)
    ).json()
    hook = f"/api/v1/webhooks/{created['id']}"

    for role in ["manager", "technician", "agent"]:
        other = await make_user(app, sessionmaker, role)
        attempts = [
            await client.get("/api/v1/webhooks", headers=other.headers),
            await client.post(
                "/api/v1/webhooks", json={"url": ENDPOINT, "events": ["*"]}, headers=other.headers
            ),
            await client.get(hook, headers=other.headers),
            await client.patch(hook, json={"active": False}, headers=other.headers),
            await client.delete(hook, headers=other.headers),
            await client.post(f"{hook}/rotate-secret", headers=other.headers),
            await client.post(f"{hook}/test", headers=other.headers),
            await client.get(f"{hook}/deliveries", headers=other.headers),
        ]
        assert [r.status_code for r in attempts] == [403] * len(attempts), role

    assert (await client.get("/api/v1/webhooks")).status_code == 401
    fetched = await client.get(hook, headers=admin.headers)
    assert fetched.json()["active"] is True
    assert (await client.get("/api/v1/webhooks", headers=admin.headers)).json()["total"] == 1


async def test_the_event_catalogue_is_public_and_lists_payload_schemas(client):
    response = await client.get("/api/v1/webhooks/events")

    assert response.status_code == 200
    events = {entry["name"]: entry for entry in response.json()["events"]}
    assert {"repair.created", "repair.status_changed", "repair.completed", "webhook.test"} <= set(events)
    status_changed = events["repair.status_changed"]
    assert status_changed["description"]
    properties = status_changed["payloadSchema"]["properties"]
    assert {"id", "repairNumber", "fromStatus", "toStatus", "notifyCustomer"} <= set(properties)
    assert "subscriptionId" in events["webhook.test"]["payloadSchema"]["properties"]
