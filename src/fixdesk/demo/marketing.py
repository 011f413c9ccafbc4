"""The demo shop's marketing (issue 13, item 9): its customers' marketing consent per channel, the
addresses a send must skip, a few saved segments, for the segments pages, the customer page's consent card
and the audiences of campaigns and broadcasts.

**Consent.** Of the customers who are not archived, those with an email opted in to marketing email at a
rate of :data:`OPT_IN_RATES` (about 60 %), those with a phone to SMS (about 35 %) and WhatsApp (about
20 %). Each consent was given when the customer first came in or within the following weeks, never
before they were a customer nor after ``now``, in one of the ways a shop collects it (the intake form
signed at the counter, the customer portal, the website's form, an import from the shop's old point of
sale: :data:`SOURCES`), with the evidence staff would note. Some withdrew later: an email consent by the
unsubscribe link (the address then on the suppression list, ``unsubscribed``), an SMS consent by texting
STOP (``stop``); and a few opted-in email addresses bounced (``bounced``), so they stay opted in but
suppressed. Every current consent row has its history: one change, or two for a withdrawal.

**Tags.** About one customer in seven carries ``battery-check``: staff tag a customer whose phone battery
tested worn at intake, for the "your battery check is due" campaign.

**Segments**: :data:`SEGMENTS`, saved by the manager (RFM champions, at risk, battery check due, big
spenders, lapsed customers).

Everything draws from its own random stream (``seed``), so the rest of the demo shop is the same with or
without it, and is written in bulk by the demo loader.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from fixdesk.customers.models import Customer, CustomerTag
from fixdesk.db import new_id
from fixdesk.marketing.models import (
    MarketingConsent,
    MarketingConsentChange,
    Segment,
    Suppression,
)

Batch = list[tuple[Table, list[dict[str, Any]]]]

MARKETING_TABLES: tuple[Table, ...] = (
    MarketingConsent.__table__,
    MarketingConsentChange.__table__,
    Suppression.__table__,
    Segment.__table__,
)
OPT_IN_RATES = {"email": 0.60, "sms": 0.35, "whatsapp": 0.20}
"""The share of customers with an address for the channel who opted in."""
WITHDRAWAL_RATES = {"email": 0.07, "sms": 0.05, "whatsapp": 0.03}
"""The share of those consents withdrawn later (by the unsubscribe link, STOP, or at the counter)."""
BOUNCE_RATE = 0.015
"""The share of opted-in email addresses that bounced (suppressed, consent kept)."""
BATTERY_CHECK_RATE = 1 / 7
BATTERY_CHECK_TAG = "battery-check"
# (source, weight, evidence texts): how the shop collects consent.
SOURCES: tuple[tuple[str, float, tuple[str | None, ...]], ...] = (
    ("staff", 0.50, ("Ticked the box on the signed intake form", "Said yes at the counter", None)),
    ("portal", 0.20, (None,)),
    ("web_form", 0.15, ("Newsletter form on the shop's website",)),
    ("import", 0.15, ("Imported from the old point-of-sale system",)),
)
WITHDRAWAL_SOURCES = {"email": "unsubscribe_link", "sms": "sms_keyword", "whatsapp": "staff"}
# Who recorded a change made that way (marketing_consent_changes.actor_type).
ACTORS = {
    "staff": "user",
    "portal": "customer",
    "web_form": "system",
    "import": "system",
    "unsubscribe_link": "system",
    "sms_keyword": "system",
}
SUPPRESSION_REASONS = {"unsubscribe_link": "unsubscribed", "sms_keyword": "stop"}
SEGMENTS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    (
        "Champions",
        "Bought recently, often and the most: first to hear of new accessories.",
        {"rfmSegments": ["champions"]},
    ),
    (
        "At risk",
        "Good customers who have not been back for a while.",
        {"rfmSegments": ["at_risk", "cannot_lose"]},
    ),
    ("Battery check due", "Tagged at intake with a worn battery.", {"tagsAny": [BATTERY_CHECK_TAG]}),
    ("Big spenders", "Spent 2,000 or more with the shop.", {"minTotalSpend": "2000.00"}),
    ("VIP", "Customers tagged vip.", {"tagsAny": ["vip"]}),
)


@dataclass(frozen=True, slots=True)
class MarketingCustomer:
    """What consent needs of a demo customer."""

    id: uuid.UUID
    created_at: datetime
    email: str | None
    phone: str | None


async def load_marketing_customers(connection: AsyncConnection) -> list[MarketingCustomer]:
    """The demo's customers who are not archived, oldest first (one query)."""
    rows = await connection.execute(
        select(Customer.id, Customer.created_at, Customer.email, Customer.phone)
        .where(Customer.archived_at.is_(None))
        .order_by(Customer.created_at, Customer.id)
    )
    return [
        MarketingCustomer(
            row.id,
            row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC),
            row.email,
            row.phone,
        )
        for row in rows
    ]


