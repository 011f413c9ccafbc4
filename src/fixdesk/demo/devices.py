"""Real consumer device models and realistic repair intake text for demo data.

This module is pure data. It lists real consumer devices (phones, tablets, laptops, desktops, game
consoles, watches and a few other gadgets) together with the year each model was first released. It is
used by the demo shop loader to create believable repair tickets and by the device catalog seed. It also
says what the bench does about each intake issue (:data:`ISSUE_FIXES`, names of
``fixdesk.demo.catalog.REPAIR_TYPES``) and what customers write: quote answers and review comments in
English, Portuguese and Spanish.

Release years, screen sizes and model numbers come from the manufacturers' own announcements and are
public knowledge. Screen sizes are the marketed diagonal in inches (for watches: the larger case size;
for foldables: the main, unfolded display). A model number is only filled in where it is a single,
well-known identifier; otherwise it is ``None``. Tiers are a rough market positioning used to pick
plausible repair prices: 1 = flagship, 2 = standard / mid-range, 3 = budget.
"""

from __future__ import annotations

from dataclasses import dataclass

DEVICE_TYPES = ("phone", "tablet", "laptop", "desktop", "console", "watch", "other")


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


# A row is (name, first release year, tier, screen size in inches or None).
_Row = tuple[str, int, int, float | None]


def _group(brand: str, device_type: str, rows: tuple[_Row, ...]) -> tuple[DeviceModelSeed, ...]:
    return tuple(
        DeviceModelSeed(
            brand=brand,
            name=name,
            device_type=device_type,
            release_year=year,
            tier_level=tier,
            screen_size=screen,
            model_number=_MODEL_NUMBERS.get((brand, name)),
        )
        for name, year, tier, screen in rows
    )


# Well-known, unambiguous model numbers keyed by (brand, name).
_MODEL_NUMBERS: dict[tuple[str, str], str] = {
    # Samsung Galaxy S (international variants)
    ("Samsung", "Galaxy S8"): "SM-G950F",
    ("Samsung", "Galaxy S8+"): "SM-G955F",
    ("Samsung", "Galaxy S9"): "SM-G960F",
    ("Samsung", "Galaxy S9+"): "SM-G965F",
    ("Samsung", "Galaxy S10e"): "SM-G970F",
    ("Samsung", "Galaxy S10"): "SM-G973F",
    ("Samsung", "Galaxy S10+"): "SM-G975F",
    ("Samsung", "Galaxy S20 Ultra"): "SM-G988B",
    ("Samsung", "Galaxy S21"): "SM-G991B",
    ("Samsung", "Galaxy S21+"): "SM-G996B",
    ("Samsung", "Galaxy S21 Ultra"): "SM-G998B",
    ("Samsung", "Galaxy S22"): "SM-S901B",
    ("Samsung", "Galaxy S22+"): "SM-S906B",
    ("Samsung", "Galaxy S22 Ultra"): "SM-S908B",
    ("Samsung", "Galaxy S23"): "SM-S911B",
    ("Samsung", "Galaxy S23+"): "SM-S916B",
    ("Samsung", "Galaxy S23 Ultra"): "SM-S918B",
    ("Samsung", "Galaxy S24"): "SM-S921B",
    ("Samsung", "Galaxy S24+"): "SM-S926B",
    ("Samsung", "Galaxy S24 Ultra"): "SM-S928B",
    ("Samsung", "Galaxy Note8"): "SM-N950F",
    ("Samsung", "Galaxy Note9"): "SM-N960F",
    ("Samsung", "Galaxy Note10"): "SM-N970F",
    ("Samsung", "Galaxy Note10+"): "SM-N975F",
    ("Samsung", "Galaxy Z Fold3"): "SM-F926B",
    ("Samsung", "Galaxy Z Flip3"): "SM-F711B",
    ("Samsung", "Galaxy Z Fold4"): "SM-F936B",
    ("Samsung", "Galaxy Z Flip4"): "SM-F721B",
    ("Samsung", "Galaxy Z Fold5"): "SM-F946B",
    ("Samsung", "Galaxy Z Flip5"): "SM-F731B",
    # Apple Mac notebooks
    ("Apple", "MacBook Air 13 (Retina, 2018)"): "A1932",
    ("Apple", "MacBook Air 13 (2019)"): "A1932",
    ("Apple", "MacBook Air 13 (Intel, 2020)"): "A2179",
    ("Apple", "MacBook Air 13 (M1, 2020)"): "A2337",
    ("Apple", "MacBook Air 13 (M2, 2022)"): "A2681",
    ("Apple", "MacBook Air 15 (M2, 2023)"): "A2941",
    ("Apple", "MacBook Pro 13 (M1, 2020)"): "A2338",
    ("Apple", "MacBook Pro 13 (2018)"): "A1989",
    ("Apple", "MacBook Pro 15 (2018)"): "A1990",
    ("Apple", "MacBook Pro 16 (2019)"): "A2141",
    ("Apple", "MacBook Pro 14 (M1 Pro/Max, 2021)"): "A2442",
    ("Apple", "MacBook Pro 16 (M1 Pro/Max, 2021)"): "A2485",
    ("Apple", "Mac mini (M1, 2020)"): "A2348",
    # Consoles
    ("Microsoft", "Xbox One"): "1540",
    ("Microsoft", "Xbox One S"): "1681",
    ("Microsoft", "Xbox One X"): "1787",
    ("Microsoft", "Xbox Series X"): "1882",
    ("Microsoft", "Xbox Series S"): "1883",
    ("Nintendo", "Switch"): "HAC-001",
    ("Nintendo", "Switch (improved battery)"): "HAC-001(-01)",
    ("Nintendo", "Switch Lite"): "HDH-001",
    ("Nintendo", "Switch OLED"): "HEG-001",
}


# --------------------------------------------------------------------------------------------------
# Phones
# --------------------------------------------------------------------------------------------------

_APPLE_PHONES: tuple[_Row, ...] = (
    ("iPhone 6", 2014, 1, 4.7),
    ("iPhone 6 Plus", 2014, 1, 5.5),
    ("iPhone 6s", 2015, 1, 4.7),
    ("iPhone 6s Plus", 2015, 1, 5.5),
    ("iPhone SE (1st generation)", 2016, 2, 4.0),
    ("iPhone 7", 2016, 1, 4.7),
    ("iPhone 7 Plus", 2016, 1, 5.5),
    ("iPhone 8", 2017, 1, 4.7),
    ("iPhone 8 Plus", 2017, 1, 5.5),
    ("iPhone X", 2017, 1, 5.8),
    ("iPhone XR", 2018, 2, 6.1),
    ("iPhone XS", 2018, 1, 5.8),
    ("iPhone XS Max", 2018, 1, 6.5),
    ("iPhone 11", 2019, 2, 6.1),
    ("iPhone 11 Pro", 2019, 1, 5.8),
    ("iPhone 11 Pro Max", 2019, 1, 6.5),
    ("iPhone SE (2nd generation)", 2020, 2, 4.7),
    ("iPhone 12 mini", 2020, 2, 5.4),
    ("iPhone 12", 2020, 2, 6.1),
    ("iPhone 12 Pro", 2020, 1, 6.1),
    ("iPhone 12 Pro Max", 2020, 1, 6.7),
    ("iPhone 13 mini", 2021, 2, 5.4),
    ("iPhone 13", 2021, 2, 6.1),
    ("iPhone 13 Pro", 2021, 1, 6.1),
    ("iPhone 13 Pro Max", 2021, 1, 6.7),
    ("iPhone SE (3rd generation)", 2022, 2, 4.7),
    ("iPhone 14", 2022, 2, 6.1),
    ("iPhone 14 Plus", 2022, 2, 6.7),
    ("iPhone 14 Pro", 2022, 1, 6.1),
    ("iPhone 14 Pro Max", 2022, 1, 6.7),
    ("iPhone 15", 2023, 2, 6.1),
    ("iPhone 15 Plus", 2023, 2, 6.7),
    ("iPhone 15 Pro", 2023, 1, 6.1),
    ("iPhone 15 Pro Max", 2023, 1, 6.7),
    ("iPhone 16", 2024, 2, 6.1),
    ("iPhone 16 Plus", 2024, 2, 6.7),
    ("iPhone 16 Pro", 2024, 1, 6.3),
    ("iPhone 16 Pro Max", 2024, 1, 6.9),
    ("iPhone 16e", 2025, 2, 6.1),
)

