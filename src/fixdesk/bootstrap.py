"""Loads the domains: the one step that turns the list of manifests (:data:`fixdesk.domains.DOMAINS`) into
a working process, so a server, a worker and a CLI command all see the same complete set.

:func:`load_domains` installs the manifests (:func:`fixdesk.platform.domains.install`: the permission table
and the live-event allow-list read them from there), imports every model, event and job module they name
(tables, the event catalogue, job handlers and event subscribers register themselves on import), and
registers their periodic jobs and custom field entities.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

from fixdesk.customfields import registry as custom_field_entities
from fixdesk.domains import DOMAINS
from fixdesk.platform import domains
from fixdesk.platform.domains import DomainManifest
from fixdesk.platform.jobs.registry import registry as jobs


def load_domains(
    manifests: Sequence[DomainManifest] = DOMAINS, *, extra_modules: Sequence[str] = ()
) -> tuple[DomainManifest, ...]:
    """Install ``manifests`` (by default every domain) and load what they declare; idempotent for the same
    list. ``extra_modules`` are imported too (``fixdesk worker --import`` for handlers of one's own).
    Returns the installed manifests. Raises ``RuntimeError`` when this process installed another list."""
    domains.install(manifests)
    for manifest in manifests:
        for module in manifest.modules():
            importlib.import_module(module)
        for schedule in manifest.periodic_jobs:
            jobs.add_periodic(schedule)
        for entity in manifest.custom_field_entities:
            custom_field_entities.register(entity)
    for module in extra_modules:
        importlib.import_module(module)
    return domains.installed()
