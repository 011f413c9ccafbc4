"""Roles, permission strings and how endpoints enforce them: a valid token without the permission is 403."""

from __future__ import annotations

import pytest

from fixdesk.analytics.permissions import ANALYTICS_READ
from fixdesk.bootstrap import load_domains
from fixdesk.catalog.permissions import CATALOG_READ, CATALOG_WRITE
from fixdesk.customers.permissions import CUSTOMERS_READ, CUSTOMERS_WRITE
from fixdesk.customfields.permissions import CUSTOM_FIELDS_MANAGE, CUSTOM_FIELDS_READ
from fixdesk.identity.models import Role
from fixdesk.identity.permissions import (
    CUSTOMER_PERMISSIONS,
    USERS_MANAGE,
    USERS_READ,
    all_permissions,
    permission_table,
    permissions_for,
    role_permissions,
)
from fixdesk.repairs.permissions import (
    ATTACHMENTS_WRITE,
    REPAIRS_ASSIGN,
    REPAIRS_CREATE,
    REPAIRS_READ,
    REPAIRS_UPDATE,
)
from tests.conftest import unique_email
from tests.factories import make_customer, make_repair, make_user

PROBLEM_JSON = "application/problem+json"

# The table is built from the installed domains' manifests.
load_domains()


def assert_forbidden(response) -> None:
    assert response.status_code == 403, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert response.json()["code"] == "FORBIDDEN"


# --- the role table (no database) --------------------------------------------------------------------


def test_every_role_has_a_permission_set():
    assert set(permission_table().roles) == {role.value for role in Role}
    assert all(granted <= all_permissions() for granted in permission_table().roles.values())


def test_admin_holds_every_permission():
    assert role_permissions(Role.admin) == all_permissions()
    assert {USERS_MANAGE, CUSTOMERS_WRITE, REPAIRS_ASSIGN} <= role_permissions(Role.admin)


def test_manager_runs_the_shop_but_does_not_manage_users():
    manager = role_permissions(Role.manager)
    assert USERS_MANAGE not in manager
    assert {
        CUSTOMERS_READ,
        CUSTOMERS_WRITE,
        REPAIRS_READ,
        REPAIRS_CREATE,
        REPAIRS_UPDATE,
        REPAIRS_ASSIGN,
    } <= (manager)


def test_technician_works_repairs_but_cannot_write_customers_create_or_assign():
    technician = role_permissions(Role.technician)
    assert {CUSTOMERS_READ, REPAIRS_READ, REPAIRS_UPDATE} <= technician
    assert CUSTOMERS_WRITE not in technician
    assert REPAIRS_CREATE not in technician
    assert REPAIRS_ASSIGN not in technician
    assert USERS_MANAGE not in technician


def test_agent_takes_devices_in_but_does_not_work_the_bench():
    agent = role_permissions(Role.agent)
    assert {CUSTOMERS_READ, CUSTOMERS_WRITE, REPAIRS_READ, REPAIRS_CREATE} <= agent
    assert REPAIRS_UPDATE not in agent
    assert REPAIRS_ASSIGN not in agent
    assert USERS_MANAGE not in agent


@pytest.mark.parametrize("role", [role.value for role in Role])
def test_every_staff_role_reads_the_catalog_and_custom_fields_and_attaches_photos(role):
    assert {CATALOG_READ, CUSTOM_FIELDS_READ, ATTACHMENTS_WRITE} <= role_permissions(role)


def test_only_managers_and_admins_change_the_catalog_and_read_analytics():
    for role in (Role.admin, Role.manager):
        assert {CATALOG_WRITE, ANALYTICS_READ} <= role_permissions(role)
    for role in (Role.technician, Role.agent):
        assert not {CATALOG_WRITE, ANALYTICS_READ} & role_permissions(role)


def test_only_admins_define_custom_fields():
    assert [role for role in Role if CUSTOM_FIELDS_MANAGE in role_permissions(role)] == [Role.admin]


def test_customers_hold_only_the_portal_permission():
    assert set(CUSTOMER_PERMISSIONS) == {"portal:self"}
    assert not CUSTOMER_PERMISSIONS & all_permissions()


