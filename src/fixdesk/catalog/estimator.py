"""The price estimator (seed 003's "smart pricing algorithm", ``lib/pricing/estimator.ts``): a price for every
device model × repair type × part quality, even where the shop never set one.

The algorithm, tried in this order (all money in the shop's currency, ``FIXDESK_CURRENCY``):

1. **exact** — the shop's own current, active, non-estimated price for the device model, repair type and
   part quality (and part type, when one is asked for). When several part types have such a price (two
   screen suppliers of the same grade), the *cheapest* is chosen, ties broken by the lowest pricing id: it
   is the price the shop already charges for that job, as :func:`fixdesk.catalog.service.find_price` picks
   for a repair line given only the quality. Confidence 1.00; the basis is that one price, and the answer
   names it (``pricing_id``, ``part_type_id``), counts the prices that matched (``matching_prices``) and
   says why it was chosen (``reason``). Asking for a part type prices that part type only.
2. **similar_devices** — derived from the current prices of that repair type on device models of the *same
   brand and device type* (the target device's own prices of other qualities included). At most
   :data:`SIMILAR_DEVICES_LIMIT` prices take part: the ones closest in release year (ties by pricing id).
   Each basis price is normalised to the target::

       normalised = price × TIER[target tier] / TIER[basis tier] × QUALITY[wanted] / QUALITY[basis quality]

   and the estimate is their weighted mean, each weighted by release-year proximity::

       weight = 1 / (1 + |target release year − basis release year|)

   (a year unknown on either side counts as :data:`UNKNOWN_YEAR_DISTANCE` years apart). Confidence::

       evidence   = Σ weight × (1 if same quality else ½) × (1 if same tier else ½)
       confidence = 0.50 + 0.40 × evidence / (evidence + 1)          → between 0.50 and 0.90

3. **repair_type_median** — the median of the repair type's current prices across the whole catalog, each
   first normalised to a standard-tier, original-quality price (``price / TIER[its tier] / QUALITY[its
   quality]``), then adjusted to the target: ``median × TIER[target tier] × QUALITY[wanted]``. The basis
   is the price (or, for an even count, the two prices) the median is made of. Confidence::

       confidence = 0.20 + 0.30 × n / (n + 3)   (n = prices in the median)   → between 0.28 and 0.50

4. nothing to go on: no estimate (the endpoint answers 404 with the reason).

Methods 2 and 3 derive from prices of every part type of the repair type: a part type asked for narrows
only the exact method (the grade, ``part_quality``, carries the part's price level).

Multipliers (:data:`TIER_MULTIPLIERS`, :data:`QUALITY_MULTIPLIERS`): a flagship's repair costs 1.25× a
standard model's, a budget model's 0.80× (flagship parts are dearer and riskier to fit); an original part
1.00, aftermarket premium 0.85, aftermarket standard 0.70, aftermarket economy 0.55 (the usual spread of
part prices between grades, seed 003's ``PartsQuality``). Because every derived price is the same basis
scaled by these factors, a better quality never estimates lower and a flagship never lower than a budget
model of the same brand, all else equal.

Two rules keep derived prices consistent with what the shop already charges on the same device: a
derived price is raised to at least the device's own price for a lower part quality and lowered to at
most its own price for a better one (the shop's own prices then join the basis). Every estimate is rounded
half-up to cents and is at least 0.01. Saved estimates (``isEstimated`` rows) are never a basis: an
estimate built on estimates would only repeat itself with more confidence than it deserves.

:func:`estimate` is the pure algorithm over plain dataclasses; :func:`estimate_price` loads its inputs
(at most four queries, through the catalog cache when one is given) and calls it.
"""

from __future__ import annotations

import statistics
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import false, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.catalog.models import DeviceModel, PartQuality, PartType, Pricing, RepairType, TierLevel
from fixdesk.db import CENT, round_money, utcnow
from fixdesk.platform.errors import NotFound, ValidationFailed

if TYPE_CHECKING:
    from fixdesk.catalog.service import CatalogCache

TIER_MULTIPLIERS: dict[int, Decimal] = {
    TierLevel.flagship: Decimal("1.25"),
    TierLevel.standard: Decimal("1.00"),
    TierLevel.budget: Decimal("0.80"),
}
"""How a device model's tier scales a repair's price, relative to a standard model."""

QUALITY_MULTIPLIERS: dict[str, Decimal] = {
    PartQuality.original: Decimal("1.00"),
    PartQuality.aftermarket_premium: Decimal("0.85"),
    PartQuality.aftermarket_standard: Decimal("0.70"),
    PartQuality.aftermarket_economy: Decimal("0.55"),
}
"""How a part grade scales a repair's price, relative to an original part."""

