"""Links to billing's pages that go out in messages and on invoices."""

from __future__ import annotations

import uuid

from fixdesk.config import Settings

PORTAL_INVOICE_PATH = "/portal/invoices/"


def portal_url(settings: Settings, invoice_id: uuid.UUID | str) -> str:
    """Where the customer sees and pays the invoice: ``<FIXDESK_PUBLIC_BASE_URL>/portal/invoices/<id>``
    (the portal page, a later item of issue 12, asks them to sign in first)."""
    return f"{settings.resolved_public_base_url}{PORTAL_INVOICE_PATH}{invoice_id}"
