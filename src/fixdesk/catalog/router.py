"""Catalog endpoints (/api/v1/catalog/…): brands, device models, repair types, part types, pricing, estimates.

Every staff role reads the catalog (``catalog:read``); admins and managers change it (``catalog:write``).
Reads are answered from the catalog cache; every write invalidates it. DELETE deactivates the row
(``isActive`` false) and answers 200 with it: repairs and the price history keep referring to it.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import JSONResponse

from fixdesk.catalog import examples, service
from fixdesk.catalog.estimator import estimate_price
from fixdesk.catalog.models import DeviceType, PartQuality, TierLevel
from fixdesk.catalog.permissions import CATALOG_READ, CATALOG_WRITE
from fixdesk.catalog.schemas import (
    BrandCreate,
    BrandRead,
    BrandUpdate,
    DeviceModelCreate,
    DeviceModelRead,
    DeviceModelUpdate,
    EstimateRead,
    EstimateSave,
    PartTypeCreate,
    PartTypeRead,
    PartTypeUpdate,
    PriceHistoryRead,
    PricingCreate,
    PricingRead,
    PricingUpdate,
    RepairTypeCreate,
    RepairTypeRead,
    RepairTypeUpdate,
)
from fixdesk.platform.deps import SessionDep, SettingsDep
from fixdesk.platform.openapi import problems, response_example
from fixdesk.platform.pagination import Page, PageParams, page_params
from fixdesk.platform.permissions import Principal, require

router = APIRouter(prefix="/catalog", tags=["catalog"])

CatalogRead = Annotated[Principal, Depends(require(CATALOG_READ))]
CatalogWrite = Annotated[Principal, Depends(require(CATALOG_WRITE))]
Paging = Annotated[PageParams, Depends(page_params)]


async def _catalog_cache(request: Request) -> service.CatalogCache:
    return service.catalog_cache_for(request.app)


CatalogCacheDep = Annotated[service.CatalogCache, Depends(_catalog_cache)]
Search = Annotated[str | None, Query(max_length=200, description="Part of the name, any case")]
IsActive = Annotated[bool | None, Query(alias="isActive", description="Omit for active and inactive rows")]


def _cached(data: Any) -> JSONResponse:
    # Cached reads are already the JSON the response model would produce.
    return JSONResponse(data)


# --- brands ------------------------------------------------------------------------------------------


@router.get("/brands", operation_id="catalog-brands-list", response_model=Page[BrandRead])
async def list_brands(
    session: SessionDep,
    _: CatalogRead,
    cache: CatalogCacheDep,
    params: Paging,
    search: Search = None,
    is_active: IsActive = None,
):
    """List brands by name (``search`` in the name, ``isActive``)."""
    filters = service.BrandFilters(search=search, is_active=is_active)
    return _cached(await service.read_brands(session, cache, filters, params))


@router.post(
    "/brands",
    operation_id="catalog-brands-create",
    status_code=status.HTTP_201_CREATED,
    response_model=BrandRead,
)
async def create_brand(body: BrandCreate, session: SessionDep, _: CatalogWrite):
    """Add a brand (409 when the name exists, regardless of case)."""
    return await service.create_brand(session, body)


@router.get("/brands/{brand_id}", operation_id="catalog-brands-get", response_model=BrandRead)
async def get_brand(brand_id: uuid.UUID, session: SessionDep, _: CatalogRead, cache: CatalogCacheDep):
    """One brand."""
    return _cached(await service.read_brand(session, cache, brand_id))


@router.patch("/brands/{brand_id}", operation_id="catalog-brands-update", response_model=BrandRead)
async def update_brand(brand_id: uuid.UUID, body: BrandUpdate, session: SessionDep, _: CatalogWrite):
    """Rename or (de)activate a brand."""
    return await service.update_brand(session, brand_id, body)


@router.delete("/brands/{brand_id}", operation_id="catalog-brands-delete", response_model=BrandRead)
async def delete_brand(brand_id: uuid.UUID, session: SessionDep, _: CatalogWrite):
    """Deactivate a brand (soft delete): answers 200 with it, now ``isActive`` false."""
    return await service.delete_brand(session, brand_id)


# --- device models -----------------------------------------------------------------------------------


@router.get("/device-models", operation_id="catalog-device-models-list", response_model=Page[DeviceModelRead])
async def list_device_models(
    session: SessionDep,
    _: CatalogRead,
    cache: CatalogCacheDep,
    params: Paging,
    brand_id: Annotated[uuid.UUID | None, Query(alias="brandId")] = None,
    device_type: Annotated[DeviceType | None, Query(alias="deviceType")] = None,
    tier_level: Annotated[
        TierLevel | None, Query(alias="tierLevel", description="1 flagship, 2 standard, 3 budget")
    ] = None,
    is_active: IsActive = None,
    release_year: Annotated[int | None, Query(alias="releaseYear", ge=1970, le=2100)] = None,
    release_year_from: Annotated[int | None, Query(alias="releaseYearFrom", ge=1970, le=2100)] = None,
    release_year_to: Annotated[int | None, Query(alias="releaseYearTo", ge=1970, le=2100)] = None,
    search: Annotated[
        str | None, Query(max_length=200, description="Brand, name or model number, any case")
    ] = None,
    sort_by: Annotated[Literal["name", "releaseYear"], Query(alias="sortBy")] = "name",
    sort_order: Annotated[Literal["asc", "desc"], Query(alias="sortOrder")] = "asc",
):
    """List device models with their brand (filters, ``search`` in brand, name and model number)."""
    filters = service.DeviceModelFilters(
        brand_id=brand_id,
        device_type=device_type.value if device_type else None,
        tier_level=int(tier_level) if tier_level else None,
        is_active=is_active,
        release_year=release_year,
        release_year_from=release_year_from,
        release_year_to=release_year_to,
        search=search,
        sort_by=sort_by,
        sort_order=sort_order,
    )
    return _cached(await service.read_device_models(session, cache, filters, params))


@router.post(
    "/device-models",
    operation_id="catalog-device-models-create",
    status_code=status.HTTP_201_CREATED,
    response_model=DeviceModelRead,
)
async def create_device_model(body: DeviceModelCreate, session: SessionDep, _: CatalogWrite):
    """Add a device model to a brand (409 when the brand has one of that name)."""
    return await service.create_device_model(session, body)


@router.get(
    "/device-models/{device_model_id}",
    operation_id="catalog-device-models-get",
    response_model=DeviceModelRead,
)
async def get_device_model(
    device_model_id: uuid.UUID, session: SessionDep, _: CatalogRead, cache: CatalogCacheDep
):
    """One device model with its brand."""
    return _cached(await service.read_device_model(session, cache, device_model_id))


@router.patch(
    "/device-models/{device_model_id}",
    operation_id="catalog-device-models-update",
    response_model=DeviceModelRead,
)
async def update_device_model(
    device_model_id: uuid.UUID, body: DeviceModelUpdate, session: SessionDep, _: CatalogWrite
):
    """Change a device model."""
    return await service.update_device_model(session, device_model_id, body)


@router.delete(
    "/device-models/{device_model_id}",
    operation_id="catalog-device-models-delete",
    response_model=DeviceModelRead,
)
async def delete_device_model(device_model_id: uuid.UUID, session: SessionDep, _: CatalogWrite):
    """Deactivate a device model (soft delete): answers 200 with it, now ``isActive`` false."""
    return await service.delete_device_model(session, device_model_id)


# --- repair types ------------------------------------------------------------------------------------


@router.get("/repair-types", operation_id="catalog-repair-types-list", response_model=Page[RepairTypeRead])
async def list_repair_types(
    session: SessionDep,
    _: CatalogRead,
    cache: CatalogCacheDep,
    params: Paging,
    search: Search = None,
    is_active: IsActive = None,
):
    """List repair types by name."""
    filters = service.TypeFilters(search=search, is_active=is_active)
    return _cached(await service.read_repair_types(session, cache, filters, params))


@router.post(
    "/repair-types",
    operation_id="catalog-repair-types-create",
    status_code=status.HTTP_201_CREATED,
    response_model=RepairTypeRead,
)
async def create_repair_type(body: RepairTypeCreate, session: SessionDep, _: CatalogWrite):
    """Add a repair type (409 when the name exists, regardless of case)."""
    return await service.create_repair_type(session, body)


@router.get(
    "/repair-types/{repair_type_id}", operation_id="catalog-repair-types-get", response_model=RepairTypeRead
)
async def get_repair_type(
    repair_type_id: uuid.UUID, session: SessionDep, _: CatalogRead, cache: CatalogCacheDep
):
    """One repair type."""
    return _cached(await service.read_repair_type(session, cache, repair_type_id))


@router.patch(
    "/repair-types/{repair_type_id}",
    operation_id="catalog-repair-types-update",
    response_model=RepairTypeRead,
)
async def update_repair_type(
    repair_type_id: uuid.UUID, body: RepairTypeUpdate, session: SessionDep, _: CatalogWrite
):
    """Change a repair type."""
    return await service.update_repair_type(session, repair_type_id, body)


@router.delete(
    "/repair-types/{repair_type_id}",
    operation_id="catalog-repair-types-delete",
    response_model=RepairTypeRead,
)
async def delete_repair_type(repair_type_id: uuid.UUID, session: SessionDep, _: CatalogWrite):
    """Deactivate a repair type (soft delete): answers 200 with it, now ``isActive`` false."""
    return await service.delete_repair_type(session, repair_type_id)


# --- part types --------------------------------------------------------------------------------------


@router.get("/part-types", operation_id="catalog-part-types-list", response_model=Page[PartTypeRead])
async def list_part_types(
    session: SessionDep,
    _: CatalogRead,
    cache: CatalogCacheDep,
    params: Paging,
    search: Search = None,
    is_active: IsActive = None,
    quality: PartQuality | None = None,
):
    """List part types by name (``quality``, ``search``, ``isActive``)."""
    filters = service.TypeFilters(
        search=search, is_active=is_active, quality=quality.value if quality else None
    )
    return _cached(await service.read_part_types(session, cache, filters, params))


@router.post(
    "/part-types",
    operation_id="catalog-part-types-create",
    status_code=status.HTTP_201_CREATED,
    response_model=PartTypeRead,
)
async def create_part_type(body: PartTypeCreate, session: SessionDep, _: CatalogWrite):
    """Add a part type (409 when the name exists, regardless of case)."""
    return await service.create_part_type(session, body)


@router.get("/part-types/{part_type_id}", operation_id="catalog-part-types-get", response_model=PartTypeRead)
async def get_part_type(part_type_id: uuid.UUID, session: SessionDep, _: CatalogRead, cache: CatalogCacheDep):
    """One part type."""
    return _cached(await service.read_part_type(session, cache, part_type_id))


@router.patch(
    "/part-types/{part_type_id}", operation_id="catalog-part-types-update", response_model=PartTypeRead
)
async def update_part_type(
    part_type_id: uuid.UUID, body: PartTypeUpdate, session: SessionDep, _: CatalogWrite
):
    """Change a part type."""
    return await service.update_part_type(session, part_type_id, body)


@router.delete(
    "/part-types/{part_type_id}", operation_id="catalog-part-types-delete", response_model=PartTypeRead
)
async def delete_part_type(part_type_id: uuid.UUID, session: SessionDep, _: CatalogWrite):
    """Deactivate a part type (soft delete): answers 200 with it, now ``isActive`` false."""
    return await service.delete_part_type(session, part_type_id)


# --- pricing (the estimate routes first: they must win over /pricing/{pricing_id}) -------------------


@router.get(
    "/pricing/estimate",
    operation_id="catalog-pricing-estimate",
    response_model=EstimateRead,
    responses=problems(404) | response_example(200, examples.ESTIMATE_RESPONSE),
)
async def estimate(
    session: SessionDep,
    _: CatalogRead,
    cache: CatalogCacheDep,
    settings: SettingsDep,
    device_model_id: Annotated[
        uuid.UUID, Query(alias="deviceModelId", examples=[examples.ESTIMATE_RESPONSE["deviceModelId"]])
    ],
    repair_type_id: Annotated[
        uuid.UUID, Query(alias="repairTypeId", examples=[examples.ESTIMATE_RESPONSE["repairTypeId"]])
    ],
    part_type_id: Annotated[
        uuid.UUID | None,
        Query(alias="partTypeId", description="Price this part type (exact method); its quality by default"),
    ] = None,
    part_quality: Annotated[
        PartQuality | None,
        Query(
            alias="partQuality",
            description="The part grade; default the part type's quality, or aftermarket_standard",
        ),
    ] = None,
):
    """Estimate a price: the shop's own, else derived from similar devices, else the repair type's median
    (404 with the reason when nothing can be estimated, or for an unknown device, repair or part type).

    The answer names the price used (``pricingId``, ``partTypeId``), how many of the shop's prices matched
    (``matchingPrices``: with several part types priced for the grade the cheapest is used; ask with
    ``partTypeId`` for one of them) and why (``reason``)."""
    result = await estimate_price(
        session,
        device_model_id,
        repair_type_id,
        part_quality.value if part_quality is not None else None,
        part_type_id=part_type_id,
        cache=cache,
    )
    return EstimateRead(
        device_model_id=device_model_id,
        repair_type_id=repair_type_id,
        part_quality=result.part_quality,
        price=result.price,
        currency=settings.currency,
        confidence=result.confidence,
        method=result.method,
        basis=result.basis,
        pricing_id=result.pricing_id,
        part_type_id=result.part_type_id,
        matching_prices=result.matching_prices,
        reason=result.reason,
    )


@router.post(
    "/pricing/estimates",
    operation_id="catalog-pricing-estimates-create",
    status_code=status.HTTP_201_CREATED,
    response_model=PricingRead,
)
async def save_estimate(body: EstimateSave, session: SessionDep, principal: CatalogWrite):
    """Save the estimated price for these keys as a price flagged ``isEstimated`` (409 when one exists)."""
    return await service.save_estimate(session, body, changed_by_id=principal.staff_user_id)


@router.get("/pricing", operation_id="catalog-pricing-list", response_model=Page[PricingRead])
async def list_pricing(
    session: SessionDep,
    _: CatalogRead,
    cache: CatalogCacheDep,
    params: Paging,
    device_model_id: Annotated[uuid.UUID | None, Query(alias="deviceModelId")] = None,
    brand_id: Annotated[uuid.UUID | None, Query(alias="brandId")] = None,
    repair_type_id: Annotated[uuid.UUID | None, Query(alias="repairTypeId")] = None,
    part_type_id: Annotated[uuid.UUID | None, Query(alias="partTypeId")] = None,
    part_quality: Annotated[PartQuality | None, Query(alias="partQuality")] = None,
    is_active: IsActive = None,
    is_estimated: Annotated[bool | None, Query(alias="isEstimated")] = None,
    current_only: Annotated[
        bool, Query(alias="currentOnly", description="Only prices that apply now")
    ] = False,
):
    """List prices, newest first, with device model (and brand), repair type and part type."""
    filters = service.PricingFilters(
        device_model_id=device_model_id,
        brand_id=brand_id,
        repair_type_id=repair_type_id,
        part_type_id=part_type_id,
        part_quality=part_quality.value if part_quality else None,
        is_active=is_active,
        is_estimated=is_estimated,
        current_only=current_only,
    )
    return _cached(await service.read_pricing_page(session, cache, filters, params))


@router.post(
    "/pricing",
    operation_id="catalog-pricing-create",
    status_code=status.HTTP_201_CREATED,
    response_model=PricingRead,
)
async def create_pricing(body: PricingCreate, session: SessionDep, principal: CatalogWrite):
    """Add a price (409 naming the four keys when one exists; 400 naming unknown referenced ids)."""
    return await service.create_pricing(session, body, changed_by_id=principal.staff_user_id)


@router.get("/pricing/{pricing_id:uuid}", operation_id="catalog-pricing-get", response_model=PricingRead)
async def get_pricing(pricing_id: uuid.UUID, session: SessionDep, _: CatalogRead, cache: CatalogCacheDep):
    """One price with its device model, repair type and part type."""
    return _cached(await service.read_pricing(session, cache, pricing_id))


@router.patch("/pricing/{pricing_id:uuid}", operation_id="catalog-pricing-update", response_model=PricingRead)
async def update_pricing(
    pricing_id: uuid.UUID, body: PricingUpdate, session: SessionDep, principal: CatalogWrite
):
    """Change a price; price and cost changes are recorded in its history (with ``reason``)."""
    return await service.update_pricing(session, pricing_id, body, changed_by_id=principal.staff_user_id)


@router.delete(
    "/pricing/{pricing_id:uuid}", operation_id="catalog-pricing-delete", response_model=PricingRead
)
async def delete_pricing(pricing_id: uuid.UUID, session: SessionDep, principal: CatalogWrite):
    """Deactivate a price (soft delete): answers 200 with it, now ``isActive`` false."""
    return await service.delete_pricing(session, pricing_id, changed_by_id=principal.staff_user_id)


@router.get(
    "/pricing/{pricing_id}/history",
    operation_id="catalog-pricing-history",
    response_model=Page[PriceHistoryRead],
)
async def pricing_history(
    pricing_id: uuid.UUID, session: SessionDep, _: CatalogRead, cache: CatalogCacheDep, params: Paging
):
    """The history of a price, newest first: old and new price and cost, source, who and why."""
    return _cached(await service.read_price_history(session, cache, pricing_id, params))