QUALITY_RANK: dict[str, int] = {
    PartQuality.aftermarket_economy: 0,
    PartQuality.aftermarket_standard: 1,
    PartQuality.aftermarket_premium: 2,
    PartQuality.original: 3,
}
"""Part grades from worst (0) to best (3)."""

SIMILAR_DEVICES_LIMIT = 12
"""At most this many prices, the closest in release year, take part in a similar_devices estimate."""

UNKNOWN_YEAR_DISTANCE = 3
"""The release-year distance assumed when either device's release year is unknown."""

EXACT, SIMILAR_DEVICES, REPAIR_TYPE_MEDIAN = "exact", "similar_devices", "repair_type_median"
CONFIDENCE_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class DeviceProfile:
    """What the estimator needs to know about a device model."""

    id: uuid.UUID
    brand_id: uuid.UUID
    device_type: str
    release_year: int | None
    tier_level: int


@dataclass(frozen=True)
class PricePoint:
    """One price of the shop's price list as the estimator sees it (``price`` in the shop's currency).

    ``valid_from``/``valid_until`` bound when it applies (open-ended when ``None``)."""

    pricing_id: uuid.UUID
    device: DeviceProfile
    repair_type_id: uuid.UUID
    part_quality: str
    price: Decimal
    is_active: bool = True
    is_estimated: bool = False
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    part_type_id: uuid.UUID | None = None
    part_type_name: str | None = None

    def is_current(self, at: datetime) -> bool:
        """Active and valid at ``at``: ``valid_from ≤ at < valid_until``."""
        if not self.is_active:
            return False
        if self.valid_from is not None and self.valid_from > at:
            return False
        return self.valid_until is None or self.valid_until > at


@dataclass(frozen=True)
class Estimate:
    """An estimated price: ``price`` in the shop's currency (cents, rounded half-up), ``confidence``
    between 0 and 1 (two places), ``method`` (``exact | similar_devices | repair_type_median``) and
    ``basis``, the ids of the pricing rows it was computed from.

    For ``exact``: ``pricing_id`` is the shop's price used and ``part_type_id`` its part type, and
    ``matching_prices`` counts the current prices that matched (more than one when several part types of
    the grade are priced; the cheapest wins). Otherwise ``pricing_id`` is ``None``, ``part_type_id`` the part
    type asked for (if any) and ``matching_prices`` 0. ``reason`` says in a sentence how the price was
    chosen; ``part_quality`` is the grade estimated."""

    price: Decimal
    confidence: Decimal
    method: str
    basis: list[uuid.UUID] = field(default_factory=list)
    pricing_id: uuid.UUID | None = None
    part_type_id: uuid.UUID | None = None
    matching_prices: int = 0
    reason: str = ""
    part_quality: str | None = None


def _round_price(amount: Decimal) -> Decimal:
    return max(round_money(amount), CENT)


def _round_confidence(value: Decimal) -> Decimal:
    return value.quantize(CONFIDENCE_PLACES, rounding=ROUND_HALF_UP)


def year_distance(a: int | None, b: int | None) -> int:
    """Whole years between two release years; :data:`UNKNOWN_YEAR_DISTANCE` when either is unknown."""
    if a is None or b is None:
        return UNKNOWN_YEAR_DISTANCE
    return abs(a - b)


def proximity_weight(a: int | None, b: int | None) -> Decimal:
    """``1 / (1 + years apart)``: 1 for the same year, ½ one year apart, ⅓ two years apart, …"""
    return Decimal(1) / (1 + year_distance(a, b))


def _exact_matches(
    target: DeviceProfile, part_quality: str, part_type_id: uuid.UUID | None, usable: Sequence[PricePoint]
) -> list[PricePoint]:
    """The target's own prices of the grade (and part type, when given), cheapest first (ties: lowest id)."""
    return sorted(
        (
            p
            for p in usable
            if p.device.id == target.id
            and p.part_quality == part_quality
            and (part_type_id is None or p.part_type_id == part_type_id)
        ),
        key=lambda p: (p.price, p.pricing_id),
    )


def _part_label(point: PricePoint) -> str:
    return f"'{point.part_type_name}'" if point.part_type_name else f"part type {point.part_type_id}"


