"""Passwordless customers: registration, emailed codes (verification and login), and the rules of codes
(hashed, 10 minutes, 5 tries, a new one voids the old, the development code only outside production).

Codes are read from the ``.eml`` files the real file provider writes when a worker runs the email jobs.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from fixdesk.app import create_app
from fixdesk.audit.service import NO_CLIENT
from fixdesk.config import ConfigurationError, Settings
from fixdesk.credentials.models import LoginCode
from fixdesk.customers.models import Customer
from fixdesk.db import transaction, utcnow
from fixdesk.identity import codes
from fixdesk.identity.login import REQUEST_CODE_JOB, SEND_CODE_JOB, issue_code_for_address
from fixdesk.models import Base
from fixdesk.platform.jobs import Job
from tests.conftest import TEST_SECRET, make_settings, unique_email
from tests.factories import make_customer, make_user
from tests.identity.conftest import (
    GENEROUS_AUTH_LIMIT,
    Mailroom,
    assert_problem,
    bearer_header,
    make_mailroom,
)

REGISTER = "/api/v1/auth/register"
VERIFY = "/api/v1/auth/verify-email"
LOGIN = "/api/v1/auth/login"
ME = "/api/v1/users/me"


def registration(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "email": unique_email("new"),
        "firstName": "Marta",
        "lastName": "Reis",
        "phoneNumber": "+351 912 345 678",
        "companyCustomerId": "CG123456",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


async def all_jobs(sessionmaker) -> list[Job]:
    async with sessionmaker() as session:
        return list((await session.execute(select(Job).order_by(Job.created_at, Job.id))).scalars())


async def codes_of(sessionmaker, customer_id) -> list[LoginCode]:
    async with sessionmaker() as session:
        statement = (
            select(LoginCode).where(LoginCode.customer_id == customer_id).order_by(LoginCode.created_at)
        )
        return list((await session.execute(statement)).scalars())


async def backdate_codes(sessionmaker, customer_id, age: timedelta) -> None:
    async with transaction(sessionmaker) as session:
        await session.execute(
            update(LoginCode).where(LoginCode.customer_id == customer_id).values(created_at=utcnow() - age)
        )


async def count_customers(sessionmaker) -> int:
    async with sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(Customer))


async def every_stored_value(sessionmaker) -> list[str]:
    """Every text and JSON value of every row of every table, as text (timestamps, numbers and ids are
    left out: a timestamp's microseconds could spell any six digits)."""
    values: list[str] = []
    async with sessionmaker() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(table.select())).all():
                values.extend(str(value) for value in row if isinstance(value, str | dict | list))
    return values


async def request_code(client, email: str) -> httpx.Response:
    response = await client.post(LOGIN, json={"email": email})
    assert response.status_code == 200, response.text
    return response


# --- registration ------------------------------------------------------------------------------------


async def test_register_creates_an_unverified_customer_and_emails_a_verification_code(
    client, sessionmaker, mailroom: Mailroom
):
    body = registration(email="Marta.Reis." + unique_email("x").upper())
    email = body["email"].lower()

    response = await client.post(REGISTER, json=body)

    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["success"] is True
    assert answer["message"] == f"Verification email sent to {email}"
    # The account is made by a job after the answer (tests/identity/test_registration.py says why).
    await mailroom.drain()
    async with sessionmaker() as session:
        customer = await session.get(Customer, uuid.UUID(answer["userId"]))
    assert customer is not None
    assert (customer.email, customer.first_name, customer.last_name) == (email, "Marta", "Reis")
    assert customer.phone == "+351912345678"
    assert customer.company_customer_id == "CG123456"
    assert customer.email_verified_at is None
    assert customer.portal_password_hash is None

    code = await mailroom.code_for(email)

    [message] = mailroom.emails(email)
    assert "verification code" in message["Subject"]
    [stored] = await codes_of(sessionmaker, customer.id)
    assert stored.purpose == "verification"
    assert stored.code_hash == codes.hash_code(TEST_SECRET, stored.id, code)
    # Neither the code nor an unkeyed hash of it is anywhere in the database (job payloads included).
    word = re.compile(rf"\b{code}\b")
    assert not any(word.search(value) for value in await every_stored_value(sessionmaker))


