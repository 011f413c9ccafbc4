"""Broadcast rules: estimating, sending and scheduling, templates, delivery reports and SMS keywords.

Sending (the job handlers in :mod:`fixdesk.marketing.broadcasts.jobs` call these):

1. :func:`create_broadcast` stores the broadcast and queues ``broadcasts.prepare`` for now or
   ``scheduleAt``, in the request's transaction.
2. :func:`prepare` makes one recipient row per customer the audience reaches *then*, in one
   ``INSERT … SELECT`` from :func:`fixdesk.marketing.access.audience_select` (no customer loaded into
   Python; a second run adds nobody: the rows are keyed by broadcast and customer).
3. :func:`claim_batch` takes the next queued rows with one conditional ``UPDATE … WHERE status = 'queued'``
   (candidates locked ``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so two workers, or a batch job run again
   after a crash, never hold the same recipient: a row is sent by whoever moved it to ``sending``.
   The same step reads the audience again for exactly those customers: whoever is no longer reached
   (suppressed, consent withdrawn, archived, no phone) is ``skipped``.
4. The job commits the claim, hands the messages to the provider, and :func:`record_outcomes` stores the
   sids and counters. A crash between the two leaves rows ``sending``; they are never sent again (the
   provider may have them) and :func:`finish_if_done` fails them as ``interrupted`` once they are stale.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from jinja2 import Template, TemplateError
from sqlalchemy import Select, String, Uuid, case, func, literal, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.config import Settings
from fixdesk.customers import access as customers_access
from fixdesk.db import utcnow
from fixdesk.marketing import access
from fixdesk.marketing.broadcasts import encoding
from fixdesk.marketing.broadcasts import events as broadcast_events
from fixdesk.marketing.broadcasts.models import (
    Broadcast,
    BroadcastRecipient,
    BroadcastStatus,
    BroadcastTemplate,
    RecipientStatus,
)
from fixdesk.marketing.broadcasts.schemas import (
    TEMPLATE_VARIABLES,
    BroadcastCreate,
    BroadcastEstimate,
    BroadcastEstimateCreate,
    BroadcastMessage,
    BroadcastRead,
    BroadcastRecipientRead,
    BroadcastStats,
    BroadcastTemplateCreate,
    BroadcastTemplateRead,
    BroadcastTemplateUpdate,
    ChannelStats,
    delivery_rate,
)
from fixdesk.messaging.service import shop_variables, template_environment
from fixdesk.platform.errors import Conflict, IllegalTransition, NotFound, ValidationFailed
from fixdesk.platform.events import publish
from fixdesk.platform.jobs import enqueue
from fixdesk.platform.jobs.queue import insert_ignoring_conflicts
from fixdesk.platform.pagination import ListTotal, PageParams, paginate
from fixdesk.platform.permissions import Principal

PREPARE_JOB = "broadcasts.prepare"
SEND_BATCH_JOB = "broadcasts.send_batch"
ESTIMATE_SAMPLE = 100
ERROR_LENGTH = 2000
# A claimed row whose outcome was not recorded after this long belongs to a worker that died mid-send.
STALE_CLAIM = timedelta(minutes=15)

SAMPLE_VARIABLES = {"customer_name": "Maria Silva", "first_name": "Maria", "last_name": "Silva"}


# --- rendering ----------------------------------------------------------------------------------------


def customer_variables(first_name: str, last_name: str) -> dict[str, str]:
    """The customer's variables of :data:`TEMPLATE_VARIABLES`."""
    return {
        "customer_name": f"{first_name} {last_name}".strip(),
        "first_name": first_name,
        "last_name": last_name,
    }


def compile_text(content: str, field: str = "content") -> Template:
    """``content`` compiled in the project's sandboxed Jinja2 environment
    (:func:`fixdesk.messaging.service.template_environment`: unknown variables are errors, nothing outside
    the given variables is reachable). :class:`ValidationFailed` (400 naming ``field``) for a syntax error."""
    try:
        return template_environment().from_string(content)
    except TemplateError as error:
        raise ValidationFailed.for_field(field, f"is not a valid template: {error}") from error


def render_text(template: Template, variables: Mapping[str, Any]) -> str:
    """The text one customer receives: rendered, surrounding blank space stripped."""
    return template.render(dict(variables)).strip()


