"""Properties of the estimator's algorithm (issue 5, item 3), checked with hypothesis on random catalogs:
a better part quality never estimates lower, a flagship never lower than a budget model of the same brand
(all else equal), and every estimate is a positive price with a confidence in 0..1 built only from usable
prices of the shop."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from fixdesk.catalog.estimator import QUALITY_RANK, DeviceProfile, PricePoint, estimate
from fixdesk.db import CENT

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
SCREEN = uuid.UUID(int=1)
BATTERY = uuid.UUID(int=2)
BRANDS = [uuid.UUID(int=10), uuid.UUID(int=11)]
QUALITIES = sorted(QUALITY_RANK, key=QUALITY_RANK.__getitem__)  # worst first

prices = st.integers(min_value=1, max_value=300_000).map(lambda cents: Decimal(cents) / 100)
years = st.one_of(st.none(), st.integers(min_value=2012, max_value=2026))
kinds = st.sampled_from(["phone", "tablet"])


@st.composite
def devices(draw, brand=None, kind=None) -> DeviceProfile:
    return DeviceProfile(
        id=uuid.UUID(int=draw(st.integers(min_value=100, max_value=10**12))),
        brand_id=brand if brand is not None else draw(st.sampled_from(BRANDS)),
        device_type=kind if kind is not None else draw(kinds),
        release_year=draw(years),
        tier_level=draw(st.integers(min_value=1, max_value=3)),
    )


@st.composite
def price_points(draw, device: DeviceProfile | None = None, usable: bool | None = None) -> PricePoint:
    on = device if device is not None else draw(devices())
    state = (
        "current"
        if usable
        else draw(st.sampled_from(["current", "current", "estimated", "inactive", "expired", "future"]))
    )
    fields = {
        "estimated": {"is_estimated": True},
        "inactive": {"is_active": False},
        "expired": {"valid_from": NOW - timedelta(days=60), "valid_until": NOW - timedelta(days=1)},
        "future": {"valid_from": NOW + timedelta(days=1)},
    }.get(state, {})
    return PricePoint(
        pricing_id=uuid.uuid4(),
        device=on,
        repair_type_id=draw(st.sampled_from([SCREEN, SCREEN, BATTERY])),
        part_quality=draw(st.sampled_from(QUALITIES)),
        price=draw(prices),
        **fields,
    )


catalogs = st.lists(price_points(), max_size=25)


@st.composite
def targets_with_own_prices(draw):
    """A target device, the catalog around it, and the target's own current prices, ordered as a shop
    orders them (a better part never cheaper), plus unusable own prices of any amount."""
    # A fresh id: no catalog price lands on the target by chance, out of the shop's order.
    target = dataclasses.replace(draw(devices()), id=uuid.uuid4())
    qualities = draw(st.lists(st.sampled_from(QUALITIES), unique=True, max_size=4))
    amounts = sorted(draw(st.lists(prices, min_size=len(qualities), max_size=len(qualities))))
    own = [
        PricePoint(uuid.uuid4(), target, SCREEN, quality, amount)
        for quality, amount in zip(sorted(qualities, key=QUALITY_RANK.__getitem__), amounts, strict=True)
    ]
    unusable = [
        p
        for p in draw(st.lists(price_points(device=target), max_size=3))
        if not p.is_current(NOW) or p.is_estimated
    ]
    return target, [*draw(catalogs), *own, *unusable]


def _usable_ids(points: list[PricePoint], repair_type) -> set[uuid.UUID]:
    return {
        p.pricing_id
        for p in points
        if p.repair_type_id == repair_type and not p.is_estimated and p.is_current(NOW)
    }


@settings(max_examples=300, deadline=None)
@given(targets_with_own_prices())
def test_a_better_quality_never_estimates_lower(case):
    target, points = case
    results = [estimate(target, SCREEN, quality, points, at=NOW) for quality in QUALITIES]
    if results[0] is None:
        assert all(result is None for result in results)
        return
    amounts = [result.price for result in results]
    assert amounts == sorted(amounts), list(zip(QUALITIES, amounts, strict=True))


@settings(max_examples=300, deadline=None)
@given(
    catalog=catalogs,
    brand=st.sampled_from(BRANDS),
    kind=kinds,
    year=years,
    quality=st.sampled_from(QUALITIES),
)
def test_a_flagship_never_estimates_lower_than_a_budget_model_of_the_same_brand(
    catalog, brand, kind, year, quality
):
    flagship = DeviceProfile(uuid.uuid4(), brand, kind, year, 1)
    standard = DeviceProfile(uuid.uuid4(), brand, kind, year, 2)
    budget = DeviceProfile(uuid.uuid4(), brand, kind, year, 3)
    results = [estimate(device, SCREEN, quality, catalog, at=NOW) for device in (flagship, standard, budget)]
    if results[0] is None:
        assert results == [None, None, None]
        return
    assert results[0].price >= results[1].price >= results[2].price
    assert len({result.method for result in results}) == 1


@settings(max_examples=300, deadline=None)
@given(case=targets_with_own_prices(), quality=st.sampled_from(QUALITIES))
def test_every_estimate_is_positive_confident_within_bounds_and_built_from_usable_prices(case, quality):
    target, points = case
    result = estimate(target, SCREEN, quality, points, at=NOW)
    usable = _usable_ids(points, SCREEN)
    if result is None:
        assert usable == set()
        return
    assert result.price >= CENT
    assert result.price == result.price.quantize(CENT)
    assert Decimal(0) <= result.confidence <= Decimal(1)
    assert result.basis
    assert set(result.basis) <= usable
    by_id = {p.pricing_id: p for p in points}
    if result.method == "exact":
        assert result.confidence == Decimal("1.00")
        [only] = result.basis
        assert (by_id[only].device.id, by_id[only].part_quality, by_id[only].price) == (
            target.id,
            quality,
            result.price,
        )
    elif result.method == "similar_devices":
        assert Decimal("0.50") <= result.confidence <= Decimal("0.90")
        assert all(
            by_id[i].device.brand_id == target.brand_id and by_id[i].device.device_type == target.device_type
            for i in result.basis
        )
    else:
        assert result.method == "repair_type_median"
        assert Decimal("0.20") <= result.confidence <= Decimal("0.50")


@settings(max_examples=200, deadline=None)
@given(
    case=targets_with_own_prices(),
    quality=st.sampled_from(QUALITIES),
    saved=st.lists(price_points(usable=True), max_size=5),
    order=st.randoms(use_true_random=False),
)
def test_saved_estimates_and_input_order_never_change_the_result(case, quality, saved, order):
    target, points = case
    before = estimate(target, SCREEN, quality, points, at=NOW)
    estimates = [
        PricePoint(p.pricing_id, p.device, p.repair_type_id, p.part_quality, p.price, is_estimated=True)
        for p in saved
    ]
    # Saved estimates on the target itself too, of every quality: still never a basis.
    estimates += [
        PricePoint(uuid.uuid4(), target, SCREEN, q, Decimal("1.00"), is_estimated=True) for q in QUALITIES
    ]
    shuffled = [*points, *estimates]
    order.shuffle(shuffled)
    assert estimate(target, SCREEN, quality, shuffled, at=NOW) == before


@settings(max_examples=200, deadline=None)
@given(case=targets_with_own_prices(), quality=st.sampled_from(QUALITIES))
def test_doubling_every_price_doubles_the_estimate_to_the_cent(case, quality):
    target, points = case
    doubled = [
        PricePoint(
            p.pricing_id,
            p.device,
            p.repair_type_id,
            p.part_quality,
            p.price * 2,
            p.is_active,
            p.is_estimated,
            p.valid_from,
            p.valid_until,
        )
        for p in points
    ]
    single = estimate(target, SCREEN, quality, points, at=NOW)
    double = estimate(target, SCREEN, quality, doubled, at=NOW)
    if single is None:
        assert double is None
        return
    assert (double.method, double.confidence) == (single.method, single.confidence)
    # Rounding happens once, at the end: at most a cent apart (two half-cents).
    assert abs(double.price - 2 * single.price) <= CENT
