"""Product and stock endpoints (``/api/v1/products``, seed 002)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from fixdesk.config import Settings
from fixdesk.platform.deps import SessionDep, SettingsDep
from fixdesk.platform.openapi import request_example, response_example
from fixdesk.platform.pagination import Page, PageParams, page_params
from fixdesk.platform.permissions import Principal, require
from fixdesk.sales import examples
from fixdesk.sales.models import Product
from fixdesk.sales.permissions import PRODUCTS_READ, PRODUCTS_WRITE
from fixdesk.sales.products import service
from fixdesk.sales.products.schemas import (
    ProductCreate,
    ProductRead,
    ProductUpdate,
    StockMovementCreate,
    StockMovementRead,
)

router = APIRouter(tags=["products"])

ProductsRead = Annotated[Principal, Depends(require(PRODUCTS_READ))]
ProductsWrite = Annotated[Principal, Depends(require(PRODUCTS_WRITE))]


def product_read(product: Product, settings: Settings, sales_count: int = 0) -> ProductRead:
    return ProductRead(
        id=product.id,
        name=product.name,
        sku=product.sku,
        description=product.description,
        barcode=product.barcode,
        category=product.category,
        image_url=product.image_url,
        price=product.price,
        cost=product.cost,
        currency=settings.currency,
        on_hand=product.on_hand,
        stock_quantity=product.on_hand,
        low_stock_threshold=product.low_stock_threshold,
        low_stock=product.low_stock,
        sales_count=sales_count,
        is_active=product.is_active,
        created_at=product.created_at,
        updated_at=product.updated_at,
    )


@router.get("/products", operation_id="products-list", response_model=Page[ProductRead])
async def list_products(
    session: SessionDep,
    _: ProductsRead,
    settings: SettingsDep,
    params: Annotated[PageParams, Depends(page_params)],
    search: Annotated[str | None, Query(max_length=100, description="Name, SKU or barcode")] = None,
    category: Annotated[str | None, Query(max_length=100)] = None,
    is_active: Annotated[bool | None, Query(alias="isActive")] = None,
    low_stock: Annotated[bool | None, Query(alias="lowStock", description="At or below threshold")] = None,
):
    """List products by name, with stock and sales counts."""
    filters = service.ProductFilters(
        search=search, category=category, is_active=is_active, low_stock=low_stock
    )
    rows, total, counts = await service.list_products(session, filters, params)
    return Page[ProductRead].build(
        [product_read(row, settings, counts.get(row.id, 0)) for row in rows], total, params
    )


@router.post(
    "/products",
    operation_id="products-create",
    status_code=status.HTTP_201_CREATED,
    response_model=ProductRead,
    responses=response_example(201, examples.PRODUCT_RESPONSE),
    openapi_extra=request_example(examples.PRODUCT_CREATE_REQUEST),
)
async def create_product(
    body: ProductCreate, session: SessionDep, principal: ProductsWrite, settings: SettingsDep
):
    """Add a product (its opening stock recorded as a receipt)."""
    return product_read(await service.create_product(session, principal, body), settings)


@router.get("/products/{product_id}", operation_id="products-get", response_model=ProductRead)
async def get_product(product_id: uuid.UUID, session: SessionDep, _: ProductsRead, settings: SettingsDep):
    """One product with its stock."""
    product = await service.get_product(session, product_id)
    counts = await service.sales_counts(session, [product.id])
    return product_read(product, settings, counts.get(product.id, 0))


async def _update(
    product_id: uuid.UUID, body: ProductUpdate, session: SessionDep, principal: Principal, settings: Settings
) -> ProductRead:
    product = await service.update_product(session, principal, product_id, body)
    counts = await service.sales_counts(session, [product.id])
    return product_read(product, settings, counts.get(product.id, 0))


@router.patch("/products/{product_id}", operation_id="products-update", response_model=ProductRead)
async def update_product(
    product_id: uuid.UUID,
    body: ProductUpdate,
    session: SessionDep,
    principal: ProductsWrite,
    settings: SettingsDep,
):
    """Change a product; stockQuantity records a stock count."""
    return await _update(product_id, body, session, principal, settings)


@router.put("/products/{product_id}", operation_id="products-replace", response_model=ProductRead)
async def put_product(
    product_id: uuid.UUID,
    body: ProductUpdate,
    session: SessionDep,
    principal: ProductsWrite,
    settings: SettingsDep,
):
    """Seed 002's PUT: the same partial change as PATCH."""
    return await _update(product_id, body, session, principal, settings)


@router.delete(
    "/products/{product_id}", operation_id="products-delete", status_code=status.HTTP_204_NO_CONTENT
)
async def delete_product(product_id: uuid.UUID, session: SessionDep, _: ProductsWrite) -> None:
    """Deactivate a product (its stock ledger and orders stay)."""
    await service.deactivate_product(session, product_id)


@router.get(
    "/products/{product_id}/movements",
    operation_id="products-movements-list",
    response_model=Page[StockMovementRead],
)
async def list_movements(
    product_id: uuid.UUID,
    session: SessionDep,
    _: ProductsRead,
    params: Annotated[PageParams, Depends(page_params)],
):
    """A product's stock ledger, newest first."""
    rows, total = await service.list_movements(session, product_id, params)
    return Page[StockMovementRead].build(
        [StockMovementRead.model_validate(row) for row in rows], total, params
    )


@router.post(
    "/products/{product_id}/movements",
    operation_id="products-movements-create",
    status_code=status.HTTP_201_CREATED,
    response_model=StockMovementRead,
)
async def record_movement(
    product_id: uuid.UUID, body: StockMovementCreate, session: SessionDep, principal: ProductsWrite
):
    """Record a stock receipt or an adjustment."""
    return StockMovementRead.model_validate(
        await service.record_movement(session, principal, product_id, body)
    )
