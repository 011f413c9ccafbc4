"""The repair lifecycle (DESIGN.md "Lifecycles", issue 2 item 7): the state machine itself, and
``PUT /api/v1/repairs/{id}/status`` enforcing it, writing history and stamping completion."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from fixdesk.repairs import lifecycle
from fixdesk.repairs.models import RepairStatus
from tests.factories import backdate_repair, make_customer, make_repair, make_user, stored_repair, walk

HAPPY_PATH = [
    "received",
    "diagnosing",
    "quoted",
    "approved",
    "repairing",
    "testing",
    "completed",
    "delivered",
]
OPEN_STATUSES = ["received", "diagnosing", "quoted", "approved", "repairing", "waiting_parts", "testing"]
# A legal way from ``received`` to each open status.
PATH_TO = {
    "received": [],
    "diagnosing": ["diagnosing"],
    "quoted": ["diagnosing", "quoted"],
    "approved": ["diagnosing", "quoted", "approved"],
    "repairing": ["diagnosing", "quoted", "approved", "repairing"],
    "waiting_parts": ["diagnosing", "quoted", "approved", "waiting_parts"],
    "testing": ["diagnosing", "quoted", "approved", "repairing", "testing"],
}


# --- the state machine (no database) ------------------------------------------------------------------------


def test_happy_path_is_allowed_step_by_step():
    for current, following in itertools.pairwise(HAPPY_PATH):
        assert following in lifecycle.allowed_next(current), (current, following)


def test_waiting_parts_sits_beside_repairing():
    assert "waiting_parts" in lifecycle.allowed_next("repairing")
    assert "repairing" in lifecycle.allowed_next("waiting_parts")
    assert "waiting_parts" in lifecycle.allowed_next("approved")
    assert "testing" not in lifecycle.allowed_next("waiting_parts")


def test_cancel_is_possible_from_every_open_state_and_only_there():
    assert {s.value for s in lifecycle.OPEN_STATUSES} == set(OPEN_STATUSES)
    for status in RepairStatus:
        assert ("cancelled" in lifecycle.allowed_next(status)) == (status.value in OPEN_STATUSES), status


def test_delivered_and_cancelled_are_final():
    assert lifecycle.allowed_next("delivered") == []
    assert lifecycle.allowed_next("cancelled") == []
    assert lifecycle.allowed_next("completed") == ["delivered"]


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("received", "completed"),
        ("received", "repairing"),
        ("diagnosing", "approved"),
        ("approved", "completed"),
        ("repairing", "completed"),
        ("waiting_parts", "testing"),
        ("completed", "cancelled"),
        ("completed", "repairing"),
        ("delivered", "received"),
        ("cancelled", "received"),
    ],
)
def test_skipping_steps_is_not_allowed(current, target):
    assert target not in lifecycle.allowed_next(current)


def test_every_status_is_reachable_and_every_repair_can_end():
    reachable, frontier = {"received"}, ["received"]
    while frontier:
        for following in lifecycle.allowed_next(frontier.pop()):
            if following not in reachable:
                reachable.add(following)
                frontier.append(following)
    assert reachable == {s.value for s in RepairStatus}
    for status in RepairStatus:
        assert set(lifecycle.allowed_next(status)) <= {s.value for s in RepairStatus}
        assert status.value not in lifecycle.allowed_next(status)


def test_status_groups_split_all_statuses():
    grouped = [s.value for statuses in lifecycle.STATUS_GROUPS.values() for s in statuses]
    assert sorted(grouped) == sorted(s.value for s in RepairStatus)
    assert {s.value for s in lifecycle.STATUS_GROUPS["completed"]} == {"completed", "delivered"}
    assert {s.value for s in lifecycle.STATUS_GROUPS["cancelled"]} == {"cancelled"}


def test_seed_003_names_map_onto_ours():
    assert lifecycle.resolve("pending") == RepairStatus.received
    assert lifecycle.resolve("in_progress") == RepairStatus.repairing
    assert lifecycle.resolve("ready_pickup") == RepairStatus.completed
    assert lifecycle.resolve("testing") == RepairStatus.testing
    with pytest.raises(ValueError, match="shipped"):
        lifecycle.resolve("shipped")


# --- the API ------------------------------------------------------------------------------------------------


async def put_status(client, staff, repair_id: str, status: str, **extra):
    return await client.put(
        f"/api/v1/repairs/{repair_id}/status", json={"status": status, **extra}, headers=staff.headers
    )


async def test_happy_path_through_the_api_records_every_change(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair = await make_repair(client, admin, customer.id)

    for index, status in enumerate(HAPPY_PATH[1:], start=1):
        notify = index % 2 == 0
        response = await put_status(
            client, admin, repair["id"], status, notes=f"step {index}", notifyCustomer=notify
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == status
        assert body["allowedTransitions"] == lifecycle.allowed_next(status)
        assert len(body["statusHistory"]) == index + 1
        latest = body["statusHistory"][-1]
        assert latest["fromStatus"] == HAPPY_PATH[index - 1]
        assert latest["toStatus"] == status
        assert latest["notes"] == f"step {index}"
        assert latest["customerNotified"] is notify
        assert latest["changedBy"]["id"] == str(admin.id)

    detail = (await client.get(f"/api/v1/repairs/{repair['id']}", headers=admin.headers)).json()
    assert detail["status"] == "delivered"
    assert detail["allowedTransitions"] == []
    assert [(h["fromStatus"], h["toStatus"]) for h in detail["statusHistory"]] == [
        (None, "received"),
        *itertools.pairwise(HAPPY_PATH),
    ]
    stored = await stored_repair(sessionmaker, repair["id"])
    assert stored is not None
    assert stored.repair.status == "delivered"
    assert [row.to_status for row in stored.history] == HAPPY_PATH
    assert all(row.changed_by_id == admin.id for row in stored.history)
    assert [row.customer_notified for row in stored.history[1:]] == [
        index % 2 == 0 for index in range(1, len(HAPPY_PATH))
    ]


async def test_notify_customer_defaults_to_true_and_notes_are_optional(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair = await make_repair(client, admin, customer.id)
    response = await put_status(client, admin, repair["id"], "diagnosing")
    assert response.status_code == 200, response.text
    latest = response.json()["statusHistory"][-1]
    assert latest["customerNotified"] is True
    assert latest["notes"] is None


async def test_waiting_for_parts_and_a_failed_test_go_back_to_repairing(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair = await make_repair(client, admin, customer.id)
    steps = [
        "diagnosing",
        "quoted",
        "diagnosing",  # quote declined, diagnose again
        "quoted",
        "approved",
        "waiting_parts",
        "repairing",
        "waiting_parts",
        "repairing",
        "testing",
        "repairing",  # test failed
        "testing",
        "completed",
    ]
    body = await walk(client, admin, repair["id"], *steps)
    assert body["status"] == "completed"
    assert [h["toStatus"] for h in body["statusHistory"]] == ["received", *steps]


@pytest.mark.parametrize("status", OPEN_STATUSES)
async def test_cancel_from_every_open_state(client, app, sessionmaker, status):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair = await make_repair(client, admin, customer.id)
    await walk(client, admin, repair["id"], *PATH_TO[status])
    response = await put_status(client, admin, repair["id"], "cancelled", notes="Customer changed their mind")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "cancelled"
    assert body["allowedTransitions"] == []
    assert body["actualCompletion"] is None
    assert body["statusHistory"][-1]["fromStatus"] == status
    assert body["statusHistory"][-1]["notes"] == "Customer changed their mind"


@pytest.mark.parametrize(
    ("path", "target", "allowed"),
    [
        ([], "completed", ["diagnosing", "cancelled"]),
        (["diagnosing", "quoted"], "repairing", ["approved", "diagnosing", "cancelled"]),
        (PATH_TO["testing"] + ["completed"], "cancelled", ["delivered"]),
        (PATH_TO["testing"] + ["completed", "delivered"], "repairing", []),
        (["cancelled"], "diagnosing", []),
        (["diagnosing"], "diagnosing", ["quoted", "cancelled"]),
    ],
)
async def test_illegal_moves_answer_409_naming_the_allowed_states_and_change_nothing(
    client, app, sessionmaker, path, target, allowed
):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair = await make_repair(client, admin, customer.id)
    await walk(client, admin, repair["id"], *path)
    before = await stored_repair(sessionmaker, repair["id"])
    assert before is not None
    current = before.repair.status

    response = await put_status(client, admin, repair["id"], target)
    assert response.status_code == 409, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "CONFLICT"
    assert problem["allowed"] == allowed
    assert problem["currentStatus"] == current
    assert problem["requestedStatus"] == target
    assert f"'{current}'" in problem["detail"]
    assert f"'{target}'" in problem["detail"]
    for state in allowed:
        assert state in problem["detail"]
    if not allowed:
        assert "final" in problem["detail"]

    after = await stored_repair(sessionmaker, repair["id"])
    assert after is not None
    assert after.repair.status == current
    assert len(after.history) == len(before.history)
    assert after.repair.updated_at == before.repair.updated_at


async def test_seed_003_status_names_are_accepted(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair = await make_repair(client, admin, customer.id)
    await walk(client, admin, repair["id"], "diagnosing", "quoted", "approved")

    response = await put_status(client, admin, repair["id"], "in_progress")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "repairing"
    assert response.json()["statusHistory"][-1]["toStatus"] == "repairing"
    await walk(client, admin, repair["id"], "testing")
    response = await put_status(client, admin, repair["id"], "ready_pickup")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "completed"

    # "pending" is understood (as received) even though a repair never moves back to it.
    fresh = await make_repair(client, admin, customer.id)
    response = await put_status(client, admin, fresh["id"], "pending")
    assert response.status_code == 409
    assert response.json()["requestedStatus"] == "received"

    response = await put_status(client, admin, fresh["id"], "shipped")
    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert [e["field"] for e in response.json()["errors"]] == ["status"]


async def test_completion_stamps_actual_completion_and_completion_days(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair = await make_repair(client, admin, customer.id)
    await backdate_repair(sessionmaker, repair["id"], datetime.now(UTC) - timedelta(days=3))
    testing = await walk(client, admin, repair["id"], *PATH_TO["testing"])
    assert testing["actualCompletion"] is None
    assert testing["completionDays"] is None

    response = await put_status(client, admin, repair["id"], "completed")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["completionDays"] == pytest.approx(3.0, abs=0.01)
    finished = datetime.fromisoformat(body["actualCompletion"])
    assert abs(datetime.now(UTC) - finished) < timedelta(minutes=5)

    stored = await stored_repair(sessionmaker, repair["id"])
    assert stored is not None
    assert stored.repair.completion_days == Decimal("3.00")
    assert stored.repair.actual_completion == finished

    # Delivery keeps the completion stamp of the day it was ready.
    delivered = await walk(client, admin, repair["id"], "delivered")
    assert delivered["actualCompletion"] == body["actualCompletion"]
    assert delivered["completionDays"] == body["completionDays"]


async def test_status_change_may_move_the_estimated_completion(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    customer = await make_customer(app, sessionmaker)
    repair = await make_repair(client, admin, customer.id, estimatedCompletion="2026-12-01")
    response = await put_status(client, admin, repair["id"], "diagnosing", estimatedCompletion="2026-12-05")
    assert response.status_code == 200, response.text
    assert datetime.fromisoformat(response.json()["estimatedCompletion"]) == datetime(
        2026, 12, 5, 23, 59, 59, tzinfo=UTC
    )


async def test_status_change_of_an_unknown_repair_is_404(client, app, sessionmaker):
    admin = await make_user(app, sessionmaker, "admin")
    response = await put_status(client, admin, str(uuid.uuid4()), "diagnosing")
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"
