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

**Campaigns**: :data:`SENT_CAMPAIGNS`, two emails sent to every customer who had agreed to marketing email
at the time (and whose address was not suppressed then), with their recipients' fates at realistic rates
(:data:`DELIVERY`: about 95 % delivered, 2 % bounced, 3 % failed at the provider; of the delivered, about
30 % opened and 4–5 % clicked, every step after the one before and before ``now``); who withdrew their
email consent by the unsubscribe link after a campaign reached them unsubscribed from it. And one campaign,
"Your battery check is due" to the saved segment of that name, scheduled three days after ``now`` (the
periodic job starts it only then). The sent campaigns have no queued recipient and no job: nothing sends
them again.

**Broadcasts**: :data:`SENT_BROADCAST`, one SMS sent to every customer who had agreed to marketing SMS at
the time (consent given before, not withdrawn by STOP since), with Twilio's delivery reports at realistic
rates (:data:`BROADCAST_DELIVERY`: about 95 % delivered within seconds, 3 % undelivered by the carrier, 2 %
refused by Twilio as not a mobile number), its counters and the estimate it was sent with (the segments of
its longest text, at ``sms_segment_price``). It has no queued recipient and no job either.

Everything draws from its own random stream (``seed``), so the rest of the demo shop is the same with or
without it, and is written in bulk by the demo loader.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from fixdesk.customers.models import Customer, CustomerTag
from fixdesk.db import new_id
from fixdesk.marketing.broadcasts import encoding
from fixdesk.marketing.broadcasts.models import Broadcast, BroadcastRecipient
from fixdesk.marketing.broadcasts.service import compile_text, customer_variables, render_text
from fixdesk.marketing.campaigns.models import CampaignRecipient, EmailCampaign
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
    EmailCampaign.__table__,
    CampaignRecipient.__table__,
    Broadcast.__table__,
    BroadcastRecipient.__table__,
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


# (name, subject, body, template type, days before ``now`` it was sent, hour of the day (UTC) it was sent)
SENT_CAMPAIGNS: tuple[tuple[str, str, str, str, int, int], ...] = (
    (
        "Spring accessories",
        "{{ first_name }}, new cases and chargers are in",
        "<p>Hello {{ first_name }},</p><p>Spring is here and so are the new cases, screen protectors and "
        'fast chargers. <a href="https://shop.example.com/accessories">See what is new</a>.</p>'
        "<p>{{ shop_name }}</p>",
        "promotion",
        75,
        14,
    ),
    (
        "Summer screen protector offer",
        "20 % off screen protectors this week",
        "<p>Hi {{ first_name }},</p><p>Holidays are hard on screens: this week every screen protector is "
        '20 % off, fitted for free. <a href="https://shop.example.com/offers">Book a fitting</a>.</p>'
        "<p>{{ shop_name }} · {{ shop_phone }}</p>",
        "promotion",
        20,
        15,
    ),
)
SCHEDULED_CAMPAIGN = (
    "Your battery check is due",
    "{{ first_name }}, your battery check is due",
    "<p>Hello {{ first_name }},</p><p>When we saw your phone we noted a worn battery. A quick check (free) "
    'tells whether it needs replacing. <a href="https://shop.example.com/book">Book a check</a>.</p>'
    "<p>{{ shop_name }}</p>",
    "reminder",
)
# (text, days before ``now`` it was sent, hour of the day (UTC) it was sent)
SENT_BROADCAST = (
    "Hi {{ first_name }}, we are open until 8 pm on weekdays through December for screen and battery "
    "repairs. Reply STOP to opt out.",
    9,
    16,
)
BROADCAST_DELIVERY = {"undelivered": 0.03, "failed": 0.02}
"""The fates of the broadcast's messages: undelivered by the carrier and refused by Twilio, of the
recipients; the others were delivered."""
DEFAULT_SMS_SEGMENT_PRICE = Decimal("0.0079")
DELIVERY = {"bounced": 0.02, "failed": 0.03, "opened": 0.30, "clicked_of_opened": 0.15}
"""The fates of a campaign's messages: bounced and failed of the recipients, opened of the delivered,
clicked of the opened."""


