"""The demo shop's repair bench: the line items, labour, quotes, warranties and reviews of each demo repair.

:class:`Bench` is called by the loader (:mod:`fixdesk.demo.loader`) once per generated repair, with the
repair's device, intake issue and status history, and appends that repair's rows to a :class:`BenchRows`
batch. Everything is drawn from the loader's seeded generator, so the same seed gives the same bench, and
every rule is the one the services apply, imported rather than re-implemented:

* **Line items** (:class:`~fixdesk.repairs.models.RepairItem`). One or two repair types that fit the issue
  and the device (:data:`fixdesk.demo.devices.ISSUE_FIXES`, :func:`fixdesk.demo.catalog.fits`): a cracked
  screen gets a screen replacement. A repair with a part is priced from the demo price list when it has the
  device (``priceSource`` ``catalog``, ``pricingId``, the price and part cost in effect on the day it was
  priced), else by the real estimator on the same price list (``estimate`` with its confidence,
  :meth:`fixdesk.demo.catalog.DemoCatalog.estimate`), as ``POST /repairs/{id}/items`` prices a line
  without a unit price. Repairs without a part (diagnostics, data recovery, board work) are priced by hand
  (``manual``, :data:`fixdesk.demo.catalog.CASE_BY_CASE_PRICES`); a diagnosis fee is often waived (a
  discount of the whole fee) when the repair goes ahead. Work the catalog has no repair type for, and now
  and then extra work (a data backup), is a labour line: hours × the bench rate.
* **Totals** with :mod:`fixdesk.repairs.items.totals` at the shop's tax rate (``FIXDESK_TAX_RATE``, stored
  on the repair): ``totalCost = subtotal + tax``. Repairs from ``quoted`` on always have lines; of the
  earlier ones (``received``, ``diagnosing``) some were priced at the counter, a few by hand only
  (``totalCost`` without lines, as ``repairs.service._price_by_hand`` keeps them), the rest not yet.
* **Quotes**, one per time the repair entered ``quoted`` (version 1, 2, …), sent at that moment by the
  staff member who moved it: ``approved`` (``decidedAt`` = the approval in the history) when the repair
  went on to ``approved``, whose lines then became the repair's with ``priceSource`` ``quote`` exactly as
  :func:`fixdesk.repairs.quotes.service.approve_quote` copies them; ``declined`` with the customer's reason
  (in their language) when it was re-diagnosed (the next version is re-quoted with a cheaper part grade or
  a discount) or cancelled; still ``sent`` when the repair is ``quoted`` now, valid until a few days after
  sending (some already expired), and when a cancelled repair's customer never answered (expired before the
  cancellation, as the history note says).
* **Warranties** of completed and delivered repairs: one per line whose part type has
  ``warrantyMonths > 0``, dated as :func:`fixdesk.repairs.warranty.service.create_warranties` dates them
  (:func:`~fixdesk.repairs.warranty.service.shop_date` of the completion,
  :func:`~fixdesk.repairs.warranty.service.warranty_end`), with the serial numbers recorded when the part
  was fitted and ``unitCost × quantity`` as the part cost.
* **Reviews** of about :data:`REVIEW_RATE` of the completed and delivered repairs, a few days after
  completion (never after the load): ratings skewed positive (lower after a slow repair), a short comment in
  the customer's language (:data:`fixdesk.demo.devices.REVIEW_COMMENTS`) most of the time.

Money is in the shop's currency (the demo prices are US dollars), as ``Decimal`` rounded half-up to cents.
"""

from __future__ import annotations

import functools
import itertools
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Table

from fixdesk.config import Settings
from fixdesk.db import new_id
from fixdesk.demo.catalog import (
    REPAIR_TYPES_BY_NAME,
    TIER_FACTORS,
    DemoCatalog,
    RepairTypeSeed,
    case_by_case_price,
    fits,
    part_cost,
)
from fixdesk.demo.devices import (
    DECLINE_REASONS,
    EXTRA_LABOUR,
    ISSUE_DESCRIPTIONS_BY_TYPE,
    ISSUE_FIXES,
    QUOTE_NOTES,
    REQUOTE_REASONS,
    REVIEW_COMMENTS,
    DeviceModelSeed,
    IssueFix,
)
from fixdesk.repairs.items import totals as money
from fixdesk.repairs.items.service import PricedLine
from fixdesk.repairs.models import (
    PriceSource,
    Quote,
    QuoteItem,
    QuoteLabour,
    QuoteStatus,
    RepairItem,
    RepairLabour,
    RepairReview,
    RepairStatus,
    Warranty,
)
from fixdesk.repairs.quotes.service import DEFAULT_VALIDITY_DAYS
from fixdesk.repairs.warranty.service import shop_date, warranty_end