def check_text(content: str, settings: Settings, field: str = "content") -> str:
    """Compile and render ``content`` with sample names: :class:`ValidationFailed` (400 naming ``field``)
    for a syntax error, a variable outside :data:`TEMPLATE_VARIABLES`, a sandbox violation or an empty
    result. Returns the sample text."""
    template = compile_text(content, field)
    try:
        text = render_text(template, {**shop_variables(settings), **SAMPLE_VARIABLES})
    except TemplateError as error:
        raise ValidationFailed.for_field(
            field, f"cannot be rendered ({error}); the variables are {', '.join(TEMPLATE_VARIABLES)}"
        ) from error
    if not text:
        raise ValidationFailed.for_field(field, "renders to an empty message")
    return text


# --- templates ----------------------------------------------------------------------------------------


def template_read(template: BroadcastTemplate, settings: Settings) -> BroadcastTemplateRead:
    """A template with the segments of its text rendered with sample names."""
    try:
        sample = render_text(compile_text(template.content), {**shop_variables(settings), **SAMPLE_VARIABLES})
    except (TemplateError, ValidationFailed):
        sample = template.content
    count = encoding.count_segments(sample)
    return BroadcastTemplateRead(
        id=template.id,
        name=template.name,
        type=template.type,  # type: ignore[arg-type]
        content=template.content,
        segments=count.segments,
        encoding=count.encoding,
        created_at=template.created_at,
        updated_at=template.updated_at,
    )


async def list_templates(
    session: AsyncSession, params: PageParams, type_: str | None = None
) -> tuple[Sequence[BroadcastTemplate], int]:
    """A page of templates by name (of one type when given)."""
    statement = select(BroadcastTemplate)
    if type_ is not None:
        statement = statement.where(BroadcastTemplate.type == type_)
    statement = statement.order_by(BroadcastTemplate.name, BroadcastTemplate.id)
    rows, total = await paginate(session, statement, params)
    return rows, total


async def get_template(
    session: AsyncSession, template_id: uuid.UUID, *, lock: bool = False
) -> BroadcastTemplate:
    """A template by id; :class:`NotFound` (404)."""
    template = await session.get(BroadcastTemplate, template_id, with_for_update=lock or None)
    if template is None:
        raise NotFound(f"Message template {template_id} not found.")
    return template


async def _unique_name(session: AsyncSession, name: str, template_id: uuid.UUID | None = None) -> None:
    statement = select(BroadcastTemplate.id).where(BroadcastTemplate.name == name)
    if template_id is not None:
        statement = statement.where(BroadcastTemplate.id != template_id)
    if (await session.execute(statement)).first() is not None:
        raise Conflict(f"A message template named '{name}' already exists.")


async def create_template(
    session: AsyncSession, settings: Settings, body: BroadcastTemplateCreate
) -> BroadcastTemplate:
    """Save a template. 400 when its text cannot be rendered (:func:`check_text`), 409 for a name in use."""
    check_text(body.content, settings)
    await _unique_name(session, body.name)
    template = BroadcastTemplate(name=body.name, type=body.type, content=body.content)
    session.add(template)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as error:  # a concurrent save of the same name
        raise Conflict(f"A message template named '{body.name}' already exists.") from error
    return template


async def update_template(
    session: AsyncSession, settings: Settings, template_id: uuid.UUID, body: BroadcastTemplateUpdate
) -> BroadcastTemplate:
    """Change a template's name, type or text (broadcasts already sent keep the text they were sent with).
    404, 400 and 409 as for :func:`create_template`."""
    template = await get_template(session, template_id, lock=True)
    changes = body.model_dump(exclude_unset=True)
    if "content" in changes:
        check_text(changes["content"], settings)
    if "name" in changes and changes["name"] != template.name:
        await _unique_name(session, changes["name"], template.id)
    for name, value in changes.items():
        setattr(template, name, value)
    template.updated_at = utcnow()
    await session.flush()
    return template


async def delete_template(session: AsyncSession, template_id: uuid.UUID) -> None:
    """Delete a template (broadcasts made from it keep their text). 404 for an unknown id."""
    template = await get_template(session, template_id, lock=True)
    await session.delete(template)
    await session.flush()


# --- estimating ---------------------------------------------------------------------------------------


def price_per_segment(settings: Settings, type_: str) -> Decimal:
    """The configured price of one segment on the channel (shop currency)."""
    if type_ == "whatsapp":
        return settings.broadcast_whatsapp_segment_price
    return settings.broadcast_sms_segment_price


async def _message_text(session: AsyncSession, settings: Settings, body: BroadcastMessage) -> str:
    """The broadcast's text source: its ``content``, or its template's (of the same type; 404 unknown
    template, 400 another type), checked by :func:`check_text`."""
    if body.template_id is not None:
        template = await get_template(session, body.template_id)
        if template.type != body.type:
            raise ValidationFailed.for_field("templateId", f"is a {template.type} template, not {body.type}")
        check_text(template.content, settings, "templateId")
        return template.content
    assert body.content is not None
    check_text(body.content, settings)
    return body.content


