"""The money rule of repairs and quotes, written once: line totals, subtotal, tax, total and balance.

Every amount is a ``Decimal`` in the shop's currency (``FIXDESK_CURRENCY``), rounded half-up to cents
(``ROUND_HALF_UP``, the commercial rounding shops and tax offices use, not Python's default banker's
rounding). Each line is rounded once, on its own product; tax is rounded once, on the subtotal (not per
line), so ``total = subtotal + tax`` holds to the cent:

* part-and-repair line: ``quantity × unitPrice − discount``;
* labour line: ``hours × rate`` (decimal hours, rate per hour);
* ``subtotal`` = Σ line totals; ``tax`` = ``subtotal × taxRate / 100`` (``taxRate`` in percent, e.g.
  ``8.875``); ``total`` = ``subtotal + tax``; ``balance`` = ``total − deposit``.

Clients never send totals (DESIGN.md, "Money": totals are computed by the server).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from fixdesk.db import round_money

ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


def gross_amount(quantity: int, unit_price: Decimal) -> Decimal:
    """``quantity × unit_price`` rounded half-up to cents: what a line costs before its discount."""
    return round_money(Decimal(quantity) * unit_price)


def item_total(quantity: int, unit_price: Decimal, discount: Decimal = ZERO) -> Decimal:
    """A part-and-repair line: ``quantity × unit_price − discount``, rounded half-up to cents.

    Raises ``ValueError`` when the discount is negative or larger than ``quantity × unit_price`` (a line
    never pays the customer); services turn that into a 400 naming the field.
    """
    gross = gross_amount(quantity, unit_price)
    if discount < 0:
        raise ValueError("discount cannot be negative")
    if discount > gross:
        raise ValueError(f"discount {discount} is more than quantity × unit price ({gross})")
    return round_money(gross - discount)


def labour_total(hours: Decimal, rate: Decimal) -> Decimal:
    """A labour line: ``hours × rate`` (decimal hours, rate per hour), rounded half-up to cents."""
    return round_money(hours * rate)


def tax_on(subtotal: Decimal, tax_rate: Decimal) -> Decimal:
    """Tax at ``tax_rate`` percent on ``subtotal``, rounded half-up to cents (once, on the subtotal)."""
    return round_money(subtotal * tax_rate / HUNDRED)


@dataclass(frozen=True)
class Totals:
    """What lines add up to: ``subtotal`` + ``tax_amount`` (at ``tax_rate`` percent) = ``total``."""

    subtotal: Decimal
    tax_rate: Decimal
    tax_amount: Decimal
    total: Decimal


def compute_totals(line_totals: Iterable[Decimal], tax_rate: Decimal) -> Totals:
    """Subtotal, tax and total of line totals already computed by :func:`item_total` and
    :func:`labour_total`; ``tax_rate`` is a percentage. No lines make zero totals."""
    subtotal = round_money(sum(line_totals, ZERO))
    tax_amount = tax_on(subtotal, tax_rate)
    return Totals(subtotal=subtotal, tax_rate=tax_rate, tax_amount=tax_amount, total=subtotal + tax_amount)


def balance(total: Decimal | None, deposit: Decimal | None) -> Decimal | None:
    """What the customer still owes: ``total − deposit`` (``None`` while there is no total). Negative
    when the deposit exceeds the total (the shop owes a refund)."""
    if total is None:
        return None
    return round_money(total - (deposit or ZERO))