_SAMSUNG_PHONES: tuple[_Row, ...] = (
    # Galaxy S
    ("Galaxy S7", 2016, 1, 5.1),
    ("Galaxy S7 edge", 2016, 1, 5.5),
    ("Galaxy S8", 2017, 1, 5.8),
    ("Galaxy S8+", 2017, 1, 6.2),
    ("Galaxy S9", 2018, 1, 5.8),
    ("Galaxy S9+", 2018, 1, 6.2),
    ("Galaxy S10e", 2019, 1, 5.8),
    ("Galaxy S10", 2019, 1, 6.1),
    ("Galaxy S10+", 2019, 1, 6.4),
    ("Galaxy S10 5G", 2019, 1, 6.7),
    ("Galaxy S10 Lite", 2020, 2, 6.7),
    ("Galaxy S20", 2020, 1, 6.2),
    ("Galaxy S20+", 2020, 1, 6.7),
    ("Galaxy S20 Ultra", 2020, 1, 6.9),
    ("Galaxy S20 FE", 2020, 2, 6.5),
    ("Galaxy S21", 2021, 1, 6.2),
    ("Galaxy S21+", 2021, 1, 6.7),
    ("Galaxy S21 Ultra", 2021, 1, 6.8),
    ("Galaxy S21 FE", 2022, 2, 6.4),
    ("Galaxy S22", 2022, 1, 6.1),
    ("Galaxy S22+", 2022, 1, 6.6),
    ("Galaxy S22 Ultra", 2022, 1, 6.8),
    ("Galaxy S23", 2023, 1, 6.1),
    ("Galaxy S23+", 2023, 1, 6.6),
    ("Galaxy S23 Ultra", 2023, 1, 6.8),
    ("Galaxy S23 FE", 2023, 2, 6.4),
    ("Galaxy S24", 2024, 1, 6.2),
    ("Galaxy S24+", 2024, 1, 6.7),
    ("Galaxy S24 Ultra", 2024, 1, 6.8),
    ("Galaxy S24 FE", 2024, 2, 6.7),
    ("Galaxy S25", 2025, 1, 6.2),
    ("Galaxy S25+", 2025, 1, 6.7),
    ("Galaxy S25 Ultra", 2025, 1, 6.9),
    # Galaxy Note
    ("Galaxy Note5", 2015, 1, 5.7),
    ("Galaxy Note8", 2017, 1, 6.3),
    ("Galaxy Note9", 2018, 1, 6.4),
    ("Galaxy Note10", 2019, 1, 6.3),
    ("Galaxy Note10+", 2019, 1, 6.8),
    ("Galaxy Note10 Lite", 2020, 2, 6.7),
    ("Galaxy Note20", 2020, 1, 6.7),
    ("Galaxy Note20 Ultra", 2020, 1, 6.9),
    # Galaxy Z foldables (main display)
    ("Galaxy Fold", 2019, 1, 7.3),
    ("Galaxy Z Flip", 2020, 1, 6.7),
    ("Galaxy Z Fold2", 2020, 1, 7.6),
    ("Galaxy Z Fold3", 2021, 1, 7.6),
    ("Galaxy Z Flip3", 2021, 1, 6.7),
    ("Galaxy Z Fold4", 2022, 1, 7.6),
    ("Galaxy Z Flip4", 2022, 1, 6.7),
    ("Galaxy Z Fold5", 2023, 1, 7.6),
    ("Galaxy Z Flip5", 2023, 1, 6.7),
    ("Galaxy Z Fold6", 2024, 1, 7.6),
    ("Galaxy Z Flip6", 2024, 1, 6.7),
    # Galaxy A
    ("Galaxy A5 (2017)", 2017, 2, 5.2),
    ("Galaxy A8 (2018)", 2018, 2, 5.6),
    ("Galaxy A7 (2018)", 2018, 2, 6.0),
    ("Galaxy A9 (2018)", 2018, 2, 6.3),
    ("Galaxy A10", 2019, 3, 6.2),
    ("Galaxy A10e", 2019, 3, 5.8),
    ("Galaxy A20", 2019, 3, 6.4),
    ("Galaxy A20e", 2019, 3, 5.8),
    ("Galaxy A30", 2019, 2, 6.4),
    ("Galaxy A30s", 2019, 2, 6.4),
    ("Galaxy A40", 2019, 2, 5.9),
    ("Galaxy A50", 2019, 2, 6.4),
    ("Galaxy A50s", 2019, 2, 6.4),
    ("Galaxy A70", 2019, 2, 6.7),
    ("Galaxy A80", 2019, 2, 6.7),
    ("Galaxy A51", 2019, 2, 6.5),
    ("Galaxy A71", 2020, 2, 6.7),
    ("Galaxy A11", 2020, 3, 6.4),
    ("Galaxy A21s", 2020, 3, 6.5),
    ("Galaxy A31", 2020, 2, 6.4),
    ("Galaxy A41", 2020, 2, 6.1),
    ("Galaxy A42 5G", 2020, 2, 6.6),
    ("Galaxy A12", 2020, 3, 6.5),
    ("Galaxy A03s", 2021, 3, 6.5),
    ("Galaxy A22", 2021, 3, 6.4),
    ("Galaxy A32", 2021, 2, 6.4),
    ("Galaxy A52", 2021, 2, 6.5),
    ("Galaxy A52s 5G", 2021, 2, 6.5),
    ("Galaxy A72", 2021, 2, 6.7),
    ("Galaxy A13", 2022, 3, 6.6),
    ("Galaxy A23", 2022, 3, 6.6),
    ("Galaxy A33 5G", 2022, 2, 6.4),
    ("Galaxy A53 5G", 2022, 2, 6.5),
    ("Galaxy A73 5G", 2022, 2, 6.7),
    ("Galaxy A14 5G", 2023, 3, 6.6),
    ("Galaxy A24", 2023, 3, 6.5),
    ("Galaxy A34 5G", 2023, 2, 6.6),
    ("Galaxy A54 5G", 2023, 2, 6.4),
    ("Galaxy A05s", 2023, 3, 6.7),
    ("Galaxy A35 5G", 2024, 2, 6.6),
    ("Galaxy A55 5G", 2024, 2, 6.6),
    ("Galaxy A16 5G", 2024, 3, 6.7),
    # Rugged
    ("Galaxy XCover 5", 2021, 3, 5.3),
    ("Galaxy XCover6 Pro", 2022, 2, 6.6),
)

_GOOGLE_PHONES: tuple[_Row, ...] = (
    ("Pixel", 2016, 1, 5.0),
    ("Pixel XL", 2016, 1, 5.5),
    ("Pixel 2", 2017, 1, 5.0),
    ("Pixel 2 XL", 2017, 1, 6.0),
    ("Pixel 3", 2018, 1, 5.5),
    ("Pixel 3 XL", 2018, 1, 6.3),
    ("Pixel 3a", 2019, 2, 5.6),
    ("Pixel 3a XL", 2019, 2, 6.0),
    ("Pixel 4", 2019, 1, 5.7),
    ("Pixel 4 XL", 2019, 1, 6.3),
    ("Pixel 4a", 2020, 2, 5.8),
    ("Pixel 4a 5G", 2020, 2, 6.2),
    ("Pixel 5", 2020, 1, 6.0),
    ("Pixel 5a", 2021, 2, 6.34),
    ("Pixel 6", 2021, 1, 6.4),
    ("Pixel 6 Pro", 2021, 1, 6.7),
    ("Pixel 6a", 2022, 2, 6.1),
    ("Pixel 7", 2022, 1, 6.3),
    ("Pixel 7 Pro", 2022, 1, 6.7),
    ("Pixel 7a", 2023, 2, 6.1),
    ("Pixel Fold", 2023, 1, 7.6),
    ("Pixel 8", 2023, 1, 6.2),
    ("Pixel 8 Pro", 2023, 1, 6.7),
    ("Pixel 8a", 2024, 2, 6.1),
    ("Pixel 9", 2024, 1, 6.3),
    ("Pixel 9 Pro", 2024, 1, 6.3),
    ("Pixel 9 Pro XL", 2024, 1, 6.8),
    ("Pixel 9 Pro Fold", 2024, 1, 8.0),
    ("Pixel 9a", 2025, 2, 6.3),
)

_ONEPLUS_PHONES: tuple[_Row, ...] = (
    ("OnePlus 3", 2016, 1, 5.5),
    ("OnePlus 3T", 2016, 1, 5.5),
    ("OnePlus 5", 2017, 1, 5.5),
    ("OnePlus 5T", 2017, 1, 6.01),
    ("OnePlus 6", 2018, 1, 6.28),
    ("OnePlus 6T", 2018, 1, 6.41),
    ("OnePlus 7", 2019, 1, 6.41),
    ("OnePlus 7 Pro", 2019, 1, 6.67),
    ("OnePlus 7T", 2019, 1, 6.55),
    ("OnePlus 7T Pro", 2019, 1, 6.67),
    ("OnePlus 8", 2020, 1, 6.55),
    ("OnePlus 8 Pro", 2020, 1, 6.78),
    ("OnePlus 8T", 2020, 1, 6.55),
    ("OnePlus Nord", 2020, 2, 6.44),
    ("OnePlus Nord N10 5G", 2020, 3, 6.49),
    ("OnePlus Nord N100", 2020, 3, 6.52),
    ("OnePlus 9", 2021, 1, 6.55),
    ("OnePlus 9 Pro", 2021, 1, 6.7),
    ("OnePlus Nord CE 5G", 2021, 2, 6.43),
    ("OnePlus Nord 2 5G", 2021, 2, 6.43),
    ("OnePlus 10 Pro", 2022, 1, 6.7),
    ("OnePlus 10T", 2022, 1, 6.7),
    ("OnePlus Nord CE 2 5G", 2022, 2, 6.43),
    ("OnePlus Nord 2T", 2022, 2, 6.43),
    ("OnePlus 11", 2023, 1, 6.7),
    ("OnePlus Nord CE 3 Lite", 2023, 3, 6.72),
    ("OnePlus Nord 3", 2023, 2, 6.74),
    ("OnePlus Open", 2023, 1, 7.82),
    ("OnePlus 12R", 2024, 2, 6.78),
    ("OnePlus Nord CE4", 2024, 2, 6.7),
    ("OnePlus Nord 4", 2024, 2, 6.74),
)

_XIAOMI_PHONES: tuple[_Row, ...] = (
    ("Mi 9", 2019, 1, 6.39),
    ("Mi 9T", 2019, 2, 6.39),
    ("Mi 10", 2020, 1, 6.67),
    ("Mi 10T Pro", 2020, 1, 6.67),
    ("Mi 11 Lite", 2021, 2, 6.55),
    ("Xiaomi 11T", 2021, 2, 6.67),
    ("Xiaomi 11T Pro", 2021, 1, 6.67),
    ("Xiaomi 12T", 2022, 2, 6.67),
    ("Xiaomi 12T Pro", 2022, 1, 6.67),
    ("Xiaomi 13T", 2023, 2, 6.67),
    ("Xiaomi 13T Pro", 2023, 1, 6.67),
    ("Xiaomi 14T", 2024, 2, 6.67),
    ("Xiaomi 14T Pro", 2024, 1, 6.67),
    ("POCO X3 NFC", 2020, 3, 6.67),
    ("POCO F3", 2021, 2, 6.67),
    ("POCO X3 Pro", 2021, 2, 6.67),
    ("POCO F5", 2023, 2, 6.67),
    ("Redmi Note 7", 2019, 3, 6.3),
    ("Redmi Note 8", 2019, 3, 6.3),
    ("Redmi Note 8 Pro", 2019, 3, 6.53),
    ("Redmi Note 8T", 2019, 3, 6.3),
    ("Redmi Note 9", 2020, 3, 6.53),
    ("Redmi Note 9 Pro", 2020, 3, 6.67),
    ("Redmi 9", 2020, 3, 6.53),
    ("Redmi 9A", 2020, 3, 6.53),
    ("Redmi 9C", 2020, 3, 6.53),
    ("Redmi Note 10", 2021, 3, 6.43),
    ("Redmi Note 10 Pro", 2021, 2, 6.67),
    ("Redmi 10", 2021, 3, 6.5),
    ("Redmi 12", 2023, 3, 6.79),
    ("Redmi 13C", 2023, 3, 6.74),
)

_MOTOROLA_PHONES: tuple[_Row, ...] = (
    ("Moto G5", 2017, 3, 5.0),
    ("Moto G5 Plus", 2017, 3, 5.2),
    ("Moto G6", 2018, 3, 5.7),
    ("Moto G6 Plus", 2018, 2, 5.93),
    ("Moto G6 Play", 2018, 3, 5.7),
    ("Moto G7", 2019, 3, 6.24),
    ("Moto G7 Power", 2019, 3, 6.2),
    ("Moto G7 Play", 2019, 3, 5.7),
    ("Moto G8 Plus", 2019, 3, 6.3),
    ("Moto G8", 2020, 3, 6.4),
    ("Moto G8 Power", 2020, 3, 6.4),
    ("Moto G8 Power Lite", 2020, 3, 6.5),
    ("Moto G Stylus (2020)", 2020, 3, 6.4),
    ("Moto G9 Play", 2020, 3, 6.5),
    ("Moto G9 Plus", 2020, 3, 6.81),
    ("Moto G9 Power", 2020, 3, 6.8),
    ("Moto G Stylus (2021)", 2021, 3, 6.8),
    ("Moto G Power (2021)", 2021, 3, 6.6),
    ("Moto G10", 2021, 3, 6.5),
    ("Moto G30", 2021, 3, 6.5),
    ("Moto G50", 2021, 3, 6.5),
    ("Moto G100", 2021, 2, 6.7),
    ("Moto G31", 2021, 3, 6.4),
    ("Moto G71 5G", 2022, 3, 6.4),
    ("Moto G22", 2022, 3, 6.5),
    ("Moto G52", 2022, 3, 6.6),
    ("Moto G82 5G", 2022, 2, 6.6),
    ("Moto G32", 2022, 3, 6.5),
    ("Moto G62 5G", 2022, 3, 6.5),
    ("Moto G13", 2023, 3, 6.5),
    ("Moto G23", 2023, 3, 6.5),
    ("Moto G54 5G", 2023, 3, 6.5),
    ("Moto G84 5G", 2023, 2, 6.55),
    ("Moto G04", 2024, 3, 6.56),
    ("Moto G24", 2024, 3, 6.56),
    ("Moto G85 5G", 2024, 2, 6.67),
    ("Moto E7", 2020, 3, 6.5),
    ("Moto E20", 2021, 3, 6.5),
    ("Moto E32", 2022, 3, 6.5),
    ("Moto E13", 2023, 3, 6.5),
    ("Edge", 2020, 2, 6.7),
    ("Edge+", 2020, 1, 6.7),
    ("Edge 20", 2021, 2, 6.7),
    ("Edge 20 Pro", 2021, 1, 6.7),
    ("Edge 30 Pro", 2022, 1, 6.7),
    ("Edge 30", 2022, 2, 6.5),
    ("Edge 30 Neo", 2022, 2, 6.28),
    ("Edge 40 Pro", 2023, 1, 6.67),
    ("Edge 40", 2023, 2, 6.55),
    ("Edge 40 Neo", 2023, 2, 6.55),
    ("Edge 50 Pro", 2024, 2, 6.7),
    ("Edge 50 Fusion", 2024, 2, 6.7),
    ("Edge 50 Ultra", 2024, 1, 6.7),
    ("Razr 5G", 2020, 1, 6.2),
    ("Razr 40", 2023, 2, 6.9),
    ("Razr 40 Ultra", 2023, 1, 6.9),
    ("Razr 50", 2024, 2, 6.9),
    ("Razr 50 Ultra", 2024, 1, 6.9),
)

