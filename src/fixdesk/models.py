"""Imports every domain's models so ``Base.metadata`` knows all tables (migrations, tests, demo loader)."""

from fixdesk.catalog.models import Brand, DeviceModel, PartType, PriceHistory, Pricing, RepairType
from fixdesk.customers.models import Customer, CustomerTag
from fixdesk.customfields.models import CustomFieldDefinition
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
from fixdesk.repairs.models import (
    Quote,
    QuoteItem,
    QuoteLabour,
    Repair,
    RepairAttachment,
    RepairItem,
    RepairLabour,
    RepairReview,
    RepairStatusHistory,
    Warranty,
    WarrantyClaim,
)
from fixdesk.webhooks.models import WebhookDelivery, WebhookDeliveryAttempt, WebhookSubscription

__all__ = [
    "AccountDeletion",
    "ApiClient",
    "AuditEvent",
    "AuthSession",
    "Base",
    "Brand",
    "CustomFieldDefinition",
    "Customer",
    "CustomerTag",
    "DeviceModel",
    "DomainEvent",
    "IdempotencyKey",
    "Job",
    "LoginCode",
    "Notification",
    "NumberSequence",
    "PartType",
    "PeriodicRun",
    "PriceHistory",
    "Pricing",
    "Quote",
    "QuoteItem",
    "QuoteLabour",
    "RefreshToken",
    "Repair",
    "RepairAttachment",
    "RepairItem",
    "RepairLabour",
    "RepairReview",
    "RepairStatusHistory",
    "RepairType",
    "User",
    "UserInvitation",
    "Warranty",
    "WarrantyClaim",
    "WebhookDelivery",
    "WebhookDeliveryAttempt",
    "WebhookSubscription",
]
