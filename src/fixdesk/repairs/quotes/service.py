"""Quotes: priced proposals for a repair that the customer approves or declines in the portal.

Lifecycle of a quote: ``draft`` (staff only) → ``sent`` → ``approved`` | ``declined``; a sent quote
becomes ``superseded`` when a newer quote of the same repair is sent. Quotes are numbered per repair
(``version`` 1, 2, … shown as ``Q1``, ``Q2``). Lines are priced like a repair's lines (price list, then
estimator; :func:`fixdesk.repairs.items.service.price_items`) and totalled with the same rule, at the
repair's tax rate.

Sending moves the repair from ``diagnosing`` to ``quoted`` (a repair already ``quoted`` stays) and
publishes ``quote.sent``, from which the customer gets the ``quote_ready`` message
(:mod:`fixdesk.repairs.quotes.jobs`). Approving moves the repair to ``approved`` and makes the quote's
lines the repair's (``priceSource`` ``quote``); declining records the reason and leaves the repair
``quoted`` for the shop to re-quote. A quote can be decided until the end of its ``validUntil`` day in the
shop's time zone (``FIXDESK_SHOP_TIMEZONE``); after that both answers are 409.

Concurrency: every change locks the repair row first (``FOR UPDATE`` on PostgreSQL, the write transaction
on SQLite), then the quote, so two decisions on one quote take turns and the second sees the first's.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from fixdesk.config import Settings
from fixdesk.db import utcnow
from fixdesk.platform.errors import Conflict, NotFound, ValidationFailed
from fixdesk.platform.events import publish
from fixdesk.platform.pagination import PageParams, paginate
from fixdesk.platform.permissions import Principal
from fixdesk.repairs import access
from fixdesk.repairs import service as repairs
from fixdesk.repairs.events import REPAIR_UPDATED, RepairEventPayload
from fixdesk.repairs.items import service as line_items
from fixdesk.repairs.items import totals as money
from fixdesk.repairs.models import (
    PriceSource,
    Quote,
    QuoteItem,
    QuoteLabour,
    QuoteStatus,
    Repair,
    RepairStatus,
)
from fixdesk.repairs.quotes.events import (
    QUOTE_APPROVED,
    QUOTE_DECLINED,
    QUOTE_SENT,
    QuoteEventPayload,
    quote_number,
)
from fixdesk.repairs.quotes.schemas import QuoteCreate

DEFAULT_VALIDITY_DAYS = 14
# Statuses a repair may be in when a quote is sent: diagnosing moves on to quoted, quoted stays.
SENDABLE_FROM = (RepairStatus.diagnosing.value, RepairStatus.quoted.value)
# What the customer sees: never drafts.
CUSTOMER_VISIBLE = (
    QuoteStatus.sent.value,
    QuoteStatus.approved.value,
    QuoteStatus.declined.value,
    QuoteStatus.superseded.value,
)


def is_expired(quote: Quote, today: date) -> bool:
    """True once ``today`` (the shop's date) is after the quote's last valid day."""
    return quote.valid_until < today


def _with_lines(statement: Select[tuple[Quote]]) -> Select[tuple[Quote]]:
    return statement.options(selectinload(Quote.items), selectinload(Quote.labour))


async def _load(session: AsyncSession, quote_id: uuid.UUID) -> Quote:
    statement = _with_lines(select(Quote).where(Quote.id == quote_id)).execution_options(
        populate_existing=True
    )
    return (await session.execute(statement)).scalar_one()


async def _locked_quote(
    session: AsyncSession, repair: Repair, quote_id: uuid.UUID, *, statuses: tuple[str, ...] | None = None
) -> Quote:
    statement = select(Quote).where(Quote.id == quote_id, Quote.repair_id == repair.id)
    if statuses is not None:
        statement = statement.where(Quote.status.in_(statuses))
    quote = (await session.execute(_with_lines(statement).with_for_update())).scalar_one_or_none()
    if quote is None:
        raise NotFound(f"Quote {quote_id} not found on repair {repair.repair_number}.")
    return quote


# --- staff --------------------------------------------------------------------------------------------


async def create_quote(
    session: AsyncSession,
    principal: Principal,
    repair_id: uuid.UUID,
    data: QuoteCreate,
    *,
    settings: Settings,
) -> Quote:
    """Create a draft quote for an open repair (and send it at once with ``send``), its lines priced and
    totalled by the server at the repair's tax rate; ``validUntil`` defaults to the shop's today + 14 days.

    Raises :class:`NotFound` (404) for a repair the principal cannot see, :class:`Forbidden` (403) for a
    technician's quote on a repair not assigned to them, :class:`Conflict` (409) for a closed repair (and,
    with ``send``, as :func:`send_quote` says) and :class:`ValidationFailed` (400) for a ``validUntil`` in
    the past or lines that cannot be priced (``items.<index>.<field>``)."""
    repair = await access.get_for_change(session, principal, repair_id)
    line_items.ensure_open(repair)
    today = settings.shop_today()
    valid_until = data.valid_until or today + timedelta(days=DEFAULT_VALIDITY_DAYS)
    if valid_until < today:
        raise ValidationFailed.for_field("validUntil", f"cannot be before today ({today.isoformat()})")
    priced = await line_items.price_items(session, repair.device_model_id, data.items)
    labour = [line_items.labour_values(line) for line in data.labour]
    result = money.compute_totals(
        [line.line_total for line in priced] + [line["line_total"] for line in labour], repair.tax_rate
    )
    highest = (
        await session.execute(select(func.max(Quote.version)).where(Quote.repair_id == repair.id))
    ).scalar()
    now = utcnow()
    quote = Quote(
        repair_id=repair.id,
        version=(highest or 0) + 1,
        status=QuoteStatus.draft.value,
        valid_until=valid_until,
        notes=data.notes,
        subtotal=result.subtotal,
        tax_rate=result.tax_rate,
        tax_amount=result.tax_amount,
        total=result.total,
        created_by_id=principal.staff_user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(quote)
    await session.flush()
    for position, line in enumerate(priced):
        session.add(QuoteItem(quote_id=quote.id, position=position, **line.values()))
    for position, values in enumerate(labour):
        session.add(QuoteLabour(quote_id=quote.id, position=position, **values))
    await session.flush()
    if data.send:
        await _send(session, principal, repair, quote, settings=settings)
    return await _load(session, quote.id)


async def list_quotes(
    session: AsyncSession, principal: Principal, repair_id: uuid.UUID, params: PageParams
) -> tuple[list[Quote], int]:
    """A page of the repair's quotes, newest first, with their lines: five queries whatever the page size
    (the repair's visibility, the count, the page, its items, its labour). Customers never see drafts.
    Raises :class:`NotFound` for a repair the principal cannot see."""
    await access.ensure_visible(session, principal, repair_id)
    statement = select(Quote).where(Quote.repair_id == repair_id)
    if principal.is_customer:
        statement = statement.where(Quote.status.in_(CUSTOMER_VISIBLE))
    statement = _with_lines(statement.order_by(Quote.version.desc()))
    rows, total = await paginate(session, statement, params)
    return list(rows), total


async def get_quote(
    session: AsyncSession, principal: Principal, repair_id: uuid.UUID, quote_id: uuid.UUID
) -> Quote:
    """One quote of a repair with its lines. Raises :class:`NotFound` for a repair the principal cannot
    see or a quote of another repair (and, for a customer, a draft)."""
    await access.ensure_visible(session, principal, repair_id)
    statement = select(Quote).where(Quote.id == quote_id, Quote.repair_id == repair_id)
    if principal.is_customer:
        statement = statement.where(Quote.status.in_(CUSTOMER_VISIBLE))
    quote = (await session.execute(_with_lines(statement))).scalar_one_or_none()
    if quote is None:
        raise NotFound(f"Quote {quote_id} not found.")
    return quote


async def _send(
    session: AsyncSession, principal: Principal, repair: Repair, quote: Quote, *, settings: Settings
) -> None:
    label = quote_number(quote)
    if quote.status != QuoteStatus.draft.value:
        raise Conflict(f"Quote {label} is {quote.status}; only a draft can be sent.", status=quote.status)
    if is_expired(quote, settings.shop_today()):
        raise Conflict(
            f"Quote {label} expired on {quote.valid_until.isoformat()}; create a new quote.",
            validUntil=quote.valid_until.isoformat(),
        )
    if repair.status not in SENDABLE_FROM:
        raise Conflict(
            f"A quote can be sent only while the repair is diagnosing or quoted; repair "
            f"{repair.repair_number} is {repair.status}.",
            status=repair.status,
            allowed=list(SENDABLE_FROM),
        )
    now = utcnow()
    await session.execute(
        update(Quote)
        .where(Quote.repair_id == repair.id, Quote.status == QuoteStatus.sent.value, Quote.id != quote.id)
        .values(status=QuoteStatus.superseded.value, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    quote.status = QuoteStatus.sent.value
    quote.sent_at = now
    quote.updated_at = now
    await session.flush()
    if repair.status == RepairStatus.diagnosing.value:
        # The customer hears about it through quote_ready, not a second, generic status message.
        await repairs.transition(
            session,
            repair,
            RepairStatus.quoted,
            actor_id=principal.staff_user_id,
            notes=f"Quote {label} sent",
            notify_customer=False,
        )
    await publish(
        session,
        QUOTE_SENT,
        QuoteEventPayload.of(quote, repair, settings.currency),
        customer_id=repair.customer_id,
        actor_id=principal.staff_user_id,
    )


async def send_quote(
    session: AsyncSession,
    principal: Principal,
    repair_id: uuid.UUID,
    quote_id: uuid.UUID,
    *,
    settings: Settings,
) -> Quote:
    """Send a draft quote to the customer: it becomes ``sent`` (``sentAt``), an earlier sent quote of the
    repair ``superseded``, the repair moves from ``diagnosing`` to ``quoted`` (``quoted`` stays), and
    ``quote.sent`` is published (the customer is notified with ``quote_ready``).

    Raises :class:`NotFound` (404) for an unknown repair or quote, :class:`Forbidden` (403) like
    :func:`create_quote`, and :class:`Conflict` (409) for a quote that is not a draft, a draft already past
    its ``validUntil``, or a repair in another status than diagnosing or quoted (named in the answer)."""
    repair = await access.get_for_change(session, principal, repair_id)
    quote = await _locked_quote(session, repair, quote_id)
    await _send(session, principal, repair, quote, settings=settings)
    return await _load(session, quote.id)


# --- the customer's decision --------------------------------------------------------------------------


async def _decidable(
    session: AsyncSession,
    principal: Principal,
    repair_id: uuid.UUID,
    quote_id: uuid.UUID,
    *,
    settings: Settings,
) -> tuple[Repair, Quote]:
    # The repair first, then the quote: every quote change takes the locks in this order.
    repair = await access.lock_repair(session, principal, repair_id)
    quote = await _locked_quote(session, repair, quote_id, statuses=CUSTOMER_VISIBLE)
    label = quote_number(quote)
    if quote.status != QuoteStatus.sent.value:
        raise Conflict(
            f"Quote {label} is {quote.status}; only a sent quote can be approved or declined.",
            status=quote.status,
        )
    if is_expired(quote, settings.shop_today()):
        raise Conflict(
            f"Quote {label} expired on {quote.valid_until.isoformat()}; ask the shop for a new quote.",
            validUntil=quote.valid_until.isoformat(),
        )
    return repair, quote


async def approve_quote(
    session: AsyncSession,
    principal: Principal,
    repair_id: uuid.UUID,
    quote_id: uuid.UUID,
    *,
    settings: Settings,
) -> Quote:
    """The customer approves a sent quote of their repair: the quote becomes ``approved`` (``decidedAt``),
    the repair moves to ``approved`` (history note "Quote Q<n> approved by the customer", no staff actor),
    the quote's lines replace the repair's items and labour (``priceSource`` ``quote``) with the totals
    recomputed, keeping the serial numbers already recorded on matching items (same repair and part type;
    :func:`fixdesk.repairs.items.service.replace_lines`), and ``quote.approved`` and ``repair.updated`` are
    published.

    Raises :class:`NotFound` (404) for another customer's repair, an unknown quote or a draft, and
    :class:`Conflict` (409) for a quote that is not ``sent`` (its status named), one past its
    ``validUntil`` ("expired on …"), or a repair no longer ``quoted`` (e.g. the shop is re-quoting)."""
    repair, quote = await _decidable(session, principal, repair_id, quote_id, settings=settings)
    label = quote_number(quote)
    if repair.status != RepairStatus.quoted.value:
        raise Conflict(
            f"Repair {repair.repair_number} is {repair.status}, not waiting for a decision on quote {label}.",
            status=repair.status,
        )
    now = utcnow()
    quote.status = QuoteStatus.approved.value
    quote.decided_at = now
    quote.updated_at = now
    await session.flush()
    await repairs.transition(
        session,
        repair,
        RepairStatus.approved,
        actor_id=None,
        notes=f"Quote {label} approved by the customer",
        notify_customer=False,
    )
    previous_total = repair.total_cost
    await line_items.replace_lines(
        session,
        repair,
        [_repair_item_values(line) for line in quote.items],
        [
            {
                "description": line.description,
                "hours": line.hours,
                "rate": line.rate,
                "line_total": line.line_total,
            }
            for line in quote.labour
        ],
    )
    await publish(
        session,
        QUOTE_APPROVED,
        QuoteEventPayload.of(quote, repair, settings.currency),
        customer_id=repair.customer_id,
    )
    changed = ["items", "labour"] + ([] if repair.total_cost == previous_total else ["totalCost"])
    await publish(
        session,
        REPAIR_UPDATED,
        RepairEventPayload.of(repair, changed_fields=changed),
        customer_id=repair.customer_id,
    )
    return await _load(session, quote.id)


def _repair_item_values(line: QuoteItem) -> dict[str, object]:
    return {
        "repair_type_id": line.repair_type_id,
        "part_type_id": line.part_type_id,
        "part_quality": line.part_quality,
        "pricing_id": line.pricing_id,
        "description": line.description,
        "quantity": line.quantity,
        "unit_price": line.unit_price,
        "unit_cost": line.unit_cost,
        "discount": line.discount,
        "line_total": line.line_total,
        "price_source": PriceSource.quote.value,
        "estimate_confidence": None,
    }


async def decline_quote(
    session: AsyncSession,
    principal: Principal,
    repair_id: uuid.UUID,
    quote_id: uuid.UUID,
    reason: str | None,
    *,
    settings: Settings,
) -> Quote:
    """The customer declines a sent quote of their repair: the quote becomes ``declined`` with the reason
    (``decidedAt``), the repair stays ``quoted`` for the shop to re-quote, and ``quote.declined`` is
    published. Raises like :func:`approve_quote` (404 and the quote's own 409s)."""
    repair, quote = await _decidable(session, principal, repair_id, quote_id, settings=settings)
    now = utcnow()
    quote.status = QuoteStatus.declined.value
    quote.decided_at = now
    quote.decline_reason = reason or None
    quote.updated_at = now
    await session.flush()
    await publish(
        session,
        QUOTE_DECLINED,
        QuoteEventPayload.of(quote, repair, settings.currency),
        customer_id=repair.customer_id,
    )
    return await _load(session, quote.id)
