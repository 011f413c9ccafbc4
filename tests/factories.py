"""Small factory functions that build test data through the services (never raw SQL)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fixdesk.customers.models import Customer
from fixdesk.customers.schemas import CustomerCreate
from fixdesk.customers.service import create_customer
from fixdesk.db import new_id, transaction
from fixdesk.identity.models import User
from fixdesk.identity.staff import create_user
from fixdesk.platform.jobs.worker import Worker
from fixdesk.platform.security import hash_password
from fixdesk.repairs.models import Repair
from fixdesk.services import build_services
from tests.conftest import unique_email


@dataclass
class Actor:
    """A principal the tests act as: its id and the Authorization header of a fresh access token."""

    id: uuid.UUID
    email: str
    headers: dict[str, str]


def bearer(app: Any, subject: uuid.UUID, role: str, principal_type: str) -> dict[str, str]:
    token = app.state.tokens.issue_access_token(subject, role, principal_type)
    return {"Authorization": f"Bearer {token}"}


async def make_user(
    app: Any,
    sessionmaker: async_sessionmaker[AsyncSession],
    role: str = "admin",
    *,
    email: str | None = None,
    password: str | None = None,
    first_name: str = "Sam",
    last_name: str | None = None,
) -> Actor:
    async with transaction(sessionmaker) as session:
        user: User = await create_user(
            session,
            email=email or unique_email(role),
            password=password,
            first_name=first_name,
            last_name=last_name or role.title(),
            role=role,
        )
    return Actor(user.id, user.email, bearer(app, user.id, role, "user"))


async def make_customer(
    app: Any,
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    portal_password: str | None = None,
    **fields: Any,
) -> Actor:
    values: dict[str, Any] = {"first_name": "Ana", "last_name": "Silva", "email": unique_email("customer")}
    values.update(fields)
    async with transaction(sessionmaker) as session:
        customer: Customer = await create_customer(session, CustomerCreate(**values), default_region="US")
        if portal_password:
            # As if the customer had chosen it through an emailed link (no service lets staff set one;
            # tests/identity/test_portal_access.py walks the real path).
            customer.portal_password_hash = hash_password(portal_password)
    return Actor(customer.id, customer.email or "", bearer(app, customer.id, "customer", "customer"))


def repair_body(customer_id: uuid.UUID, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customerId": str(customer_id),
        "deviceType": "phone",
        "deviceBrand": "Apple",
        "deviceModel": "iPhone 13",
        "serialNumber": "F2LXK0ABCD12",
        "imei": "490154203237518",
        "issueDescription": "Cracked screen after a drop",
        "cosmeticCondition": "Scratches on the back",
        "priority": "normal",
        "deposit": "20.00",
    }
    body.update(overrides)
    return body


async def make_repair(
    client: httpx.AsyncClient, staff: Actor, customer_id: uuid.UUID, **overrides: Any
) -> dict:
    response = await client.post(
        "/api/v1/repairs", json=repair_body(customer_id, **overrides), headers=staff.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


# From received to completed (ready for pickup) along the lifecycle, for ``walk(..., *TO_COMPLETED)``.
TO_COMPLETED = ("diagnosing", "quoted", "approved", "repairing", "testing", "completed")


async def walk(client: httpx.AsyncClient, staff: Actor, repair_id: str, *statuses: str) -> dict:
    """Move a repair through ``statuses`` in order, asserting each step succeeds."""
    body: dict = {}
    for status in statuses:
        response = await client.put(
            f"/api/v1/repairs/{repair_id}/status",
            json={"status": status, "notifyCustomer": False},
            headers=staff.headers,
        )
        assert response.status_code == 200, response.text
        body = response.json()
    return body


# --- added for the repairs tests ------------------------------------------------------------------------


async def backdate_repair(
    sessionmaker: async_sessionmaker[AsyncSession], repair_id: str | uuid.UUID, created_at: Any
) -> None:
    """Set a repair's ``created_at`` (an aware datetime), e.g. to spread repairs over dates or to give a
    completion a known duration. There is no API for this on purpose, so the tests write the row."""
    from sqlalchemy import update

    from fixdesk.repairs.models import Repair

    async with transaction(sessionmaker) as session:
        await session.execute(
            update(Repair).where(Repair.id == uuid.UUID(str(repair_id))).values(created_at=created_at)
        )


@dataclass
class StoredRepair:
    """A repair row and its status-history rows (oldest first) as committed in the database."""

    repair: Any
    history: list[Any]


async def stored_repair(
    sessionmaker: async_sessionmaker[AsyncSession], repair_id: str | uuid.UUID
) -> StoredRepair | None:
    """Read a repair and its history straight from the database (``None`` if absent), so a test sees what
    was committed, not what an endpoint answered."""
    from sqlalchemy import select

    from fixdesk.repairs.models import Repair, RepairStatusHistory

    identifier = uuid.UUID(str(repair_id))
    async with sessionmaker() as session:
        repair = await session.get(Repair, identifier)
        if repair is None:
            return None
        history = (
            await session.execute(
                select(RepairStatusHistory)
                .where(RepairStatusHistory.repair_id == identifier)
                .order_by(RepairStatusHistory.created_at, RepairStatusHistory.id)
            )
        ).scalars()
        return StoredRepair(repair, list(history))


async def insert_repairs(
    sessionmaker: async_sessionmaker[AsyncSession], customer_id: uuid.UUID, count: int, prefix: str
) -> None:
    """``count`` received repairs of ``customer_id`` inserted in one statement (for lists beyond the exact
    count's limit): numbered ``<prefix>-000000`` onwards, newest first, one second apart."""
    now = datetime.now(UTC)
    rows = [
        {
            "id": new_id(),
            "repair_number": f"{prefix}-{index:06d}",
            "customer_id": customer_id,
            "status": "received",
            "priority": "normal",
            "device_type": "phone",
            "device_brand": "Apple",
            "device_model": "iPhone 13",
            "issue_description": "Bulk",
            "search_text": f"{prefix.lower()}-{index:06d} apple iphone 13",
            "tracking_token": uuid.uuid4().hex,
            "created_at": now - timedelta(seconds=index),
            "updated_at": now,
        }
        for index in range(count)
    ]
    async with sessionmaker() as session:
        await session.execute(insert(Repair), rows)
        await session.commit()


async def count_rows(sessionmaker: async_sessionmaker[AsyncSession], model: Any) -> int:
    """How many rows the table of ``model`` holds."""
    from sqlalchemy import func, select

    async with sessionmaker() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def events_named(sessionmaker: async_sessionmaker[AsyncSession], name: str) -> list[Any]:
    """The committed domain events called ``name`` (``DomainEvent`` rows), oldest first."""
    from sqlalchemy import select

    from fixdesk.platform.events import DomainEvent

    async with sessionmaker() as session:
        statement = select(DomainEvent).where(DomainEvent.name == name).order_by(DomainEvent.occurred_at)
        return list((await session.execute(statement)).scalars())


async def event_payloads(sessionmaker: async_sessionmaker[AsyncSession], name: str) -> list[dict[str, Any]]:
    """The payloads of the committed events called ``name``, oldest first."""
    return [event.payload for event in await events_named(sessionmaker, name)]


# --- the device catalog ---------------------------------------------------------------------------------
# Catalog rows built through the ORM, for tests of the areas that use the catalog (line items, quotes,
# warranty, estimator inputs). Tests of the catalog itself go through its API.


async def make_catalog_device(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    brand: str = "Apple",
    name: str | None = None,
    device_type: str = "phone",
    release_year: int | None = 2021,
    tier_level: int = 1,
    screen_size: str | None = "6.1",
) -> Any:
    """A device model (and its brand, reused by name) in the catalog; returns the DeviceModel row."""
    from decimal import Decimal

    from sqlalchemy import select

    from fixdesk.catalog.models import Brand, DeviceModel
    from fixdesk.catalog.names import device_search_text, slug_for

    async with transaction(sessionmaker) as session:
        slug = slug_for(brand)
        row = (await session.execute(select(Brand).where(Brand.slug == slug))).scalar_one_or_none()
        if row is None:
            row = Brand(name=brand, slug=slug)
            session.add(row)
            await session.flush()
        model_name = name or f"Model {uuid.uuid4().hex[:8]}"
        device = DeviceModel(
            brand_id=row.id,
            name=model_name,
            device_type=device_type,
            release_year=release_year,
            tier_level=tier_level,
            screen_size=Decimal(screen_size) if screen_size else None,
            search_text=device_search_text(brand, model_name, None),
        )
        session.add(device)
    return device


async def make_repair_type(
    sessionmaker: async_sessionmaker[AsyncSession], name: str | None = None, *, default_minutes: int = 45
) -> Any:
    """A repair type in the catalog; returns the RepairType row."""
    from fixdesk.catalog.models import RepairType
    from fixdesk.catalog.names import slug_for

    label = name or f"Repair {uuid.uuid4().hex[:8]}"
    async with transaction(sessionmaker) as session:
        row = RepairType(name=label, slug=slug_for(label), default_minutes=default_minutes)
        session.add(row)
    return row


async def make_part_type(
    sessionmaker: async_sessionmaker[AsyncSession],
    name: str | None = None,
    *,
    quality: str = "aftermarket_standard",
    warranty_months: int = 3,
) -> Any:
    """A part type in the catalog; returns the PartType row."""
    from fixdesk.catalog.models import PartType
    from fixdesk.catalog.names import slug_for

    label = name or f"Part {uuid.uuid4().hex[:8]}"
    async with transaction(sessionmaker) as session:
        row = PartType(name=label, slug=slug_for(label), quality=quality, warranty_months=warranty_months)
        session.add(row)
    return row


async def make_price(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    device_model_id: uuid.UUID,
    repair_type_id: uuid.UUID,
    part_type_id: uuid.UUID,
    price: str,
    cost: str | None = None,
    part_quality: str = "aftermarket_standard",
) -> Any:
    """A price in the shop's price list; returns the Pricing row."""
    from decimal import Decimal

    from fixdesk.catalog.models import Pricing

    async with transaction(sessionmaker) as session:
        row = Pricing(
            device_model_id=device_model_id,
            repair_type_id=repair_type_id,
            part_type_id=part_type_id,
            part_quality=part_quality,
            price=Decimal(price),
            cost=Decimal(cost) if cost else None,
        )
        session.add(row)
    return row


async def settle(app: Any) -> int:
    """Run the jobs the app's requests queued (event dispatch and the follow-up work of its subscribers:
    warranties, notifications, erasures…) until none is due, with a worker on the app's settings, as the
    server's worker would soon after the requests; returns how many jobs ran."""
    settings = app.state.settings
    services = build_services(settings)
    try:
        worker = Worker(
            app.state.sessionmaker,
            read_sessionmaker=app.state.read_sessionmaker,
            settings=settings,
            services=services,
            concurrency=1,
            run_periodic=False,
        )
        return await worker.drain()
    finally:
        await services.aclose()
