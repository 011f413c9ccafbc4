"""The demo bench's rules on hand-built histories (no database): prices from the demo price list in effect on
the day, the real estimator elsewhere, the quotes a history implies, warranties dated like the service's,
and reviews."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from fixdesk.catalog import estimator
from fixdesk.config import Settings
from fixdesk.demo.bench import LINES_BEFORE_QUOTE, Bench, BenchRows, Step
from fixdesk.demo.catalog import DemoPrice, build_demo_catalog
from fixdesk.demo.devices import DECLINE_REASONS, DEVICE_MODELS, REQUOTE_REASONS, REVIEW_COMMENTS
from fixdesk.repairs.items import totals as money
from fixdesk.repairs.models import RepairStatus as S
from fixdesk.repairs.warranty.service import warranty_end

NOW = datetime(2026, 3, 14, 15, 0, tzinfo=UTC)
CATALOG = build_demo_catalog(seed=3, now=NOW)
DEVICES = {(d.brand, d.name): d for d in DEVICE_MODELS}
IPHONE = DEVICES[("Apple", "iPhone 13")]
MOTOROLA = DEVICES[("Motorola", "Moto G Power (2021)")]
CRACKED = "Cracked screen after a drop, touch still works"
BATTERY = "Battery drains within two hours"
STAFF = uuid.uuid4()
CHICAGO = Settings(env="test", shop_timezone="America/Chicago")
FULL_ROUTE = (
    "received",
    "diagnosing",
    "quoted",
    "approved",
    "repairing",
    "testing",
    "completed",
    "delivered",
)


def history(*statuses: str, hours_apart: float = 20, note: str = "note") -> list[Step]:
    """Steps ending a minute before NOW, ``hours_apart`` hours from each other."""
    end = int(NOW.timestamp()) - 60
    count = len(statuses)
    return [
        Step(S(status), end - int((count - 1 - index) * hours_apart * 3600), STAFF, note)
        for index, status in enumerate(statuses)
    ]


def run(
    steps, *, device=IPHONE, issue=CRACKED, seed=1, tax="8.25", language="en", review=None, settings=None
):
    bench = Bench(
        random.Random(seed), CATALOG, tax_rate=Decimal(tax), settings=settings, now_ts=int(NOW.timestamp())
    )
    rows = BenchRows()
    price = bench.work(
        repair_id=uuid.uuid4(),
        customer_id=uuid.uuid4(),
        language=language,
        device=device,
        device_model_id=CATALOG.device_ids[(device.brand, device.name)],
        issue=issue,
        steps=steps,
        review=review,
        rows=rows,
    )
    return price, rows


def line_totals(rows: BenchRows) -> list[Decimal]:
    return [row["line_total"] for row in rows.items] + [row["line_total"] for row in rows.labour]


def test_a_priced_device_is_priced_from_the_list_in_effect_and_totalled_with_tax():
    steps = history("received", "diagnosing", "quoted")
    price, rows = run(steps)
    screens = [row for row in rows.items if row["description"].startswith("Screen replacement (Display")]
    assert screens, rows.items
    item = screens[0]
    assert item["price_source"] == "catalog"
    listed = CATALOG.price_at(
        CATALOG.device_ids[("Apple", "iPhone 13")],
        CATALOG.repair_type_ids["Screen replacement"],
        item["part_type_id"],
        datetime.fromtimestamp(steps[2].moment, UTC),
    )
    assert listed is not None
    assert (item["pricing_id"], item["unit_price"], item["unit_cost"]) == (listed[0].id, listed[1], listed[2])
    assert item["line_total"] == money.item_total(item["quantity"], item["unit_price"], item["discount"])
    # The repair's totals: the service's rule at the shop's tax rate.
    subtotal = sum(line_totals(rows), money.ZERO)
    assert price.subtotal == subtotal
    assert price.tax_amount == money.tax_on(subtotal, Decimal("8.25")) > 0
    assert price.total_cost == price.subtotal + price.tax_amount
    # A quote still out, sent when the repair entered quoted, with the repair's lines.
    (quote,) = rows.quotes
    assert quote["status"] == "sent"
    assert quote["sent_at"] == datetime.fromtimestamp(steps[2].moment, UTC)
    assert quote["valid_until"] >= NOW.date() + timedelta(days=7)
    assert quote["total"] == price.total_cost
    assert [row["unit_price"] for row in rows.quote_items] == [row["unit_price"] for row in rows.items]


def test_a_device_without_list_prices_is_priced_by_the_real_estimator():
    _, rows = run(history("received", "diagnosing", "quoted"), device=MOTOROLA, issue=BATTERY)
    (item,) = [row for row in rows.items if row["description"].startswith("Battery replacement")]
    assert item["price_source"] == "estimate"
    assert item["pricing_id"] is None
    # The estimator over the whole price list, as estimate_price would run it.
    battery = CATALOG.repair_type_ids["Battery replacement"]
    points = [
        estimator.PricePoint(
            pricing_id=p.id,
            device=CATALOG.device_profiles[p.device_model_id],
            repair_type_id=p.repair_type_id,
            part_quality=p.part_quality,
            price=p.price,
        )
        for p in CATALOG.prices
    ]
    target = CATALOG.device_profiles[CATALOG.device_ids[("Motorola", "Moto G Power (2021)")]]
    expected = estimator.estimate(target, battery, item["part_quality"], points, at=NOW)
    assert expected is not None
    assert (item["unit_price"], item["estimate_confidence"]) == (expected.price, expected.confidence)
    assert 0 < item["estimate_confidence"] < 1
    assert item["unit_cost"] < item["unit_price"]


def test_a_declined_quote_is_re_quoted_cheaper_and_the_approved_one_becomes_the_repairs_lines():
    statuses = ("received", "diagnosing", "quoted", "diagnosing", "quoted", *FULL_ROUTE[3:])
    steps = history(*statuses)
    price, rows = run(steps, language="pt", settings=CHICAGO)
    first, second = rows.quotes
    assert (first["version"], first["status"], second["version"], second["status"]) == (
        1,
        "declined",
        2,
        "approved",
    )
    assert first["decline_reason"] in REQUOTE_REASONS["pt"]
    assert steps[2].moment < first["decided_at"].timestamp() <= steps[3].moment
    assert second["decided_at"] == datetime.fromtimestamp(steps[5].moment, UTC)  # the approval
    assert second["total"] < first["total"]
    # Approved: the quote's lines are the repair's, priced "quote" as approve_quote copies them.
    second_lines = [row for row in rows.quote_items if row["quote_id"] == second["id"]]
    money_columns = ("repair_type_id", "part_type_id", "pricing_id", "quantity", "unit_price", "discount")
    assert [[row[c] for c in money_columns] for row in rows.items] == [
        [row[c] for c in money_columns] for row in second_lines
    ]
    assert {row["price_source"] for row in rows.items} == {"quote"}
    assert all(row["estimate_confidence"] is None for row in rows.items)
    assert price.total_cost == second["total"]
    # Completed: a warranty per part with warranty months, from the completion date in the shop's zone.
    completed = datetime.fromtimestamp(steps[statuses.index("completed")].moment, UTC)
    starts_on = completed.astimezone(ZoneInfo("America/Chicago")).date()
    warranted = [row for row in rows.items if row["part_type_id"] is not None]
    assert len(rows.warranties) == len(warranted) >= 1
    for warranty, item in zip(rows.warranties, warranted, strict=True):
        months = next(p.warranty_months for p in CATALOG.part_types.values() if p.id == item["part_type_id"])
        assert warranty["repair_item_id"] == item["id"]
        assert (warranty["warranty_months"], warranty["starts_on"]) == (months, starts_on)
        assert warranty["ends_on"] == warranty_end(starts_on, months)
        assert warranty["part_cost"] == money.round_money(item["unit_cost"] * item["quantity"])
        assert warranty["installed_serial"] == item["installed_serial"]


@pytest.mark.parametrize(
    ("note", "status"),
    [
        ("Customer declined the quote", "declined"),
        ("Customer did not respond to the quote within 30 days", "sent"),
    ],
)
def test_a_repair_cancelled_after_its_quote(note, status):
    steps = history("received", "diagnosing", "quoted", "cancelled", hours_apart=24 * 10, note=note)
    price, rows = run(steps, language="es")
    (quote,) = rows.quotes
    cancelled_on = datetime.fromtimestamp(steps[-1].moment, UTC).date()
    assert quote["status"] == status
    if status == "declined":
        assert quote["decline_reason"] in DECLINE_REASONS["es"]
        assert quote["decided_at"] <= datetime.fromtimestamp(steps[-1].moment, UTC)
    else:  # never answered: it had run out before the shop gave up
        assert quote["decided_at"] is None
        assert quote["valid_until"] < cancelled_on
    assert rows.warranties == []
    assert rows.reviews == []
    assert price.total_cost == quote["total"]


def test_reviews_follow_completion_in_the_customers_language_and_slow_repairs_rate_lower():
    def ratings(hours_apart: float) -> list[int]:
        steps = history(*FULL_ROUTE, hours_apart=hours_apart)
        completed = steps[FULL_ROUTE.index("completed")].moment
        found = []
        for seed in range(60):
            _, rows = run(steps, seed=seed, language="pt", review=True)
            (review,) = rows.reviews
            assert completed < review["created_at"].timestamp() <= NOW.timestamp()
            assert review["comment"] is None or review["comment"] in REVIEW_COMMENTS["pt"][review["rating"]]
            found.append(review["rating"])
            assert run(steps, seed=seed, review=False)[1].reviews == []
        return found

    quick = ratings(hours_apart=12)  # completed within four days
    slow = ratings(hours_apart=40)  # almost two weeks
    assert sum(quick) / len(quick) > 4.0
    assert max(set(quick), key=quick.count) == 5
    assert sum(slow) / len(slow) < sum(quick) / len(quick)


def test_early_repairs_are_sometimes_priced_and_sometimes_not():
    outcomes = {"lines": 0, "by hand": 0, "none": 0}
    for seed in range(300):
        price, rows = run(history("received", "diagnosing"), seed=seed)
        assert rows.quotes == []
        if rows.items:
            outcomes["lines"] += 1
            assert price.total_cost == price.subtotal + price.tax_amount
        elif price.total_cost is not None:
            outcomes["by hand"] += 1
            # Priced by hand at the counter: the agreed price is the subtotal, no separate tax.
            assert (price.subtotal, price.tax_amount) == (price.total_cost, money.ZERO)
        else:
            outcomes["none"] += 1
    share = outcomes["lines"] / 300
    assert LINES_BEFORE_QUOTE[S.diagnosing] - 0.1 < share < LINES_BEFORE_QUOTE[S.diagnosing] + 0.1
    assert outcomes["by hand"] > 10
    assert outcomes["none"] > 50
    # Cancelled before anyone priced it: nothing.
    price, rows = run(history("received", "cancelled"))
    assert (price.total_cost, rows.items, rows.quotes) == (None, [], [])


def test_a_changed_price_applies_from_its_change_on():
    changed = datetime(2026, 1, 10, tzinfo=UTC)
    price = DemoPrice(
        id=uuid.uuid4(),
        device_model_id=uuid.uuid4(),
        repair_type_id=uuid.uuid4(),
        part_type_id=uuid.uuid4(),
        part_quality="original",
        price=Decimal("279.00"),
        cost=Decimal("150.00"),
        first_price=Decimal("249.00"),
        first_cost=Decimal("130.00"),
        changed_at=changed,
    )
    assert price.in_effect(changed - timedelta(seconds=1)) == (Decimal("249.00"), Decimal("130.00"))
    assert price.in_effect(changed) == (Decimal("279.00"), Decimal("150.00"))
    assert any(p.changed_at is not None for p in CATALOG.prices)
