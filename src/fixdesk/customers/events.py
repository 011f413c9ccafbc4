"""Customer events in the catalogue and the payload they carry."""

from __future__ import annotations

import uuid
from datetime import datetime

from fixdesk.customers.models import Customer
from fixdesk.customers.permissions import CUSTOMERS_READ
from fixdesk.platform.events import event_type
from fixdesk.platform.schemas import CamelModel


class CustomerEventPayload(CamelModel):
    """A customer as events describe it."""

    id: uuid.UUID
    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    status: str
    language: str
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    changed_fields: list[str] | None = None

    @classmethod
    def of(cls, customer: Customer, changed_fields: list[str] | None = None) -> CustomerEventPayload:
        return cls(
            id=customer.id,
            first_name=customer.first_name,
            last_name=customer.last_name,
            email=customer.email,
            phone=customer.phone,
            status=customer.status,
            language=customer.language,
            tags=customer.tag_names,
            created_at=customer.created_at,
            updated_at=customer.updated_at,
            changed_fields=changed_fields,
        )


CUSTOMER_CREATED = event_type(
    "customer.created",
    "A customer was added (seed 002's new customer: its customer:registered / customer.registered).",
    CustomerEventPayload,
    permission=CUSTOMERS_READ,
).name


class CustomerAnonymisedPayload(CamelModel):
    """A customer whose personal data was erased: only the id of the row that stays, now anonymous."""

    id: uuid.UUID
    anonymised_at: datetime


CUSTOMER_UPDATED = event_type(
    "customer.updated",
    "A customer's details or status changed (archiving included); changedFields lists what changed.",
    CustomerEventPayload,
    permission=CUSTOMERS_READ,
).name
CUSTOMER_ANONYMISED = event_type(
    "customer.anonymised",
    "A customer's personal data was erased for good (GDPR Art. 17; the row stays, anonymous): every domain "
    "erases what it keeps about them, and integrators should too.",
    CustomerAnonymisedPayload,
    permission=CUSTOMERS_READ,
).name