async def _audience(session: AsyncSession, spec: access.AudienceSpec, channel: str) -> Select[Any]:
    segment_filter = None
    if spec.recipient_type == "segment":
        segment_filter = await access.resolve_segment_filter(session, spec.segment_id)
    return access.audience_select(spec, channel, segment_filter=segment_filter)  # type: ignore[arg-type]


async def _estimate(
    session: AsyncSession, settings: Settings, body: BroadcastEstimateCreate, content: str
) -> BroadcastEstimate:
    await access.validate_audience(session, body)
    audience = (await _audience(session, body, body.type)).subquery()
    recipients = int((await session.execute(select(func.count()).select_from(audience))).scalar_one())
    sample = (
        await session.execute(
            select(audience.c.first_name, audience.c.last_name)
            .order_by(audience.c.customer_id)
            .limit(ESTIMATE_SAMPLE)
        )
    ).all()
    template = compile_text(content)
    shop = shop_variables(settings)
    names = [customer_variables(row.first_name, row.last_name) for row in sample] or [SAMPLE_VARIABLES]
    texts = [render_text(template, {**shop, **variables}) for variables in names]
    counts = [encoding.count_segments(text) for text in texts]
    longest = max(range(len(texts)), key=lambda index: (counts[index].segments, counts[index].units))
    largest = counts[longest]
    price = price_per_segment(settings, body.type)
    return BroadcastEstimate(
        type=body.type,
        recipients=recipients,
        segments_per_message=largest.segments,
        encoding=largest.encoding,
        characters=largest.units,
        price_per_segment=price,
        estimated_cost=encoding.estimate_cost(recipients, largest.segments, price),
        currency=settings.currency,
        preview=texts[longest],
    )


async def estimate(
    session: AsyncSession, settings: Settings, body: BroadcastEstimateCreate
) -> BroadcastEstimate:
    """The estimated cost of a broadcast before sending (see :class:`BroadcastEstimate` and
    :mod:`fixdesk.marketing.broadcasts.encoding` for the rule). 400/404 as for :func:`create_broadcast`."""
    content = await _message_text(session, settings, body)
    return await _estimate(session, settings, body, content)


# --- sending ------------------------------------------------------------------------------------------


def _sender_configured(settings: Settings, type_: str) -> bool:
    if settings.sms_provider != "twilio":
        return True  # the file provider writes every channel
    return bool(settings.twilio_whatsapp_from if type_ == "whatsapp" else settings.twilio_from_number)


async def create_broadcast(
    session: AsyncSession, settings: Settings, principal: Principal, body: BroadcastCreate
) -> Broadcast:
    """Store a broadcast and queue its sending for now or ``scheduleAt`` (in the caller's transaction).

    Raises :class:`ValidationFailed` (400) for a bad audience (:func:`~fixdesk.marketing.access.validate_audience`),
    a text that cannot be rendered, a template of the other type or a ``scheduleAt`` in the past;
    :class:`NotFound` (404) for an unknown segment or template; :class:`Conflict` (409) when the SMS
    provider has no sender for the channel (``FIXDESK_TWILIO_WHATSAPP_FROM``, ``FIXDESK_TWILIO_FROM_NUMBER``).
    """
    now = utcnow()
    if body.schedule_at is not None and body.schedule_at <= now:
        raise ValidationFailed.for_field("scheduleAt", "must be in the future (leave it out to send now)")
    if not _sender_configured(settings, body.type):
        raise Conflict(f"The SMS provider has no {body.type} sender configured.")
    content = await _message_text(session, settings, body)
    estimated = await _estimate(session, settings, body, content)
    broadcast = Broadcast(
        type=body.type,
        content=content,
        template_id=body.template_id,
        recipient_type=body.recipient_type,
        segment_id=body.segment_id,
        customer_ids=[str(i) for i in body.customer_ids] if body.customer_ids else None,
        status=BroadcastStatus.scheduled.value if body.schedule_at else BroadcastStatus.sending.value,
        schedule_at=body.schedule_at,
        estimated_recipients=estimated.recipients,
        segments_per_message=estimated.segments_per_message,
        estimated_cost=estimated.estimated_cost,
        created_by_id=principal.id if principal.type == "user" else None,
        created_at=now,
    )
    session.add(broadcast)
    await session.flush()
    await enqueue(
        session,
        PREPARE_JOB,
        {"broadcastId": str(broadcast.id)},
        run_at=body.schedule_at or now,
        unique_key=f"broadcast:{broadcast.id}:prepare",
    )
    return broadcast