async def test_verify_email_returns_tokens_and_marks_the_customer_verified(client, sessionmaker, mailroom):
    body = registration()
    registered = (await client.post(REGISTER, json=body)).json()
    code = await mailroom.code_for(body["email"])

    response = await client.post(VERIFY, json={"email": body["email"], "code": code})

    assert response.status_code == 200, response.text
    tokens = response.json()
    assert tokens["tokenType"] == "Bearer"
    assert tokens["expiresIn"] == 900
    assert tokens["refreshExpiresIn"] == 86400
    assert tokens["refreshToken"].startswith("rt_")
    assert tokens["user"]["id"] == registered["userId"]
    assert tokens["user"]["email"] == body["email"]
    assert (tokens["user"]["firstName"], tokens["user"]["lastName"]) == ("Marta", "Reis")
    assert tokens["user"]["principalType"] == "customer"
    me = await client.get(ME, headers=bearer_header(tokens["accessToken"]))
    assert me.status_code == 200, me.text
    assert me.json()["verified"] is True
    assert me.json()["verifiedAt"] is not None
    assert me.json()["companyCustomerId"] == "CG123456"
    portal = await client.get("/api/v1/customer/repairs", headers=bearer_header(tokens["accessToken"]))
    assert portal.status_code == 200, portal.text
    # A code works once.
    again = await client.post(VERIFY, json={"email": body["email"], "code": code})
    assert_problem(again, 401, "UNAUTHORIZED")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param({"email": "not-an-email"}, "email", id="bad-email"),
        pytest.param({"email": "a" * 64 + "@" + "b" * 190 + ".com"}, "email", id="email-over-255"),
        pytest.param({"firstName": ""}, "firstName", id="empty-first-name"),
        pytest.param({"firstName": "x" * 101}, "firstName", id="long-first-name"),
        pytest.param({"lastName": "y" * 101}, "lastName", id="long-last-name"),
        pytest.param({"phoneNumber": "12"}, "phoneNumber", id="phone-not-a-number"),
        pytest.param({"phoneNumber": "+1 555 0100"}, "phoneNumber", id="phone-invalid"),
        pytest.param({"companyCustomerId": "CG123"}, "companyCustomerId", id="customer-id-short"),
        pytest.param({"companyCustomerId": "CG-123456"}, "companyCustomerId", id="customer-id-symbol"),
        pytest.param({"companyCustomerId": "C" * 21}, "companyCustomerId", id="customer-id-long"),
        pytest.param({"role": "admin"}, "role", id="unknown-field"),
    ],
)
async def test_register_validates_its_input(client, sessionmaker, overrides, field):
    response = await client.post(REGISTER, json=registration(**overrides))

    body = assert_problem(response, 400, "VALIDATION_ERROR")
    assert field in {error["field"] for error in body["errors"]}
    assert await count_customers(sessionmaker) == 0


async def test_register_without_the_optional_fields(client, sessionmaker, mailroom):
    response = await client.post(REGISTER, json=registration(phoneNumber=None, companyCustomerId=None))

    assert response.status_code == 200, response.text
    await mailroom.drain()
    async with sessionmaker() as session:
        customer = await session.get(Customer, uuid.UUID(response.json()["userId"]))
    assert customer is not None
    assert customer.phone is None
    assert customer.company_customer_id is None


# --- login codes -------------------------------------------------------------------------------------


