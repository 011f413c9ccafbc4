"""Webhook deliveries end to end: a repair changes, the worker runs the queued jobs, and a real HTTP
receiver on 127.0.0.1 gets signed requests; failures are retried, logged and eventually disable the
endpoint.

Retries are made due at once by moving the waiting jobs' ``run_at`` to now (``Jobs.make_retries_due``)
instead of waiting out the backoff.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import timedelta
from email import message_from_bytes
from email.message import Message

import pytest
from sqlalchemy import select, update
from standardwebhooks import Webhook, WebhookVerificationError

from fixdesk.db import transaction, utcnow
from fixdesk.platform.events import DomainEvent
from fixdesk.platform.jobs import Job, JobState
from fixdesk.webhooks.jobs import RETRY_SCHEDULE
from fixdesk.webhooks.models import WebhookDelivery, WebhookSubscription
from fixdesk.webhooks.service import DELIVER_JOB
from tests.conftest import make_settings
from tests.factories import make_customer, make_repair, make_user, walk
from tests.webhooks.receiver import ReceivedRequest, Reply


async def subscribe(client, admin, url: str, events: list[str], **fields) -> dict:
    response = await client.post(
        "/api/v1/webhooks", json={"url": url, "events": events, **fields}, headers=admin.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def new_repair(app, client, sessionmaker, staff) -> dict:
    customer = await make_customer(app, sessionmaker)
    return await make_repair(client, staff, customer.id)


async def deliveries(client, admin, webhook_id: str, **params) -> dict:
    response = await client.get(
        f"/api/v1/webhooks/{webhook_id}/deliveries", params=params, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


async def delivery_jobs(sessionmaker) -> list[Job]:
    async with sessionmaker() as session:
        return list((await session.execute(select(Job).where(Job.kind == DELIVER_JOB))).scalars())


def verify(request: ReceivedRequest, secret: str) -> dict:
    """Check both signatures the way a receiver would, independently of Fixdesk's code; return the body."""
    envelope = Webhook(secret).verify(request.body, request.headers)
    timestamp = request.headers["webhook-timestamp"]
    key = base64_key(secret)
    expected = hmac.new(key, f"{timestamp}.".encode() + request.body, hashlib.sha256).hexdigest()
    assert request.headers["x-fixdesk-signature"] == f"sha256={expected}"
    return envelope


def base64_key(secret: str) -> bytes:
    import base64

    return base64.b64decode(secret.removeprefix("whsec_"))


def disabled_notices(settings) -> list[Message]:
    """The "endpoint disabled" emails in the file outbox (customer notifications may be there too)."""
    messages = [message_from_bytes(path.read_bytes()) for path in sorted(settings.outbox_dir.glob("*.eml"))]
    return [m for m in messages if str(m["Message-ID"]).startswith("<webhook-disabled.")]


async def test_each_event_is_posted_once_signed_and_logged(app, client, sessionmaker, receiver, jobs):
    admin = await make_user(app, sessionmaker, "admin")
    hook = await subscribe(client, admin, receiver.url(), ["*"])
    repair = await new_repair(app, client, sessionmaker, admin)
    await walk(client, admin, repair["id"], "diagnosing", "quoted")

    await jobs.drain()

    async with sessionmaker() as session:
        events = {str(e.id): e.name for e in (await session.execute(select(DomainEvent))).scalars()}
    names = sorted(events.values())
    assert names.count("repair.created") == 1
    assert names.count("repair.status_changed") == 2
    posts = receiver.posts("/hooks")
    assert len(posts) == len(events)
    received_ids = []
    for request in posts:
        envelope = verify(request, hook["secret"])
        assert set(envelope) == {"id", "event", "timestamp", "data"}
        assert request.headers["webhook-id"] == envelope["id"]
        assert events[envelope["id"]] == envelope["event"]
        if envelope["event"].startswith("repair."):
            assert envelope["data"]["repairNumber"] == repair["repairNumber"]
        assert request.headers["content-type"] == "application/json"
        assert request.headers["user-agent"].startswith("Fixdesk-Webhooks/")
        # The body is compact JSON: what was signed is exactly what was sent.
        assert request.body == json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()
        received_ids.append(envelope["id"])
    assert sorted(received_ids) == sorted(events)

    log = await deliveries(client, admin, hook["id"])
    assert log["total"] == len(events)
    assert {item["status"] for item in log["items"]} == {"delivered"}
    assert all(item["lastStatusCode"] == 200 and item["attempts"] == 1 for item in log["items"])
    assert all(item["attemptLog"][0]["durationMs"] is not None for item in log["items"])
    # Newest first.
    created = [item["createdAt"] for item in log["items"]]
    assert created == sorted(created, reverse=True)
    assert {job.state for job in await delivery_jobs(sessionmaker)} == {JobState.done.value}

    # Dispatching an event again (a crash after the fan-out) sends nothing new.
    async with transaction(sessionmaker) as session:
        await session.execute(
            update(Job).where(Job.kind == "events.dispatch").values(state="queued", run_at=utcnow())
        )
    await jobs.drain()
    assert len(receiver.posts("/hooks")) == len(events)


