"""Request and response models of products and their stock (seed 002's product: ``name``,
``description``, ``price``, ``category``, ``imageUrl``, ``stockQuantity``, ``salesCount``, ``isActive``;
plus a unique ``sku``, the ``cost`` to the shop, a ``lowStockThreshold`` and an optional ``barcode``).

Money is in the shop's currency (``FIXDESK_CURRENCY``), quantities are units. ``stockQuantity`` (the same
figure as ``onHand``) is the sum of the product's stock movements; sending it on creation records a
``received`` movement, on an update an ``adjusted`` one (a stock count) of the difference.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from fixdesk.platform.schemas import CamelModel, InputModel, MoneyIn, MoneyOut, NotNull

Units = Annotated[int, Field(ge=0, le=1_000_000)]
Sku = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")]
ImageUrl = Annotated[str, Field(max_length=500, pattern=r"^https?://[^\s\x00-\x1f\x7f]+$")]
Barcode = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")]


class ProductCreate(InputModel):
    """A new product. ``stockQuantity`` (default 0) is the opening stock, recorded as a ``received``
    movement. ``lowStockThreshold`` (units, default 0): at or below it the product is low on stock."""

    name: str = Field(min_length=1, max_length=200)
    sku: Sku
    description: str | None = Field(default=None, max_length=5000)
    barcode: Barcode | None = None
    category: str | None = Field(default=None, min_length=1, max_length=100)
    image_url: ImageUrl | None = None
    price: MoneyIn = Field(description="Selling price per unit, shop currency")
    cost: MoneyIn | None = Field(default=None, description="What one unit costs the shop")
    low_stock_threshold: Units = 0
    stock_quantity: Units = Field(default=0, description="Opening stock, units")
    is_active: bool = True


class ProductUpdate(InputModel):
    """Fields to change (left out: unchanged). ``stockQuantity`` sets the counted stock: the difference is
    recorded as an ``adjusted`` movement. ``barcode``, ``description``, ``category``, ``imageUrl`` and
    ``cost`` may be cleared with null."""

    name: NotNull[str] = Field(default=None, min_length=1, max_length=200)
    sku: NotNull[Sku] = None
    description: str | None = Field(default=None, max_length=5000)
    barcode: Barcode | None = None
    category: str | None = Field(default=None, min_length=1, max_length=100)
    image_url: ImageUrl | None = None
    price: NotNull[MoneyIn] = None
    cost: MoneyIn | None = None
    low_stock_threshold: NotNull[Units] = None
    stock_quantity: NotNull[Units] = None
    is_active: NotNull[bool] = None


class ProductRead(CamelModel):
    id: uuid.UUID
    name: str
    sku: str
    description: str | None
    barcode: str | None
    category: str | None
    image_url: str | None
    price: MoneyOut
    cost: MoneyOut | None
    currency: str
    on_hand: int = Field(description="Units in stock: the sum of the stock movements")
    stock_quantity: int = Field(description="Seed 002's name for onHand")
    low_stock_threshold: int
    low_stock: bool = Field(
        description="An active product whose onHand is at or below lowStockThreshold (product.low_stock was "
        "published for this dip)"
    )
    sales_count: int = Field(description="Units sold through orders that were not cancelled")
    is_active: bool
    created_at: datetime
    updated_at: datetime


class StockMovementCreate(InputModel):
    """A receipt of goods (``received``, a positive ``quantity``) or an adjustment (``adjusted``: positive
    found, negative lost or broken). Sales, repairs and returns record their own movements."""

    kind: Literal["received", "adjusted"]
    quantity: int = Field(ge=-1_000_000, le=1_000_000, description="Units; received: positive")
    unit_cost: MoneyIn | None = Field(default=None, description="What one unit of a receipt cost")
    note: str | None = Field(default=None, max_length=1000)


class StockMovementRead(CamelModel):
    id: uuid.UUID
    product_id: uuid.UUID
    kind: str = Field(description="received | sold | used_in_repair | adjusted | returned")
    quantity: int = Field(description="Signed units: positive into stock, negative out")
    on_hand_after: int
    unit_cost: MoneyOut | None
    note: str | None
    order_id: uuid.UUID | None
    repair_id: uuid.UUID | None
    repair_item_id: uuid.UUID | None
    created_by_id: uuid.UUID | None
    created_at: datetime