_HUAWEI_PHONES: tuple[_Row, ...] = (
    ("Mate 9", 2016, 1, 5.9),
    ("P10", 2017, 1, 5.1),
    ("P10 Plus", 2017, 1, 5.5),
    ("P10 Lite", 2017, 3, 5.2),
    ("Mate 10 Pro", 2017, 1, 6.0),
    ("P20", 2018, 1, 5.8),
    ("P20 Pro", 2018, 1, 6.1),
    ("P20 Lite", 2018, 3, 5.84),
    ("Mate 20", 2018, 1, 6.53),
    ("Mate 20 Pro", 2018, 1, 6.39),
    ("Mate 20 Lite", 2018, 2, 6.3),
    ("P30", 2019, 1, 6.1),
    ("P30 Pro", 2019, 1, 6.47),
    ("P30 Lite", 2019, 2, 6.15),
    ("Y6 2019", 2019, 3, 6.09),
    ("Mate 30 Pro", 2019, 1, 6.53),
    ("nova 5T", 2019, 2, 6.26),
    ("P40", 2020, 1, 6.1),
    ("P40 Pro", 2020, 1, 6.58),
    ("P40 Lite", 2020, 2, 6.4),
    ("Mate 40 Pro", 2020, 1, 6.76),
    ("P50 Pro", 2021, 1, 6.6),
    ("Mate 50 Pro", 2022, 1, 6.74),
    ("P60 Pro", 2023, 1, 6.67),
)

_SONY_PHONES: tuple[_Row, ...] = (
    ("Xperia Z5", 2015, 1, 5.2),
    ("Xperia XZ", 2016, 1, 5.2),
    ("Xperia XZ Premium", 2017, 1, 5.46),
    ("Xperia XZ1", 2017, 1, 5.2),
    ("Xperia XZ2", 2018, 1, 5.7),
    ("Xperia XZ2 Compact", 2018, 2, 5.0),
    ("Xperia XZ3", 2018, 1, 6.0),
    ("Xperia 10", 2019, 3, 6.0),
    ("Xperia 1", 2019, 1, 6.5),
    ("Xperia 5", 2019, 1, 6.1),
    ("Xperia 1 II", 2020, 1, 6.5),
    ("Xperia 10 II", 2020, 3, 6.0),
    ("Xperia 5 II", 2020, 1, 6.1),
    ("Xperia 1 III", 2021, 1, 6.5),
    ("Xperia 5 III", 2021, 1, 6.1),
    ("Xperia 10 III", 2021, 2, 6.0),
    ("Xperia 1 IV", 2022, 1, 6.5),
    ("Xperia 5 IV", 2022, 1, 6.1),
    ("Xperia 10 IV", 2022, 2, 6.0),
    ("Xperia 1 V", 2023, 1, 6.5),
    ("Xperia 5 V", 2023, 1, 6.1),
    ("Xperia 10 V", 2023, 2, 6.1),
    ("Xperia 1 VI", 2024, 1, 6.5),
    ("Xperia 10 VI", 2024, 2, 6.1),
)

_NOKIA_PHONES: tuple[_Row, ...] = (
    ("Nokia 3310 (2017)", 2017, 3, 2.4),
    ("Nokia 6", 2017, 3, 5.5),
    ("Nokia 8", 2017, 2, 5.3),
    ("Nokia 6.1", 2018, 3, 5.5),
    ("Nokia 7 Plus", 2018, 2, 6.0),
    ("Nokia 7.1", 2018, 2, 5.84),
    ("Nokia 8.1", 2018, 2, 6.18),
    ("Nokia 9 PureView", 2019, 1, 5.99),
    ("Nokia 2.2", 2019, 3, 5.71),
    ("Nokia 4.2", 2019, 3, 5.71),
    ("Nokia 6.2", 2019, 3, 6.3),
    ("Nokia 7.2", 2019, 2, 6.3),
    ("Nokia 2.3", 2019, 3, 6.2),
    ("Nokia 5.3", 2020, 3, 6.55),
    ("Nokia 8.3 5G", 2020, 2, 6.81),
    ("Nokia G10", 2021, 3, 6.52),
    ("Nokia G20", 2021, 3, 6.52),
    ("Nokia G50", 2021, 3, 6.82),
    ("Nokia X10", 2021, 2, 6.67),
    ("Nokia X20", 2021, 2, 6.67),
    ("Nokia XR20", 2021, 2, 6.67),
    ("Nokia G21", 2022, 3, 6.5),
    ("Nokia G22", 2023, 3, 6.52),
    ("Nokia C32", 2023, 3, 6.5),
)

# --------------------------------------------------------------------------------------------------
# Tablets
# --------------------------------------------------------------------------------------------------

_APPLE_TABLETS: tuple[_Row, ...] = (
    ("iPad Air 2", 2014, 2, 9.7),
    ("iPad mini 4", 2015, 2, 7.9),
    ("iPad Pro 12.9 (1st generation)", 2015, 1, 12.9),
    ("iPad Pro 9.7", 2016, 1, 9.7),
    ("iPad (5th generation)", 2017, 3, 9.7),
    ("iPad Pro 10.5", 2017, 1, 10.5),
    ("iPad Pro 12.9 (2nd generation)", 2017, 1, 12.9),
    ("iPad (6th generation)", 2018, 3, 9.7),
    ("iPad Pro 11 (1st generation)", 2018, 1, 11.0),
    ("iPad Pro 12.9 (3rd generation)", 2018, 1, 12.9),
    ("iPad Air (3rd generation)", 2019, 2, 10.5),
    ("iPad mini (5th generation)", 2019, 2, 7.9),
    ("iPad (7th generation)", 2019, 3, 10.2),
    ("iPad Pro 11 (2nd generation)", 2020, 1, 11.0),
    ("iPad Pro 12.9 (4th generation)", 2020, 1, 12.9),
    ("iPad (8th generation)", 2020, 3, 10.2),
    ("iPad Air (4th generation)", 2020, 2, 10.9),
    ("iPad Pro 11 (3rd generation)", 2021, 1, 11.0),
    ("iPad Pro 12.9 (5th generation)", 2021, 1, 12.9),
    ("iPad (9th generation)", 2021, 3, 10.2),
    ("iPad mini (6th generation)", 2021, 2, 8.3),
    ("iPad Air (5th generation)", 2022, 2, 10.9),
    ("iPad (10th generation)", 2022, 3, 10.9),
    ("iPad Pro 11 (4th generation)", 2022, 1, 11.0),
    ("iPad Pro 12.9 (6th generation)", 2022, 1, 12.9),
    ("iPad Air 11 (M2)", 2024, 2, 11.0),
    ("iPad Air 13 (M2)", 2024, 2, 13.0),
    ("iPad Pro 11 (M4)", 2024, 1, 11.0),
    ("iPad Pro 13 (M4)", 2024, 1, 13.0),
    ("iPad mini (A17 Pro)", 2024, 2, 8.3),
    ("iPad (A16)", 2025, 3, 11.0),
    ("iPad Air 11 (M3)", 2025, 2, 11.0),
    ("iPad Air 13 (M3)", 2025, 2, 13.0),
)

_SAMSUNG_TABLETS: tuple[_Row, ...] = (
    ("Galaxy Tab S3", 2017, 1, 9.7),
    ("Galaxy Tab S4", 2018, 1, 10.5),
    ("Galaxy Tab S5e", 2019, 2, 10.5),
    ("Galaxy Tab S6", 2019, 1, 10.5),
    ("Galaxy Tab A 10.1 (2019)", 2019, 3, 10.1),
    ("Galaxy Tab S6 Lite", 2020, 2, 10.4),
    ("Galaxy Tab S7", 2020, 1, 11.0),
    ("Galaxy Tab S7+", 2020, 1, 12.4),
    ("Galaxy Tab A7", 2020, 3, 10.4),
    ("Galaxy Tab Active3", 2020, 2, 8.0),
    ("Galaxy Tab S7 FE", 2021, 2, 12.4),
    ("Galaxy Tab A7 Lite", 2021, 3, 8.7),
    ("Galaxy Tab S8", 2022, 1, 11.0),
    ("Galaxy Tab S8+", 2022, 1, 12.4),
    ("Galaxy Tab S8 Ultra", 2022, 1, 14.6),
    ("Galaxy Tab S9", 2023, 1, 11.0),
    ("Galaxy Tab S9+", 2023, 1, 12.4),
    ("Galaxy Tab S9 Ultra", 2023, 1, 14.6),
    ("Galaxy Tab S9 FE", 2023, 2, 10.9),
    ("Galaxy Tab S9 FE+", 2023, 2, 12.4),
    ("Galaxy Tab A9", 2023, 3, 8.7),
    ("Galaxy Tab A9+", 2023, 3, 11.0),
    ("Galaxy Tab S10+", 2024, 1, 12.4),
    ("Galaxy Tab S10 Ultra", 2024, 1, 14.6),
)

_MICROSOFT_TABLETS: tuple[_Row, ...] = (
    ("Surface Pro 3", 2014, 1, 12.0),
    ("Surface Pro 4", 2015, 1, 12.3),
    ("Surface Pro (5th generation)", 2017, 1, 12.3),
    ("Surface Go", 2018, 3, 10.0),
    ("Surface Pro 6", 2018, 1, 12.3),
    ("Surface Pro 7", 2019, 1, 12.3),
    ("Surface Pro X", 2019, 1, 13.0),
    ("Surface Go 2", 2020, 3, 10.5),
    ("Surface Pro 7+", 2021, 1, 12.3),
    ("Surface Pro 8", 2021, 1, 13.0),
    ("Surface Go 3", 2021, 3, 10.5),
    ("Surface Pro 9", 2022, 1, 13.0),
    ("Surface Go 4", 2023, 3, 10.5),
    ("Surface Pro 10", 2024, 1, 13.0),
    ("Surface Pro (11th Edition)", 2024, 1, 13.0),
)

