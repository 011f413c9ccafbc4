"""Customer rules: normalisation (E.164 phones, lower-case unique emails), search, archiving."""

from __future__ import annotations

import uuid
import zoneinfo
from typing import Any, Literal

import phonenumbers
from pydantic.alias_generators import to_camel
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from fixdesk.audit.service import Action, AuditActor
from fixdesk.credentials.service import customer_credentials_changed, queue_account_notice
from fixdesk.customers.access import search_condition
from fixdesk.customers.events import (
    CUSTOMER_ANONYMISED,
    CUSTOMER_CREATED,
    CUSTOMER_UPDATED,
    CustomerAnonymisedPayload,
    CustomerEventPayload,
)
from fixdesk.customers.models import Customer, CustomerStatus, CustomerTag
from fixdesk.customers.schemas import CustomerCreate, CustomerProfileUpdate, CustomerUpdate
from fixdesk.customfields import service as custom_fields
from fixdesk.db import new_id, utcnow
from fixdesk.platform.errors import Conflict, NotFound, ValidationFailed
from fixdesk.platform.events import publish
from fixdesk.platform.pagination import PageParams, paginate

SortField = Literal["createdAt", "name", "lastName"]
# The custom field entity of customers, as the customers manifest declares it.
CUSTOM_FIELD_ENTITY = "customer"


