"""Who receives which live event, what they receive, and the in-process broker's fan-out."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from fixdesk.bootstrap import load_domains
from fixdesk.config import Settings
from fixdesk.identity.permissions import CUSTOMER_PERMISSIONS, permissions_for
from fixdesk.platform.events import PublishedEvent
from fixdesk.platform.permissions import Principal
from fixdesk.platform.realtime import (
    InProcessBroker,
    OutboundQueue,
    RedisBroker,
    build_broker,
    channel_for_redis_url,
    client_envelope,
    live_message,
    may_receive,
)

load_domains()

CUSTOMER_ID = uuid.uuid4()
OTHER_CUSTOMER_ID = uuid.uuid4()


def staff(role: str, extra: list[str] | None = None) -> Principal:
    return Principal(id=uuid.uuid4(), type="user", role=role, permissions=permissions_for(role, extra))


def customer(customer_id: uuid.UUID = CUSTOMER_ID) -> Principal:
    return Principal(id=customer_id, type="customer", role="customer", permissions=CUSTOMER_PERMISSIONS)


def event(name: str, customer_id: uuid.UUID | None = CUSTOMER_ID, **data: Any) -> dict[str, Any]:
    published = PublishedEvent(
        id=uuid.uuid4(),
        name=name,
        payload={"id": str(uuid.uuid4()), "customerId": str(customer_id), **data},
        occurred_at=datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
        customer_id=customer_id,
    )
    message = live_message(published)
    assert message is not None
    return message


def test_the_message_carries_the_envelope_and_the_routing_fields() -> None:
    message = event("repair.status_changed", toStatus="diagnosing")
    assert message["event"] == "repair.status_changed"
    assert message["timestamp"] == "2026-03-01T09:30:00Z"
    assert message["data"]["toStatus"] == "diagnosing"
    assert message["customerId"] == str(CUSTOMER_ID)
    assert message["permission"] == "repairs:read"


def test_clients_receive_the_envelope_without_routing_fields() -> None:
    message = event("repair.status_changed")
    sent = client_envelope(message)
    assert sent == {
        "type": "event",
        "id": message["id"],
        "event": "repair.status_changed",
        "timestamp": "2026-03-01T09:30:00Z",
        "data": message["data"],
    }


def test_an_event_missing_from_the_catalogue_is_not_published() -> None:
    unknown = PublishedEvent(uuid.uuid4(), "nobody.knows", {}, datetime.now(UTC))
    assert live_message(unknown) is None


@pytest.mark.parametrize("role", ["admin", "manager", "technician", "agent"])
def test_staff_holding_the_permission_receive_repair_events(role: str) -> None:
    assert may_receive(staff(role), event("repair.status_changed"))
    assert may_receive(staff(role), event("repair.status_changed", customer_id=OTHER_CUSTOMER_ID))


def test_staff_without_the_permission_do_not_receive_the_event() -> None:
    no_repairs = Principal(
        id=uuid.uuid4(), type="user", role="auditor", permissions=frozenset({"customers:read"})
    )
    assert not may_receive(no_repairs, event("repair.status_changed"))
    assert may_receive(no_repairs, event("customer.updated"))


def test_api_clients_are_scoped_by_permission_like_staff() -> None:
    client = Principal(
        id=uuid.uuid4(), type="client", role="integration", permissions=frozenset({"repairs:read"})
    )
    assert may_receive(client, event("repair.created"))
    assert not may_receive(client, event("customer.created"))


def test_a_customer_receives_their_own_repair_events_only() -> None:
    assert may_receive(customer(), event("repair.status_changed"))
    assert may_receive(customer(), event("repair.completed"))
    assert not may_receive(customer(), event("repair.status_changed", customer_id=OTHER_CUSTOMER_ID))
    assert not may_receive(customer(), event("repair.status_changed", customer_id=None))


def test_a_customer_does_not_receive_staff_views_of_themselves() -> None:
    # customer.* payloads carry staff-only fields (tags); the portal is not shown them.
    assert not may_receive(customer(), event("customer.updated", tags=["difficult"]))


async def test_the_in_process_broker_hands_each_message_to_every_listener_until_removed() -> None:
    broker = InProcessBroker()
    first: list[dict[str, Any]] = []
    second: list[dict[str, Any]] = []
    broker.add_listener(first.append)
    broker.add_listener(second.append)
    message = event("repair.created")

    await broker.publish(message)
    broker.remove_listener(second.append)
    await broker.publish(event("repair.completed"))

    assert [m["event"] for m in first] == ["repair.created", "repair.completed"]
    assert second == [message]
    await broker.aclose()


async def test_a_failing_listener_does_not_cost_the_others_their_events() -> None:
    broker = InProcessBroker()
    received: list[dict[str, Any]] = []

    def broken(message: dict[str, Any]) -> None:
        raise RuntimeError("connection gone")

    broker.add_listener(broken)
    broker.add_listener(received.append)
    await broker.publish(event("repair.created"))
    assert len(received) == 1


async def test_a_slow_client_loses_the_oldest_events_and_is_told_how_many() -> None:
    queue = OutboundQueue(maxsize=3)
    for number in range(5):
        queue.offer({"n": number})
    assert queue.take_dropped() == 2
    assert queue.take_dropped() == 0
    assert [(await queue.get())["n"] for _ in range(3)] == [2, 3, 4]
    assert queue.dropped_total == 2


def test_the_redis_channel_includes_the_database_index() -> None:
    # Redis pub/sub ignores the database index; installations on one server must not share events.
    assert channel_for_redis_url("redis://127.0.0.1:6379") == "fixdesk:events"
    assert channel_for_redis_url("redis://127.0.0.1:6379/0") == "fixdesk:events"
    assert channel_for_redis_url("redis://:secret@redis.internal:6380/4") == "fixdesk:events:4"


async def test_build_broker_picks_redis_only_when_a_url_is_set(tmp_path: Any) -> None:
    plain = build_broker(Settings(data_dir=tmp_path, secret_key="x" * 40))
    assert isinstance(plain, InProcessBroker)
    over_redis = build_broker(
        Settings(data_dir=tmp_path, secret_key="x" * 40, redis_url="redis://127.0.0.1:6379/3")
    )
    assert isinstance(over_redis, RedisBroker)
    assert over_redis.channel == "fixdesk:events:3"
    await over_redis.aclose()
