"""The marketing domain's contract with the domains that send (email campaigns, SMS and WhatsApp
broadcasts): who may be reached on a channel, consent, and the suppression list (issue 13, item 5).

Every marketing send goes through :func:`audience_select`: it returns only active, non-archived customers
who **granted** consent on the channel, have an address for it (an email for ``email``, a phone for
``sms`` and ``whatsapp``) and whose address is **not suppressed** on that channel — whatever the audience
(all, a segment, listed ids) says. A sender re-checks :func:`is_suppressed` just before each message, for an
address suppressed after the recipients were chosen.

* :func:`record_consent` changes a customer's consent (the portal, staff, an SMS STOP or START, an
  unsubscribe link): the current row is updated and a history row added, only when the state changes.
  Granting lifts an ``unsubscribed`` or ``stop`` suppression of the customer's address on the channel
  (the opt-out the customer has just reversed); ``bounced`` and ``complained`` stay until a manager
  removes them (``DELETE /suppressions``).
* :func:`suppress` puts an address on the list (idempotent: the first reason and moment stay).

Addresses are normalised (:func:`normalise_address`): emails stripped and lower-cased (as customers'
emails are stored), phones in E.164 (``whatsapp:+351…`` from Twilio counts as ``+351…``).
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

import phonenumbers
from sqlalchemy import Select, and_, exists, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.customers import access as customers_access
from fixdesk.db import utcnow
from fixdesk.marketing.models import MarketingConsent, MarketingConsentChange, Suppression
from fixdesk.marketing.schemas import AudienceSpec
from fixdesk.platform.errors import NotFound, ValidationFailed
from fixdesk.platform.jobs.queue import insert_ignoring_conflicts

__all__ = [
    "AudienceSpec",
    "Channel",
    "audience_select",
    "count_audience",
    "is_suppressed",
    "normalise_address",
    "record_consent",
    "resolve_segment_filter",
    "suppress",
    "unsuppress",
    "validate_audience",
]

Channel = Literal["email", "sms", "whatsapp"]
_CHANNELS = ("email", "sms", "whatsapp")
_REASONS = ("unsubscribed", "bounced", "complained", "stop")
# Suppressions an opt-in reverses; a bounce or a complaint is not the customer's choice to undo.
_LIFTED_BY_CONSENT = ("unsubscribed", "stop")


def _check_channel(channel: str, field: str = "channel") -> None:
    if channel not in _CHANNELS:
        raise ValidationFailed.for_field(field, f"must be one of: {', '.join(_CHANNELS)}")


def normalise_address(channel: str, address: str, *, field: str = "address") -> str:
    """The address as the suppression list keys it: an email stripped and lower-cased, a phone in E.164
    (it must be written in international form, ``+`` and the country code; a ``whatsapp:`` prefix is
    dropped). :class:`ValidationFailed` (400 naming ``field``) for an unknown channel or an address that is
    not one."""
    _check_channel(channel)
    value = address.strip()
    if channel == "email":
        value = value.lower()
        local, at, domain = value.partition("@")
        if not at or not local or "." not in domain or " " in value:
            raise ValidationFailed.for_field(field, f"'{address}' is not an email address")
        return value
    value = value.removeprefix("whatsapp:").strip()
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise ValidationFailed.for_field(
            field, f"'{address}' is not a phone number in international form (+ and the country code)"
        ) from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationFailed.for_field(field, f"'{address}' is not a valid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def audience_select(spec: AudienceSpec, channel: Channel, *, segment_filter: Any = None) -> Select[Any]:
    """One ``SELECT customer_id, first_name, last_name, email, phone, language`` of the customers
    ``spec`` reaches on ``channel``: active and not archived, consent granted on the channel (current
    state), a non-empty address for it, and that address not suppressed on the channel. Usable as the
    source of an ``INSERT … SELECT`` (no row is loaded into Python), for any number of customers; rows in
    no particular order (add ``order_by`` if needed).

    ``recipient_type``: ``all``; ``customers`` (``customer_ids``; ids of unknown or unreachable customers
    simply match nothing); ``segment``, which needs ``segment_filter``, the segment's resolved filter from
    ``await resolve_segment_filter(session, spec.segment_id)`` (custom field conditions need a query, and
    this function runs none). Call :func:`validate_audience` first to refuse a bad spec with a 4xx.

    Uses ``ix_marketing_consents_channel_granted_customer_id`` and the suppression list's primary key.
    """
    _check_channel(channel)
    statement = customers_access.marketing_contacts()
    columns = statement.selected_columns
    customer_id = columns.customer_id
    address = columns.email if channel == "email" else columns.phone
    statement = statement.join(
        MarketingConsent,
        and_(
            MarketingConsent.customer_id == customer_id,
            MarketingConsent.channel == channel,
            MarketingConsent.granted == true(),
        ),
    ).where(
        address.is_not(None),
        address != "",
        ~exists().where(Suppression.channel == channel, Suppression.address == address),
    )
    if spec.recipient_type == "customers":
        statement = statement.where(customer_id.in_(list(spec.customer_ids or [])))
    elif spec.recipient_type == "segment":
        if segment_filter is None:
            raise ValidationFailed.for_field(
                "segmentId", "a segment audience needs the segment's filter (resolve_segment_filter)"
            )
        statement = statement.where(customer_id.in_(segment_filter.member_ids()))
    return statement


async def resolve_segment_filter(session: AsyncSession, segment_id: uuid.UUID | None) -> Any:
    """The saved segment's filter, resolved for :func:`audience_select` (``segment_filter=``).
    :class:`NotFound` (404) for an unknown segment, :class:`ValidationFailed` (400) without an id."""
    if segment_id is None:
        raise ValidationFailed.for_field("segmentId", "is required when recipientType is segment")
    from fixdesk.marketing import segments

    return await segments.resolve_saved(session, segment_id)


async def validate_audience(session: AsyncSession, spec: AudienceSpec) -> None:
    """Refuse a spec that cannot be an audience, with a problem-details 4xx and nothing changed:

    * ``all`` with a ``segmentId`` or ``customerIds`` (400: the sender would not get what they meant);
    * ``segment`` without ``segmentId`` (400), or with one naming no saved segment (404);
    * ``customers`` without ids or with an empty list (400), with duplicate ids (400), or naming ids of
      no customer (400, naming up to five of them).

    One query at most.
    """
    if spec.recipient_type == "all":
        if spec.segment_id is not None or spec.customer_ids:
            raise ValidationFailed.for_field(
                "recipientType", "is all: leave segmentId and customerIds out, or choose segment or customers"
            )
        return
    if spec.recipient_type == "segment":
        if spec.customer_ids:
            raise ValidationFailed.for_field("customerIds", "must be left out for a segment audience")
        await resolve_segment_filter(session, spec.segment_id)
        return
    if spec.segment_id is not None:
        raise ValidationFailed.for_field("segmentId", "must be left out for a customers audience")
    ids = list(spec.customer_ids or [])
    if not ids:
        raise ValidationFailed.for_field("customerIds", "must list at least one customer")
    if len(set(ids)) != len(ids):
        raise ValidationFailed.for_field("customerIds", "lists a customer more than once")
    known = set(await customers_access.existing_ids(session, ids))
    unknown = [str(i) for i in ids if i not in known]
    if unknown:
        raise ValidationFailed.for_field("customerIds", f"no such customer: {', '.join(unknown[:5])}")


async def count_audience(session: AsyncSession, spec: AudienceSpec, channel: Channel) -> int:
    """How many customers :func:`audience_select` reaches now (validating ``spec`` first, see
    :func:`validate_audience`): one count query, plus the segment's filter for a segment."""
    await validate_audience(session, spec)
    segment_filter = None
    if spec.recipient_type == "segment":
        segment_filter = await resolve_segment_filter(session, spec.segment_id)
    selection = audience_select(spec, channel, segment_filter=segment_filter).subquery()
    return int((await session.execute(select(func.count()).select_from(selection))).scalar_one())


