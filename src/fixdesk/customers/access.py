"""How customers are read from outside the customers domain.

Repairs, identity, messaging and the rest read a customer's row through these functions, never through a
query of their own on ``customers``, so the rules of who sees which customer, which addresses are unique
and what a search matches stay in one place:

* :func:`visible_customers` scopes a read to a principal: a portal customer sees only themselves, staff
  and API clients (holding the permission their endpoint declares) every customer;
* :func:`find_customer` and :func:`find_by_email` are the system's own lookups (intake checks the customer
  a repair is for, a job loads the customer it notifies, identity finds the account signing in), with no
  principal's scope: never the answer to a request on someone's behalf without a check of their own;
* :func:`ids_matching` is the customer search other lists filter by (a repair list's ``search``).

Emails are stored lower-cased (:mod:`fixdesk.customers.service`), so lookups take a lower-cased address.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.customers.models import Customer, CustomerStatus
from fixdesk.platform.buckets import bucket_index, in_buckets
from fixdesk.platform.errors import NotFound
from fixdesk.platform.permissions import Principal


def visible_customers(principal: Principal) -> Select[tuple[Customer]]:
    """``SELECT customers`` limited to what ``principal`` may read: a portal customer only their own row,
    staff and API clients every customer."""
    statement = select(Customer)
    if principal.is_customer:
        statement = statement.where(Customer.id == principal.id)
    return statement


async def get_visible(session: AsyncSession, principal: Principal, customer_id: uuid.UUID) -> Customer:
    """The customer row (tags not loaded), archived ones included, if ``principal`` may read it; else
    :class:`NotFound` (404)."""
    statement = visible_customers(principal).where(Customer.id == customer_id)
    customer = (await session.execute(statement)).scalar_one_or_none()
    if customer is None:
        raise NotFound(f"Customer {customer_id} not found.")
    return customer


async def find_customer(session: AsyncSession, customer_id: uuid.UUID) -> Customer | None:
    """The customer row by id, whatever its status (archived and anonymised ones included), or ``None``."""
    return await session.get(Customer, customer_id)


async def find_by_email(session: AsyncSession, email: str, *, active_only: bool = False) -> Customer | None:
    """The customer with this (lower-cased) email, or ``None``; with ``active_only`` an archived one counts
    as none. Emails are unique among customers."""
    statement = select(Customer).where(Customer.email == email)
    if active_only:
        statement = statement.where(Customer.status == CustomerStatus.active.value)
    return (await session.execute(statement)).scalar_one_or_none()


def is_archived(customer: Customer) -> bool:
    """Whether the customer is archived (hidden from lists, unable to sign in, no new repairs or claims)."""
    return customer.status == CustomerStatus.archived.value


def search_condition(term: str) -> Any:
    """A condition matching customers whose name, email, phone or company contains ``term`` (any case;
    the digits of a phone number match however it was typed).

    Backed by a trigram index on PostgreSQL (``ix_customers_search_text_trgm``).
    """
    lowered = term.strip().lower()
    condition = Customer.search_text.contains(lowered, autoescape=True)
    digits = "".join(ch for ch in lowered if ch.isdigit())
    if digits and len(digits) >= 3 and digits != lowered:
        condition = condition | Customer.search_text.contains(digits, autoescape=True)
    return condition


def ids_matching(term: str) -> Select[tuple[uuid.UUID]]:
    """``SELECT customers.id`` of the customers :func:`search_condition` matches: a subquery for another
    domain's search ("repairs of customers named …")."""
    return select(Customer.id).where(search_condition(term))


async def created_counts(session: AsyncSession, boundaries: Sequence[datetime]) -> list[int]:
    """How many customers were added in each interval ``[boundaries[i], boundaries[i + 1])`` (their
    ``createdAt``, archived ones included): one aggregate query, for other domains' dashboards."""
    counts = [0] * (len(boundaries) - 1)
    index = bucket_index(Customer.created_at, boundaries)
    rows = await session.execute(
        select(index, func.count()).where(in_buckets(Customer.created_at, boundaries)).group_by(index)
    )
    for bucket, count in rows:
        counts[int(bucket)] = int(count)
    return counts
