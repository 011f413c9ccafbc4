"""The demo shop's field team in one real city (Austin, TX): technicians with skills, working hours, time off
and home bases; customers' service locations on real streets with the equipment there; recurring service
plans; and a year of work orders up to a few weeks ahead, for the dispatch board, the calendar, the
technicians' days and the field analytics.

Per unit of ``scale``: 10 technicians (``tech@``, ``tech2@`` … ``tech10@example.com``; the first two are the
shop's bench technicians, who also go out), 500 service locations with 1–4 units of equipment each, 150
service plans, and about 6,000 work orders over the 12 months before ``now`` and the 4 weeks after it.

**Addresses** come from ``demo/data/austin_streets.json``: stretches of real Austin streets with their ZIP
codes, each end given by its coordinates and house number. A demo address is a house number on a stretch,
its coordinates interpolated between the ends and set back from the centre line (even numbers on one side,
odd on the other), so every location lies inside the city on its street; nothing is fetched at load time.

**Rules kept** (those of the services, :mod:`fixdesk.fieldservice`): work order numbers ``WO-YYYY-NNNNNN``
gap-free per shop year in creation order, with the ``number_sequences`` counter left at the last one; a
history row for every status change along :data:`fixdesk.fieldservice.lifecycle.TRANSITIONS`, with
``startedAt``/``completedAt``/``cancelledAt`` stamped when the history says; totals by the repairs' money
rule at the shop's tax rate; every booking of a technician inside their working hours, outside their breaks
and time off and never overlapping another of their jobs (the rules of
:mod:`fixdesk.fieldservice.work_orders.booking`); plans' RRULEs read by the plans' own parser, their
occurrences made exactly as the periodic job makes them (up to ``FIXDESK_SERVICE_PLAN_LEAD_DAYS`` ahead,
reminders ``FIXDESK_SERVICE_PLAN_REMINDER_DAYS`` before) and their next occurrence computed the same way.

**Time**: days are the shop's calendar (``FIXDESK_SHOP_TIMEZONE``) and windows its clock. Everything is
relative to ``now``: work orders before today are completed or cancelled, today's are completed, in progress
or scheduled by the hour, later ones scheduled; some of today's and the coming days' are left unassigned and
a few undated drafts wait, so ``POST /dispatch/plan`` has something to plan. The same seed and ``now`` give
the same rows (only ids differ); the generator draws from its own random stream, so the rest of the demo
shop is the same with or without it.

The rows are written with the demo loader's bulk writer (the services would take minutes for a year of work
orders and need the real clock), so this module repeats the services' row-building rules and the demo
tests check the rows against them.
"""

from __future__ import annotations

import bisect
import functools
import gc
import itertools
import json
import math
import random
import re
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from importlib import resources
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
from faker import Faker
from sqlalchemy import Table

from fixdesk.customers.models import Customer, CustomerStatus
from fixdesk.customers.service import _search_text as customer_search_text
from fixdesk.db import new_id
from fixdesk.fieldservice.models import (
    Equipment,
    GeocodeStatus,
    ServiceLocation,
    Technician,
    TechnicianSkill,
    TechnicianTimeOff,
    WorkOrder,
    WorkOrderItem,
    WorkOrderLabour,
    WorkOrderStatus,
    WorkOrderStatusHistory,
    WorkOrderTechnician,
)
from fixdesk.fieldservice.service_plans import recurrence as rules
from fixdesk.fieldservice.service_plans.models import (
    ServicePlan,
    ServicePlanOccurrence,
    ServicePlanStatus,
)
from fixdesk.fieldservice.work_orders.service import WORK_ORDER_NUMBER_PREFIX
from fixdesk.identity.models import Role, User
from fixdesk.platform.numbering import local_year
from fixdesk.repairs.items import totals as money

W = WorkOrderStatus
Batch = list[tuple[Table, list[dict[str, Any]]]]

# The field tables with many rows, whose secondary indexes and foreign keys the loader builds once at the
# end on PostgreSQL (see fixdesk.demo.loader._BulkWriter.defer_indexes_and_foreign_keys).
FIELD_BULK_TABLES: tuple[Table, ...] = (
    ServiceLocation.__table__,
    Equipment.__table__,
    WorkOrder.__table__,
    WorkOrderTechnician.__table__,
    WorkOrderStatusHistory.__table__,
    WorkOrderItem.__table__,
    WorkOrderLabour.__table__,
    ServicePlanOccurrence.__table__,
)
TECHNICIANS_PER_SCALE = 10
LOCATIONS_PER_SCALE = 500
PLANS_PER_SCALE = 150
UNASSIGNED_TODAY_PER_SCALE = 8
DRAFTS_PER_SCALE = 6
HISTORY_DAYS = 365
FUTURE_DAYS = 28
WORK_ORDER_BATCH_SIZE = 2_000
# The share of a technician's free windows booked on a past day, and on today (later days thin out).
PAST_FILL_RATE = 0.5
TODAY_FILL_RATE = 0.75
HALF_DAY_JOB_RATE = 0.08
CANCELLED_RATE = 0.06
DRAFT_FIRST_RATE = 0.15  # booked as a draft first (a call-back), dated later
STREETS_FILE = "austin_streets.json"

# A technician's day is planned in these arrival windows (shop clock, minutes after midnight); every working
# pattern below covers all four and none of its breaks falls inside one, so a job booked in a window is
# always inside the technician's hours. Long jobs take a half day (two windows).
WINDOWS: tuple[tuple[int, int], ...] = ((480, 600), (600, 720), (750, 870), (870, 990))
HALF_DAYS: tuple[tuple[int, int], ...] = ((0, 1), (2, 3))

# Working patterns (``workingHours`` of the technicians' API): five days, an early shift, Tuesday to
# Saturday, and four ten-hour days.
_LUNCH = [{"start": "12:00", "end": "12:30"}]
WORKING_PATTERNS: tuple[list[dict[str, Any]], ...] = (
    [{"weekday": d, "start": "08:00", "end": "17:00", "breaks": _LUNCH} for d in range(1, 6)],
    [{"weekday": d, "start": "07:30", "end": "16:30", "breaks": _LUNCH} for d in range(1, 6)],
    [{"weekday": d, "start": "08:00", "end": "17:00", "breaks": _LUNCH} for d in range(2, 7)],
    [{"weekday": d, "start": "07:00", "end": "17:30", "breaks": _LUNCH} for d in range(1, 5)],
)
# (skills, working pattern, certification note) of technicians 1…10; repeated for larger scales.
TEAM: tuple[tuple[tuple[str, ...], int, str | None], ...] = (
    (("HVAC", "Electrical"), 0, "EPA 608 Universal certified"),
    (("Plumbing", "Septic"), 0, "Licensed master plumber (Texas)"),
    (("HVAC",), 1, "NATE certified; speaks Spanish"),
    (("Septic",), 0, "TCEQ licensed maintenance provider for aerobic systems"),
    (("Plumbing",), 2, "Backflow prevention assembly tester (TCEQ)"),
    (("Electrical",), 3, "Texas journeyman electrician"),
    (("HVAC", "Plumbing"), 2, None),
    (("Septic", "Plumbing"), 3, "Drives the 3,000-gallon vacuum truck"),
    (("HVAC",), 0, "EPA 608 Universal certified"),
    (("Electrical", "HVAC"), 1, "Generac certified service technician"),
)
HOURLY_LABOUR_RATES: dict[str, Decimal] = {
    "HVAC": Decimal("115.00"),
    "Plumbing": Decimal("105.00"),
    "Septic": Decimal("95.00"),
    "Electrical": Decimal("120.00"),
}