async def test_login_code_requests_answer_the_same_for_known_unknown_and_staff_emails(
    client, app, sessionmaker, mailroom
):
    customer = await make_customer(app, sessionmaker)
    staff = await make_user(app, sessionmaker, "admin")
    unknown = unique_email("nobody")
    before = {job.id for job in await all_jobs(sessionmaker)}

    answers = {
        address: await request_code(client, address) for address in (customer.email, unknown, staff.email)
    }

    shapes = {
        (
            r.status_code,
            r.headers["content-type"],
            r.json()["success"],
            r.json()["message"].replace(a, "<email>"),
        )
        for a, r in answers.items()
    }
    assert len(shapes) == 1, shapes
    assert {tuple(r.json()) for r in answers.values()} == {("success", "message")}
    # Nor does the work the request does tell them apart (its time): for every address the request queues
    # one job of the same kind and nothing else; the job decides after the answer.
    queued = [job for job in await all_jobs(sessionmaker) if job.id not in before]
    assert [(job.kind, job.payload["email"]) for job in queued] == [
        (REQUEST_CODE_JOB, address) for address in answers
    ]
    assert await codes_of(sessionmaker, customer.id) == []
    await mailroom.drain()
    # Only the customer got a code: unknown addresses get nothing, staff sign in with their password.
    assert [m["To"] for m in mailroom.emails()] == [customer.email]
    assert len(await codes_of(sessionmaker, customer.id)) == 1


async def test_a_login_code_logs_a_customer_in(client, app, sessionmaker, mailroom):
    customer = await make_customer(app, sessionmaker)
    await request_code(client, customer.email.upper())
    code = await mailroom.code_for(customer.email)

    response = await client.post(VERIFY, json={"email": customer.email, "code": code, "rememberMe": True})

    assert response.status_code == 200, response.text
    assert response.json()["user"]["id"] == str(customer.id)
    assert response.json()["refreshExpiresIn"] == 30 * 86400
    [message] = mailroom.emails(customer.email)
    assert "login code" in message["Subject"]
    async with sessionmaker() as session:
        stored = await session.get(Customer, customer.id)
    assert stored is not None
    assert stored.email_verified_at is not None
    assert stored.last_login_at is not None


async def test_an_archived_customer_gets_no_code(client, app, sessionmaker, mailroom):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    await client.delete(f"/api/v1/customers/{customer.id}", headers=admin.headers)

    await request_code(client, customer.email)

    await mailroom.drain()
    assert mailroom.emails() == []


async def test_a_code_expires_after_10_minutes(client, app, sessionmaker, mailroom):
    customer = await make_customer(app, sessionmaker)
    await request_code(client, customer.email)
    code = await mailroom.code_for(customer.email)
    await backdate_codes(sessionmaker, customer.id, timedelta(minutes=9, seconds=50))
    # Control: still inside the 10 minutes, the code works.
    assert (await client.post(VERIFY, json={"email": customer.email, "code": code})).status_code == 200

    await request_code(client, customer.email)
    code = await mailroom.code_for(customer.email)
    await backdate_codes(sessionmaker, customer.id, timedelta(minutes=10, seconds=1))

    response = await client.post(VERIFY, json={"email": customer.email, "code": code})

    assert_problem(response, 401, "UNAUTHORIZED")


async def test_a_code_dies_after_five_wrong_tries(client, app, sessionmaker, mailroom):
    customer = await make_customer(app, sessionmaker)

    async def wrong_tries(code: str, count: int) -> None:
        wrong = f"{(int(code) + 1) % 10**6:06d}"
        for _ in range(count):
            response = await client.post(VERIFY, json={"email": customer.email, "code": wrong})
            assert_problem(response, 401, "UNAUTHORIZED")

    # Control: four wrong tries leave the code usable.
    await request_code(client, customer.email)
    code = await mailroom.code_for(customer.email)
    await wrong_tries(code, 4)
    assert (await client.post(VERIFY, json={"email": customer.email, "code": code})).status_code == 200

    await request_code(client, customer.email)
    code = await mailroom.code_for(customer.email)
    await wrong_tries(code, 5)

    response = await client.post(VERIFY, json={"email": customer.email, "code": code})

    assert_problem(response, 401, "UNAUTHORIZED")
    latest = (await codes_of(sessionmaker, customer.id))[-1]
    # The tries were counted although every one of those requests failed.
    assert latest.attempts == 5
    assert latest.voided_at is not None
    assert latest.used_at is None


