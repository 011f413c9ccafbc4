"""The demo shop's bench as stored: line items, labour, quotes, warranties and reviews of every demo repair keep
the services' rules (totals, price sources, quote lifecycle, warranty dates), loaded once per backend with a
shop tax rate and time zone."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from fixdesk.catalog.models import PartType, PriceHistory, Pricing, RepairType
from fixdesk.customers.models import Customer
from fixdesk.demo.devices import DECLINE_REASONS, REQUOTE_REASONS, REVIEW_COMMENTS
from fixdesk.demo.loader import PORTAL_CUSTOMER_EMAIL, load_demo
from fixdesk.repairs.items import totals as money
from fixdesk.repairs.models import (
    Quote,
    QuoteItem,
    QuoteLabour,
    Repair,
    RepairItem,
    RepairLabour,
    RepairReview,
    RepairStatusHistory,
    Warranty,
)
from fixdesk.repairs.warranty.service import warranty_end
from tests.conftest import make_settings
from tests.demo.conftest import DEMO_NOW

# load_demo writes through its own engine and commits.
pytestmark = pytest.mark.commits

TAX_RATE = Decimal("8.25")
ZONE = "America/Chicago"
MONEY_COLUMNS = ("repair_type_id", "part_type_id", "part_quality", "pricing_id", "description", "quantity")
AMOUNTS = ("unit_price", "unit_cost", "discount", "line_total")


@pytest.fixture
async def settings(database_url, tmp_path):
    return make_settings(
        database_url, tmp_path, rate_limit_auth="1000/minute", tax_rate=TAX_RATE, shop_timezone=ZONE
    )


async def rows_of(connection, table, *order):
    statement = select(table)
    if order:
        statement = statement.order_by(*order)
    return (await connection.execute(statement)).mappings().all()


def grouped(rows, key):
    result = defaultdict(list)
    for row in rows:
        result[row[key]].append(row)
    return result


def money_of(line) -> tuple:
    return tuple(line[c] for c in MONEY_COLUMNS + AMOUNTS)


def shop_day(moment: datetime):
    return moment.astimezone(ZoneInfo(ZONE)).date()


async def test_the_demo_bench_keeps_the_services_rules(engine, app, settings):
    now = DEMO_NOW
    summary = await load_demo(settings, scale=1, now=now, sections=())
    async with engine.connect() as connection:
        repairs = await rows_of(connection, Repair.__table__)
        history = grouped(
            await rows_of(
                connection,
                RepairStatusHistory.__table__,
                RepairStatusHistory.created_at,
                RepairStatusHistory.id,
            ),
            "repair_id",
        )
        items = grouped(await rows_of(connection, RepairItem.__table__, RepairItem.position), "repair_id")
        labour = grouped(
            await rows_of(connection, RepairLabour.__table__, RepairLabour.position), "repair_id"
        )
        quotes = grouped(await rows_of(connection, Quote.__table__, Quote.version), "repair_id")
        quote_items = grouped(await rows_of(connection, QuoteItem.__table__, QuoteItem.position), "quote_id")
        quote_labour = grouped(
            await rows_of(connection, QuoteLabour.__table__, QuoteLabour.position), "quote_id"
        )
        warranties = grouped(await rows_of(connection, Warranty.__table__), "repair_id")
        reviews = {row.repair_id: row for row in await rows_of(connection, RepairReview.__table__)}
        prices = {row.id: row for row in await rows_of(connection, Pricing.__table__)}
        price_history = grouped(await rows_of(connection, PriceHistory.__table__), "pricing_id")
        part_types = {row.id: row for row in await rows_of(connection, PartType.__table__)}
        repair_types = {row.id: row.name for row in await rows_of(connection, RepairType.__table__)}
        customers = {row.id: row for row in await rows_of(connection, Customer.__table__)}

    # The summary tells the truth.
    assert summary.repair_items == sum(len(v) for v in items.values()) > 0
    assert summary.repair_labour == sum(len(v) for v in labour.values()) > 0
    assert summary.quotes == sum(len(v) for v in quotes.values()) > 0
    assert summary.quote_lines == sum(len(v) for v in quote_items.values()) + sum(
        len(v) for v in quote_labour.values()
    )
    assert summary.warranties == sum(len(v) for v in warranties.values()) > 0
    assert summary.reviews == len(reviews) > 0

    sources: Counter[str] = Counter()
    quote_statuses: Counter[str] = Counter()
    early = Counter()
    sent_valid = sent_expired = discounted = 0
    done = reviewed = 0
    for repair in repairs:
        steps = history[repair.id]
        statuses = [step.to_status for step in steps]
        lines, work = items.get(repair.id, []), labour.get(repair.id, [])
        assert repair.tax_rate == TAX_RATE

        # Totals: the items service's rule over the stored lines, at the shop's tax rate.
        for line in lines:
            assert line.line_total == money.item_total(line.quantity, line.unit_price, line.discount)
            assert line.created_at <= line.updated_at <= repair.updated_at
            discounted += line.discount > 0
        for line in work:
            assert line.line_total == money.labour_total(line.hours, line.rate)
        if lines or work:
            subtotal = sum((line.line_total for line in (*lines, *work)), money.ZERO)
            assert repair.subtotal == subtotal
            assert repair.tax_amount == money.tax_on(subtotal, TAX_RATE)
            assert repair.total_cost == repair.subtotal + repair.tax_amount
        elif repair.total_cost is not None:  # priced by hand at the counter, before any quote
            assert (repair.subtotal, repair.tax_amount) == (repair.total_cost, money.ZERO)
            assert "quoted" not in statuses
        else:
            assert (repair.subtotal, repair.tax_amount, repair.deposit) == (0, 0, 0)
        if repair.total_cost is not None:
            assert 0 <= repair.deposit <= repair.total_cost
        if "quoted" not in statuses and repair.status in ("received", "diagnosing"):
            early["lines" if lines else "no lines"] += 1

        # Price sources: the list (with a price of the repair's device in effect), the estimator, by hand.
        for line in lines:
            sources[line.price_source] += 1
            part = part_types.get(line.part_type_id)
            if part is not None:
                assert line.part_quality == part.quality
            else:
                assert repair_types[line.repair_type_id] in (
                    "Diagnostics",
                    "Data recovery",
                    "Logic board repair",
                )
            if line.price_source == "catalog" or (line.price_source == "quote" and line.pricing_id):
                price = prices[line.pricing_id]
                assert price.device_model_id == repair.device_model_id
                assert (price.repair_type_id, price.part_type_id) == (line.repair_type_id, line.part_type_id)
                changes = price_history[price.id]
                assert line.unit_price in {change.new_price for change in changes}
                assert line.unit_cost in {change.new_cost for change in changes}
            elif line.price_source == "estimate":
                assert line.pricing_id is None
                assert part is not None
                assert 0 < line.estimate_confidence < 1
            elif line.price_source == "manual":
                assert part is None

        # Quotes: one per time the repair entered quoted, decided by what followed.
        entered = [index for index, status in enumerate(statuses) if status == "quoted"]
        own_quotes = quotes.get(repair.id, [])
        assert [quote.version for quote in own_quotes] == list(range(1, len(entered) + 1))
        if entered:
            assert lines, repair.repair_number
        for quote, index in zip(own_quotes, entered, strict=True):
            quote_statuses[quote.status] += 1
            assert quote.sent_at == steps[index].created_at
            assert quote.created_by_id == steps[index].changed_by_id
            assert quote.tax_rate == TAX_RATE
            quote_lines = quote_items.get(quote.id, []) + quote_labour.get(quote.id, [])
            subtotal = sum((line.line_total for line in quote_lines), money.ZERO)
            assert (quote.subtotal, quote.tax_amount) == (subtotal, money.tax_on(subtotal, TAX_RATE))
            assert quote.total == quote.subtotal + quote.tax_amount
            following = steps[index + 1] if index + 1 < len(steps) else None
            if following is None:
                assert (quote.status, repair.status) == ("sent", "quoted")
                if quote.valid_until >= shop_day(now):
                    sent_valid += 1
                else:
                    sent_expired += 1
            elif following.to_status == "approved":
                assert quote.status == "approved"
                assert quote.decided_at == following.created_at
            elif quote.status == "sent":  # never answered, expired before the cancellation
                assert following.to_status == "cancelled"
                assert "did not respond" in following.notes
                assert quote.valid_until < shop_day(following.created_at)
            else:
                assert quote.status == "declined"
                assert quote.sent_at < quote.decided_at <= following.created_at
                language = customers[repair.customer_id].language
                reasons = REQUOTE_REASONS if following.to_status == "diagnosing" else DECLINE_REASONS
                assert quote.decline_reason in reasons[language]
            if quote.decided_at is not None:
                assert quote.valid_until >= shop_day(quote.decided_at)

        # The repair's lines are the last quote's; approved ones as approve_quote copies them.
        if own_quotes:
            last = own_quotes[-1]
            assert [money_of(line) for line in lines] == [
                money_of(line) for line in quote_items.get(last.id, [])
            ]
            if "approved" in statuses:
                assert last.status == "approved"
                assert {line.price_source for line in lines} == {"quote"}
                assert all(line.estimate_confidence is None for line in lines)
            else:
                assert "quote" not in {line.price_source for line in lines}

        # Warranties: one per part with warranty months, once completed, dated in the shop's time zone.
        own_warranties = sorted(warranties.get(repair.id, []), key=lambda w: w.repair_item_id)
        review = reviews.get(repair.id)
        if repair.status in ("completed", "delivered"):
            done += 1
            warranted = sorted(
                (
                    line
                    for line in lines
                    if part_types.get(line.part_type_id, {}).get("warranty_months", 0) > 0
                ),
                key=lambda line: line.id,
            )
            assert [w.repair_item_id for w in own_warranties] == [line.id for line in warranted]
            starts_on = shop_day(repair.actual_completion)
            for warranty, line in zip(own_warranties, warranted, strict=True):
                months = part_types[line.part_type_id].warranty_months
                assert (warranty.starts_on, warranty.warranty_months) == (starts_on, months)
                assert warranty.ends_on == warranty_end(starts_on, months)
                assert warranty.part_cost == money.round_money(line.unit_cost * line.quantity)
                assert (warranty.installed_serial, warranty.removed_serial) == (
                    line.installed_serial,
                    line.removed_serial,
                )
                assert warranty.description == line.description
            if review is not None:
                reviewed += 1
                assert review.customer_id == repair.customer_id
                assert repair.actual_completion < review.created_at <= now
                language = customers[repair.customer_id].language
                assert review.comment is None or review.comment in REVIEW_COMMENTS[language][review.rating]
        else:
            assert own_warranties == []
            assert review is None

    # The bench shows every kind of line, quote and answer.
    assert {"catalog", "estimate", "manual", "quote"} <= set(sources)
    assert {"sent", "approved", "declined"} <= set(quote_statuses)
    assert sent_valid > 0
    assert sent_expired > 0
    assert discounted > 0
    assert early["lines"] > 0
    assert early["no lines"] > 0
    assert 0.45 < reviewed / done < 0.75
    ratings = [review.rating for review in reviews.values()]
    assert sum(ratings) / len(ratings) > 3.8
    assert Counter(ratings).most_common(1)[0][0] == 5
    assert {customers[review.customer_id].language for review in reviews.values()} >= {"en", "pt"}

    # Issues and repairs fit: a cracked screen gets a screen replacement.
    screen = next(id_ for id_, name in repair_types.items() if name == "Screen replacement")
    cracked = [r for r in repairs if r.issue_description.startswith("Cracked screen") and items.get(r.id)]
    assert cracked
    assert all(any(line.repair_type_id == screen for line in items[r.id]) for r in cracked)

    # The portal customer can try both: a completed repair already rated, and a fresh quote to answer.
    portal = next(id_ for id_, customer in customers.items() if customer.email == PORTAL_CUSTOMER_EMAIL)
    own = [r for r in repairs if r.customer_id == portal]
    assert any(r.status == "completed" and r.id in reviews for r in own)
    assert any(r.status in ("completed", "delivered") and r.id not in reviews for r in own)
    quoted = [r for r in own if r.status == "quoted"]
    assert quoted
    assert all(
        quotes[r.id][-1].status == "sent" and quotes[r.id][-1].valid_until >= shop_day(now) for r in quoted
    )
