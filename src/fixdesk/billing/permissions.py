"""The billing domain's permissions (declared with their grants in :mod:`fixdesk.billing.manifest`)."""

from __future__ import annotations

INVOICES_READ = "invoices:read"
INVOICES_WRITE = "invoices:write"
INVOICES_VOID = "invoices:void"
PAYMENTS_WRITE = "payments:write"
PAYMENTS_REFUND = "payments:refund"
