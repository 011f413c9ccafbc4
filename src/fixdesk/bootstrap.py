"""Imports every module that registers models, job handlers, event types and event subscribers, so a
server, a worker and a CLI command all see the same complete set."""

from __future__ import annotations

import importlib

DOMAIN_MODULES = (
    "fixdesk.models",
    "fixdesk.platform.events",
    "fixdesk.customers.events",
    "fixdesk.repairs.events",
    "fixdesk.catalog.events",
    "fixdesk.repairs.quotes.events",
    "fixdesk.repairs.quotes.jobs",
    "fixdesk.repairs.tracking.events",
    "fixdesk.repairs.attachments.jobs",
    "fixdesk.repairs.warranty.events",
    "fixdesk.repairs.warranty.jobs",
    "fixdesk.identity.jobs",
    "fixdesk.messaging.jobs",
    "fixdesk.webhooks.jobs",
    "fixdesk.platform.realtime",
)


def load_domains(extra: tuple[str, ...] = ()) -> None:
    """Import the domain modules (idempotent) plus ``extra`` ones (e.g. ``fixdesk worker --import``)."""
    for name in (*DOMAIN_MODULES, *extra):
        importlib.import_module(name)