@dataclass(frozen=True, slots=True)
class MarketingCustomer:
    """What consent and campaigns need of a demo customer."""

    id: uuid.UUID
    created_at: datetime
    email: str | None
    phone: str | None
    first_name: str = ""
    last_name: str = ""
    language: str = "en"


@dataclass(slots=True)
class _ConsentState:
    """A customer's marketing consent on one channel over time: given, withdrawn (and how: the email
    unsubscribe link or not), suppressed."""

    customer: MarketingCustomer
    address: str
    given_at: datetime
    withdrawn_at: datetime | None = None
    unsubscribed: bool = False
    suppressed_at: datetime | None = None

    def reachable(self, moment: datetime) -> bool:
        """Whether a campaign or broadcast sent at ``moment`` went to this customer."""
        return (
            self.given_at < moment
            and (self.withdrawn_at is None or self.withdrawn_at > moment)
            and (self.suppressed_at is None or self.suppressed_at > moment)
        )


async def load_marketing_customers(connection: AsyncConnection) -> list[MarketingCustomer]:
    """The demo's customers who are not archived, oldest first (one query)."""
    rows = await connection.execute(
        select(
            Customer.id,
            Customer.created_at,
            Customer.email,
            Customer.phone,
            Customer.first_name,
            Customer.last_name,
            Customer.language,
        )
        .where(Customer.archived_at.is_(None))
        .order_by(Customer.created_at, Customer.id)
    )
    return [
        MarketingCustomer(
            row.id,
            row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC),
            row.email,
            row.phone,
            row.first_name,
            row.last_name,
            row.language or "en",
        )
        for row in rows
    ]


