"""Warranties on fitted parts and warranty claims.

**Warranties.** When a repair enters ``completed`` (:func:`fixdesk.repairs.service.transition`), the
``repair.completed`` event it publishes in the completion's transaction has the worker run
:func:`create_warranties` (:mod:`fixdesk.repairs.warranty.jobs`), which records one :class:`Warranty` per
fitted part: every line item whose catalog part type has ``warrantyMonths > 0`` (none for 0 months or for
a line without a part type). A warranty is a snapshot of the line at completion:

* ``description``, ``part_quality`` (the line's, else the part type's), ``removed_serial`` (the faulty
  part taken out) and ``installed_serial`` (the replacement fitted);
* ``part_cost``: what the parts of the line cost the shop, ``unit_cost × quantity`` in the shop's
  currency (``None`` when the line has no unit cost). A warranty covers the whole line, so its cost is the
  line's, which is what honouring it could cost the shop;
* ``warranty_months``: the part type's ``warrantyMonths`` at completion;
* ``starts_on``: the completion date in the shop's time zone (``FIXDESK_SHOP_TIMEZONE``; UTC when the
  caller has no settings);
* ``ends_on`` (inclusive): :func:`warranty_end`, the same day of the month ``warranty_months`` later,
  or that month's last day when it has no such day (31 January + 1 month = 28 February, 29 in a leap
  year). This is how periods in months are reckoned in Regulation (EEC, Euratom) No 1182/71, Article
  3(2)(c): a period counted from an event ends on the day of the last month with the same date.

Creating warranties is idempotent: a line that already has a warranty (``repair_item_id`` is unique) gets
no second one, so completing a repair again only covers lines added since.

**Warranty jobs.** A repair opened by a claim (``warranty_claim_of_id`` set) carries one line priced
``warranty``: the replacement of the claimed part. That line's warranty carries the *remainder* of the
claimed warranty (same ``ends_on``; same ``warranty_months``), not a fresh term, so a customer cannot
extend a warranty indefinitely by claiming it; it is never shorter than the completion day itself (a job
finished after the claimed warranty ran out is covered on the day it is handed back). Any other line of a
warranty job (a part the customer pays for) gets a fresh warranty like any repair's.

**Claims.** :func:`claim_warranty` takes a claim at the front desk and opens a linked repair at no charge
(see there for every refusal). Refused claims record nothing: the refusal is the answer.
"""

from __future__ import annotations

import calendar
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Literal

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from fixdesk.catalog.models import PartType
from fixdesk.config import Settings
from fixdesk.customers import access as customers
from fixdesk.db import utcnow
from fixdesk.platform.errors import Conflict, ValidationFailed
from fixdesk.platform.events import publish
from fixdesk.platform.permissions import Principal
from fixdesk.repairs import access, lifecycle
from fixdesk.repairs import service as repairs_service
from fixdesk.repairs.items import service as line_items
from fixdesk.repairs.items import totals as money
from fixdesk.repairs.models import (
    PriceSource,
    Repair,
    RepairItem,
    RepairStatus,
    Warranty,
    WarrantyClaim,
)
from fixdesk.repairs.schemas import RepairCreate
from fixdesk.repairs.warranty.events import WARRANTY_CLAIMED, WarrantyClaimedPayload
from fixdesk.repairs.warranty.schemas import WarrantyClaimCreate

WarrantyStatus = Literal["active", "expired"]

# Claims are taken on repairs the customer has had back (or could collect): only then are the parts
# fitted and warranted.
CLAIMABLE_STATUSES = (RepairStatus.completed.value, RepairStatus.delivered.value)
# A claim is "under way" while the repair it opened is still open.
OPEN_STATUSES = tuple(status.value for status in lifecycle.OPEN_STATUSES)


def shop_date(settings: Settings | None, moment: datetime | None = None) -> date:
    """The calendar date of ``moment`` (default: now) in the shop's time zone; UTC without settings."""
    if settings is not None:
        return settings.shop_today(moment)
    return (moment or utcnow()).astimezone(UTC).date()


def warranty_end(starts_on: date, months: int) -> date:
    """The last day (inclusive) of a warranty of ``months`` calendar months starting on ``starts_on``:
    the same day of the month ``months`` later, clamped to that month's last day (31 Jan + 1 month =
    28 Feb, or 29 Feb in a leap year; 15 Jan + 3 months = 15 Apr). Regulation 1182/71, Art. 3(2)(c)."""
    month_index = starts_on.month - 1 + months
    year, month = starts_on.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(starts_on.day, calendar.monthrange(year, month)[1]))


