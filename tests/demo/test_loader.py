"""The demo shop: loaded once per backend, then checked row by row and through the API.

Everything is asserted after a single ``load_demo`` per test because the ``app`` fixture wipes the tables
after every test and loading is the slow part.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

import phonenumbers
import pytest
from sqlalchemy import select

from fixdesk.customers.models import Customer, CustomerTag
from fixdesk.demo.loader import DEMO_PASSWORD, DemoDatabaseNotEmpty, _ShopGenerator, load_demo
from fixdesk.identity.models import User
from fixdesk.platform.numbering import NumberSequence
from fixdesk.repairs.lifecycle import TRANSITIONS
from fixdesk.repairs.models import Repair, RepairStatus, RepairStatusHistory
from fixdesk.repairs.schemas import imei_is_valid
from tests.conftest import make_settings

# load_demo writes through its own engine and commits.
pytestmark = pytest.mark.commits

STAFF_ROLES = {
    "admin@example.com": "admin",
    "manager@example.com": "manager",
    "tech@example.com": "technician",
    "tech2@example.com": "technician",
    "front-desk@example.com": "agent",
}
FIELD_TECHNICIANS = {f"tech{n}@example.com": "technician" for n in range(3, 11)}
CELLULAR_TYPES = {"phone", "tablet", "watch"}
REPAIR_NUMBER = re.compile(r"^R-(\d{4})-(\d{6})$")


def days_between(start: datetime, end: datetime) -> Decimal:
    seconds = Decimal((end - start).total_seconds())
    return (seconds / Decimal(86400)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


async def login(client, email: str) -> dict:
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": DEMO_PASSWORD})
    assert response.status_code == 200, response.text
    return response.json()


async def test_demo_shop_is_consistent_and_usable(engine, app, client, database_url, tmp_path, demo_clock):
    settings = make_settings(database_url, tmp_path)
    summary = await load_demo(settings, scale=1)

    async with engine.connect() as connection:
        users = (await connection.execute(select(User.__table__))).mappings().all()
        customers = (await connection.execute(select(Customer.__table__))).mappings().all()
        tags = (await connection.execute(select(CustomerTag.__table__))).mappings().all()
        repairs = (await connection.execute(select(Repair.__table__))).mappings().all()
        history = (
            (
                await connection.execute(
                    select(RepairStatusHistory.__table__).order_by(
                        RepairStatusHistory.repair_id, RepairStatusHistory.created_at, RepairStatusHistory.id
                    )
                )
            )
            .mappings()
            .all()
        )
        sequences = {
            row.year: row.last_value
            for row in await connection.execute(
                select(NumberSequence.year, NumberSequence.last_value).where(NumberSequence.prefix == "R")
            )
        }

    # Volume, and the summary tells the truth.
    assert len(customers) >= 200
    assert len(repairs) >= 1_000
    assert (summary.users, summary.customers, summary.repairs, summary.status_history) == (
        len(users),
        len(customers),
        len(repairs),
        len(history),
    )

    # Staff accounts with their roles (and the field team's technicians, tech3@ … tech10@); everyone who
    # changed a status is one of them.
    assert {user.email: user.role for user in users} == STAFF_ROLES | FIELD_TECHNICIANS
    staff_ids = {user.id: user.role for user in users}

    # Customers: unique lower-case emails, valid E.164 phones, tags, a few archived.
    emails = [c.email for c in customers if c.email]
    assert len(emails) == len(set(emails))
    assert all(email == email.lower() for email in emails)
    for customer in customers:
        if customer.phone:
            assert phonenumbers.is_valid_number(phonenumbers.parse(customer.phone)), customer.phone
            assert customer.phone == phonenumbers.format_number(
                phonenumbers.parse(customer.phone), phonenumbers.PhoneNumberFormat.E164
            )
    assert {"vip", "business", "student", "warranty"} <= {tag.tag for tag in tags}
    statuses = Counter(c.status for c in customers)
    assert statuses["active"] > 0.9 * len(customers)
    assert statuses["archived"] + statuses["inactive"] > 0
    assert all((c.archived_at is not None) == (c.status == "archived") for c in customers)
    customer_created = {c.id: c.created_at for c in customers}

    # Repairs: every status, spread over the past twelve months, real devices, valid IMEIs.
    assert {r.status for r in repairs} == {s.value for s in RepairStatus}
    now = datetime.now(UTC)
    assert all(0 <= (now - r.created_at).days <= 366 for r in repairs)
    assert (now - min(r.created_at for r in repairs)).days > 300
    assert len({(r.device_brand, r.device_model) for r in repairs}) > 100
    for repair in repairs:
        if repair.imei is not None:
            assert repair.device_type in CELLULAR_TYPES
            assert imei_is_valid(repair.imei), repair.imei
        assert repair.created_at >= customer_created[repair.customer_id]
        assert repair.repair_number.lower() in repair.search_text
    assert sum(r.imei is not None for r in repairs if r.device_type == "phone") == sum(
        r.device_type == "phone" for r in repairs
    )
    old = [r for r in repairs if (now - r.created_at).days > 60]
    closed = {"completed", "delivered", "cancelled"}
    assert sum(r.status in closed for r in old) > 0.9 * len(old)

    # Histories: a legal chain from None→received to the current status, in time order.
    by_repair = defaultdict(list)
    for row in history:
        by_repair[row.repair_id].append(row)
    assert set(by_repair) == {r.id for r in repairs}
    notified = 0
    for repair in repairs:
        rows = by_repair[repair.id]
        assert (rows[0].from_status, rows[0].to_status) == (None, "received")
        assert rows[0].created_at == repair.created_at
        for before, after in itertools.pairwise(rows):
            assert after.from_status == before.to_status
            assert RepairStatus(after.to_status) in TRANSITIONS[RepairStatus(before.to_status)]
            assert after.created_at >= before.created_at
        assert rows[-1].to_status == repair.status
        assert repair.updated_at == rows[-1].created_at
        assert all(row.changed_by_id in staff_ids and row.notes for row in rows)
        assert all(staff_ids[row.changed_by_id] != "agent" for row in rows[1:]), (
            "agents may not change statuses"
        )
        notified += sum(row.customer_notified for row in rows)
        reached = {row.to_status for row in rows}
        # A technician from diagnosis on; none while the device waits at the counter.
        assert (repair.technician_id is not None) == ("diagnosing" in reached)
        if repair.status in ("completed", "delivered"):
            entered_completed = next(row.created_at for row in rows if row.to_status == "completed")
            assert repair.actual_completion == entered_completed
            assert repair.completion_days == days_between(repair.created_at, entered_completed)
            assert repair.total_cost is not None
            assert repair.total_cost > 0
            assert repair.deposit <= repair.total_cost
        else:
            assert repair.actual_completion is None
            assert repair.completion_days is None
    assert notified > 0.7 * len(history)

    # Repair numbers: R-<year of creation>-NNNNNN, gap-free per year in creation order, counters at the end.
    numbers_by_year = defaultdict(list)
    for repair in sorted(repairs, key=lambda r: (r.created_at, r.repair_number)):
        match = REPAIR_NUMBER.match(repair.repair_number)
        assert match, repair.repair_number
        assert int(match[1]) == repair.created_at.year
        numbers_by_year[int(match[1])].append(int(match[2]))
    assert {year: numbers for year, numbers in numbers_by_year.items()} == {
        year: list(range(1, len(numbers) + 1)) for year, numbers in numbers_by_year.items()
    }
    assert sequences == {year: len(numbers) for year, numbers in numbers_by_year.items()}

    # Every staff member logs in with the demo password.
    for email, role in STAFF_ROLES.items():
        assert (await login(client, email))["user"]["role"] == role
    admin = {"Authorization": f"Bearer {(await login(client, 'admin@example.com'))['accessToken']}"}

    # Search works over the stored search text (customers by phone digits, repairs by number).
    someone = next(c for c in customers if c.phone and c.status == "active")
    response = await client.get(
        "/api/v1/customers", params={"search": someone.phone[-7:], "pageSize": 100}, headers=admin
    )
    assert str(someone.id) in {item["id"] for item in response.json()["items"]}
    some_repair = repairs[len(repairs) // 2]
    response = await client.get(
        "/api/v1/repairs", params={"search": some_repair.repair_number}, headers=admin
    )
    assert [item["id"] for item in response.json()["items"]] == [str(some_repair.id)]

    # The portal customer sees exactly their own repairs, in several states.
    portal = await login(client, "customer@example.com")
    assert portal["user"]["principalType"] == "customer"
    portal_headers = {"Authorization": f"Bearer {portal['accessToken']}"}
    response = await client.get("/api/v1/customer/repairs", params={"pageSize": 100}, headers=portal_headers)
    assert response.status_code == 200
    portal_id = next(c.id for c in customers if c.email == "customer@example.com")
    own = {str(r.id) for r in repairs if r.customer_id == portal_id}
    items = response.json()["items"]
    assert {item["id"] for item in items} == own
    assert response.json()["total"] == len(own)
    portal_statuses = {item["status"] for item in items}
    assert portal_statuses & {"received", "diagnosing", "quoted", "approved", "repairing", "waiting_parts"}
    assert {"delivered", "cancelled"} <= portal_statuses
    assert all(item["totalCost"] > 0 for item in items if item["status"] in ("completed", "delivered"))
    stats = (await client.get("/api/v1/customer/dashboard/stats", headers=portal_headers)).json()
    assert stats["totalRepairs"] == len(own)
    assert stats["totalSpent"] > 0

    # A repair created afterwards continues this year's sequence.
    year = datetime.now(UTC).year
    response = await client.post(
        "/api/v1/repairs",
        json={
            "customerId": str(someone.id),
            "deviceType": "phone",
            "deviceBrand": "Apple",
            "deviceModel": "iPhone 15",
            "issueDescription": "Cracked screen",
        },
        headers=admin,
    )
    assert response.status_code == 201, response.text
    assert response.json()["repairNumber"] == f"R-{year}-{sequences.get(year, 0) + 1:06d}"

    # A second load refuses to touch the shop.
    with pytest.raises(DemoDatabaseNotEmpty):
        await load_demo(settings, scale=1)


def test_same_seed_gives_the_same_shop():
    now = datetime(2026, 3, 14, 15, 9, 26, tzinfo=UTC)

    def shop(seed: int) -> list[tuple]:
        generator = _ShopGenerator(seed=seed, scale=1, now=now, password_hash="not-a-real-hash")
        staff = generator.staff_batch()
        # The repairs are priced from the catalog, so it comes first (its rows are compared too).
        catalog = generator.catalog(UTC).batch
        batches = [staff, catalog, *generator.customer_batches(), *generator.repair_batches()]
        # Ids are time-ordered UUIDs and tracking tokens random on purpose (they must stay unguessable).
        ids = re.compile(r"(^id$|_id$|^tracking_token$)")
        return [
            (table.name, tuple((key, value) for key, value in row.items() if not ids.search(key)))
            for batch in batches
            for table, rows in batch
            for row in rows
        ]

    first = shop(7)
    assert first == shop(7)
    assert first != shop(8)
