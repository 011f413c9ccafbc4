"""The public tracking link, as JSON (issue 5, item 8): ``GET /api/v1/track/{token}`` shows a repair's
progress to whoever holds its unguessable link, and nothing personal beyond the customer's first name."""

from __future__ import annotations

import base64
import string
from collections import Counter

import httpx
import pytest

from fixdesk.repairs.models import TRACKING_TOKEN_BYTES, new_tracking_token
from tests.factories import make_customer, make_repair, make_user, stored_repair, walk
from tests.repairs.tracking.conftest import PUBLIC_BASE_URL, SHOP, token_of, tracking_settings

URL_SAFE_ALPHABET = set(string.ascii_letters + string.digits + "-_")

IMEI = "490154203237518"
SERIAL = "F2LXK0SECRET9"
ISSUE = "Dropped in the bath on Tuesday; Face ID broken"
STAFF_NOTE = "Internal: battery swollen, customer owes 180 from last visit"
MONEY_WORDS = ("cost", "total", "price", "deposit", "balance", "amount", "tax")


async def tracking(client, token: str):
    return await client.get(f"/api/v1/track/{token}")


async def make_scene(client, app, sessionmaker, **customer_fields):
    """A customer with every kind of personal data and a delivered repair whose history has staff notes."""
    staff = await make_user(app, sessionmaker, "manager", first_name="Tereza", last_name="Quintanilha")
    values = {
        "first_name": "Ana",
        "last_name": "Zwierzchowska",
        "phone": "+1 415 555 0123",
        "address_line1": "12 Rua das Flores",
        "city": "Porto",
        "notes": "VIP, prefers calls",
        **customer_fields,
    }
    customer = await make_customer(app, sessionmaker, **values)
    repair = await make_repair(
        client,
        staff,
        customer.id,
        imei=IMEI,
        serialNumber=SERIAL,
        issueDescription=ISSUE,
        totalCost="187.45",
        deposit="37.45",
        estimatedCompletion="2026-11-30",
    )
    for status in ("diagnosing", "quoted", "approved", "repairing", "testing", "completed", "delivered"):
        response = await client.put(
            f"/api/v1/repairs/{repair['id']}/status",
            json={"status": status, "notes": STAFF_NOTE, "notifyCustomer": False},
            headers=staff.headers,
        )
        assert response.status_code == 200, response.text
    return staff, customer, response.json()


async def test_the_link_shows_progress_and_shop_contact(client, app, sessionmaker):
    _, _, repair = await make_scene(client, app, sessionmaker)

    response = await tracking(client, token_of(repair))

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {
        "repairNumber",
        "status",
        "statusLabel",
        "language",
        "deviceBrand",
        "deviceModel",
        "customerFirstName",
        "estimatedCompletion",
        "completedAt",
        "deliveredAt",
        "history",
        "shop",
    }
    stored = await stored_repair(sessionmaker, repair["id"])
    assert body["repairNumber"] == repair["repairNumber"]
    assert (body["status"], body["statusLabel"], body["language"]) == ("delivered", "Collected", "en")
    assert (body["deviceBrand"], body["deviceModel"]) == ("Apple", "iPhone 13")
    assert body["customerFirstName"] == "Ana"
    assert body["estimatedCompletion"].startswith("2026-11-30T23:59:59")
    assert body["completedAt"] == repair["actualCompletion"]
    assert body["shop"] == {
        "name": SHOP["shop_name"],
        "phone": SHOP["shop_phone"],
        "email": SHOP["shop_email"],
    }
    assert [(step["status"], step["label"]) for step in body["history"]] == [
        ("received", "Received"),
        ("diagnosing", "Diagnosing"),
        ("quoted", "Quote ready"),
        ("approved", "Quote approved"),
        ("repairing", "In repair"),
        ("testing", "Testing"),
        ("completed", "Ready for pickup"),
        ("delivered", "Collected"),
    ]
    assert [set(step) for step in body["history"]] == [{"status", "label", "at"}] * 8
    assert [step["at"] for step in body["history"]] == [
        entry["createdAt"] for entry in repair["statusHistory"]
    ]
    assert body["deliveredAt"] == body["history"][-1]["at"]
    assert stored is not None
    assert stored.history[-1].to_status == "delivered"