async def test_a_new_code_voids_the_old_one(client, app, sessionmaker, mailroom):
    customer = await make_customer(app, sessionmaker)
    await request_code(client, customer.email)
    first = await mailroom.code_for(customer.email)
    await request_code(client, customer.email)
    second = await mailroom.code_for(customer.email)
    if first == second:  # one chance in a million
        pytest.skip("the two random codes happened to be equal")

    old = await client.post(VERIFY, json={"email": customer.email, "code": first})
    new = await client.post(VERIFY, json={"email": customer.email, "code": second})

    assert_problem(old, 401, "UNAUTHORIZED")
    assert new.status_code == 200, new.text
    stored = await codes_of(sessionmaker, customer.id)
    assert [c.voided_at is not None for c in stored] == [True, False]


async def test_only_the_newest_of_several_queued_codes_is_emailed(client, app, sessionmaker, mailroom):
    customer = await make_customer(app, sessionmaker)
    for _ in range(3):
        await request_code(client, customer.email)

    code = await mailroom.code_for(customer.email)

    assert len(mailroom.emails(customer.email)) == 1
    response = await client.post(VERIFY, json={"email": customer.email, "code": code})
    assert response.status_code == 200, response.text


async def test_verify_answers_the_same_for_an_unknown_email_and_a_wrong_code(
    client, app, sessionmaker, mailroom
):
    customer = await make_customer(app, sessionmaker)
    await request_code(client, customer.email)
    code = await mailroom.code_for(customer.email)
    wrong = f"{(int(code) + 1) % 10**6:06d}"

    unknown = await client.post(VERIFY, json={"email": unique_email("nobody"), "code": code})
    mistaken = await client.post(VERIFY, json={"email": customer.email, "code": wrong})
    no_code = await client.post(
        VERIFY, json={"email": (await make_customer(app, sessionmaker)).email, "code": code}
    )

    bodies = [assert_problem(r, 401, "UNAUTHORIZED") for r in (unknown, mistaken, no_code)]
    assert len({(b["title"], b["detail"]) for b in bodies}) == 1


@pytest.mark.parametrize("code", ["12345", "1234567", "12a456", ""])
async def test_verify_needs_six_digits(client, code):
    response = await client.post(VERIFY, json={"email": unique_email(), "code": code})

    body = assert_problem(response, 400, "VALIDATION_ERROR")
    assert [error["field"] for error in body["errors"]] == ["code"]


# --- the development code ----------------------------------------------------------------------------


async def test_the_development_code_is_sent_outside_production(database, database_url, tmp_path):
    settings = make_settings(
        database_url, tmp_path, env="development", dev_login_code="246810", **GENEROUS_AUTH_LIMIT
    )
    development = database.app(settings)
    mail = make_mailroom(settings, database)
    transport = httpx.ASGITransport(app=development, client=("127.0.0.1", 50001))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            body = registration()
            assert (await client.post(REGISTER, json=body)).status_code == 200
            code = await mail.code_for(body["email"])
            response = await client.post(VERIFY, json={"email": body["email"], "code": "246810"})
    finally:
        await mail.services.aclose()

    assert code == "246810"
    assert response.status_code == 200, response.text


def test_production_refuses_to_start_with_a_development_code(tmp_path):
    settings = Settings(
        env="production",
        data_dir=tmp_path,
        database_url="postgresql+asyncpg://fixdesk@127.0.0.1/fixdesk",
        secret_key=TEST_SECRET,
        dev_login_code="246810",
    )

    with pytest.raises(ConfigurationError, match="FIXDESK_DEV_LOGIN_CODE"):
        settings.check_production_safety()
    with pytest.raises(ConfigurationError, match="FIXDESK_DEV_LOGIN_CODE"):
        create_app(settings)
    # Control: the same production settings without the code are fine.
    settings.model_copy(update={"dev_login_code": None}).check_production_safety()


