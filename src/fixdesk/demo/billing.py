"""The demo shop's books: a year of invoices, payments and credit notes consistent with its completed
repairs and work orders, for the invoices pages, the receivables and the accountant's exports.

**What is billed.** Every repair that reached ``completed`` (or ``delivered``) and every completed work
order, read back from the rows the demo loader has just written: an invoice of its parts and labour (the
lines of :func:`fixdesk.repairs.access.get_billable` and :func:`fixdesk.fieldservice.access.get_billable`,
taxed at the document's own rate), priced by :func:`fixdesk.billing.totals.compute` under the shop's
rounding rule, with a repair's deposit as its first payment (source ``deposit``), as
:func:`fixdesk.billing.invoices.service.create_invoice` does. So the number of invoices follows ``scale``
with the repairs and work orders.

**Outcomes** (each invoice draws from the generator's own random stream, so the rest of the demo shop is
the same with or without the books): a repair's invoice is issued when the repair is completed and mostly
paid at the counter (card, cash, sometimes a check); a work order's is issued (and emailed) a few hours
after the visit and paid on its terms by bank transfer, check or card. Some are paid in part, some never
(``overdue`` once past the due date), a few are void with a reason or reduced by a goodwill credit note; a
few of the last two days' are still drafts. Nothing happens after ``now``.

**Rules kept** (those of the billing services): numbers ``INV-YYYY-NNNNNN`` and ``CN-YYYY-NNNNNN`` gap-free
per shop year in order of issue, the ``number_sequences`` counters left at the last ones; drafts have no
number, dates or payments but a deposit; ``balance_due = total − credited − paid`` never below zero;
``paid_at`` when the balance reached zero; the status is :func:`fixdesk.billing.lifecycle.status_for` of
the balance, the payments and the due date on the shop's today; a void invoice has no payments standing
and owes nothing.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from fixdesk.billing import lifecycle, totals
from fixdesk.billing.invoices.service import CREDIT_NOTE_NUMBER_PREFIX, INVOICE_NUMBER_PREFIX
from fixdesk.billing.models import (
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
    InvoiceReminder,
    InvoiceSource,
    InvoiceStatus,
    Payment,
    PaymentKind,
    PaymentSource,
)
from fixdesk.db import new_id, round_money
from fixdesk.fieldservice.models import WorkOrder, WorkOrderItem, WorkOrderLabour, WorkOrderStatus
from fixdesk.repairs.models import Repair, RepairItem, RepairLabour, RepairStatus

Batch = list[tuple[Table, list[dict[str, Any]]]]
BILLING_TABLES: tuple[Table, ...] = (
    Invoice.__table__,
    InvoiceLine.__table__,
    CreditNote.__table__,
    CreditNoteLine.__table__,
    Payment.__table__,
)
ZERO = Decimal("0.00")
BATCH_INVOICES = 2_000
DRAFT_DAYS = 2
"""Invoices of the last two days' completions may still be drafts."""
VOID_REASONS = (
    "Issued to the wrong customer",
    "Duplicate of another invoice",
    "The customer declined the work after all",
)


@dataclass(frozen=True)
class BillableLine:
    description: str
    quantity: Decimal
    unit_price: Decimal
    discount: Decimal


@dataclass
class Billable:
    """A completed repair or work order as billing reads it."""

    source: str
    id: uuid.UUID
    customer_id: uuid.UUID
    completed_at: datetime
    tax_rate: Decimal
    deposit: Decimal
    reference: str
    lines: list[BillableLine] = field(default_factory=list)


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive UTC, PostgreSQL aware datetimes."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def load_billables(connection: AsyncConnection) -> list[Billable]:
    """The completed repairs and work orders with their lines, oldest completion first: six queries, the
    lines of all of them at once (read before the tables' indexes are rebuilt, so whole-table reads)."""
    billables: dict[uuid.UUID, Billable] = {}
    for row in await connection.execute(
        select(
            Repair.id,
            Repair.customer_id,
            Repair.actual_completion,
            Repair.tax_rate,
            Repair.deposit,
            Repair.repair_number,
        ).where(
            Repair.status.in_([RepairStatus.completed.value, RepairStatus.delivered.value]),
            Repair.actual_completion.is_not(None),
        )
    ):
        billables[row.id] = Billable(
            InvoiceSource.repair.value,
            row.id,
            row.customer_id,
            _aware(row.actual_completion),
            row.tax_rate,
            row.deposit or ZERO,
            row.repair_number,
        )
    for row in await connection.execute(
        select(WorkOrder.id, WorkOrder.customer_id, WorkOrder.completed_at, WorkOrder.tax_rate).where(
            WorkOrder.status == WorkOrderStatus.completed.value, WorkOrder.completed_at.is_not(None)
        )
    ):
        billables[row.id] = Billable(
            InvoiceSource.work_order.value,
            row.id,
            row.customer_id,
            _aware(row.completed_at),
            row.tax_rate,
            ZERO,
            "",
        )
    # Parts, then labour (hours × rate), each in position order: get_billable's order.
    for items, owner, hours in (
        (RepairItem, RepairItem.repair_id, False),
        (WorkOrderItem, WorkOrderItem.work_order_id, False),
        (RepairLabour, RepairLabour.repair_id, True),
        (WorkOrderLabour, WorkOrderLabour.work_order_id, True),
    ):
        columns = (
            (items.description, items.hours, items.rate)
            if hours
            else (items.description, items.quantity, items.unit_price, items.discount)
        )
        for row in await connection.execute(
            select(owner.label("owner"), *columns).order_by(owner, items.position, items.id)
        ):
            billable = billables.get(row.owner)
            if billable is None:
                continue
            billable.lines.append(
                BillableLine(row.description, Decimal(row.hours), row.rate, ZERO)
                if hours
                else BillableLine(row.description, Decimal(row.quantity), row.unit_price, row.discount)
            )
    return sorted(
        (billable for billable in billables.values() if billable.lines),
        key=lambda billable: (billable.completed_at, str(billable.id)),
    )


