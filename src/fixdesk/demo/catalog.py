"""The demo shop's catalog: every real device model of :data:`fixdesk.demo.devices.DEVICE_MODELS` (brands,
release years, tiers, screen sizes, model numbers), the repairs the shop does, its parts per quality grade
with their warranties, and a price list for the popular devices.

Prices cover a realistic subset, the devices a shop sees most: iPhones since 2017, Galaxy S, Note and Z
phones and Pixels since 2019, iPads since 2018, Galaxy Tab S since 2020, MacBooks since 2018, Dell XPS and
Surface Laptops since 2019, Apple Watches since 2018, and the current consoles and handhelds. Every other
model (Galaxy A, Motorola, OnePlus, ThinkPads, …) has no price, so the estimator has work to do.

A price is the repair's base price for a standard-tier device of 2021 with an original part
(:data:`REPAIR_TYPES`, USD) times:

* the tier: :data:`TIER_FACTORS` (flagship 1.30, standard 1.00, budget 0.75; flagship parts cost more);
* the age: ``1 + 0.05 × (release year − 2021)``, kept between 0.75 and 1.30 (newer parts are dearer);
* for screens, the size: ``√(screen size / usual size of the device type)`` (a 6.7" panel costs more);
* the part grade: :data:`QUALITY_FACTORS` (original 1.00 … economy aftermarket 0.52);
* the brand: :data:`BRAND_FACTORS` (Apple's parts are the dearest);
* a little noise (±4 %) from the seeded generator,

rounded as shops price (to a whole amount ending in 9, at least 19). The part cost is the price times the
grade's :data:`COST_RATIOS` (±10 %). Everything comes from one seeded ``random.Random``, so the same seed
gives the same price list (only the UUIDv7 ids differ).

The price list dates from :data:`PRICE_LIST_AGE_DAYS` days before loading (one ``import`` history row per
price, as if the shop imported it); about :data:`REPRICED_SHARE` of the prices were changed by the manager
since (a second history row, source ``api``), so the history endpoint has something to show.

Repairs without a part (diagnostics, data recovery, board-level work) have no list price: the shop prices
them case by case within :data:`CASE_BY_CASE_PRICES`. For the demo repairs' line items
(:mod:`fixdesk.demo.bench`), :class:`DemoCatalog` answers what the price list charged at a moment
(:meth:`DemoCatalog.price_at`) and what the real estimator (:func:`fixdesk.catalog.estimator.estimate`,
run on these rows in memory) proposes where the list has no price (:meth:`DemoCatalog.estimate`).
"""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from sqlalchemy import Table

from fixdesk.catalog import estimator
from fixdesk.catalog.models import (
    Brand,
    DeviceModel,
    PartQuality,
    PartType,
    PriceChangeSource,
    PriceHistory,
    Pricing,
    RepairType,
)
from fixdesk.catalog.names import device_search_text, slug_for
from fixdesk.db import CENT, new_id, round_money
from fixdesk.demo.devices import DEVICE_MODELS, DeviceModelSeed

Q = PartQuality

PRICE_LIST_AGE_DAYS = 420
CATALOG_AGE_DAYS = 800
REPRICED_SHARE = 0.12

