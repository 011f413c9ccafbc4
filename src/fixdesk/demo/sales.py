"""The demo shop's counter and web shop (issue 13, item 9): 300 parts and accessories with their stock
ledger, a year of orders and the website's visitors, for the products, orders and sales dashboard pages.

**Products.** :data:`PRODUCT_COUNT` real parts and accessories for the phones and laptops the shop
repairs (screens, batteries, charging ports, cameras, back glass; laptop batteries, keyboards, SSDs, RAM,
chargers; cases, screen protectors, cables, chargers, power banks, earbuds), each with a unique SKU
(``SCR-IP13``, ``LBAT-MBA-A2337``, ``CBL-C-LTG-1M``…), a cost and a price with a category's margin, a low-stock
threshold, and a few with a barcode (EAN-13 with its check digit).

**Orders.** ``1,200 × scale`` orders over the 12 months before ``now`` (more on Saturdays and in December),
a third online and the rest at the counter, of one to three products each, priced and taxed by the rule of
:func:`fixdesk.sales.orders.service.create_order` (:mod:`fixdesk.repairs.items.totals` at
``FIXDESK_TAX_RATE``) and numbered ``ORD-YYYY-NNNNNN`` gap-free per shop year in order of placing, the
``number_sequences`` counter left at the last one. Old orders are completed (paid, a few refunded) or
cancelled; the last days' are still pending or processing. Customers are the demo's, each ordering only
after they became a customer.

**Stock** is a ledger like the service writes it (:mod:`fixdesk.sales.products.stock`): an opening receipt
a year ago, a ``sold`` movement per order line, a ``returned`` one when an order was cancelled, restocks
from the supplier whenever a product ran low, and, for about one product in twelve, a stock count that
leaves it at or below its threshold now (the low-stock list is never empty). ``on_hand`` is the sum of the
movements and ``on_hand_after`` the running sum; ``low_stock`` is set where the stock is at or below the
threshold.

**Visitors**: the last 90 shop days of the website's and portal's visitors (keyed hashes of made-up visitor
ids, as :func:`fixdesk.sales.dashboard.service.visitor_hash` stores them), some returning.

Everything draws from its own random stream (``seed``), so the rest of the demo shop is the same with or
without it, and is written in bulk by the demo loader.
"""

from __future__ import annotations

import bisect
import random
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from fixdesk.customers.models import Customer, CustomerStatus
from fixdesk.db import new_id, round_money
from fixdesk.repairs.items import totals as money
from fixdesk.sales.dashboard.service import visitor_hash
from fixdesk.sales.models import (
    MovementKind,
    Order,
    OrderItem,
    OrderStatus,
    OrderType,
    PaymentStatus,
    Product,
    StockMovement,
    Visit,
    VisitSource,
)
from fixdesk.sales.orders.service import ORDER_NUMBER_PREFIX

Batch = list[tuple[Table, list[dict[str, Any]]]]

PRODUCT_COUNT = 300
ORDERS_PER_SCALE = 1_200
VISIT_DAYS = 90
BATCH_ORDERS = 1_000
SALES_TABLES: tuple[Table, ...] = (
    Product.__table__,
    Order.__table__,
    OrderItem.__table__,
    StockMovement.__table__,
    Visit.__table__,
)