def _spec_of(broadcast: Broadcast) -> access.AudienceSpec:
    return access.AudienceSpec(
        recipient_type=broadcast.recipient_type,  # type: ignore[arg-type]
        segment_id=broadcast.segment_id,
        customer_ids=[uuid.UUID(i) for i in broadcast.customer_ids] if broadcast.customer_ids else None,
    )


async def prepare(session: AsyncSession, broadcast_id: uuid.UUID) -> bool:
    """Make the recipient rows of a broadcast whose time has come (one ``INSERT … SELECT``) and mark it
    ``sending``. Returns whether batches should start. Idempotent: run again, it adds nobody.

    A segment deleted since scheduling leaves the broadcast with no recipients (sent to nobody); a
    broadcast cancelled before its time is left as it is (its job finds nothing to do)."""
    broadcast = await session.get(Broadcast, broadcast_id, with_for_update=True)
    if broadcast is None or broadcast.status in (BroadcastStatus.sent, BroadcastStatus.cancelled):
        return False
    spec = _spec_of(broadcast)
    try:
        audience = (await _audience(session, spec, broadcast.type)).subquery()
    except (NotFound, ValidationFailed):
        audience = None
    now = utcnow()
    if audience is not None:
        source = select(
            literal(broadcast.id, Uuid()),
            audience.c.customer_id,
            audience.c.phone,
            literal(RecipientStatus.queued.value, String()),
            literal(now, BroadcastRecipient.created_at.type),
        ).where(true())  # SQLite parses INSERT … SELECT … ON CONFLICT only with a WHERE in the SELECT
        insert = insert_ignoring_conflicts(session, BroadcastRecipient).from_select(
            ["broadcast_id", "customer_id", "address", "status", "created_at"], source
        )
        await session.execute(insert)
    total = (
        await session.execute(select(func.count()).where(BroadcastRecipient.broadcast_id == broadcast.id))
    ).scalar_one()
    broadcast.recipient_count = int(total)
    broadcast.status = BroadcastStatus.sending.value
    broadcast.started_at = broadcast.started_at or now
    await session.flush()
    return True


@dataclass(frozen=True)
class Outgoing:
    """One claimed message ready to go: who, where, and its text."""

    customer_id: uuid.UUID
    address: str
    text: str


async def claim_batch(
    session: AsyncSession, settings: Settings, broadcast_id: uuid.UUID, size: int
) -> tuple[Broadcast | None, list[Outgoing]]:
    """Claim up to ``size`` queued recipients of the broadcast for this worker and render their texts.

    The claim is one conditional ``UPDATE`` (see the module docstring), so a recipient is claimed once,
    ever. Claimed customers the audience no longer reaches are marked ``skipped`` (and counted) at once.
    The caller commits before calling the provider."""
    broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None or broadcast.status != BroadcastStatus.sending:
        return broadcast, []
    now = utcnow()
    candidates = (
        select(BroadcastRecipient.customer_id)
        .where(
            BroadcastRecipient.broadcast_id == broadcast_id,
            BroadcastRecipient.status == RecipientStatus.queued.value,
        )
        .order_by(BroadcastRecipient.customer_id)
        .limit(size)
        .with_for_update(skip_locked=True)
        .cte("candidates")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    claimed = (
        (
            await session.execute(
                update(BroadcastRecipient)
                .where(
                    BroadcastRecipient.broadcast_id == broadcast_id,
                    BroadcastRecipient.customer_id.in_(select(candidates.c.customer_id)),
                    BroadcastRecipient.status == RecipientStatus.queued.value,
                )
                .values(status=RecipientStatus.sending.value, claimed_at=now)
                .returning(BroadcastRecipient.customer_id)
                .execution_options(synchronize_session=False)
            )
        )
        .scalars()
        .all()
    )
    if not claimed:
        return broadcast, []
    # Consent, suppression and status as they are now, for exactly the claimed customers: one query.
    recheck = access.AudienceSpec(recipient_type="customers", customer_ids=list(claimed))
    reachable = {
        row.customer_id: row
        for row in (await session.execute(access.audience_select(recheck, broadcast.type))).all()  # type: ignore[arg-type]
    }
    skipped = [customer_id for customer_id in claimed if customer_id not in reachable]
    if skipped:
        await session.execute(
            update(BroadcastRecipient)
            .where(
                BroadcastRecipient.broadcast_id == broadcast_id,
                BroadcastRecipient.customer_id.in_(skipped),
                BroadcastRecipient.status == RecipientStatus.sending.value,
            )
            .values(status=RecipientStatus.skipped.value, error="suppressed or consent withdrawn")
            .execution_options(synchronize_session=False)
        )
        await _add_counts(session, broadcast_id, skipped=len(skipped))
    template = compile_text(broadcast.content)
    shop = shop_variables(settings)
    outgoing: list[Outgoing] = []
    failures: list[tuple[uuid.UUID, str]] = []
    for customer_id in claimed:
        row = reachable.get(customer_id)
        if row is None:
            continue
        try:
            text = render_text(template, {**shop, **customer_variables(row.first_name, row.last_name)})
        except TemplateError as error:
            failures.append((customer_id, f"the text cannot be rendered: {error}"))
            continue
        outgoing.append(Outgoing(customer_id, row.phone, text))
    if failures:
        await record_outcomes(session, broadcast_id, provider=None, sent=[], failed=failures)
    return broadcast, outgoing


async def _add_counts(
    session: AsyncSession,
    broadcast_id: uuid.UUID,
    *,
    sent: int = 0,
    delivered: int = 0,
    failed: int = 0,
    skipped: int = 0,
) -> None:
    # Increments in SQL, so concurrent batches and callbacks add up instead of overwriting each other.
    await session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id)
        .values(
            sent_count=Broadcast.sent_count + sent,
            delivered_count=Broadcast.delivered_count + delivered,
            failed_count=Broadcast.failed_count + failed,
            skipped_count=Broadcast.skipped_count + skipped,
        )
        .execution_options(synchronize_session=False)
    )