@pytest.mark.parametrize("role", [role.value for role in Role])
def test_every_staff_role_may_read_repairs_and_customers(role):
    assert {REPAIRS_READ, CUSTOMERS_READ, USERS_READ} <= role_permissions(role)


def test_permissions_for_adds_known_extra_grants_and_ignores_unknown_ones():
    granted = permissions_for("technician", [CUSTOMERS_WRITE, "bogus:grant", "portal:self"])

    assert granted == role_permissions(Role.technician) | {CUSTOMERS_WRITE}
    assert permissions_for("technician") == role_permissions(Role.technician)
    assert permissions_for("no-such-role", [REPAIRS_READ]) == frozenset({REPAIRS_READ})
    assert permissions_for("no-such-role") == frozenset()


# --- enforcement over HTTP ---------------------------------------------------------------------------


async def test_technician_cannot_create_customers(client, app, sessionmaker):
    tech = await make_user(app, sessionmaker, "technician")
    admin = await make_user(app, sessionmaker, "admin")
    body = {"firstName": "Ana", "lastName": "Silva", "email": unique_email("customer")}

    refused = await client.post("/api/v1/customers", json=body, headers=tech.headers)

    assert_forbidden(refused)
    assert CUSTOMERS_WRITE in refused.json()["detail"]
    listed = await client.get("/api/v1/customers", headers=tech.headers)
    assert listed.status_code == 200, listed.text
    assert listed.json()["total"] == 0
    # The same request succeeds for a role that holds the permission.
    created = await client.post("/api/v1/customers", json=body, headers=admin.headers)
    assert created.status_code == 201, created.text


async def test_agent_cannot_assign_a_technician(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    agent = await make_user(app, sessionmaker, "agent")
    tech = await make_user(app, sessionmaker, "technician")
    customer = await make_customer(app, sessionmaker)
    repair = await make_repair(client, agent, customer.id)
    url = f"/api/v1/repairs/{repair['id']}/assign"

    refused = await client.post(url, json={"technicianId": str(tech.id)}, headers=agent.headers)

    assert_forbidden(refused)
    unchanged = await client.get(f"/api/v1/repairs/{repair['id']}", headers=agent.headers)
    assert unchanged.status_code == 200, unchanged.text
    assert unchanged.json()["technician"] is None
    assigned = await client.post(url, json={"technicianId": str(tech.id)}, headers=admin.headers)
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["technician"]["id"] == str(tech.id)


@pytest.mark.parametrize("path", ["/api/v1/repairs", "/api/v1/customers"])
async def test_customer_token_on_a_staff_endpoint_is_forbidden(client, app, sessionmaker, path):
    customer = await make_customer(app, sessionmaker)

    response = await client.get(path, headers=customer.headers)

    assert_forbidden(response)


async def test_customer_token_cannot_create_staff_resources(client, app, sessionmaker):
    customer = await make_customer(app, sessionmaker)

    response = await client.post(
        "/api/v1/customers",
        json={"firstName": "Eve", "lastName": "Intruder", "email": unique_email("eve")},
        headers=customer.headers,
    )

    assert_forbidden(response)


@pytest.mark.parametrize(
    "path", ["/api/v1/customer/repairs", "/api/v1/customer/profile", "/api/v1/customer/dashboard/stats"]
)
async def test_staff_token_on_a_portal_endpoint_is_forbidden(client, app, sessionmaker, path):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)

    refused = await client.get(path, headers=admin.headers)

    assert_forbidden(refused)
    # The control: the portal answers the customer it is meant for.
    allowed = await client.get(path, headers=customer.headers)
    assert allowed.status_code == 200, allowed.text


@pytest.mark.parametrize("path", ["/api/v1/repairs", "/api/v1/customers", "/api/v1/customer/repairs"])
async def test_protected_endpoints_without_a_token_are_unauthorized(client, path):
    response = await client.get(path)

    assert response.status_code == 401, response.text
    assert response.json()["code"] == "UNAUTHORIZED"
