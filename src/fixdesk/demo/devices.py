"""Real consumer device models and realistic repair intake text for demo data, read from
``demo/data/devices.json`` (shipped in the package).

The data lists real consumer devices (phones, tablets, laptops, desktops, game consoles, watches and a few
other gadgets) together with the year each model was first released. It is used by the demo shop loader to
create believable repair tickets and by the device catalog seed. It also says what the bench does about
each intake issue (:data:`ISSUE_FIXES`, names of ``fixdesk.demo.catalog.REPAIR_TYPES``) and what customers
write: quote answers and review comments in English, Portuguese and Spanish.

Release years, screen sizes and model numbers come from the manufacturers' own announcements and are
public knowledge. Screen sizes are the marketed diagonal in inches (for watches: the larger case size;
for foldables: the main, unfolded display). A model number is only filled in where it is a single,
well-known identifier; otherwise it is ``None``. Tiers are a rough market positioning used to pick
plausible repair prices: 1 = flagship, 2 = standard / mid-range, 3 = budget.

The file's keys, each loaded into the constant of the same name in capitals:

* ``device_types``; ``model_groups``: ``{brand, device_type, models: [[name, release year, tier, screen
  size in inches or null], …]}`` in catalog order; ``model_numbers``: ``[brand, name, model number]``;
* ``issue_descriptions`` (by device type), ``cosmetic_conditions``, ``status_notes`` (by repair status);
* ``issue_fixes``: by device type, then by the exact text of an issue description, an :class:`IssueFix`;
* ``extra_labour``: labour the bench sometimes adds to any repair of a device type; ``quote_notes``;
* ``decline_reasons`` (why a quote was declined before the repair was cancelled) and ``requote_reasons``
  (… before it was quoted again), by language; ``review_comments`` by language and rating (1–5).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

_DATA: dict[str, Any] = json.loads(
    resources.files("fixdesk.demo").joinpath("data", "devices.json").read_text(encoding="utf-8")
)


@dataclass(frozen=True, slots=True)
class DeviceModelSeed:
    """One real device model as it would appear in a repair shop's catalog."""

    brand: str
    name: str
    device_type: str
    release_year: int
    tier_level: int
    screen_size: float | None
    model_number: str | None = None


@dataclass(frozen=True, slots=True)
class IssueFix:
    """How the bench fixes an intake issue: the repair types of :data:`fixdesk.demo.catalog.REPAIR_TYPES`
    it takes (the first always, the others sometimes) and, for work the catalog has no repair type for,
    the description of a labour line. ``only`` lists parts of ``"<brand> <name>"`` of the models the issue
    occurs on (empty: every model of the device type); ``excluding`` removes models again (a disc drive
    fault on a digital-only console)."""

    repair_types: tuple[str, ...]
    labour: str | None = None
    only: tuple[str, ...] = ()
    excluding: tuple[str, ...] = ()


def _texts(values: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
    return {key: tuple(texts) for key, texts in values.items()}


DEVICE_TYPES: tuple[str, ...] = tuple(_DATA["device_types"])

# Well-known, unambiguous model numbers keyed by (brand, name).
_MODEL_NUMBERS: dict[tuple[str, str], str] = {
    (brand, name): number for brand, name, number in _DATA["model_numbers"]
}

DEVICE_MODELS: tuple[DeviceModelSeed, ...] = tuple(
    DeviceModelSeed(
        brand=group["brand"],
        name=name,
        device_type=group["device_type"],
        release_year=year,
        tier_level=tier,
        screen_size=screen,
        model_number=_MODEL_NUMBERS.get((group["brand"], name)),
    )
    for group in _DATA["model_groups"]
    for name, year, tier, screen in group["models"]
)


def models_by_type() -> dict[str, list[DeviceModelSeed]]:
    """Group DEVICE_MODELS by device type.

    Keys follow the order of DEVICE_TYPES; only types that have at least one model are present. Within
    a type, models keep their order in DEVICE_MODELS.
    """
    grouped: dict[str, list[DeviceModelSeed]] = {}
    for device_type in DEVICE_TYPES:
        models = [model for model in DEVICE_MODELS if model.device_type == device_type]
        if models:
            grouped[device_type] = models
    return grouped


ISSUE_DESCRIPTIONS_BY_TYPE: dict[str, tuple[str, ...]] = _texts(_DATA["issue_descriptions"])
COSMETIC_CONDITIONS: tuple[str, ...] = tuple(_DATA["cosmetic_conditions"])
STATUS_NOTES: dict[str, tuple[str, ...]] = _texts(_DATA["status_notes"])

# Keyed by device type, then by the exact text of ISSUE_DESCRIPTIONS_BY_TYPE.
ISSUE_FIXES: dict[str, dict[str, IssueFix]] = {
    device_type: {
        issue: IssueFix(
            repair_types=tuple(fix["repair_types"]),
            labour=fix.get("labour"),
            only=tuple(fix.get("only", ())),
            excluding=tuple(fix.get("excluding", ())),
        )
        for issue, fix in fixes.items()
    }
    for device_type, fixes in _DATA["issue_fixes"].items()
}

# Labour the bench sometimes adds to any repair of a device type, with the usual hours.
EXTRA_LABOUR: dict[str, tuple[str, ...]] = _texts(_DATA["extra_labour"])
QUOTE_NOTES: tuple[str, ...] = tuple(_DATA["quote_notes"])

# Why a quote was declined before the repair was cancelled, and before it was quoted again.
DECLINE_REASONS: dict[str, tuple[str, ...]] = _texts(_DATA["decline_reasons"])
REQUOTE_REASONS: dict[str, tuple[str, ...]] = _texts(_DATA["requote_reasons"])
# Review comments by language and rating (1–5).
REVIEW_COMMENTS: dict[str, dict[int, tuple[str, ...]]] = {
    language: {int(rating): tuple(texts) for rating, texts in by_rating.items()}
    for language, by_rating in _DATA["review_comments"].items()
}
