"""The money rule of repairs and quotes (issue 5, item 4): hand-computed cases, compared as exact Decimal
strings, including the half-up rounding edges."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fixdesk.repairs.items import totals


def d(value: str) -> Decimal:
    return Decimal(value)


@pytest.mark.parametrize(
    ("quantity", "unit_price", "discount", "expected"),
    [
        (1, "149.99", "0.00", "149.99"),
        (2, "49.50", "10.00", "89.00"),
        # 3 × 33.335 = 100.005: half-up gives 100.01 (banker's rounding would give 100.00).
        (3, "33.335", "0.00", "100.01"),
        # 3 × 33.345 = 100.035 → 100.04; rounding the unit price first would give 3 × 33.35 = 100.05.
        (3, "33.345", "0.00", "100.04"),
        (1, "0.005", "0.00", "0.01"),
        (1, "0.004", "0.00", "0.00"),
        (7, "0.01", "0.07", "0.00"),
        (4, "25.00", "100.00", "0.00"),
    ],
)
def test_item_total_is_quantity_times_unit_price_less_discount_rounded_half_up(
    quantity, unit_price, discount, expected
):
    assert str(totals.item_total(quantity, d(unit_price), d(discount))) == expected


def test_a_discount_above_the_line_amount_is_refused():
    with pytest.raises(ValueError, match="more than quantity × unit price"):
        totals.item_total(2, d("10.00"), d("20.01"))
    with pytest.raises(ValueError, match="negative"):
        totals.item_total(1, d("10.00"), d("-0.01"))


@pytest.mark.parametrize(
    ("hours", "rate", "expected"),
    [
        ("1.00", "60.00", "60.00"),
        # 1.25 h × 45.50 = 56.875 → 56.88
        ("1.25", "45.50", "56.88"),
        # 0.33 h × 45.00 = 14.85 exactly; 0.10 h × 0.05 = 0.005 → 0.01
        ("0.33", "45.00", "14.85"),
        ("0.10", "0.05", "0.01"),
        # 0.07 h × 0.07 = 0.0049 → 0.00
        ("0.07", "0.07", "0.00"),
    ],
)
def test_labour_total_is_hours_times_rate_rounded_half_up(hours, rate, expected):
    assert str(totals.labour_total(d(hours), d(rate))) == expected


@pytest.mark.parametrize(
    ("lines", "tax_rate", "subtotal", "tax", "total"),
    [
        # 8.875 % (New York City) of 100.00 = 8.875 → 8.88
        (["100.00"], "8.875", "100.00", "8.88", "108.88"),
        # 8.25 % of 10.06 = 0.82995 → 0.83
        (["10.06"], "8.25", "10.06", "0.83", "10.89"),
        # 23 % (Portugal) of 0.02 = 0.0046 → 0.00; of 0.03 = 0.0069 → 0.01
        (["0.02"], "23", "0.02", "0.00", "0.02"),
        (["0.03"], "23", "0.03", "0.01", "0.04"),
        # 5 % of 0.10 = 0.005 exactly: the 0.005 boundary rounds up
        (["0.10"], "5", "0.10", "0.01", "0.11"),
        # Tax is rounded once on the subtotal: per line it would be 0.01 + 0.01 = 0.02, here 0.01.
        (["0.10", "0.09"], "5", "0.19", "0.01", "0.20"),
        (["100.01", "56.88", "14.85"], "0", "171.74", "0.00", "171.74"),
        ([], "8.875", "0.00", "0.00", "0.00"),
    ],
)
def test_subtotal_tax_and_total(lines, tax_rate, subtotal, tax, total):
    result = totals.compute_totals([d(line) for line in lines], d(tax_rate))

    assert (str(result.subtotal), str(result.tax_amount), str(result.total)) == (subtotal, tax, total)
    assert result.tax_rate == d(tax_rate)


@pytest.mark.parametrize(
    ("total", "deposit", "expected"),
    [("108.88", "20.00", "88.88"), ("10.00", "15.00", "-5.00"), ("10.00", None, "10.00")],
)
def test_balance_is_total_less_deposit(total, deposit, expected):
    assert str(totals.balance(d(total), d(deposit) if deposit else None)) == expected


def test_no_total_has_no_balance():
    assert totals.balance(None, d("20.00")) is None


cents = st.integers(min_value=0, max_value=10_000_000).map(lambda value: Decimal(value) / 100)
rates = st.integers(min_value=0, max_value=1_000_000).map(lambda value: Decimal(value) / 10_000)


@given(lines=st.lists(cents, max_size=20), tax_rate=rates)
def test_totals_always_add_up_to_the_cent(lines, tax_rate):
    result = totals.compute_totals(lines, tax_rate)

    assert result.total == result.subtotal + result.tax_amount
    assert result.subtotal == sum(lines, Decimal("0.00"))
    for amount in (result.subtotal, result.tax_amount, result.total):
        assert amount == amount.quantize(Decimal("0.01"))
    # The tax is within half a cent of the exact product.
    assert abs(result.tax_amount - result.subtotal * tax_rate / 100) <= Decimal("0.005")