_LENOVO_TABLETS: tuple[_Row, ...] = (
    ("Tab M8", 2019, 3, 8.0),
    ("Tab M10 Plus (3rd Gen)", 2022, 3, 10.61),
    ("Tab P11 Pro (2nd Gen)", 2022, 2, 11.2),
    ("Tab M9", 2023, 3, 9.0),
    ("Tab P12", 2023, 2, 12.7),
    ("Tab M11", 2024, 3, 10.95),
)

_AMAZON_TABLETS: tuple[_Row, ...] = (
    ("Fire HD 8 (10th generation)", 2020, 3, 8.0),
    ("Fire HD 10 (11th generation)", 2021, 3, 10.1),
    ("Fire 7 (12th generation)", 2022, 3, 7.0),
)

# --------------------------------------------------------------------------------------------------
# Laptops
# --------------------------------------------------------------------------------------------------

_APPLE_LAPTOPS: tuple[_Row, ...] = (
    ("MacBook 12 (2015)", 2015, 2, 12.0),
    ("MacBook 12 (2016)", 2016, 2, 12.0),
    ("MacBook 12 (2017)", 2017, 2, 12.0),
    ("MacBook Air 13 (2017)", 2017, 2, 13.3),
    ("MacBook Air 13 (Retina, 2018)", 2018, 2, 13.3),
    ("MacBook Air 13 (2019)", 2019, 2, 13.3),
    ("MacBook Air 13 (Intel, 2020)", 2020, 2, 13.3),
    ("MacBook Air 13 (M1, 2020)", 2020, 2, 13.3),
    ("MacBook Air 13 (M2, 2022)", 2022, 2, 13.6),
    ("MacBook Air 15 (M2, 2023)", 2023, 2, 15.3),
    ("MacBook Air 13 (M3, 2024)", 2024, 2, 13.6),
    ("MacBook Air 15 (M3, 2024)", 2024, 2, 15.3),
    ("MacBook Air 13 (M4, 2025)", 2025, 2, 13.6),
    ("MacBook Air 15 (M4, 2025)", 2025, 2, 15.3),
    ("MacBook Pro 13 (2015)", 2015, 1, 13.3),
    ("MacBook Pro 15 (2015)", 2015, 1, 15.4),
    ("MacBook Pro 13 (2016)", 2016, 1, 13.3),
    ("MacBook Pro 15 (2016)", 2016, 1, 15.4),
    ("MacBook Pro 13 (2017)", 2017, 1, 13.3),
    ("MacBook Pro 15 (2017)", 2017, 1, 15.4),
    ("MacBook Pro 13 (2018)", 2018, 1, 13.3),
    ("MacBook Pro 15 (2018)", 2018, 1, 15.4),
    ("MacBook Pro 13 (2019)", 2019, 1, 13.3),
    ("MacBook Pro 15 (2019)", 2019, 1, 15.4),
    ("MacBook Pro 16 (2019)", 2019, 1, 16.0),
    ("MacBook Pro 13 (Intel, 2020)", 2020, 1, 13.3),
    ("MacBook Pro 13 (M1, 2020)", 2020, 1, 13.3),
    ("MacBook Pro 14 (M1 Pro/Max, 2021)", 2021, 1, 14.2),
    ("MacBook Pro 16 (M1 Pro/Max, 2021)", 2021, 1, 16.2),
    ("MacBook Pro 13 (M2, 2022)", 2022, 1, 13.3),
    ("MacBook Pro 14 (M2 Pro/Max, 2023)", 2023, 1, 14.2),
    ("MacBook Pro 16 (M2 Pro/Max, 2023)", 2023, 1, 16.2),
    ("MacBook Pro 14 (M3, 2023)", 2023, 1, 14.2),
    ("MacBook Pro 14 (M3 Pro/Max, 2023)", 2023, 1, 14.2),
    ("MacBook Pro 16 (M3 Pro/Max, 2023)", 2023, 1, 16.2),
    ("MacBook Pro 14 (M4, 2024)", 2024, 1, 14.2),
    ("MacBook Pro 14 (M4 Pro/Max, 2024)", 2024, 1, 14.2),
    ("MacBook Pro 16 (M4 Pro/Max, 2024)", 2024, 1, 16.2),
)

_MICROSOFT_LAPTOPS: tuple[_Row, ...] = (
    ("Surface Laptop", 2017, 1, 13.5),
    ("Surface Book 2 13.5", 2017, 1, 13.5),
    ("Surface Book 2 15", 2017, 1, 15.0),
    ("Surface Laptop 2", 2018, 1, 13.5),
    ("Surface Laptop 3 13.5", 2019, 1, 13.5),
    ("Surface Laptop 3 15", 2019, 1, 15.0),
    ("Surface Book 3 13.5", 2020, 1, 13.5),
    ("Surface Book 3 15", 2020, 1, 15.0),
    ("Surface Laptop Go", 2020, 3, 12.4),
    ("Surface Laptop 4 13.5", 2021, 1, 13.5),
    ("Surface Laptop 4 15", 2021, 1, 15.0),
    ("Surface Laptop Studio", 2021, 1, 14.4),
    ("Surface Laptop Go 2", 2022, 3, 12.4),
    ("Surface Laptop 5 13.5", 2022, 1, 13.5),
    ("Surface Laptop 5 15", 2022, 1, 15.0),
    ("Surface Laptop Go 3", 2023, 3, 12.4),
    ("Surface Laptop Studio 2", 2023, 1, 14.4),
    ("Surface Laptop 6 13.5", 2024, 1, 13.5),
    ("Surface Laptop 6 15", 2024, 1, 15.0),
    ("Surface Laptop (7th Edition) 13.8", 2024, 1, 13.8),
    ("Surface Laptop (7th Edition) 15", 2024, 1, 15.0),
)

_DELL_LAPTOPS: tuple[_Row, ...] = (
    # XPS
    ("XPS 15 9550", 2015, 1, 15.6),
    ("XPS 13 9360", 2016, 1, 13.3),
    ("XPS 13 9370", 2018, 1, 13.3),
    ("XPS 15 9570", 2018, 1, 15.6),
    ("XPS 13 9380", 2019, 1, 13.3),
    ("XPS 13 7390", 2019, 1, 13.3),
    ("XPS 15 7590", 2019, 1, 15.6),
    ("XPS 13 9300", 2020, 1, 13.4),
    ("XPS 13 9310", 2020, 1, 13.4),
    ("XPS 15 9500", 2020, 1, 15.6),
    ("XPS 17 9700", 2020, 1, 17.0),
    ("XPS 15 9510", 2021, 1, 15.6),
    ("XPS 17 9710", 2021, 1, 17.0),
    ("XPS 13 9315", 2022, 1, 13.4),
    ("XPS 13 Plus 9320", 2022, 1, 13.4),
    ("XPS 15 9520", 2022, 1, 15.6),
    ("XPS 17 9720", 2022, 1, 17.0),
    ("XPS 15 9530", 2023, 1, 15.6),
    ("XPS 13 9340", 2024, 1, 13.4),
    ("XPS 13 9345", 2024, 1, 13.4),
    # Inspiron
    ("Inspiron 15 3501", 2020, 3, 15.6),
    ("Inspiron 15 5502", 2020, 2, 15.6),
    ("Inspiron 15 3511", 2021, 3, 15.6),
    ("Inspiron 15 5510", 2021, 2, 15.6),
    ("Inspiron 15 3520", 2022, 3, 15.6),
    ("Inspiron 14 5420", 2022, 2, 14.0),
    ("Inspiron 16 5620", 2022, 2, 16.0),
    ("Inspiron 15 3530", 2023, 3, 15.6),
    # Latitude
    ("Latitude 5490", 2018, 2, 14.0),
    ("Latitude 7490", 2018, 1, 14.0),
    ("Latitude 5400", 2019, 2, 14.0),
    ("Latitude 5500", 2019, 2, 15.6),
    ("Latitude 7400", 2019, 1, 14.0),
    ("Latitude 5410", 2020, 2, 14.0),
    ("Latitude 7410", 2020, 1, 14.0),
    ("Latitude 3520", 2021, 3, 15.6),
    ("Latitude 5420", 2021, 2, 14.0),
    ("Latitude 5520", 2021, 2, 15.6),
    ("Latitude 7420", 2021, 1, 14.0),
    ("Latitude 5430", 2022, 2, 14.0),
    ("Latitude 7430", 2022, 1, 14.0),
    ("Latitude 5440", 2023, 2, 14.0),
    ("Latitude 7440", 2023, 1, 14.0),
)

_HP_LAPTOPS: tuple[_Row, ...] = (
    ("Spectre x360 13 (2019)", 2019, 1, 13.3),
    ("Spectre x360 15 (2019)", 2019, 1, 15.6),
    ("Spectre x360 14 (2022)", 2022, 1, 13.5),
    ("Spectre x360 16 (2022)", 2022, 1, 16.0),
    ("Envy x360 13 (2020)", 2020, 2, 13.3),
    ("Envy x360 15 (2020)", 2020, 2, 15.6),
    ("Envy 13 (2021)", 2021, 2, 13.3),
    ("Envy 16 (2022)", 2022, 2, 16.0),
    ("Pavilion 15 (2020)", 2020, 3, 15.6),
    ("Pavilion Gaming 15 (2020)", 2020, 2, 15.6),
    ("Pavilion 14 (2021)", 2021, 3, 14.0),
    ("Pavilion x360 14 (2021)", 2021, 3, 14.0),
    ("Pavilion Aero 13 (2021)", 2021, 2, 13.3),
    ("Victus 16 (2021)", 2021, 2, 16.1),
    ("Omen 15 (2020)", 2020, 1, 15.6),
    ("Omen 16 (2021)", 2021, 1, 16.1),
    ("EliteBook 840 G5", 2018, 2, 14.0),
    ("EliteBook 840 G6", 2019, 2, 14.0),
    ("EliteBook 840 G7", 2020, 2, 14.0),
    ("EliteBook 830 G8", 2021, 2, 13.3),
    ("EliteBook 840 G8", 2021, 2, 14.0),
    ("EliteBook 850 G8", 2021, 2, 15.6),
    ("EliteBook 840 G9", 2022, 2, 14.0),
    ("EliteBook 840 G10", 2023, 2, 14.0),
    ("ProBook 450 G8", 2021, 3, 15.6),
    ("ProBook 450 G9", 2022, 3, 15.6),
    ("ProBook 450 G10", 2023, 3, 15.6),
    ("250 G8", 2020, 3, 15.6),
    ("250 G9", 2022, 3, 15.6),
)

