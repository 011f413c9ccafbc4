"""Webhook subscriptions, request signing (addresses are checked by :mod:`fixdesk.webhooks.targets`),
and the bookkeeping of deliveries and their attempts.

Signing follows the Standard Webhooks specification: the secret is ``whsec_<base64>``, the key is the
base64-decoded part, and ``webhook-signature`` is ``v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>``.
``X-Fixdesk-Signature`` is ``sha256=<hex HMAC-SHA256(key, "{timestamp}.{body}")>`` with the same key and
the ``webhook-timestamp`` value, for receivers that prefer the common GitHub-style header. ``body`` is the
exact request body.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from standardwebhooks import Webhook

from fixdesk import __version__
from fixdesk.db import new_id, utcnow
from fixdesk.platform.crypto import Keyring
from fixdesk.platform.errors import NotFound, ValidationFailed
from fixdesk.platform.events import CATALOG, DomainEvent, PublishedEvent, event_type
from fixdesk.platform.jobs import enqueue
from fixdesk.platform.pagination import PageParams, paginate
from fixdesk.platform.schemas import CamelModel
from fixdesk.webhooks.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookDeliveryAttempt,
    WebhookSubscription,
)
from fixdesk.webhooks.permissions import WEBHOOKS_MANAGE
from fixdesk.webhooks.schemas import WebhookCreate, WebhookUpdate
from fixdesk.webhooks.targets import (
    SYSTEM_NETWORK,
    DeliveryNetwork,
    UnsafeTarget,
    check_url,
    pinned_client,
    resolve_target,
)

log = structlog.get_logger("fixdesk.webhooks")

DELIVER_JOB = "webhooks.deliver"
NOTIFY_DISABLED_JOB = "webhooks.notify_disabled"
SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32  # Standard Webhooks asks for 24 to 64 random bytes
USER_AGENT = f"Fixdesk-Webhooks/{__version__}"
DISABLE_AFTER = timedelta(hours=24)
RESPONSE_EXCERPT_BYTES = 1024
MAX_ERROR_LENGTH = 1000


class WebhookTestPayload(CamelModel):
    """The ping sent by ``POST /api/v1/webhooks/{id}/test``."""

    subscription_id: uuid.UUID
    message: str


WEBHOOK_TEST = event_type(
    "webhook.test",
    "A test ping requested by an administrator; sent only to the endpoint being tested.",
    WebhookTestPayload,
    permission=WEBHOOKS_MANAGE,
).name


# -- secrets and signatures ------------------------------------------------------------------------------


def generate_secret() -> str:
    """A new Standard Webhooks secret: ``whsec_`` and the base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_`` secret: its base64-decoded part (as Standard Webhooks defines it)."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def envelope_body(event: PublishedEvent) -> str:
    """The request body: the event envelope ``{id, event, timestamp, data}`` as compact JSON. These exact
    characters (UTF-8 encoded) are what is signed and sent."""
    return json.dumps(event.envelope(), separators=(",", ":"), ensure_ascii=False)


def signed_headers(secret: str, message_id: str, timestamp: int, body: str) -> dict[str, str]:
    """The headers of one delivery attempt: content type, user agent and both signatures."""
    standard_signature = Webhook(secret).sign(message_id, datetime.fromtimestamp(timestamp, UTC), body)
    fixdesk_signature = hmac.new(
        secret_key(secret), f"{timestamp}.{body}".encode(), hashlib.sha256
    ).hexdigest()
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": standard_signature,
        "X-Fixdesk-Signature": f"sha256={fixdesk_signature}",
    }


# -- where deliveries may go (fixdesk.webhooks.targets) -------------------------------------------------


async def _validated_url(url: str, allow_private: bool, network: DeliveryNetwork) -> str:
    try:
        await check_url(url, network=network, allow_private=allow_private)
    except UnsafeTarget as exc:
        raise ValidationFailed.for_field("url", str(exc)) from None
    return url


def _validated_events(names: Sequence[str]) -> list[str]:
    unknown = [name for name in names if name != "*" and name not in CATALOG]
    if unknown:
        raise ValidationFailed(
            f"Unknown event names: {', '.join(unknown)}. See GET /api/v1/webhooks/events.",
            errors=[{"field": "events", "message": f"Unknown event '{name}'"} for name in unknown],
        )
    return list(names)


# -- subscriptions ---------------------------------------------------------------------------------------


