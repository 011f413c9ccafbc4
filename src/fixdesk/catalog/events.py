"""Catalog events in the catalogue: one event per change of a price, for integrators who keep a copy of the
price list (a web shop, a point of sale). Edits of brands, models and types publish nothing: they matter to
integrators only through the prices, which carry the ids."""

from __future__ import annotations

import uuid

from pydantic import Field

from fixdesk.catalog.permissions import CATALOG_READ
from fixdesk.platform.events import event_type
from fixdesk.platform.schemas import CamelModel, MoneyOut


class PriceChangedPayload(CamelModel):
    """A price of the price list was created or changed (amounts in the shop's currency)."""

    pricing_id: uuid.UUID
    device_model_id: uuid.UUID
    repair_type_id: uuid.UUID
    part_type_id: uuid.UUID
    part_quality: str
    old_price: MoneyOut | None = Field(description="null when the price was just created")
    new_price: MoneyOut
    source: str = Field(description="api | import | estimate")
    is_estimated: bool
    is_active: bool = Field(default=True, description="false once the price was deactivated")
    reason: str | None = None


PRICE_CHANGED = event_type(
    "catalog.price_changed",
    "A price of the price list was created, changed or deactivated (oldPrice null on creation); source says how.",
    PriceChangedPayload,
    permission=CATALOG_READ,
).name