TIER_FACTORS: dict[int, float] = {1: 1.30, 2: 1.00, 3: 0.75}
QUALITY_FACTORS: dict[str, float] = {
    Q.original: 1.00,
    Q.aftermarket_premium: 0.82,
    Q.aftermarket_standard: 0.66,
    Q.aftermarket_economy: 0.52,
}
# What the part costs the shop, as a share of the repair price, by grade.
COST_RATIOS: dict[str, float] = {
    Q.original: 0.55,
    Q.aftermarket_premium: 0.42,
    Q.aftermarket_standard: 0.32,
    Q.aftermarket_economy: 0.25,
}
WARRANTY_MONTHS: dict[str, int] = {
    Q.original: 12,
    Q.aftermarket_premium: 6,
    Q.aftermarket_standard: 3,
    Q.aftermarket_economy: 1,
}
QUALITY_LABELS: dict[str, str] = {
    Q.original: "original",
    Q.aftermarket_premium: "premium aftermarket",
    Q.aftermarket_standard: "standard aftermarket",
    Q.aftermarket_economy: "economy aftermarket",
}
BRAND_FACTORS: dict[str, float] = {"Apple": 1.10, "Samsung": 1.05}
# The usual screen diagonal (inches) of each device type, for the size factor of screen prices.
USUAL_SCREEN_SIZE: dict[str, float] = {
    "phone": 6.1,
    "tablet": 10.9,
    "laptop": 14.0,
    "watch": 1.8,
    "console": 7.0,
}
ALL_QUALITIES = (Q.original, Q.aftermarket_premium, Q.aftermarket_standard, Q.aftermarket_economy)


@dataclass(frozen=True, slots=True)
class PartKind:
    """A kind of part, sold in the listed grades; ``warranty_months`` overrides the grade's usual warranty."""

    name: str
    qualities: tuple[str, ...]
    warranty_months: int | None = None
    description: str | None = None

    def part_type_name(self, quality: str) -> str:
        return self.name if len(self.qualities) == 1 else f"{self.name} ({QUALITY_LABELS[quality]})"


@dataclass(frozen=True, slots=True)
class RepairTypeSeed:
    """A repair the shop does: bench time in minutes, the part it fits and its base price (USD, standard
    tier, 2021 device, original part) per device type. No part means it is quoted case by case."""

    name: str
    default_minutes: int
    description: str
    part: PartKind | None = None
    base_prices: dict[str, int] = field(default_factory=dict)
    # Consoles: whether the repair is for handhelds (with a screen) or home consoles (without).
    consoles: str | None = None


DISPLAY = PartKind("Display assembly", ALL_QUALITIES, description="Screen with digitizer, pre-assembled")
BATTERY = PartKind("Battery", (Q.original, Q.aftermarket_premium, Q.aftermarket_standard))
CHARGING_PORT = PartKind("Charging port flex", (Q.original, Q.aftermarket_standard))
BACK_GLASS = PartKind("Back glass", (Q.original, Q.aftermarket_standard))
CAMERA = PartKind("Rear camera module", (Q.original, Q.aftermarket_premium))
SPEAKER = PartKind("Speaker and earpiece", (Q.original, Q.aftermarket_standard))
KEYBOARD = PartKind("Keyboard", (Q.original, Q.aftermarket_standard))
TRACKPAD = PartKind("Trackpad", (Q.original,))
HDMI_PORT = PartKind("HDMI port", (Q.original, Q.aftermarket_standard))
ANALOG_STICK = PartKind(
    "Analog stick module",
    (Q.original, Q.aftermarket_premium),
    description="Premium aftermarket sticks are Hall-effect and do not drift",
)
CORROSION = PartKind(
    "Corrosion treatment consumables",
    (Q.aftermarket_standard,),
    warranty_months=0,
    description="Ultrasonic cleaning and contact treatment; no warranty on liquid damage",
)
THERMAL = PartKind("Thermal paste and cleaning kit", (Q.aftermarket_premium,), warranty_months=3)
SSD = PartKind("NVMe SSD 1 TB", (Q.aftermarket_premium,), warranty_months=36)

