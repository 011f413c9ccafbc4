"""The activity and audit log: what is recorded (with actor, IP and user agent), that failures are
recorded although the request fails, and the two read endpoints with their permissions and filters."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import update

from fixdesk.audit.models import AuditEvent
from fixdesk.audit.service import Action
from fixdesk.db import transaction, utcnow
from tests.conftest import unique_email
from tests.factories import make_customer, make_user
from tests.identity.conftest import assert_problem, audit_entries, bearer_header

PASSWORD = "correct horse battery"
LOGIN = "/api/v1/auth/login"
VERIFY = "/api/v1/auth/verify-email"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
AUDIT = "/api/v1/audit"
BROWSER = {"User-Agent": "AuditTest/1.0 (browser)"}


def activity_url(customer_id: uuid.UUID) -> str:
    return f"/api/v1/customers/{customer_id}/activity"


async def test_password_logins_are_recorded_whether_they_succeed_or_fail(client, app, sessionmaker):
    user = await make_user(app, sessionmaker, "agent", password=PASSWORD)
    unknown = unique_email("nobody")

    ok = await client.post(LOGIN, json={"email": user.email, "password": PASSWORD}, headers=BROWSER)
    wrong = await client.post(LOGIN, json={"email": user.email, "password": "guess"}, headers=BROWSER)
    nobody = await client.post(LOGIN, json={"email": unknown, "password": "guess"}, headers=BROWSER)

    assert ok.status_code == 200
    assert wrong.status_code == 401
    assert nobody.status_code == 401
    [success] = await audit_entries(sessionmaker, Action.login_succeeded)
    assert (success.actor_type, success.actor_id, success.target_type, success.target_id) == (
        "user",
        user.id,
        "user",
        user.id,
    )
    assert (success.ip_address, success.user_agent) == ("127.0.0.1", "AuditTest/1.0 (browser)")
    assert success.details["method"] == "password"
    assert success.details["sessionId"]
    failures = await audit_entries(sessionmaker, Action.login_failed)
    assert [(f.target_id, f.details) for f in failures] == [
        (user.id, {"method": "password", "reason": "wrong_password"}),
        (None, {"method": "password", "reason": "unknown_account", "email": unknown}),
    ]
    assert all(
        (f.actor_type, f.ip_address, f.user_agent) == ("anonymous", "127.0.0.1", BROWSER["User-Agent"])
        for f in failures
    )


async def test_the_passwordless_journey_is_in_the_customers_activity(client, app, sessionmaker, mailroom):
    body = {"email": unique_email("new"), "firstName": "Marta", "lastName": "Reis"}
    customer_id = uuid.UUID(
        (await client.post("/api/v1/auth/register", json=body, headers=BROWSER)).json()["userId"]
    )
    code = await mailroom.code_for(body["email"])
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    assert (await client.post(VERIFY, json={"email": body["email"], "code": wrong})).status_code == 401
    tokens = (await client.post(VERIFY, json={"email": body["email"], "code": code}, headers=BROWSER)).json()
    await client.post(LOGIN, json={"email": body["email"]})
    await mailroom.drain()  # the code request is carried out after the answer, by a job
    await client.patch(
        "/api/v1/users/me", json={"firstName": "Marta Sofia"}, headers=bearer_header(tokens["accessToken"])
    )
    await client.post(LOGOUT, headers=bearer_header(tokens["accessToken"]))

    entries = await audit_entries(sessionmaker, customer_id=customer_id)

    assert [e.action for e in entries] == [
        Action.registered,
        Action.login_failed,
        Action.email_verified,
        Action.login_succeeded,
        Action.login_code_requested,
        Action.profile_updated,
        Action.logout,
    ]
    failed = entries[1]
    assert failed.details == {"method": "code", "reason": "wrong_code"}
    assert entries[3].details["method"] == "code"
    assert entries[5].details == {"fields": ["firstName"]}
    assert all(e.target_id == customer_id for e in entries)


async def test_session_revocations_and_a_compromised_family_are_recorded(client, app, sessionmaker):
    tech = await make_user(app, sessionmaker, "technician", password=PASSWORD)
    first = (await client.post(LOGIN, json={"email": tech.email, "password": PASSWORD})).json()
    other = (await client.post(LOGIN, json={"email": tech.email, "password": PASSWORD})).json()
    third = (await client.post(LOGIN, json={"email": tech.email, "password": PASSWORD})).json()
    await client.post(REFRESH, json={"refreshToken": first["refreshToken"]})
    reused = await client.post(REFRESH, json={"refreshToken": first["refreshToken"]}, headers=BROWSER)
    listed = (
        await client.get("/api/v1/users/me/sessions", headers=bearer_header(third["accessToken"]))
    ).json()
    other_session = next(s["id"] for s in listed["items"] if not s["current"])
    ended_response = await client.delete(
        f"/api/v1/users/me/sessions/{other_session}", headers=bearer_header(third["accessToken"])
    )
    revoked = await client.post("/api/v1/auth/revoke-all", headers=bearer_header(third["accessToken"]))

    assert reused.status_code == 403
    assert ended_response.status_code == 200
    assert_problem(
        await client.post(REFRESH, json={"refreshToken": other["refreshToken"]}), 401, "UNAUTHORIZED"
    )
    assert revoked.json()["revokedCount"] == 1
    [compromised] = await audit_entries(sessionmaker, Action.token_family_compromised)
    assert (compromised.target_id, compromised.user_agent) == (tech.id, BROWSER["User-Agent"])
    [ended] = await audit_entries(sessionmaker, Action.session_revoked)
    assert (ended.actor_id, ended.details) == (tech.id, {"sessionId": other_session})
    [everything] = await audit_entries(sessionmaker, Action.sessions_revoked)
    assert (everything.actor_id, everything.details) == (tech.id, {"revokedCount": 1})


async def test_customer_activity_is_for_staff_with_customers_read(client, app, sessionmaker):
    customer = await make_customer(app, sessionmaker, portal_password=PASSWORD)
    other = await make_customer(app, sessionmaker, portal_password=PASSWORD)
    for account in (customer, other, customer):
        assert (
            await client.post(LOGIN, json={"email": account.email, "password": PASSWORD})
        ).status_code == 200
    technician = await make_user(app, sessionmaker, "technician")

    response = await client.get(activity_url(customer.id), headers=technician.headers, params={"pageSize": 1})

    assert response.status_code == 200, response.text
    page = response.json()
    assert (page["total"], page["totalPages"], len(page["items"])) == (2, 2, 1)
    entry = page["items"][0]
    assert (entry["action"], entry["customerId"], entry["actorType"]) == (
        "auth.login_succeeded",
        str(customer.id),
        "customer",
    )
    assert entry["ipAddress"] == "127.0.0.1"
    assert_problem(await client.get(activity_url(customer.id), headers=customer.headers), 403, "FORBIDDEN")
    assert_problem(await client.get(activity_url(customer.id)), 401, "UNAUTHORIZED")
    assert_problem(await client.get(activity_url(uuid.uuid4()), headers=technician.headers), 404, "NOT_FOUND")


@pytest.mark.parametrize("role", ["manager", "technician", "agent"])
async def test_the_audit_log_is_for_admins_only(client, app, sessionmaker, role):
    caller = await make_user(app, sessionmaker, role)
    customer = await make_customer(app, sessionmaker)

    assert_problem(await client.get(AUDIT, headers=caller.headers), 403, "FORBIDDEN")
    assert_problem(await client.get(AUDIT, headers=customer.headers), 403, "FORBIDDEN")
    admin = await make_user(app, sessionmaker, "admin")
    assert (await client.get(AUDIT, headers=admin.headers)).status_code == 200


async def test_the_audit_log_filters(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    tech = await make_user(app, sessionmaker, "technician")
    agent = await make_user(app, sessionmaker, "agent")
    await client.patch(f"/api/v1/users/{tech.id}", json={"role": "manager"}, headers=admin.headers)
    await client.patch(f"/api/v1/users/{agent.id}", json={"isActive": False}, headers=admin.headers)
    await client.patch("/api/v1/users/me", json={"timezone": "Europe/Lisbon"}, headers=tech.headers)
    # One entry from last week, to filter by date.
    async with transaction(sessionmaker) as session:
        await session.execute(
            update(AuditEvent)
            .where(AuditEvent.action == Action.deactivated.value)
            .values(created_at=utcnow() - timedelta(days=7))
        )

    async def ids(**params: str) -> list[tuple[str, str]]:
        response = await client.get(AUDIT, params=params, headers=admin.headers)
        assert response.status_code == 200, response.text
        return [(item["action"], item["targetId"]) for item in response.json()["items"]]

    today = utcnow().date()
    assert await ids() == [
        ("account.profile_updated", str(tech.id)),
        ("user.role_changed", str(tech.id)),
        ("user.deactivated", str(agent.id)),
    ]
    assert await ids(actorId=str(admin.id)) == [
        ("user.role_changed", str(tech.id)),
        ("user.deactivated", str(agent.id)),
    ]
    assert await ids(targetId=str(agent.id)) == [("user.deactivated", str(agent.id))]
    assert await ids(action="user.role_changed") == [("user.role_changed", str(tech.id))]
    assert await ids(dateFrom=today.isoformat()) == [
        ("account.profile_updated", str(tech.id)),
        ("user.role_changed", str(tech.id)),
    ]
    assert await ids(dateTo=(today - timedelta(days=1)).isoformat()) == [("user.deactivated", str(agent.id))]
    last_week = (utcnow() - timedelta(days=8)).isoformat()
    assert await ids(dateFrom=last_week, dateTo=(today - timedelta(days=6)).isoformat()) == [
        ("user.deactivated", str(agent.id))
    ]
    bad = await client.get(AUDIT, params={"dateFrom": "last tuesday"}, headers=admin.headers)
    assert assert_problem(bad, 400, "VALIDATION_ERROR")["errors"][0]["field"] == "dateFrom"