@dataclass
class _Draft:
    """An invoice being built, with its lines, payments and credit notes, numbered at the end."""

    row: dict[str, Any]
    lines: list[dict[str, Any]]
    payments: list[dict[str, Any]] = field(default_factory=list)
    credit_notes: list[tuple[dict[str, Any], list[dict[str, Any]]]] = field(default_factory=list)
    reminders: list[dict[str, Any]] = field(default_factory=list)


class BillingGenerator:
    """Builds the books from the billables (:func:`load_billables`) for ``now``; :meth:`batches` yields
    the rows, :attr:`last_invoice_numbers` and :attr:`last_credit_note_numbers` the counters (year →
    last number) once it has run."""

    def __init__(
        self,
        *,
        seed: int,
        now: datetime,
        zone: str,
        currency: str,
        rounding: str,
        payment_terms_days: int,
        staff: dict[str, uuid.UUID],
        reminder_offsets: tuple[int, ...] = (),
    ) -> None:
        self.rng = random.Random(f"fixdesk-demo-billing-{seed}")
        self.now = now
        self.zone = ZoneInfo(zone)
        self.today = now.astimezone(self.zone).date()
        self.currency = currency
        self.rounding = rounding
        self.terms = payment_terms_days
        self.reminder_offsets = reminder_offsets
        self.front_desk = staff.get("front-desk@example.com")
        self.manager = staff.get("manager@example.com")
        self.last_invoice_numbers: dict[int, int] = {}
        self.last_credit_note_numbers: dict[int, int] = {}

    def _day(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def batches(self, billables: list[Billable]) -> Iterator[Batch]:
        """The invoices with their lines, credit notes and payments, numbered in order of issue; a batch
        per :data:`BATCH_INVOICES` invoices (parents before children in each)."""
        drafts = [draft for billable in billables if (draft := self._invoice(billable)) is not None]
        self._number(drafts)
        for start in range(0, len(drafts), BATCH_INVOICES):
            part = drafts[start : start + BATCH_INVOICES]
            notes = [note for draft in part for note in draft.credit_notes]
            yield [
                (Invoice.__table__, [draft.row for draft in part]),
                (InvoiceLine.__table__, [line for draft in part for line in draft.lines]),
                (CreditNote.__table__, [note for note, _ in notes]),
                (CreditNoteLine.__table__, [line for _, lines in notes for line in lines]),
                (Payment.__table__, [payment for draft in part for payment in draft.payments]),
                (InvoiceReminder.__table__, [reminder for draft in part for reminder in draft.reminders]),
            ]

    def _number(self, drafts: list[_Draft]) -> None:
        issued = sorted(
            (draft for draft in drafts if draft.row["finalized_at"] is not None),
            key=lambda draft: (draft.row["finalized_at"], str(draft.row["id"])),
        )
        counters: dict[int, int] = defaultdict(int)
        for draft in issued:
            year = self._day(draft.row["finalized_at"]).year
            counters[year] += 1
            draft.row["invoice_number"] = f"{INVOICE_NUMBER_PREFIX}-{year}-{counters[year]:06d}"
        self.last_invoice_numbers = dict(counters)
        notes = sorted(
            (note for draft in drafts for note, _ in draft.credit_notes),
            key=lambda note: (note["created_at"], str(note["id"])),
        )
        counters = defaultdict(int)
        for note in notes:
            year = self._day(note["created_at"]).year
            counters[year] += 1
            note["credit_note_number"] = f"{CREDIT_NOTE_NUMBER_PREFIX}-{year}-{counters[year]:06d}"
        self.last_credit_note_numbers = dict(counters)

    def _payment(
        self, invoice: dict[str, Any], amount: Decimal, method: str, at: datetime, **extra: Any
    ) -> dict[str, Any]:
        return {
            "id": new_id(),
            "invoice_id": invoice["id"],
            "customer_id": invoice["customer_id"],
            "kind": PaymentKind.payment.value,
            "method": method,
            "source": extra.pop("source", PaymentSource.manual.value),
            "amount": amount,
            "currency": self.currency,
            "refunded_amount": ZERO,
            "refund_of_id": None,
            "reference": extra.pop("reference", None),
            "notes": None,
            "provider": None,
            "provider_reference": None,
            "received_at": at,
            "recorded_by_id": extra.pop("recorded_by_id", invoice["created_by_id"]),
            "created_at": at,
        }

    def _invoice(self, billable: Billable) -> _Draft | None:
        rng = self.rng
        inputs = [
            totals.LineInput(line.quantity, line.unit_price, line.discount, billable.tax_rate)
            for line in billable.lines
        ]
        try:
            priced = totals.compute(inputs, self.rounding)
        except totals.DiscountTooLarge:
            return None
        if billable.deposit > priced.total:
            return None  # the service refuses such an invoice: the deposit is refunded at the counter
        is_repair = billable.source == InvoiceSource.repair.value
        created = min(
            billable.completed_at
            + timedelta(minutes=rng.randint(1, 20) if is_repair else rng.randint(60, 240)),
            self.now,
        )
        invoice: dict[str, Any] = {
            "id": new_id(),
            "invoice_number": None,
            "customer_id": billable.customer_id,
            "source": billable.source,
            "repair_id": billable.id if is_repair else None,
            "work_order_id": None if is_repair else billable.id,
            "status": InvoiceStatus.draft.value,
            "currency": self.currency,
            "rounding": self.rounding,
            "payment_terms_days": self.terms,
            "issue_date": None,
            "due_date": None,
            "notes": None,
            "subtotal": priced.subtotal,
            "tax_amount": priced.tax_amount,
            "total": priced.total,
            "tax_breakdown": [group.as_json() for group in priced.breakdown],
            "amount_paid": ZERO,
            "amount_credited": ZERO,
            "balance_due": priced.total,
            "finalized_at": None,
            "sent_at": None,
            "paid_at": None,
            "voided_at": None,
            "overdue_at": None,
            "void_reason": None,
            "created_by_id": self.front_desk if is_repair else self.manager,
            "created_at": created,
            "updated_at": created,
        }
        lines = [
            {
                "id": new_id(),
                "invoice_id": invoice["id"],
                "position": position,
                "description": line.description,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "discount": line.discount,
                "tax_rate": result.tax_rate,
                "tax_exempt": False,
                "net_amount": result.net_amount,
                "tax_amount": result.tax_amount,
            }
            for position, (line, result) in enumerate(zip(billable.lines, priced.lines, strict=True))
        ]
        draft = _Draft(invoice, lines)
        if billable.deposit > 0:
            self._pay(
                draft,
                billable.deposit,
                "other",
                created,
                source=PaymentSource.deposit.value,
                reference=f"Deposit on {billable.reference}",
            )
        if (self.today - self._day(created)).days < DRAFT_DAYS and rng.random() < 0.3:
            self._settle(draft)
            return draft
        invoice["finalized_at"] = created
        invoice["issue_date"] = self._day(created)
        invoice["due_date"] = invoice["issue_date"] + timedelta(days=self.terms)
        invoice["status"] = InvoiceStatus.sent.value
        if not is_repair and rng.random() < 0.9:
            invoice["sent_at"] = created
        self._outcome(draft, is_repair, created)
        self._settle(draft)
        return draft

    def _outcome(self, draft: _Draft, is_repair: bool, issued: datetime) -> None:
        rng, invoice = self.rng, draft.row
        roll = rng.random()
        if is_repair:
            pay_at = issued + timedelta(minutes=rng.randint(1, 30))
            method = rng.choices(("card", "cash", "check"), (60, 35, 5))[0]
        else:
            pay_at = issued + timedelta(days=rng.randint(0, self.terms + 10), hours=rng.randint(0, 8))
            method = rng.choices(("bank_transfer", "check", "card"), (45, 30, 25))[0]
        if roll < 0.80:
            self._pay(draft, invoice["balance_due"], method, pay_at)
        elif roll < 0.87:
            share = Decimal(rng.randint(30, 70)) / 100
            self._pay(draft, round_money(invoice["balance_due"] * share), method, pay_at)
        elif roll < 0.94:
            pass  # never paid: overdue once past its due date
        elif roll < 0.97 and invoice["amount_paid"] == 0:
            voided = issued + timedelta(hours=rng.randint(1, 48))
            if voided <= self.now:
                invoice["status"] = InvoiceStatus.void.value
                invoice["voided_at"] = voided
                invoice["void_reason"] = rng.choice(VOID_REASONS)
                invoice["updated_at"] = voided
        else:
            credited = issued + timedelta(hours=rng.randint(1, 72))
            if credited <= self.now and self._credit(draft, credited):
                self._pay(draft, invoice["balance_due"], method, max(pay_at, credited + timedelta(minutes=5)))

    def _pay(self, draft: _Draft, amount: Decimal, method: str, at: datetime, **extra: Any) -> None:
        invoice = draft.row
        if amount <= 0 or at > self.now or amount > invoice["balance_due"]:
            return
        draft.payments.append(self._payment(invoice, amount, method, at, **extra))
        invoice["amount_paid"] = round_money(invoice["amount_paid"] + amount)
        invoice["balance_due"] = round_money(
            invoice["total"] - invoice["amount_credited"] - invoice["amount_paid"]
        )
        invoice["updated_at"] = max(invoice["updated_at"], at)
        if invoice["balance_due"] == 0 and invoice["finalized_at"] is not None:
            invoice["paid_at"] = at

    def _credit(self, draft: _Draft, at: datetime) -> bool:
        """A goodwill credit note of about a tenth of the subtotal, at the invoice's first line's rate;
        ``False`` when it would be more than the balance."""
        invoice = draft.row
        amount = max(Decimal("1.00"), round_money(invoice["subtotal"] * Decimal("0.10")))
        rate = draft.lines[0]["tax_rate"]
        priced = totals.compute([totals.LineInput(Decimal("1"), amount, ZERO, rate)], self.rounding)
        if priced.total > invoice["balance_due"]:
            return False
        note_id = new_id()
        note = {
            "id": note_id,
            "credit_note_number": None,
            "invoice_id": invoice["id"],
            "customer_id": invoice["customer_id"],
            "currency": self.currency,
            "issue_date": self._day(at),
            "reason": "Goodwill: the job took longer than promised",
            "subtotal": priced.subtotal,
            "tax_amount": priced.tax_amount,
            "total": priced.total,
            "tax_breakdown": [group.as_json() for group in priced.breakdown],
            "created_by_id": self.manager,
            "created_at": at,
        }
        line = {
            "id": new_id(),
            "credit_note_id": note_id,
            "position": 0,
            "description": "Goodwill discount",
            "quantity": Decimal("1"),
            "unit_price": amount,
            "discount": ZERO,
            "tax_rate": rate,
            "tax_exempt": False,
            "net_amount": priced.lines[0].net_amount,
            "tax_amount": priced.lines[0].tax_amount,
        }
        draft.credit_notes.append((note, [line]))
        invoice["amount_credited"] = round_money(invoice["amount_credited"] + priced.total)
        invoice["balance_due"] = round_money(
            invoice["total"] - invoice["amount_credited"] - invoice["amount_paid"]
        )
        invoice["updated_at"] = max(invoice["updated_at"], at)
        if invoice["balance_due"] == 0:
            invoice["paid_at"] = at
        return True

    def _settle(self, draft: _Draft) -> None:
        """The stored status on the shop's today (the overdue job's, stored)."""
        invoice = draft.row
        status = lifecycle.status_for(
            draft=invoice["status"] == InvoiceStatus.draft.value,
            void=invoice["status"] == InvoiceStatus.void.value,
            balance_due=invoice["balance_due"],
            amount_paid=invoice["amount_paid"],
            due_date=invoice["due_date"],
            today=self.today,
        )
        invoice["status"] = status.value
        if status == InvoiceStatus.void:
            invoice["balance_due"] = ZERO
        if status in lifecycle.OWING and invoice["due_date"] is not None:
            self._remind(draft)

    def _remind(self, draft: _Draft) -> None:
        """An owing invoice's history as the hourly job left it (:mod:`fixdesk.billing.reminders`): overdue
        stamped the day after its due date, and the reminders of the days that have come (after its issue
        date) recorded as sent, so the first run after loading the demo does not remind the whole book."""
        invoice = draft.row
        due: date = invoice["due_date"]
        if due < self.today:
            invoice["overdue_at"] = self._start_of(due + timedelta(days=1))
        for offset in self.reminder_offsets:
            day = due + timedelta(days=offset)
            if invoice["issue_date"] < day <= self.today:
                draft.reminders.append(
                    {
                        "id": new_id(),
                        "invoice_id": invoice["id"],
                        "days_offset": offset,
                        "sent_at": self._start_of(day),
                    }
                )

    def _start_of(self, day: date) -> datetime:
        """The first moment of the shop's ``day``, in UTC."""
        return datetime.combine(day, time(), self.zone).astimezone(UTC)