async def record_outcomes(
    session: AsyncSession,
    broadcast_id: uuid.UUID,
    *,
    provider: str | None,
    sent: Sequence[tuple[uuid.UUID, str]],
    failed: Sequence[tuple[uuid.UUID, str]],
    requeued: Sequence[uuid.UUID] = (),
) -> None:
    """Store what the provider said about claimed messages: ``sent`` (customer, provider message id) and
    ``failed`` (customer, error), and add them to the broadcast's counters; ``requeued`` customers (the
    provider refused them unread) go back to ``queued``. Only rows still ``sending`` change, so recording
    twice counts once."""
    now = utcnow()
    moved_sent = 0
    if sent:
        sids = {customer_id: sid for customer_id, sid in sent}
        moved_sent = await _move_claimed(
            session,
            broadcast_id,
            list(sids),
            status=RecipientStatus.sent.value,
            provider=provider,
            provider_message_id=case(sids, value=BroadcastRecipient.customer_id),
            sent_at=now,
        )
    moved_failed = 0
    if failed:
        errors = {customer_id: error[:ERROR_LENGTH] for customer_id, error in failed}
        moved_failed = await _move_claimed(
            session,
            broadcast_id,
            list(errors),
            status=RecipientStatus.failed.value,
            provider=provider,
            error=case(errors, value=BroadcastRecipient.customer_id),
        )
    if requeued:
        await _move_claimed(
            session, broadcast_id, list(requeued), status=RecipientStatus.queued.value, claimed_at=None
        )
    if moved_sent or moved_failed:
        await _add_counts(session, broadcast_id, sent=moved_sent + moved_failed, failed=moved_failed)


async def _move_claimed(
    session: AsyncSession, broadcast_id: uuid.UUID, customer_ids: list[uuid.UUID], **values: Any
) -> int:
    """One ``UPDATE`` of the listed rows still ``sending`` (per-row values as ``CASE customer_id``);
    how many moved."""
    moved = await session.execute(
        update(BroadcastRecipient)
        .where(
            BroadcastRecipient.broadcast_id == broadcast_id,
            BroadcastRecipient.customer_id.in_(customer_ids),
            BroadcastRecipient.status == RecipientStatus.sending.value,
        )
        .values(**values)
        .returning(BroadcastRecipient.customer_id)
        .execution_options(synchronize_session=False)
    )
    return len(moved.all())


async def has_queued(session: AsyncSession, broadcast_id: uuid.UUID) -> bool:
    """Whether recipients of the broadcast are still waiting for a batch."""
    statement = select(BroadcastRecipient.customer_id).where(
        BroadcastRecipient.broadcast_id == broadcast_id,
        BroadcastRecipient.status == RecipientStatus.queued.value,
    )
    return (await session.execute(statement.limit(1))).first() is not None


