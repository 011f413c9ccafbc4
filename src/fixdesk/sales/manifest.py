"""The sales domain: products with their stock ledger, orders, and the sales dashboard (issue 13, seed
002).

Grants: managers hold every sales permission (admins hold every permission anyway). The front desk
(``agent``) sells: it reads products and takes orders (``orders:write``, which includes reading them), but
does not change the product list or stock, nor read the dashboard. Technicians read products, to pick the
part a repair's line fits.
"""

from __future__ import annotations

from fixdesk.platform.domains import DomainManifest, Mount, Permission
from fixdesk.sales.permissions import (
    DASHBOARD_READ,
    ORDERS_READ,
    ORDERS_WRITE,
    PRODUCTS_READ,
    PRODUCTS_WRITE,
)

MANIFEST = DomainManifest(
    name="sales",
    description="Products and their stock ledger, orders, website visits and the sales dashboard.",
    routers=(
        Mount("fixdesk.sales.products.router:router"),
        Mount("fixdesk.sales.orders.router:router"),
        Mount("fixdesk.sales.dashboard.router:router"),
    ),
    permissions=(
        Permission(PRODUCTS_READ, "Read products, their stock and stock movements."),
        Permission(PRODUCTS_WRITE, "Add and change products, record stock receipts and adjustments."),
        Permission(ORDERS_READ, "Read orders."),
        Permission(ORDERS_WRITE, "Take orders and move them along their lifecycle."),
        Permission(
            DASHBOARD_READ, "Read the sales dashboard: sales, orders, revenue, visitors, top products."
        ),
    ),
    role_grants={
        "manager": frozenset({PRODUCTS_READ, PRODUCTS_WRITE, ORDERS_READ, ORDERS_WRITE, DASHBOARD_READ}),
        "agent": frozenset({PRODUCTS_READ, ORDERS_READ, ORDERS_WRITE}),
        "technician": frozenset({PRODUCTS_READ}),
    },
    models=("fixdesk.sales.models",),
    events=("fixdesk.sales.events",),
    jobs=("fixdesk.sales.jobs",),
    # The staff pages: products and stock, orders (new order, status, invoice), the sales dashboard.
    pages=("fixdesk.web.sales:pages",),
)