# --- the catalogue ------------------------------------------------------------------------------------------
# (model name, SKU code) of the phones and laptops whose parts and accessories the shop stocks.
PHONES: tuple[tuple[str, str], ...] = (
    ("iPhone 11", "IP11"),
    ("iPhone 12", "IP12"),
    ("iPhone 12 Pro", "IP12P"),
    ("iPhone 13", "IP13"),
    ("iPhone 13 Pro", "IP13P"),
    ("iPhone 14", "IP14"),
    ("iPhone 14 Pro", "IP14P"),
    ("iPhone 15", "IP15"),
    ("iPhone 15 Pro", "IP15P"),
    ("iPhone 15 Pro Max", "IP15PM"),
    ("iPhone SE (2022)", "IPSE3"),
    ("Samsung Galaxy S21", "GS21"),
    ("Samsung Galaxy S22", "GS22"),
    ("Samsung Galaxy S23", "GS23"),
    ("Samsung Galaxy S23 Ultra", "GS23U"),
    ("Samsung Galaxy S24", "GS24"),
    ("Samsung Galaxy A54", "GA54"),
    ("Samsung Galaxy A34", "GA34"),
    ("Google Pixel 6", "PX6"),
    ("Google Pixel 7", "PX7"),
    ("Google Pixel 7a", "PX7A"),
    ("Google Pixel 8", "PX8"),
    ("Google Pixel 8 Pro", "PX8P"),
    ("Motorola Moto G Power (2023)", "MGP23"),
    ("iPhone 16", "IP16"),
    ("iPhone 16 Pro", "IP16P"),
    ("Samsung Galaxy S24 Ultra", "GS24U"),
    ("Samsung Galaxy A15", "GA15"),
    ("Google Pixel 9", "PX9"),
    ("OnePlus 12", "OP12"),
)
# (part name, SKU prefix, category, cost range in dollars, margin, low-stock threshold, weight)
PHONE_PARTS: tuple[tuple[str, str, str, tuple[int, int], float, int, float], ...] = (
    ("OLED screen assembly", "SCR", "Screens", (38, 140), 1.9, 3, 1.0),
    ("Battery", "BAT", "Batteries", (9, 24), 2.4, 5, 1.0),
    ("USB-C / Lightning charging port flex", "PRT", "Charging ports", (4, 12), 3.0, 4, 0.8),
    ("Rear camera module", "CAM", "Cameras", (18, 70), 1.8, 2, 0.5),
    ("Back glass", "BKG", "Back glass", (6, 18), 2.6, 3, 0.7),
    ("Clear MagSafe-compatible case", "CASE", "Cases", (3, 7), 3.5, 8, 1.3),
    ("Tempered glass screen protector (2-pack)", "GLS", "Screen protectors", (1, 3), 6.0, 10, 1.6),
)
LAPTOPS: tuple[tuple[str, str], ...] = (
    ('MacBook Air 13" (M1, A2337)', "MBA-A2337"),
    ('MacBook Air 13" (M2, A2681)', "MBA-A2681"),
    ('MacBook Pro 13" (A2338)', "MBP-A2338"),
    ('MacBook Pro 14" (A2442)', "MBP-A2442"),
    ("Dell XPS 13 9310", "XPS-9310"),
    ("Dell Latitude 5420", "LAT-5420"),
    ("Lenovo ThinkPad T14 Gen 2", "TP-T14G2"),
    ("Lenovo ThinkPad X1 Carbon Gen 9", "TP-X1C9"),
    ("HP EliteBook 840 G8", "HP-840G8"),
    ("HP Pavilion 15", "HP-PAV15"),
    ("ASUS ZenBook 14 UX425", "ASUS-UX425"),
    ("Acer Aspire 5 A515", "ACER-A515"),
)
LAPTOP_PARTS: tuple[tuple[str, str, str, tuple[int, int], float, int, float], ...] = (
    ("Battery", "LBAT", "Laptop batteries", (28, 75), 1.9, 2, 1.0),
    ("Keyboard (US layout)", "KBD", "Keyboards", (18, 60), 2.0, 2, 0.7),
    ("Display panel", "LCD", "Laptop screens", (70, 260), 1.6, 1, 0.5),
    ("DC-in / USB-C power board", "DCIN", "Charging ports", (8, 25), 2.5, 2, 0.5),
    ("Cooling fan", "FAN", "Cooling", (7, 20), 2.6, 2, 0.4),
)
# (name, SKU, category, cost, price, threshold, weight): parts and accessories that fit many devices.
GENERAL: tuple[tuple[str, str, str, str, str, int, float], ...] = (
    ("Samsung 970 EVO Plus NVMe SSD 500 GB", "SSD-970EP-500", "Storage", "38.00", "69.00", 3, 0.8),
    ("Samsung 970 EVO Plus NVMe SSD 1 TB", "SSD-970EP-1T", "Storage", "58.00", "99.00", 3, 0.7),
    ("Crucial P3 NVMe SSD 1 TB", "SSD-CP3-1T", "Storage", "44.00", "85.00", 3, 0.7),
    ('Crucial MX500 2.5" SATA SSD 500 GB', "SSD-MX500-500", "Storage", "33.00", "65.00", 3, 0.6),
    ("Kingston 8 GB DDR4-3200 SODIMM", "RAM-D4-8G", "Memory", "15.00", "35.00", 4, 0.8),
    ("Kingston 16 GB DDR4-3200 SODIMM", "RAM-D4-16G", "Memory", "27.00", "59.00", 4, 0.8),
    ("Crucial 16 GB DDR5-4800 SODIMM", "RAM-D5-16G", "Memory", "34.00", "69.00", 3, 0.5),
    ("Apple 20 W USB-C power adapter", "CHG-APL-20W", "Chargers", "11.00", "24.00", 6, 1.5),
    ("Anker 30 W Nano USB-C charger", "CHG-ANK-30W", "Chargers", "12.00", "29.00", 6, 1.4),
    ("Samsung 25 W Super Fast charger", "CHG-SAM-25W", "Chargers", "10.00", "24.99", 5, 1.0),
    ("Anker 65 W GaN USB-C laptop charger", "CHG-ANK-65W", "Chargers", "24.00", "49.99", 4, 0.9),
    ("Lenovo 65 W USB-C laptop charger", "CHG-LEN-65W", "Chargers", "22.00", "45.00", 3, 0.6),
    ("Dell 65 W USB-C laptop charger", "CHG-DEL-65W", "Chargers", "23.00", "47.00", 3, 0.6),
    ("Apple 67 W USB-C power adapter", "CHG-APL-67W", "Chargers", "38.00", "69.00", 2, 0.5),
    ("USB-C to Lightning cable 1 m", "CBL-C-LTG-1M", "Cables", "3.00", "14.99", 12, 2.0),
    ("USB-C to USB-C cable 1 m (60 W)", "CBL-C-C-1M", "Cables", "2.50", "12.99", 12, 2.0),
    ("USB-C to USB-C cable 2 m (100 W)", "CBL-C-C-2M", "Cables", "4.00", "17.99", 8, 1.2),
    ("USB-A to Lightning cable 1 m", "CBL-A-LTG-1M", "Cables", "2.50", "11.99", 8, 1.0),
    ("USB-C to HDMI adapter", "ADP-C-HDMI", "Adapters", "6.00", "19.99", 4, 0.6),
    ("USB-C 7-in-1 hub", "ADP-C-HUB7", "Adapters", "14.00", "39.99", 3, 0.5),
    ("Anker PowerCore 10,000 mAh power bank", "PWR-ANK-10K", "Power banks", "14.00", "32.99", 4, 0.8),
    ("Anker PowerCore 20,000 mAh power bank", "PWR-ANK-20K", "Power banks", "24.00", "49.99", 3, 0.6),
    ("Apple AirPods (3rd generation)", "AUD-APL-AP3", "Audio", "118.00", "169.00", 2, 0.4),
    ("Apple EarPods (USB-C)", "AUD-APL-EPC", "Audio", "9.00", "19.00", 5, 0.8),
    ("JBL Tune 130NC earbuds", "AUD-JBL-130NC", "Audio", "38.00", "79.95", 2, 0.4),
    ("Thermal paste Arctic MX-4 (4 g)", "SUP-MX4-4G", "Repair supplies", "3.50", "9.99", 5, 0.5),
    ("iFixit Mako precision bit set", "TLS-IFX-MAKO", "Tools", "22.00", "39.99", 2, 0.3),
    ("Screen cleaning kit", "SUP-CLN-KIT", "Repair supplies", "1.50", "7.99", 6, 0.9),
    ("MicroSD card SanDisk 128 GB", "MEM-SD-128", "Storage", "9.00", "19.99", 5, 0.7),
    ("USB flash drive SanDisk 64 GB", "MEM-USB-64", "Storage", "5.00", "12.99", 5, 0.6),
    ('Laptop sleeve 13"', "BAG-SLV-13", "Bags", "7.00", "24.99", 3, 0.5),
    ('Laptop sleeve 15"', "BAG-SLV-15", "Bags", "8.00", "27.99", 3, 0.4),
    ("Wireless mouse Logitech M185", "PER-LOG-M185", "Peripherals", "9.00", "19.99", 3, 0.5),
    ("Apple Watch band 41 mm (sport)", "WCH-BND-41", "Watch accessories", "5.00", "19.99", 3, 0.4),
    ("Apple Watch band 45 mm (sport)", "WCH-BND-45", "Watch accessories", "5.00", "19.99", 3, 0.4),
)
NOTES = (
    "Customer picks up after work",
    "Gift wrap, please",
    "Fitted in store",
    "Ship to the address on file",
    "Called ahead to reserve",
)


