"""Catalog import (CSV upload) and price-list export endpoints.

Both use the CSV format documented in :mod:`fixdesk.catalog.transfer.csv_format`.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import StreamingResponse

from fixdesk.catalog import transfer
from fixdesk.catalog.models import DeviceType
from fixdesk.catalog.permissions import CATALOG_READ, CATALOG_WRITE
from fixdesk.catalog.schemas import CatalogImportRead
from fixdesk.platform.deps import SessionDep, SettingsDep, app_sessionmaker
from fixdesk.platform.permissions import Principal, require
from fixdesk.platform.schemas import require_plain_text

router = APIRouter(tags=["catalog"])

CatalogRead = Annotated[Principal, Depends(require(CATALOG_READ))]
CatalogWrite = Annotated[Principal, Depends(require(CATALOG_WRITE))]


@router.post("/catalog/import", operation_id="catalog-import", response_model=CatalogImportRead)
async def import_catalog(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: CatalogWrite,
    file: Annotated[UploadFile, File(description="The catalog CSV (UTF-8, comma-separated, header row)")],
):
    """Upsert brands, device models and prices from a CSV upload (multipart field ``file``); bad rows are
    listed with their line and reason, good rows land, committed in batches."""
    file_name = require_plain_text(file.filename, "file", label="the file name")
    data = await file.read()
    if len(data) > settings.max_import_bytes:
        raise transfer.ImportTooLarge(
            f"The file has {len(data):,} bytes; at most {settings.max_import_bytes:,} are accepted "
            "(FIXDESK_MAX_IMPORT_BYTES). Import larger files with `fixdesk catalog import`."
        )
    # The import commits in batches of its own; end the request's transaction first (on SQLite it has
    # held the write lock since authentication, and the batches would wait for it).
    await session.commit()
    report = await transfer.import_catalog(
        app_sessionmaker(request),
        data,
        timezone=settings.shop_timezone,
        changed_by_id=principal.staff_user_id,
        source_name=file_name,
    )
    return CatalogImportRead.of(report)


@router.get(
    "/catalog/pricing/export",
    operation_id="catalog-pricing-export",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "The price list as CSV"}},
)
async def export_pricing(
    request: Request,
    settings: SettingsDep,
    principal: CatalogRead,
    brand_id: Annotated[uuid.UUID | None, Query(alias="brandId")] = None,
    device_type: Annotated[DeviceType | None, Query(alias="deviceType")] = None,
    repair_type_id: Annotated[uuid.UUID | None, Query(alias="repairTypeId")] = None,
    include_devices_without_prices: Annotated[
        bool,
        Query(
            alias="includeDevicesWithoutPrices",
            description="Add a device-only row for each matching model without a (matching) price",
        ),
    ] = False,
) -> StreamingResponse:
    """Stream the price list as CSV in the import format (filters like the pricing list)."""
    filters = transfer.ExportFilters(
        brand_id=brand_id,
        device_type=device_type.value if device_type else None,
        repair_type_id=repair_type_id,
        include_devices_without_prices=include_devices_without_prices,
    )
    # The request's session closes when this returns; the export reads in a session of its own.
    chunks = transfer.export_catalog_csv(
        request.app.state.read_sessionmaker, filters, timezone=settings.shop_timezone
    )
    filename = f"fixdesk-pricing-{settings.shop_today().isoformat()}.csv"
    return StreamingResponse(
        chunks,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