# Equipment: type → (skill, ((make, model), …)).
EQUIPMENT_MODELS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "Central air conditioner": (
        "HVAC",
        (
            ("Carrier", "24ACC636A003"),
            ("Trane", "4TTR4036L1000A"),
            ("Lennox", "ML14XC1-036"),
            ("Goodman", "GSX140361"),
            ("Rheem", "RA1436AJ1NA"),
        ),
    ),
    "Gas furnace": (
        "HVAC",
        (
            ("Carrier", "59SC5A080E17"),
            ("Trane", "S9V2B080U3PSA"),
            ("Lennox", "ML180UH090P48B"),
            ("Goodman", "GMVC960803BN"),
        ),
    ),
    "Heat pump": (
        "HVAC",
        (("Trane", "4TWR5036H1000A"), ("Carrier", "25HCE436A003"), ("Goodman", "GSZ140361")),
    ),
    "Packaged rooftop unit": (
        "HVAC",
        (("Carrier", "48TCED08"), ("Trane", "YSC060A3"), ("Lennox", "LGH092H4")),
    ),
    "Water heater": (
        "Plumbing",
        (("Rheem", "XG50T06EC38U1"), ("A. O. Smith", "GCR-50"), ("Bradford White", "RG250T6N")),
    ),
    "Tankless water heater": (
        "Plumbing",
        (("Rinnai", "RU199iN"), ("Navien", "NPE-240A2"), ("Noritz", "NRC111-DV")),
    ),
    "Water softener": ("Plumbing", (("Culligan", "HE 1.5"), ("Fleck", "5600SXT"), ("EcoWater", "ERR3702"))),
    "Backflow preventer": ("Plumbing", (("Watts", "009M2-QT"), ("Febco", "825Y"), ("Wilkins", "975XL2"))),
    "Aerobic septic system": (
        "Septic",
        (("Norweco", "Singulair 960"), ("Hoot", "H-500"), ("Clearstream", "500N"), ("Jet", "J-500")),
    ),
    "Septic tank": ("Septic", (("Norwesco", "1000 gal two-compartment"), ("Wieser Concrete", "1250 gal"))),
    "Grease trap": ("Septic", (("Zurn", "GT2700-50"), ("Schier", "GB-75"), ("Watts", "GI-50"))),
    "Standby generator": (
        "Electrical",
        (("Generac", "Guardian 22kW"), ("Kohler", "20RESCL"), ("Briggs & Stratton", "040375")),
    ),
    "Electrical panel": (
        "Electrical",
        (("Square D", "QO 200A"), ("Siemens", "PN Series 200A"), ("Eaton", "BR 200A")),
    ),
    "EV charger": (
        "Electrical",
        (("ChargePoint", "Home Flex"), ("Tesla", "Wall Connector Gen 3"), ("Emporia", "Classic")),
    ),
}
# The longest an installed unit of a type has been in service, in years.
EQUIPMENT_MAX_AGE: dict[str, float] = {"EV charger": 6, "Standby generator": 12, "Tankless water heater": 10}
# ZIP codes on the city's edge, where houses are on septic systems rather than the city's sewer.
SEPTIC_ZIPS = frozenset({"78739", "78748", "78749", "78727", "78759", "78753", "78744"})

Part = tuple[str, str | None, Decimal]


@dataclass(frozen=True)
class ServiceKind:
    """A kind of job: its skill, time on site (minutes, low–high), the equipment types it is done on
    (none: the location itself), the parts it may use and what customers report and technicians write."""

    name: str
    skill: str
    minutes: tuple[int, int]
    equipment: tuple[str, ...] = ()
    parts: tuple[Part, ...] = ()
    flat_rate: Part | None = None
    problems: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ("Work done, customer walked through it.",)
    half_day: bool = False
    urgent_rate: float = 0.05


def _part(description: str, part_number: str | None, price: str) -> Part:
    return (description, part_number, Decimal(price))


SERVICES: tuple[ServiceKind, ...] = (
    ServiceKind(
        "AC repair",
        "HVAC",
        (60, 120),
        ("Central air conditioner", "Heat pump", "Packaged rooftop unit"),
        (
            _part("Run capacitor 45/5 MFD", "CAP-455", "38.00"),
            _part("Contactor 30 A, 2-pole", "CON-30-2", "42.00"),
            _part("R-410A refrigerant (lb)", "R410A-LB", "85.00"),
            _part("Condenser fan motor 1/4 HP", "FM-025", "265.00"),
        ),
        problems=(
            "AC blowing warm air since yesterday.",
            "Outdoor unit hums but the fan does not spin.",
            "Ice on the refrigerant line.",
        ),
        outcomes=(
            "Replaced the run capacitor; system cooling, 18 °F split.",
            "Found a leak at the service valve, repaired and recharged.",
            "Replaced the pitted contactor; unit cycling normally.",
        ),
        urgent_rate=0.25,
    ),
    ServiceKind(
        "Furnace repair",
        "HVAC",
        (60, 120),
        ("Gas furnace",),
        (
            _part("Hot surface igniter", "HSI-271", "72.00"),
            _part("Flame sensor", "FS-01", "34.00"),
            _part("Inducer motor assembly", "IND-310", "345.00"),
        ),
        problems=("Furnace clicks but does not light.", "Heat runs a few minutes, then shuts off."),
        outcomes=("Cleaned the flame sensor; five good heat cycles.", "Replaced the cracked igniter."),
        urgent_rate=0.15,
    ),
    ServiceKind(
        "Heat pump replacement",
        "HVAC",
        (210, 240),
        ("Heat pump",),
        flat_rate=_part("3-ton heat pump, installed with pad and line set", "HP-3T-INST", "6850.00"),
        problems=("Replace the 18-year-old heat pump (quote accepted).",),
        outcomes=("New heat pump installed, old unit hauled away, refrigerant recovered.",),
        half_day=True,
        urgent_rate=0.0,
    ),
    ServiceKind(
        "Thermostat installation",
        "HVAC",
        (45, 60),
        parts=(_part("Smart thermostat", "T-SMART", "219.00"), _part("C-wire adapter", "CW-ADP", "25.00")),
        problems=("Install the customer's new smart thermostat.",),
        outcomes=("Thermostat installed and paired with the customer's phone.",),
        urgent_rate=0.0,
    ),
    ServiceKind(
        "Water heater repair",
        "Plumbing",
        (60, 90),
        ("Water heater", "Tankless water heater"),
        (
            _part("Thermocouple", "TC-24", "22.00"),
            _part("Magnesium anode rod", "AR-44", "48.00"),
            _part("Gas control valve", "GV-50", "189.00"),
        ),
        problems=(
            "No hot water this morning.",
            "Water heater leaking at the base.",
            "Pilot keeps going out.",
        ),
        outcomes=("Replaced the thermocouple; pilot holds.", "Replaced the anode rod and flushed the tank."),
        urgent_rate=0.2,
    ),
    ServiceKind(
        "Water heater replacement",
        "Plumbing",
        (180, 240),
        ("Water heater",),
        flat_rate=_part("50-gallon gas water heater, installed", "WH-50G-INST", "1895.00"),
        problems=("Tank is rusted through; replace (quote accepted).",),
        outcomes=("New water heater installed with expansion tank; old one hauled away.",),
        half_day=True,
        urgent_rate=0.1,
    ),
    ServiceKind(
        "Leak repair",
        "Plumbing",
        (60, 120),
        parts=(
            _part("1/2 in. copper repair coupling", "CU-050", "9.50"),
            _part("PEX fittings", "PEX-KIT", "24.00"),
        ),
        problems=("Water dripping through the kitchen ceiling.", "Slab leak suspected: water bill doubled."),
        outcomes=("Repaired a pinhole leak in the copper line above the kitchen.",),
        urgent_rate=0.4,
    ),
    ServiceKind(
        "Drain cleaning",
        "Plumbing",
        (60, 90),
        flat_rate=_part("Main line cleaning (cable)", "DRAIN-MAIN", "245.00"),
        problems=("Kitchen sink and washer backing up.",),
        outcomes=("Cabled the main line, roots cleared at 40 ft.",),
        urgent_rate=0.2,
    ),
    ServiceKind(
        "Backflow repair",
        "Plumbing",
        (45, 90),
        ("Backflow preventer",),
        (_part("Backflow repair kit", "BF-KIT", "89.00"),),
        problems=("Failed its annual test; repair and retest.",),
        outcomes=("Rebuilt the check valves; passed the retest, report filed with Austin Water.",),
        urgent_rate=0.0,
    ),
    ServiceKind(
        "Septic pumping",
        "Septic",
        (90, 120),
        ("Septic tank", "Aerobic septic system"),
        flat_rate=_part("Pump-out up to 1,000 gallons", "PUMP-1000", "395.00"),
        problems=("Slow drains and a smell near the tank.", "Pump-out before selling the house."),
        outcomes=("Pumped 1,000 gallons; baffles and effluent filter in good shape.",),
        urgent_rate=0.1,
    ),
    ServiceKind(
        "Aerobic system repair",
        "Septic",
        (60, 90),
        ("Aerobic septic system",),
        (
            _part("Linear air pump", "AP-80", "465.00"),
            _part("Spray head", "SH-360", "38.00"),
            _part("Sprinkler timer", "TMR-24", "72.00"),
        ),
        problems=("Alarm light on the control panel.", "Spray heads running in the daytime."),
        outcomes=("Replaced the failed air pump; alarm cleared.", "Reset the timer to spray at 3 am."),
        urgent_rate=0.3,
    ),
    ServiceKind(
        "Grease trap pumping",
        "Septic",
        (60, 90),
        ("Grease trap",),
        flat_rate=_part("Grease trap pump-out", "GT-PUMP", "285.00"),
        problems=("Grease trap overflowing into the kitchen drain.",),
        outcomes=("Pumped and scraped the trap; manifest left with the manager.",),
        urgent_rate=0.3,
    ),
    ServiceKind(
        "Generator repair",
        "Electrical",
        (60, 120),
        ("Standby generator",),
        (_part("Generator battery 12 V", "BAT-26R", "135.00"), _part("Spark plug set", "SP-2", "28.00")),
        problems=("Generator failed its weekly exercise.",),
        outcomes=("Replaced the dead battery; generator exercised and transferred load.",),
        urgent_rate=0.2,
    ),
    ServiceKind(
        "Outlet and wiring repair",
        "Electrical",
        (60, 90),
        parts=(_part("GFCI outlet 20 A", "GFCI-20", "32.00"), _part("20 A breaker", "BRK-20", "48.00")),
        problems=("Bathroom outlets dead, GFCI will not reset.", "Breaker trips when the microwave runs."),
        outcomes=("Replaced the failed GFCI; all bathroom outlets live.",),
        urgent_rate=0.2,
    ),
    ServiceKind(
        "EV charger installation",
        "Electrical",
        (180, 240),
        ("EV charger",),
        flat_rate=_part("EV charger circuit, 50 A, up to 40 ft", "EV-50A", "895.00"),
        problems=("Install the customer's wall charger in the garage.",),
        outcomes=("Charger installed on a new 50 A circuit; permit inspection booked.",),
        half_day=True,
        urgent_rate=0.0,
    ),
)
SERVICES_BY_SKILL: dict[str, tuple[ServiceKind, ...]] = {
    skill: tuple(kind for kind in SERVICES if kind.skill == skill)
    for skill in ("HVAC", "Plumbing", "Septic", "Electrical")
}


