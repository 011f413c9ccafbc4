"""Broadcast jobs: ``broadcasts.prepare`` (the recipient rows, when the broadcast's time comes) and
``broadcasts.send_batch`` (one paced batch through the SMS provider, then the next batch or the end).

Pacing: after a batch of ``n`` messages the next batch runs ``n / FIXDESK_BROADCAST_MESSAGES_PER_SECOND``
seconds after this one started (or at once if sending took longer), ``FIXDESK_BROADCAST_BATCH_SIZE``
messages a batch. A batch commits its claim before calling the provider and records the outcome after, so
no database lock is held while the provider answers and a recipient is never sent twice
(:mod:`fixdesk.marketing.broadcasts.service`).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import structlog

from fixdesk.db import utcnow
from fixdesk.integrations.errors import ProviderError
from fixdesk.integrations.sms import SmsMessage
from fixdesk.marketing.broadcasts import service
from fixdesk.platform.jobs import JobContext, enqueue, handler
from fixdesk.platform.jobs.registry import PermanentJobError

log = structlog.get_logger("fixdesk.marketing.broadcasts")

STATUS_CALLBACK_PATH = "/api/v1/webhooks/twilio/broadcast-status"
# Messages of one batch in flight to the provider at once.
PROVIDER_CONCURRENCY = 8
HTTP_TOO_MANY_REQUESTS = 429
# After the provider answered 429 (its own rate limit), the next batch waits at least this long.
THROTTLED_PAUSE_SECONDS = 5.0


def _broadcast_id(context: JobContext) -> uuid.UUID:
    try:
        return uuid.UUID(str(context.payload["broadcastId"]))
    except (KeyError, ValueError) as error:
        raise PermanentJobError("the job has no broadcastId") from error


async def _next_batch(context: JobContext, broadcast_id: uuid.UUID, number: int, delay: float) -> None:
    await enqueue(
        context.session,
        service.SEND_BATCH_JOB,
        {"broadcastId": str(broadcast_id), "batch": number},
        run_at=utcnow() + timedelta(seconds=max(0.0, delay)),
        unique_key=f"broadcast:{broadcast_id}:batch:{number}",
    )


@handler(service.PREPARE_JOB, max_attempts=5)
async def prepare_broadcast(context: JobContext) -> None:
    """Choose the recipients of a broadcast whose time has come and start its first batch."""
    broadcast_id = _broadcast_id(context)
    if await service.prepare(context.session, broadcast_id):
        await _next_batch(context, broadcast_id, 0, 0)


@handler(service.SEND_BATCH_JOB, max_attempts=5)
async def send_batch(context: JobContext) -> None:
    """Send one batch of a broadcast, then queue the next one, or finish the broadcast when none is left.

    Provider refusals are recorded per message as ``failed`` (with the provider's error); the batch is
    not retried for them, since the other messages of the batch went out. A ``429 Too Many Requests``
    (the provider's own rate limit: the message was certainly not taken) puts the message back in the
    queue and the next batch waits at least :data:`THROTTLED_PAUSE_SECONDS`. Other errors, timeouts
    included, are not sent again: the provider may have taken the message."""
    session, settings = context.session, context.settings
    broadcast_id = _broadcast_id(context)
    number = int(context.payload.get("batch", 0))
    started = asyncio.get_running_loop().time()
    broadcast, outgoing = await service.claim_batch(
        session, settings, broadcast_id, settings.broadcast_batch_size
    )
    if broadcast is None:
        return
    await session.commit()
    if outgoing:
        if context.services is None:
            raise RuntimeError("the worker was started without services (the SMS provider)")
        provider = context.services.sms
        callback = None
        if provider.name == "twilio":
            callback = settings.resolved_public_base_url + STATUS_CALLBACK_PATH
        limit = asyncio.Semaphore(PROVIDER_CONCURRENCY)

        async def deliver(message: service.Outgoing) -> tuple[uuid.UUID, str | None, str | None, bool]:
            async with limit:
                try:
                    sid = await provider.send(
                        SmsMessage(
                            to=message.address,
                            body=message.text,
                            reference=f"{broadcast_id}-{message.customer_id}",
                            channel="whatsapp" if broadcast.type == "whatsapp" else "sms",
                            status_callback=callback,
                        )
                    )
                except ProviderError as error:
                    if error.status == HTTP_TOO_MANY_REQUESTS:
                        # Refused unread, so certainly not sent: back in the queue for a later batch.
                        return message.customer_id, None, None, True
                    return message.customer_id, None, f"{type(error).__name__}: {error}", False
                except Exception as error:  # recorded on the recipient row; the rest of the batch goes on
                    return message.customer_id, None, f"{type(error).__name__}: {error}", False
                return message.customer_id, sid, None, False

        results = await asyncio.gather(*(deliver(message) for message in outgoing))
        await service.record_outcomes(
            session,
            broadcast_id,
            provider=provider.name,
            sent=[(customer_id, sid) for customer_id, sid, _, _ in results if sid is not None],
            failed=[(customer_id, error) for customer_id, _, error, _ in results if error is not None],
            requeued=[customer_id for customer_id, _, _, again in results if again],
        )
        throttled = any(again for *_, again in results)
        await session.commit()
        log.info("broadcast_batch_sent", broadcast_id=str(broadcast_id), batch=number, messages=len(results))
    else:
        throttled = False
    if await service.has_queued(session, broadcast_id):
        elapsed = asyncio.get_running_loop().time() - started
        pause = len(outgoing) / settings.broadcast_messages_per_second - elapsed
        if throttled:
            pause = max(pause, THROTTLED_PAUSE_SECONDS)
        await _next_batch(context, broadcast_id, number + 1, pause)
    else:
        await service.finish_if_done(session, broadcast_id)