S = RepairStatus
DAY = 86_400

# Of the repairs not yet quoted, the share priced with lines (at the counter or during diagnosis) and the
# share priced by hand (a total agreed at the counter, no lines); the rest have no price yet.
LINES_BEFORE_QUOTE: dict[S, float] = {S.received: 0.35, S.diagnosing: 0.6}
BY_HAND_BEFORE_QUOTE = 0.1
SECOND_REPAIR_RATE = 0.35  # an issue's further repair types, each
EXTRA_LABOUR_RATE = 0.15
DIAGNOSIS_WAIVED_RATE = 0.7  # the diagnosis fee is waived when other work is quoted with it
LOYALTY_DISCOUNT_RATE = 0.06  # a regular's discount on the first line
LOYALTY_DISCOUNT = Decimal("0.10")  # of the line's quantity × unit price
REQUOTE_DISCOUNT = Decimal("0.10")  # off a line a re-quote cannot make cheaper with a lower grade
TWO_STICKS_RATE = 0.35  # both analog sticks drift
REVIEW_RATE = 0.6
COMMENT_RATE = 0.8
SLOW_REPAIR_DAYS = 7
# How long a quote is valid after the day it was sent (inclusive), in days.
VALIDITY_DAYS: tuple[int, ...] = (3, 5, 7, 7, 10, 14, 14)
QUOTE_NOTE_RATE = 0.4

# Which grade customers pick when a part comes in several (relative weights).
QUALITY_WEIGHTS: dict[str, float] = {
    "original": 45,
    "aftermarket_premium": 30,
    "aftermarket_standard": 18,
    "aftermarket_economy": 7,
}
# The bench rate per hour (shop currency) and how often each applies: standard, complex, micro-soldering.
LABOUR_RATES: tuple[tuple[Decimal, float], ...] = (
    (Decimal("75.00"), 70),
    (Decimal("85.00"), 20),
    (Decimal("95.00"), 10),
)
LABOUR_HOURS: tuple[Decimal, ...] = tuple(
    Decimal(h) for h in ("0.25", "0.50", "0.50", "0.75", "1.00", "1.50", "2.00")
)
RATINGS: tuple[int, ...] = (5, 4, 3, 2, 1)
RATING_WEIGHTS: tuple[float, ...] = (60, 25, 8, 4, 3)
SLOW_RATING_WEIGHTS: tuple[float, ...] = (35, 30, 18, 10, 7)  # after a repair that took over a week

# Parts that carry a serial number (removed and installed), with the prefix of the supplier's serials.
SERIAL_PREFIXES: dict[str, str] = {
    "Display assembly": "DSP",
    "Battery": "BAT",
    "Rear camera module": "CAM",
    "Keyboard": "KBD",
    "Trackpad": "TPD",
    "NVMe SSD 1 TB": "S6B",
    "Charging port flex": "CPF",
    "Back glass": "BKG",
}
_SERIAL_CHARACTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"

# Once a repair reaches one of these, its parts are in the device (and their serial numbers noted).
_FITTED_BY = (S.testing, S.completed)
# A total agreed at the counter without lines (USD, standard tier) by device type, times the tier's factor.
_PRICED_BY_HAND: dict[str, tuple[int, int]] = {
    "phone": (79, 329),
    "tablet": (89, 349),
    "laptop": (79, 499),
    "desktop": (69, 399),
    "console": (59, 229),
    "watch": (79, 299),
    "other": (39, 199),
}


@dataclass(slots=True)
class Step:
    """One status of a repair's history: the status, when (epoch seconds), who moved it and the note."""

    status: S
    moment: int
    changed_by: uuid.UUID
    note: str


@dataclass(slots=True)
class Line(PricedLine):
    """A part-and-repair line before it is written: the items service's priced line (the columns of a
    RepairItem or QuoteItem), plus what the warranty needs (the part type's warranty months and the part
    kind, for serial numbers)."""

    repair: RepairTypeSeed
    warranty_months: int = 0

    def columns(self) -> dict[str, Any]:
        """The columns a RepairItem and a QuoteItem share (those of :class:`PricedLine`)."""
        return {name: getattr(self, name) for name in _PRICED_LINE_COLUMNS}