def _exact_reason(chosen: PricePoint, matches: Sequence[PricePoint], part_type_id: uuid.UUID | None) -> str:
    if part_type_id is not None:
        return f"The shop's own current price for this device and repair with {_part_label(chosen)}."
    if len(matches) == 1:
        return f"The shop's own current price for this device, repair type and quality, with {_part_label(chosen)}."
    labels = ", ".join(f"{_part_label(p)} {p.price}" for p in matches)
    return (
        f"{len(matches)} current prices of the shop match this device, repair type and quality ({labels}); "
        f"the cheapest, with {_part_label(chosen)}, is used (ties go to the lowest pricing id). Ask with "
        "partTypeId for one part type's price."
    )


def _derived_reason(method: str, basis_count: int, part_type_id: uuid.UUID | None) -> str:
    missing = "quality and part type" if part_type_id is not None else "quality"
    if method == SIMILAR_DEVICES:
        source = (
            f"derived from {basis_count} price(s) of the same brand's devices of this type, weighted by "
            "release-year proximity"
        )
    else:
        source = f"derived from the median of this repair type's current prices ({basis_count} in the median)"
    return f"The shop has no current price for this device, repair type and {missing}; {source}."


def _similar_devices(
    target: DeviceProfile, part_quality: str, usable: Sequence[PricePoint]
) -> tuple[Decimal, Decimal, list[uuid.UUID]] | None:
    peers = [
        p
        for p in usable
        if p.device.brand_id == target.brand_id and p.device.device_type == target.device_type
    ]
    if not peers:
        return None
    # Which prices take part depends only on release years, never on the wanted quality or the target's
    # tier, so changing either scales the same basis (the monotonicity the property tests check).
    peers.sort(key=lambda p: (year_distance(target.release_year, p.device.release_year), p.pricing_id))
    peers = peers[:SIMILAR_DEVICES_LIMIT]
    weighted_sum = Decimal(0)
    weight_total = Decimal(0)
    evidence = Decimal(0)
    half = Decimal("0.5")
    for point in peers:
        weight = proximity_weight(target.release_year, point.device.release_year)
        normalised = (
            point.price
            * TIER_MULTIPLIERS[target.tier_level]
            / TIER_MULTIPLIERS[point.device.tier_level]
            * QUALITY_MULTIPLIERS[part_quality]
            / QUALITY_MULTIPLIERS[point.part_quality]
        )
        weighted_sum += weight * normalised
        weight_total += weight
        evidence += (
            weight
            * (1 if point.part_quality == part_quality else half)
            * (1 if point.device.tier_level == target.tier_level else half)
        )
    confidence = Decimal("0.50") + Decimal("0.40") * evidence / (evidence + 1)
    return weighted_sum / weight_total, confidence, [p.pricing_id for p in peers]