async def test_event_filters_and_inactive_subscriptions(app, client, sessionmaker, receiver, jobs):
    admin = await make_user(app, sessionmaker, "admin")
    only_status = await subscribe(client, admin, receiver.url("/status"), ["repair.status_changed"])
    await subscribe(client, admin, receiver.url("/created"), ["repair.created", "repair.completed"])
    await subscribe(client, admin, receiver.url("/off"), ["*"], active=False)
    repair = await new_repair(app, client, sessionmaker, admin)
    await walk(client, admin, repair["id"], "diagnosing")

    await jobs.drain()

    status_posts = receiver.posts("/status")
    assert [json.loads(r.body)["event"] for r in status_posts] == ["repair.status_changed"]
    assert json.loads(status_posts[0].body)["data"]["toStatus"] == "diagnosing"
    assert [json.loads(r.body)["event"] for r in receiver.posts("/created")] == ["repair.created"]
    assert receiver.posts("/off") == []
    assert (await deliveries(client, admin, only_status["id"]))["total"] == 1


async def test_a_failed_delivery_is_retried_with_the_same_webhook_id(
    app, client, sessionmaker, receiver, jobs
):
    admin = await make_user(app, sessionmaker, "admin")
    hook = await subscribe(client, admin, receiver.url(), ["repair.created"])
    receiver.reply(Reply(500))
    await new_repair(app, client, sessionmaker, admin)

    await jobs.drain()
    assert len(receiver.posts()) == 1
    (waiting,) = (await deliveries(client, admin, hook["id"]))["items"]
    assert waiting["status"] == "pending"
    assert waiting["lastStatusCode"] == 500
    assert waiting["lastError"] == "HTTP 500"
    (job,) = await delivery_jobs(sessionmaker)
    assert job.state == JobState.failed.value
    assert job.run_at > utcnow()  # the retry waits for the backoff
    await jobs.drain()
    assert len(receiver.posts()) == 1

    await jobs.make_retries_due()
    await jobs.drain()

    first, second = receiver.posts()
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == waiting["eventId"]
    verify(second, hook["secret"])
    (delivered,) = (await deliveries(client, admin, hook["id"]))["items"]
    assert delivered["status"] == "delivered"
    assert delivered["attempts"] == 2
    assert [(a["attemptNumber"], a["statusCode"], a["success"]) for a in delivered["attemptLog"]] == [
        (1, 500, False),
        (2, 200, True),
    ]
    assert delivered["deliveredAt"] is not None
    (job,) = await delivery_jobs(sessionmaker)
    assert job.state == JobState.done.value
    assert job.attempts == 2


async def test_retries_run_out_after_about_a_day_of_attempts(app, client, sessionmaker, receiver, jobs):
    assert 24 * 3600 <= sum(RETRY_SCHEDULE) <= 30 * 3600
    admin = await make_user(app, sessionmaker, "admin")
    hook = await subscribe(client, admin, receiver.url(), ["repair.created"])
    receiver.default = Reply(503)
    await new_repair(app, client, sessionmaker, admin)

    await jobs.drain()
    for _ in RETRY_SCHEDULE:
        await jobs.make_retries_due()
        await jobs.drain()

    assert len(receiver.posts()) == len(RETRY_SCHEDULE) + 1
    (failed,) = (await deliveries(client, admin, hook["id"]))["items"]
    assert failed["status"] == "failed"
    assert failed["attempts"] == len(RETRY_SCHEDULE) + 1
    (job,) = await delivery_jobs(sessionmaker)
    assert job.state == JobState.dead.value
    assert "HTTP 503" in job.last_error


