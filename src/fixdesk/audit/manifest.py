"""The audit log: who did what to which account or record, from where. A shared record below the
domains that write to it (customers, identity, repairs); reading the whole log is identity's
``GET /audit`` (``audit:read``), a customer's part of it ``GET /customers/{id}/activity``."""

from __future__ import annotations

from fixdesk.platform.domains import DomainManifest

MANIFEST = DomainManifest(
    name="audit",
    description="The activity and audit log, written in the transaction of the action it records.",
    models=("fixdesk.audit.models",),
)
