"""The customers domain: customers, their tags and custom fields, and the portal profile."""

from __future__ import annotations

from fixdesk.customers.permissions import CUSTOMERS_READ, CUSTOMERS_WRITE
from fixdesk.platform.domains import CustomFieldEntity, DomainManifest, Mount, Permission

MANIFEST = DomainManifest(
    name="customers",
    description="Customers, their tags and custom fields, and the customer portal's profile.",
    routers=(
        Mount("fixdesk.customers.router:router"),
        Mount("fixdesk.customers.router:portal_router"),
    ),
    permissions=(
        Permission(CUSTOMERS_READ, "Read customers and their account activity."),
        Permission(CUSTOMERS_WRITE, "Add, change and archive customers."),
    ),
    role_grants={
        "manager": frozenset({CUSTOMERS_READ, CUSTOMERS_WRITE}),
        "technician": frozenset({CUSTOMERS_READ}),
        "agent": frozenset({CUSTOMERS_READ, CUSTOMERS_WRITE}),
    },
    models=("fixdesk.customers.models",),
    events=("fixdesk.customers.events",),
    pages=("fixdesk.web.customers:pages",),
    custom_field_entities=(CustomFieldEntity("customer", "fixdesk.customers.models:Customer.custom_fields"),),
)