_LENOVO_LAPTOPS: tuple[_Row, ...] = (
    # ThinkPad X1 Carbon
    ("ThinkPad X1 Carbon Gen 3", 2015, 1, 14.0),
    ("ThinkPad X1 Carbon Gen 4", 2016, 1, 14.0),
    ("ThinkPad X1 Carbon Gen 5", 2017, 1, 14.0),
    ("ThinkPad X1 Carbon Gen 6", 2018, 1, 14.0),
    ("ThinkPad X1 Carbon Gen 7", 2019, 1, 14.0),
    ("ThinkPad X1 Carbon Gen 8", 2020, 1, 14.0),
    ("ThinkPad X1 Carbon Gen 9", 2021, 1, 14.0),
    ("ThinkPad X1 Carbon Gen 10", 2022, 1, 14.0),
    ("ThinkPad X1 Carbon Gen 11", 2023, 1, 14.0),
    ("ThinkPad X1 Carbon Gen 12", 2024, 1, 14.0),
    ("ThinkPad X1 Yoga Gen 6", 2021, 1, 14.0),
    # ThinkPad T / X / E / L
    ("ThinkPad T460", 2016, 2, 14.0),
    ("ThinkPad T470", 2017, 2, 14.0),
    ("ThinkPad T480", 2018, 2, 14.0),
    ("ThinkPad T480s", 2018, 2, 14.0),
    ("ThinkPad T490", 2019, 2, 14.0),
    ("ThinkPad T490s", 2019, 2, 14.0),
    ("ThinkPad T14 Gen 1", 2020, 2, 14.0),
    ("ThinkPad T14s Gen 1", 2020, 2, 14.0),
    ("ThinkPad T15 Gen 1", 2020, 2, 15.6),
    ("ThinkPad T14 Gen 2", 2021, 2, 14.0),
    ("ThinkPad T14s Gen 2", 2021, 2, 14.0),
    ("ThinkPad T14 Gen 3", 2022, 2, 14.0),
    ("ThinkPad T14s Gen 3", 2022, 2, 14.0),
    ("ThinkPad T16 Gen 1", 2022, 2, 16.0),
    ("ThinkPad T14 Gen 4", 2023, 2, 14.0),
    ("ThinkPad T14 Gen 5", 2024, 2, 14.0),
    ("ThinkPad X280", 2018, 2, 12.5),
    ("ThinkPad X390", 2019, 2, 13.3),
    ("ThinkPad X13 Gen 1", 2020, 2, 13.3),
    ("ThinkPad E14 Gen 2", 2020, 3, 14.0),
    ("ThinkPad E15 Gen 2", 2020, 3, 15.6),
    ("ThinkPad E14 Gen 4", 2022, 3, 14.0),
    ("ThinkPad L14 Gen 1", 2020, 3, 14.0),
    # IdeaPad
    ("IdeaPad 330-15IKB", 2018, 3, 15.6),
    ("IdeaPad S145-15IWL", 2019, 3, 15.6),
    ("IdeaPad 3 15ADA05", 2020, 3, 15.6),
    ("IdeaPad 5 14ARE05", 2020, 2, 14.0),
    ("IdeaPad 3 15ITL6", 2021, 3, 15.6),
    ("IdeaPad Gaming 3 15ACH6", 2021, 2, 15.6),
    # Yoga
    ("Yoga 920", 2017, 1, 13.9),
    ("Yoga C930", 2018, 1, 13.9),
    ("Yoga C940 14", 2019, 1, 14.0),
    ("Yoga Slim 7 14ARE05", 2020, 2, 14.0),
    ("Yoga 7 14ITL5", 2020, 2, 14.0),
    ("Yoga 9 14ITL5", 2020, 1, 14.0),
    # Legion
    ("Legion 5 15ARH05", 2020, 2, 15.6),
    ("Legion 5 Pro 16ACH6H", 2021, 1, 16.0),
)

_ASUS_LAPTOPS: tuple[_Row, ...] = (
    ("ZenBook 13 UX333FA", 2018, 2, 13.3),
    ("ZenBook 14 UX434FL", 2019, 2, 14.0),
    ("ZenBook Duo UX481FL", 2019, 2, 14.0),
    ("ZenBook 13 UX325EA", 2020, 2, 13.3),
    ("ZenBook 14 UX425EA", 2020, 2, 14.0),
    ("Zenbook 14 OLED UX3402ZA", 2022, 2, 14.0),
    ("Zenbook S 13 OLED UM5302TA", 2022, 1, 13.3),
    ("Zenbook Pro 14 Duo OLED UX8402ZE", 2022, 1, 14.5),
    ("Zenbook 14 OLED UX3405MA", 2024, 2, 14.0),
    ("ROG Zephyrus G15 GA502", 2019, 1, 15.6),
    ("ROG Zephyrus G14 GA401", 2020, 1, 14.0),
    ("ROG Zephyrus G15 GA503", 2021, 1, 15.6),
    ("ROG Strix G15 G513", 2021, 2, 15.6),
    ("ROG Flow X13 GV301", 2021, 1, 13.4),
    ("ROG Zephyrus G14 GA402", 2022, 1, 14.0),
    ("ROG Strix G16 G614", 2023, 2, 16.0),
    ("ROG Zephyrus G14 GA403", 2024, 1, 14.0),
    ("TUF Gaming A15 FA506", 2020, 3, 15.6),
    ("TUF Gaming F15 FX506", 2020, 3, 15.6),
    ("TUF Gaming F15 FX507", 2022, 3, 15.6),
    ("VivoBook 14 X412", 2019, 3, 14.0),
    ("VivoBook 15 X512", 2019, 3, 15.6),
    ("VivoBook 15 OLED K513", 2021, 3, 15.6),
    ("Vivobook 16 X1605", 2023, 3, 16.0),
    ("Vivobook Go 15 E1504", 2023, 3, 15.6),
)

_ACER_LAPTOPS: tuple[_Row, ...] = (
    ("Aspire 5 A515-54", 2019, 3, 15.6),
    ("Aspire 5 A515-56", 2020, 3, 15.6),
    ("Aspire 3 A315-58", 2021, 3, 15.6),
    ("Aspire Vero AV15-51", 2021, 3, 15.6),
    ("Aspire 5 A515-57", 2022, 3, 15.6),
    ("Swift 5 SF514-54", 2019, 2, 14.0),
    ("Swift 3 SF314-42", 2020, 2, 14.0),
    ("Swift 3 SF314-59", 2020, 2, 14.0),
    ("Swift 5 SF514-55", 2020, 2, 14.0),
    ("Swift X SFX14-41G", 2021, 2, 14.0),
    ("Swift Go 14 SFG14-71", 2023, 2, 14.0),
    ("Predator Helios 300 PH315-51", 2018, 2, 15.6),
    ("Predator Helios 300 PH315-52", 2019, 2, 15.6),
    ("Predator Triton 500 PT515-51", 2019, 1, 15.6),
    ("Predator Helios 300 PH315-53", 2020, 2, 15.6),
    ("Predator Helios 300 PH315-54", 2021, 2, 15.6),
    ("Predator Helios 300 PH315-55", 2022, 2, 15.6),
    ("Predator Helios Neo 16 PHN16-71", 2023, 2, 16.0),
    ("Nitro 5 AN515-54", 2019, 3, 15.6),
    ("Nitro 5 AN515-55", 2020, 3, 15.6),
    ("Nitro 5 AN515-57", 2021, 3, 15.6),
    ("Nitro 5 AN515-58", 2022, 3, 15.6),
)

_RAZER_LAPTOPS: tuple[_Row, ...] = (
    ("Blade 15 (2018)", 2018, 1, 15.6),
    ("Blade 15 (2019)", 2019, 1, 15.6),
    ("Blade Stealth 13 (2019)", 2019, 1, 13.3),
    ("Blade 15 (2020)", 2020, 1, 15.6),
    ("Blade Stealth 13 (2020)", 2020, 1, 13.3),
    ("Blade 15 (2021)", 2021, 1, 15.6),
    ("Blade 14 (2021)", 2021, 1, 14.0),
    ("Blade 15 (2022)", 2022, 1, 15.6),
    ("Blade 14 (2022)", 2022, 1, 14.0),
    ("Blade 14 (2023)", 2023, 1, 14.0),
    ("Blade 16 (2023)", 2023, 1, 16.0),
    ("Blade 18 (2023)", 2023, 1, 18.0),
    ("Blade 14 (2024)", 2024, 1, 14.0),
    ("Blade 16 (2024)", 2024, 1, 16.0),
    ("Blade 18 (2024)", 2024, 1, 18.0),
)

_SAMSUNG_LAPTOPS: tuple[_Row, ...] = (
    ("Galaxy Book2 Pro 13.3", 2022, 1, 13.3),
    ("Galaxy Book2 Pro 15.6", 2022, 1, 15.6),
    ("Galaxy Book3 Pro 14", 2023, 1, 14.0),
    ("Galaxy Book3 Pro 16", 2023, 1, 16.0),
)

_GOOGLE_LAPTOPS: tuple[_Row, ...] = (
    ("Pixelbook", 2017, 1, 12.3),
    ("Pixelbook Go", 2019, 2, 13.3),
)

_HUAWEI_LAPTOPS: tuple[_Row, ...] = (
    ("MateBook X Pro (2018)", 2018, 1, 13.9),
    ("MateBook X Pro (2020)", 2020, 1, 13.9),
)

_FRAMEWORK_LAPTOPS: tuple[_Row, ...] = (("Framework Laptop 13", 2021, 2, 13.5),)

# --------------------------------------------------------------------------------------------------
# Desktops
# --------------------------------------------------------------------------------------------------

_APPLE_DESKTOPS: tuple[_Row, ...] = (
    ("Mac mini (2014)", 2014, 2, None),
    ("iMac 21.5 (2015)", 2015, 2, 21.5),
    ("iMac 27 (5K, 2015)", 2015, 1, 27.0),
    ("iMac 21.5 (2017)", 2017, 2, 21.5),
    ("iMac 27 (5K, 2017)", 2017, 1, 27.0),
    ("iMac Pro (2017)", 2017, 1, 27.0),
    ("Mac mini (2018)", 2018, 2, None),
    ("iMac 21.5 (2019)", 2019, 2, 21.5),
    ("iMac 27 (5K, 2019)", 2019, 1, 27.0),
    ("Mac Pro (2019)", 2019, 1, None),
    ("iMac 27 (5K, 2020)", 2020, 1, 27.0),
    ("Mac mini (M1, 2020)", 2020, 2, None),
    ("iMac 24 (M1, 2021)", 2021, 2, 24.0),
    ("Mac Studio (2022)", 2022, 1, None),
    ("Mac mini (M2, 2023)", 2023, 2, None),
    ("Mac mini (M2 Pro, 2023)", 2023, 1, None),
    ("Mac Studio (2023)", 2023, 1, None),
    ("Mac Pro (2023)", 2023, 1, None),
    ("iMac 24 (M3, 2023)", 2023, 2, 24.0),
    ("iMac 24 (M4, 2024)", 2024, 2, 24.0),
    ("Mac mini (M4, 2024)", 2024, 2, None),
    ("Mac mini (M4 Pro, 2024)", 2024, 1, None),
    ("Mac Studio (2025)", 2025, 1, None),
)

_DELL_DESKTOPS: tuple[_Row, ...] = (
    ("OptiPlex 3050", 2017, 3, None),
    ("OptiPlex 5050", 2017, 2, None),
    ("OptiPlex 7050", 2017, 2, None),
    ("OptiPlex 3060", 2018, 3, None),
    ("OptiPlex 5060", 2018, 2, None),
    ("OptiPlex 7060", 2018, 2, None),
    ("OptiPlex 3070", 2019, 3, None),
    ("OptiPlex 5070", 2019, 2, None),
    ("OptiPlex 7070", 2019, 2, None),
    ("OptiPlex 3080", 2020, 3, None),
    ("OptiPlex 5080", 2020, 2, None),
    ("OptiPlex 7080", 2020, 2, None),
    ("OptiPlex 3090", 2021, 3, None),
    ("OptiPlex 5090", 2021, 2, None),
    ("OptiPlex 7090", 2021, 2, None),
    ("OptiPlex 3000", 2022, 3, None),
    ("OptiPlex 5000", 2022, 2, None),
    ("OptiPlex 7000", 2022, 2, None),
    ("Alienware Aurora R11", 2020, 1, None),
    ("Alienware Aurora R12", 2021, 1, None),
    ("Alienware Aurora R13", 2021, 1, None),
    ("Alienware Aurora R16", 2023, 1, None),
)

