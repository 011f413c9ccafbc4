"""The money rule of invoices and credit notes, written once.

Every amount is a ``Decimal`` in the document's currency, rounded half-up to cents (``ROUND_HALF_UP``,
the commercial rounding of :func:`fixdesk.db.round_money`):

* a line's net amount: ``quantity × unitPrice − discount`` (quantity to 0.01, e.g. labour hours; the
  discount an amount, at most ``quantity × unitPrice``), rounded once;
* ``subtotal`` = Σ net amounts;
* tax, by the document's rounding rule (``FIXDESK_INVOICE_ROUNDING``, stored on the document):

  - ``per_document`` (default, the EU VAT directive's and most tax offices' practice): the lines are
    grouped by tax rate and each group's tax is ``round(Σ net × rate / 100)``; a line's ``taxAmount`` is
    its share rounded for display only;
  - ``per_line`` (common in US point-of-sale systems): each line's tax is ``round(net × rate / 100)`` and
    the document's tax is their sum;

* ``tax`` = Σ the groups' taxes (the breakdown by rate printed on the invoice); ``total`` = ``subtotal +
  tax``. Exempt lines are a group of their own at rate 0.

So ``total = Σ net + Σ breakdown tax`` holds to the cent under either rule (tests/billing/test_properties.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from fixdesk.db import round_money

ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class LineInput:
    """A line to price: ``quantity`` (> 0, two places), ``unit_price`` and ``discount`` (amounts ≥ 0),
    ``tax_rate`` in percent (``0`` when ``tax_exempt``)."""

    quantity: Decimal
    unit_price: Decimal
    discount: Decimal = ZERO
    tax_rate: Decimal = Decimal("0")
    tax_exempt: bool = False


@dataclass(frozen=True)
class PricedLine:
    net_amount: Decimal
    tax_amount: Decimal
    tax_rate: Decimal
    tax_exempt: bool


@dataclass(frozen=True)
class TaxGroup:
    """The lines taxed at one rate: what they add up to and the tax on them."""

    rate: Decimal
    exempt: bool
    taxable_amount: Decimal
    tax_amount: Decimal

    def as_json(self) -> dict[str, object]:
        return {
            "rate": str(self.rate),
            "exempt": self.exempt,
            "taxableAmount": str(self.taxable_amount),
            "taxAmount": str(self.tax_amount),
        }


@dataclass(frozen=True)
class DocumentTotals:
    lines: tuple[PricedLine, ...]
    subtotal: Decimal
    tax_amount: Decimal
    total: Decimal
    breakdown: tuple[TaxGroup, ...]


class DiscountTooLarge(ValueError):
    """A line's discount exceeds ``quantity × unitPrice`` (``position`` names the line)."""

    def __init__(self, position: int, gross: Decimal) -> None:
        super().__init__(f"the discount cannot exceed quantity × unit price ({gross})")
        self.position = position
        self.gross = gross


def net_amount(line: LineInput, position: int = 0) -> Decimal:
    """``quantity × unit_price − discount`` rounded half-up to cents; :class:`DiscountTooLarge` when the
    discount is above the gross amount (a line never pays the customer)."""
    gross = round_money(line.quantity * line.unit_price)
    if line.discount > gross:
        raise DiscountTooLarge(position, gross)
    return round_money(gross - line.discount)


def compute(lines: Sequence[LineInput], rounding: str) -> DocumentTotals:
    """Price ``lines`` under ``rounding`` (``per_document`` or ``per_line``). Raises
    :class:`DiscountTooLarge` and ``ValueError`` for an unknown rule."""
    if rounding not in ("per_document", "per_line"):
        raise ValueError(f"unknown rounding rule {rounding!r}")
    nets = [net_amount(line, position) for position, line in enumerate(lines)]
    groups: dict[tuple[Decimal, bool], list[int]] = {}
    for index, line in enumerate(lines):
        rate = Decimal("0") if line.tax_exempt else line.tax_rate
        groups.setdefault((rate, line.tax_exempt), []).append(index)
    line_taxes: list[Decimal] = [ZERO] * len(lines)
    breakdown: list[TaxGroup] = []
    for (rate, exempt), indexes in sorted(groups.items(), key=lambda item: (item[0][1], item[0][0])):
        taxable = round_money(sum((nets[i] for i in indexes), ZERO))
        if rounding == "per_line":
            for i in indexes:
                line_taxes[i] = round_money(nets[i] * rate / HUNDRED)
            tax = round_money(sum((line_taxes[i] for i in indexes), ZERO))
        else:
            tax = round_money(taxable * rate / HUNDRED)
            for i in indexes:
                line_taxes[i] = round_money(nets[i] * rate / HUNDRED)
        breakdown.append(TaxGroup(rate=rate, exempt=exempt, taxable_amount=taxable, tax_amount=tax))
    subtotal = round_money(sum(nets, ZERO))
    tax_amount = round_money(sum((group.tax_amount for group in breakdown), ZERO))
    priced = tuple(
        PricedLine(
            net_amount=nets[i],
            tax_amount=line_taxes[i],
            tax_rate=Decimal("0") if line.tax_exempt else line.tax_rate,
            tax_exempt=line.tax_exempt,
        )
        for i, line in enumerate(lines)
    )
    return DocumentTotals(
        lines=priced,
        subtotal=subtotal,
        tax_amount=tax_amount,
        total=subtotal + tax_amount,
        breakdown=tuple(breakdown),
    )
