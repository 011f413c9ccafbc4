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
from sqlalchemy.orm import selectinload

from fixdesk.customers.models import Customer, CustomerStatus, CustomerTag
from fixdesk.customfields.service import filter_conditions
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


CUSTOM_FIELD_ENTITY = "customer"
"""The custom field entity of customers (``fixdesk.customers.service`` registers its fields under it)."""


def marketing_contacts() -> Select[tuple[uuid.UUID, str, str, str | None, str | None, str]]:
    """``SELECT customer_id, first_name, last_name, email, phone, language`` of the customers a marketing
    message may be addressed to: active and not archived (nor anonymised: anonymising archives). The
    marketing domain adds its consent, suppression and segment conditions to it (one statement, usable
    in an ``INSERT … SELECT``)."""
    return select(
        Customer.id.label("customer_id"),
        Customer.first_name,
        Customer.last_name,
        Customer.email,
        Customer.phone,
        Customer.language,
    ).where(Customer.status == CustomerStatus.active.value, Customer.archived_at.is_(None))


def contact_address(customer: Customer, channel: str) -> str | None:
    """The address of ``customer`` on a marketing channel: the (lower-cased) email for ``email``, the
    E.164 phone for ``sms`` and ``whatsapp``."""
    return customer.email if channel == "email" else customer.phone


def ids_with_phone(phone: str) -> Select[tuple[uuid.UUID]]:
    """``SELECT customers.id`` of every customer (any status) whose phone is ``phone`` (E.164, as stored):
    the customers an inbound SMS keyword speaks for. Uses ``ix_customers_phone``."""
    return select(Customer.id).where(Customer.phone == phone)


def customer_ids_where(
    *,
    statuses: Sequence[str] | None = None,
    tags_any: Sequence[str] | None = None,
    tags_all: Sequence[str] | None = None,
    conditions: Sequence[Any] = (),
) -> Select[tuple[uuid.UUID]]:
    """``SELECT customers.id`` of the customers matching every given filter: a status among ``statuses``
    (default: any but archived), at least one of ``tags_any``, every one of ``tags_all`` (tags compared
    lower-cased, through ``ix_customer_tags_tag``) and the extra ``conditions`` on ``customers`` (those
    :func:`custom_field_conditions` returns). A subquery for another domain's filters (saved segments)."""
    statement = select(Customer.id)
    if statuses:
        statement = statement.where(Customer.status.in_(list(statuses)))
    else:
        statement = statement.where(Customer.status != CustomerStatus.archived.value)
    if tags_any:
        wanted = sorted({tag.strip().lower() for tag in tags_any})
        statement = statement.where(
            Customer.id.in_(select(CustomerTag.customer_id).where(CustomerTag.tag.in_(wanted)))
        )
    for tag in sorted({tag.strip().lower() for tag in tags_all or ()}):
        statement = statement.where(
            Customer.id.in_(select(CustomerTag.customer_id).where(CustomerTag.tag == tag))
        )
    for condition in conditions:
        statement = statement.where(condition)
    return statement


async def custom_field_conditions(session: AsyncSession, filters: dict[str, str]) -> list[Any]:
    """Conditions on ``customers`` for custom field values (``{key: value}``, each read by its field's
    type; see :func:`fixdesk.customfields.service.filter_conditions`): :class:`ValidationFailed` (400)
    naming ``customFields.<key>`` for an unknown key or a value of the wrong type."""
    return await filter_conditions(session, CUSTOM_FIELD_ENTITY, Customer.custom_fields, filters)


def customers_in(ids: Select[tuple[uuid.UUID]] | Sequence[uuid.UUID]) -> Select[tuple[Customer]]:
    """``SELECT customers`` (tags loaded) whose id is in ``ids`` (a subquery or a list), by last name, first name
    and id: a page of another domain's list of customers (a segment's members)."""
    return (
        select(Customer)
        .options(selectinload(Customer.tags))
        .where(Customer.id.in_(ids if isinstance(ids, Select) else list(ids)))
        .order_by(Customer.last_name, Customer.first_name, Customer.id)
    )


async def existing_ids(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    """Which of ``ids`` are customers' (any status): one query."""
    if not ids:
        return []
    return list((await session.execute(select(Customer.id).where(Customer.id.in_(list(ids))))).scalars())
