"""API clients and the OAuth2 client-credentials grant: admins manage clients (secret shown once, stored
hashed, rotatable), ``POST /api/v1/oauth/token`` answers per RFC 6749 §4.4/§5.1/§5.2, and a client token
can do exactly what its scopes allow."""

from __future__ import annotations

import base64
import hashlib
import uuid
from typing import Any
from urllib.parse import quote_plus

import httpx
import pytest
from sqlalchemy import select

from fixdesk.config import Settings
from fixdesk.customers.models import Customer
from fixdesk.db import Base, transaction
from fixdesk.identity.api_clients.schemas import ApiClientCreate
from fixdesk.identity.api_clients.service import create_client
from fixdesk.identity.models import ApiClient
from fixdesk.webhooks.models import WebhookSubscription
from tests.conftest import make_settings
from tests.factories import make_customer, make_repair, make_user
from tests.identity.conftest import GENEROUS_AUTH_LIMIT, assert_problem, bearer_header

TOKEN = "/api/v1/oauth/token"
CLIENTS = "/api/v1/api-clients"


@pytest.fixture
async def settings(database_url: str, tmp_path: Any) -> Settings:
    """Generous auth limit (many token requests from one address); webhooks may point at 127.0.0.1."""
    return make_settings(database_url, tmp_path, webhooks_allow_private=True, **GENEROUS_AUTH_LIMIT)


