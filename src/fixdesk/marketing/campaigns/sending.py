"""Sending a campaign: the recipient rows, claiming them in batches, sending a batch over one connection,
recording each result, finishing the campaign.

How it runs
-----------
:func:`start_sending` (in the transaction of ``POST …/send``, or of the scheduler's job) inserts one
``queued`` recipient row per customer of the audience with a single ``INSERT … SELECT`` from
:func:`fixdesk.marketing.access.audience_select` (consenting and not suppressed right now), marks the
campaign ``sending`` and enqueues ``FIXDESK_CAMPAIGN_SEND_JOBS`` send jobs, all in that one transaction.
Each send job (:func:`send_batches`) loops until no row is left queued:

1. **claim** (one transaction, committed): up to ``FIXDESK_CAMPAIGN_BATCH_SIZE`` queued rows become
   ``sending`` with ``claimed_by`` (this job's worker) and ``claimed_until`` (a lease), by one conditional
   ``UPDATE … WHERE status = 'queued'`` whose candidates are locked ``FOR UPDATE SKIP LOCKED`` on
   PostgreSQL (SQLite's single writer gives the same exclusion): two workers never claim the same row. In
   the same transaction the batch is checked against the audience rules once more (suppression list and
   email consent *now*, by one query); a row that no longer qualifies becomes ``skipped`` and is never
   sent.
2. **send** the batch over one provider connection (:func:`fixdesk.integrations.email.email_batch`),
   paced to ``FIXDESK_CAMPAIGN_RATE_PER_SECOND`` (shared among the send jobs), the templates compiled once
   per campaign and process (:func:`compiled_campaign`).
3. **record** (one transaction): the accepted rows become ``sent`` (with the provider's id), the refused
   ones ``failed``, or ``queued`` again when the refusal was temporary (an SMTP 4xx, HTTP 429/5xx), up to
   :data:`MAX_ATTEMPTS`. Each update is conditional on this worker still holding the claim.

When no row is left queued or sending, the campaign becomes ``sent`` by one conditional update (whichever
job gets there first; the others change nothing) and ``campaign.sent`` is published in that transaction.

The crash boundary: at most once
--------------------------------
Between the provider accepting a message (step 2) and our record of it (step 3) there is no transaction
that spans both: a worker that dies there leaves rows ``sending`` whose messages may or may not have gone
out. Fixdesk chooses **at most once** for campaigns: when such a claim's lease expires, its rows become
``failed`` with the error :data:`INTERRUPTED` (:func:`expire_claims`) and are never sent again by another
worker. A marketing email lost in a crash costs little; the same promotion twice in a customer's inbox
costs trust and unsubscribes, and an unsubscribe request must never be followed by a second copy. The loss
is bounded by one batch per crashed worker, and the failed rows are visible in the stats. (Transactional
notifications choose the other side: :mod:`fixdesk.messaging.jobs` retries, with a stable ``Message-ID``.)
A message the provider refused with a reply code is known not to have been delivered and is retried; one
whose connection broke mid-message is in doubt and is recorded ``failed`` like an interrupted claim.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy import Uuid, and_, bindparam, exists, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fixdesk.config import Settings
from fixdesk.db import UTCDateTime, utcnow
from fixdesk.integrations.email import EmailMessage, email_batch
from fixdesk.integrations.errors import ProviderError
from fixdesk.marketing import access
from fixdesk.marketing.campaigns import events
from fixdesk.marketing.campaigns.models import (
    CampaignRecipient,
    CampaignStatus,
    EmailCampaign,
    RecipientStatus,
)
from fixdesk.marketing.campaigns.rendering import CompiledCampaign, compile_campaign
from fixdesk.marketing.campaigns.tokens import TokenSigner
from fixdesk.platform.events import publish
from fixdesk.platform.jobs import enqueue

log = structlog.get_logger("fixdesk.marketing.campaigns")

SEND_JOB = "marketing.campaign_send"
FINISH_JOB = "marketing.campaign_finish"
START_DUE_JOB = "marketing.campaigns_start_due"
MAX_ATTEMPTS = 3
INTERRUPTED = "interrupted: the worker stopped while sending; not resent, so nobody gets it twice"
IN_DOUBT = "in doubt: the connection broke while sending; not resent, so nobody gets it twice"
ERROR_LENGTH = 2000
# A provider error with this code was raised before anything was transmitted (the connection failed).
CONNECT_FAILED = "connect"

R = CampaignRecipient


def message_id(campaign_id: uuid.UUID, customer_id: uuid.UUID) -> str:
    """The ``Message-ID`` of a campaign's email to one customer (the same should it ever be sent again)."""
    return f"<campaign-{campaign_id}-{customer_id}@fixdesk>"