REPAIR_TYPES: tuple[RepairTypeSeed, ...] = (
    RepairTypeSeed(
        "Screen replacement",
        60,
        "Replace a cracked or failing display",
        DISPLAY,
        {"phone": 229, "tablet": 249, "laptop": 399, "watch": 199, "console": 139},
        consoles="handheld",
    ),
    RepairTypeSeed(
        "Battery replacement",
        45,
        "Replace a worn or swollen battery",
        BATTERY,
        {"phone": 89, "tablet": 119, "laptop": 159, "watch": 89, "console": 79},
        consoles="handheld",
    ),
    RepairTypeSeed(
        "Charging port repair",
        60,
        "Replace a loose or dead charging port",
        CHARGING_PORT,
        {"phone": 99, "tablet": 119, "console": 109},
        consoles="handheld",
    ),
    RepairTypeSeed("Back glass replacement", 90, "Replace shattered back glass", BACK_GLASS, {"phone": 149}),
    RepairTypeSeed(
        "Rear camera replacement",
        45,
        "Replace a blurry or broken rear camera",
        CAMERA,
        {"phone": 139, "tablet": 129},
    ),
    RepairTypeSeed(
        "Speaker and earpiece replacement", 40, "Fix quiet, crackling or silent audio", SPEAKER, {"phone": 79}
    ),
    RepairTypeSeed(
        "Water damage treatment",
        120,
        "Clean and treat a device after liquid damage",
        CORROSION,
        {"phone": 99, "tablet": 119, "laptop": 149},
    ),
    RepairTypeSeed("Keyboard replacement", 90, "Replace a laptop keyboard", KEYBOARD, {"laptop": 179}),
    RepairTypeSeed("Trackpad replacement", 60, "Replace an unresponsive trackpad", TRACKPAD, {"laptop": 149}),
    RepairTypeSeed(
        "HDMI port repair",
        90,
        "Replace a damaged HDMI port (no picture)",
        HDMI_PORT,
        {"console": 129},
        consoles="home",
    ),
    RepairTypeSeed(
        "Analog stick drift repair",
        30,
        "Replace drifting analog sticks",
        ANALOG_STICK,
        {"console": 49},
        consoles="handheld",
    ),
    RepairTypeSeed(
        "Fan cleaning and thermal paste",
        60,
        "Clean fans and heat sinks, renew thermal paste (overheating, noise)",
        THERMAL,
        {"laptop": 89, "console": 79},
        consoles="home",
    ),
    RepairTypeSeed("SSD upgrade", 45, "Fit a 1 TB NVMe SSD and move the data", SSD, {"laptop": 149}),
    RepairTypeSeed("Diagnostics", 30, "Find the fault and quote the repair"),
    RepairTypeSeed("Data recovery", 180, "Recover data from a dead or damaged device"),
    RepairTypeSeed("Logic board repair", 240, "Board-level micro-soldering, quoted after diagnosis"),
)


def is_priced(device: DeviceModelSeed) -> bool:
    """Whether the demo shop has its own prices for ``device`` (the popular models, see the module text)."""
    brand, name, year, kind = device.brand, device.name, device.release_year, device.device_type
    if kind == "phone":
        if brand == "Apple":
            return year >= 2017
        if brand == "Samsung":
            return year >= 2019 and name.startswith(("Galaxy S", "Galaxy Note", "Galaxy Z"))
        return brand == "Google" and year >= 2019
    if kind == "tablet":
        return (brand == "Apple" and year >= 2018) or (
            brand == "Samsung" and year >= 2020 and name.startswith("Galaxy Tab S")
        )
    if kind == "laptop":
        return (
            (brand == "Apple" and year >= 2018)
            or (brand == "Dell" and year >= 2019 and name.startswith("XPS"))
            or (brand == "Microsoft" and year >= 2019 and name.startswith("Surface Laptop"))
        )
    if kind == "watch":
        return brand == "Apple" and year >= 2018
    if kind == "console":
        return name.startswith(("PlayStation 4", "PlayStation 5", "Xbox Series", "Switch", "Steam Deck"))
    return False


def _applies(repair: RepairTypeSeed, device: DeviceModelSeed) -> bool:
    if device.device_type not in repair.base_prices:
        return False
    if device.device_type == "console" and repair.consoles is not None:
        handheld = device.screen_size is not None
        return handheld if repair.consoles == "handheld" else not handheld
    return True