def coverage(ends_on: date, today: date) -> tuple[WarrantyStatus, int]:
    """``("active", days)`` while ``today ≤ ends_on`` (``days`` = whole days left after today: 0 on the
    last day, which is still covered), else ``("expired", 0)``."""
    if today > ends_on:
        return "expired", 0
    return "active", (ends_on - today).days


async def _claimed_warranty(session: AsyncSession, repair: Repair) -> Warranty | None:
    """The warranty whose claim opened ``repair``, when it is a warranty job."""
    if repair.warranty_claim_of_id is None:
        return None
    statement = (
        select(Warranty)
        .join(WarrantyClaim, WarrantyClaim.warranty_id == Warranty.id)
        .where(WarrantyClaim.claim_repair_id == repair.id)
    )
    return (await session.execute(statement)).scalars().first()


def unwarranted_items_statement(repair_id: uuid.UUID) -> Select[tuple[RepairItem, int, str]]:
    """The repair's lines with a part type and no warranty yet, with the part type's months and quality."""
    return (
        select(RepairItem, PartType.warranty_months, PartType.quality)
        .join(PartType, PartType.id == RepairItem.part_type_id)
        .outerjoin(Warranty, Warranty.repair_item_id == RepairItem.id)
        .where(RepairItem.repair_id == repair_id, Warranty.id.is_(None))
        .order_by(RepairItem.position, RepairItem.id)
    )


async def create_warranties(
    session: AsyncSession, repair: Repair, *, completed_at: datetime, settings: Settings | None
) -> list[Warranty]:
    """Create the warranty records of a repair that has just been completed, one per fitted part (see
    the module docstring for what each holds and how its dates are set), and return the new ones.

    Called by the ``repair.completed`` subscriber (:mod:`fixdesk.repairs.warranty.jobs`) in its job's
    transaction; flushes, never commits. Lines that already have a warranty are skipped, so calling it
    twice creates nothing twice.
    """
    rows = (await session.execute(unwarranted_items_statement(repair.id))).all()
    if not rows:
        return []
    starts_on = shop_date(settings, completed_at)
    claimed = await _claimed_warranty(session, repair)
    created: list[Warranty] = []
    for item, part_type_months, part_type_quality in rows:
        if claimed is not None and item.price_source == PriceSource.warranty.value:
            months, ends_on = claimed.warranty_months, max(claimed.ends_on, starts_on)
        elif part_type_months > 0:
            months, ends_on = part_type_months, warranty_end(starts_on, part_type_months)
        else:
            continue
        part_cost = None
        if item.unit_cost is not None:
            part_cost = money.gross_amount(item.quantity, item.unit_cost)
        warranty = Warranty(
            repair_id=repair.id,
            repair_item_id=item.id,
            part_type_id=item.part_type_id,
            description=item.description,
            part_quality=item.part_quality or part_type_quality,
            removed_serial=item.removed_serial,
            installed_serial=item.installed_serial,
            part_cost=part_cost,
            warranty_months=months,
            starts_on=starts_on,
            ends_on=ends_on,
            created_at=completed_at,
        )
        session.add(warranty)
        created.append(warranty)
    await session.flush()
    return created


# --- the warranty view ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimEntry:
    """A claim made under a warranty, with the number and status of the repair it opened."""

    claim: WarrantyClaim
    claim_repair_number: str
    claim_repair_status: str


@dataclass(frozen=True)
class WarrantyEntry:
    """A warranty with its standing on the shop's date and the claims made under it (oldest first)."""

    warranty: Warranty
    status: WarrantyStatus
    days_remaining: int
    claims: list[ClaimEntry]


@dataclass(frozen=True)
class ClaimOrigin:
    """For a warranty job: the claim that opened it and the repair whose warranty it honours."""

    claim_id: uuid.UUID
    warranty_id: uuid.UUID
    repair_id: uuid.UUID
    repair_number: str


@dataclass(frozen=True)
class WarrantyView:
    """A repair's warranties as of ``shop_date`` (today in the shop's time zone)."""

    repair: Repair
    shop_date: date
    warranties: list[WarrantyEntry]
    claimed_under: ClaimOrigin | None