async def test_a_redirect_is_a_failure_and_is_not_followed(app, client, sessionmaker, receiver, jobs):
    admin = await make_user(app, sessionmaker, "admin")
    hook = await subscribe(client, admin, receiver.url(), ["repair.created"])
    receiver.reply(Reply(301, headers={"Location": receiver.url("/elsewhere")}))
    await new_repair(app, client, sessionmaker, admin)

    await jobs.drain()

    assert len(receiver.posts("/hooks")) == 1
    assert [r for r in receiver.requests if r.path == "/elsewhere"] == []
    (item,) = (await deliveries(client, admin, hook["id"]))["items"]
    assert item["status"] == "pending"
    assert item["lastStatusCode"] == 301
    assert "redirect" in item["lastError"]
    (job,) = await delivery_jobs(sessionmaker)
    assert job.state == JobState.failed.value


async def test_a_slow_endpoint_times_out(app, client, sessionmaker, receiver, jobs, database_url, tmp_path):
    admin = await make_user(app, sessionmaker, "admin")
    hook = await subscribe(client, admin, receiver.url(), ["repair.created"])
    # Far beyond the 1 s timeout, so the answer cannot beat it however slow the machine.
    receiver.reply(Reply(200, delay_seconds=60))
    await new_repair(app, client, sessionmaker, admin)

    await jobs.drain(
        make_settings(database_url, tmp_path, webhooks_allow_private=True, webhook_timeout_seconds=1)
    )

    assert len(receiver.posts()) == 1
    (item,) = (await deliveries(client, admin, hook["id"]))["items"]
    assert item["status"] == "pending"
    assert item["lastStatusCode"] is None
    assert item["lastError"] == "Timed out after 1 s."
    (job,) = await delivery_jobs(sessionmaker)
    assert job.state == JobState.failed.value


async def test_a_private_address_is_refused_again_at_delivery_time(
    app, client, sessionmaker, receiver, jobs, database_url, tmp_path
):
    admin = await make_user(app, sessionmaker, "admin")
    hook = await subscribe(client, admin, receiver.url(), ["repair.created"])
    await new_repair(app, client, sessionmaker, admin)

    # As if the host's DNS now pointed somewhere private: the worker runs with private addresses refused.
    await jobs.drain(make_settings(database_url, tmp_path, webhooks_allow_private=False))

    assert receiver.requests == []
    (item,) = (await deliveries(client, admin, hook["id"]))["items"]
    assert item["status"] == "failed"
    assert item["lastError"].startswith("Refused: ")
    assert item["attemptLog"][0]["statusCode"] is None
    (job,) = await delivery_jobs(sessionmaker)
    assert job.state == JobState.dead.value
    assert job.attempts == 1


async def test_rotation_changes_the_signing_secret(app, client, sessionmaker, receiver, jobs):
    admin = await make_user(app, sessionmaker, "admin")
    hook = await subscribe(client, admin, receiver.url(), ["repair.created"])
    rotated = await client.post(f"/api/v1/webhooks/{hook['id']}/rotate-secret", headers=admin.headers)
    new_secret = rotated.json()["secret"]
    await new_repair(app, client, sessionmaker, admin)

    await jobs.drain()

    (request,) = receiver.posts()
    assert verify(request, new_secret)["event"] == "repair.created"
    with pytest.raises(WebhookVerificationError):
        Webhook(hook["secret"]).verify(request.body, request.headers)
    old_hmac = hmac.new(
        base64_key(hook["secret"]),
        f"{request.headers['webhook-timestamp']}.".encode() + request.body,
        hashlib.sha256,
    ).hexdigest()
    assert request.headers["x-fixdesk-signature"] != f"sha256={old_hmac}"


async def test_redeliver_sends_the_same_webhook_id_again(app, client, sessionmaker, receiver, jobs):
    admin = await make_user(app, sessionmaker, "admin")
    hook = await subscribe(client, admin, receiver.url(), ["repair.created"])
    await new_repair(app, client, sessionmaker, admin)
    await jobs.drain()
    (original,) = (await deliveries(client, admin, hook["id"]))["items"]

    response = await client.post(
        f"/api/v1/webhooks/deliveries/{original['id']}/redeliver", headers=admin.headers
    )
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "pending"
    await jobs.drain()

    first, second = receiver.posts()
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == original["eventId"]
    assert json.loads(first.body) == json.loads(second.body)
    verify(second, hook["secret"])
    (again,) = (await deliveries(client, admin, hook["id"]))["items"]
    assert again["id"] == original["id"]
    assert again["status"] == "delivered"
    assert again["attempts"] == 2
    missing = await client.post(
        f"/api/v1/webhooks/deliveries/{uuid.uuid4()}/redeliver", headers=admin.headers
    )
    assert missing.status_code == 404


