"""The billing domain: invoices (drafts, gap-free numbers, PDF, sending, voids, credit notes) and
payments (partial payments, refunds, a repair's deposit), online payment with Stripe Checkout and its
webhook, overdue invoices and payment reminders, and the customer's invoices in the portal (issue 12,
seed 001).

Grants: managers hold everything (voids and refunds too); agents at the front desk make, send and take
payment for invoices, but neither void them nor refund money; technicians hold nothing of billing.
"""

from __future__ import annotations

from fixdesk.billing.permissions import (
    INVOICES_READ,
    INVOICES_VOID,
    INVOICES_WRITE,
    PAYMENTS_REFUND,
    PAYMENTS_WRITE,
)
from fixdesk.platform.domains import DomainManifest, MessageTemplates, Mount, Periodic, Permission

MANIFEST = DomainManifest(
    name="billing",
    description="Invoices, credit notes and payments.",
    routers=(
        # The exports first: /invoices/export.csv must win over /invoices/{id}.
        Mount("fixdesk.billing.exports.router:router"),
        Mount("fixdesk.billing.invoices.router:router"),
        Mount("fixdesk.billing.payments.router:router"),
        Mount("fixdesk.billing.invoices.portal_router:router"),
        Mount("fixdesk.billing.checkout.router:router"),
        # The receivables report: billing's data, under /analytics and analytics:read.
        Mount("fixdesk.billing.receivables.router:router"),
    ),
    permissions=(
        Permission(INVOICES_READ, "Read invoices, credit notes, payments and customers' payment terms."),
        Permission(
            INVOICES_WRITE,
            "Make, edit and delete draft invoices; finalise and send them; credit notes; payment terms.",
        ),
        Permission(INVOICES_VOID, "Void issued invoices."),
        Permission(PAYMENTS_WRITE, "Record payments against invoices (and mark them paid)."),
        Permission(PAYMENTS_REFUND, "Refund payments."),
    ),
    role_grants={
        "manager": frozenset({INVOICES_READ, INVOICES_WRITE, INVOICES_VOID, PAYMENTS_WRITE, PAYMENTS_REFUND}),
        "agent": frozenset({INVOICES_READ, INVOICES_WRITE, PAYMENTS_WRITE}),
    },
    models=("fixdesk.billing.models",),
    events=("fixdesk.billing.events",),
    jobs=("fixdesk.billing.jobs",),
    periodic_jobs=(Periodic("billing.overdue_and_reminders", "7 * * * *", "billing.overdue_and_reminders"),),
    # The staff pages (invoices list and page, "Create invoice" from a repair, the receivables) and the
    # customer's invoices in the portal.
    pages=("fixdesk.web.billing:pages", "fixdesk.web.portal_invoices:pages"),
    message_templates=(MessageTemplates("fixdesk.billing", "message_templates", ("invoice_sent",)),),
)