async def finish_if_done(session: AsyncSession, broadcast_id: uuid.UUID) -> bool:
    """Mark the broadcast ``sent`` and publish ``broadcast.sent`` when no recipient is queued or being
    sent (rows claimed longer than :data:`STALE_CLAIM` ago by a worker that died are failed as
    ``interrupted`` first: their outcome is unknown, and sending again could send twice). Call it after
    committing a batch's outcome: the last batch to commit then sees every other one. Returns whether
    this call finished it (only one does: the update is conditional)."""
    if await has_queued(session, broadcast_id):
        return False
    now = utcnow()
    stale = await session.execute(
        update(BroadcastRecipient)
        .where(
            BroadcastRecipient.broadcast_id == broadcast_id,
            BroadcastRecipient.status == RecipientStatus.sending.value,
            BroadcastRecipient.claimed_at < now - STALE_CLAIM,
        )
        .values(status=RecipientStatus.failed.value, error="interrupted: the provider's answer was lost")
        .execution_options(synchronize_session=False)
    )
    if stale.rowcount:
        await _add_counts(session, broadcast_id, sent=stale.rowcount, failed=stale.rowcount)
    in_flight = select(BroadcastRecipient.customer_id).where(
        BroadcastRecipient.broadcast_id == broadcast_id,
        BroadcastRecipient.status == RecipientStatus.sending.value,
    )
    if (await session.execute(in_flight.limit(1))).first() is not None:
        return False
    finished = await session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id, Broadcast.status == BroadcastStatus.sending.value)
        .values(status=BroadcastStatus.sent.value, sent_at=now)
        .returning(Broadcast.id)
        .execution_options(synchronize_session=False)
    )
    if finished.first() is None:
        return False
    broadcast = await session.get(Broadcast, broadcast_id, populate_existing=True)
    assert broadcast is not None
    await publish(
        session,
        broadcast_events.BROADCAST_SENT,
        broadcast_events.BroadcastSentPayload.of(broadcast),
        actor_id=broadcast.created_by_id,
    )
    return True


# --- reading ------------------------------------------------------------------------------------------


def broadcast_read(broadcast: Broadcast, settings: Settings) -> BroadcastRead:
    """A broadcast as the API returns it (counters, delivery rate, estimate in the shop's currency)."""
    return BroadcastRead(
        id=broadcast.id,
        type=broadcast.type,  # type: ignore[arg-type]
        content=broadcast.content,
        template_id=broadcast.template_id,
        recipient_type=broadcast.recipient_type,  # type: ignore[arg-type]
        segment_id=broadcast.segment_id,
        customer_ids=[uuid.UUID(i) for i in broadcast.customer_ids] if broadcast.customer_ids else None,
        status=broadcast.status,  # type: ignore[arg-type]
        schedule_at=broadcast.schedule_at,
        started_at=broadcast.started_at,
        sent_at=broadcast.sent_at,
        recipient_count=broadcast.recipient_count,
        sent_count=broadcast.sent_count,
        delivered_count=broadcast.delivered_count,
        failed_count=broadcast.failed_count,
        skipped_count=broadcast.skipped_count,
        delivery_rate=delivery_rate(broadcast.delivered_count, broadcast.sent_count),
        estimated_recipients=broadcast.estimated_recipients,
        segments_per_message=broadcast.segments_per_message,
        estimated_cost=broadcast.estimated_cost,
        currency=settings.currency,
        created_by_id=broadcast.created_by_id,
        created_at=broadcast.created_at,
    )


async def get_broadcast(session: AsyncSession, broadcast_id: uuid.UUID) -> Broadcast:
    """A broadcast by id; :class:`NotFound` (404)."""
    broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise NotFound(f"Message {broadcast_id} not found.")
    return broadcast


async def list_broadcasts(
    session: AsyncSession, params: PageParams, type_: str | None = None, status: str | None = None
) -> tuple[Sequence[Broadcast], int]:
    """A page of broadcasts, newest first (of one type and status when given)."""
    statement = select(Broadcast)
    if type_ is not None:
        statement = statement.where(Broadcast.type == type_)
    if status is not None:
        statement = statement.where(Broadcast.status == status)
    statement = statement.order_by(Broadcast.created_at.desc(), Broadcast.id.desc())
    rows, total = await paginate(session, statement, params)
    return rows, total


