"""Login sessions, emailed codes and links, and what a change of credentials revokes: the records identity
signs accounts in with, kept below customers so that a customer's email change can end their sessions in
its own transaction without customers importing identity."""

from __future__ import annotations

from fixdesk.platform.domains import DomainManifest

MANIFEST = DomainManifest(
    name="credentials",
    description="Login sessions (refresh-token families), emailed codes and links, credential changes.",
    models=("fixdesk.credentials.models",),
)
