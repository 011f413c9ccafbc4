"""The estimator's algorithm (issue 5, item 3) on plain data, with the arithmetic worked out by hand.

Multipliers (fixdesk.catalog.estimator): tier flagship 1.25, standard 1.00, budget 0.80; quality original
1.00, aftermarket_premium 0.85, aftermarket_standard 0.70, aftermarket_economy 0.55; proximity weight
1 / (1 + years apart), a year unknown on either side counting as 3 years apart.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from fixdesk.catalog.estimator import (
    SIMILAR_DEVICES_LIMIT,
    DeviceProfile,
    PricePoint,
    estimate,
)

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
SCREEN = uuid.uuid4()
BATTERY = uuid.uuid4()
APPLE = uuid.uuid4()
SAMSUNG = uuid.uuid4()


def device(brand=APPLE, year: int | None = 2022, tier: int = 2, kind: str = "phone") -> DeviceProfile:
    return DeviceProfile(uuid.uuid4(), brand, kind, year, tier)


def point(on: DeviceProfile, amount: str, quality: str = "original", repair=SCREEN, **fields) -> PricePoint:
    return PricePoint(uuid.uuid4(), on, repair, quality, D(amount), **fields)


def run(target, quality, points, repair=SCREEN):
    return estimate(target, repair, quality, points, at=NOW)


# --- 1. exact ------------------------------------------------------------------------------------------------


def test_the_shops_own_price_is_exact_with_confidence_one():
    target = device()
    dearer = point(target, "200.00")
    cheaper = point(target, "180.00")  # another part type of the same quality
    ignored = [
        point(target, "150.00", is_estimated=True),  # a saved estimate is never a basis
        point(target, "100.00", valid_from=NOW - timedelta(days=9), valid_until=NOW - timedelta(days=1)),
        point(target, "90.00", valid_from=NOW + timedelta(days=1)),
        point(target, "80.00", is_active=False),
        point(target, "70.00", quality="aftermarket_standard"),
        point(target, "60.00", repair=BATTERY),
    ]
    result = run(target, "original", [dearer, cheaper, *ignored])
    # Several part types of the quality: the cheapest is the price the shop charges.
    assert (result.price, result.confidence, result.method, result.basis) == (
        D("180.00"),
        D("1.00"),
        "exact",
        [cheaper.pricing_id],
    )


def test_a_price_that_ends_exactly_now_no_longer_applies():
    target = device()
    ended = point(target, "100.00", valid_until=NOW)
    starts = point(target, "120.00", valid_from=NOW)
    result = run(target, "original", [ended, starts])
    assert (result.method, result.basis) == ("exact", [starts.pricing_id])


# --- 2. similar devices --------------------------------------------------------------------------------------


def test_similar_devices_weighted_by_year_and_adjusted_for_tier_and_quality():
    target = device(year=2022, tier=2)
    flagship_same_year = point(device(year=2022, tier=1), "250.00", "original")
    budget_two_years_older = point(device(year=2020, tier=3), "70.00", "aftermarket_standard")
    other_brand = point(device(brand=SAMSUNG, year=2022), "999.00")
    other_type = point(device(year=2022, kind="tablet"), "999.00")

    result = run(target, "original", [flagship_same_year, budget_two_years_older, other_brand, other_type])
    # normalised: 250 × 1.00/1.25 × 1.00/1.00 = 200;   70 × 1.00/0.80 × 1.00/0.70 = 125
    # weights:    1/(1+0) = 1;                          1/(1+2) = 1/3
    # price = (1 × 200 + 1/3 × 125) / (1 + 1/3) = (600 + 125) / 4 = 181.25
    assert result.price == D("181.25")
    assert result.method == "similar_devices"
    # evidence = 1 × 1 (same quality) × ½ (other tier) + ⅓ × ½ × ½ = 0.583333…
    # confidence = 0.50 + 0.40 × 0.583333 / 1.583333 = 0.647368… → 0.65
    assert result.confidence == D("0.65")
    assert result.basis == [flagship_same_year.pricing_id, budget_two_years_older.pricing_id]


def test_a_year_unknown_on_either_side_counts_as_three_years_apart():
    target = device(year=2022)
    same_year = point(device(year=2022), "100.00")
    unknown_year = point(device(year=None), "200.00")
    result = run(target, "original", [same_year, unknown_year])
    # weights 1 and 1/(1+3) = ¼:  (100 + ¼ × 200) / 1.25 = 150 / 1.25 = 120
    assert result.price == D("120.00")
    # evidence = 1 + ¼ = 1.25;  confidence = 0.50 + 0.40 × 1.25 / 2.25 = 0.7222… → 0.72
    assert result.confidence == D("0.72")


def test_the_targets_own_prices_of_other_qualities_are_a_basis():
    target = device(year=2021, tier=1)
    own_premium = point(target, "170.00", "aftermarket_premium")
    result = run(target, "original", [own_premium])
    # 170 × 1.25/1.25 × 1.00/0.85 = 200;  evidence = 1 × ½ × 1 = 0.5;  0.50 + 0.40 × 0.5/1.5 = 0.6333 → 0.63
    assert (result.price, result.confidence, result.method) == (D("200.00"), D("0.63"), "similar_devices")


def test_at_most_the_nearest_prices_by_release_year_take_part():
    target = device(year=2022)
    near = [point(device(year=2022), "100.00") for _ in range(SIMILAR_DEVICES_LIMIT)]
    far = point(device(year=2010), "10000.00")
    result = run(target, "original", [far, *near])
    assert far.pricing_id not in result.basis
    assert len(result.basis) == SIMILAR_DEVICES_LIMIT
    assert result.price == D("100.00")


def test_a_derived_price_stays_between_the_devices_own_prices_of_neighbouring_qualities():
    target = device(year=2022)
    own_original = point(target, "100.00", "original")
    peer_premium = point(device(year=2022), "200.00", "aftermarket_premium")
    result = run(target, "aftermarket_premium", [own_original, peer_premium])
    # Unclamped: (100 × 0.85/1.00 + 200 × 0.85/0.85) / 2 = (85 + 200) / 2 = 142.50, above the shop's own
    # original-part price of 100.00: a lesser part never costs more, so it is lowered to 100.00.
    assert (result.price, result.method) == (D("100.00"), "similar_devices")
    assert set(result.basis) == {own_original.pricing_id, peer_premium.pricing_id}

    own_economy = point(target, "150.00", "aftermarket_economy")
    peer_original = point(device(year=2022), "100.00", "original")
    raised = run(target, "aftermarket_standard", [own_economy, peer_original])
    # Unclamped: (150 × 0.70/0.55 + 100 × 0.70) / 2 = (190.909… + 70) / 2 = 130.45, below the shop's own
    # economy price of 150.00: a better part never costs less, so it is raised to 150.00.
    assert raised.price == D("150.00")


def test_prices_round_half_up_to_cents_and_are_at_least_one_cent():
    target = device(tier=2)
    result = run(target, "aftermarket_premium", [point(device(tier=2), "10.10", "original")])
    # 10.10 × 0.85 = 8.585 → 8.59 half-up (banker's rounding would give 8.58)
    assert result.price == D("8.59")
    tiny = run(device(tier=3), "aftermarket_economy", [point(device(tier=1), "0.01", "original")])
    # 0.01 × 0.80/1.25 × 0.55 = 0.00352 → 0.00, raised to the smallest price, 0.01
    assert tiny.price == D("0.01")


# --- 3. the repair type's median ----------------------------------------------------------------------------


def _median_catalog():
    b = point(device(brand=SAMSUNG, tier=1), "250.00", "original")  # 250 / 1.25 / 1.00 = 200
    c = point(device(brand=SAMSUNG, tier=2, kind="laptop"), "99.00", "aftermarket_economy")  # 99 / 0.55 = 180
    d = point(
        device(brand=SAMSUNG, tier=3, kind="tablet"), "108.80", "aftermarket_premium"
    )  # 108.80 / 0.80 / 0.85 = 160
    return b, c, d


def test_without_similar_devices_the_repair_types_median_adjusted_by_tier_and_quality():
    b, c, d = _median_catalog()
    target = device(brand=APPLE, tier=1)
    result = run(target, "aftermarket_premium", [b, c, d, point(device(), "5.00", repair=BATTERY)])
    # normalised 200, 180, 160 → median 180;  180 × 1.25 (flagship) × 0.85 (premium) = 191.25
    assert (result.price, result.method, result.basis) == (D("191.25"), "repair_type_median", [c.pricing_id])
    # confidence = 0.20 + 0.30 × 3 / (3 + 3) = 0.35
    assert result.confidence == D("0.35")


def test_an_even_count_median_is_the_mean_of_the_middle_two():
    b, c, d = _median_catalog()
    e = point(device(brand=SAMSUNG, tier=2), "220.00", "original")  # 220
    result = run(device(tier=3), "aftermarket_economy", [b, c, d, e])
    # normalised 160, 180, 200, 220 → median (180 + 200) / 2 = 190;  190 × 0.80 × 0.55 = 83.60
    assert result.price == D("83.60")
    assert set(result.basis) == {c.pricing_id, b.pricing_id}
    # confidence = 0.20 + 0.30 × 4 / 7 = 0.3714… → 0.37
    assert result.confidence == D("0.37")


# --- 4. nothing to go on -------------------------------------------------------------------------------------


def test_no_current_price_of_the_repair_type_anywhere_means_no_estimate():
    target = device()
    assert run(target, "original", []) is None
    assert run(target, "original", [point(device(), "50.00", repair=BATTERY)]) is None
    assert run(target, "original", [point(device(), "50.00", is_estimated=True)]) is None


def test_an_unknown_quality_is_refused():
    with pytest.raises(KeyError):
        run(device(), "used", [point(device(), "50.00")])
