"""Imports every domain's models so ``Base.metadata`` knows all tables (migrations, tests, demo loader)."""

from fixdesk.customers.models import Customer, CustomerTag
from fixdesk.db import Base
from fixdesk.identity.models import AuthSession, RefreshToken, User
from fixdesk.platform.events import DomainEvent
from fixdesk.platform.jobs.models import Job, PeriodicRun
from fixdesk.platform.numbering import NumberSequence
from fixdesk.repairs.models import Repair, RepairStatusHistory

__all__ = [
    "AuthSession",
    "Base",
    "Customer",
    "CustomerTag",
    "DomainEvent",
    "Job",
    "NumberSequence",
    "PeriodicRun",
    "RefreshToken",
    "Repair",
    "RepairStatusHistory",
    "User",
]