async def warranty_view(
    session: AsyncSession, principal: Principal, repair_id: uuid.UUID, *, settings: Settings
) -> WarrantyView:
    """The warranties of a repair the principal may see (a customer: only their own), each ``active`` or
    ``expired`` on today's shop date with its days remaining and its claims, plus, for a warranty job,
    the claim that opened it. Three queries, four for a warranty job, however many warranties and claims.

    Raises :class:`NotFound` (404) for a repair the principal cannot see."""
    repair = await access.get_visible(session, principal, repair_id)
    today = settings.shop_today()
    warranties = (await session.execute(warranties_statement(repair.id))).scalars()
    claims = (await session.execute(claims_statement(repair.id))).all()
    by_warranty: dict[uuid.UUID, list[ClaimEntry]] = {}
    for claim, number, status in claims:
        by_warranty.setdefault(claim.warranty_id, []).append(ClaimEntry(claim, number, status))
    entries = []
    for warranty in warranties:
        status, days = coverage(warranty.ends_on, today)
        entries.append(WarrantyEntry(warranty, status, days, by_warranty.get(warranty.id, [])))
    return WarrantyView(repair, today, entries, await _origin(session, repair))


def warranties_statement(repair_id: uuid.UUID) -> Select[tuple[Warranty]]:
    """The repair's warranties, in the order they were created (the order of their lines)."""
    return select(Warranty).where(Warranty.repair_id == repair_id).order_by(Warranty.created_at, Warranty.id)


def claims_statement(repair_id: uuid.UUID) -> Select[tuple[WarrantyClaim, str, str]]:
    """Claims made on the repair, oldest first, with the number and status of the repair each opened."""
    claim_repair = aliased(Repair)
    return (
        select(WarrantyClaim, claim_repair.repair_number, claim_repair.status)
        .join(claim_repair, claim_repair.id == WarrantyClaim.claim_repair_id)
        .where(WarrantyClaim.repair_id == repair_id)
        .order_by(WarrantyClaim.created_at, WarrantyClaim.id)
    )


def origin_statement(claim_repair_id: uuid.UUID) -> Select[tuple[uuid.UUID, uuid.UUID, uuid.UUID, str]]:
    """The claim that opened warranty job ``claim_repair_id``, with the original repair's id and number."""
    original = aliased(Repair)
    return (
        select(WarrantyClaim.id, WarrantyClaim.warranty_id, original.id, original.repair_number)
        .join(original, original.id == WarrantyClaim.repair_id)
        .where(WarrantyClaim.claim_repair_id == claim_repair_id)
    )


async def _origin(session: AsyncSession, repair: Repair) -> ClaimOrigin | None:
    if repair.warranty_claim_of_id is None:
        return None
    row = (await session.execute(origin_statement(repair.id))).first()
    return ClaimOrigin(*row) if row is not None else None


# --- claims ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AcceptedClaim:
    """An accepted claim, the repair it was made on and the no-charge repair it opened."""

    claim: WarrantyClaim
    warranty: Warranty
    original: Repair
    claim_repair: Repair


def open_claim_statement(warranty_id: uuid.UUID) -> Select[tuple[uuid.UUID, str]]:
    """The id and number of a still-open repair opened by a claim under the warranty, if any."""
    return (
        select(Repair.id, Repair.repair_number)
        .join(WarrantyClaim, WarrantyClaim.claim_repair_id == Repair.id)
        .where(WarrantyClaim.warranty_id == warranty_id, Repair.status.in_(OPEN_STATUSES))
        .limit(1)
    )


async def _open_claim(session: AsyncSession, warranty_id: uuid.UUID) -> tuple[uuid.UUID, str] | None:
    row = (await session.execute(open_claim_statement(warranty_id))).first()
    return (row[0], row[1]) if row is not None else None