async def create_subscription(
    session: AsyncSession,
    body: WebhookCreate,
    *,
    owner_id: uuid.UUID | None,
    allow_private: bool,
    keyring: Keyring,
    network: DeliveryNetwork = SYSTEM_NETWORK,
) -> tuple[WebhookSubscription, str]:
    """Create a subscription with a fresh secret; returns it and the plain secret, which is stored only
    encrypted (show it to the owner once).

    Raises :class:`ValidationFailed` (field ``url``) for a URL that may not receive webhooks now (see
    :func:`fixdesk.webhooks.targets.resolve_target`) and (field ``events``) for unknown event names.
    """
    events = _validated_events(body.events)
    url = await _validated_url(body.url, allow_private, network)
    subscription = WebhookSubscription(
        url=url,
        events=events,
        description=body.description,
        active=body.active,
        created_by_id=owner_id,
    )
    secret = generate_secret()
    subscription.set_secret(secret, keyring)
    session.add(subscription)
    await session.flush()
    return subscription, secret


async def list_subscriptions(
    session: AsyncSession, params: PageParams
) -> tuple[Sequence[WebhookSubscription], int]:
    statement = select(WebhookSubscription).order_by(
        WebhookSubscription.created_at.desc(), WebhookSubscription.id.desc()
    )
    return await paginate(session, statement, params)


async def get_subscription(
    session: AsyncSession, subscription_id: uuid.UUID, *, for_update: bool = False
) -> WebhookSubscription:
    """The subscription, or :class:`NotFound`."""
    subscription = await session.get(WebhookSubscription, subscription_id, with_for_update=for_update)
    if subscription is None:
        raise NotFound(f"Webhook {subscription_id} not found.")
    return subscription


async def update_subscription(
    session: AsyncSession,
    subscription_id: uuid.UUID,
    body: WebhookUpdate,
    *,
    allow_private: bool,
    network: DeliveryNetwork = SYSTEM_NETWORK,
) -> WebhookSubscription:
    """Change a subscription. Re-activating one forgets why it was disabled and its failure streak."""
    subscription = await get_subscription(session, subscription_id, for_update=True)
    changes = body.model_dump(exclude_unset=True)
    if changes.get("events") is not None:
        subscription.events = _validated_events(changes["events"])
    if changes.get("url") is not None:
        subscription.url = await _validated_url(changes["url"], allow_private, network)
    if "description" in changes:
        subscription.description = changes["description"]
    if changes.get("active") is not None:
        if changes["active"] and not subscription.active:
            subscription.disabled_at = None
            subscription.disabled_reason = None
            subscription.first_failure_at = None
        subscription.active = changes["active"]
    await session.flush()
    return subscription


async def delete_subscription(session: AsyncSession, subscription_id: uuid.UUID) -> None:
    """Delete a subscription with its delivery log; queued deliveries find nothing to send."""
    subscription = await get_subscription(session, subscription_id, for_update=True)
    await session.delete(subscription)
    await session.flush()


async def rotate_secret(
    session: AsyncSession, subscription_id: uuid.UUID, *, keyring: Keyring
) -> tuple[WebhookSubscription, str]:
    """Replace the secret: every request signed from now on uses the new one. Returns the subscription
    and the new plain secret (stored only encrypted)."""
    subscription = await get_subscription(session, subscription_id, for_update=True)
    secret = generate_secret()
    subscription.set_secret(secret, keyring)
    subscription.secret_rotated_at = utcnow()
    await session.flush()
    return subscription, secret


# -- deliveries ------------------------------------------------------------------------------------------


def delivery_unique_key(subscription_id: uuid.UUID, event_id: uuid.UUID) -> str:
    return f"webhook:{subscription_id}:{event_id}"


async def fan_out(session: AsyncSession, event: PublishedEvent) -> int:
    """Create a delivery for every active subscription that wants ``event`` and queue its job.

    Runs at least once per event: existing deliveries are reused and the job's unique key keeps one
    automatic delivery job per subscription and event. Returns how many subscriptions matched.
    """
    if event.name == WEBHOOK_TEST:
        return 0  # pings go only to the endpoint being tested
    subscriptions = (
        (await session.execute(select(WebhookSubscription).where(WebhookSubscription.active.is_(True))))
        .scalars()
        .all()
    )
    wanted = [s for s in subscriptions if s.wants(event.name)]
    if not wanted:
        return 0
    existing = dict(
        (
            await session.execute(
                select(WebhookDelivery.subscription_id, WebhookDelivery.id).where(
                    WebhookDelivery.event_id == event.id
                )
            )
        ).all()
    )
    for subscription in wanted:
        delivery_id = existing.get(subscription.id)
        if delivery_id is None:
            delivery = WebhookDelivery(subscription_id=subscription.id, event_id=event.id, event=event.name)
            session.add(delivery)
            await session.flush()
            delivery_id = delivery.id
        await enqueue(
            session,
            DELIVER_JOB,
            {"deliveryId": str(delivery_id)},
            unique_key=delivery_unique_key(subscription.id, event.id),
        )
    return len(wanted)


