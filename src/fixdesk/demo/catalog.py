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
"""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Table

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
from fixdesk.catalog.service import device_search_text, slug_for
from fixdesk.db import new_id
from fixdesk.demo.devices import DEVICE_MODELS, DeviceModelSeed

Q = PartQuality

PRICE_LIST_AGE_DAYS = 420
CATALOG_AGE_DAYS = 800
REPRICED_SHARE = 0.12
CENT = Decimal("0.01")

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


def _cost(rng: random.Random, price: Decimal, quality: str) -> Decimal:
    ratio = COST_RATIOS[quality] * rng.uniform(0.9, 1.1)
    return (price * Decimal(str(round(ratio, 4)))).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(slots=True)
class DemoPrice:
    """One price of the demo price list, for code that builds on it (repair line items)."""

    id: uuid.UUID
    device_model_id: uuid.UUID
    repair_type_id: uuid.UUID
    part_type_id: uuid.UUID
    part_quality: str
    price: Decimal
    cost: Decimal


@dataclass(slots=True)
class DemoCatalog:
    """The demo catalog's rows per table (``batch``, in insertion order) and lookups into it."""

    batch: list[tuple[Table, list[dict[str, Any]]]]
    device_ids: dict[tuple[str, str], uuid.UUID]
    repair_type_ids: dict[str, uuid.UUID]
    part_type_ids: dict[str, uuid.UUID]
    prices: list[DemoPrice]

    def count(self, table: Table) -> int:
        return sum(len(rows) for batch_table, rows in self.batch if batch_table is table)


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
        device_rows.append(row)

    repair_type_ids: dict[str, uuid.UUID] = {}
    repair_rows: list[dict[str, Any]] = []
    part_type_ids: dict[str, uuid.UUID] = {}
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
                cost = _cost(rng, first, quality)
                price, updated = first, price_list_from
                change: tuple[datetime, Decimal, Decimal] | None = None
                if rng.random() < REPRICED_SHARE:
                    moment = now - timedelta(
                        days=rng.randrange(20, PRICE_LIST_AGE_DAYS - 20), hours=rng.randrange(9, 18)
                    )
                    raised = _shop_price(float(first) * rng.uniform(1.05, 1.15))
                    change = (moment, raised, _cost(rng, raised, quality))
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
                        row["id"],
                        row["device_model_id"],
                        row["repair_type_id"],
                        row["part_type_id"],
                        quality,
                        row["price"],
                        row["cost"],
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
    return DemoCatalog(batch, device_ids, repair_type_ids, part_type_ids, prices)


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