class MarketingGenerator:
    """Rows of the demo shop's marketing for ``now`` (see the module docstring)."""

    def __init__(
        self, *, seed: int, now: datetime, manager_id: uuid.UUID | None, front_desk_id: uuid.UUID | None
    ) -> None:
        self.rng = random.Random(f"{seed}:marketing")
        self.now = now
        self.manager_id = manager_id
        self.front_desk_id = front_desk_id

    def _source(self) -> tuple[str, str | None]:
        rng = self.rng
        pick = rng.random() * sum(weight for _, weight, _ in SOURCES)
        for source, weight, evidence in SOURCES:
            if pick < weight:
                return source, rng.choice(evidence)
            pick -= weight
        return SOURCES[0][0], None

    def _moment(self, after: datetime) -> datetime:
        """A moment within six weeks after ``after`` (mostly the same day), never past ``now``."""
        rng = self.rng
        days = 0.0 if rng.random() < 0.6 else rng.uniform(0, 42)
        moment = after + timedelta(days=days, minutes=rng.randint(1, 90))
        return min(moment, self.now - timedelta(minutes=1)).replace(microsecond=0)

    def batches(self, customers: list[MarketingCustomer]) -> Iterator[Batch]:
        """One batch: consents and their history, suppressions, ``battery-check`` tags, segments."""
        rng = self.rng
        consents: list[dict[str, Any]] = []
        changes: list[dict[str, Any]] = []
        suppressions: dict[tuple[str, str], dict[str, Any]] = {}
        tags: list[dict[str, Any]] = []
        for customer in customers:
            addresses = {
                "email": customer.email.lower() if customer.email else None,
                "sms": customer.phone,
                "whatsapp": customer.phone,
            }
            for channel, address in addresses.items():
                if address is None or rng.random() >= OPT_IN_RATES[channel]:
                    continue
                source, evidence = self._source()
                given = self._moment(customer.created_at)
                history = [(True, source, evidence, given)]
                if rng.random() < WITHDRAWAL_RATES[channel] and given < self.now - timedelta(days=2):
                    withdrawn_at = (given + (self.now - given) * rng.uniform(0.2, 0.95)).replace(
                        microsecond=0
                    )
                    how = WITHDRAWAL_SOURCES[channel]
                    note = "Asked at the counter to receive no more messages" if how == "staff" else None
                    history.append((False, how, note, withdrawn_at))
                    if how in SUPPRESSION_REASONS:
                        suppressions[(channel, address)] = {
                            "channel": channel,
                            "address": address,
                            "reason": SUPPRESSION_REASONS[how],
                            "source": how,
                            "created_at": withdrawn_at,
                        }
                elif channel == "email" and rng.random() < BOUNCE_RATE:
                    suppressions.setdefault(
                        (channel, address),
                        {
                            "channel": channel,
                            "address": address,
                            "reason": "bounced",
                            "source": "email_provider",
                            "created_at": self._moment(given),
                        },
                    )
                for granted, how, note, moment in history:
                    changes.append(
                        {
                            "id": new_id(),
                            "customer_id": customer.id,
                            "channel": channel,
                            "granted": granted,
                            "source": how,
                            "evidence": note,
                            "actor_type": ACTORS[how],
                            "actor_id": customer.id
                            if how == "portal"
                            else (self.front_desk_id if how == "staff" else None),
                            "changed_at": moment,
                        }
                    )
                granted, how, note, moment = history[-1]
                consents.append(
                    {
                        "customer_id": customer.id,
                        "channel": channel,
                        "granted": granted,
                        "source": how,
                        "evidence": note,
                        "changed_at": moment,
                    }
                )
            if rng.random() < BATTERY_CHECK_RATE:
                tags.append({"customer_id": customer.id, "tag": BATTERY_CHECK_TAG})
        created = (self.now - timedelta(days=20)).replace(microsecond=0)
        segments = [
            {
                "id": new_id(),
                "name": name,
                "description": description,
                "filter": wanted,
                "created_by_id": self.manager_id,
                "created_at": created + timedelta(minutes=number * 7),
                "updated_at": created + timedelta(minutes=number * 7),
            }
            for number, (name, description, wanted) in enumerate(SEGMENTS)
        ]
        yield [
            (CustomerTag.__table__, tags),
            (MarketingConsent.__table__, consents),
            (MarketingConsentChange.__table__, changes),
            (Suppression.__table__, sorted(suppressions.values(), key=lambda row: row["created_at"])),
            (Segment.__table__, segments),
        ]