# Every device type some repair type has a list price for; desktops and gadgets ("other") have none.
PRICED_DEVICE_TYPES = frozenset(kind for repair in REPAIR_TYPES for kind in repair.base_prices)
REPAIR_TYPES_BY_NAME: dict[str, RepairTypeSeed] = {repair.name: repair for repair in REPAIR_TYPES}

# What the shop charges (USD, standard tier) for the repairs without a part, quoted case by case.
CASE_BY_CASE_PRICES: dict[str, dict[str, tuple[int, int]]] = {
    "Diagnostics": {
        "phone": (39, 49),
        "tablet": (39, 49),
        "laptop": (59, 79),
        "desktop": (59, 79),
        "console": (39, 49),
        "watch": (39, 49),
        "other": (29, 39),
    },
    "Data recovery": {
        "phone": (199, 449),
        "tablet": (199, 399),
        "laptop": (249, 699),
        "desktop": (249, 699),
        "console": (149, 249),
        "watch": (149, 199),
        "other": (149, 299),
    },
    "Logic board repair": {
        "phone": (149, 329),
        "tablet": (169, 329),
        "laptop": (249, 549),
        "desktop": (199, 449),
        "console": (129, 279),
        "watch": (149, 229),
        "other": (99, 199),
    },
}


def fits(repair: RepairTypeSeed, device: DeviceModelSeed) -> bool:
    """Whether the shop does ``repair`` on ``device``: a repair without a part on anything; one with a part
    where the price list has it for the device type (handheld or home console as the repair says), and on
    device types the price list never covers (desktops, gadgets), which the estimator prices."""
    if repair.part is None:
        return True
    if device.device_type in PRICED_DEVICE_TYPES:
        return _applies(repair, device)
    return True


def case_by_case_price(rng: random.Random, repair: RepairTypeSeed, device: DeviceModelSeed) -> Decimal:
    """A price for a repair without a part (:data:`CASE_BY_CASE_PRICES`, by tier), as shops write it."""
    low, high = CASE_BY_CASE_PRICES[repair.name][device.device_type]
    return _shop_price(rng.uniform(low, high) * TIER_FACTORS[device.tier_level])


def _shop_price(amount: float) -> Decimal:
    """A price as shops write it: a whole amount ending in 9 (149, 279), at least 19."""
    return Decimal(max(19, round(amount / 10) * 10 - 1)).quantize(CENT)


def _price(rng: random.Random, repair: RepairTypeSeed, device: DeviceModelSeed, quality: str) -> Decimal:
    amount = float(repair.base_prices[device.device_type])
    amount *= TIER_FACTORS[device.tier_level]
    amount *= min(1.30, max(0.75, 1 + 0.05 * (device.release_year - 2021)))
    if repair.part is DISPLAY and device.screen_size:
        amount *= math.sqrt(device.screen_size / USUAL_SCREEN_SIZE[device.device_type])
    # Relative to the best grade the part comes in: a consumable sold in one grade costs its base price.
    assert repair.part is not None
    amount *= QUALITY_FACTORS[quality] / QUALITY_FACTORS[repair.part.qualities[0]]
    amount *= BRAND_FACTORS.get(device.brand, 1.0)
    return _shop_price(amount * rng.uniform(0.96, 1.04))


def part_cost(rng: random.Random, price: Decimal, quality: str) -> Decimal:
    """What the part of a repair priced ``price`` costs the shop: the grade's :data:`COST_RATIOS` (±10 %)."""
    ratio = COST_RATIOS[quality] * rng.uniform(0.9, 1.1)
    return round_money(price * Decimal(str(round(ratio, 4))))


@dataclass(slots=True)
class DemoPrice:
    """One price of the demo price list, for code that builds on it (repair line items): ``price`` and
    ``cost`` (USD) are the current ones; a price changed at ``changed_at`` was ``first_price`` and
    ``first_cost`` before."""

    id: uuid.UUID
    device_model_id: uuid.UUID
    repair_type_id: uuid.UUID
    part_type_id: uuid.UUID
    part_quality: str
    price: Decimal
    cost: Decimal
    first_price: Decimal | None = None
    first_cost: Decimal | None = None
    changed_at: datetime | None = None

    def in_effect(self, moment: datetime) -> tuple[Decimal, Decimal]:
        """The price and part cost the list charged at ``moment`` (aware)."""
        if self.changed_at is not None and moment < self.changed_at:
            assert self.first_price is not None
            assert self.first_cost is not None
            return self.first_price, self.first_cost
        return self.price, self.cost