async def list_deliveries(
    session: AsyncSession,
    subscription_id: uuid.UUID,
    params: PageParams,
    *,
    status: str | None = None,
    event: str | None = None,
) -> tuple[Sequence[WebhookDelivery], int]:
    """A subscription's deliveries, newest first, each with its attempts."""
    await get_subscription(session, subscription_id)
    statement = (
        select(WebhookDelivery)
        .where(WebhookDelivery.subscription_id == subscription_id)
        .options(selectinload(WebhookDelivery.attempt_log))
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
    )
    if status:
        statement = statement.where(WebhookDelivery.status == status)
    if event:
        statement = statement.where(WebhookDelivery.event == event)
    return await paginate(session, statement, params)


async def _with_attempts(session: AsyncSession, delivery_id: uuid.UUID) -> WebhookDelivery:
    delivery = (
        await session.execute(
            select(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id)
            .options(selectinload(WebhookDelivery.attempt_log))
            .execution_options(populate_existing=True)
        )
    ).scalar_one()
    return delivery


async def redeliver(session: AsyncSession, delivery_id: uuid.UUID) -> WebhookDelivery:
    """Queue one more attempt of a delivery now (same event, same ``webhook-id``), whatever its status."""
    delivery = await session.get(WebhookDelivery, delivery_id, with_for_update=True)
    if delivery is None:
        raise NotFound(f"Webhook delivery {delivery_id} not found.")
    delivery.status = DeliveryStatus.pending.value
    await session.flush()
    await _enqueue_manual(session, delivery, "redeliver")
    return await _with_attempts(session, delivery.id)


async def send_test(session: AsyncSession, subscription_id: uuid.UUID) -> WebhookDelivery:
    """Send a ``webhook.test`` ping to this endpoint only (even an inactive one, to check it before
    re-enabling it)."""
    subscription = await get_subscription(session, subscription_id)
    payload = WebhookTestPayload(
        subscription_id=subscription.id, message="Test delivery from Fixdesk: your endpoint is reachable."
    )
    # Stored like a published event so the delivery is built and logged like any other, but without an
    # events.dispatch job: no other subscriber (other endpoints, live clients) ever sees it.
    event = DomainEvent(
        id=new_id(), name=WEBHOOK_TEST, payload=payload.model_dump(mode="json", by_alias=True)
    )
    session.add(event)
    delivery = WebhookDelivery(subscription_id=subscription.id, event_id=event.id, event=WEBHOOK_TEST)
    session.add(delivery)
    await session.flush()
    await _enqueue_manual(session, delivery, "test")
    return await _with_attempts(session, delivery.id)


async def _enqueue_manual(session: AsyncSession, delivery: WebhookDelivery, reason: str) -> None:
    # One attempt, now: a person asked for it and reads the outcome in the delivery log.
    await enqueue(
        session,
        DELIVER_JOB,
        {"deliveryId": str(delivery.id), "manual": True},
        max_attempts=1,
        unique_key=f"{delivery_unique_key(delivery.subscription_id, delivery.event_id)}:{reason}:{new_id()}",
    )


# -- sending ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttemptOutcome:
    """How one attempt ended. ``permanent`` failures are not retried (refused address)."""

    success: bool
    status_code: int | None = None
    duration_ms: int | None = None
    error: str | None = None
    response_body: str | None = None
    permanent: bool = False


async def _read_excerpt(response: httpx.Response) -> str:
    # Read only the start of the answer: an endpoint must not make us download something large.
    collected = b""
    async for chunk in response.aiter_bytes():
        collected += chunk
        if len(collected) >= RESPONSE_EXCERPT_BYTES:
            break
    return collected[:RESPONSE_EXCERPT_BYTES].decode("utf-8", errors="replace")


