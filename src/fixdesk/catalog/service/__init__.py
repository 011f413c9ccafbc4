"""Catalog rules: brands, device models, repair types, part types and the price list with its history.

Names of brands, repair types and part types are unique regardless of case (through ``slug``); device
model names are unique within their brand. Deleting is deactivating (``is_active`` false), because repairs
and the price history keep referring to the rows. Every price change (creation included) writes a
:class:`PriceHistory` row and a ``catalog.price_changed`` event in the change's transaction.

Reads are cached (:class:`CatalogCache`, ``fixdesk.platform.cache``) and every write invalidates the
cache for its transaction (:func:`invalidate_catalog_cache`), just before it commits and again after.

The package's modules, by topic (every public name is re-exported here, so callers import from
``fixdesk.catalog.service``):

* :mod:`~fixdesk.catalog.service.cache`: the read cache, its invalidation and cache keys;
* :mod:`~fixdesk.catalog.service.common`: null checks, word search, sort direction, unique names,
  deactivation;
* :mod:`~fixdesk.catalog.service.brands`, :mod:`~fixdesk.catalog.service.device_models`,
  :mod:`~fixdesk.catalog.service.types` (repair types and part types): list, read, create, change,
  deactivate;
* :mod:`~fixdesk.catalog.service.pricing`: the price list;
* :mod:`~fixdesk.catalog.service.price_history`: history rows and ``catalog.price_changed`` events;
* :mod:`~fixdesk.catalog.service.estimates`: :func:`find_price` for repair lines and
  :func:`save_estimate` for the estimator.

Name normalisation (:func:`slug_for`, :func:`device_search_text`) lives in :mod:`fixdesk.catalog.names`.
"""

from fixdesk.catalog.names import clean_name, device_search_text, slug_for
from fixdesk.catalog.service.brands import (
    BrandFilters,
    brands_statement,
    create_brand,
    delete_brand,
    get_brand,
    read_brand,
    read_brands,
    update_brand,
)
from fixdesk.catalog.service.cache import (
    CACHE_NAMESPACE,
    CatalogCache,
    catalog_cache_for,
    invalidate_catalog_cache,
)
from fixdesk.catalog.service.common import SortOrder, deactivate
from fixdesk.catalog.service.device_models import (
    DeviceModelFilters,
    create_device_model,
    delete_device_model,
    device_models_statement,
    get_device_model,
    read_device_model,
    read_device_models,
    update_device_model,
)
from fixdesk.catalog.service.estimates import find_price, save_estimate
from fixdesk.catalog.service.price_history import (
    price_history,
    publish_price_changed,
    read_price_history,
    record_price_change,
)
from fixdesk.catalog.service.pricing import (
    PricingFilters,
    create_pricing,
    current_condition,
    delete_pricing,
    get_pricing,
    pricing_statement,
    read_pricing,
    read_pricing_page,
    update_pricing,
)
from fixdesk.catalog.service.types import (
    TypeFilters,
    create_part_type,
    create_repair_type,
    delete_part_type,
    delete_repair_type,
    get_part_type,
    get_repair_type,
    part_types_statement,
    read_part_type,
    read_part_types,
    read_repair_type,
    read_repair_types,
    repair_types_statement,
    update_part_type,
    update_repair_type,
)

__all__ = [
    "CACHE_NAMESPACE",
    "BrandFilters",
    "CatalogCache",
    "DeviceModelFilters",
    "PricingFilters",
    "SortOrder",
    "TypeFilters",
    "brands_statement",
    "catalog_cache_for",
    "clean_name",
    "create_brand",
    "create_device_model",
    "create_part_type",
    "create_pricing",
    "create_repair_type",
    "current_condition",
    "deactivate",
    "delete_brand",
    "delete_device_model",
    "delete_part_type",
    "delete_pricing",
    "delete_repair_type",
    "device_models_statement",
    "device_search_text",
    "find_price",
    "get_brand",
    "get_device_model",
    "get_part_type",
    "get_pricing",
    "get_repair_type",
    "invalidate_catalog_cache",
    "part_types_statement",
    "price_history",
    "pricing_statement",
    "publish_price_changed",
    "read_brand",
    "read_brands",
    "read_device_model",
    "read_device_models",
    "read_part_type",
    "read_part_types",
    "read_price_history",
    "read_pricing",
    "read_pricing_page",
    "read_repair_type",
    "read_repair_types",
    "record_price_change",
    "repair_types_statement",
    "save_estimate",
    "slug_for",
    "update_brand",
    "update_device_model",
    "update_part_type",
    "update_pricing",
    "update_repair_type",
]