async def stats(session: AsyncSession) -> BroadcastStats:
    """Every broadcast's totals per channel (one aggregate query over the broadcasts' counters)."""
    statement = select(
        Broadcast.type,
        func.coalesce(func.sum(Broadcast.sent_count), 0),
        func.coalesce(func.sum(Broadcast.delivered_count), 0),
        func.coalesce(func.sum(Broadcast.failed_count), 0),
    ).group_by(Broadcast.type)
    totals = {
        row[0]: (int(row[1]), int(row[2]), int(row[3])) for row in (await session.execute(statement)).all()
    }

    def channel(name: str) -> ChannelStats:
        sent, delivered, failed = totals.get(name, (0, 0, 0))
        return ChannelStats(
            sent=sent, delivered=delivered, failed=failed, delivery_rate=delivery_rate(delivered, sent)
        )

    sms, whatsapp = channel("sms"), channel("whatsapp")
    return BroadcastStats(
        total_sms_sent=sms.sent,
        total_whats_app_sent=whatsapp.sent,
        average_delivery_rate=delivery_rate(sms.delivered + whatsapp.delivered, sms.sent + whatsapp.sent),
        sms=sms,
        whatsapp=whatsapp,
    )


# The broadcast lifecycle: what may follow each status (sent and cancelled are final).
NEXT: dict[str, list[str]] = {
    BroadcastStatus.scheduled.value: [BroadcastStatus.sending.value, BroadcastStatus.cancelled.value],
    BroadcastStatus.sending.value: [BroadcastStatus.sent.value],
    BroadcastStatus.sent.value: [],
    BroadcastStatus.cancelled.value: [],
}


async def cancel_broadcast(session: AsyncSession, broadcast_id: uuid.UUID) -> Broadcast:
    """Cancel a scheduled broadcast before its time: it becomes ``cancelled`` and nothing of it is sent
    (its ``broadcasts.prepare`` job, when it comes, finds it cancelled and does nothing). Taken locked, so
    it cannot race the job that starts it. :class:`NotFound` (404) for an unknown id;
    :class:`IllegalTransition` (409, naming the allowed next states) once it is sending, sent or
    cancelled: its recipients are chosen and its messages on their way."""
    broadcast = await session.get(Broadcast, broadcast_id, with_for_update=True, populate_existing=True)
    if broadcast is None:
        raise NotFound(f"Message {broadcast_id} not found.")
    if broadcast.status != BroadcastStatus.scheduled:
        raise IllegalTransition(broadcast.status, BroadcastStatus.cancelled.value, NEXT[broadcast.status])
    broadcast.status = BroadcastStatus.cancelled.value
    await session.flush()
    return broadcast


async def list_recipients(
    session: AsyncSession, broadcast_id: uuid.UUID, params: PageParams, status: str | None = None
) -> tuple[list[BroadcastRecipientRead], ListTotal]:
    """A page of the broadcast's recipients (of one :class:`RecipientStatus` when given) by customer id,
    each with the customer's name now: two queries (the page, then its customers through
    :func:`fixdesk.customers.access.customers_in`), plus the total when the page is full. An empty list
    before the broadcast's time (recipients are chosen then). :class:`NotFound` (404) for an unknown
    broadcast."""
    await get_broadcast(session, broadcast_id)
    statement = select(BroadcastRecipient).where(BroadcastRecipient.broadcast_id == broadcast_id)
    if status is not None:
        statement = statement.where(BroadcastRecipient.status == status)
    rows, total = await paginate(session, statement.order_by(BroadcastRecipient.customer_id), params)
    names = {}
    if rows:
        customers = await session.scalars(customers_access.customers_in([row.customer_id for row in rows]))
        names = {customer.id: (customer.first_name, customer.last_name) for customer in customers}
    items = [
        BroadcastRecipientRead(
            customer_id=row.customer_id,
            first_name=names.get(row.customer_id, ("", ""))[0],
            last_name=names.get(row.customer_id, ("", ""))[1],
            address=row.address,
            status=row.status,  # type: ignore[arg-type]
            provider_status=row.provider_status,
            error=row.error,
            sent_at=row.sent_at,
            delivered_at=row.delivered_at,
        )
        for row in rows
    ]
    return items, total


# --- Twilio's delivery reports ------------------------------------------------------------------------

_DELIVERED = {"delivered", "read"}
_UNDELIVERED = {"undelivered"}
_FAILED = {"failed", "canceled"}


