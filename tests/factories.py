"""Small factory functions that build test data through the services (never raw SQL)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fixdesk.customers.models import Customer
from fixdesk.customers.schemas import CustomerCreate
from fixdesk.customers.service import create_customer
from fixdesk.db import transaction
from fixdesk.identity.models import User
from fixdesk.identity.service import create_user
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
    if portal_password:
        values["portal_password"] = portal_password
    async with transaction(sessionmaker) as session:
        customer: Customer = await create_customer(session, CustomerCreate(**values), default_region="US")
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


async def count_rows(sessionmaker: async_sessionmaker[AsyncSession], model: Any) -> int:
    """How many rows the table of ``model`` holds."""
    from sqlalchemy import func, select

    async with sessionmaker() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()