def _repair_type_median(
    target: DeviceProfile, part_quality: str, usable: Sequence[PricePoint]
) -> tuple[Decimal, Decimal, list[uuid.UUID]] | None:
    if not usable:
        return None
    normalised = sorted(
        (
            p.price / TIER_MULTIPLIERS[p.device.tier_level] / QUALITY_MULTIPLIERS[p.part_quality],
            p.pricing_id,
        )
        for p in usable
    )
    count = len(normalised)
    middle = normalised[(count - 1) // 2 : count // 2 + 1]
    median = statistics.median(value for value, _ in normalised)
    price = median * TIER_MULTIPLIERS[target.tier_level] * QUALITY_MULTIPLIERS[part_quality]
    confidence = Decimal("0.20") + Decimal("0.30") * count / (count + 3)
    return price, confidence, [pricing_id for _, pricing_id in middle]


def _keep_in_line_with_own_prices(
    target: DeviceProfile,
    part_quality: str,
    price: Decimal,
    basis: list[uuid.UUID],
    usable: Sequence[PricePoint],
) -> tuple[Decimal, list[uuid.UUID]]:
    """Raise a derived price to the device's own price for a lower grade, lower it to its own price for
    a better grade (each grade's own price being its cheapest, as in the exact method)."""
    rank = QUALITY_RANK[part_quality]
    own_by_quality: dict[str, PricePoint] = {}
    for point in usable:
        if point.device.id != target.id:
            continue
        current = own_by_quality.get(point.part_quality)
        if current is None or (point.price, point.pricing_id) < (current.price, current.pricing_id):
            own_by_quality[point.part_quality] = point
    below = [p for q, p in own_by_quality.items() if QUALITY_RANK[q] < rank]
    above = [p for q, p in own_by_quality.items() if QUALITY_RANK[q] > rank]
    floor = max(below, key=lambda p: (p.price, p.pricing_id), default=None)
    ceiling = min(above, key=lambda p: (p.price, p.pricing_id), default=None)
    if floor is not None and price < floor.price:
        price = floor.price
        basis = [*basis, floor.pricing_id] if floor.pricing_id not in basis else basis
    if ceiling is not None and price > ceiling.price:
        price = ceiling.price
        basis = [*basis, ceiling.pricing_id] if ceiling.pricing_id not in basis else basis
    return price, basis


def estimate(
    target: DeviceProfile,
    repair_type_id: uuid.UUID,
    part_quality: str,
    points: Iterable[PricePoint],
    *,
    at: datetime | None = None,
    part_type_id: uuid.UUID | None = None,
) -> Estimate | None:
    """Estimate the price of ``repair_type_id`` with a part of ``part_quality`` on ``target`` from
    ``points`` (the price list; other repair types, inactive, not-yet-valid, expired and estimated
    prices are ignored), as of ``at`` (default now). With ``part_type_id`` the exact method takes only that
    part type's price. ``None`` when there is nothing to estimate from.

    Raises ``KeyError`` for an unknown part quality or tier (callers validate input first)."""
    moment = at or utcnow()
    QUALITY_MULTIPLIERS[part_quality]  # an unknown quality fails here, before anything is computed
    usable = [
        p
        for p in points
        if p.repair_type_id == repair_type_id and not p.is_estimated and p.is_current(moment)
    ]
    matches = _exact_matches(target, part_quality, part_type_id, usable)
    if matches:
        exact = matches[0]
        return Estimate(
            exact.price,
            Decimal("1.00"),
            EXACT,
            [exact.pricing_id],
            pricing_id=exact.pricing_id,
            part_type_id=exact.part_type_id,
            matching_prices=len(matches),
            reason=_exact_reason(exact, matches, part_type_id),
            part_quality=part_quality,
        )
    derived = _similar_devices(target, part_quality, usable)
    method = SIMILAR_DEVICES
    if derived is None:
        derived = _repair_type_median(target, part_quality, usable)
        method = REPAIR_TYPE_MEDIAN
    if derived is None:
        return None
    raw_price, confidence, basis = derived
    reason = _derived_reason(method, len(basis), part_type_id)
    price, basis = _keep_in_line_with_own_prices(target, part_quality, _round_price(raw_price), basis, usable)
    return Estimate(
        price,
        _round_confidence(confidence),
        method,
        basis,
        part_type_id=part_type_id,
        reason=reason,
        part_quality=part_quality,
    )


# --- loading the inputs ------------------------------------------------------------------------------


def _profile_data(device: Any) -> dict[str, Any]:
    # ``device``: a DeviceModel, or a row with its id, brand_id, device_type, release_year and tier_level.
    return {
        "id": str(device.id),
        "brandId": str(device.brand_id),
        "deviceType": device.device_type,
        "releaseYear": device.release_year,
        "tierLevel": device.tier_level,
    }


def _profile_from_data(data: dict[str, Any]) -> DeviceProfile:
    return DeviceProfile(
        id=uuid.UUID(data["id"]),
        brand_id=uuid.UUID(data["brandId"]),
        device_type=data["deviceType"],
        release_year=data["releaseYear"],
        tier_level=data["tierLevel"],
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _points_statement(repair_type_id: uuid.UUID) -> Any:
    return (
        select(
            Pricing.id.label("pricing_id"),
            Pricing.part_quality,
            Pricing.price,
            Pricing.valid_from,
            Pricing.valid_until,
            DeviceModel.id,
            DeviceModel.brand_id,
            DeviceModel.device_type,
            DeviceModel.release_year,
            DeviceModel.tier_level,
            Pricing.part_type_id,
            PartType.name.label("part_type_name"),
        )
        .join(DeviceModel, DeviceModel.id == Pricing.device_model_id)
        .join(PartType, PartType.id == Pricing.part_type_id)
        .where(
            Pricing.repair_type_id == repair_type_id,
            Pricing.is_active == true(),
            Pricing.is_estimated == false(),
        )
    )


async def _load_points(session: AsyncSession, statement: Any) -> list[list[Any]]:
    """Price points as JSON-able rows (they are cached as they are)."""
    rows = (await session.execute(statement)).all()
    return [
        [
            str(row.pricing_id),
            row.part_quality,
            str(row.price),
            _iso(row.valid_from),
            _iso(row.valid_until),
            _profile_data(row),
            str(row.part_type_id),
            row.part_type_name,
        ]
        for row in rows
    ]


def _points_from_data(repair_type_id: uuid.UUID, rows: list[list[Any]]) -> list[PricePoint]:
    return [
        PricePoint(
            pricing_id=uuid.UUID(pricing_id),
            device=_profile_from_data(device),
            repair_type_id=repair_type_id,
            part_quality=quality,
            price=Decimal(price),
            valid_from=datetime.fromisoformat(valid_from) if valid_from else None,
            valid_until=datetime.fromisoformat(valid_until) if valid_until else None,
            part_type_id=uuid.UUID(part_type_id),
            part_type_name=part_type_name,
        )
        for pricing_id, quality, price, valid_from, valid_until, device, part_type_id, part_type_name in rows
    ]


async def _read(session: AsyncSession, cache: CatalogCache | None, key: str, load: Any) -> Any:
    if cache is None:
        return await load(session)
    return await cache.read(session, key, load)


async def estimate_price(
    session: AsyncSession,
    device_model_id: uuid.UUID,
    repair_type_id: uuid.UUID,
    part_quality: str | None,
    *,
    part_type_id: uuid.UUID | None = None,
    cache: CatalogCache | None = None,
) -> Estimate:
    """Estimate the price of a repair (see the module docstring for the algorithm and its multipliers).

    ``part_quality`` ``None`` means the part type's own quality when ``part_type_id`` is given, else
    ``aftermarket_standard``. Runs at most four queries (target device, repair type and part type; the
    same brand and device type's prices; the whole catalog's prices of the repair type only when the first
    find none), each through ``cache`` (a :class:`fixdesk.catalog.service.CatalogCache`) when given. Raises
    :class:`ValidationFailed` (400) for an unknown part quality and :class:`NotFound` (404), with the
    reason, for an unknown device model, repair type or part type or when the catalog holds no current
    price of the repair type at all.
    """
    if part_quality is not None and part_quality not in QUALITY_MULTIPLIERS:
        raise ValidationFailed.for_field(
            "partQuality", f"must be one of {', '.join(q.value for q in PartQuality)}"
        )

    async def load_target(reader: AsyncSession) -> dict[str, Any]:
        device = await reader.get(DeviceModel, device_model_id)
        repair_type = await reader.get(RepairType, repair_type_id)
        part_type = await reader.get(PartType, part_type_id) if part_type_id is not None else None
        return {
            "device": _profile_data(device) if device is not None else None,
            "repairTypeName": repair_type.name if repair_type is not None else None,
            "partTypeQuality": part_type.quality if part_type is not None else None,
        }

    target_data = await _read(
        session,
        cache,
        f"estimator:v2:target:{device_model_id}:{repair_type_id}:{part_type_id or ''}",
        load_target,
    )
    if target_data["device"] is None:
        raise NotFound(
            f"Device model {device_model_id} not found.", field="deviceModelId", reason="unknown_device_model"
        )
    if target_data["repairTypeName"] is None:
        raise NotFound(
            f"Repair type {repair_type_id} not found.", field="repairTypeId", reason="unknown_repair_type"
        )
    if part_type_id is not None and target_data["partTypeQuality"] is None:
        raise NotFound(f"Part type {part_type_id} not found.", field="partTypeId", reason="unknown_part_type")
    quality = part_quality or target_data["partTypeQuality"] or PartQuality.aftermarket_standard.value
    target = _profile_from_data(target_data["device"])
    now = utcnow()

    async def load_peers(reader: AsyncSession) -> list[list[Any]]:
        statement = _points_statement(repair_type_id).where(
            DeviceModel.brand_id == target.brand_id, DeviceModel.device_type == target.device_type
        )
        return await _load_points(reader, statement)

    # "v2": the rows carry the part type; entries cached in the older shape are never read back.
    peers_key = f"estimator:v2:points:{repair_type_id}:{target.brand_id}:{target.device_type}"
    points = _points_from_data(repair_type_id, await _read(session, cache, peers_key, load_peers))
    if not any(p.is_current(now) for p in points):
        # Only a median over the whole catalog is left, which needs every price of the repair type.

        async def load_all(reader: AsyncSession) -> list[list[Any]]:
            return await _load_points(reader, _points_statement(repair_type_id))

        all_key = f"estimator:v2:points:{repair_type_id}:all"
        points = _points_from_data(repair_type_id, await _read(session, cache, all_key, load_all))
    result = estimate(target, repair_type_id, quality, points, at=now, part_type_id=part_type_id)
    if result is None:
        raise NotFound(
            f"Cannot estimate: the catalog has no current price for {target_data['repairTypeName']!r} "
            "on any device model, so there is nothing to derive one from.",
            reason="no_prices_for_repair_type",
        )
    return result
