"""Imports every domain's models so ``Base.metadata`` knows all tables (migrations, tests, demo loader)."""

from fixdesk.customers.models import Customer, CustomerTag
from fixdesk.db import Base
from fixdesk.identity.models import (
    AccountDeletion,
    ApiClient,
    AuditEvent,
    AuthSession,
    LoginCode,
    RefreshToken,
    User,
    UserInvitation,
)
from fixdesk.messaging.models import Notification
from fixdesk.platform.events import DomainEvent
from fixdesk.platform.idempotency import IdempotencyKey
from fixdesk.platform.jobs.models import Job, PeriodicRun
from fixdesk.platform.numbering import NumberSequence
from fixdesk.repairs.models import Repair, RepairStatusHistory
from fixdesk.webhooks.models import WebhookDelivery, WebhookDeliveryAttempt, WebhookSubscription

__all__ = [
    "AccountDeletion",
    "ApiClient",
    "AuditEvent",
    "AuthSession",
    "Base",
    "Customer",
    "CustomerTag",
    "DomainEvent",
    "IdempotencyKey",
    "Job",
    "LoginCode",
    "Notification",
    "NumberSequence",
    "PeriodicRun",
    "RefreshToken",
    "Repair",
    "RepairStatusHistory",
    "User",
    "UserInvitation",
    "WebhookDelivery",
    "WebhookDeliveryAttempt",
    "WebhookSubscription",
]