@dataclass(frozen=True, slots=True)
class DemoPartType:
    """A part type of the demo catalog: its id, grade and warranty in months (0: none)."""

    id: uuid.UUID
    name: str
    quality: str
    warranty_months: int


@dataclass(slots=True)
class DemoCatalog:
    """The demo catalog's rows per table (``batch``, in insertion order) and lookups into it.

    ``built_at`` is the moment the catalog was built for (the load's now): estimates are the estimator's
    answers at that moment, as ``GET /catalog/pricing/estimate`` gives them right after loading."""

    batch: list[tuple[Table, list[dict[str, Any]]]]
    device_ids: dict[tuple[str, str], uuid.UUID]
    repair_type_ids: dict[str, uuid.UUID]
    part_type_ids: dict[str, uuid.UUID]
    prices: list[DemoPrice]
    part_types: dict[str, DemoPartType] = field(default_factory=dict)
    device_profiles: dict[uuid.UUID, estimator.DeviceProfile] = field(default_factory=dict)
    built_at: datetime | None = None
    _by_key: dict[tuple[uuid.UUID, uuid.UUID, uuid.UUID], DemoPrice] = field(
        default_factory=dict, init=False, repr=False
    )
    _points: dict[uuid.UUID, list[estimator.PricePoint]] = field(default_factory=dict, init=False, repr=False)
    _peers: dict[tuple[uuid.UUID, uuid.UUID, str], list[estimator.PricePoint]] = field(
        default_factory=dict, init=False, repr=False
    )
    _estimates: dict[tuple[uuid.UUID | int, uuid.UUID, str], estimator.Estimate | None] = field(
        default_factory=dict, init=False, repr=False
    )

    def __post_init__(self) -> None:
        for price in self.prices:
            self._by_key[(price.device_model_id, price.repair_type_id, price.part_type_id)] = price
            device = self.device_profiles.get(price.device_model_id)
            if device is None:
                continue
            point = estimator.PricePoint(
                pricing_id=price.id,
                device=device,
                repair_type_id=price.repair_type_id,
                part_quality=price.part_quality,
                price=price.price,
            )
            self._points.setdefault(price.repair_type_id, []).append(point)
            key = (price.repair_type_id, device.brand_id, device.device_type)
            self._peers.setdefault(key, []).append(point)

    def count(self, table: Table) -> int:
        return sum(len(rows) for batch_table, rows in self.batch if batch_table is table)

    def price_at(
        self, device_model_id: uuid.UUID, repair_type_id: uuid.UUID, part_type_id: uuid.UUID, moment: datetime
    ) -> tuple[DemoPrice, Decimal, Decimal] | None:
        """The list's price for the device, repair type and part type, with the price and part cost in
        effect at ``moment``; ``None`` when the list has no such price."""
        price = self._by_key.get((device_model_id, repair_type_id, part_type_id))
        if price is None:
            return None
        amount, cost = price.in_effect(moment)
        return price, amount, cost

    def estimate(
        self, device_model_id: uuid.UUID, repair_type_id: uuid.UUID, part_quality: str
    ) -> estimator.Estimate | None:
        """The estimator's answer for the device, repair type and part grade on this price list at
        :attr:`built_at`, from :func:`fixdesk.catalog.estimator.estimate` itself (remembered per key).

        It is given the prices :func:`fixdesk.catalog.estimator.estimate_price` would load: the same brand
        and device type's prices of the repair type, or all of them when there are none, so the answer is
        the one ``GET /catalog/pricing/estimate`` gives. ``None`` when the list has no price of the repair
        type at all."""
        target = self.device_profiles[device_model_id]
        peers = self._peers.get((repair_type_id, target.brand_id, target.device_type))
        # Without peers the estimator takes the repair type's catalog-wide median, which depends on the
        # target only through its tier (the target has no prices of its own either, or they would be
        # peers): one answer serves every such device of a tier, so the median's sort runs once.
        key = (device_model_id if peers else target.tier_level, repair_type_id, part_quality)
        if key not in self._estimates:
            points = peers or self._points.get(repair_type_id, [])
            self._estimates[key] = estimator.estimate(
                target, repair_type_id, part_quality, points, at=self.built_at
            )
        return self._estimates[key]