async def test_the_test_endpoint_pings_only_that_endpoint(app, client, sessionmaker, receiver, jobs):
    admin = await make_user(app, sessionmaker, "admin")
    hook = await subscribe(client, admin, receiver.url("/tested"), ["*"])
    await subscribe(client, admin, receiver.url("/other"), ["*"])

    response = await client.post(f"/api/v1/webhooks/{hook['id']}/test", headers=admin.headers)
    assert response.status_code == 202, response.text
    assert response.json()["event"] == "webhook.test"
    await jobs.drain()

    (request,) = receiver.posts("/tested")
    envelope = verify(request, hook["secret"])
    assert envelope["event"] == "webhook.test"
    assert envelope["data"]["subscriptionId"] == hook["id"]
    assert receiver.posts("/other") == []
    (item,) = (await deliveries(client, admin, hook["id"]))["items"]
    assert item["event"] == "webhook.test"
    assert item["status"] == "delivered"
    missing = await client.post(f"/api/v1/webhooks/{uuid.uuid4()}/test", headers=admin.headers)
    assert missing.status_code == 404


async def test_a_deleted_subscription_receives_nothing_more(app, client, sessionmaker, receiver, jobs):
    admin = await make_user(app, sessionmaker, "admin")
    hook = await subscribe(client, admin, receiver.url(), ["repair.created"])
    await new_repair(app, client, sessionmaker, admin)
    await jobs.drain()  # delivered; now a second event is queued and the subscription deleted
    customer = await make_customer(app, sessionmaker)
    await make_repair(client, admin, customer.id)

    assert (await client.delete(f"/api/v1/webhooks/{hook['id']}", headers=admin.headers)).status_code == 204
    await jobs.drain()

    assert len(receiver.posts()) == 1
    async with sessionmaker() as session:
        assert (await session.execute(select(WebhookDelivery))).first() is None


async def test_an_endpoint_failing_for_a_day_is_disabled_and_its_owner_emailed(
    app, client, sessionmaker, receiver, jobs, settings
):
    admin = await make_user(app, sessionmaker, "admin", first_name="Rita")
    hook = await subscribe(client, admin, receiver.url(), ["repair.created"])
    receiver.default = Reply(500)
    await new_repair(app, client, sessionmaker, admin)
    await jobs.drain()
    fetched = (await client.get(f"/api/v1/webhooks/{hook['id']}", headers=admin.headers)).json()
    assert fetched["active"] is True
    assert fetched["firstFailureAt"] is not None
    assert disabled_notices(settings) == []

    # The failures started 25 hours ago; the next failed attempt ends the streak's grace.
    async with transaction(sessionmaker) as session:
        await session.execute(
            update(WebhookSubscription).values(first_failure_at=utcnow() - timedelta(hours=25))
        )
    await jobs.make_retries_due()
    await jobs.drain()

    disabled = (await client.get(f"/api/v1/webhooks/{hook['id']}", headers=admin.headers)).json()
    assert disabled["active"] is False
    assert disabled["disabledAt"] is not None
    assert "HTTP 500" in disabled["disabledReason"]
    (item,) = (await deliveries(client, admin, hook["id"]))["items"]
    assert item["status"] == "failed"
    assert item["attempts"] == 2
    (email,) = disabled_notices(settings)
    assert email["To"] == admin.email
    assert hook["url"] in email["Subject"]
    assert email["Message-ID"].startswith(f"<webhook-disabled.{hook['id']}.")
    body = email.get_payload(decode=True).decode()
    assert "Rita" in body
    assert hook["url"] in body

    # Disabled: new events are not delivered; re-enabling forgets the failure streak.
    await new_repair(app, client, sessionmaker, admin)
    await jobs.drain()
    assert len(receiver.posts()) == 2
    enabled = await client.patch(
        f"/api/v1/webhooks/{hook['id']}", json={"active": True}, headers=admin.headers
    )
    assert enabled.json()["active"] is True
    assert enabled.json()["disabledReason"] is None
    assert enabled.json()["firstFailureAt"] is None
