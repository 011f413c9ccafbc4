"""The list of Fixdesk's domains: the one place a domain is added.

The app, the worker, the CLI, ``fixdesk.models``, the permission table, the event catalogue, the custom
field registry, the live-event allow-list and the authorisation-matrix test all read this list (through
:func:`fixdesk.bootstrap.load_domains`). Adding a domain is its package (with its ``manifest.py``), its
migration and one line here. Routers are mounted in this order, then in each manifest's order.
"""

from __future__ import annotations

from fixdesk.analytics.manifest import MANIFEST as analytics
from fixdesk.audit.manifest import MANIFEST as audit
from fixdesk.billing.manifest import MANIFEST as billing
from fixdesk.catalog.manifest import MANIFEST as catalog
from fixdesk.credentials.manifest import MANIFEST as credentials
from fixdesk.customers.manifest import MANIFEST as customers
from fixdesk.customfields.manifest import MANIFEST as customfields
from fixdesk.fieldservice.manifest import MANIFEST as fieldservice
from fixdesk.identity.manifest import MANIFEST as identity
from fixdesk.marketing.manifest import MANIFEST as marketing
from fixdesk.messaging.manifest import MANIFEST as messaging
from fixdesk.platform.domains import DomainManifest
from fixdesk.platform.manifest import MANIFEST as platform
from fixdesk.repairs.manifest import MANIFEST as repairs
from fixdesk.sales.manifest import MANIFEST as sales
from fixdesk.webhooks.manifest import MANIFEST as webhooks

DOMAINS: tuple[DomainManifest, ...] = (
    # Not a business domain: the platform's own routers, tables and jobs, declared the same way.
    platform,
    # Shared records below customers and identity: the audit log, login sessions and emailed codes.
    audit,
    credentials,
    identity,
    customers,
    customfields,
    catalog,
    repairs,
    fieldservice,
    sales,
    # Invoices and payments, made from repairs and work orders (read through their access functions).
    billing,
    # Consent, suppressions, audiences and segments: reads customers, sales, billing and repairs.
    marketing,
    analytics,
    messaging,
    webhooks,
)
