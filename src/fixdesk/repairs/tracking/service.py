"""The public tracking link of a repair and the customer's review of it.

Tracking: every repair has an unguessable ``tracking_token`` (24 random bytes, URL-safe base64; see
:func:`fixdesk.repairs.models.new_tracking_token`) and a public page ``<public base url>/track/<token>``
that the created-repair SMS and email link to. Whoever holds the link sees the repair's progress without
signing in, so :func:`get_tracking` returns only what is safe in a forwarded message (see
:class:`~fixdesk.repairs.tracking.schemas.TrackingRead`), and an unknown link answers the same 404 whether
or not the repair exists.

Reviews: a customer rates one of their own completed (or delivered) repairs once, 1 to 5 with an
optional comment; staff read them in the repair detail and in a filtered list.
"""

from __future__ import annotations

import hmac
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from fixdesk.config import Settings
from fixdesk.customers.models import Customer
from fixdesk.db import utcnow
from fixdesk.messaging.service import language_of
from fixdesk.platform.errors import Conflict, NotFound, ValidationFailed
from fixdesk.platform.events import publish
from fixdesk.platform.pagination import PageParams, paginate
from fixdesk.platform.permissions import Principal
from fixdesk.repairs.access import lock_repair, visible_repair_ids, with_tracking_token
from fixdesk.repairs.messages import status_label
from fixdesk.repairs.models import Repair, RepairReview, RepairStatus, RepairStatusHistory
from fixdesk.repairs.service import end_of, start_of
from fixdesk.repairs.tracking.events import REPAIR_REVIEWED, ReviewEventPayload
from fixdesk.repairs.tracking.schemas import ReviewCreate, ShopContact, TrackingRead, TrackingStep

TRACKING_PATH = "/track/"
# Generated tokens are 32 characters of the URL-safe base64 alphabet; the column allows up to 64. Anything
# else cannot be a token and is answered without a query.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,64}")
UNKNOWN_LINK = "No repair has this tracking link. Check the link in your message, or contact the shop."
REVIEWABLE_STATUSES = (RepairStatus.completed.value, RepairStatus.delivered.value)


def tracking_url(settings: Settings, token: str) -> str:
    """The public status page of the repair with ``token``: ``<FIXDESK_PUBLIC_BASE_URL>/track/<token>``."""
    return f"{settings.resolved_public_base_url}{TRACKING_PATH}{token}"


# --- the tracking link --------------------------------------------------------------------------------


async def get_tracking(session: AsyncSession, settings: Settings, token: str) -> TrackingRead:
    """What the tracking link ``token`` shows: status, history, estimated completion, completed and
    delivered times, the shop's contact and the customer's first name, labelled in the customer's
    language. Two queries (the repair with its customer, then its history).

    The token is compared exactly (case-sensitive). Raises :class:`NotFound` (404, the same message for
    every unknown token) when no repair has it.
    """
    if not _TOKEN_SHAPE.fullmatch(token):
        raise NotFound(UNKNOWN_LINK)
    statement = with_tracking_token(token).options(
        joinedload(Repair.customer).load_only(Customer.first_name, Customer.language),
        selectinload(Repair.status_history).load_only(
            RepairStatusHistory.to_status, RepairStatusHistory.created_at
        ),
    )
    repair = (await session.execute(statement)).unique().scalar_one_or_none()
    # Belt and braces: should a database compare text without regard to case, the link must still match
    # exactly; compare_digest does so without a timing difference.
    if repair is None or not hmac.compare_digest(repair.tracking_token.encode(), token.encode()):
        raise NotFound(UNKNOWN_LINK)
    language = language_of(repair.customer.language)
    history = [
        TrackingStep(status=row.to_status, label=status_label(row.to_status, language), at=row.created_at)
        for row in repair.status_history
    ]
    delivered_at = next(
        (step.at for step in reversed(history) if step.status == RepairStatus.delivered.value), None
    )
    return TrackingRead(
        repair_number=repair.repair_number,
        status=repair.status,
        status_label=status_label(repair.status, language),
        language=language,
        device_brand=repair.device_brand,
        device_model=repair.device_model,
        customer_first_name=repair.customer.first_name,
        estimated_completion=repair.estimated_completion,
        completed_at=repair.actual_completion,
        delivered_at=delivered_at,
        history=history,
        shop=ShopContact.of(settings),
    )


# --- reviews ------------------------------------------------------------------------------------------