def build_demo_catalog(
    *, seed: int, now: datetime, changed_by_id: uuid.UUID | None = None, zone: tzinfo = UTC
) -> DemoCatalog:
    """Build the demo catalog's rows from ``seed`` relative to ``now`` (aware). ``changed_by_id`` is the
    staff user recorded on later price changes; ``zone`` is the shop's time zone, in which the price list
    starts at midnight."""
    rng = random.Random(f"fixdesk-demo-catalog-{seed}")
    created = now - timedelta(days=CATALOG_AGE_DAYS)
    list_day = (now - timedelta(days=PRICE_LIST_AGE_DAYS)).astimezone(zone).date()
    price_list_from = datetime(list_day.year, list_day.month, list_day.day, tzinfo=zone).astimezone(UTC)

    def stamped(row: dict[str, Any], moment: datetime = created) -> dict[str, Any]:
        return {"id": new_id(), **row, "is_active": True, "created_at": moment, "updated_at": moment}

    brand_ids: dict[str, uuid.UUID] = {}
    brand_rows: list[dict[str, Any]] = []
    for device in DEVICE_MODELS:
        if device.brand not in brand_ids:
            row = stamped({"name": device.brand, "slug": slug_for(device.brand)})
            brand_ids[device.brand] = row["id"]
            brand_rows.append(row)

    device_ids: dict[tuple[str, str], uuid.UUID] = {}
    device_profiles: dict[uuid.UUID, estimator.DeviceProfile] = {}
    device_rows: list[dict[str, Any]] = []
    for device in DEVICE_MODELS:
        row = stamped(
            {
                "brand_id": brand_ids[device.brand],
                "name": device.name,
                "model_number": device.model_number,
                "release_year": device.release_year,
                "device_type": device.device_type,
                "screen_size": Decimal(str(device.screen_size)) if device.screen_size is not None else None,
                "tier_level": device.tier_level,
                "search_text": device_search_text(device.brand, device.name, device.model_number),
            }
        )
        device_ids[(device.brand, device.name)] = row["id"]
        device_profiles[row["id"]] = estimator.DeviceProfile(
            id=row["id"],
            brand_id=row["brand_id"],
            device_type=device.device_type,
            release_year=device.release_year,
            tier_level=device.tier_level,
        )
        device_rows.append(row)

    repair_type_ids: dict[str, uuid.UUID] = {}
    repair_rows: list[dict[str, Any]] = []
    part_type_ids: dict[str, uuid.UUID] = {}
    part_types: dict[str, DemoPartType] = {}
    part_rows: list[dict[str, Any]] = []
    for repair in REPAIR_TYPES:
        row = stamped(
            {
                "name": repair.name,
                "slug": slug_for(repair.name),
                "description": repair.description,
                "default_minutes": repair.default_minutes,
            }
        )
        repair_type_ids[repair.name] = row["id"]
        repair_rows.append(row)
        kind = repair.part
        if kind is None:
            continue
        for quality in kind.qualities:
            name = kind.part_type_name(quality)
            if name in part_type_ids:
                continue
            row = stamped(
                {
                    "name": name,
                    "slug": slug_for(name),
                    "quality": quality,
                    "warranty_months": kind.warranty_months
                    if kind.warranty_months is not None
                    else WARRANTY_MONTHS[quality],
                    "description": kind.description,
                }
            )
            part_type_ids[name] = row["id"]
            part_types[name] = DemoPartType(row["id"], name, quality, row["warranty_months"])
            part_rows.append(row)

    prices: list[DemoPrice] = []
    price_rows: list[dict[str, Any]] = []
    history_rows: list[dict[str, Any]] = []
    for device in DEVICE_MODELS:
        if not is_priced(device):
            continue
        for repair in REPAIR_TYPES:
            if repair.part is None or not _applies(repair, device):
                continue
            for quality in repair.part.qualities:
                first = _price(rng, repair, device, quality)
                cost = part_cost(rng, first, quality)
                price, updated = first, price_list_from
                change: tuple[datetime, Decimal, Decimal] | None = None
                if rng.random() < REPRICED_SHARE:
                    moment = now - timedelta(
                        days=rng.randrange(20, PRICE_LIST_AGE_DAYS - 20), hours=rng.randrange(9, 18)
                    )
                    raised = _shop_price(float(first) * rng.uniform(1.05, 1.15))
                    change = (moment, raised, part_cost(rng, raised, quality))
                    price, updated = raised, moment
                row = {
                    "id": new_id(),
                    "device_model_id": device_ids[(device.brand, device.name)],
                    "repair_type_id": repair_type_ids[repair.name],
                    "part_type_id": part_type_ids[repair.part.part_type_name(quality)],
                    "part_quality": quality,
                    "price": price,
                    "cost": change[2] if change else cost,
                    "is_active": True,
                    "is_estimated": False,
                    "confidence_score": None,
                    "valid_from": price_list_from,
                    "valid_until": None,
                    "notes": None,
                    "created_at": price_list_from,
                    "updated_at": updated,
                }
                price_rows.append(row)
                prices.append(
                    DemoPrice(
                        id=row["id"],
                        device_model_id=row["device_model_id"],
                        repair_type_id=row["repair_type_id"],
                        part_type_id=row["part_type_id"],
                        part_quality=quality,
                        price=row["price"],
                        cost=row["cost"],
                        first_price=first if change else None,
                        first_cost=cost if change else None,
                        changed_at=change[0] if change else None,
                    )
                )
                history_rows.append(
                    _history(
                        row["id"], None, first, None, cost, PriceChangeSource.import_, None, price_list_from
                    )
                )
                if change is not None:
                    history_rows.append(
                        _history(
                            row["id"],
                            first,
                            change[1],
                            cost,
                            change[2],
                            PriceChangeSource.api,
                            changed_by_id,
                            change[0],
                            reason="Supplier price increase",
                        )
                    )

    batch: list[tuple[Table, list[dict[str, Any]]]] = [
        (Brand.__table__, brand_rows),
        (DeviceModel.__table__, device_rows),
        (RepairType.__table__, repair_rows),
        (PartType.__table__, part_rows),
        (Pricing.__table__, price_rows),
        (PriceHistory.__table__, history_rows),
    ]
    return DemoCatalog(
        batch,
        device_ids,
        repair_type_ids,
        part_type_ids,
        prices,
        part_types=part_types,
        device_profiles=device_profiles,
        built_at=now,
    )


def _history(
    pricing_id: uuid.UUID,
    old_price: Decimal | None,
    new_price: Decimal,
    old_cost: Decimal | None,
    new_cost: Decimal | None,
    source: str,
    changed_by_id: uuid.UUID | None,
    moment: datetime,
    *,
    reason: str | None = "Price list import",
) -> dict[str, Any]:
    return {
        "id": new_id(),
        "pricing_id": pricing_id,
        "old_price": old_price,
        "new_price": new_price,
        "old_cost": old_cost,
        "new_cost": new_cost,
        "source": str(source),
        "changed_by_id": changed_by_id,
        "reason": reason,
        "created_at": moment,
    }