async def suppress(session: AsyncSession, *, channel: str, address: str, reason: str, source: str) -> None:
    """Put ``address`` (normalised, :func:`normalise_address`) on ``channel``'s suppression list for
    ``reason`` (``unsubscribed``, ``bounced``, ``complained``, ``stop``), recorded by ``source``.
    Idempotent: an address already suppressed keeps its first reason and moment. 400 for a bad channel,
    address or reason."""
    if reason not in _REASONS:
        raise ValidationFailed.for_field("reason", f"must be one of: {', '.join(_REASONS)}")
    normalised = normalise_address(channel, address)
    statement = insert_ignoring_conflicts(session, Suppression).values(
        channel=channel, address=normalised, reason=reason, source=source[:32], created_at=utcnow()
    )
    await session.execute(statement)


async def unsuppress(session: AsyncSession, *, channel: str, address: str) -> bool:
    """Take ``address`` off ``channel``'s suppression list; whether it was on it."""
    normalised = normalise_address(channel, address)
    row = await session.get(Suppression, (channel, normalised))
    if row is None:
        return False
    await session.delete(row)
    await session.flush()
    return True


async def is_suppressed(session: AsyncSession, channel: str, address: str) -> bool:
    """Whether ``address`` (normalised first; an address that is not one counts as not suppressed) is on
    ``channel``'s suppression list."""
    try:
        normalised = normalise_address(channel, address)
    except ValidationFailed:
        return False
    statement = select(Suppression.address).where(
        Suppression.channel == channel, Suppression.address == normalised
    )
    return (await session.execute(statement)).first() is not None