async def create_review(
    session: AsyncSession, principal: Principal, repair_id: uuid.UUID, data: ReviewCreate
) -> RepairReview:
    """The signed-in customer rates their repair ``repair_id``: one review per repair, only once it is
    completed (ready for pickup) or delivered; publishes ``repair.reviewed`` in the same transaction.

    Raises :class:`NotFound` (404) for a repair that is not the customer's, :class:`Conflict` (409) when
    the repair is in another status (``currentStatus`` names it) or already has a review.
    """
    # Locked, so two reviews sent at once take turns and the second sees the first; the unique repair_id
    # is the last line of defence.
    repair = await lock_repair(session, principal, repair_id)
    if repair.status not in REVIEWABLE_STATUSES:
        raise Conflict(
            f"Only a completed or delivered repair can be reviewed; this one is '{repair.status}'.",
            currentStatus=repair.status,
        )
    existing = await session.scalar(select(RepairReview.id).where(RepairReview.repair_id == repair.id))
    if existing is not None:
        raise Conflict("This repair has already been reviewed.", reviewId=str(existing))
    review = RepairReview(
        repair_id=repair.id,
        customer_id=repair.customer_id,
        rating=data.rating,
        comment=data.comment or None,
        created_at=utcnow(),
    )
    session.add(review)
    await session.flush()
    await publish(
        session,
        REPAIR_REVIEWED,
        ReviewEventPayload.of(review, repair),
        customer_id=repair.customer_id,
        actor_id=None,
    )
    return review


async def get_customer_review(
    session: AsyncSession, principal: Principal, repair_id: uuid.UUID
) -> RepairReview:
    """The signed-in customer's review of their repair ``repair_id``.

    Raises :class:`NotFound` (404) for a repair that is not theirs or has no review yet."""
    repair_ids = visible_repair_ids(principal, repair_id)
    statement = select(RepairReview).where(RepairReview.repair_id.in_(repair_ids.scalar_subquery()))
    review = (await session.execute(statement)).scalar_one_or_none()
    if review is None:
        if await session.scalar(repair_ids) is None:
            raise NotFound(f"Repair {repair_id} not found.")
        raise NotFound("This repair has not been reviewed yet.")
    return review


@dataclass(frozen=True)
class ReviewFilters:
    """Filters of the staff review list. ``rating`` is exact; ``min_rating``/``max_rating`` bound it
    (inclusive). ``date_from``/``date_to`` are inclusive calendar days in the shop's time zone
    (``FIXDESK_SHOP_TIMEZONE``), or exact instants when given with a time."""

    rating: int | None = None
    min_rating: int | None = None
    max_rating: int | None = None
    date_from: date | datetime | None = None
    date_to: date | datetime | None = None


def review_list_statement(filters: ReviewFilters, settings: Settings) -> Select[tuple[RepairReview]]:
    """``SELECT`` of the staff review list, newest first, with each review's repair number and customer
    name joined in (one query per page). Raises :class:`ValidationFailed` for a reversed range."""
    if (
        filters.min_rating is not None
        and filters.max_rating is not None
        and filters.min_rating > filters.max_rating
    ):
        raise ValidationFailed.for_field("maxRating", "must not be below minRating")
    zone = ZoneInfo(settings.shop_timezone)
    conditions: list[Any] = []
    if filters.rating is not None:
        conditions.append(RepairReview.rating == filters.rating)
    if filters.min_rating is not None:
        conditions.append(RepairReview.rating >= filters.min_rating)
    if filters.max_rating is not None:
        conditions.append(RepairReview.rating <= filters.max_rating)
    start = start_of(filters.date_from, zone) if filters.date_from is not None else None
    # A day given for dateTo includes that whole day; an instant includes itself.
    stop = end_of(filters.date_to, zone) if filters.date_to is not None else None
    if start is not None and stop is not None and stop < start:
        raise ValidationFailed.for_field("dateTo", "must not be before dateFrom")
    if start is not None:
        conditions.append(RepairReview.created_at >= start)
    if stop is not None:
        conditions.append(RepairReview.created_at <= stop)
    return (
        select(RepairReview)
        .where(*conditions)
        .options(
            joinedload(RepairReview.repair).load_only(Repair.repair_number),
            joinedload(RepairReview.customer).load_only(Customer.first_name, Customer.last_name),
        )
        .order_by(RepairReview.created_at.desc(), RepairReview.id.desc())
    )


async def list_reviews(
    session: AsyncSession, settings: Settings, filters: ReviewFilters, params: PageParams
) -> tuple[list[RepairReview], int]:
    """A page of reviews, newest first, each with its repair and customer loaded: two queries per page.
    Raises :class:`ValidationFailed` (400) for a reversed rating or date range."""
    rows, total = await paginate(session, review_list_statement(filters, settings), params)
    return list(rows), total