_PRICED_LINE_COLUMNS = tuple(column.name for column in fields(PricedLine))


@dataclass(frozen=True, slots=True)
class LabourLine:
    """A labour line before it is written: ``hours × rate = line_total``."""

    description: str
    hours: Decimal
    rate: Decimal
    line_total: Decimal

    def columns(self) -> dict[str, Any]:
        return {
            "description": self.description,
            "hours": self.hours,
            "rate": self.rate,
            "line_total": self.line_total,
        }


@dataclass(slots=True)
class BenchRows:
    """A batch's bench rows per table, as dicts; :meth:`tables` lists them in foreign-key order."""

    items: list[dict[str, Any]] = field(default_factory=list)
    labour: list[dict[str, Any]] = field(default_factory=list)
    quotes: list[dict[str, Any]] = field(default_factory=list)
    quote_items: list[dict[str, Any]] = field(default_factory=list)
    quote_labour: list[dict[str, Any]] = field(default_factory=list)
    warranties: list[dict[str, Any]] = field(default_factory=list)
    reviews: list[dict[str, Any]] = field(default_factory=list)

    def tables(self) -> list[tuple[Table, list[dict[str, Any]]]]:
        return [
            (RepairItem.__table__, self.items),
            (RepairLabour.__table__, self.labour),
            (Quote.__table__, self.quotes),
            (QuoteItem.__table__, self.quote_items),
            (QuoteLabour.__table__, self.quote_labour),
            (Warranty.__table__, self.warranties),
            (RepairReview.__table__, self.reviews),
        ]


BENCH_TABLES: tuple[Table, ...] = tuple(table for table, _ in BenchRows().tables())


@dataclass(frozen=True, slots=True)
class Price:
    """What a repair's price columns hold: ``total_cost`` (``None``: no price yet), ``subtotal`` and
    ``tax_amount`` (``subtotal + tax_amount = total_cost``)."""

    total_cost: Decimal | None
    subtotal: Decimal
    tax_amount: Decimal


NO_PRICE = Price(None, money.ZERO, money.ZERO)


def _at(epoch_seconds: int) -> datetime:
    return datetime.fromtimestamp(epoch_seconds, UTC)


