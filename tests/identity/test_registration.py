"""Registration without enumeration (issue 9, item 6): ``POST /auth/register`` for an address that already
has an account answers exactly as for a new one, after the same work (one queued job), and the owner is
emailed instead; a staff address never becomes a customer account."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import func, select

from fixdesk.audit.service import Action
from fixdesk.customers.models import Customer
from fixdesk.platform.jobs.models import Job
from tests.conftest import unique_email
from tests.factories import make_customer, make_user
from tests.identity.conftest import Mailroom, audit_entries, body_of

REGISTER = "/api/v1/auth/register"
# Headers that differ between any two requests (their id, the rate-limit window's count), and the length,
# which follows the address the caller typed (checked against the body instead).
VARYING_HEADERS = {"x-request-id", "x-ratelimit-remaining", "x-ratelimit-reset", "content-length"}


def registration(email: str) -> dict[str, Any]:
    return {"email": email, "firstName": "Marta", "lastName": "Reis", "phoneNumber": "+351 912 345 678"}


def shape(response: httpx.Response, email: str) -> dict[str, Any]:
    """What a caller can observe of an answer, with the address it registered and the fresh id blanked."""
    body = response.json()
    return {
        "status": response.status_code,
        "headers": {k: v for k, v in response.headers.items() if k not in VARYING_HEADERS},
        "body": {**body, "message": body["message"].replace(email, "<email>"), "userId": "<id>"},
        "userId is a fresh UUID": uuid.UUID(body["userId"]).version == 7,
        "length is the body's": int(response.headers["content-length"]) == len(response.content),
    }


async def queued(sessionmaker: Any) -> list[tuple[str, str]]:
    async with sessionmaker() as session:
        rows = (await session.execute(select(Job.kind, Job.state).order_by(Job.created_at))).all()
    return [(row.kind, row.state) for row in rows]


async def customers(sessionmaker: Any) -> int:
    async with sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(Customer)) or 0


async def test_a_taken_address_gets_the_same_answer_and_its_owner_an_email(
    client, app, sessionmaker, mailroom: Mailroom
):
    existing = await make_customer(app, sessionmaker, first_name="Ana", language="pt")
    staff = await make_user(app, sessionmaker, "technician", first_name="Tomas")
    new_address = unique_email("new")
    taken_address = existing.email.upper()  # matched regardless of case
    jobs_before = await queued(sessionmaker)

    fresh = await client.post(REGISTER, json=registration(new_address))
    taken = await client.post(REGISTER, json=registration(taken_address))
    staff_taken = await client.post(REGISTER, json=registration(staff.email))

    assert shape(fresh, new_address) == shape(taken, taken_address.lower()) == shape(staff_taken, staff.email)
    assert fresh.status_code == 200
    # The same work for all three: one registration job each, nothing else, before any of them runs.
    assert await queued(sessionmaker) == [*jobs_before, *[("identity.register", "queued")] * 3]
    assert await customers(sessionmaker) == 1

    await mailroom.drain()

    # The new address became an account with the announced id; the taken ones did not.
    assert await customers(sessionmaker) == 2
    async with sessionmaker() as session:
        created = await session.get(Customer, uuid.UUID(fresh.json()["userId"]))
        assert created is not None
        assert created.email == new_address
        assert await session.get(Customer, uuid.UUID(taken.json()["userId"])) is None
        assert await session.get(Customer, uuid.UUID(staff_taken.json()["userId"])) is None
    [verification] = mailroom.emails(new_address)
    assert "verification code" in verification["Subject"]
    [to_customer] = mailroom.emails(existing.email)
    assert "registar-se com o seu endere" in to_customer["Subject"]  # in the customer's language
    text = body_of(to_customer)
    assert "Olá Ana" in text
    assert "/api/v1/auth/forgot-password" in text
    [to_staff] = mailroom.emails(staff.email)
    assert to_staff["Subject"].startswith("Someone tried to register with your address")
    assert "staff account" in body_of(to_staff)
    attempts = await audit_entries(sessionmaker, Action.registration_attempted)
    assert {(entry.target_id, entry.details["accountType"]) for entry in attempts} == {
        (existing.id, "customer"),
        (staff.id, "user"),
    }
    assert [entry.target_id for entry in await audit_entries(sessionmaker, Action.registered)] == [created.id]


async def test_registering_twice_sends_the_second_attempt_to_the_owner(client, sessionmaker, mailroom):
    address = unique_email("twice")

    first = await client.post(REGISTER, json=registration(address))
    second = await client.post(REGISTER, json=registration(address))
    await mailroom.drain()

    assert first.status_code == second.status_code == 200
    assert await customers(sessionmaker) == 1
    subjects = [message["Subject"] for message in mailroom.emails(address)]
    assert len(subjects) == 2
    assert any("verification code" in subject for subject in subjects)
    assert any("tried to register" in subject for subject in subjects)