def normalize_phone(raw: str | None, default_region: str, field: str = "phone") -> str | None:
    """Parse a phone number and return it in E.164 (``+15125550100``); ``None``/blank stays ``None``.

    Numbers without a ``+`` are read in ``default_region`` (``FIXDESK_DEFAULT_PHONE_REGION``). Raises
    :class:`ValidationFailed` (400) when the number cannot be parsed or is not a valid number.
    """
    if raw is None or not raw.strip():
        return None
    try:
        parsed = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationFailed.for_field(field, f"'{raw}' is not a phone number") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationFailed.for_field(field, f"'{raw}' is not a valid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def validate_timezone(value: str | None, field: str = "timezone") -> str | None:
    """Check an IANA time zone name (``Europe/Lisbon``); raises :class:`ValidationFailed` when unknown."""
    if value is None:
        return None
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationFailed.for_field(field, f"'{value}' is not an IANA time zone") from exc
    return value


def _search_text(customer: Customer) -> str:
    parts = [
        customer.first_name,
        customer.last_name,
        customer.email or "",
        (customer.phone or "").lstrip("+"),
    ]
    if customer.company_name:
        parts.append(customer.company_name)
    return " ".join(p for p in parts if p).lower()[:600]


async def _ensure_email_free(
    session: AsyncSession, email: str | None, exclude: uuid.UUID | None = None
) -> None:
    if email is None:
        return
    statement = select(Customer.id).where(Customer.email == email)
    if exclude is not None:
        statement = statement.where(Customer.id != exclude)
    if (await session.execute(statement.limit(1))).first() is not None:
        raise Conflict(f"A customer with email {email} already exists.", field="email")


def _apply_fields(customer: Customer, values: dict[str, Any], default_region: str) -> None:
    if "phone" in values:
        values["phone"] = normalize_phone(values["phone"], default_region)
    if "email" in values and values["email"] is not None:
        values["email"] = str(values["email"]).strip().lower()
    if "country" in values and values["country"] is not None:
        values["country"] = values["country"].upper()
    if "timezone" in values:
        validate_timezone(values["timezone"])
    tags = values.pop("tags", None)
    for key, value in values.items():
        setattr(customer, key, value)
    if tags is not None:
        customer.tags = [CustomerTag(tag=tag) for tag in tags]
    customer.search_text = _search_text(customer)


async def create_customer(
    session: AsyncSession,
    data: CustomerCreate,
    *,
    default_region: str,
    require_custom_fields: bool = True,
    customer_id: uuid.UUID | None = None,
) -> Customer:
    """Create a customer. Raises :class:`Conflict` (409) for a taken email, :class:`ValidationFailed`
    (400) for an invalid phone number, time zone or custom field values. ``require_custom_fields=False``
    lets a customer registering themselves skip the shop's required custom fields, which they cannot know;
    ``customer_id`` is the id announced to them before the account was made (a new one by default)."""
    values = data.model_dump(by_alias=False)
    values["custom_fields"] = await custom_fields.validate_values(
        session,
        CUSTOM_FIELD_ENTITY,
        values.get("custom_fields"),
        enforce_required=require_custom_fields,
    )
    customer = Customer(id=customer_id or new_id())
    customer.tags = []
    _apply_fields(customer, values, default_region)
    await _ensure_email_free(session, customer.email)
    session.add(customer)
    await session.flush()
    await publish(session, CUSTOMER_CREATED, CustomerEventPayload.of(customer), customer_id=customer.id)
    return await get_customer(session, customer.id, include_archived=True)


async def update_customer(
    session: AsyncSession,
    customer_id: uuid.UUID,
    data: CustomerUpdate | CustomerProfileUpdate,
    *,
    default_region: str,
    actor: AuditActor | None = None,
) -> Customer:
    """Apply the fields present in ``data``. Same errors as :func:`create_customer`, plus 404.

    A new ``email`` changes the customer's credentials (:func:`_email_changed`): ``actor`` (staff; the
    system when not given) is recorded in the audit log."""
    customer = await get_customer(session, customer_id, include_archived=True)
    previous_email = customer.email
    values = data.model_dump(exclude_unset=True, by_alias=False)
    # These columns are NOT NULL: an explicit null must be a 400 naming the request field, not a
    # constraint failure (which would surface as a 409).
    for required in ("first_name", "last_name", "language", "status", "notify_email", "notify_sms"):
        if required in values and values[required] is None:
            raise ValidationFailed.for_field(to_camel(required), "cannot be empty")
    if "custom_fields" in values:
        values["custom_fields"] = await custom_fields.validate_values(
            session, CUSTOM_FIELD_ENTITY, values["custom_fields"], current=customer.custom_fields
        )
    _apply_fields(customer, values, default_region)
    await _ensure_email_free(session, customer.email, exclude=customer.id)
    customer.updated_at = utcnow()
    await session.flush()
    if customer.email != previous_email:
        await _email_changed(session, customer, previous_email, actor or AuditActor.system())
    changed = sorted(to_camel(name) for name in data.model_dump(exclude_unset=True, by_alias=False))
    await publish(
        session, CUSTOMER_UPDATED, CustomerEventPayload.of(customer, changed), customer_id=customer.id
    )
    return customer


async def _email_changed(
    session: AsyncSession, customer: Customer, previous_email: str | None, actor: AuditActor
) -> None:
    """The email is where codes and set-password links go, so a new one is a change of credentials: the
    customer's sessions end, their open codes and links are voided, the address is unverified until a
    code or link proves it, the change is audited, and the old address is told (so an owner who did not
    ask for it can react)."""
    customer.email_verified_at = None
    await session.flush()
    await customer_credentials_changed(
        session,
        customer.id,
        action=Action.email_changed,
        actor=actor,
        reason="email_changed",
        details={"from": previous_email, "to": customer.email},
    )
    if previous_email is not None:
        await queue_account_notice(
            session,
            "email_changed",
            to=previous_email,
            language=customer.language,
            variables={"first_name": customer.first_name, "new_email": customer.email or "(none)"},
        )


async def archive_customer(session: AsyncSession, customer_id: uuid.UUID) -> Customer:
    """Archive a customer: hidden from default lists and unable to log in; repairs and history stay."""
    customer = await get_customer(session, customer_id, include_archived=True)
    if customer.status != CustomerStatus.archived:
        customer.status = CustomerStatus.archived.value
        customer.archived_at = utcnow()
        await session.flush()
        payload = CustomerEventPayload.of(customer, ["status", "archivedAt"])
        await publish(session, CUSTOMER_UPDATED, payload, customer_id=customer.id)
    return customer


async def get_customer(
    session: AsyncSession, customer_id: uuid.UUID, *, include_archived: bool = True
) -> Customer:
    """One customer with its tags; raises :class:`NotFound` (404)."""
    statement = select(Customer).options(selectinload(Customer.tags)).where(Customer.id == customer_id)
    if not include_archived:
        statement = statement.where(Customer.status != CustomerStatus.archived.value)
    customer = (await session.execute(statement)).scalar_one_or_none()
    if customer is None:
        raise NotFound(f"Customer {customer_id} not found.")
    return customer


def list_statement(
    *,
    search: str | None,
    status: str | None,
    tag: str | None,
    sort_by: SortField,
    sort_order: Literal["asc", "desc"],
) -> Select[Any]:
    statement = select(Customer).options(selectinload(Customer.tags))
    if status:
        statement = statement.where(Customer.status == status)
    else:
        statement = statement.where(Customer.status != CustomerStatus.archived.value)
    if tag:
        statement = statement.where(
            Customer.id.in_(select(CustomerTag.customer_id).where(CustomerTag.tag == tag.strip().lower()))
        )
    if search and search.strip():
        statement = statement.where(search_condition(search))
    columns = {
        "createdAt": [Customer.created_at],
        "name": [Customer.first_name, Customer.last_name],
        "lastName": [Customer.last_name, Customer.first_name],
    }[sort_by]
    ordering = [c.desc() if sort_order == "desc" else c.asc() for c in columns]
    return statement.order_by(*ordering, Customer.id.desc() if sort_order == "desc" else Customer.id.asc())


async def list_customers(
    session: AsyncSession,
    params: PageParams,
    *,
    search: str | None = None,
    status: str | None = None,
    tag: str | None = None,
    sort_by: SortField = "createdAt",
    sort_order: Literal["asc", "desc"] = "desc",
    custom_field_filters: dict[str, str] | None = None,
) -> tuple[list[Customer], int]:
    """A page of customers; archived ones only when ``status=archived`` is asked for. Raises
    :class:`ValidationFailed` for a filter on an unknown custom field or a value of the wrong type."""
    statement = list_statement(search=search, status=status, tag=tag, sort_by=sort_by, sort_order=sort_order)
    if custom_field_filters:
        conditions = await custom_fields.filter_conditions(
            session, CUSTOM_FIELD_ENTITY, Customer.custom_fields, custom_field_filters
        )
        statement = statement.where(*conditions)
    rows, total = await paginate(session, statement, params)
    return list(rows), total


ANONYMOUS_FIRST_NAME = "Deleted"
ANONYMOUS_LAST_NAME = "customer"
_PERSONAL_COLUMNS = (
    "email",
    "phone",
    "company_name",
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postal_code",
    "country",
    "timezone",
    "notes",
    "portal_password_hash",
    "email_verified_at",
    "company_customer_id",
    "locale",
)


async def anonymise_customer(session: AsyncSession, customer_id: uuid.UUID) -> Customer:
    """Replace a customer's personal data for good (a GDPR erasure), keeping the row.

    Names become "Deleted customer"; email, phone, company, address, notes, tags, custom field values,
    portal password, locale and time zone are removed and the customer is archived. Repairs, invoices and
    their history keep pointing at the same (now anonymous) row, so the shop's records stay whole. The
    ``customer.anonymised`` event published in the same transaction has the other domains erase what they
    keep about the customer (their review comments: :mod:`fixdesk.repairs.tracking.jobs`).
    """
    customer = await get_customer(session, customer_id, include_archived=True)
    now = utcnow()
    customer.first_name = ANONYMOUS_FIRST_NAME
    customer.last_name = ANONYMOUS_LAST_NAME
    for column in _PERSONAL_COLUMNS:
        setattr(customer, column, None)
    customer.notify_email = False
    customer.notify_sms = False
    customer.tags = []
    customer.custom_fields = {}
    customer.status = CustomerStatus.archived.value
    customer.archived_at = customer.archived_at or now
    customer.search_text = _search_text(customer)
    customer.updated_at = now
    await session.flush()
    changed = ["firstName", "lastName", "notifyEmail", "notifySms", "tags", "customFields", "status"]
    changed += [to_camel(column) for column in _PERSONAL_COLUMNS if column != "portal_password_hash"]
    payload = CustomerEventPayload.of(customer, sorted(changed))
    await publish(session, CUSTOMER_UPDATED, payload, customer_id=customer.id)
    erased = CustomerAnonymisedPayload(id=customer.id, anonymised_at=now)
    await publish(session, CUSTOMER_ANONYMISED, erased, customer_id=customer.id)
    return customer
