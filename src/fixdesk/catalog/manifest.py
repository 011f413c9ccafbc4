"""The catalog domain: brands, device models, repair and part types, the price list and the estimator."""

from __future__ import annotations

from fixdesk.catalog.permissions import CATALOG_READ, CATALOG_WRITE
from fixdesk.platform.domains import DomainManifest, Mount, Permission, UploadLimit

MANIFEST = DomainManifest(
    name="catalog",
    description="Brands, device models, repair and part types, prices, price history, import and export.",
    routers=(
        # The import/export routes first: /catalog/pricing/export must win over /catalog/pricing/{id}.
        Mount("fixdesk.catalog.import_router:router"),
        Mount("fixdesk.catalog.router:router"),
    ),
    permissions=(
        Permission(CATALOG_READ, "Read the device catalog and the price list, ask the estimator."),
        Permission(CATALOG_WRITE, "Change the catalog and prices, import and export price lists."),
    ),
    role_grants={
        "manager": frozenset({CATALOG_READ, CATALOG_WRITE}),
        "technician": frozenset({CATALOG_READ}),
        "agent": frozenset({CATALOG_READ}),
    },
    models=("fixdesk.catalog.models",),
    events=("fixdesk.catalog.events",),
    jobs=("fixdesk.catalog.import_jobs",),
    pages=("fixdesk.web.catalog:pages",),
    upload_limits=(UploadLimit(r"/catalog/import", lambda settings: settings.max_import_bytes),),
)