@dataclass(frozen=True, slots=True)
class DemoProduct:
    row: dict[str, Any]
    weight: float


@dataclass(frozen=True, slots=True)
class DemoCustomer:
    id: uuid.UUID
    created_at: datetime


async def load_customers(connection: AsyncConnection) -> list[DemoCustomer]:
    """The demo's active customers who may order, oldest first (one query)."""
    rows = await connection.execute(
        select(Customer.id, Customer.created_at)
        .where(Customer.status == CustomerStatus.active.value)
        .order_by(Customer.created_at, Customer.id)
    )
    return [
        DemoCustomer(row.id, row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC))
        for row in rows
    ]


def _ean13(rng: random.Random) -> str:
    digits = [rng.randrange(10) for _ in range(12)]
    digits[0], digits[1], digits[2] = 0, 8, 4  # a US/Canada GS1 prefix
    check = (10 - sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10) % 10
    return "".join(map(str, digits)) + str(check)


def _price(cost: Decimal, margin: float) -> Decimal:
    """A shop price: cost × margin, ending in .99 or .90 like price tags do."""
    raw = int(cost * Decimal(str(margin)))
    return Decimal(raw) + (Decimal("0.99") if raw % 2 else Decimal("0.90"))


class SalesGenerator:
    """Rows of the demo shop's sales for ``now`` (see the module docstring)."""

    def __init__(
        self,
        *,
        seed: int,
        scale: int,
        now: datetime,
        zone: str,
        tax_rate: Decimal,
        staff: Sequence[uuid.UUID],
        signing_key: str,
    ) -> None:
        self.rng = random.Random(f"{seed}:sales")
        self.scale = scale
        self.now = now
        self.zone = ZoneInfo(zone)
        self.tax_rate = tax_rate
        self.staff = list(staff)
        self.signing_key = signing_key
        self.last_order_numbers: dict[int, int] = {}
        self.counts: dict[str, int] = defaultdict(int)

    # ---------------------------------------------------------------------------------------------- products

    def products(self) -> list[DemoProduct]:
        """The 300 products: the general parts and accessories, every laptop part for every laptop model,
        then every phone part for every phone model, trimmed to :data:`PRODUCT_COUNT` in a stable order."""
        rng = self.rng
        created = self.now - timedelta(days=380)
        specs: list[tuple[str, str, str, Decimal, Decimal, int, float]] = []
        for name, sku, category, cost, price, threshold, weight in GENERAL:
            specs.append((name, sku, category, Decimal(cost), Decimal(price), threshold, weight))
        for model, code in LAPTOPS:
            for part, prefix, category, (low, high), margin, threshold, weight in LAPTOP_PARTS:
                cost = Decimal(rng.randint(low * 100, high * 100)) / 100
                specs.append(
                    (
                        f"{model} {part}",
                        f"{prefix}-{code}",
                        category,
                        cost,
                        _price(cost, margin),
                        threshold,
                        weight,
                    )
                )
        for model, code in PHONES:
            for part, prefix, category, (low, high), margin, threshold, weight in PHONE_PARTS:
                cost = Decimal(rng.randint(low * 100, high * 100)) / 100
                popularity = 1.6 if code.startswith(("IP13", "IP14", "IP15", "GS23")) else 1.0
                specs.append(
                    (
                        f"{model} {part}",
                        f"{prefix}-{code}",
                        category,
                        cost,
                        _price(cost, margin),
                        threshold,
                        weight * popularity,
                    )
                )
        products = []
        for name, sku, category, cost, price, threshold, weight in specs[:PRODUCT_COUNT]:
            row = {
                "id": new_id(),
                "name": name,
                "description": None,
                "sku": sku,
                "barcode": _ean13(rng)
                if category in ("Chargers", "Cables", "Audio", "Power banks", "Storage")
                else None,
                "category": category,
                "image_url": None,
                "price": price,
                "cost": round_money(cost),
                "low_stock_threshold": threshold,
                "on_hand": 0,
                "low_stock": False,
                "is_active": True,
                "created_at": created,
                "updated_at": created,
            }
            products.append(DemoProduct(row, weight))
        return products

    # ------------------------------------------------------------------------------------------------ orders

    def _order_times(self, count: int) -> list[datetime]:
        """``count`` moments in the 365 days before ``now`` during opening hours (9:00–19:00 shop time),
        more on Saturdays and in December, oldest first."""
        rng = self.rng
        today = self.now.astimezone(self.zone).date()
        days = [today - timedelta(days=offset) for offset in range(365)]
        weights = [
            (1.6 if day.weekday() == 5 else 0.4 if day.weekday() == 6 else 1.0)
            * (1.5 if day.month == 12 else 1.0)
            for day in days
        ]
        moments = []
        for day in rng.choices(days, weights=weights, k=count):
            local = datetime(day.year, day.month, day.day, 9, tzinfo=self.zone) + timedelta(
                seconds=rng.randrange(10 * 3600)
            )
            moment = local.astimezone(UTC).replace(microsecond=0)
            if moment < self.now:
                moments.append(moment)
        return sorted(moments)

    def _outcome(
        self, placed: datetime, order_type: str
    ) -> tuple[str, str, datetime | None, datetime | None]:
        """Status, payment status, completedAt, cancelledAt of an order placed at ``placed``."""
        rng = self.rng
        age = (self.now - placed).total_seconds() / 86400
        counter = order_type == OrderType.offline.value
        if age < 3 and rng.random() < (0.3 if counter else 0.8):
            status = rng.choice([OrderStatus.pending.value, OrderStatus.processing.value])
            paid = (
                PaymentStatus.paid.value
                if status == OrderStatus.processing.value or rng.random() < 0.4
                else PaymentStatus.unpaid.value
            )
            return status, paid, None, None
        if rng.random() < 0.06:
            cancelled = min(self.now, placed + timedelta(hours=rng.uniform(0.2, 48)))
            payment = (
                PaymentStatus.refunded.value
                if order_type == OrderType.online.value and rng.random() < 0.5
                else PaymentStatus.unpaid.value
            )
            return OrderStatus.cancelled.value, payment, None, cancelled
        delay = timedelta(minutes=rng.uniform(2, 20)) if counter else timedelta(hours=rng.uniform(4, 72))
        completed = min(self.now, placed + delay)
        payment = PaymentStatus.refunded.value if rng.random() < 0.02 else PaymentStatus.paid.value
        return OrderStatus.completed.value, payment, completed, None

    def batches(self, customers: list[DemoCustomer]) -> Iterator[Batch]:
        """The products, then the orders with their lines a batch at a time, then the stock ledger and the
        visits (the ledger needs every order first, so the products' final stock is known)."""
        rng = self.rng
        products = self.products()
        rows = [product.row for product in products]
        weights = [product.weight for product in products]
        # Stock events per product: (moment, units (signed), kind, order id, note).
        events: dict[uuid.UUID, list[tuple[datetime, int, str, uuid.UUID | None, str | None]]] = defaultdict(
            list
        )
        moments = self._order_times(ORDERS_PER_SCALE * self.scale)
        created = [customer.created_at for customer in customers]
        counters: dict[int, int] = defaultdict(int)
        orders: list[dict[str, Any]] = []
        items: list[dict[str, Any]] = []
        for placed in moments:
            # A customer who was a customer by then (the oldest otherwise).
            eligible = max(1, _count_before(created, placed))
            customer = customers[rng.randrange(eligible)]
            order_type = OrderType.online.value if rng.random() < 0.35 else OrderType.offline.value
            chosen: list[dict[str, Any]] = []
            for product in rng.choices(rows, weights=weights, k=rng.choice((1, 1, 1, 2, 2, 3))):
                if product not in chosen:
                    chosen.append(product)
            lines = []
            for position, product in enumerate(chosen):
                quantity = 1 if product["price"] > 40 else rng.choice((1, 1, 1, 2, 3))
                lines.append((position, product, quantity, money.item_total(quantity, product["price"])))
            totals = money.compute_totals([line[3] for line in lines], self.tax_rate)
            status, payment, completed_at, cancelled_at = self._outcome(placed, order_type)
            year = placed.astimezone(self.zone).year
            counters[year] += 1
            number = f"{ORDER_NUMBER_PREFIX}-{year}-{counters[year]:06d}"
            order_id = new_id()
            updated = cancelled_at or completed_at or placed
            orders.append(
                {
                    "id": order_id,
                    "order_number": number,
                    "customer_id": customer.id,
                    "order_type": order_type,
                    "status": status,
                    "payment_status": payment,
                    "subtotal": totals.subtotal,
                    "tax_rate": totals.tax_rate,
                    "tax_amount": totals.tax_amount,
                    "total": totals.total,
                    "notes": rng.choice(NOTES) if rng.random() < 0.05 else None,
                    "completed_at": completed_at,
                    "cancelled_at": cancelled_at,
                    "created_by_id": None if order_type == OrderType.online.value else rng.choice(self.staff),
                    "invoice_id": None,
                    "created_at": placed,
                    "updated_at": updated,
                }
            )
            for position, product, quantity, line_total in lines:
                items.append(
                    {
                        "id": new_id(),
                        "order_id": order_id,
                        "product_id": product["id"],
                        "position": position,
                        "name": product["name"],
                        "sku": product["sku"],
                        "quantity": quantity,
                        "unit_price": product["price"],
                        "line_total": line_total,
                    }
                )
                events[product["id"]].append((placed, -quantity, MovementKind.sold.value, order_id, number))
                if cancelled_at is not None:
                    events[product["id"]].append(
                        (cancelled_at, quantity, MovementKind.returned.value, order_id, f"{number} cancelled")
                    )
        self.last_order_numbers = dict(counters)
        movements = self._ledger(rows, events)
        yield [(Product.__table__, rows)]
        order_items: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
        for item in items:
            order_items[item["order_id"]].append(item)
        for start in range(0, len(orders), BATCH_ORDERS):
            part = orders[start : start + BATCH_ORDERS]
            yield [
                (Order.__table__, part),
                (OrderItem.__table__, [item for order in part for item in order_items[order["id"]]]),
            ]
        for start in range(0, len(movements), BATCH_ORDERS * 3):
            yield [(StockMovement.__table__, movements[start : start + BATCH_ORDERS * 3])]
        yield [(Visit.__table__, self._visits())]

    def _ledger(
        self,
        products: list[dict[str, Any]],
        events: dict[uuid.UUID, list[tuple[datetime, int, str, uuid.UUID | None, str | None]]],
    ) -> list[dict[str, Any]]:
        """Each product's movements in time order with the running stock, restocked from the supplier
        before a sale would take it to or below its threshold; then about one product in twelve counted
        down to its threshold or below (and every other product left above it). Sets ``on_hand`` and
        ``low_stock`` on the product rows."""
        rng = self.rng
        opened = self.now - timedelta(days=370)
        movements: list[dict[str, Any]] = []
        for product in products:
            threshold = product["low_stock_threshold"]
            batch = max(threshold * 3, 6)
            ledger = _Ledger(product, self.staff[0])
            record = ledger.record
            record(opened, batch + threshold, MovementKind.received.value, note="Opening stock")
            for moment, units, kind, order_id, note in sorted(
                events.get(product["id"], ()), key=lambda e: e[0]
            ):
                if units < 0 and ledger.stock + units <= threshold:
                    delivered = moment - timedelta(hours=rng.uniform(2, 60))
                    record(
                        max(delivered, ledger.last),
                        batch,
                        MovementKind.received.value,
                        note=f"Supplier delivery {rng.randint(10000, 99999)}",
                    )
                record(moment, units, kind, order_id, note)
            counted = self.now - timedelta(hours=rng.uniform(1, 72))
            if rng.random() < 1 / 12:
                target = rng.randint(0, threshold)
                if ledger.stock != target:
                    record(
                        max(counted, ledger.last),
                        target - ledger.stock,
                        MovementKind.adjusted.value,
                        note=rng.choice(("Stock count", "Damaged in storage", "Stock count: missing units")),
                    )
            elif ledger.stock <= threshold:
                record(
                    max(counted, ledger.last),
                    batch,
                    MovementKind.received.value,
                    note=f"Supplier delivery {rng.randint(10000, 99999)}",
                )
            product["on_hand"] = ledger.stock
            product["low_stock"] = ledger.stock <= threshold
            movements.extend(ledger.rows)
        return movements

    # ------------------------------------------------------------------------------------------------ visits

    def _visits(self) -> list[dict[str, Any]]:
        """About 40–110 visitors a shop day over the last :data:`VISIT_DAYS` days, from a pool where some
        come back; stored as keyed hashes like the beacon stores them."""
        rng = self.rng
        settings = _Keyed(self.signing_key)
        today = self.now.astimezone(self.zone).date()
        regulars = [f"demo-visitor-{index:05d}" for index in range(400)]
        visits: list[dict[str, Any]] = []
        fresh = 0
        for offset in range(VISIT_DAYS - 1, -1, -1):
            day: date = today - timedelta(days=offset)
            count = rng.randint(40, 110) if day.weekday() < 6 else rng.randint(20, 50)
            seen: set[str] = set()
            for _ in range(count):
                if rng.random() < 0.45:
                    visitor = rng.choice(regulars)
                else:
                    fresh += 1
                    visitor = f"demo-visitor-new-{fresh:06d}"
                if visitor in seen:
                    continue
                seen.add(visitor)
                moment = datetime(day.year, day.month, day.day, 8, tzinfo=self.zone) + timedelta(
                    seconds=rng.randrange(14 * 3600)
                )
                visits.append(
                    {
                        "id": new_id(),
                        "visitor_hash": visitor_hash(settings, visitor),  # type: ignore[arg-type]
                        "visited_on": day,
                        "source": rng.choice(
                            (VisitSource.website.value,) * 6
                            + (VisitSource.portal.value, VisitSource.tracking.value)
                        ),
                        "created_at": min(moment.astimezone(UTC), self.now),
                    }
                )
        return visits


class _Ledger:
    """One product's movements as they are recorded, with the running stock."""

    def __init__(self, product: dict[str, Any], clerk: uuid.UUID) -> None:
        self.product = product
        self.clerk = clerk
        self.stock = 0
        self.rows: list[dict[str, Any]] = []

    @property
    def last(self) -> datetime:
        return self.rows[-1]["created_at"]

    def record(self, moment: datetime, units: int, kind: str, order_id: Any = None, note: Any = None) -> None:
        self.stock += units
        self.rows.append(
            {
                "id": new_id(),
                "product_id": self.product["id"],
                "kind": kind,
                "quantity": units,
                "on_hand_after": self.stock,
                "unit_cost": self.product["cost"] if kind == MovementKind.received.value else None,
                "note": note,
                "order_id": order_id,
                "repair_id": None,
                "repair_item_id": None,
                "created_by_id": self.clerk if order_id is None else None,
                "created_at": moment,
            }
        )


@dataclass(frozen=True)
class _Keyed:
    """What :func:`fixdesk.sales.dashboard.service.visitor_hash` reads of the settings."""

    signing_key: str


def _count_before(sorted_moments: list[datetime], moment: datetime) -> int:
    return bisect.bisect_left(sorted_moments, moment)