async def test_the_link_carries_no_personal_data_beyond_the_first_name(client, app, sessionmaker):
    staff, customer, repair = await make_scene(client, app, sessionmaker)

    response = await tracking(client, token_of(repair))

    assert response.status_code == 200
    text = response.text
    for secret in (
        "Zwierzchowska",  # last name
        customer.email,
        "4155550123",  # phone, in any format
        "Rua das Flores",
        "Porto",
        "VIP",
        IMEI,
        SERIAL,
        ISSUE,
        "Face ID",
        STAFF_NOTE,
        "battery swollen",
        "Tereza",  # the staff member who changed the status
        "Quintanilha",
        str(staff.id),
        str(customer.id),
        repair["id"],
        "187.45",  # the total (no seconds field of a timestamp can spell it)
    ):
        assert secret not in text, f"{secret!r} leaked into the tracking answer"
    # No prices at all: an amount owed by a named person is personal financial data.
    keys = set(response.json()) | {key for step in response.json()["history"] for key in step}
    assert not {key for key in keys if any(word in key.lower() for word in MONEY_WORDS)}


async def test_answers_tell_caches_and_browsers_to_keep_the_link_secret(client, app, sessionmaker):
    staff = await make_user(app, sessionmaker, "manager")
    customer = await make_customer(app, sessionmaker)
    repair = await make_repair(client, staff, customer.id)

    response = await tracking(client, token_of(repair))

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-robots-tag"] == "noindex, nofollow"


async def test_an_open_repair_shows_its_estimate_and_no_completion(client, app, sessionmaker):
    staff = await make_user(app, sessionmaker, "manager")
    customer = await make_customer(app, sessionmaker)
    repair = await make_repair(client, staff, customer.id, estimatedCompletion="2026-12-24T15:00:00Z")
    await walk(client, staff, repair["id"], "diagnosing")

    body = (await tracking(client, token_of(repair))).json()

    assert (body["status"], body["statusLabel"]) == ("diagnosing", "Diagnosing")
    assert body["estimatedCompletion"] == "2026-12-24T15:00:00Z"
    assert (body["completedAt"], body["deliveredAt"]) == (None, None)
    assert [step["status"] for step in body["history"]] == ["received", "diagnosing"]


async def test_labels_are_in_the_customers_language(client, app, sessionmaker):
    staff = await make_user(app, sessionmaker, "manager")
    customer = await make_customer(app, sessionmaker, first_name="João", language="pt")
    repair = await make_repair(client, staff, customer.id)
    await walk(client, staff, repair["id"], "diagnosing", "quoted", "approved", "waiting_parts")

    body = (await tracking(client, token_of(repair))).json()

    assert (body["language"], body["customerFirstName"]) == ("pt", "João")
    assert (body["status"], body["statusLabel"]) == ("waiting_parts", "A aguardar peças")
    assert [step["label"] for step in body["history"]] == [
        "Recebido",
        "Em diagnóstico",
        "Orçamento pronto",
        "Orçamento aprovado",
        "A aguardar peças",
    ]