class MarketingGenerator:
    """Rows of the demo shop's marketing for ``now`` (see the module docstring)."""

    def __init__(
        self,
        *,
        seed: int,
        now: datetime,
        manager_id: uuid.UUID | None,
        front_desk_id: uuid.UUID | None,
        sms_segment_price: Decimal = DEFAULT_SMS_SEGMENT_PRICE,
    ) -> None:
        self.rng = random.Random(f"{seed}:marketing")
        # The campaigns draw from a stream of their own: consent stays the same with or without them.
        self.campaign_rng = random.Random(f"{seed}:campaigns")
        self.broadcast_rng = random.Random(f"{seed}:broadcasts")
        self.sms_segment_price = sms_segment_price
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
        email_states: list[_ConsentState] = []
        sms_states: list[_ConsentState] = []
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
                if channel == "email":
                    state = _ConsentState(customer, address, given)
                    if len(history) > 1:
                        state.withdrawn_at = history[-1][3]
                        state.unsubscribed = history[-1][1] == "unsubscribe_link"
                    bounce = suppressions.get((channel, address))
                    if bounce is not None and bounce["reason"] == "bounced":
                        state.suppressed_at = bounce["created_at"]
                    email_states.append(state)
                elif channel == "sms":
                    state = _ConsentState(customer, address, given)
                    if len(history) > 1:
                        state.withdrawn_at = history[-1][3]
                    sms_states.append(state)
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
        battery_segment = next(row["id"] for row in segments if row["name"] == "Battery check due")
        campaigns, recipients = self._campaigns(email_states, battery_segment)
        broadcast, broadcast_recipients = self._broadcast(sms_states)
        yield [
            (CustomerTag.__table__, tags),
            (MarketingConsent.__table__, consents),
            (MarketingConsentChange.__table__, changes),
            (Suppression.__table__, sorted(suppressions.values(), key=lambda row: row["created_at"])),
            (Segment.__table__, segments),
            (EmailCampaign.__table__, campaigns),
            (CampaignRecipient.__table__, recipients),
            (Broadcast.__table__, [broadcast]),
            (BroadcastRecipient.__table__, broadcast_recipients),
        ]

    def _campaigns(
        self, states: list[_ConsentState], battery_segment: uuid.UUID
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The two sent campaigns with their recipients, and the scheduled one (see the module docstring)."""
        rng = self.campaign_rng
        latest = self.now - timedelta(minutes=1)
        campaigns: list[dict[str, Any]] = []
        recipients: list[dict[str, Any]] = []
        send_times = [
            (self.now - timedelta(days=days)).replace(hour=hour, minute=0, second=0)
            for *_, days, hour in SENT_CAMPAIGNS
        ]
        for number, (name, subject, body, template_type, _, _) in enumerate(SENT_CAMPAIGNS):
            started = send_times[number]
            following = send_times[number + 1] if number + 1 < len(send_times) else None
            campaign_id = new_id()
            reached = [state for state in states if state.reachable(started)]
            last_sent = started
            for index, state in enumerate(reached):
                customer = state.customer
                queued_sent = started + timedelta(seconds=2 + index // 10)
                row: dict[str, Any] = {
                    "campaign_id": campaign_id,
                    "customer_id": customer.id,
                    "email": state.address,
                    "first_name": customer.first_name,
                    "last_name": customer.last_name,
                    "language": customer.language,
                    "status": "sent",
                    "attempts": 1,
                    "claimed_by": None,
                    "claimed_until": None,
                    "error": None,
                    "provider_message_id": f"demo-{uuid.UUID(int=rng.getrandbits(128)).hex}",
                    "queued_at": started,
                    "sent_at": queued_sent,
                    "failed_at": None,
                    "bounced_at": None,
                    "opened_at": None,
                    "clicked_at": None,
                    "unsubscribed_at": None,
                }
                fate = rng.random()
                if fate < DELIVERY["failed"]:
                    row.update(
                        status="failed",
                        attempts=3,
                        sent_at=None,
                        provider_message_id=None,
                        failed_at=queued_sent + timedelta(minutes=30),
                        error="451 4.3.0 mailbox temporarily unavailable",
                    )
                elif fate < DELIVERY["failed"] + DELIVERY["bounced"]:
                    row.update(
                        status="bounced",
                        bounced_at=queued_sent + timedelta(minutes=rng.randint(1, 20)),
                        error="550 5.1.1 user unknown",
                    )
                else:
                    last_sent = max(last_sent, queued_sent)
                    if rng.random() < DELIVERY["opened"]:
                        # Most opens come within hours, some days later.
                        opened = queued_sent + timedelta(minutes=min(rng.expovariate(1 / 600), 60 * 24 * 9))
                        row.update(status="opened", opened_at=min(opened, latest))
                        if rng.random() < DELIVERY["clicked_of_opened"]:
                            clicked = row["opened_at"] + timedelta(seconds=rng.randint(5, 240))
                            row.update(status="clicked", clicked_at=min(clicked, latest))
                    # Who used the unsubscribe link before the next campaign did so from this one.
                    if (
                        state.unsubscribed
                        and state.withdrawn_at is not None
                        and state.withdrawn_at > queued_sent
                        and (following is None or state.withdrawn_at <= following)
                    ):
                        row.update(status="unsubscribed", unsubscribed_at=state.withdrawn_at)
                for moment in ("opened_at", "clicked_at", "unsubscribed_at"):
                    if row[moment] is not None:
                        row[moment] = row[moment].replace(microsecond=0)
                recipients.append(row)
            campaigns.append(
                {
                    "id": campaign_id,
                    "name": name,
                    "subject": subject,
                    "body": body,
                    "template_type": template_type,
                    "template_id": None,
                    "recipient_type": "all",
                    "segment_id": None,
                    "customer_ids": None,
                    "status": "sent",
                    "schedule_at": started,
                    "started_at": started,
                    "sent_at": last_sent + timedelta(seconds=5),
                    "cancelled_at": None,
                    "recipient_count": len(reached),
                    "created_by_id": self.manager_id,
                    "created_at": started - timedelta(days=2, hours=3),
                    "updated_at": started,
                }
            )
        name, subject, body, template_type = SCHEDULED_CAMPAIGN
        scheduled = (self.now + timedelta(days=3)).replace(hour=14, minute=0, second=0)
        campaigns.append(
            {
                "id": new_id(),
                "name": name,
                "subject": subject,
                "body": body,
                "template_type": template_type,
                "template_id": None,
                "recipient_type": "segment",
                "segment_id": battery_segment,
                "customer_ids": None,
                "status": "scheduled",
                "schedule_at": scheduled,
                "started_at": None,
                "sent_at": None,
                "cancelled_at": None,
                "recipient_count": 0,
                "created_by_id": self.manager_id,
                "created_at": self.now - timedelta(hours=5),
                "updated_at": self.now - timedelta(hours=5),
            }
        )
        return campaigns, recipients

    def _broadcast(self, states: list[_ConsentState]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The sent SMS broadcast with its recipients (see the module docstring)."""
        rng = self.broadcast_rng
        content, days, hour = SENT_BROADCAST
        started = (self.now - timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)
        broadcast_id = new_id()
        reached = sorted(
            (state for state in states if state.reachable(started)), key=lambda state: state.customer.id
        )
        template = compile_text(content)
        longest = encoding.count_segments("")
        recipients: list[dict[str, Any]] = []
        last_sent = started
        delivered = failed = 0
        for index, state in enumerate(reached):
            customer = state.customer
            text = render_text(template, customer_variables(customer.first_name, customer.last_name))
            counted = encoding.count_segments(text)
            longest = max(longest, counted, key=lambda count: (count.segments, count.units))
            # Batches of 50 at 10 messages a second, as FIXDESK_BROADCAST_* pace them by default.
            sent_at = started + timedelta(seconds=1 + index // 10)
            last_sent = max(last_sent, sent_at)
            row: dict[str, Any] = {
                "broadcast_id": broadcast_id,
                "customer_id": customer.id,
                "address": state.address,
                "status": "delivered",
                "provider": "twilio",
                "provider_message_id": f"SM{uuid.UUID(int=rng.getrandbits(128)).hex}",
                "provider_status": "delivered",
                "error": None,
                "claimed_at": sent_at,
                "sent_at": sent_at,
                "delivered_at": sent_at + timedelta(seconds=rng.randint(2, 40)),
                "created_at": started,
            }
            fate = rng.random()
            if fate < BROADCAST_DELIVERY["failed"]:
                row.update(
                    status="failed",
                    provider_message_id=None,
                    provider_status=None,
                    sent_at=None,
                    delivered_at=None,
                    error="ProviderError: HTTP 400: The 'To' number is not a valid mobile number (21614)",
                )
                failed += 1
            elif fate < BROADCAST_DELIVERY["failed"] + BROADCAST_DELIVERY["undelivered"]:
                row.update(
                    status="undelivered",
                    provider_status="undelivered",
                    delivered_at=None,
                    error="twilio undelivered (error 30003): Unreachable destination handset",
                )
                failed += 1
            else:
                delivered += 1
            recipients.append(row)
        broadcast = {
            "id": broadcast_id,
            "type": "sms",
            "content": content,
            "template_id": None,
            "recipient_type": "all",
            "segment_id": None,
            "customer_ids": None,
            "status": "sent",
            "schedule_at": None,
            "started_at": started,
            "sent_at": last_sent + timedelta(seconds=2),
            "estimated_recipients": len(reached),
            "segments_per_message": longest.segments,
            "estimated_cost": encoding.estimate_cost(len(reached), longest.segments, self.sms_segment_price),
            "recipient_count": len(reached),
            # Every message was handed to Twilio; the refused ones count as sent and failed, as the sender
            # counts them (fixdesk.marketing.broadcasts.service.record_outcomes).
            "sent_count": len(reached),
            "delivered_count": delivered,
            "failed_count": failed,
            "skipped_count": 0,
            "created_by_id": self.manager_id,
            "created_at": started - timedelta(minutes=1),
        }
        return broadcast, recipients