async def claim_warranty(
    session: AsyncSession,
    principal: Principal,
    repair_id: uuid.UUID,
    data: WarrantyClaimCreate,
    *,
    settings: Settings,
) -> AcceptedClaim:
    """Take a warranty claim on a completed repair and open a linked repair at no charge, in the
    caller's transaction.

    The new repair goes through :func:`fixdesk.repairs.service.create_repair` like any intake (next
    ``R-YYYY-NNNNNN`` number, ``received`` with its first history row, the ``repair.created`` event and
    the customer's notification) with the original's customer and device (catalog model, type, brand,
    model, serial number, IMEI), ``warrantyClaimOfId`` = the original, an issue description naming the
    original and the part, and totals of zero (subtotal, tax and total 0.00, shop currency). It holds one
    line for the claimed part: the warranty's part type, quality and description, quantity 1, unit price
    0.00, price source ``warranty``, and as removed serial the serial of the part fitted last time. The
    :class:`WarrantyClaim` row and a ``warranty.claimed`` event complete it.

    Refusals change nothing and record nothing:

    * :class:`NotFound` (404): no repair ``repair_id`` visible to the principal;
    * :class:`Conflict` (409): the repair is not ``completed`` or ``delivered``;
    * :class:`ValidationFailed` (400, field ``warrantyId``): no such warranty, or one of another repair
      (the same answer for both: the id is wrong for this repair);
    * :class:`Conflict` (409): the warranty ended before today's shop date ("The warranty ended on
      2026-03-01."); a claim under this warranty is still under way (its repair is open; the answer names
      its number and id); the customer is archived.
    """
    # Locked (FOR UPDATE on PostgreSQL), so two claims on one repair take turns and the second sees the
    # first's open claim.
    original = await access.get_for_change(session, principal, repair_id)
    if original.status not in CLAIMABLE_STATUSES:
        raise Conflict(
            f"Repair {original.repair_number} is {original.status}: warranty claims are taken on "
            "completed or delivered repairs.",
            repairStatus=original.status,
        )
    warranty = await session.get(Warranty, data.warranty_id)
    if warranty is None or warranty.repair_id != original.id:
        raise ValidationFailed.for_field(
            "warrantyId", f"no warranty with this id on repair {original.repair_number}"
        )
    today = settings.shop_today()
    if today > warranty.ends_on:
        raise Conflict(
            f"The warranty ended on {warranty.ends_on.isoformat()}.", endsOn=warranty.ends_on.isoformat()
        )
    under_way = await _open_claim(session, warranty.id)
    if under_way is not None:
        claim_repair_id, claim_repair_number = under_way
        raise Conflict(
            f"A claim under this warranty is already under way: repair {claim_repair_number}.",
            claimRepairId=str(claim_repair_id),
            claimRepairNumber=claim_repair_number,
        )
    customer = await customers.find_customer(session, original.customer_id)
    if customer is None or customers.is_archived(customer):
        raise Conflict(
            f"The customer of repair {original.repair_number} is archived; restore them before taking "
            "a claim."
        )
    original_item = (
        await session.get(RepairItem, warranty.repair_item_id) if warranty.repair_item_id else None
    )

    claim_repair = await repairs_service.create_repair(
        session,
        principal,
        RepairCreate(
            customer_id=original.customer_id,
            device_model_id=original.device_model_id,
            device_type=original.device_type,
            device_brand=original.device_brand,
            device_model=original.device_model,
            serial_number=original.serial_number,
            imei=original.imei,
            issue_description=(
                f"Warranty claim under {original.repair_number} ({warranty.description}): "
                f"{data.issue_description}"
            ),
            total_cost=Decimal("0.00"),
        ),
        settings=settings,
        # The front desk takes the claim with the customer at the counter: the shop's required custom
        # fields are for its own intake form and must not block a warranty it owes.
        require_custom_fields=False,
    )
    claim_repair.warranty_claim_of_id = original.id
    # The line is written here rather than through the line-item service: a warranty line is priced by
    # the warranty (0.00, source "warranty"), not by the price list or the estimator.
    claim_repair.items.append(
        RepairItem(
            repair_id=claim_repair.id,
            position=0,
            repair_type_id=original_item.repair_type_id if original_item is not None else None,
            part_type_id=warranty.part_type_id,
            part_quality=warranty.part_quality,
            description=warranty.description,
            quantity=1,
            unit_price=Decimal("0.00"),
            discount=Decimal("0.00"),
            line_total=Decimal("0.00"),
            price_source=PriceSource.warranty.value,
            removed_serial=warranty.installed_serial,
        )
    )
    await session.flush()
    # Every line is 0.00, so subtotal, tax and total come out 0.00 by the same rule as any repair's.
    await line_items.recompute_totals(session, claim_repair)
    actor_id = principal.staff_user_id
    claim = WarrantyClaim(
        warranty_id=warranty.id,
        repair_id=original.id,
        claim_repair_id=claim_repair.id,
        issue_description=data.issue_description,
        created_by_id=actor_id,
        created_at=utcnow(),
    )
    session.add(claim)
    await session.flush()
    await publish(
        session,
        WARRANTY_CLAIMED,
        WarrantyClaimedPayload(
            id=claim.id,
            warranty_id=warranty.id,
            repair_id=original.id,
            repair_number=original.repair_number,
            claim_repair_id=claim_repair.id,
            claim_repair_number=claim_repair.repair_number,
            customer_id=original.customer_id,
            part_type_id=warranty.part_type_id,
            description=warranty.description,
            ends_on=warranty.ends_on,
            issue_description=claim.issue_description,
            created_by_id=actor_id,
            created_at=claim.created_at,
        ),
        customer_id=original.customer_id,
        actor_id=actor_id,
    )
    return AcceptedClaim(claim, warranty, original, claim_repair)
