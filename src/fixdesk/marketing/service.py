"""Consent and suppression endpoints' work: reading a customer's consents with their history, changing
them (audited), and the managers' suppression list. The rules themselves are in
:mod:`fixdesk.marketing.access`, shared with the senders."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.audit.service import Action, AuditActor, record
from fixdesk.customers import access as customers_access
from fixdesk.marketing import access
from fixdesk.marketing.models import MarketingConsent, MarketingConsentChange, Suppression
from fixdesk.marketing.schemas import (
    CHANNELS,
    ConsentChangeRead,
    ConsentRead,
    ConsentsRead,
    SuppressionCreate,
)
from fixdesk.platform.errors import NotFound, ValidationFailed
from fixdesk.platform.pagination import PageParams, paginate
from fixdesk.platform.permissions import Principal

HISTORY_LIMIT = 50


async def read_consents(session: AsyncSession, principal: Principal, customer_id: uuid.UUID) -> ConsentsRead:
    """Every channel's current consent of a customer the principal may read (404 otherwise), with the
    channel's address and whether it is suppressed, and the latest :data:`HISTORY_LIMIT` changes. Three
    queries."""
    customer = await customers_access.get_visible(session, principal, customer_id)
    rows = (
        (await session.execute(select(MarketingConsent).where(MarketingConsent.customer_id == customer_id)))
        .scalars()
        .all()
    )
    by_channel = {row.channel: row for row in rows}
    addresses = {channel: customers_access.contact_address(customer, channel) for channel in CHANNELS}
    suppressed = {
        (row.channel, row.address)
        for row in (
            await session.execute(
                select(Suppression.channel, Suppression.address).where(
                    Suppression.address.in_([a for a in addresses.values() if a])
                )
            )
        )
    }
    consents = []
    for channel in CHANNELS:
        row = by_channel.get(channel)
        address = addresses[channel]
        consents.append(
            ConsentRead(
                channel=channel,
                granted=bool(row and row.granted),
                changed_at=row.changed_at if row else None,
                source=row.source if row else None,
                evidence=row.evidence if row else None,
                address=address,
                suppressed=(channel, address) in suppressed,
            )
        )
    history = (
        (
            await session.execute(
                select(MarketingConsentChange)
                .where(MarketingConsentChange.customer_id == customer_id)
                .order_by(MarketingConsentChange.changed_at.desc(), MarketingConsentChange.id.desc())
                .limit(HISTORY_LIMIT)
            )
        )
        .scalars()
        .all()
    )
    return ConsentsRead(
        customer_id=customer_id,
        consents=consents,
        history=[ConsentChangeRead.model_validate(change) for change in history],
    )


async def change_consent(
    session: AsyncSession,
    principal: Principal,
    actor: AuditActor,
    customer_id: uuid.UUID,
    channel: str,
    *,
    granted: bool,
    source: str,
    evidence: str | None,
) -> ConsentsRead:
    """Grant or withdraw a customer's consent on ``channel`` on behalf of ``principal`` (staff for any
    customer, a portal customer for themselves; 404 for a customer they may not read). A change is
    written to the audit log in the same transaction (``marketing.consent_changed``, in the customer's
    activity); repeating the current state changes and audits nothing."""
    customer = await customers_access.get_visible(session, principal, customer_id)
    if customers_access.is_archived(customer):
        raise NotFound(f"Customer {customer_id} not found.")
    changed = await access.record_consent(
        session,
        customer_id=customer_id,
        channel=channel,
        granted=granted,
        source=source,
        evidence=evidence,
        actor_type=principal.type,
        actor_id=principal.id,
    )
    if changed:
        await record(
            session,
            Action.consent_changed,
            actor,
            target_type="customer",
            target_id=customer_id,
            customer_id=customer_id,
            details={"channel": channel, "granted": granted, "source": source},
        )
    return await read_consents(session, principal, customer_id)


async def list_suppressions(
    session: AsyncSession,
    params: PageParams,
    *,
    channel: str | None = None,
    address: str | None = None,
    reason: str | None = None,
) -> tuple[list[Suppression], int]:
    """A page of the suppression list, newest first; ``address`` matches the normalised address exactly."""
    statement = select(Suppression)
    if channel:
        statement = statement.where(Suppression.channel == channel)
    if address and channel:
        try:
            normalised = access.normalise_address(channel, address)
        except ValidationFailed:
            normalised = address.strip().lower()  # not an address: matches nothing, as it should
        statement = statement.where(Suppression.address == normalised)
    elif address:
        statement = statement.where(Suppression.address == address.strip().lower())
    if reason:
        statement = statement.where(Suppression.reason == reason)
    statement = statement.order_by(Suppression.created_at.desc(), Suppression.channel, Suppression.address)
    rows, total = await paginate(session, statement, params)
    return list(rows), total


async def add_suppression(
    session: AsyncSession, body: SuppressionCreate, actor: AuditActor
) -> tuple[Suppression, bool]:
    """Suppress an address (audited); returns the row and whether it is new (an address already on the
    list keeps its first reason)."""
    address = access.normalise_address(body.channel, body.address)
    existing = await session.get(Suppression, (body.channel, address))
    if existing is None:
        await access.suppress(
            session, channel=body.channel, address=address, reason=body.reason, source=body.source
        )
        await record(
            session,
            Action.suppression_added,
            actor,
            target_type="suppression",
            details={"channel": body.channel, "address": address, "reason": body.reason},
        )
    row = await session.get(Suppression, (body.channel, address))
    assert row is not None
    return row, existing is None


async def remove_suppression(session: AsyncSession, channel: str, address: str, actor: AuditActor) -> None:
    """Take an address off the list (audited); :class:`NotFound` (404) when it is not on it."""
    normalised = access.normalise_address(channel, address)
    if not await access.unsuppress(session, channel=channel, address=normalised):
        raise NotFound(f"{normalised} is not suppressed on {channel}.")
    await record(
        session,
        Action.suppression_removed,
        actor,
        target_type="suppression",
        details={"channel": channel, "address": normalised},
    )