async def test_an_unknown_link_is_404_and_says_nothing_about_existing_repairs(client, app, sessionmaker):
    staff = await make_user(app, sessionmaker, "manager")
    customer = await make_customer(app, sessionmaker)
    repair = await make_repair(client, staff, customer.id)
    token = token_of(repair)
    assert (await tracking(client, token)).status_code == 200

    swapped = token.swapcase()
    assert swapped != token, "a generated token without letters is astronomically unlikely"
    candidates = [
        new_tracking_token(),  # well-formed, but no repair has it
        swapped,  # tokens are case-sensitive
        token[:-1],
        token + "A",
        token[:16],
        "a" * 64,
        "a" * 65,
        "not a token!",
        "R-2026-000001",  # the repair number is not a key to the link
        repair["repairNumber"],
        repair["id"],
    ]
    details = set()
    for candidate in candidates:
        response = await tracking(client, candidate)
        assert response.status_code == 404, (candidate, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        problem = response.json()
        assert problem["code"] == "NOT_FOUND"
        details.add(problem["detail"])
        assert repair["repairNumber"] not in problem["detail"]
    assert len(details) == 1, f"unknown links must all get the same answer, got {details}"


async def test_generated_tokens_are_long_random_and_distinct(client, app, sessionmaker):
    staff = await make_user(app, sessionmaker, "manager")
    customer = await make_customer(app, sessionmaker)
    repairs = [await make_repair(client, staff, customer.id) for _ in range(25)]

    tokens = [token_of(repair) for repair in repairs]
    assert len(set(tokens)) == len(tokens)
    for repair, token in zip(repairs, tokens, strict=True):
        assert repair["trackingUrl"] == f"{PUBLIC_BASE_URL}/track/{token}"
        assert len(token) == 32
        assert set(token) <= URL_SAFE_ALPHABET
        assert len(base64.urlsafe_b64decode(token)) == TRACKING_TOKEN_BYTES == 24  # 192 random bits
        # Nothing about the repair can be read from it.
        assert repair["repairNumber"].split("-")[-1] not in token
        assert repair["id"].replace("-", "")[:8] not in token
        stored = await stored_repair(sessionmaker, repair["id"])
        assert stored is not None
        assert stored.repair.tracking_token == token


def test_token_characters_are_uniformly_distributed():
    tokens = [new_tracking_token() for _ in range(20_000)]

    assert len(set(tokens)) == len(tokens)
    counts = Counter("".join(tokens))
    # 640,000 characters over 64 symbols: 10,000 each expected, standard deviation about 99. A bound of
    # ±1,000 is ten deviations (never hit by chance) yet fails at once for a skewed or short alphabet.
    assert set(counts) == URL_SAFE_ALPHABET
    assert all(9_000 < count < 11_000 for count in counts.values()), counts.most_common(3)
    # Every position varies too (no fixed prefix or suffix).
    for position in range(32):
        assert len({token[position] for token in tokens[:2_000]}) == 64


async def test_the_link_costs_two_queries_whatever_the_history_length(
    client, app, sessionmaker, statement_counter
):
    staff = await make_user(app, sessionmaker, "manager")
    customer = await make_customer(app, sessionmaker)
    short = await make_repair(client, staff, customer.id)
    long = await make_repair(client, staff, customer.id)
    await walk(client, staff, long["id"], "diagnosing", "quoted", "approved", "repairing", "testing")
    await walk(client, staff, long["id"], "repairing", "testing", "repairing", "testing", "completed")

    statement_counter.reset()
    assert (await tracking(client, token_of(short))).status_code == 200
    short_count = statement_counter.count
    statement_counter.reset()
    response = await tracking(client, token_of(long))
    assert len(response.json()["history"]) == 11

    assert statement_counter.count == short_count == 2


async def test_guessing_links_is_held_back_by_the_anonymous_rate_limit(database, database_url, tmp_path):
    limited = database.app(
        tracking_settings(database_url, tmp_path / "limited", rate_limit_anonymous="3/minute")
    )
    transport = httpx.ASGITransport(app=limited, client=("198.51.100.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as guesser:
        answers = [(await tracking(guesser, new_tracking_token())).status_code for _ in range(4)]

    assert answers == [404, 404, 404, 429]


@pytest.mark.parametrize("role", ["customer", "technician"])
async def test_the_link_answers_the_same_with_or_without_a_login(client, app, sessionmaker, role):
    staff = await make_user(app, sessionmaker, "manager")
    customer = await make_customer(app, sessionmaker)
    repair = await make_repair(client, staff, customer.id)
    someone = (
        await make_customer(app, sessionmaker)
        if role == "customer"
        else await make_user(app, sessionmaker, "technician")
    )

    anonymous = (await tracking(client, token_of(repair))).json()
    signed_in = await client.get(f"/api/v1/track/{token_of(repair)}", headers=someone.headers)

    assert signed_in.status_code == 200
    assert signed_in.json() == anonymous