def test_codes_are_random_in_production_even_if_a_development_code_slipped_through(tmp_path):
    production = Settings(
        env="production", data_dir=tmp_path, secret_key=TEST_SECRET, dev_login_code="246810"
    )
    development = Settings(
        env="development", data_dir=tmp_path, secret_key=TEST_SECRET, dev_login_code="246810"
    )

    drawn = [codes.new_code(production) for _ in range(5)]

    assert all(re.fullmatch(r"\d{6}", code) for code in drawn)
    assert any(code != "246810" for code in drawn)
    assert codes.new_code(development) == "246810"


@pytest.mark.parametrize("value", ["12345", "abcdef", "1234567"])
def test_the_development_code_must_be_six_digits(tmp_path, value):
    with pytest.raises(ValueError, match="dev_login_code"):
        Settings(data_dir=tmp_path, dev_login_code=value)


# --- the code in the job payload ---------------------------------------------------------------------


async def code_jobs(sessionmaker) -> list[Job]:
    async with sessionmaker() as session:
        statement = select(Job).where(Job.kind == SEND_CODE_JOB).order_by(Job.created_at, Job.id)
        return list((await session.execute(statement)).scalars())


async def set_sealed(sessionmaker, job_id, sealed: str) -> None:
    async with transaction(sessionmaker) as session:
        job = await session.get(Job, job_id)
        job.payload = {**job.payload, "sealed": sealed}


async def issue_requested_codes(sessionmaker, settings: Settings, *emails: str) -> None:
    """Do what the job queued by a code request does (issue the code and queue its email job), without
    running the email job that follows, so a test can look at (and tamper with) that job first."""
    async with transaction(sessionmaker) as session:
        for address in emails:
            assert await issue_code_for_address(session, email=address, client=NO_CLIENT, settings=settings)


async def test_the_code_travels_encrypted_for_its_own_code_only(client, app, sessionmaker, mailroom):
    # Codes asked for by existing customers: the request's job issues the code and queues the email job
    # (a registration's code is queued by the registration job).
    first = {"email": (await make_customer(app, sessionmaker)).email}
    second = {"email": (await make_customer(app, sessionmaker)).email}
    await issue_requested_codes(sessionmaker, mailroom.settings, first["email"], second["email"])
    one, two = await code_jobs(sessionmaker)
    assert one.payload["sealed"].startswith("v1.")
    assert one.payload["sealed"] != two.payload["sealed"]
    # The first code's sealed value copied into the second code's job does not open there.
    await set_sealed(sessionmaker, two.id, one.payload["sealed"])

    await mailroom.drain()

    assert len(mailroom.emails(first["email"])) == 1
    assert mailroom.emails(second["email"]) == []
    _, failed = await code_jobs(sessionmaker)
    assert failed.state == "dead"
    assert "does not open" in failed.last_error


async def test_a_code_sealed_in_the_old_format_fails_once_asking_for_a_new_code(
    client, app, sessionmaker, mailroom
):
    body = {"email": (await make_customer(app, sessionmaker)).email}
    await issue_requested_codes(sessionmaker, mailroom.settings, body["email"])
    (job,) = await code_jobs(sessionmaker)
    # What the hand-made HMAC-XOR sealing of earlier versions put in the payload: 6 bytes, hex.
    await set_sealed(sessionmaker, job.id, "8c1f3a9b02d4")

    await mailroom.drain()

    assert mailroom.emails(body["email"]) == []
    (job,) = await code_jobs(sessionmaker)
    assert (job.state, job.attempts) == ("dead", 1)
    assert "the customer must request a new code" in job.last_error
    # Asking again works.
    await request_code(client, body["email"])
    assert await mailroom.code_for(body["email"])