async def register_client(client: httpx.AsyncClient, admin: Any, *scopes: str, name: str = "ERP") -> dict:
    response = await client.post(CLIENTS, json={"name": name, "scopes": list(scopes)}, headers=admin.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def request_token(client: httpx.AsyncClient, registered: dict, **extra: str) -> httpx.Response:
    data = {
        "grant_type": "client_credentials",
        "client_id": registered["clientId"],
        "client_secret": registered["clientSecret"],
        **extra,
    }
    return await client.post(TOKEN, data=data)


async def client_headers(client: httpx.AsyncClient, registered: dict, **extra: str) -> dict[str, str]:
    response = await request_token(client, registered, **extra)
    assert response.status_code == 200, response.text
    return bearer_header(response.json()["access_token"])


def basic(client_id: str, client_secret: str) -> dict[str, str]:
    # RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
    raw = f"{quote_plus(client_id)}:{quote_plus(client_secret)}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def assert_oauth_error(response: httpx.Response, status: int, error: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["error"] == error
    assert body["error_description"]


# --- managing clients ----------------------------------------------------------------------------------


async def test_the_secret_is_shown_once_and_stored_only_as_a_hash(client, app, sessionmaker, database):
    admin = await make_user(app, sessionmaker, "admin")

    created = await register_client(client, admin, "customers:read", "repairs:read")

    secret = created["clientSecret"]
    assert created["clientId"].startswith("fdc_")
    assert created["scopes"] == ["customers:read", "repairs:read"]
    assert created["isActive"] is True
    assert created["createdById"] == str(admin.id)
    one = await client.get(f"{CLIENTS}/{created['id']}", headers=admin.headers)
    listed = await client.get(CLIENTS, headers=admin.headers)
    assert one.status_code == 200
    assert listed.status_code == 200
    assert one.json()["clientId"] == created["clientId"]
    assert [item["id"] for item in listed.json()["items"]] == [created["id"]]
    for response in (one, listed):
        assert "clientSecret" not in response.text
        assert secret not in response.text
    async with sessionmaker() as session:
        row = (await session.execute(select(ApiClient))).scalar_one()
        assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    # Nowhere in the database: every row of every table, as text.
    async with database.begin() as connection:
        for table in Base.metadata.sorted_tables:
            for stored in (await connection.execute(table.select())).all():
                assert secret not in repr(tuple(stored)), table.name


async def test_only_admins_manage_clients_and_scopes_must_be_permissions(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    manager = await make_user(app, sessionmaker, "manager")

    refused = await client.post(CLIENTS, json={"name": "x", "scopes": []}, headers=manager.headers)
    unknown = await client.post(
        CLIENTS, json={"name": "x", "scopes": ["customers:read", "everything"]}, headers=admin.headers
    )

    assert_problem(refused, 403, "FORBIDDEN")
    body = assert_problem(unknown, 400, "VALIDATION_ERROR")
    assert body["errors"][0]["field"] == "scopes"
    assert (await client.get(CLIENTS, headers=admin.headers)).json()["total"] == 0


# --- the token endpoint --------------------------------------------------------------------------------


async def test_a_token_from_the_form_body_follows_rfc_6749(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    registered = await register_client(client, admin, "customers:read", "repairs:read")

    response = await request_token(client, registered)

    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == int(app.state.tokens.lifetime.total_seconds())
    assert body["scope"] == "customers:read repairs:read"
    me = await client.get("/api/v1/customers", headers=bearer_header(body["access_token"]))
    assert me.status_code == 200
    async with sessionmaker() as session:
        assert (await session.execute(select(ApiClient))).scalar_one().last_used_at is not None


async def test_a_token_with_http_basic_client_authentication(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    registered = await register_client(client, admin, "customers:read")

    response = await client.post(
        TOKEN,
        data={"grant_type": "client_credentials"},
        headers=basic(registered["clientId"], registered["clientSecret"]),
    )
    wrong = await client.post(
        TOKEN, data={"grant_type": "client_credentials"}, headers=basic(registered["clientId"], "nope")
    )

    assert response.status_code == 200, response.text
    assert response.json()["scope"] == "customers:read"
    assert_oauth_error(wrong, 401, "invalid_client")
    assert wrong.headers["www-authenticate"].startswith("Basic")


async def test_bad_credentials_grants_and_scopes_get_rfc_6749_errors(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    registered = await register_client(client, admin, "customers:read")

    wrong_secret = await request_token(client, {**registered, "clientSecret": "fds_guess"})
    unknown_client = await request_token(client, {**registered, "clientId": "fdc_nobody"})
    no_secret = await client.post(
        TOKEN, data={"grant_type": "client_credentials", "client_id": registered["clientId"]}
    )
    wrong_grant = await request_token(client, registered, grant_type="password")
    no_grant = await client.post(
        TOKEN, data={"client_id": registered["clientId"], "client_secret": registered["clientSecret"]}
    )
    json_body = await client.post(TOKEN, json={"grant_type": "client_credentials"})
    not_granted = await request_token(client, registered, scope="customers:read repairs:read")

    for response in (wrong_secret, unknown_client, no_secret):
        assert_oauth_error(response, 401, "invalid_client")
        assert "www-authenticate" not in response.headers
    assert_oauth_error(wrong_grant, 400, "unsupported_grant_type")
    assert_oauth_error(no_grant, 400, "invalid_request")
    assert_oauth_error(json_body, 400, "invalid_request")
    assert_oauth_error(not_granted, 400, "invalid_scope")


async def test_a_requested_scope_narrows_what_the_token_can_do(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    registered = await register_client(client, admin, "customers:read", "repairs:read")

    response = await request_token(client, registered, scope="customers:read")

    assert response.json()["scope"] == "customers:read"
    headers = bearer_header(response.json()["access_token"])
    assert (await client.get("/api/v1/customers", headers=headers)).status_code == 200
    assert_problem(await client.get("/api/v1/repairs", headers=headers), 403, "FORBIDDEN")


# --- what a client token may do ------------------------------------------------------------------------


async def test_a_client_can_do_exactly_what_its_scopes_allow(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    await make_customer(app, sessionmaker)
    headers = await client_headers(client, await register_client(client, admin, "customers:read"))

    listed = await client.get("/api/v1/customers", headers=headers)
    created = await client.post(
        "/api/v1/customers",
        json={"firstName": "A", "lastName": "B", "email": "a@example.com"},
        headers=headers,
    )

    assert listed.status_code == 200
    assert listed.json()["total"] == 1
    assert_problem(created, 403, "FORBIDDEN")
    assert_problem(await client.get("/api/v1/repairs", headers=headers), 403, "FORBIDDEN")
    assert_problem(await client.get(CLIENTS, headers=headers), 403, "FORBIDDEN")
    # Not a customer: the portal is closed to it. Not an account: no profile or sessions.
    assert_problem(await client.get("/api/v1/customer/profile", headers=headers), 403, "FORBIDDEN")
    assert_problem(await client.get("/api/v1/users/me", headers=headers), 403, "FORBIDDEN")
    async with sessionmaker() as session:
        assert len((await session.execute(select(Customer))).scalars().all()) == 1


async def test_a_client_with_repairs_update_changes_repairs_and_its_webhooks_have_no_owner(
    client, app, sessionmaker
):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair = await make_repair(client, admin, customer.id)
    registered = await register_client(client, admin, "repairs:read", "repairs:update", "webhooks:manage")
    headers = await client_headers(client, registered)

    changed = await client.patch(
        f"/api/v1/repairs/{repair['id']}", json={"issueDescription": "Cracked screen"}, headers=headers
    )
    hook = await client.post(
        "/api/v1/webhooks", json={"url": "http://127.0.0.1:9/hooks", "events": ["*"]}, headers=headers
    )

    assert changed.status_code == 200, changed.text
    assert changed.json()["issueDescription"] == "Cracked screen"
    assert hook.status_code == 201, hook.text
    async with sessionmaker() as session:
        subscription = await session.get(WebhookSubscription, uuid.UUID(hook.json()["id"]))
        assert subscription is not None
        assert subscription.created_by_id is None


async def test_rotating_the_secret_stops_the_old_one_at_once(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    registered = await register_client(client, admin, "customers:read")

    rotated = await client.post(f"{CLIENTS}/{registered['id']}/rotate-secret", headers=admin.headers)

    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["clientSecret"]
    assert new_secret != registered["clientSecret"]
    assert rotated.json()["clientId"] == registered["clientId"]
    assert_oauth_error(await request_token(client, registered), 401, "invalid_client")
    assert (await request_token(client, {**registered, "clientSecret": new_secret})).status_code == 200


async def test_deactivating_a_client_ends_its_live_tokens(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    registered = await register_client(client, admin, "customers:read")
    headers = await client_headers(client, registered)
    assert (await client.get("/api/v1/customers", headers=headers)).status_code == 200

    deleted = await client.delete(f"{CLIENTS}/{registered['id']}", headers=admin.headers)

    assert deleted.status_code == 204
    assert_problem(await client.get("/api/v1/customers", headers=headers), 401, "UNAUTHORIZED")
    assert_oauth_error(await request_token(client, registered), 401, "invalid_client")
    shown = await client.get(f"{CLIENTS}/{registered['id']}", headers=admin.headers)
    assert shown.json()["isActive"] is False
    reactivated = await client.patch(
        f"{CLIENTS}/{registered['id']}", json={"isActive": True}, headers=admin.headers
    )
    assert reactivated.status_code == 200
    assert (await client.get("/api/v1/customers", headers=headers)).status_code == 200


async def test_removing_a_scope_takes_it_from_live_tokens(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    registered = await register_client(client, admin, "customers:read")
    headers = await client_headers(client, registered)

    changed = await client.patch(
        f"{CLIENTS}/{registered['id']}", json={"name": "Renamed", "scopes": []}, headers=admin.headers
    )

    assert changed.status_code == 200
    assert changed.json()["name"] == "Renamed"
    assert changed.json()["scopes"] == []
    assert_problem(await client.get("/api/v1/customers", headers=headers), 403, "FORBIDDEN")


async def test_the_service_creates_a_client_without_a_creator(app, sessionmaker):
    async with transaction(sessionmaker) as session:
        api_client, secret = await create_client(
            session, ApiClientCreate(name="CLI", scopes=[]), creator=None
        )
    assert api_client.created_by_id is None
    assert api_client.scopes == []
    assert api_client.secret_hash == hashlib.sha256(secret.encode()).hexdigest()


async def test_the_token_endpoint_is_rate_limited_like_the_auth_endpoints(
    database_url, tmp_path, database, sessionmaker
):
    app = database.app(make_settings(database_url, tmp_path, rate_limit_auth="2/minute"))
    admin = await make_user(app, sessionmaker, "admin")
    transport = httpx.ASGITransport(app=app, client=("198.51.100.20", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        registered = await register_client(http, admin, "customers:read")
        assert (await request_token(http, registered)).status_code == 200
        assert (await request_token(http, registered)).status_code == 200
        refused = await request_token(http, registered)
    assert_problem(refused, 429, "RATE_LIMIT_EXCEEDED")
    assert "retry-after" in refused.headers