@dataclass(frozen=True)
class PlanKind:
    """A recurring visit: the service, its skill, minutes on site, the equipment it is for, and the RRULE
    (without BYDAY, which each plan adds so its visits fall on one weekday), its checklist and price."""

    service: str
    skill: str
    minutes: int
    equipment: tuple[str, ...]
    rule: str
    checklist: tuple[str, ...]
    price: Part
    weight: float


PLAN_KINDS: tuple[PlanKind, ...] = (
    # Texas (TCEQ) has aerobic systems serviced every four months under a maintenance contract.
    PlanKind(
        "Aerobic system inspection",
        "Septic",
        45,
        ("Aerobic septic system",),
        "FREQ=MONTHLY;INTERVAL=4",
        ("Check the air pump and alarm", "Test chlorine residual", "Refill chlorine tablets"),
        _part("Maintenance contract visit", "ATU-VISIT", "95.00"),
        30,
    ),
    # Austin's grease trap rule: pumped at least every 90 days.
    PlanKind(
        "Grease trap pumping",
        "Septic",
        60,
        ("Grease trap",),
        "FREQ=MONTHLY;INTERVAL=3",
        ("Pump and scrape the trap", "Check the baffles", "Leave the manifest"),
        _part("Grease trap pump-out", "GT-PUMP", "285.00"),
        18,
    ),
    PlanKind(
        "Septic pumping",
        "Septic",
        90,
        ("Septic tank",),
        "FREQ=YEARLY;INTERVAL=3",
        ("Pump the tank", "Inspect the baffles", "Clean the effluent filter"),
        _part("Pump-out up to 1,000 gallons", "PUMP-1000", "395.00"),
        8,
    ),
    PlanKind(
        "AC tune-up",
        "HVAC",
        60,
        ("Central air conditioner", "Heat pump", "Packaged rooftop unit"),
        "FREQ=YEARLY;BYMONTH={spring}",
        (
            "Clean the condenser coil",
            "Check refrigerant pressures",
            "Test the capacitor",
            "Replace the filter",
        ),
        _part("AC tune-up", "TUNE-AC", "129.00"),
        25,
    ),
    PlanKind(
        "Furnace inspection",
        "HVAC",
        60,
        ("Gas furnace",),
        "FREQ=YEARLY;BYMONTH={autumn}",
        ("Test for carbon monoxide", "Clean the flame sensor", "Check the heat exchanger"),
        _part("Furnace safety inspection", "TUNE-HEAT", "119.00"),
        15,
    ),
    PlanKind(
        "HVAC maintenance",
        "HVAC",
        60,
        ("Central air conditioner", "Heat pump"),
        "FREQ=MONTHLY;INTERVAL=6",
        ("Replace the filter", "Flush the condensate line", "Check the thermostat"),
        _part("Twice-yearly maintenance visit", "MAINT-HVAC", "99.00"),
        15,
    ),
    # Austin Water requires irrigation backflow preventers to be tested every year.
    PlanKind(
        "Backflow test",
        "Plumbing",
        30,
        ("Backflow preventer",),
        "FREQ=YEARLY",
        ("Test the check valves", "File the test report with Austin Water"),
        _part("Annual backflow test and report", "BF-TEST", "85.00"),
        15,
    ),
    PlanKind(
        "Water heater flush",
        "Plumbing",
        60,
        ("Water heater", "Tankless water heater"),
        "FREQ=YEARLY",
        ("Flush the tank or descale", "Inspect the anode rod", "Test the relief valve"),
        _part("Water heater flush", "WH-FLUSH", "139.00"),
        8,
    ),
    PlanKind(
        "Generator maintenance",
        "Electrical",
        60,
        ("Standby generator",),
        "FREQ=MONTHLY;INTERVAL=6",
        ("Change oil and filter", "Test the battery", "Run a load transfer test"),
        _part("Generator maintenance", "GEN-MAINT", "189.00"),
        12,
    ),
)
WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

CANCEL_REASONS: tuple[str, ...] = (
    "Customer rescheduled; will call back.",
    "Customer fixed it themselves.",
    "Duplicate booking.",
    "Customer not home; no answer at the door or on the phone.",
    "Heavy rain; visit called off.",
    "Customer went with another company.",
)
ACCESS_NOTES: tuple[str, ...] = (
    "Gate code 4821#",
    "Dog in the backyard; call on arrival.",
    "Septic lids behind the shed.",
    "Key in the lockbox by the back door, code 1942.",
    "Park on the street; the driveway is shared.",
    "Equipment in the attic; ladder in the garage.",
    "Ask for the kitchen manager at the back entrance.",
)
RESTAURANT_WORDS: tuple[str, ...] = (
    "Taqueria",
    "BBQ",
    "Kitchen",
    "Cafe",
    "Pho House",
    "Pizzeria",
    "Tex-Mex",
    "Brewing Co.",
)
PROPERTY_MANAGERS_PER_SCALE = 3


@dataclass(frozen=True)
class Stretch:
    """A stretch of a real street: its name, ZIP code and both ends as (latitude, longitude, house number)."""

    street: str
    postal_code: str
    start: tuple[float, float, int]
    end: tuple[float, float, int]


@dataclass(frozen=True)
class City:
    """The demo city: its name, region, country, time zone, bounding box (degrees) and street stretches."""

    name: str
    region: str
    country: str
    timezone: str
    south: float
    west: float
    north: float
    east: float
    stretches: tuple[Stretch, ...]