async def apply_delivery_status(
    session: AsyncSession,
    provider_message_id: str,
    provider_status: str,
    *,
    error_code: str | None = None,
    error_message: str | None = None,
) -> bool:
    """Apply Twilio's status report for a broadcast message. ``delivered``/``read`` make a sent message
    ``delivered`` (and publish ``message.delivered``), ``undelivered`` ``undelivered``, ``failed`` and
    ``canceled`` ``failed`` (with the error code), counting each once on the broadcast; interim statuses
    (``queued``, ``sending``, ``sent``) are only noted. A report about a message already final changes
    nothing (callbacks arrive out of order). Returns whether a broadcast message has that sid."""
    status = provider_status.strip().lower()[:30]
    if status in _DELIVERED:
        target, values = RecipientStatus.delivered, {"delivered_at": utcnow(), "error": None}
    elif status in _UNDELIVERED | _FAILED:
        target = RecipientStatus.undelivered if status in _UNDELIVERED else RecipientStatus.failed
        reason = f"twilio {status}" + (f" (error {error_code})" if error_code else "")
        if error_message:
            reason += f": {error_message}"
        values = {"error": reason[:ERROR_LENGTH]}
    else:
        noted = await session.execute(
            update(BroadcastRecipient)
            .where(
                BroadcastRecipient.provider_message_id == provider_message_id,
                BroadcastRecipient.status == RecipientStatus.sent.value,
            )
            .values(provider_status=status)
            .execution_options(synchronize_session=False)
        )
        if noted.rowcount:
            return True
        return await _known_sid(session, provider_message_id)
    moved = (
        await session.execute(
            update(BroadcastRecipient)
            .where(
                BroadcastRecipient.provider_message_id == provider_message_id,
                BroadcastRecipient.status == RecipientStatus.sent.value,
            )
            .values(status=target.value, provider_status=status, **values)
            .returning(BroadcastRecipient.broadcast_id, BroadcastRecipient.customer_id)
            .execution_options(synchronize_session=False)
        )
    ).all()
    if not moved:
        return await _known_sid(session, provider_message_id)
    for broadcast_id, customer_id in moved:
        if target == RecipientStatus.delivered:
            await _add_counts(session, broadcast_id, delivered=1)
            broadcast = await session.get(Broadcast, broadcast_id)
            await publish(
                session,
                broadcast_events.MESSAGE_DELIVERED,
                broadcast_events.MessageDeliveredPayload(
                    message_id=broadcast_id,
                    customer_id=customer_id,
                    type=broadcast.type if broadcast else "sms",
                    delivery_status=status,
                    provider_message_id=provider_message_id,
                    delivered_at=values["delivered_at"],  # type: ignore[arg-type]
                ),
                customer_id=customer_id,
            )
        else:
            await _add_counts(session, broadcast_id, failed=1)
    return True


async def _known_sid(session: AsyncSession, provider_message_id: str) -> bool:
    statement = select(BroadcastRecipient.customer_id).where(
        BroadcastRecipient.provider_message_id == provider_message_id
    )
    return (await session.execute(statement.limit(1))).first() is not None


# --- inbound STOP / START -----------------------------------------------------------------------------

# Twilio's default opt-out and opt-in keywords for long codes ("Customize users' opt-in and opt-out
# experience with Advanced Opt-Out", twilio.com/docs/messaging/tutorials/advanced-opt-out; the same list
# as CTIA's): a message consisting of one of them alone, in any case, with blank space around it.
OPT_OUT_KEYWORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
OPT_IN_KEYWORDS = frozenset({"START", "YES", "UNSTOP"})


async def apply_inbound_keyword(session: AsyncSession, sender: str, body: str) -> str | None:
    """Apply an inbound message's opt-out or opt-in keyword from ``sender`` (``+351…`` for SMS,
    ``whatsapp:+351…`` for WhatsApp, which decides the channel).

    Opt-out (:data:`OPT_OUT_KEYWORDS`): the number is suppressed on the channel (reason ``stop``) and every
    customer with that phone has their consent on the channel withdrawn (source ``sms_keyword``). Opt-in
    (:data:`OPT_IN_KEYWORDS`): consent is recorded again for those customers, which lifts the ``stop``
    suppression. Returns ``"opt_out"``, ``"opt_in"`` or None (another message, or a sender that is not a
    phone number: nothing changes)."""
    keyword = " ".join(body.split()).upper()
    if keyword in OPT_OUT_KEYWORDS:
        action = "opt_out"
    elif keyword in OPT_IN_KEYWORDS:
        action = "opt_in"
    else:
        return None
    channel = "whatsapp" if sender.strip().startswith("whatsapp:") else "sms"
    try:
        address = access.normalise_address(channel, sender, field="From")
    except ValidationFailed:
        return None
    evidence = f"Replied {keyword} from {address}"
    if action == "opt_out":
        await access.suppress(session, channel=channel, address=address, reason="stop", source="sms_keyword")
    customer_ids = (await session.execute(customers_access.ids_with_phone(address))).scalars().all()
    for customer_id in customer_ids:
        await access.record_consent(
            session,
            customer_id=customer_id,
            channel=channel,
            granted=action == "opt_in",
            source="sms_keyword",
            evidence=evidence,
        )
    return action
