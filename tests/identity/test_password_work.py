"""Argon2 work off the event loop, and stored hashes kept at today's parameters.

A password check costs tens of milliseconds of CPU. Run on the event loop, a burst of sign-ins would hold
back every other request of the process; in the password pool the loop keeps serving. And when the
hashing parameters are raised, each account's stored hash is replaced at its next successful sign-in.
"""

from __future__ import annotations

import asyncio
import statistics
import time

import httpx
import pytest
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import update

from fixdesk.customers.models import Customer
from fixdesk.db import transaction
from fixdesk.identity.models import User
from fixdesk.platform.security import hash_password, verify_password
from tests.factories import make_customer, make_user

PASSWORD = "correct horse battery"
LOGIN = "/api/v1/auth/login"
# What an older release might have stored: Argon2id with less memory and fewer passes than today.
WEAKER = PasswordHash((Argon2Hasher(memory_cost=8 * 1024, time_cost=1, parallelism=1),))
# The parameter field of a PHC string made today: "$argon2id$v=19$m=…,t=…,p=…$salt$hash".
CURRENT_PARAMETERS = hash_password("any").split("$")[3]


async def load(sessionmaker, model, id_):
    async with sessionmaker() as session:
        return await session.get(model, id_)


async def test_a_hash_with_weaker_parameters_is_replaced_at_sign_in(client, app, sessionmaker):
    staff = await make_user(app, sessionmaker, "technician", password=PASSWORD)
    weak = WEAKER.hash(PASSWORD)
    async with transaction(sessionmaker) as session:
        await session.execute(update(User).where(User.id == staff.id).values(password_hash=weak))

    wrong = await client.post(LOGIN, json={"email": staff.email, "password": "not the password"})
    assert wrong.status_code == 401
    assert (await load(sessionmaker, User, staff.id)).password_hash == weak  # only a right password rehashes

    response = await client.post(LOGIN, json={"email": staff.email, "password": PASSWORD})

    assert response.status_code == 200, response.text
    stored = (await load(sessionmaker, User, staff.id)).password_hash
    assert stored != weak
    assert CURRENT_PARAMETERS in stored
    assert verify_password(PASSWORD, stored)
    # The new hash is what the next sign-in checks.
    again = await client.post(LOGIN, json={"email": staff.email, "password": PASSWORD})
    assert again.status_code == 200, again.text
    assert (await load(sessionmaker, User, staff.id)).password_hash == stored


async def test_a_customers_weaker_portal_hash_is_replaced_at_sign_in(client, app, sessionmaker):
    customer = await make_customer(app, sessionmaker, portal_password=PASSWORD)
    weak = WEAKER.hash(PASSWORD)
    async with transaction(sessionmaker) as session:
        await session.execute(
            update(Customer).where(Customer.id == customer.id).values(portal_password_hash=weak)
        )

    response = await client.post(LOGIN, json={"email": customer.email, "password": PASSWORD})

    assert response.status_code == 200, response.text
    stored = (await load(sessionmaker, Customer, customer.id)).portal_password_hash
    assert CURRENT_PARAMETERS in stored
    assert verify_password(PASSWORD, stored)


@pytest.mark.commits  # eight sign-ins at once need connections of their own
async def test_a_burst_of_logins_does_not_hold_back_a_health_check(client, app, sessionmaker, backend):
    """While eight sign-ins are verifying passwords, /health answers within about one hash's time
    (issue 9, item 2).

    The requests go through httpx's ASGI transport, in this test's own event loop: any password check run
    on the loop would stall the health checks behind it (eight checks in a row: several hashes' time).
    No absolute time is asserted: one verification is timed in this run, on this machine and load, and
    the health checks' latency is compared with it.
    """
    if backend != "postgresql":
        # On SQLite a sign-in's transaction holds the write lock, so the sign-ins take turns anyway and
        # their checks could never pile up on the loop: the burst would show nothing there.
        pytest.skip("concurrent sign-ins need PostgreSQL")
    staff = await make_user(app, sessionmaker, "technician", password=PASSWORD)
    # A first sign-in outside the measurement: the process's first request of a kind pays one-off costs
    # (statements compiled and cached, lazy imports) that are not what this test is about.
    warm = await client.post(LOGIN, json={"email": staff.email, "password": PASSWORD})
    assert warm.status_code == 200, warm.text
    stored = hash_password(PASSWORD)
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        assert verify_password(PASSWORD, stored)
        timings.append(time.perf_counter() - started)
    one_hash = statistics.median(timings)

    async def burst_of_logins() -> list[float]:
        """The latencies of the health checks made while eight sign-ins run."""
        burst = [
            asyncio.create_task(client.post(LOGIN, json={"email": staff.email, "password": PASSWORD}))
            for _ in range(8)
        ]
        latencies: list[float] = []
        while not all(task.done() for task in burst):
            started = time.perf_counter()
            # The health check may complete without ever suspending; give the loop back first, as a
            # request arriving over a socket would wait for it, and time both.
            await asyncio.sleep(0)
            health = await client.get("/health")
            latencies.append(time.perf_counter() - started)
            assert health.status_code == 200
        answers: list[httpx.Response] = await asyncio.gather(*burst)
        assert [answer.status_code for answer in answers] == [200] * 8
        assert len(latencies) >= 2, "the burst ended before a health check could overlap it"
        return latencies

    # On the loop, the checks of a burst would run back to back: several hashes' time for some health
    # check, in every burst. In the pool, a check waits at most for the loop's share of the sign-ins
    # (queries, tokens). A machine shared with other work (the rest of the suite on the other core) can
    # deschedule the process for a moment in one burst, so the best of three bursts is judged: blocking
    # work would hold back every one of them.
    bound = 2 * one_hash + 0.1
    tries: list[list[float]] = []
    for _ in range(3):
        tries.append(await burst_of_logins())
        if max(tries[-1]) < bound:
            break
    latencies = min(tries, key=max)
    slowest = sorted(latencies, reverse=True)[:5]
    assert max(latencies) < 2 * one_hash + 0.1, f"one hash {one_hash:.3f} s, slowest health checks {slowest}"