_HP_DESKTOPS: tuple[_Row, ...] = (
    ("EliteDesk 800 G4", 2018, 2, None),
    ("EliteDesk 800 G5", 2019, 2, None),
    ("ProDesk 400 G6", 2019, 3, None),
    ("EliteDesk 800 G6", 2020, 2, None),
    ("ProDesk 400 G7", 2020, 3, None),
    ("ProDesk 600 G6", 2020, 3, None),
    ("EliteDesk 800 G8", 2021, 2, None),
    ("EliteDesk 800 G9", 2022, 2, None),
)

_LENOVO_DESKTOPS: tuple[_Row, ...] = (
    ("ThinkCentre M720q", 2018, 3, None),
    ("ThinkCentre M920q", 2018, 2, None),
    ("ThinkCentre M75q Gen 2", 2021, 3, None),
)

_MICROSOFT_DESKTOPS: tuple[_Row, ...] = (
    ("Surface Studio 2", 2018, 1, 28.0),
    ("Surface Studio 2+", 2022, 1, 28.0),
)

# --------------------------------------------------------------------------------------------------
# Consoles (home consoles have no screen; handhelds list their built-in display)
# --------------------------------------------------------------------------------------------------

_SONY_CONSOLES: tuple[_Row, ...] = (
    ("PlayStation Vita", 2011, 2, 5.0),
    ("PlayStation Vita Slim", 2013, 2, 5.0),
    ("PlayStation 4", 2013, 2, None),
    ("PlayStation 4 Slim", 2016, 2, None),
    ("PlayStation 4 Pro", 2016, 1, None),
    ("PlayStation 5", 2020, 1, None),
    ("PlayStation 5 Digital Edition", 2020, 1, None),
    ("PlayStation 5 Slim", 2023, 1, None),
    ("PlayStation Portal", 2023, 2, 8.0),
    ("PlayStation 5 Pro", 2024, 1, None),
)

_MICROSOFT_CONSOLES: tuple[_Row, ...] = (
    ("Xbox One", 2013, 2, None),
    ("Xbox One S", 2016, 2, None),
    ("Xbox One X", 2017, 1, None),
    ("Xbox One S All-Digital Edition", 2019, 3, None),
    ("Xbox Series X", 2020, 1, None),
    ("Xbox Series S", 2020, 2, None),
)

_NINTENDO_CONSOLES: tuple[_Row, ...] = (
    ("3DS XL", 2012, 2, 4.88),
    ("Wii U", 2012, 2, None),
    ("New 3DS XL", 2014, 2, 4.88),
    ("New 2DS XL", 2017, 3, 4.88),
    ("Switch", 2017, 1, 6.2),
    ("Switch (improved battery)", 2019, 1, 6.2),
    ("Switch Lite", 2019, 2, 5.5),
    ("Switch OLED", 2021, 1, 7.0),
    ("Switch 2", 2025, 1, 7.9),
)

_VALVE_CONSOLES: tuple[_Row, ...] = (
    ("Steam Deck", 2022, 1, 7.0),
    ("Steam Deck OLED", 2023, 1, 7.4),
)

_ASUS_CONSOLES: tuple[_Row, ...] = (
    ("ROG Ally", 2023, 1, 7.0),
    ("ROG Ally X", 2024, 1, 7.0),
)

_LENOVO_CONSOLES: tuple[_Row, ...] = (("Legion Go", 2023, 1, 8.8),)

# --------------------------------------------------------------------------------------------------
# Watches (screen size: approximate display diagonal of the larger case)
# --------------------------------------------------------------------------------------------------

_APPLE_WATCHES: tuple[_Row, ...] = (
    ("Apple Watch Series 1", 2016, 2, 1.65),
    ("Apple Watch Series 2", 2016, 1, 1.65),
    ("Apple Watch Series 3", 2017, 1, 1.65),
    ("Apple Watch Series 4", 2018, 1, 1.78),
    ("Apple Watch Series 5", 2019, 1, 1.78),
    ("Apple Watch SE (1st generation)", 2020, 2, 1.78),
    ("Apple Watch Series 6", 2020, 1, 1.78),
    ("Apple Watch Series 7", 2021, 1, 1.9),
    ("Apple Watch SE (2nd generation)", 2022, 2, 1.78),
    ("Apple Watch Series 8", 2022, 1, 1.9),
    ("Apple Watch Ultra", 2022, 1, 1.92),
    ("Apple Watch Series 9", 2023, 1, 1.9),
    ("Apple Watch Ultra 2", 2023, 1, 1.92),
    ("Apple Watch Series 10", 2024, 1, 1.96),
)

_SAMSUNG_WATCHES: tuple[_Row, ...] = (
    ("Gear S3", 2016, 1, 1.3),
    ("Galaxy Watch", 2018, 1, 1.3),
    ("Galaxy Watch Active", 2019, 2, 1.1),
    ("Galaxy Watch Active2", 2019, 2, 1.4),
    ("Galaxy Watch3", 2020, 1, 1.4),
    ("Galaxy Watch4", 2021, 2, 1.4),
    ("Galaxy Watch4 Classic", 2021, 1, 1.4),
    ("Galaxy Watch5", 2022, 2, 1.4),
    ("Galaxy Watch5 Pro", 2022, 1, 1.4),
    ("Galaxy Watch6", 2023, 2, 1.5),
    ("Galaxy Watch6 Classic", 2023, 1, 1.5),
    ("Galaxy Watch7", 2024, 2, 1.5),
    ("Galaxy Watch Ultra", 2024, 1, 1.5),
)

_GOOGLE_WATCHES: tuple[_Row, ...] = (
    ("Pixel Watch", 2022, 1, 1.2),
    ("Pixel Watch 2", 2023, 1, 1.2),
    ("Pixel Watch 3", 2024, 1, 1.4),
)

_GARMIN_WATCHES: tuple[_Row, ...] = (
    ("Venu 2", 2021, 2, 1.3),
    ("fenix 7", 2022, 1, 1.3),
    ("Forerunner 255", 2022, 2, 1.3),
    ("Forerunner 965", 2023, 1, 1.4),
)

_FITBIT_WATCHES: tuple[_Row, ...] = (("Versa 3", 2020, 3, 1.58),)

_HUAWEI_WATCHES: tuple[_Row, ...] = (
    ("Watch GT 2", 2019, 3, 1.39),
    ("Watch GT 3", 2021, 3, 1.43),
)

# --------------------------------------------------------------------------------------------------
# Other gadgets shops commonly see
# --------------------------------------------------------------------------------------------------

_APPLE_OTHER: tuple[_Row, ...] = (
    ("AirPods Pro", 2019, 1, None),
    ("AirPods Max", 2020, 1, None),
    ("AirPods (3rd generation)", 2021, 2, None),
    ("AirPods Pro (2nd generation)", 2022, 1, None),
)

_SAMSUNG_OTHER: tuple[_Row, ...] = (
    ("Galaxy Buds2", 2021, 2, None),
    ("Galaxy Buds2 Pro", 2022, 1, None),
)

_SONY_OTHER: tuple[_Row, ...] = (
    ("WH-1000XM4", 2020, 1, None),
    ("WH-1000XM5", 2022, 1, None),
)

_META_OTHER: tuple[_Row, ...] = (
    ("Oculus Quest", 2019, 2, None),
    ("Quest 2", 2020, 2, None),
    ("Quest 3", 2023, 1, None),
    ("Quest 3S", 2024, 2, None),
)

_AMAZON_OTHER: tuple[_Row, ...] = (
    ("Kindle Oasis (10th generation)", 2019, 1, 7.0),
    ("Kindle Paperwhite (11th generation)", 2021, 2, 6.8),
)

_GOPRO_OTHER: tuple[_Row, ...] = (
    ("HERO9 Black", 2020, 1, 2.27),
    ("HERO10 Black", 2021, 1, 2.27),
    ("HERO11 Black", 2022, 1, 2.27),
)

_DJI_OTHER: tuple[_Row, ...] = (
    ("Mini 2", 2020, 2, None),
    ("Mini 3 Pro", 2022, 1, None),
)