async def record_consent(
    session: AsyncSession,
    *,
    customer_id: uuid.UUID,
    channel: str,
    granted: bool,
    source: str,
    evidence: str | None = None,
    actor_type: str = "system",
    actor_id: uuid.UUID | None = None,
) -> bool:
    """Set ``customer_id``'s marketing consent on ``channel`` (``granted`` or withdrawn), recorded now
    (UTC) with how (``source``: ``portal``, ``staff``, ``import``, ``web_form``, ``sms_keyword``,
    ``unsubscribe_link``, …) and optional free-text ``evidence``; ``actor_type``/``actor_id`` say who
    (default: the system). Returns whether the state changed.

    Only a change is recorded: withdrawing a consent already withdrawn (a second STOP, an unsubscribe
    link clicked twice) changes nothing and adds no history row. Granting also lifts an ``unsubscribed``
    or ``stop`` suppression of the customer's current address on the channel. The current row is taken
    locked (``FOR UPDATE`` on PostgreSQL), so concurrent changes take turns. :class:`NotFound` (404) for
    an unknown customer, :class:`ValidationFailed` (400) for an unknown channel.
    """
    _check_channel(channel)
    customer = await customers_access.find_customer(session, customer_id)
    if customer is None:
        raise NotFound(f"Customer {customer_id} not found.")
    now = utcnow()
    current = await session.get(MarketingConsent, (customer_id, channel), with_for_update=True)
    if current is None:
        inserted = await session.execute(
            insert_ignoring_conflicts(session, MarketingConsent).values(
                customer_id=customer_id,
                channel=channel,
                granted=granted,
                source=source[:32],
                evidence=evidence,
                changed_at=now,
            )
        )
        changed = bool(inserted.rowcount)
        if not changed:  # a concurrent first change won: apply ours after it
            current = await session.get(
                MarketingConsent, (customer_id, channel), with_for_update=True, populate_existing=True
            )
    if current is not None:
        changed = current.granted != granted
        if changed:
            current.granted = granted
            current.source = source[:32]
            current.evidence = evidence
            current.changed_at = now
    if not changed:
        return False
    session.add(
        MarketingConsentChange(
            customer_id=customer_id,
            channel=channel,
            granted=granted,
            source=source[:32],
            evidence=evidence,
            actor_type=actor_type,
            actor_id=actor_id,
            changed_at=now,
        )
    )
    address = customers_access.contact_address(customer, channel)
    if granted and address:
        await session.execute(
            Suppression.__table__.delete().where(
                Suppression.channel == channel,
                Suppression.address == address,
                Suppression.reason.in_(_LIFTED_BY_CONSENT),
            )
        )
    await session.flush()
    return changed
