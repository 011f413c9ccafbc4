"""Customer reviews (issue 5, item 8): a customer rates their own completed repair once, 1–5 with a
comment; the ``repair.reviewed`` event commits with it; staff see it in the repair detail; an account
erasure clears the comment and keeps the rating."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from fixdesk.customers.service import anonymise_customer
from fixdesk.db import transaction
from fixdesk.platform.events import DomainEvent
from fixdesk.repairs.models import RepairReview
from tests.factories import (
    TO_COMPLETED,
    count_rows,
    events_named,
    make_customer,
    make_repair,
    make_user,
    settle,
    walk,
)
from tests.repairs.tracking.conftest import completed_repair


def review_url(repair_id: str | uuid.UUID) -> str:
    return f"/api/v1/customer/repairs/{repair_id}/review"


async def reviews_in_database(sessionmaker) -> list[RepairReview]:
    async with sessionmaker() as session:
        return list((await session.execute(select(RepairReview).order_by(RepairReview.created_at))).scalars())


async def review_events(sessionmaker) -> list[DomainEvent]:
    return await events_named(sessionmaker, "repair.reviewed")


async def assert_nothing_written(sessionmaker) -> None:
    assert await count_rows(sessionmaker, RepairReview) == 0
    assert await review_events(sessionmaker) == []


async def test_a_customer_rates_their_completed_repair_once(client, app, sessionmaker):
    staff = await make_user(app, sessionmaker, "manager")
    customer = await make_customer(app, sessionmaker)
    repair = await completed_repair(client, staff, customer.id)

    response = await client.post(
        review_url(repair["id"]),
        json={"rating": 4, "comment": "Quick and friendly; the screen looks new."},
        headers=customer.headers,
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"id", "repairId", "customerId", "rating", "comment", "createdAt"}
    assert (body["repairId"], body["customerId"]) == (repair["id"], str(customer.id))
    assert (body["rating"], body["comment"]) == (4, "Quick and friendly; the screen looks new.")
    [row] = await reviews_in_database(sessionmaker)
    assert (str(row.id), row.rating, row.comment) == (body["id"], 4, body["comment"])
    assert (str(row.repair_id), row.customer_id) == (repair["id"], customer.id)
    [event] = await review_events(sessionmaker)
    assert event.customer_id == customer.id
    assert event.actor_id is None  # a customer, not a staff member
    assert event.payload == {
        "id": body["id"],
        "repairId": repair["id"],
        "repairNumber": repair["repairNumber"],
        "customerId": str(customer.id),
        "rating": 4,
        "comment": "Quick and friendly; the screen looks new.",
        "createdAt": body["createdAt"],
    }

    again = await client.post(review_url(repair["id"]), json={"rating": 1}, headers=customer.headers)

    assert again.status_code == 409
    assert again.json()["code"] == "CONFLICT"
    assert "already been reviewed" in again.json()["detail"]
    [still] = await reviews_in_database(sessionmaker)
    assert still.rating == 4
    assert len(await review_events(sessionmaker)) == 1


async def test_a_delivered_repair_can_be_rated_and_the_comment_is_optional(client, app, sessionmaker):
    staff = await make_user(app, sessionmaker, "manager")
    customer = await make_customer(app, sessionmaker)
    repair = await completed_repair(client, staff, customer.id)
    await walk(client, staff, repair["id"], "delivered")

    response = await client.post(review_url(repair["id"]), json={"rating": 5}, headers=customer.headers)

    assert response.status_code == 201, response.text
    assert (response.json()["rating"], response.json()["comment"]) == (5, None)
    [event] = await review_events(sessionmaker)
    assert event.payload["comment"] is None


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ((), "received"),
        (("diagnosing", "quoted", "approved", "repairing"), "repairing"),
        (TO_COMPLETED[:-1], "testing"),
        (("cancelled",), "cancelled"),
    ],
)
async def test_only_a_completed_or_delivered_repair_can_be_rated(client, app, sessionmaker, path, status):
    staff = await make_user(app, sessionmaker, "manager")
    customer = await make_customer(app, sessionmaker)
    repair = await make_repair(client, staff, customer.id)
    await walk(client, staff, repair["id"], *path)

    response = await client.post(review_url(repair["id"]), json={"rating": 5}, headers=customer.headers)

    assert response.status_code == 409
    problem = response.json()
    assert problem["code"] == "CONFLICT"
    assert f"'{status}'" in problem["detail"]
    assert problem["currentStatus"] == status
    await assert_nothing_written(sessionmaker)


async def test_another_customers_repair_cannot_be_rated_or_read(client, app, sessionmaker):
    staff = await make_user(app, sessionmaker, "manager")
    owner = await make_customer(app, sessionmaker)
    stranger = await make_customer(app, sessionmaker)
    repair = await completed_repair(client, staff, owner.id)

    for repair_id in (repair["id"], uuid.uuid4()):
        posted = await client.post(review_url(repair_id), json={"rating": 1}, headers=stranger.headers)
        assert posted.status_code == 404
        assert posted.json()["code"] == "NOT_FOUND"
    await assert_nothing_written(sessionmaker)

    assert (
        await client.post(review_url(repair["id"]), json={"rating": 5}, headers=owner.headers)
    ).status_code == 201
    read = await client.get(review_url(repair["id"]), headers=stranger.headers)
    assert read.status_code == 404
    assert "rating" not in read.text


@pytest.mark.parametrize(
    "body",
    [
        {"rating": 0},
        {"rating": 6},
        {"rating": -1},
        {"rating": 4.5},
        {"rating": 4.0},
        {"rating": "5"},
        {"rating": True},
        {"rating": None},
        {},
        {"comment": "No rating"},
        {"rating": 5, "comment": "x" * 2001},
        {"rating": 5, "customerId": str(uuid.uuid4())},
        {"rating": 5, "repairId": str(uuid.uuid4())},
    ],
)
async def test_a_bad_review_is_400_and_changes_nothing(client, app, sessionmaker, body):
    staff = await make_user(app, sessionmaker, "manager")
    customer = await make_customer(app, sessionmaker)
    repair = await completed_repair(client, staff, customer.id)

    response = await client.post(review_url(repair["id"]), json=body, headers=customer.headers)

    assert response.status_code == 400, response.text
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert response.json()["errors"]
    await assert_nothing_written(sessionmaker)


async def test_comment_limits_and_blank_comments(client, app, sessionmaker):
    staff = await make_user(app, sessionmaker, "manager")
    customer = await make_customer(app, sessionmaker)
    longest = await completed_repair(client, staff, customer.id)
    blank = await completed_repair(client, staff, customer.id)

    first = await client.post(
        review_url(longest["id"]), json={"rating": 1, "comment": "é" * 2000}, headers=customer.headers
    )
    second = await client.post(
        review_url(blank["id"]), json={"rating": 2, "comment": "   "}, headers=customer.headers
    )

    assert (first.status_code, second.status_code) == (201, 201)
    by_repair = {str(row.repair_id): row for row in await reviews_in_database(sessionmaker)}
    assert by_repair[longest["id"]].comment == "é" * 2000
    assert by_repair[blank["id"]].comment is None
    assert (by_repair[longest["id"]].rating, by_repair[blank["id"]].rating) == (1, 2)


async def test_the_customer_reads_their_review(client, app, sessionmaker):
    staff = await make_user(app, sessionmaker, "manager")
    customer = await make_customer(app, sessionmaker)
    repair = await completed_repair(client, staff, customer.id)

    before = await client.get(review_url(repair["id"]), headers=customer.headers)
    assert before.status_code == 404
    assert "not been reviewed" in before.json()["detail"]

    created = await client.post(
        review_url(repair["id"]), json={"rating": 3, "comment": "Fine"}, headers=customer.headers
    )
    read = await client.get(review_url(repair["id"]), headers=customer.headers)

    assert read.status_code == 200
    assert read.json() == created.json()


async def test_staff_see_the_review_in_the_repair_detail(client, app, sessionmaker):
    staff = await make_user(app, sessionmaker, "technician")
    manager = await make_user(app, sessionmaker, "manager")
    customer = await make_customer(app, sessionmaker)
    repair = await completed_repair(client, manager, customer.id)
    assert repair["review"] is None

    created = await client.post(
        review_url(repair["id"]), json={"rating": 5, "comment": "Great"}, headers=customer.headers
    )

    staff_view = (await client.get(f"/api/v1/repairs/{repair['id']}", headers=staff.headers)).json()
    assert staff_view["review"] == created.json()
    portal_view = (
        await client.get(f"/api/v1/customer/repairs/{repair['id']}", headers=customer.headers)
    ).json()
    assert portal_view["review"] == created.json()


async def test_staff_cannot_write_a_review_for_the_customer(client, app, sessionmaker):
    staff = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair = await completed_repair(client, staff, customer.id)

    response = await client.post(review_url(repair["id"]), json={"rating": 5}, headers=staff.headers)

    assert response.status_code == 403
    await assert_nothing_written(sessionmaker)


async def test_an_erasure_clears_the_comment_and_keeps_the_rating(client, app, sessionmaker):
    staff = await make_user(app, sessionmaker, "manager")
    leaving = await make_customer(app, sessionmaker)
    staying = await make_customer(app, sessionmaker)
    for customer, rating, comment in ((leaving, 2, "Ana from Porto: slow"), (staying, 5, "Perfect")):
        repair = await completed_repair(client, staff, customer.id)
        response = await client.post(
            review_url(repair["id"]), json={"rating": rating, "comment": comment}, headers=customer.headers
        )
        assert response.status_code == 201

    async with transaction(sessionmaker) as session:
        await anonymise_customer(session, leaving.id)
    # The comments go in the follow-up work of the customer.anonymised event.
    await settle(app)

    by_customer = {row.customer_id: row for row in await reviews_in_database(sessionmaker)}
    assert (by_customer[leaving.id].rating, by_customer[leaving.id].comment) == (2, None)
    assert (by_customer[staying.id].rating, by_customer[staying.id].comment) == (5, "Perfect")
    events = {event.customer_id: event.payload for event in await review_events(sessionmaker)}
    assert (events[leaving.id]["rating"], events[leaving.id]["comment"]) == (2, None)
    assert events[staying.id]["comment"] == "Perfect"
    listed = (await client.get("/api/v1/reviews", headers=staff.headers)).json()["items"]
    assert "Ana from Porto" not in str(listed)
    assert sorted((item["rating"], item["comment"]) for item in listed) == [(2, None), (5, "Perfect")]
