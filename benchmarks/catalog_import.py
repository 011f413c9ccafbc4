"""Benchmark the catalog CSV import on PostgreSQL: ``python benchmarks/catalog_import.py [ROWS]`` (default
100,000).

Generates a supplier-style price list of ``ROWS`` rows over the 831 real device models of the demo
(``fixdesk.demo.devices``): each model with the repairs that fit its device type, parts from four
suppliers in every quality grade, prices plausible by tier, year and grade (deterministic from a seed).
(Re)creates the database ``fixdesk_bench_catalog`` on 127.0.0.1:5432 as user ``postgres`` (override the
server with ``FIXDESK_BENCH_POSTGRES``, e.g. ``postgresql://postgres@db.internal:5432``), migrates it and
imports, with the progress bar on, three times:

1. the file into the empty catalog (everything created),
2. the same file again (everything unchanged),
3. the file with every price and cost raised by about 7 % (every price updated, with a price-history row
   and a ``catalog.price_changed`` event each).

It prints the time and rows per second of each. The database is left in place for inspection; drop it
with ``dropdb fixdesk_bench_catalog``. The issue's target: 100,000 rows in under a minute.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import random
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from demo_scale import SERVER, recreate_database
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from fixdesk import migrations
from fixdesk.catalog.transfer import COLUMNS, ImportReport, import_catalog
from fixdesk.cli import RichImportProgress
from fixdesk.db import create_engine, make_sessionmaker, round_money
from fixdesk.demo.catalog import QUALITY_FACTORS, TIER_FACTORS
from fixdesk.demo.devices import DEVICE_MODELS

DATABASE = "fixdesk_bench_catalog"
SEED = 2026

# (repair type, part kind, base price in USD for a standard 2021 device with an original part) by device type.
REPAIRS: dict[str, tuple[tuple[str, str, int], ...]] = {
    "phone": (
        ("Screen replacement", "Display assembly", 229),
        ("Battery replacement", "Battery", 89),
        ("Charging port repair", "Charging port flex", 99),
        ("Back glass replacement", "Back glass", 149),
        ("Rear camera replacement", "Rear camera module", 139),
        ("Front camera replacement", "Front camera module", 99),
        ("Speaker and earpiece replacement", "Speaker and earpiece", 79),
        ("Power button repair", "Power button flex", 69),
        ("Volume button repair", "Volume button flex", 69),
        ("Vibration motor replacement", "Taptic engine", 59),
        ("SIM tray replacement", "SIM tray", 29),
        ("Water damage treatment", "Corrosion treatment consumables", 99),
    ),
    "tablet": (
        ("Screen replacement", "Display assembly", 249),
        ("Digitizer replacement", "Digitizer glass", 179),
        ("Battery replacement", "Battery", 119),
        ("Charging port repair", "Charging port flex", 119),
        ("Rear camera replacement", "Rear camera module", 129),
        ("Home button repair", "Home button flex", 79),
    ),
    "laptop": (
        ("Screen replacement", "Display panel", 399),
        ("Battery replacement", "Battery", 159),
        ("Keyboard replacement", "Keyboard", 179),
        ("Trackpad replacement", "Trackpad", 149),
        ("Charging port repair", "DC-in / USB-C board", 129),
        ("Hinge repair", "Hinge set", 119),
        ("Fan replacement", "Cooling fan", 99),
        ("SSD upgrade", "NVMe SSD 1 TB", 149),
    ),
    "desktop": (
        ("Power supply replacement", "Power supply", 149),
        ("SSD upgrade", "NVMe SSD 1 TB", 139),
        ("Fan replacement", "Cooling fan", 89),
        ("Memory upgrade", "RAM 16 GB", 99),
    ),
    "console": (
        ("HDMI port repair", "HDMI port", 129),
        ("Fan replacement", "Cooling fan", 89),
        ("Disc drive repair", "Disc drive", 119),
        ("Analog stick drift repair", "Analog stick module", 49),
        ("Power supply replacement", "Power supply", 99),
    ),
    "watch": (
        ("Screen replacement", "Display assembly", 199),
        ("Battery replacement", "Battery", 89),
        ("Back glass replacement", "Back crystal", 99),
    ),
    "other": (
        ("Battery replacement", "Battery", 79),
        ("Screen replacement", "Display assembly", 129),
        ("Charging port repair", "Charging port", 69),
    ),
}
SUPPLIERS = ("MobileSentrix", "Injured Gadgets", "iFixit", "Fixez")


def price_list(rows: int, seed: int = SEED) -> list[list[str]]:
    """``rows`` data rows of the import format (header not included), deterministic from ``seed``; every
    row a distinct price (device model × repair type × part type × quality). About 117,000 at most.
    Prices scale with the demo catalog's tier and quality factors (``fixdesk.demo.catalog``)."""
    rng = random.Random(seed)
    records: list[list[str]] = []
    for device in DEVICE_MODELS:
        age = min(1.3, max(0.75, 1 + 0.05 * (device.release_year - 2021)))
        device_cells = [
            device.brand,
            device.name,
            device.model_number or "",
            str(device.release_year),
            device.device_type,
            "" if device.screen_size is None else str(device.screen_size),
            str(device.tier_level),
        ]
        for repair, kind, base in REPAIRS[device.device_type]:
            for supplier in SUPPLIERS:
                for quality, factor in QUALITY_FACTORS.items():
                    amount = base * TIER_FACTORS[device.tier_level] * age * factor * rng.uniform(0.92, 1.08)
                    price = Decimal(max(19, round(amount / 10) * 10 - 1))
                    cost = round_money(price * Decimal(str(round(rng.uniform(0.25, 0.55), 3))))
                    price_cells = [repair, f"{kind} ({supplier})", quality, f"{price:.2f}", f"{cost:.2f}"]
                    records.append([*device_cells, *price_cells, "", "", ""])
                    if len(records) == rows:
                        return records
    raise ValueError(f"the generator makes at most {len(records):,} distinct prices")