class Bench:
    """Builds the bench rows of demo repairs from the loader's generator ``rng`` and the demo ``catalog``,
    at the shop's ``tax_rate`` (percent) with dates in the shop's time zone (``settings``; UTC without),
    none of them after ``now_ts`` (epoch seconds)."""

    def __init__(
        self,
        rng: random.Random,
        catalog: DemoCatalog,
        *,
        tax_rate: Decimal,
        settings: Settings | None,
        now_ts: int,
    ) -> None:
        self.rng = rng
        self.catalog = catalog
        self.tax_rate = tax_rate
        self.settings = settings
        self.now_ts = now_ts
        self._issues: dict[tuple[str, str], tuple[str, ...]] = {}

    # ------------------------------------------------------------------------------------ intake

    def issue_for(self, device: DeviceModelSeed) -> str:
        """An intake issue that occurs on ``device`` and whose repair the shop does on it."""
        key = (device.brand, device.name)
        issues = self._issues.get(key)
        if issues is None:
            fixes = ISSUE_FIXES[device.device_type]
            issues = tuple(
                issue
                for issue in ISSUE_DESCRIPTIONS_BY_TYPE[device.device_type]
                if occurs_on(fixes[issue], device)
            )
            self._issues[key] = issues
        return self.rng.choice(issues)

    # ------------------------------------------------------------------------------------- a repair

    def work(
        self,
        *,
        repair_id: uuid.UUID,
        customer_id: uuid.UUID,
        language: str,
        device: DeviceModelSeed,
        device_model_id: uuid.UUID,
        issue: str,
        steps: Sequence[Step],
        review: bool | None,
        rows: BenchRows,
    ) -> Price:
        """Append the bench rows of one repair (its history ``steps``, oldest first) to ``rows`` and return
        its price columns. ``review``: ``True`` writes a review of a completed or delivered repair,
        ``False`` none, ``None`` one at :data:`REVIEW_RATE`."""
        status = steps[-1].status
        quoted_at = [index for index, step in enumerate(steps) if step.status == S.quoted]
        if not quoted_at:
            return self._before_quote(repair_id, device, device_model_id, issue, steps, rows)

        lines, labour = self._price(device, device_model_id, issue, _at(steps[quoted_at[0]].moment))
        approved_at: int | None = None
        priced_at = steps[0].moment
        for version, index in enumerate(quoted_at, start=1):
            if version > 1:
                lines = self._cheaper(lines, device, device_model_id, _at(steps[index].moment))
            following = steps[index + 1] if index + 1 < len(steps) else None
            priced_at = self._quote(
                repair_id, version, steps[index - 1], steps[index], following, language, lines, labour, rows
            )
            if following is not None and following.status == S.approved:
                approved_at = following.moment

        fitted_at = next((step.moment for step in steps if step.status in _FITTED_BY), None)
        if approved_at is not None:
            # As approve_quote: the quote's lines replace the repair's, priced "quote", at the approval.
            lines = [
                replace(line, price_source=PriceSource.quote.value, estimate_confidence=None)
                for line in lines
            ]
            priced_at = approved_at
        items = self._repair_lines(repair_id, lines, labour, priced_at, fitted_at, rows)
        if status in (S.completed, S.delivered):
            completed_at = next(step.moment for step in steps if step.status == S.completed)
            self._warranties(repair_id, lines, items, completed_at, rows)
            if review is True or (review is None and self.rng.random() < REVIEW_RATE):
                self._review(repair_id, customer_id, language, steps[0].moment, completed_at, rows)
        return self._totals(lines, labour)

    def _before_quote(
        self,
        repair_id: uuid.UUID,
        device: DeviceModelSeed,
        device_model_id: uuid.UUID,
        issue: str,
        steps: Sequence[Step],
        rows: BenchRows,
    ) -> Price:
        status = steps[-1].status
        if status not in LINES_BEFORE_QUOTE:  # cancelled before anyone priced it
            return NO_PRICE
        draw = self.rng.random()
        share = LINES_BEFORE_QUOTE[status]
        if draw < share:
            priced_at = steps[-1].moment
            lines, labour = self._price(device, device_model_id, issue, _at(priced_at))
            self._repair_lines(repair_id, lines, labour, priced_at, None, rows)
            return self._totals(lines, labour)
        if draw < share + BY_HAND_BEFORE_QUOTE:
            total = self._by_hand(device)
            return Price(total, total, money.ZERO)
        return NO_PRICE

    def _totals(self, lines: Sequence[Line], labour: Sequence[LabourLine]) -> Price:
        totals = money.compute_totals([line.line_total for line in (*lines, *labour)], self.tax_rate)
        return Price(totals.total, totals.subtotal, totals.tax_amount)

    def _by_hand(self, device: DeviceModelSeed) -> Decimal:
        low, high = _PRICED_BY_HAND[device.device_type]
        amount = self.rng.uniform(low, high) * TIER_FACTORS[device.tier_level]
        dollars = max(19, int(amount // 5 * 5 - 1))  # 149, 154, … as shops price
        return Decimal(f"{dollars}.{self.rng.choice(('00', '00', '99', '50'))}")

    # -------------------------------------------------------------------------------------- pricing

    def _price(
        self, device: DeviceModelSeed, device_model_id: uuid.UUID, issue: str, moment: datetime
    ) -> tuple[list[Line], list[LabourLine]]:
        """The lines the bench prices for ``issue`` on ``device`` at ``moment``: one or two repair lines,
        the issue's labour and sometimes extra labour."""
        rng = self.rng
        fix = ISSUE_FIXES[device.device_type][issue]
        names = [fix.repair_types[0]]
        for name in fix.repair_types[1:]:
            if (
                len(names) < 2
                and rng.random() < SECOND_REPAIR_RATE
                and fits(REPAIR_TYPES_BY_NAME[name], device)
            ):
                names.append(name)
        lines = [self._line(REPAIR_TYPES_BY_NAME[name], device, device_model_id, moment) for name in names]
        labour: list[LabourLine] = []
        if fix.labour is not None:
            labour.append(self._labour(fix.labour))
        extras = EXTRA_LABOUR[device.device_type]
        if extras and rng.random() < EXTRA_LABOUR_RATE:
            labour.append(self._labour(rng.choice(extras)))

        paid_elsewhere = any(line.repair.part is not None for line in lines) or bool(labour)
        for line in lines:
            if line.repair.name == "Diagnostics" and paid_elsewhere and rng.random() < DIAGNOSIS_WAIVED_RATE:
                self._discount(line, line.unit_price * line.quantity)
        if rng.random() < LOYALTY_DISCOUNT_RATE:
            first = lines[0]
            if first.discount == 0:
                self._discount(first, money.gross_amount(first.quantity, first.unit_price) * LOYALTY_DISCOUNT)
        return lines, labour

    def _line(
        self,
        repair: RepairTypeSeed,
        device: DeviceModelSeed,
        device_model_id: uuid.UUID,
        moment: datetime,
        quality: str | None = None,
    ) -> Line:
        """A repair line priced as the items service prices a line without a unit price: the price list,
        else the estimator; a repair without a part by hand."""
        rng = self.rng
        catalog = self.catalog
        repair_type_id = catalog.repair_type_ids[repair.name]
        quantity = 2 if repair.name == "Analog stick drift repair" and rng.random() < TWO_STICKS_RATE else 1
        kind = repair.part
        if kind is None:
            price = case_by_case_price(rng, repair, device)
            return Line(
                repair_type_id=repair_type_id,
                part_type_id=None,
                part_quality=None,
                pricing_id=None,
                description=repair.name,
                quantity=quantity,
                unit_price=price,
                unit_cost=None,
                discount=money.ZERO,
                line_total=money.item_total(quantity, price),
                price_source=PriceSource.manual.value,
                estimate_confidence=None,
                repair=repair,
            )
        if quality is None:
            quality = _pick_quality(rng, kind.qualities)
        part = catalog.part_types[kind.part_type_name(quality)]
        listed = catalog.price_at(device_model_id, repair_type_id, part.id, moment)
        pricing_id = None
        confidence = None
        if listed is not None:
            pricing, price, cost = listed
            pricing_id, source = pricing.id, PriceSource.catalog.value
        else:
            estimate = catalog.estimate(device_model_id, repair_type_id, quality)
            if estimate is None:  # every repair type with a part has list prices somewhere
                raise RuntimeError(f"the demo price list has no price for {repair.name!r} at all")
            price = money.round_money(estimate.price)
            cost = part_cost(rng, price, quality)
            source, confidence = PriceSource.estimate.value, estimate.confidence
        return Line(
            repair_type_id=repair_type_id,
            part_type_id=part.id,
            part_quality=quality,
            pricing_id=pricing_id,
            # The description the items service gives a line without one.
            description=f"{repair.name} ({part.name})"[:300],
            quantity=quantity,
            unit_price=price,
            unit_cost=cost,
            discount=money.ZERO,
            line_total=money.item_total(quantity, price),
            price_source=source,
            estimate_confidence=confidence,
            repair=repair,
            warranty_months=part.warranty_months,
        )

    def _discount(self, line: Line, amount: Decimal) -> None:
        line.discount = money.round_money(amount)
        line.line_total = money.item_total(line.quantity, line.unit_price, line.discount)

    def _labour(self, description: str) -> LabourLine:
        rng = self.rng
        hours = rng.choice(LABOUR_HOURS)
        rate = rng.choices(_LABOUR_RATE_VALUES, cum_weights=_LABOUR_RATE_TOTALS)[0]
        return LabourLine(description, hours, rate, money.labour_total(hours, rate))

    def _cheaper(
        self, lines: Sequence[Line], device: DeviceModelSeed, device_model_id: uuid.UUID, moment: datetime
    ) -> list[Line]:
        """A re-quote after the customer asked for less: the next lower part grade where the part comes in
        one, else 10 % off the line."""
        cheaper: list[Line] = []
        for line in lines:
            kind = line.repair.part
            grades = kind.qualities if kind is not None else ()
            if line.part_quality in grades and grades.index(line.part_quality) + 1 < len(grades):
                lower = grades[grades.index(line.part_quality) + 1]
                cheaper.append(self._line(line.repair, device, device_model_id, moment, quality=lower))
                continue
            line = replace(line)
            if line.discount == 0:
                self._discount(line, money.gross_amount(line.quantity, line.unit_price) * REQUOTE_DISCOUNT)
            cheaper.append(line)
        return cheaper

    # --------------------------------------------------------------------------------------- quotes

    def _shop_date(self, epoch_seconds: int) -> date:
        return shop_date(self.settings, _at(epoch_seconds))

    def _quote(
        self,
        repair_id: uuid.UUID,
        version: int,
        before: Step,
        sent: Step,
        following: Step | None,
        language: str,
        lines: Sequence[Line],
        labour: Sequence[LabourLine],
        rows: BenchRows,
    ) -> int:
        """Write one quote, sent when the repair entered ``quoted`` (``sent``) and decided by what
        followed; returns when its lines were priced (epoch seconds)."""
        rng = self.rng
        sent_at = sent.moment
        # Drafted while diagnosing, a few minutes before it was sent.
        created = max(before.moment, sent_at - rng.randrange(120, 1_800))
        sent_on = self._shop_date(sent_at)
        valid_until = sent_on + timedelta(days=rng.choice(VALIDITY_DAYS))
        status = QuoteStatus.sent.value
        decided: int | None = None
        reason: str | None = None
        if following is None:
            if self.now_ts - sent_at < 2 * DAY:
                # Fresh quotes are still valid: a portal customer can approve the one on their repair.
                valid_until = max(valid_until, sent_on + timedelta(days=DEFAULT_VALIDITY_DAYS))
        elif following.status == S.approved:
            status, decided = QuoteStatus.approved.value, following.moment
        else:
            cancelled_on = self._shop_date(following.moment)
            if (
                following.status == S.cancelled
                and "did not respond" in following.note
                and ((cancelled_on - sent_on).days >= 2)
            ):
                # Never answered: it ran out before the shop gave up.
                valid_until = min(valid_until, cancelled_on - timedelta(days=1))
            else:
                status = QuoteStatus.declined.value
                gap = following.moment - sent_at
                decided = sent_at + min(gap, max(60, int(gap * rng.uniform(0.5, 1.0))))
                reasons = REQUOTE_REASONS if following.status == S.diagnosing else DECLINE_REASONS
                reason = rng.choice(reasons.get(language, reasons["en"]))
        if decided is not None:
            valid_until = max(valid_until, self._shop_date(decided))

        totals = money.compute_totals([line.line_total for line in (*lines, *labour)], self.tax_rate)
        quote_id = new_id()
        rows.quotes.append(
            {
                "id": quote_id,
                "repair_id": repair_id,
                "version": version,
                "status": status,
                "valid_until": valid_until,
                "notes": rng.choice(QUOTE_NOTES) if rng.random() < QUOTE_NOTE_RATE else None,
                "subtotal": totals.subtotal,
                "tax_rate": totals.tax_rate,
                "tax_amount": totals.tax_amount,
                "total": totals.total,
                "sent_at": _at(sent_at),
                "decided_at": _at(decided) if decided is not None else None,
                "decline_reason": reason,
                "created_by_id": sent.changed_by,
                "created_at": _at(created),
                "updated_at": _at(decided if decided is not None else sent_at),
            }
        )
        for position, line in enumerate(lines):
            rows.quote_items.append(
                {"id": new_id(), "quote_id": quote_id, "position": position, **line.columns()}
            )
        for position, labour_line in enumerate(labour):
            rows.quote_labour.append(
                {"id": new_id(), "quote_id": quote_id, "position": position, **labour_line.columns()}
            )
        return created

    # ------------------------------------------------------------------------------- repair lines

    def _repair_lines(
        self,
        repair_id: uuid.UUID,
        lines: Sequence[Line],
        labour: Sequence[LabourLine],
        priced_at: int,
        fitted_at: int | None,
        rows: BenchRows,
    ) -> list[dict[str, Any]]:
        """Write the repair's own lines, priced at ``priced_at``; parts fitted at ``fitted_at`` get their
        serial numbers then. Returns the item rows in order."""
        rng = self.rng
        created = _at(priced_at)
        items: list[dict[str, Any]] = []
        for position, line in enumerate(lines):
            removed = installed = None
            updated = created
            prefix = SERIAL_PREFIXES.get(line.repair.part.name) if line.repair.part is not None else None
            if fitted_at is not None and prefix is not None:
                # Most fitted parts have their serial noted; the faulty one's is often unreadable.
                if rng.random() < 0.95:
                    installed = _part_serial(rng, prefix)
                    removed = _part_serial(rng, prefix) if rng.random() < 0.7 else None
                updated = _at(fitted_at)
            item = {
                "id": new_id(),
                "repair_id": repair_id,
                "position": position,
                **line.columns(),
                "removed_serial": removed,
                "installed_serial": installed,
                "created_at": created,
                "updated_at": updated,
            }
            items.append(item)
        rows.items.extend(items)
        for position, labour_line in enumerate(labour):
            rows.labour.append(
                {
                    "id": new_id(),
                    "repair_id": repair_id,
                    "position": position,
                    **labour_line.columns(),
                    "created_at": created,
                    "updated_at": created,
                }
            )
        return items

    def _warranties(
        self,
        repair_id: uuid.UUID,
        lines: Sequence[Line],
        items: Sequence[dict[str, Any]],
        completed_at: int,
        rows: BenchRows,
    ) -> None:
        """As create_warranties: one warranty per line whose part type has warranty months."""
        starts_on = self._shop_date(completed_at)
        for line, item in zip(lines, items, strict=True):
            if line.part_type_id is None or line.warranty_months <= 0:
                continue
            cost = money.round_money(line.unit_cost * line.quantity) if line.unit_cost is not None else None
            rows.warranties.append(
                {
                    "id": new_id(),
                    "repair_id": repair_id,
                    "repair_item_id": item["id"],
                    "part_type_id": line.part_type_id,
                    "description": line.description,
                    "part_quality": line.part_quality,
                    "removed_serial": item["removed_serial"],
                    "installed_serial": item["installed_serial"],
                    "part_cost": cost,
                    "warranty_months": line.warranty_months,
                    "starts_on": starts_on,
                    "ends_on": warranty_end(starts_on, line.warranty_months),
                    "created_at": _at(completed_at),
                }
            )

    # -------------------------------------------------------------------------------------- reviews

    def _review(
        self,
        repair_id: uuid.UUID,
        customer_id: uuid.UUID,
        language: str,
        created: int,
        completed_at: int,
        rows: BenchRows,
    ) -> None:
        rng = self.rng
        room = self.now_ts - completed_at
        if room < 2:
            return  # completed this very second: nobody can have rated it yet
        delay = int(rng.uniform(0.5, 5) * DAY)
        if delay >= room:  # a recent completion: rated since, before the load
            delay = max(1, int(room * rng.uniform(0.3, 0.9)))
        slow = (completed_at - created) / DAY > SLOW_REPAIR_DAYS
        rating = rng.choices(RATINGS, cum_weights=_SLOW_RATING_TOTALS if slow else _RATING_TOTALS)[0]
        comments = REVIEW_COMMENTS.get(language, REVIEW_COMMENTS["en"])[rating]
        rows.reviews.append(
            {
                "id": new_id(),
                "repair_id": repair_id,
                "customer_id": customer_id,
                "rating": rating,
                "comment": rng.choice(comments) if rng.random() < COMMENT_RATE else None,
                "created_at": _at(completed_at + delay),
            }
        )


def occurs_on(fix: IssueFix, device: DeviceModelSeed) -> bool:
    """Whether the issue of ``fix`` occurs on ``device`` (its ``only``/``excluding`` lists) and the shop
    does the issue's main repair on it (:func:`fixdesk.demo.catalog.fits`)."""
    full_name = f"{device.brand} {device.name}"
    if fix.only and not any(part in full_name for part in fix.only):
        return False
    if any(part in full_name for part in fix.excluding):
        return False
    return fits(REPAIR_TYPES_BY_NAME[fix.repair_types[0]], device)


def _pick_quality(rng: random.Random, qualities: tuple[str, ...]) -> str:
    if len(qualities) == 1:
        return qualities[0]
    return rng.choices(qualities, cum_weights=_quality_totals(qualities))[0]


@functools.cache
def _quality_totals(qualities: tuple[str, ...]) -> tuple[float, ...]:
    return tuple(itertools.accumulate(QUALITY_WEIGHTS[quality] for quality in qualities))


_RATING_TOTALS = tuple(itertools.accumulate(RATING_WEIGHTS))
_SLOW_RATING_TOTALS = tuple(itertools.accumulate(SLOW_RATING_WEIGHTS))
_LABOUR_RATE_VALUES = tuple(rate for rate, _ in LABOUR_RATES)
_LABOUR_RATE_TOTALS = tuple(itertools.accumulate(weight for _, weight in LABOUR_RATES))


def _part_serial(rng: random.Random, prefix: str) -> str:
    return prefix + "".join(rng.choices(_SERIAL_CHARACTERS, k=rng.choice((9, 11, 13))))