DEVICE_MODELS: tuple[DeviceModelSeed, ...] = (
    # phones
    *_group("Apple", "phone", _APPLE_PHONES),
    *_group("Samsung", "phone", _SAMSUNG_PHONES),
    *_group("Google", "phone", _GOOGLE_PHONES),
    *_group("OnePlus", "phone", _ONEPLUS_PHONES),
    *_group("Xiaomi", "phone", _XIAOMI_PHONES),
    *_group("Motorola", "phone", _MOTOROLA_PHONES),
    *_group("Huawei", "phone", _HUAWEI_PHONES),
    *_group("Sony", "phone", _SONY_PHONES),
    *_group("Nokia", "phone", _NOKIA_PHONES),
    # tablets
    *_group("Apple", "tablet", _APPLE_TABLETS),
    *_group("Samsung", "tablet", _SAMSUNG_TABLETS),
    *_group("Microsoft", "tablet", _MICROSOFT_TABLETS),
    *_group("Lenovo", "tablet", _LENOVO_TABLETS),
    *_group("Amazon", "tablet", _AMAZON_TABLETS),
    # laptops
    *_group("Apple", "laptop", _APPLE_LAPTOPS),
    *_group("Microsoft", "laptop", _MICROSOFT_LAPTOPS),
    *_group("Dell", "laptop", _DELL_LAPTOPS),
    *_group("HP", "laptop", _HP_LAPTOPS),
    *_group("Lenovo", "laptop", _LENOVO_LAPTOPS),
    *_group("ASUS", "laptop", _ASUS_LAPTOPS),
    *_group("Acer", "laptop", _ACER_LAPTOPS),
    *_group("Razer", "laptop", _RAZER_LAPTOPS),
    *_group("Samsung", "laptop", _SAMSUNG_LAPTOPS),
    *_group("Google", "laptop", _GOOGLE_LAPTOPS),
    *_group("Huawei", "laptop", _HUAWEI_LAPTOPS),
    *_group("Framework", "laptop", _FRAMEWORK_LAPTOPS),
    # desktops
    *_group("Apple", "desktop", _APPLE_DESKTOPS),
    *_group("Dell", "desktop", _DELL_DESKTOPS),
    *_group("HP", "desktop", _HP_DESKTOPS),
    *_group("Lenovo", "desktop", _LENOVO_DESKTOPS),
    *_group("Microsoft", "desktop", _MICROSOFT_DESKTOPS),
    # consoles
    *_group("Sony", "console", _SONY_CONSOLES),
    *_group("Microsoft", "console", _MICROSOFT_CONSOLES),
    *_group("Nintendo", "console", _NINTENDO_CONSOLES),
    *_group("Valve", "console", _VALVE_CONSOLES),
    *_group("ASUS", "console", _ASUS_CONSOLES),
    *_group("Lenovo", "console", _LENOVO_CONSOLES),
    # watches
    *_group("Apple", "watch", _APPLE_WATCHES),
    *_group("Samsung", "watch", _SAMSUNG_WATCHES),
    *_group("Google", "watch", _GOOGLE_WATCHES),
    *_group("Garmin", "watch", _GARMIN_WATCHES),
    *_group("Fitbit", "watch", _FITBIT_WATCHES),
    *_group("Huawei", "watch", _HUAWEI_WATCHES),
    # other
    *_group("Apple", "other", _APPLE_OTHER),
    *_group("Samsung", "other", _SAMSUNG_OTHER),
    *_group("Sony", "other", _SONY_OTHER),
    *_group("Meta", "other", _META_OTHER),
    *_group("Amazon", "other", _AMAZON_OTHER),
    *_group("GoPro", "other", _GOPRO_OTHER),
    *_group("DJI", "other", _DJI_OTHER),
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


# --------------------------------------------------------------------------------------------------
# Repair intake text
# --------------------------------------------------------------------------------------------------

ISSUE_DESCRIPTIONS_BY_TYPE: dict[str, tuple[str, ...]] = {
    "phone": (
        "Cracked screen after a drop, touch still works",
        "Screen shattered, display shows green lines and touch is dead",
        "Battery drains within two hours",
        "Battery swollen, back glass is lifting",
        "Won't charge, port seems loose",
        "Water damage, phone fell in the sink",
        "Back glass cracked, camera lens also chipped",
        "Rear camera blurry and won't focus",
        "Earpiece too quiet, callers can barely be heard",
        "Microphone not working, people can't hear me on calls",
        "Face ID stopped working after a fall",
        "Stuck on the boot logo after an update",
        "Power button pressed in and doesn't click anymore",
        "No service, SIM card not detected",
        "Restarts randomly and gets hot while charging",
    ),
    "tablet": (
        "Cracked screen after a drop, touch still works",
        "Digitizer cracked in the corner, ghost touches",
        "Battery drains overnight in standby",
        "Won't charge, USB-C port is loose",
        "Won't turn on after being left uncharged for months",
        "LCD has a bright spot and backlight bleed",
        "Home button not responding",
        "Stylus stopped pairing and won't charge on the side",
        "Speakers crackle at higher volume",
        "Bent frame, screen separating from the housing",
        "Kid spilled juice on it, some keys on the screen don't respond",
    ),
    "laptop": (
        "Fan very loud and overheating",
        "Keyboard not working after coffee spill",
        "Several keys sticky or repeating",
        "Cracked screen, hinge also stiff",
        "Hinge broken, lid wobbles and the case is splitting",
        "Battery won't hold charge, dies as soon as the charger is unplugged",
        "Won't power on, no lights at all",
        "Charging port wobbly, only charges at an angle",
        "Trackpad clicks by itself, battery might be swelling",
        "Very slow, takes ten minutes to boot",
        "Blue screen on startup, data needs to be saved",
        "Screen flickers when the lid is moved",
        "Wi-Fi keeps disconnecting",
        "Hard drive clicking, wants an SSD upgrade and data transfer",
    ),
    "desktop": (
        "Won't power on, power supply suspected",
        "Turns on but no picture on the monitor",
        "Fan very loud and overheating",
        "Very slow, wants an SSD and RAM upgrade",
        "Random shutdowns under load",
        "Blue screen after Windows update",
        "Hard drive failing, needs data recovery",
        "USB ports on the front not working",
        "Display on the all-in-one has vertical lines",
        "Beeps on startup and won't boot",
    ),
    "console": (
        "HDMI port damaged, no picture on TV",
        "Disc drive won't accept or eject discs",
        "Overheating and shutting down mid-game",
        "Fan very loud, sounds like a jet engine",
        "Joy-Con drift on the left stick",
        "Controller stick drift, character walks by itself",
        "Won't charge in the dock",
        "Cracked screen on the handheld after a drop",
        "Stuck in safe mode after an update",
        "Blue light of death, powers on then turns off",
        "Game card slot not reading cartridges",
        "Shoulder button stuck and not registering",
    ),
    "watch": (
        "Cracked screen after hitting a door frame",
        "Screen popped off, adhesive failed",
        "Battery lasts less than half a day",
        "Won't charge on the magnetic charger",
        "Digital crown stuck and not scrolling",
        "Water got inside after swimming, display fogged",
        "Heart rate sensor gives no reading",
        "Won't pair with the phone anymore",
        "Touch screen unresponsive in places",
    ),
    "other": (
        "Left earbud not charging in the case",
        "Charging case won't charge, no light",
        "Crackling sound in the right ear cup",
        "Headband cracked near the hinge",
        "Lens cracked after a drop",
        "Won't power on after being left in the rain",
        "Battery drains fast and the device gets warm",
        "Screen shows ghost images and won't refresh",
        "Gimbal error after a crash landing",
        "Tracking lost constantly, one camera seems faulty",
    ),
}

COSMETIC_CONDITIONS: tuple[str, ...] = (
    "Like new",
    "Light scratches on the back",
    "Light scratches on the screen",
    "Scuffs on the frame edges",
    "Dented corner, screen intact",
    "Cracked back glass",
    "Heavy wear, paint chipped on the corners",
    "Sticker residue on the back",
    "Missing a screw on the bottom panel",
    "In a case, not inspected underneath by customer's request",
)

STATUS_NOTES: dict[str, tuple[str, ...]] = {
    "received": (
        "Device checked in at the counter, customer informed about diagnosis fee",
        "Received with charger, no case",
        "Customer left passcode for testing",
        "Dropped off without passcode, customer will call with it",
        "Photos of the device condition taken at intake",
    ),
    "diagnosing": (
        "Opened the device, inspecting the board",
        "Running hardware diagnostics",
        "Checking for liquid damage indicators",
        "Testing with a known-good battery",
        "Reproduced the fault, looking for the cause",
    ),
    "quoted": (
        "Quote sent to the customer by SMS",
        "Called the customer with the price, waiting for approval",
        "Quote emailed, includes screen and battery option",
        "Board-level repair needed, quote includes no-fix-no-fee",
    ),
    "approved": (
        "Customer approved the quote by phone",
        "Approved via the SMS link",
        "Customer approved screen only, declined battery",
        "Deposit paid at the counter, go ahead",
    ),
    "repairing": (
        "Replacing the screen assembly",
        "Battery swap in progress",
        "Cleaning corrosion from the board",
        "Replacing the charging port flex",
        "Reflowing and replacing the damaged connector",
    ),
    "waiting_parts": (
        "Screen assembly ordered from supplier, ETA 3 days",
        "Battery on backorder, supplier says next week",
        "Charging port ordered, arrives tomorrow",
        "Waiting on a replacement hinge from the manufacturer",
        "Part arrived damaged, reorder placed",
    ),
    "testing": (
        "Repair done, running a full function test",
        "Charging and battery health look good",
        "Testing cameras, speakers and microphones",
        "Burn-in test overnight before handing back",
    ),
    "completed": (
        "Repair complete, customer notified by SMS",
        "All tests passed, ready for pickup",
        "Completed and cleaned, invoice ready",
        "Done, left a note about the worn battery",
    ),
    "delivered": (
        "Picked up by the customer, paid by card",
        "Collected and paid in cash",
        "Customer tested the device at the counter and was happy",
        "Shipped back to the customer with tracking",
    ),
    "cancelled": (
        "Customer declined the quote",
        "Not economical to repair, returned unrepaired",
        "Customer chose to replace the device instead",
        "Part no longer available, repair cancelled",
        "Customer did not respond to the quote within 30 days",
    ),
}


# --------------------------------------------------------------------------------------------------
# What the bench does about each intake issue
# --------------------------------------------------------------------------------------------------


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


_SCREEN = IssueFix(("Screen replacement",))
_BATTERY = IssueFix(("Battery replacement",))
_CHARGING_PORT = IssueFix(("Charging port repair",))
_FAN = IssueFix(("Fan cleaning and thermal paste",))
_HANDHELDS = ("Switch", "Steam Deck", "ROG Ally", "Legion Go", "3DS", "2DS", "Vita", "PlayStation Portal")
_EARBUDS = ("AirPods", "Galaxy Buds")
_HOME_BUTTON_IPADS = (
    "iPad (5th",
    "iPad (6th",
    "iPad (7th",
    "iPad (8th",
    "iPad (9th",
    "iPad Air 2",
    "iPad Air (3rd",
    "iPad mini 4",
    "iPad mini (5th",
    "iPad Pro 9.7",
    "iPad Pro 10.5",
    "iPad Pro 12.9 (1st",
    "iPad Pro 12.9 (2nd",
)
_WINDOWS_DESKTOPS = ("Dell", "HP", "Lenovo", "Microsoft")

# Keyed by device type, then by the exact text of ISSUE_DESCRIPTIONS_BY_TYPE.
ISSUE_FIXES: dict[str, dict[str, IssueFix]] = {
    "phone": {
        "Cracked screen after a drop, touch still works": _SCREEN,
        "Screen shattered, display shows green lines and touch is dead": _SCREEN,
        "Battery drains within two hours": _BATTERY,
        "Battery swollen, back glass is lifting": IssueFix(("Battery replacement", "Back glass replacement")),
        "Won't charge, port seems loose": _CHARGING_PORT,
        "Water damage, phone fell in the sink": IssueFix(("Water damage treatment", "Battery replacement")),
        "Back glass cracked, camera lens also chipped": IssueFix(
            ("Back glass replacement", "Rear camera replacement")
        ),
        "Rear camera blurry and won't focus": IssueFix(("Rear camera replacement",)),
        "Earpiece too quiet, callers can barely be heard": IssueFix(("Speaker and earpiece replacement",)),
        # The bottom microphone sits on the charging port flex.
        "Microphone not working, people can't hear me on calls": _CHARGING_PORT,
        "Face ID stopped working after a fall": IssueFix(
            ("Logic board repair",), only=("iPhone X", "iPhone 1")
        ),
        "Stuck on the boot logo after an update": IssueFix(
            ("Diagnostics",), labour="Firmware restore with data backup"
        ),
        "Power button pressed in and doesn't click anymore": IssueFix(
            ("Diagnostics",), labour="Power button flex replacement"
        ),
        "No service, SIM card not detected": IssueFix(("Logic board repair",)),
        "Restarts randomly and gets hot while charging": _BATTERY,
    },
    "tablet": {
        "Cracked screen after a drop, touch still works": _SCREEN,
        "Digitizer cracked in the corner, ghost touches": _SCREEN,
        "Battery drains overnight in standby": _BATTERY,
        "Won't charge, USB-C port is loose": _CHARGING_PORT,
        "Won't turn on after being left uncharged for months": _BATTERY,
        "LCD has a bright spot and backlight bleed": _SCREEN,
        "Home button not responding": IssueFix(
            ("Diagnostics",), labour="Home button flex replacement", only=_HOME_BUTTON_IPADS
        ),
        "Stylus stopped pairing and won't charge on the side": IssueFix(
            ("Logic board repair",),
            only=("iPad Pro", "iPad Air", "iPad mini (6th", "iPad mini (A17", "Tab S"),
        ),
        "Speakers crackle at higher volume": IssueFix(("Diagnostics",), labour="Speaker module replacement"),
        "Bent frame, screen separating from the housing": IssueFix(
            ("Screen replacement",), labour="Frame straightening"
        ),
        "Kid spilled juice on it, some keys on the screen don't respond": IssueFix(
            ("Water damage treatment", "Screen replacement")
        ),
    },
    "laptop": {
        "Fan very loud and overheating": _FAN,
        "Keyboard not working after coffee spill": IssueFix(
            ("Water damage treatment", "Keyboard replacement")
        ),
        "Several keys sticky or repeating": IssueFix(("Keyboard replacement",)),
        "Cracked screen, hinge also stiff": IssueFix(("Screen replacement",), labour="Hinge adjustment"),
        "Hinge broken, lid wobbles and the case is splitting": IssueFix(
            ("Diagnostics",), labour="Hinge and bottom case repair"
        ),
        "Battery won't hold charge, dies as soon as the charger is unplugged": _BATTERY,
        "Won't power on, no lights at all": IssueFix(("Logic board repair",)),
        # Laptop charging ports are soldered to the board.
        "Charging port wobbly, only charges at an angle": IssueFix(("Logic board repair",)),
        # A swelling battery pushes the trackpad up from below.
        "Trackpad clicks by itself, battery might be swelling": IssueFix(
            ("Battery replacement", "Trackpad replacement")
        ),
        "Very slow, takes ten minutes to boot": IssueFix(("SSD upgrade",)),
        "Blue screen on startup, data needs to be saved": IssueFix(
            ("Data recovery",), labour="Operating system reinstall"
        ),
        "Screen flickers when the lid is moved": _SCREEN,
        "Wi-Fi keeps disconnecting": IssueFix(("Diagnostics",), labour="Wi-Fi card and antenna replacement"),
        "Hard drive clicking, wants an SSD upgrade and data transfer": IssueFix(
            ("SSD upgrade", "Data recovery")
        ),
    },
    "desktop": {
        "Won't power on, power supply suspected": IssueFix(
            ("Diagnostics",), labour="Power supply replacement"
        ),
        "Turns on but no picture on the monitor": IssueFix(
            ("Diagnostics",), labour="Graphics card reseat and driver reinstall", only=_WINDOWS_DESKTOPS
        ),
        "Fan very loud and overheating": _FAN,
        "Very slow, wants an SSD and RAM upgrade": IssueFix(("SSD upgrade",), labour="RAM upgrade fitting"),
        "Random shutdowns under load": _FAN,
        "Blue screen after Windows update": IssueFix(
            ("Diagnostics",), labour="Windows repair install", only=_WINDOWS_DESKTOPS
        ),
        "Hard drive failing, needs data recovery": IssueFix(("Data recovery", "SSD upgrade")),
        "USB ports on the front not working": IssueFix(
            ("Diagnostics",), labour="Front I/O panel replacement"
        ),
        "Display on the all-in-one has vertical lines": IssueFix(
            ("Screen replacement",), only=("iMac", "Surface Studio")
        ),
        "Beeps on startup and won't boot": IssueFix(
            ("Diagnostics",), labour="Memory test and RAM reseat", only=_WINDOWS_DESKTOPS
        ),
    },
    "console": {
        "HDMI port damaged, no picture on TV": IssueFix(("HDMI port repair",)),
        "Disc drive won't accept or eject discs": IssueFix(
            ("Diagnostics",),
            labour="Disc drive repair",
            only=("PlayStation 4", "PlayStation 5", "Xbox One", "Xbox Series X", "Wii U"),
            excluding=("Digital",),
        ),
        "Overheating and shutting down mid-game": _FAN,
        "Fan very loud, sounds like a jet engine": _FAN,
        "Joy-Con drift on the left stick": IssueFix(("Analog stick drift repair",), only=("Switch",)),
        "Controller stick drift, character walks by itself": IssueFix(("Analog stick drift repair",)),
        "Won't charge in the dock": IssueFix(("Charging port repair",), only=("Switch",)),
        "Cracked screen on the handheld after a drop": _SCREEN,
        "Stuck in safe mode after an update": IssueFix(
            ("Diagnostics",), labour="System software reinstall", only=("PlayStation 4", "PlayStation 5")
        ),
        "Blue light of death, powers on then turns off": IssueFix(
            ("Logic board repair",), only=("PlayStation 4",)
        ),
        "Game card slot not reading cartridges": IssueFix(
            ("Diagnostics",), labour="Game card reader replacement", only=("Switch", "3DS", "2DS")
        ),
        "Shoulder button stuck and not registering": IssueFix(
            ("Diagnostics",), labour="Shoulder button replacement", only=_HANDHELDS
        ),
    },
    "watch": {
        "Cracked screen after hitting a door frame": _SCREEN,
        # A swollen battery is what usually pushes a watch's screen off.
        "Screen popped off, adhesive failed": IssueFix(
            ("Battery replacement",), labour="Screen reseal with new adhesive"
        ),
        "Battery lasts less than half a day": _BATTERY,
        "Won't charge on the magnetic charger": _BATTERY,
        "Digital crown stuck and not scrolling": IssueFix(
            ("Diagnostics",), labour="Digital Crown cleaning and repair", only=("Apple Watch",)
        ),
        "Water got inside after swimming, display fogged": IssueFix(
            ("Screen replacement",), labour="Ultrasonic cleaning and drying"
        ),
        "Heart rate sensor gives no reading": IssueFix(
            ("Diagnostics",), labour="Back sensor crystal replacement"
        ),
        "Won't pair with the phone anymore": IssueFix(("Diagnostics",), labour="Firmware restore"),
        "Touch screen unresponsive in places": _SCREEN,
    },
    "other": {
        "Left earbud not charging in the case": IssueFix(("Battery replacement",), only=_EARBUDS),
        "Charging case won't charge, no light": IssueFix(("Charging port repair",), only=_EARBUDS),
        "Crackling sound in the right ear cup": IssueFix(
            ("Diagnostics",), labour="Ear cup driver replacement", only=("AirPods Max", "WH-1000")
        ),
        "Headband cracked near the hinge": IssueFix(
            ("Diagnostics",), labour="Headband replacement", only=("AirPods Max", "WH-1000", "Quest")
        ),
        "Lens cracked after a drop": IssueFix(
            ("Diagnostics",), labour="Lens replacement", only=("GoPro", "Quest", "DJI")
        ),
        "Won't power on after being left in the rain": IssueFix(("Water damage treatment",)),
        "Battery drains fast and the device gets warm": _BATTERY,
        "Screen shows ghost images and won't refresh": IssueFix(("Screen replacement",), only=("Kindle",)),
        "Gimbal error after a crash landing": IssueFix(
            ("Diagnostics",), labour="Gimbal motor replacement", only=("DJI",)
        ),
        "Tracking lost constantly, one camera seems faulty": IssueFix(
            ("Diagnostics",), labour="Tracking camera replacement", only=("Quest",)
        ),
    },
}

# Labour the bench sometimes adds to any repair of a device type, with the usual hours.
EXTRA_LABOUR: dict[str, tuple[str, ...]] = {
    "phone": ("Data backup and transfer", "Screen protector fitting", "Deep cleaning of ports and speakers"),
    "tablet": ("Data backup and transfer", "Deep cleaning of ports and speakers"),
    "laptop": ("Data backup and transfer", "Internal dust cleaning", "Operating system updates and checks"),
    "desktop": ("Data backup and transfer", "Internal dust cleaning", "Operating system updates and checks"),
    "console": ("Internal dust cleaning",),
    "watch": (),
    "other": (),
}

QUOTE_NOTES: tuple[str, ...] = (
    "Parts in stock, ready the same day once approved",
    "Parts to be ordered, two to three working days after approval",
    "Price includes a full function test after the repair",
    "Diagnosis fee waived when the repair goes ahead",
    "Data stays on the device; we recommend a backup all the same",
)

# --------------------------------------------------------------------------------------------------
# What customers write, by language (Fixdesk's customers write in English, Portuguese or Spanish)
# --------------------------------------------------------------------------------------------------

# Why a quote was declined before the repair was cancelled, and before it was quoted again.
DECLINE_REASONS: dict[str, tuple[str, ...]] = {
    "en": (
        "Too expensive for a device this old, I'll replace it",
        "Found a cheaper offer elsewhere",
        "Not worth it, I'm buying a new one",
        "I'll use it as it is for now",
    ),
    "pt": (
        "Demasiado caro para um aparelho com esta idade, vou substituí-lo",
        "Encontrei uma proposta mais barata",
        "Não compensa, vou comprar um novo",
    ),
    "es": (
        "Demasiado caro para un equipo tan viejo, voy a reemplazarlo",
        "Encontré una oferta más barata",
        "No vale la pena, voy a comprar uno nuevo",
    ),
}
REQUOTE_REASONS: dict[str, tuple[str, ...]] = {
    "en": (
        "Can you quote a cheaper part?",
        "A bit over budget, is there a cheaper option?",
        "Please quote the aftermarket part instead",
    ),
    "pt": ("Podem orçamentar uma peça mais barata?", "Um pouco acima do orçamento, há opção mais barata?"),
    "es": ("¿Pueden cotizar una pieza más barata?", "Un poco fuera de presupuesto, ¿hay otra opción?"),
}

# Review comments by language and rating (1–5).
REVIEW_COMMENTS: dict[str, dict[int, tuple[str, ...]]] = {
    "en": {
        5: (
            "Fast and friendly, works like new.",
            "Fixed the same day and kept me updated the whole time.",
            "Fair price and the screen looks perfect.",
            "Explained everything clearly and finished earlier than promised.",
            "Best repair shop in town, highly recommend.",
            "Battery lasts all day again. Thank you!",
        ),
        4: (
            "Good repair, took a day longer than expected.",
            "Works well, a bit pricey but worth it.",
            "Friendly staff, I had to wait a while at pickup.",
            "Solid job, the online updates were handy.",
        ),
        3: (
            "The repair is fine but communication could be better.",
            "OK job, it took almost a week.",
            "Works now, but the quote took a while to arrive.",
        ),
        2: ("Had to come back because the problem returned.", "Slow, and nobody called me back."),
        1: ("The device still has the same problem.", "Waited two weeks with no updates."),
    },
    "pt": {
        5: (
            "Serviço rápido e simpático, ficou como novo.",
            "Reparação no próprio dia, recomendo!",
            "Excelente atendimento e preço justo.",
        ),
        4: (
            "Bom trabalho, demorou um dia a mais do que o previsto.",
            "Funciona bem, um pouco caro mas valeu a pena.",
        ),
        3: ("A reparação está boa, mas a comunicação podia ser melhor.", "Demorou quase uma semana."),
        2: ("Tive de voltar porque o problema regressou.",),
        1: ("O aparelho continua com o mesmo problema.",),
    },
    "es": {
        5: (
            "Servicio rápido y amable, quedó como nuevo.",
            "Lo arreglaron el mismo día, muy recomendable.",
            "Excelente atención y precio justo.",
        ),
        4: (
            "Buen trabajo, tardó un día más de lo previsto.",
            "Funciona bien, un poco caro pero valió la pena.",
        ),
        3: ("La reparación está bien, pero la comunicación podría mejorar.",),
        2: ("Tuve que volver porque el problema regresó.",),
        1: ("El equipo sigue con el mismo problema.",),
    },
}