def to_csv(records: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(records)
    return buffer.getvalue().encode()


def raised(records: list[list[str]]) -> list[list[str]]:
    """The same rows with every price and cost up by about 7 % (rounded half-up to cents)."""
    price_index, cost_index = COLUMNS.index("price"), COLUMNS.index("cost")
    factor = Decimal("1.07")
    changed = []
    for record in records:
        record = list(record)
        record[price_index] = f"{round_money(Decimal(record[price_index]) * factor)}"
        record[cost_index] = f"{round_money(Decimal(record[cost_index]) * factor)}"
        changed.append(record)
    return changed


async def run_import(database_url: str, data: bytes, console: Console) -> tuple[ImportReport, float]:
    engine = create_engine(database_url)
    try:
        progress = Progress(
            TextColumn("{task.description:<10}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        )
        started = time.perf_counter()
        with progress:
            report = await import_catalog(
                make_sessionmaker(engine),
                data,
                source_name="benchmark.csv",
                progress=RichImportProgress(progress),
            )
        return report, time.perf_counter() - started
    finally:
        await engine.dispose()


def describe(label: str, report: ImportReport, seconds: float) -> str:
    prices = report.prices
    return (
        f"{label}: {report.rows:,} rows in {seconds:.1f} s = {report.rows / seconds:,.0f} rows/s "
        f"(prices {prices.created:,} created, {prices.updated:,} updated, {prices.unchanged:,} unchanged; "
        f"{report.device_models.created + report.device_models.updated:,} device models written, "
        f"{report.price_history:,} price-history rows, {len(report.rejected)} rejected)"
    )


def main(argv: list[str]) -> None:
    rows = int(argv[1]) if len(argv) > 1 else 100_000
    console = Console(stderr=True)
    records = price_list(rows)
    first, changed = to_csv(records), to_csv(raised(records))
    console.print(f"Generated {rows:,} rows ({len(first) / 1e6:.1f} MB).")
    database_url = asyncio.run(recreate_database(SERVER, DATABASE))
    migrations.upgrade(database_url)
    with tempfile.TemporaryDirectory() as data_dir:
        # The CLI's environment: no app, so the cache invalidation goes to this process's caches only.
        os.environ.setdefault("FIXDESK_DATA_DIR", str(Path(data_dir)))
        results = [
            ("first import (all created)", *asyncio.run(run_import(database_url, first, console))),
            ("same file again (all unchanged)", *asyncio.run(run_import(database_url, first, console))),
            ("every price changed", *asyncio.run(run_import(database_url, changed, console))),
        ]
    for label, report, seconds in results:
        print(describe(label, report, seconds))


if __name__ == "__main__":
    main(sys.argv)