async def send(
    url: str,
    secret: str,
    message_id: str,
    body: str,
    *,
    timeout_seconds: float,
    allow_private: bool,
    network: DeliveryNetwork = SYSTEM_NETWORK,
) -> AttemptOutcome:
    """POST one signed delivery. Never raises for the endpoint's failures: they are the outcome.

    The host is resolved once, here, and every address checked again (DNS may have changed since the
    subscription was saved); the request then goes to one of those checked addresses only (see
    :mod:`fixdesk.webhooks.targets`), so a DNS answer that changes in between cannot send it elsewhere.
    A refused address is a permanent failure and nothing is sent. Redirects are not followed (a 3xx is a
    failure), and the whole exchange is bounded by ``timeout_seconds``, not only each read.
    """
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout_seconds):
            target = await resolve_target(url, network=network, allow_private=allow_private)
    except TimeoutError:
        return AttemptOutcome(
            False,
            duration_ms=_elapsed_ms(started),
            error=f"Timed out resolving the host after {timeout_seconds:g} s.",
        )
    except UnsafeTarget as exc:
        return AttemptOutcome(False, error=f"Refused: {exc}"[:MAX_ERROR_LENGTH], permanent=exc.permanent)
    headers = signed_headers(secret, message_id, int(time.time()), body)
    started = time.perf_counter()
    status_code: int | None = None
    excerpt: str | None = None
    location: str | None = None
    try:
        async with (
            asyncio.timeout(timeout_seconds),
            pinned_client(target, network, timeout_seconds=timeout_seconds) as http,
            http.stream("POST", target.url, content=body.encode("utf-8"), headers=headers) as response,
        ):
            status_code = response.status_code
            location = response.headers.get("location")
            excerpt = await _read_excerpt(response)
    except (TimeoutError, httpx.TimeoutException):
        return AttemptOutcome(
            False,
            status_code=status_code,
            duration_ms=_elapsed_ms(started),
            error=f"Timed out after {timeout_seconds:g} s.",
        )
    except httpx.HTTPError as exc:
        return AttemptOutcome(
            False, duration_ms=_elapsed_ms(started), error=f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH]
        )
    duration_ms = _elapsed_ms(started)
    if 200 <= status_code < 300:
        return AttemptOutcome(True, status_code, duration_ms, response_body=excerpt)
    if 300 <= status_code < 400:
        error = f"HTTP {status_code} redirect to {location or '(no Location)'}; redirects are not followed."
    else:
        error = f"HTTP {status_code}"
    return AttemptOutcome(False, status_code, duration_ms, error[:MAX_ERROR_LENGTH], excerpt)


def _elapsed_ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


@dataclass(frozen=True)
class RecordedAttempt:
    """What :func:`record_attempt` changed: the delivery's final status and whether the endpoint was
    disabled by this failure."""

    status: str
    disabled: bool


async def record_attempt(
    session: AsyncSession, delivery_id: uuid.UUID, outcome: AttemptOutcome, *, last_chance: bool
) -> RecordedAttempt | None:
    """Log one attempt on the delivery and the subscription's health; ``None`` if the delivery is gone.

    A failure ends the delivery (``failed``) when it was the ``last_chance``, when it is permanent, or
    when it disables the endpoint: an endpoint whose deliveries have all failed for 24 hours is made
    inactive and its owner is emailed (job ``webhooks.notify_disabled``).
    """
    subscription_id = (
        await session.execute(
            select(WebhookDelivery.subscription_id).where(WebhookDelivery.id == delivery_id)
        )
    ).scalar_one_or_none()
    if subscription_id is None:
        return None
    # Subscription before delivery, the order deleting a subscription takes them in (no deadlock).
    subscription = await session.get(
        WebhookSubscription, subscription_id, with_for_update=True, populate_existing=True
    )
    delivery = await session.get(WebhookDelivery, delivery_id, with_for_update=True, populate_existing=True)
    if delivery is None:
        return None
    now = utcnow()
    delivery.attempts += 1
    session.add(
        WebhookDeliveryAttempt(
            delivery_id=delivery.id,
            attempt_number=delivery.attempts,
            attempted_at=now,
            success=outcome.success,
            status_code=outcome.status_code,
            duration_ms=outcome.duration_ms,
            error=outcome.error,
            response_body=outcome.response_body,
        )
    )
    delivery.last_attempt_at = now
    delivery.last_status_code = outcome.status_code
    delivery.last_duration_ms = outcome.duration_ms
    delivery.last_error = outcome.error
    disabled = False
    if outcome.success:
        delivery.status = DeliveryStatus.delivered.value
        delivery.delivered_at = now
        if subscription is not None:
            subscription.last_success_at = now
            subscription.first_failure_at = None
    else:
        if subscription is not None:
            disabled = await _track_failure(session, subscription, now, outcome.error)
        final = last_chance or outcome.permanent or disabled
        delivery.status = DeliveryStatus.failed.value if final else DeliveryStatus.pending.value
    await session.flush()
    return RecordedAttempt(delivery.status, disabled)


async def _track_failure(
    session: AsyncSession, subscription: WebhookSubscription, now: datetime, error: str | None
) -> bool:
    subscription.last_failure_at = now
    if subscription.first_failure_at is None:
        subscription.first_failure_at = now
        return False
    if not subscription.active or now - subscription.first_failure_at < DISABLE_AFTER:
        return False
    subscription.active = False
    subscription.disabled_at = now
    subscription.disabled_reason = (
        f"Every delivery failed since {subscription.first_failure_at.isoformat()} (over 24 hours); "
        f"last error: {error or 'unknown'}"
    )[:500]
    await enqueue(
        session,
        NOTIFY_DISABLED_JOB,
        {"subscriptionId": str(subscription.id), "disabledAt": now.isoformat()},
        unique_key=f"webhook-disabled:{subscription.id}:{now.isoformat()}",
    )
    log.warning("webhook_disabled", subscription_id=str(subscription.id), url=subscription.url)
    return True