@functools.cache
def demo_city() -> City:
    """The street data shipped in ``demo/data/austin_streets.json``."""
    data = json.loads(resources.files("fixdesk.demo").joinpath("data", STREETS_FILE).read_text("utf-8"))
    bounds = data["bounds"]
    return City(
        name=data["city"],
        region=data["region"],
        country=data["country"],
        timezone=data["timezone"],
        south=bounds["south"],
        west=bounds["west"],
        north=bounds["north"],
        east=bounds["east"],
        stretches=tuple(
            Stretch(
                row["street"],
                row["postalCode"],
                (row["from"][0], row["from"][1], int(row["from"][2])),
                (row["to"][0], row["to"][1], int(row["to"][2])),
            )
            for row in data["stretches"]
        ),
    )


# --------------------------------------------------------------------------------------------------------
# What the generator keeps about the rows it made
# --------------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Tech:
    id: uuid.UUID
    user_id: uuid.UUID
    skills: tuple[str, ...]
    weekdays: frozenset[int]
    latitude: float
    longitude: float
    off_days: set[date] = field(default_factory=set)


@dataclass(slots=True)
class _Place:
    id: uuid.UUID
    customer_id: uuid.UUID
    customer_name: str
    latitude: float
    longitude: float
    business: bool


@dataclass(slots=True)
class _Unit:
    id: uuid.UUID
    place: _Place
    equipment_type: str


@dataclass(slots=True)
class _Plan:
    row: dict[str, Any]
    kind: PlanKind
    unit: _Unit
    technician: _Tech | None
    window: int
    occurrences: list[date]


@dataclass(slots=True)
class _Order:
    """A work order being built: its row, its lines and history, sorted for numbering at the end."""

    row: dict[str, Any]
    history: list[dict[str, Any]]
    technicians: list[uuid.UUID]
    items: list[dict[str, Any]]
    labour: list[dict[str, Any]]
    occurrence: dict[str, Any] | None = None