# --- starting -------------------------------------------------------------------------------------------


async def audience_of(session: AsyncSession, spec: access.AudienceSpec) -> Any:
    """The audience's ``SELECT`` on the email channel (a segment's filter resolved first)."""
    segment_filter = None
    if spec.recipient_type == "segment":
        segment_filter = await access.resolve_segment_filter(session, spec.segment_id)
    return access.audience_select(spec, "email", segment_filter=segment_filter)


async def start_sending(session: AsyncSession, campaign: EmailCampaign, settings: Settings) -> int:
    """Queue ``campaign`` for sending now in the caller's transaction: one recipient row per consenting,
    unsuppressed customer of its audience (one ``INSERT … SELECT``), status ``sending``, the send jobs
    queued. Returns the number of recipients. A campaign with none is ``sent`` at once (``sentCount`` 0).
    Raises what :func:`fixdesk.marketing.access.validate_audience` raises for a bad audience."""
    spec = access.AudienceSpec(**campaign.audience())
    await access.validate_audience(session, spec)
    audience = (await audience_of(session, spec)).subquery()
    now = utcnow()
    rows = select(
        literal(campaign.id, Uuid()),
        audience.c.customer_id,
        audience.c.email,
        audience.c.first_name,
        audience.c.last_name,
        func.coalesce(audience.c.language, "en"),
        literal(RecipientStatus.queued.value),
        literal(0),
        literal(now, UTCDateTime()),
    ).where(audience.c.email.is_not(None))
    result = await session.execute(
        insert(R).from_select(
            [
                "campaign_id",
                "customer_id",
                "email",
                "first_name",
                "last_name",
                "language",
                "status",
                "attempts",
                "queued_at",
            ],
            rows,
        )
    )
    count = max(result.rowcount or 0, 0)
    campaign.status = CampaignStatus.sending.value
    campaign.started_at = now
    campaign.recipient_count = count
    await session.flush()
    if count == 0:
        await finish_if_done(session, campaign.id)
        return 0
    batches = -(-count // settings.campaign_batch_size)
    for index in range(min(settings.campaign_send_jobs, batches)):
        await enqueue(
            session,
            SEND_JOB,
            {"campaignId": str(campaign.id)},
            unique_key=f"campaign-send:{campaign.id}:{index}",
        )
    return count


# --- claiming -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    """A claimed recipient that may still be sent to (consenting, not suppressed, at its current address)."""

    customer_id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    language: str


async def claim_batch(
    session: AsyncSession, campaign_id: uuid.UUID, worker_id: str, size: int, lease: timedelta
) -> list[Claimed]:
    """Claim up to ``size`` queued recipients (locked ``FOR UPDATE SKIP LOCKED``, then updated by key) of ``campaign_id`` for ``worker_id`` until now + ``lease``,
    mark those no longer allowed to receive it ``skipped``, and return the others. The caller commits."""
    now = utcnow()
    # Two statements rather than one UPDATE over a locked CTE: the UPDATE then finds its rows by primary
    # key whatever the planner's statistics (a freshly filled recipients table has none yet, and the
    # one-statement form fell back to a nested loop over every queued row).
    candidates = (
        await session.scalars(
            select(R.customer_id)
            .where(R.campaign_id == campaign_id, R.status == RecipientStatus.queued.value)
            .order_by(R.customer_id)
            .limit(size)
            .with_for_update(skip_locked=True)
        )
    ).all()
    if not candidates:
        return []
    claimed = (
        await session.execute(
            update(R)
            .where(
                R.campaign_id == campaign_id,
                R.customer_id.in_(candidates),
                R.status == RecipientStatus.queued.value,
            )
            .values(
                status=RecipientStatus.sending.value,
                claimed_by=worker_id,
                claimed_until=now + lease,
                attempts=R.attempts + 1,
            )
            .returning(R.customer_id, R.email, R.first_name, R.last_name, R.language)
            .execution_options(synchronize_session=False)
        )
    ).all()
    if not claimed:
        return []
    # The audience rules once more, at send time: suppressed since, or consent withdrawn since.
    spec = access.AudienceSpec(
        recipient_type="customers", segment_id=None, customer_ids=[row.customer_id for row in claimed]
    )
    allowed_select = access.audience_select(spec, "email").subquery()
    allowed = {
        row.customer_id: row
        for row in await session.execute(
            select(
                allowed_select.c.customer_id,
                allowed_select.c.email,
                allowed_select.c.first_name,
                allowed_select.c.last_name,
            )
        )
    }
    skipped = [
        row.customer_id
        for row in claimed
        if row.customer_id not in allowed or not allowed[row.customer_id].email
    ]
    if skipped:
        await session.execute(
            update(R)
            .where(R.campaign_id == campaign_id, R.customer_id.in_(skipped), R.claimed_by == worker_id)
            .values(status=RecipientStatus.skipped.value, claimed_until=None)
            .execution_options(synchronize_session=False)
        )
    result: list[Claimed] = []
    changed: list[dict[str, Any]] = []
    for row in claimed:
        current = allowed.get(row.customer_id)
        if current is None or not current.email:
            continue
        # Sent to the address that passed the suppression check just now (the snapshot may be older).
        if current.email != row.email:
            changed.append({"key": row.customer_id, "address": current.email})
        result.append(
            Claimed(
                row.customer_id, current.email, current.first_name, current.last_name, row.language or "en"
            )
        )
    if changed:
        await session.execute(
            update(R.__table__)
            .where(R.__table__.c.campaign_id == campaign_id, R.__table__.c.customer_id == bindparam("key"))
            .values(email=bindparam("address")),
            changed,
        )
    return result


async def expire_claims(session: AsyncSession, campaign_id: uuid.UUID) -> int:
    """Mark ``failed`` (:data:`INTERRUPTED`) the rows whose claim expired while ``sending``: their worker
    stopped between claiming and recording, so whether they were sent is unknown and they are not resent
    (at most once, see the module docstring). ``claimed_by`` stays, so a late worker may still record the
    truth. Returns how many."""
    now = utcnow()
    result = await session.execute(
        update(R)
        .where(R.campaign_id == campaign_id, R.status == RecipientStatus.sending.value, R.claimed_until < now)
        .values(status=RecipientStatus.failed.value, failed_at=now, error=INTERRUPTED)
        .execution_options(synchronize_session=False)
    )
    return max(result.rowcount or 0, 0)


# --- sending --------------------------------------------------------------------------------------------


_COMPILED: dict[tuple[Any, ...], CompiledCampaign] = {}
_COMPILED_MAX = 64


def compiled_campaign(campaign: EmailCampaign, settings: Settings) -> CompiledCampaign:
    """The campaign's templates, compiled once per process and campaign version (not once per message; a
    campaign cannot be edited once sending starts, so its id and ``updated_at`` name its version)."""
    key = (campaign.id, campaign.updated_at, settings.shop_name, settings.shop_email, settings.shop_phone)
    compiled = _COMPILED.get(key)
    if compiled is None:
        if len(_COMPILED) >= _COMPILED_MAX:
            _COMPILED.clear()
        compiled = _COMPILED[key] = compile_campaign(campaign.subject, campaign.body, settings)
    return compiled


class Pacer:
    """Spaces sends ``1 / rate`` seconds apart (``rate`` ≤ 0: no limit), without blocking the event loop."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.next_at: float | None = None

    async def wait(self) -> None:
        if not self.interval:
            return
        loop = asyncio.get_running_loop()
        now = loop.time()
        if self.next_at is None or self.next_at < now - self.interval:
            self.next_at = now
        delay = self.next_at - now
        self.next_at += self.interval
        if delay > 0:
            await asyncio.sleep(delay)


@dataclass
class BatchOutcome:
    sent: list[tuple[uuid.UUID, str]]
    retry: list[tuple[uuid.UUID, str]]
    failed: list[tuple[uuid.UUID, str]]
    untried: list[uuid.UUID]


def build_message(
    campaign: EmailCampaign,
    compiled: CompiledCampaign,
    recipient: Claimed,
    settings: Settings,
    signer: TokenSigner,
) -> EmailMessage:
    """The email of ``campaign`` to ``recipient``: rendered body with its tracked links and open pixel,
    and the RFC 2369 / RFC 8058 one-click unsubscribe headers."""
    base = settings.resolved_public_base_url
    token = signer.sign(campaign.id, recipient.customer_id)
    unsubscribe_url = f"{base}/unsubscribe/{token}"
    rendered = compiled.render(
        {
            "first_name": recipient.first_name,
            "last_name": recipient.last_name,
            "email": recipient.email,
            "language": recipient.language,
        },
        unsubscribe_url=unsubscribe_url,
        link_url=lambda index: f"{base}/t/c/{token}/{index}",
        open_pixel_url=f"{base}/t/o/{token}.gif",
    )
    unsubscribe = f"<{unsubscribe_url}>"
    if settings.campaign_unsubscribe_mailto:
        unsubscribe += f", <mailto:{settings.campaign_unsubscribe_mailto}?subject=unsubscribe%20{token}>"
    return EmailMessage(
        to=recipient.email,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        message_id=message_id(campaign.id, recipient.customer_id),
        headers={
            "List-Unsubscribe": unsubscribe,
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Precedence": "bulk",
            "X-Fixdesk-Campaign": str(campaign.id),
        },
    )


async def send_batch(
    provider: Any,
    campaign: EmailCampaign,
    recipients: Sequence[Claimed],
    settings: Settings,
    pacer: Pacer,
) -> BatchOutcome:
    """Send one claimed batch over one provider connection; never raises for a message's failure."""
    compiled = compiled_campaign(campaign, settings)
    signer = TokenSigner(settings)
    outcome = BatchOutcome([], [], [], [])
    remaining = list(recipients)
    try:
        async with email_batch(provider) as send:
            while remaining:
                recipient = remaining[0]
                await pacer.wait()
                message = build_message(campaign, compiled, recipient, settings, signer)
                try:
                    provider_id = await send(message)
                except ProviderError as error:
                    text = str(error)[:ERROR_LENGTH]
                    if error.code == CONNECT_FAILED:
                        break  # nothing went out: the rest of the batch goes back to the queue
                    remaining.pop(0)
                    if error.status is None:
                        # No reply code: the connection broke mid-message. In doubt, so not resent.
                        outcome.failed.append((recipient.customer_id, f"{IN_DOUBT} ({text})"))
                        break
                    (outcome.retry if error.retryable else outcome.failed).append(
                        (recipient.customer_id, text)
                    )
                    continue
                remaining.pop(0)
                outcome.sent.append((recipient.customer_id, provider_id))
    except ProviderError as error:
        # Raised opening or closing the connection: what was not sent goes back to the queue.
        log.warning("campaign_batch_connection_failed", campaign_id=str(campaign.id), error=str(error))
    outcome.untried = [recipient.customer_id for recipient in remaining]
    return outcome


async def record_outcome(
    session: AsyncSession, campaign_id: uuid.UUID, worker_id: str, outcome: BatchOutcome
) -> None:
    """Record a batch's results, each conditional on ``worker_id`` still holding the row's claim (a row
    whose claim expired meanwhile and was marked interrupted is corrected to what really happened)."""
    now = utcnow()
    table = R.__table__
    mine = and_(
        table.c.campaign_id == campaign_id,
        table.c.claimed_by == worker_id,
        table.c.status.in_((RecipientStatus.sending.value, RecipientStatus.failed.value)),
    )
    connection = await session.connection()
    done = {"claimed_by": None, "claimed_until": None}
    if outcome.sent:
        same_as_message_id = [
            key for key, provider_id in outcome.sent if provider_id == message_id(campaign_id, key)
        ]
        own_ids = [
            (key, provider_id)
            for key, provider_id in outcome.sent
            if provider_id != message_id(campaign_id, key)
        ]
        if same_as_message_id:
            await connection.execute(
                update(table)
                .where(mine, table.c.customer_id.in_(same_as_message_id))
                .values(status=RecipientStatus.sent.value, sent_at=now, error=None, failed_at=None, **done)
            )
        if own_ids:
            await connection.execute(
                update(table)
                .where(mine, table.c.customer_id == bindparam("key"))
                .values(
                    status=RecipientStatus.sent.value,
                    sent_at=now,
                    provider_message_id=bindparam("provider_id"),
                    error=None,
                    failed_at=None,
                    **done,
                ),
                [{"key": key, "provider_id": provider_id[:255]} for key, provider_id in own_ids],
            )
    if outcome.failed:
        await connection.execute(
            update(table)
            .where(mine, table.c.customer_id == bindparam("key"))
            .values(status=RecipientStatus.failed.value, failed_at=now, error=bindparam("message"), **done),
            [{"key": key, "message": message} for key, message in outcome.failed],
        )
    if outcome.retry:
        again = [{"key": key, "message": message} for key, message in outcome.retry]
        await connection.execute(
            update(table)
            .where(mine, table.c.customer_id == bindparam("key"), table.c.attempts >= MAX_ATTEMPTS)
            .values(status=RecipientStatus.failed.value, failed_at=now, error=bindparam("message"), **done),
            again,
        )
        await connection.execute(
            update(table)
            .where(
                mine, table.c.customer_id == bindparam("key"), table.c.status == RecipientStatus.sending.value
            )
            .values(status=RecipientStatus.queued.value, error=bindparam("message"), **done),
            again,
        )
    if outcome.untried:
        await connection.execute(
            update(table)
            .where(
                mine,
                table.c.customer_id.in_(outcome.untried),
                table.c.status == RecipientStatus.sending.value,
            )
            # The attempt did not happen: give it back.
            .values(status=RecipientStatus.queued.value, attempts=table.c.attempts - 1, **done)
        )


def claim_lease(settings: Settings) -> timedelta:
    """How long a batch's claim lasts: twice the batch's paced sending time, and at least a minute."""
    per_job = settings.campaign_rate_per_second / settings.campaign_send_jobs
    sending = settings.campaign_batch_size / per_job if per_job > 0 else 0
    return timedelta(seconds=max(60.0, 2 * sending + 30))


async def send_batches(
    sessionmaker: async_sessionmaker[AsyncSession],
    campaign_id: uuid.UUID,
    settings: Settings,
    provider: Any,
    worker_id: str,
) -> int:
    """One send job's work: claim, send and record batch after batch until none is left queued; then
    finish the campaign if nothing is in flight, or plan a check for when the last foreign claim expires.
    Returns how many messages this job sent."""
    pacer = Pacer(settings.campaign_rate_per_second / settings.campaign_send_jobs)
    lease = claim_lease(settings)
    sent = 0
    async with sessionmaker() as session:
        campaign = await session.get(EmailCampaign, campaign_id)
        if campaign is None or campaign.status != CampaignStatus.sending.value:
            return 0
        session.expunge(campaign)
        await expire_claims(session, campaign_id)
        await session.commit()
    loop = asyncio.get_running_loop()
    while True:
        claimed_at = loop.time()
        async with sessionmaker() as session:
            batch = await claim_batch(session, campaign_id, worker_id, settings.campaign_batch_size, lease)
            await session.commit()
        if not batch:
            # Nothing queued, but a claim may have been wholly skipped: look again unless truly empty.
            async with sessionmaker() as session:
                queued = await session.scalar(
                    select(
                        exists().where(R.campaign_id == campaign_id, R.status == RecipientStatus.queued.value)
                    )
                )
            if queued:
                continue
            break
        sending_at = loop.time()
        outcome = await send_batch(provider, campaign, batch, settings, pacer)
        recording_at = loop.time()
        async with sessionmaker() as session:
            await record_outcome(session, campaign_id, worker_id, outcome)
            await session.commit()
        log.info(
            "campaign_batch_sent",
            campaign_id=str(campaign_id),
            sent=len(outcome.sent),
            failed=len(outcome.failed),
            retry=len(outcome.retry),
            claim_seconds=round(sending_at - claimed_at, 3),
            send_seconds=round(recording_at - sending_at, 3),
            record_seconds=round(loop.time() - recording_at, 3),
        )
        sent += len(outcome.sent)
        if outcome.untried and not outcome.sent and not outcome.failed:
            # The provider could not be reached at all: let the job retry later rather than spin.
            raise ProviderError(
                getattr(provider, "name", "email"), "cannot reach the provider", retryable=True
            )
    async with sessionmaker() as session:
        if not await finish_if_done(session, campaign_id):
            await plan_finish_check(session, campaign_id)
        await session.commit()
    return sent


async def plan_finish_check(session: AsyncSession, campaign_id: uuid.UUID) -> None:
    """Queue :data:`FINISH_JOB` for when the latest claim still in flight expires (its worker may have
    died: then nobody else would finish the campaign)."""
    latest = await session.scalar(
        select(func.max(R.claimed_until)).where(
            R.campaign_id == campaign_id, R.status == RecipientStatus.sending.value
        )
    )
    if latest is None:
        return
    await enqueue(
        session,
        FINISH_JOB,
        {"campaignId": str(campaign_id)},
        run_at=latest + timedelta(seconds=1),
        unique_key=f"campaign-finish:{campaign_id}:{latest.isoformat()}",
    )


async def finish_if_done(session: AsyncSession, campaign_id: uuid.UUID) -> bool:
    """Mark the campaign ``sent`` if no recipient is queued or in flight, and publish ``campaign.sent`` in
    the same transaction; True when this call finished it (one caller does, however many race)."""
    now = utcnow()
    pending = exists().where(
        R.campaign_id == campaign_id,
        R.status.in_((RecipientStatus.queued.value, RecipientStatus.sending.value)),
    )
    result = await session.execute(
        update(EmailCampaign)
        .where(
            EmailCampaign.id == campaign_id, EmailCampaign.status == CampaignStatus.sending.value, ~pending
        )
        .values(status=CampaignStatus.sent.value, sent_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    counts = (
        await session.execute(
            select(
                func.count(R.sent_at),
                func.count().filter(R.status == RecipientStatus.failed.value),
                func.count().filter(R.status == RecipientStatus.skipped.value),
            ).where(R.campaign_id == campaign_id)
        )
    ).one()
    campaign = await session.get(EmailCampaign, campaign_id, populate_existing=True)
    assert campaign is not None
    await publish(
        session,
        events.CAMPAIGN_SENT,
        events.CampaignSentPayload(
            id=campaign.id,
            campaign_id=campaign.id,
            name=campaign.name,
            recipient_count=campaign.recipient_count,
            sent_count=counts[0],
            failed_count=counts[1],
            skipped_count=counts[2],
            sent_at=now,
        ),
    )
    log.info("campaign_sent", campaign_id=str(campaign_id), sent=counts[0], failed=counts[1])
    return True
