"""Quote events in the catalogue and the payload they carry (loaded through the repairs manifest)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from fixdesk.platform.events import event_type
from fixdesk.platform.schemas import CamelModel, MoneyOut
from fixdesk.repairs.models import Quote, Repair
from fixdesk.repairs.permissions import REPAIRS_READ


def quote_number(quote: Quote) -> str:
    """The quote's label within its repair: ``Q1``, ``Q2``, …"""
    return f"Q{quote.version}"


class QuoteEventPayload(CamelModel):
    """A quote as events describe it: ``id`` is the quote's id, ``total`` is in ``currency``."""

    id: uuid.UUID
    number: str
    version: int
    status: str
    repair_id: uuid.UUID
    repair_number: str
    customer_id: uuid.UUID
    total: MoneyOut
    currency: str
    valid_until: date
    sent_at: datetime | None
    decided_at: datetime | None
    decline_reason: str | None = None

    @classmethod
    def of(cls, quote: Quote, repair: Repair, currency: str) -> QuoteEventPayload:
        return cls(
            id=quote.id,
            number=quote_number(quote),
            version=quote.version,
            status=quote.status,
            repair_id=repair.id,
            repair_number=repair.repair_number,
            customer_id=repair.customer_id,
            total=quote.total,
            currency=currency,
            valid_until=quote.valid_until,
            sent_at=quote.sent_at,
            decided_at=quote.decided_at,
            decline_reason=quote.decline_reason,
        )


QUOTE_SENT = event_type(
    "quote.sent",
    "A quote was sent to the customer, who is notified (total, currency, validUntil).",
    QuoteEventPayload,
    permission=REPAIRS_READ,
).name
QUOTE_APPROVED = event_type(
    "quote.approved",
    "The customer approved a quote; its lines became the repair's and the repair is approved.",
    QuoteEventPayload,
    permission=REPAIRS_READ,
).name
QUOTE_DECLINED = event_type(
    "quote.declined",
    "The customer declined a quote (declineReason); the repair stays quoted.",
    QuoteEventPayload,
    permission=REPAIRS_READ,
).name