class FieldGenerator:
    """Builds the field team's rows from one seed, relative to ``now`` (aware), on the shop's calendar
    (``zone``). ``staff`` maps the demo staff's emails to their user ids (``tech@``, ``tech2@``,
    ``manager@``, ``front-desk@example.com`` are used); ``taken_emails`` holds the customers' emails already
    used, and gets the new ones. :meth:`batches` yields the rows in foreign-key order; afterwards
    :attr:`last_numbers` holds the last work order number of each year."""

    def __init__(
        self,
        *,
        seed: int,
        scale: int,
        now: datetime,
        zone: str,
        tax_rate: Decimal,
        password_hash: str,
        staff: Mapping[str, uuid.UUID],
        taken_emails: set[str] | None = None,
        lead_days: int = 14,
        reminder_days: int = 2,
    ) -> None:
        if scale < 1:
            raise ValueError("scale must be at least 1")
        # Its own stream: adding or changing the field team leaves the repair shop's rows as they were.
        self.rng = random.Random(f"fixdesk-demo-field-{seed}")
        self.fake = Faker("en_US")
        self.fake.seed_instance(seed + 1)
        self.scale = scale
        self.now = now.astimezone(UTC)
        self.zone = ZoneInfo(zone)
        self.today = self.now.astimezone(self.zone).date()
        self.tax_rate = tax_rate
        self.password_hash = password_hash
        self.staff = dict(staff)
        self.emails = taken_emails if taken_emails is not None else set()
        self.lead_days = lead_days
        self.reminder_days = reminder_days
        self.city = demo_city()
        # Stretches are drawn by their length in house numbers (a block at least).
        self._stretch_weights = list(
            itertools.accumulate(abs(s.end[2] - s.start[2]) + 100 for s in self.city.stretches)
        )
        self.first_day = self.today - timedelta(days=HISTORY_DAYS)
        self.last_day = self.today + timedelta(days=FUTURE_DAYS)
        self.last_numbers: dict[int, int] = {}
        self.counts: dict[str, int] = {}
        self._techs: list[_Tech] = []
        self._places: list[_Place] = []
        self._units_by_type: dict[str, list[_Unit]] = {}
        self._plans: list[_Plan] = []
        self._orders: list[_Order] = []
        self._addresses: dict[tuple[str, int], int] = {}  # (street, number) → units there
        self._services_cache: dict[tuple[tuple[str, ...], bool], list[ServiceKind]] = {}
        self._units_cache: dict[str, list[_Unit]] = {}

    # ------------------------------------------------------------------------------------------ helpers

    def _at(self, day: date, minutes: float) -> datetime:
        """The UTC instant of ``minutes`` after midnight on ``day`` on the shop's clock."""
        whole = int(minutes)
        local = datetime.combine(day, time(whole // 60, whole % 60), tzinfo=self.zone)
        return (local + timedelta(seconds=int((minutes - whole) * 60))).astimezone(UTC)

    def _phone(self) -> str:
        """A valid E.164 number in one of Austin's area codes (checked with ``phonenumbers``)."""
        rng = self.rng
        while True:
            number = f"+1{rng.choice(('512', '737'))}{rng.randrange(200, 1_000)}{rng.randrange(10_000):04d}"
            if phonenumbers.is_valid_number(phonenumbers.parse(number)):
                return number

    def _email(self, first: str, last: str, domain: str | None = None) -> str:
        local = re.sub(r"[^a-z0-9]", "", first.lower()) + "." + re.sub(r"[^a-z0-9]", "", last.lower())
        domain = domain or self.rng.choice(("example.com", "example.net", "example.org"))
        email = f"{local}@{domain}"
        suffix = 2
        while email in self.emails:
            email = f"{local}{suffix}@{domain}"
            suffix += 1
        self.emails.add(email)
        return email

    def _address(self) -> tuple[Stretch, int, str | None, float, float]:
        """A house number on a stretch (weighted by its length) with its coordinates: interpolated between
        the stretch's ends and set back 15–35 m from the centre line, even numbers on the left. Numbers are
        used once; when free ones get hard to find (large scales), a taken building gets another unit
        (``Unit 2``, the address's second line)."""
        rng = self.rng
        stretches = self.city.stretches
        weights = self._stretch_weights
        attempt = 0
        while True:
            attempt += 1
            stretch = stretches[bisect.bisect(weights, rng.random() * weights[-1])]
            (lat1, lon1, n1), (lat2, lon2, n2) = stretch.start, stretch.end
            low, high = sorted((n1, n2))
            number = max(100, rng.randrange(low, high + 1))
            key = (stretch.street, number)
            unit = None
            if key in self._addresses:
                if attempt < 20:
                    continue
                self._addresses[key] += 1
                unit = f"Unit {self._addresses[key]}"
            else:
                self._addresses[key] = 1
            share = (number - n1) / (n2 - n1) if n2 != n1 else 0.5
            latitude = lat1 + (lat2 - lat1) * share
            longitude = lon1 + (lon2 - lon1) * share
            # Perpendicular offset in metres turned into degrees (a degree of longitude shrinks with cos φ).
            metres_lat = 111_320.0
            metres_lon = 111_320.0 * math.cos(math.radians(latitude))
            dx, dy = (lon2 - lon1) * metres_lon, (lat2 - lat1) * metres_lat
            length = math.hypot(dx, dy) or 1.0
            setback = rng.uniform(15, 35) * (1 if number % 2 == 0 else -1)
            latitude += (dx / length) * setback / metres_lat
            longitude += (-dy / length) * setback / metres_lon
            return stretch, number, unit, round(latitude, 6), round(longitude, 6)

    # ------------------------------------------------------------------------------------------ batches

    def batches(self) -> Iterator[Batch]:
        """The rows in foreign-key order: the team (users, profiles, skills, time off), the customers with
        their locations and equipment, the plans, then the work orders with their technicians, history,
        lines and plan occurrences, :data:`WORK_ORDER_BATCH_SIZE` work orders at a time."""
        yield self._team()
        yield self._places_batch()
        self._make_plans()
        # Tens of thousands of rows stay alive until they are numbered; the cyclic collector would walk
        # them again and again (they hold no cycles), so it waits until the year is built.
        collecting = gc.isenabled()
        gc.disable()
        try:
            self._schedule()
            orders = self._numbered_orders()
        finally:
            if collecting:
                gc.enable()
        yield [(ServicePlan.__table__, [plan.row for plan in self._plans])]
        for start in range(0, len(orders), WORK_ORDER_BATCH_SIZE):
            chunk = orders[start : start + WORK_ORDER_BATCH_SIZE]
            yield [
                (WorkOrder.__table__, [order.row for order in chunk]),
                (
                    WorkOrderTechnician.__table__,
                    [
                        {
                            "work_order_id": order.row["id"],
                            "technician_id": technician_id,
                            "position": position,
                        }
                        for order in chunk
                        for position, technician_id in enumerate(order.technicians)
                    ],
                ),
                (WorkOrderStatusHistory.__table__, [row for order in chunk for row in order.history]),
                (WorkOrderItem.__table__, [row for order in chunk for row in order.items]),
                (WorkOrderLabour.__table__, [row for order in chunk for row in order.labour]),
                (ServicePlanOccurrence.__table__, [order.occurrence for order in chunk if order.occurrence]),
            ]

    # ------------------------------------------------------------------------------------------ the team

    def _team(self) -> Batch:
        rng = self.rng
        created = self.now - timedelta(days=800)
        users: list[dict[str, Any]] = []
        profiles: list[dict[str, Any]] = []
        skills: list[dict[str, Any]] = []
        time_off: list[dict[str, Any]] = []
        for index in range(TECHNICIANS_PER_SCALE * self.scale):
            email = "tech@example.com" if index == 0 else f"tech{index + 1}@example.com"
            user_id = self.staff.get(email)
            if user_id is None:
                user_id = new_id()
                self.staff[email] = user_id
                users.append(
                    {
                        "id": user_id,
                        "email": email,
                        "password_hash": self.password_hash,
                        "first_name": self.fake.first_name(),
                        "last_name": self.fake.last_name(),
                        "phone": self._phone(),
                        "role": Role.technician.value,
                        "permissions": [],
                        "is_active": True,
                        "last_login_at": None,
                        "created_at": created,
                        "updated_at": created,
                    }
                )
            tech_skills, pattern, note = TEAM[index % len(TEAM)]
            stretch, number, unit, latitude, longitude = self._address()
            technician = _Tech(
                id=new_id(),
                user_id=user_id,
                skills=tech_skills,
                weekdays=frozenset(day["weekday"] for day in WORKING_PATTERNS[pattern]),
                latitude=latitude,
                longitude=longitude,
            )
            self._techs.append(technician)
            profile_created = created + timedelta(days=rng.randrange(1, 300))
            profiles.append(
                {
                    "id": technician.id,
                    "user_id": user_id,
                    "phone": self._phone(),
                    "hourly_rate": Decimal(rng.randrange(30, 49)).quantize(Decimal("0.01")),
                    "home_address": ", ".join(
                        part
                        for part in (
                            f"{number} {stretch.street}",
                            unit,
                            self.city.name,
                            f"{self.city.region} {stretch.postal_code}",
                        )
                        if part
                    ),
                    "home_latitude": latitude,
                    "home_longitude": longitude,
                    "home_geocode_status": GeocodeStatus.given.value,
                    "working_hours": WORKING_PATTERNS[pattern],
                    "is_active": True,
                    "notes": note,
                    "calendar_token_hash": None,
                    "created_at": profile_created,
                    "updated_at": profile_created,
                }
            )
            skills.extend(
                {"technician_id": technician.id, "skill": skill, "skill_key": skill.lower()}
                for skill in tech_skills
            )
            time_off.extend(self._time_off(technician, index))
        self.counts["technicians"] = len(profiles)
        return [
            (User.__table__, users),
            (Technician.__table__, profiles),
            (TechnicianSkill.__table__, skills),
            (TechnicianTimeOff.__table__, time_off),
        ]

    def _time_off(self, technician: _Tech, index: int) -> list[dict[str, Any]]:
        """Two weeks of holiday in the past year; technician 4 of every ten is off next week, and technician
        10 is off sick today (so the dispatch plan shows both reasons)."""
        rng = self.rng
        periods: list[tuple[date, date, str]] = []
        monday = self.today - timedelta(days=self.today.weekday())
        for weeks_back in sorted(rng.sample(range(3, 50), 2)):
            start = monday - timedelta(weeks=weeks_back)
            periods.append((start, start + timedelta(days=7), "Vacation"))
        if index % 10 == 3:
            start = monday + timedelta(weeks=1)
            periods.append((start, start + timedelta(days=5), "Vacation"))
        if index % 10 == 9:
            periods.append((self.today, self.today + timedelta(days=1), "Sick leave"))
        if index % 10 == 5:
            start = monday - timedelta(weeks=12) + timedelta(days=2)
            periods.append((start, start + timedelta(days=2), "Training: NFPA 70E arc flash safety"))
        rows = []
        for first, after_last, reason in periods:
            day = first
            while day < after_last:
                technician.off_days.add(day)
                day += timedelta(days=1)
            rows.append(
                {
                    "id": new_id(),
                    "technician_id": technician.id,
                    "starts_at": self._at(first, 0),
                    "ends_at": self._at(after_last, 0),
                    "reason": reason,
                }
            )
        return rows

    # ------------------------------------------------------------------------------------ the locations

    def _places_batch(self) -> Batch:
        """Customers (homeowners, restaurants, property managers), their locations and equipment. All are
        on the books before the year of work orders starts."""
        rng = self.rng
        total = LOCATIONS_PER_SCALE * self.scale
        restaurants = int(total * 0.12)
        managers = PROPERTY_MANAGERS_PER_SCALE * self.scale
        rentals = int(total * 0.13)
        homes = total - restaurants - rentals
        # Names drawn once from Faker, then reused: its weighted pickers are slow at tens of thousands.
        size = min(2_000, total + 50)
        first_names = [self.fake.first_name() for _ in range(size)]
        last_names = [self.fake.last_name() for _ in range(size)]

        def name() -> tuple[str, str]:
            return rng.choice(first_names), rng.choice(last_names)

        customers: list[dict[str, Any]] = []
        locations: list[dict[str, Any]] = []
        equipment: list[dict[str, Any]] = []
        window_start = self._at(self.first_day, 0)

        def customer(first: str, last: str, company: str | None) -> tuple[dict[str, Any], datetime]:
            created = window_start - timedelta(seconds=rng.randrange(30 * 86_400, 1_100 * 86_400))
            domain = None
            if company:
                domain = re.sub(r"[^a-z0-9]+", "-", company.lower()).strip("-") + ".example.com"
            row = {
                "id": new_id(),
                "first_name": first,
                "last_name": last,
                "email": self._email(first, last, domain),
                "phone": self._phone(),
                "company_name": company,
                "address_line1": None,
                "address_line2": None,
                "city": self.city.name,
                "region": self.city.region,
                "postal_code": None,
                "country": self.city.country,
                "language": "es" if rng.random() < 0.08 else "en",
                "timezone": self.city.timezone,
                "notes": None,
                "status": CustomerStatus.active.value,
                "archived_at": None,
                "search_text": "",
                "portal_password_hash": None,
                "last_login_at": None,
                "custom_fields": {},
                "created_at": created,
                "updated_at": created,
            }
            customers.append(row)
            return row, created

        def place(row: dict[str, Any], created: datetime, *, name: str | None, kind: str) -> None:
            stretch, number, unit, latitude, longitude = self._address()
            line1 = f"{number} {stretch.street}"
            if row["address_line1"] is None:
                # The billing address is the first location's.
                row["address_line1"] = line1
                row["postal_code"] = stretch.postal_code
            location_id = new_id()
            business = kind == "restaurant"
            customer_name = (
                row["company_name"]
                if business and row["company_name"]
                else f"{row['first_name']} {row['last_name']}"
            )
            self._places.append(_Place(location_id, row["id"], customer_name, latitude, longitude, business))
            located = created + timedelta(minutes=rng.randrange(5, 600))
            locations.append(
                {
                    "id": location_id,
                    "customer_id": row["id"],
                    "name": name,
                    "address_line1": line1,
                    "address_line2": unit
                    or ("Suite " + str(rng.randrange(100, 300)) if business and rng.random() < 0.3 else None),
                    "city": self.city.name,
                    "region": self.city.region,
                    "postal_code": stretch.postal_code,
                    "country": self.city.country,
                    "latitude": latitude,
                    "longitude": longitude,
                    "geocode_status": GeocodeStatus.given.value,
                    "access_notes": rng.choice(ACCESS_NOTES) if rng.random() < 0.3 else None,
                    "created_at": located,
                    "updated_at": located,
                }
            )
            for equipment_type in _equipment_mix(rng, kind, stretch.postal_code):
                equipment.append(self._unit(location_id, equipment_type, located))

        for _ in range(homes):
            first, last = name()
            row, created = customer(first, last, None)
            place(row, created, name="Home" if rng.random() < 0.5 else None, kind="home")
        made = 0
        while made < restaurants:
            owner_first, owner_last = name()
            brand = f"{rng.choice(last_names)}'s {rng.choice(RESTAURANT_WORDS)}"
            row, created = customer(owner_first, owner_last, brand)
            row["notes"] = "Restaurant: grease trap manifests go to the kitchen manager."
            branches = min(restaurants - made, rng.choice((1, 1, 1, 2, 3)))
            for branch in range(branches):
                place(
                    row, created, name=brand if branches == 1 else f"{brand} #{branch + 1}", kind="restaurant"
                )
            made += branches
        per_manager = max(1, rentals // managers)
        made = 0
        for number in range(managers):
            first, last = name()
            company = f"{rng.choice(last_names)} Property Management"
            row, created = customer(first, last, company)
            row["notes"] = "Property manager: tenants let the technician in; invoice the company."
            count = per_manager if number < managers - 1 else rentals - made
            for _ in range(count):
                place(row, created, name="Rental", kind="rental")
            made += count
        for row in customers:
            row["search_text"] = customer_search_text(SimpleNamespace(**row))
        self.counts["customers"] = len(customers)
        self.counts["service_locations"] = len(locations)
        self.counts["equipment"] = len(equipment)
        return [
            (Customer.__table__, customers),
            (ServiceLocation.__table__, locations),
            (Equipment.__table__, equipment),
        ]

    def _unit(self, location_id: uuid.UUID, equipment_type: str, created: datetime) -> dict[str, Any]:
        rng = self.rng
        make, model = rng.choice(EQUIPMENT_MODELS[equipment_type][1])
        years = rng.uniform(0.5, EQUIPMENT_MAX_AGE.get(equipment_type, 18))
        installed_on = self.first_day - timedelta(days=int(years * 365))
        unit_id = new_id()
        place = self._places[-1]
        self._units_by_type.setdefault(equipment_type, []).append(_Unit(unit_id, place, equipment_type))
        week = installed_on.isocalendar().week
        serial = f"{installed_on.year % 100:02d}{week:02d}{rng.choice('ABCEFGHKMNPRSTWX')}{rng.randrange(10**5):05d}"
        return {
            "id": unit_id,
            "location_id": location_id,
            "equipment_type": equipment_type,
            "make": make,
            "model": model,
            "serial_number": serial,
            "installed_on": installed_on,
            "notes": None,
            "created_at": created,
            "updated_at": created,
        }

    # ------------------------------------------------------------------------------------------ plans

    def _make_plans(self) -> None:
        """Plans on the equipment they are for, each on one weekday of its technician's week (the BYDAY of
        its rule) in one of the day's windows. Most are active; a few paused or ended."""
        rng = self.rng
        kinds = [kind for kind in PLAN_KINDS if any(self._units_by_type.get(t) for t in kind.equipment)]
        weights = list(itertools.accumulate(kind.weight for kind in kinds))
        units_of = {
            kind.service: [u for t in kind.equipment for u in self._units_by_type.get(t, ())]
            for kind in kinds
        }
        taken: set[tuple[uuid.UUID, str]] = set()
        creator = self.staff.get("manager@example.com")
        count = PLANS_PER_SCALE * self.scale
        attempts = 0
        while len(self._plans) < count and attempts < count * 50:
            attempts += 1
            kind = kinds[bisect.bisect(weights, rng.random() * weights[-1])]
            unit = rng.choice(units_of[kind.service])
            if (unit.place.id, kind.service) in taken:
                continue
            taken.add((unit.place.id, kind.service))
            able = [t for t in self._techs if kind.skill in t.skills]
            technician = rng.choice(able) if able and rng.random() < 0.8 else None
            weekdays = sorted(
                (technician.weekdays if technician else frozenset(range(1, 6))) & set(range(1, 6))
            )
            weekday = rng.choice(weekdays)
            nth = rng.randrange(1, 5)
            rule_text = kind.rule.format(spring=rng.choice((3, 4, 5)), autumn=rng.choice((9, 10, 11)))
            if "BYMONTH" not in rule_text and rule_text.startswith("FREQ=YEARLY"):
                rule_text += f";BYMONTH={rng.randrange(1, 13)}"
            rule_text += f";BYDAY={nth}{WEEKDAY_CODES[weekday - 1]}"
            recurrence = rules.normalized(rule_text)
            starts_on = self.today - timedelta(days=rng.randrange(-20, 3 * 365))
            rule = rules.parse_rule(recurrence, starts_on)
            window = rng.randrange(len(WINDOWS))
            status = ServicePlanStatus.active
            ends_on: date | None = None
            paused_at: datetime | None = None
            draw = rng.random()
            if draw < 0.05 and starts_on < self.today - timedelta(days=120):
                status = ServicePlanStatus.paused
                paused_on = self.today - timedelta(days=rng.randrange(10, 100))
                paused_at = self._at(paused_on, rng.randrange(540, 1_020))
            elif draw < 0.08 and starts_on < self.today - timedelta(days=200):
                status = ServicePlanStatus.ended
                ends_on = self.today - timedelta(days=rng.randrange(5, 150))
            # The periodic job has created every occurrence from the start up to the lead time (until the
            # pause, or the end).
            last_made = self.today + timedelta(days=self.lead_days)
            if ends_on is not None:
                last_made = min(last_made, ends_on)
            if paused_at is not None:
                last_made = min(last_made, paused_at.astimezone(self.zone).date())
            occurrences = rules.occurrences_between(rule, max(starts_on, self.first_day), last_made)
            made_before = rules.occurrences_between(rule, starts_on, self.first_day - timedelta(days=1))
            last_occurrence = occurrences[-1] if occurrences else (made_before[-1] if made_before else None)
            next_occurrence: date | None = None
            if status != ServicePlanStatus.paused:
                earliest = max(starts_on, self.today)
                if last_occurrence is not None:
                    earliest = max(earliest, last_occurrence + timedelta(days=1))
                next_occurrence = rules.first_on_or_after(rule, earliest, ends_on)
            start_clock, end_clock = WINDOWS[window]
            created = min(
                self._at(
                    starts_on - timedelta(days=rng.randrange(self.lead_days + 1, 60)),
                    rng.randrange(540, 1_020),
                ),
                self.now - timedelta(minutes=rng.randrange(10, 600)),
            )
            updated = max(created, paused_at or created)
            row = {
                "id": new_id(),
                "customer_id": unit.place.customer_id,
                "location_id": unit.place.id,
                "technician_id": technician.id if technician else None,
                "service_type": kind.service,
                "priority": "normal",
                "recurrence": recurrence,
                "starts_on": starts_on,
                "ends_on": ends_on,
                "time_window_start": _clock(start_clock),
                "time_window_end": _clock(end_clock),
                "estimated_duration_minutes": kind.minutes,
                "notes": f"{unit.equipment_type} on a {kind.service.lower()} plan.",
                "status": status.value,
                "occurrences_from": starts_on,
                "last_occurrence_date": last_occurrence,
                "next_occurrence_date": next_occurrence,
                "paused_at": paused_at,
                "created_by_id": creator,
                "created_at": created,
                "updated_at": updated,
            }
            self._plans.append(_Plan(row, kind, unit, technician, window, occurrences))
        self.counts["service_plans"] = len(self._plans)

    # ----------------------------------------------------------------------------------- the schedule

    def _schedule(self) -> None:
        """Every day from a year ago to four weeks ahead: plan visits first (their technician's window when
        free), then the technicians' other windows filled at the day's rate, then the unassigned jobs of
        today and the coming days; finally a few undated drafts."""
        rng = self.rng
        visits: dict[date, list[tuple[_Plan, date]]] = {}
        for plan in self._plans:
            for day in plan.occurrences:
                visits.setdefault(day, []).append((plan, day))
        day = self.first_day
        while day <= self.last_day:
            weekday = day.isoweekday()
            working = [t for t in self._techs if weekday in t.weekdays and day not in t.off_days]
            free = {t.id: [True] * len(WINDOWS) for t in working}
            for plan, occurrence in visits.get(day, ()):
                self._plan_visit(plan, occurrence, working, free)
            rate = self._fill_rate(day)
            for technician in working:
                slots = free[technician.id]
                for first, second in HALF_DAYS:
                    if slots[first] and slots[second] and rng.random() < rate * HALF_DAY_JOB_RATE:
                        kind = self._service_for(technician, half_day=True)
                        if kind is not None:
                            slots[first] = slots[second] = False
                            window = (WINDOWS[first][0], WINDOWS[second][1])
                            self._job(day, window, technician, kind)
                for index, window in enumerate(WINDOWS):
                    if slots[index] and rng.random() < rate:
                        kind = self._service_for(technician, half_day=False)
                        if kind is not None:
                            slots[index] = False
                            self._job(day, window, technician, kind)
            if day >= self.today and weekday <= 6:
                waiting = UNASSIGNED_TODAY_PER_SCALE if day == self.today else rng.randrange(0, 4)
                for _ in range(waiting * self.scale):
                    kind = rng.choice([k for k in SERVICES if not k.half_day])
                    window = rng.choice((*WINDOWS, (480, 720), (750, 990), None))
                    self._job(day, window, None, kind)
            day += timedelta(days=1)
        for _ in range(DRAFTS_PER_SCALE * self.scale):
            self._job(None, None, None, rng.choice([k for k in SERVICES if not k.half_day]))

    def _fill_rate(self, day: date) -> float:
        if day < self.today:
            return PAST_FILL_RATE
        ahead = (day - self.today).days
        return TODAY_FILL_RATE * max(0.08, 1 - ahead / 18)

    def _service_for(self, technician: _Tech, *, half_day: bool) -> ServiceKind | None:
        key = (technician.skills, half_day)
        options = self._services_cache.get(key)
        if options is None:
            options = [
                kind
                for skill in technician.skills
                for kind in SERVICES_BY_SKILL[skill]
                if kind.half_day == half_day and (not kind.equipment or self._units_for(kind))
            ]
            self._services_cache[key] = options
        return self.rng.choice(options) if options else None

    def _units_for(self, kind: ServiceKind) -> list[_Unit]:
        units = self._units_cache.get(kind.name)
        if units is None:
            units = [unit for t in kind.equipment for unit in self._units_by_type.get(t, ())]
            self._units_cache[kind.name] = units
        return units

    def _plan_visit(
        self, plan: _Plan, day: date, working: list[_Tech], free: dict[uuid.UUID, list[bool]]
    ) -> None:
        """A plan's occurrence: booked for its technician when they are free in the plan's window (the
        periodic job books them unless that conflicts); else unassigned. Past visits were then placed by
        the dispatcher with a free technician who has the skill, or cancelled when nobody was free."""
        technician: _Tech | None = None
        if plan.technician is not None and free.get(plan.technician.id, [False] * 4)[plan.window]:
            technician = plan.technician
        if technician is None and day < self.today:
            able = [t for t in working if plan.kind.skill in t.skills and free[t.id][plan.window]]
            technician = self.rng.choice(able) if able else None
        if technician is not None:
            free[technician.id][plan.window] = False
        self._job(
            day,
            WINDOWS[plan.window],
            technician,
            None,
            plan=plan,
            force_cancel=technician is None and day < self.today,
        )

    # ----------------------------------------------------------------------------------- a work order

    def _job(
        self,
        day: date | None,
        window: tuple[int, int] | None,
        technician: _Tech | None,
        kind: ServiceKind | None,
        *,
        plan: _Plan | None = None,
        force_cancel: bool = False,
    ) -> None:
        """One work order with its history, lines and (for a plan visit) occurrence row; its status follows
        from its day and window against ``now``."""
        rng = self.rng
        now = self.now
        if plan is not None:
            unit: _Unit | None = plan.unit
            place = plan.unit.place
            service, skill, minutes = plan.kind.service, plan.kind.skill, plan.kind.minutes
            priority = "normal"
        else:
            assert kind is not None
            unit, place = self._place_for(kind, technician)
            service, skill = kind.name, kind.skill
            low, high = kind.minutes
            minutes = rng.randrange(low, high + 1, 15)
            priority = _priority(rng, kind)
        if window is not None:
            minutes = min(minutes, window[1] - window[0])
        staff = self.staff
        creator = (
            None
            if plan is not None
            else (
                staff.get("front-desk@example.com")
                if rng.random() < 0.6
                else staff.get("manager@example.com")
            )
        )
        starts = self._at(day, window[0]) if day is not None and window is not None else None
        ends = self._at(day, window[1]) if day is not None and window is not None else None

        # --- when it was booked
        if plan is not None and day is not None:
            created = self._at(day - timedelta(days=self.lead_days), 360 + rng.randrange(0, 5))
        elif day is None:
            created = now - timedelta(minutes=rng.randrange(30, 4 * 24 * 60))
        else:
            lead = 0 if priority in ("urgent", "emergency") else min(30, int(rng.expovariate(1 / 5)))
            if lead == 0:
                latest = (window[0] if window else 720) - 30
                created = self._at(day, rng.uniform(420, max(421, latest)))
            else:
                created = self._at(day - timedelta(days=lead), rng.uniform(480, 1_020))
        if created > now - timedelta(minutes=5):
            created = now - timedelta(minutes=rng.randrange(5, 3 * 24 * 60))
        if plan is not None:
            created = max(created, plan.row["created_at"])
            if created > now:
                created = now - timedelta(seconds=1)

        # --- what happened to it
        history: list[tuple[W, W | None, datetime, uuid.UUID | None, str | None]] = []
        first_status = W.scheduled if day is not None else W.draft
        if day is not None and plan is None and rng.random() < DRAFT_FIRST_RATE:
            first_status = W.draft
        history.append((first_status, None, created, creator, None))
        booked_until = min(starts, now) if starts is not None else now
        if first_status == W.draft and day is not None:
            if booked_until <= created:
                history[0] = (W.scheduled, None, created, creator, None)
            else:
                moment = created + (booked_until - created) * rng.uniform(0.05, 0.5)
                history.append((W.scheduled, W.draft, moment, creator, None))
        status = history[-1][0]
        started_at = completed_at = cancelled_at = None
        on_site = None
        canceller = (
            staff.get("manager@example.com") if rng.random() < 0.4 else staff.get("front-desk@example.com")
        )
        cancel = force_cancel or (
            day is not None and rng.random() < (CANCELLED_RATE if day < self.today else 0.03)
        )
        if cancel and booked_until > history[-1][2] + timedelta(minutes=1):
            cancelled_at = history[-1][2] + (booked_until - history[-1][2]) * rng.uniform(0.2, 0.95)
            note = (
                "No technician with the skill was free that day; the customer waits for the next visit."
                if force_cancel
                else rng.choice(CANCEL_REASONS)
            )
            history.append((W.cancelled, status, cancelled_at, canceller, note))
            status = W.cancelled
        elif technician is not None and starts is not None and ends is not None and starts < now:
            slack = max(0, (window[1] - window[0]) - minutes)
            started_at = starts + timedelta(minutes=rng.uniform(0, min(slack, 45)))
            if started_at < now - timedelta(minutes=1):
                on_site = max(15, round(minutes * rng.uniform(0.75, 1.25)))
                history.append((W.in_progress, status, started_at, technician.user_id, None))
                status = W.in_progress
                finish = started_at + timedelta(minutes=on_site)
                if finish < now:
                    completed_at = finish
                    outcome = (
                        rng.choice(kind.outcomes) if kind is not None else "Visit done; checklist complete."
                    )
                    history.append((W.completed, status, completed_at, technician.user_id, outcome))
                    status = W.completed
                else:
                    on_site = None
            else:
                started_at = None
        elif day is not None and day < self.today:
            # Never placed before its day went by: cancelled by the office.
            moment = min(starts or self._at(day, 480), now)
            if moment <= history[-1][2]:
                moment = history[-1][2] + timedelta(minutes=1)
            cancelled_at = moment
            history.append(
                (W.cancelled, status, moment, canceller, "Not dispatched in time; customer rebooked.")
            )
            status = W.cancelled

        work_order_id = new_id()
        items: list[dict[str, Any]] = []
        labour: list[dict[str, Any]] = []
        if status == W.completed:
            items, labour = self._lines(work_order_id, kind, plan, skill, on_site or minutes)
        totals = money.compute_totals([row["line_total"] for row in (*items, *labour)], self.tax_rate)
        checklist = (
            [{"label": label, "done": status == W.completed} for label in plan.kind.checklist] if plan else []
        )
        notes: str | None
        if plan is not None and day is not None:
            plan_notes = plan.row["notes"]
            notes = f"Service plan visit of {day.isoformat()}."
            notes = f"{notes}\n\n{plan_notes}" if plan_notes else notes
        else:
            notes = rng.choice(kind.problems) if kind is not None and kind.problems else None
        customer_name = place.customer_name
        row = {
            "id": work_order_id,
            "work_order_number": "",
            "customer_id": place.customer_id,
            "location_id": place.id,
            "equipment_id": unit.id if unit is not None else None,
            "status": status.value,
            "priority": priority,
            "service_type": service,
            "required_skills": [skill],
            "scheduled_date": day,
            "time_window_start": _clock(window[0]) if window else None,
            "time_window_end": _clock(window[1]) if window else None,
            "estimated_duration_minutes": minutes,
            "notes": notes,
            "checklist": checklist,
            "subtotal": totals.subtotal,
            "tax_rate": self.tax_rate,
            "tax_amount": totals.tax_amount,
            "total": totals.total,
            "created_by_id": creator,
            "started_at": started_at,
            "completed_at": completed_at,
            "cancelled_at": cancelled_at,
            "time_on_site_minutes": on_site if status == W.completed else None,
            "sign_off_name": (customer_name if rng.random() < 0.85 else None)
            if status == W.completed
            else None,
            "completion_notes": history[-1][4] if status == W.completed else None,
            "created_at": created,
            "updated_at": history[-1][2],
        }
        history_rows = [
            {
                "id": new_id(),
                "work_order_id": work_order_id,
                "from_status": previous.value if previous else None,
                "to_status": to.value,
                "changed_by_id": by,
                "notes": note,
                "created_at": moment,
            }
            for to, previous, moment, by, note in history
        ]
        occurrence = None
        if plan is not None and day is not None:
            remind_at = max(created, self._at(day - timedelta(days=self.reminder_days), 420))
            reminded = remind_at <= now and (cancelled_at is None or cancelled_at > remind_at)
            occurrence = {
                "id": new_id(),
                "plan_id": plan.row["id"],
                "occurrence_date": day,
                "work_order_id": work_order_id,
                "reminded_at": remind_at if reminded else None,
                "created_at": created,
            }
        technicians = [technician.id] if technician is not None else []
        self._orders.append(_Order(row, history_rows, technicians, items, labour, occurrence))

    def _place_for(self, kind: ServiceKind, technician: _Tech | None) -> tuple[_Unit | None, _Place]:
        """Where a job is: equipment of the kind's types (restaurants' grease traps, houses' furnaces …), the
        nearest of three drawn to the technician's home base, so a technician's work clusters around it."""
        rng = self.rng
        units = self._units_for(kind) if kind.equipment else []
        if units:
            candidates = [rng.choice(units) for _ in range(3)]
            if technician is not None:
                candidates.sort(key=lambda unit: _distance(unit.place, technician))
            return candidates[0], candidates[0].place
        homes = [rng.choice(self._places) for _ in range(3)]
        if technician is not None:
            homes.sort(key=lambda place: _distance(place, technician))
        return None, homes[0]

    def _lines(
        self,
        work_order_id: uuid.UUID,
        kind: ServiceKind | None,
        plan: _Plan | None,
        skill: str,
        minutes_on_site: int,
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """A completed job's lines: the plan's or the kind's flat rate, or the parts used and the labour
        (time on site in quarter hours at the skill's rate), priced by the repairs' money rule."""
        rng = self.rng
        parts: list[Part] = []
        if plan is not None:
            parts.append(plan.kind.price)
        elif kind is not None and kind.flat_rate is not None:
            parts.append(kind.flat_rate)
        elif kind is not None and kind.parts:
            parts.extend(rng.sample(kind.parts, rng.randrange(1, min(2, len(kind.parts)) + 1)))
        items = []
        for position, (description, part_number, price) in enumerate(parts):
            quantity = rng.choice((1, 1, 1, 2)) if part_number == "R410A-LB" else 1
            discount = Decimal("0.00")
            items.append(
                {
                    "id": new_id(),
                    "work_order_id": work_order_id,
                    "position": position,
                    "description": description,
                    "part_number": part_number,
                    "quantity": quantity,
                    "unit_price": price,
                    "discount": discount,
                    "line_total": money.item_total(quantity, price, discount),
                }
            )
        labour = []
        if plan is None and (kind is None or kind.flat_rate is None):
            hours = (Decimal(max(1, round(minutes_on_site / 15))) / 4).quantize(Decimal("0.01"))
            rate = HOURLY_LABOUR_RATES[skill]
            labour.append(
                {
                    "id": new_id(),
                    "work_order_id": work_order_id,
                    "position": 0,
                    "description": f"Labour: {kind.name.lower() if kind else skill}",
                    "hours": hours,
                    "rate": rate,
                    "line_total": money.labour_total(hours, rate),
                }
            )
        return items, labour

    # ---------------------------------------------------------------------------------------- numbers

    def _numbered_orders(self) -> list[_Order]:
        """The work orders in creation order, numbered ``WO-<shop year>-NNNNNN`` gap-free per year as
        :func:`fixdesk.platform.numbering.next_number` numbers them."""
        orders = sorted(self._orders, key=lambda order: order.row["created_at"])
        for order in orders:
            year = local_year(order.row["created_at"], self.zone)
            number = self.last_numbers.get(year, 0) + 1
            self.last_numbers[year] = number
            order.row["work_order_number"] = f"{WORK_ORDER_NUMBER_PREFIX}-{year}-{number:06d}"
        self.counts["work_orders"] = len(orders)
        self.counts["work_order_status_history"] = sum(len(order.history) for order in orders)
        return orders


def _equipment_mix(rng: random.Random, kind: str, postal_code: str) -> list[str]:
    """The equipment at a place: a restaurant's grease trap, rooftop unit, water heater and backflow
    preventer; a house's cooling and heating, water heater and what some houses have (septic systems only
    on the city's edge)."""
    if kind == "restaurant":
        return ["Grease trap", "Packaged rooftop unit", "Water heater", "Backflow preventer"]
    units = ["Heat pump"] if rng.random() < 0.25 else ["Central air conditioner", "Gas furnace"]
    units.append("Tankless water heater" if rng.random() < 0.2 else "Water heater")
    if postal_code in SEPTIC_ZIPS and rng.random() < 0.6:
        units.append("Aerobic septic system" if rng.random() < 0.65 else "Septic tank")
    for equipment_type, rate in (
        ("Backflow preventer", 0.25),
        ("Standby generator", 0.12),
        ("EV charger", 0.1),
        ("Electrical panel", 0.15),
        ("Water softener", 0.15),
    ):
        if rng.random() < rate:
            units.append(equipment_type)
    return units


def _priority(rng: random.Random, kind: ServiceKind) -> str:
    draw = rng.random()
    if draw < kind.urgent_rate * 0.15:
        return "emergency"
    if draw < kind.urgent_rate * 0.5:
        return "urgent"
    if draw < kind.urgent_rate + 0.1:
        return "high"
    return "low" if draw > 0.93 else "normal"


def _distance(place: _Place, technician: _Tech) -> float:
    # Squared degrees with longitude shrunk at Austin's latitude: only for ordering nearby places.
    return (place.latitude - technician.latitude) ** 2 + (
        (place.longitude - technician.longitude) * 0.865
    ) ** 2


def _clock(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


__all__ = ["PLAN_KINDS", "SERVICES", "WINDOWS", "WORKING_PATTERNS", "City", "FieldGenerator", "demo_city"]
