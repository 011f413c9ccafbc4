"""Repair line item and labour endpoints (``/api/v1/repairs/{id}/items``, ``…/labour``).

Adding or changing a line answers the line and the repair's totals after the change
(``{item|labour, totals}``); removing one answers the totals. The full repair stays at
``GET /api/v1/repairs/{id}``.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status

from fixdesk.platform.deps import SessionDep, SettingsDep
from fixdesk.platform.permissions import Principal, require
from fixdesk.repairs.items import service
from fixdesk.repairs.items.schemas import (
    RepairItemCreate,
    RepairItemRead,
    RepairItemResult,
    RepairItemUpdate,
    RepairLabourCreate,
    RepairLabourRead,
    RepairLabourResult,
    RepairLabourUpdate,
    RepairTotals,
)
from fixdesk.repairs.permissions import REPAIRS_UPDATE

router = APIRouter(tags=["repairs"])

RepairsUpdate = Annotated[Principal, Depends(require(REPAIRS_UPDATE))]


@router.post(
    "/repairs/{repair_id}/items",
    operation_id="repairs-items-create",
    status_code=status.HTTP_201_CREATED,
    response_model=RepairItemResult,
)
async def add_item(
    repair_id: uuid.UUID,
    body: RepairItemCreate,
    session: SessionDep,
    principal: RepairsUpdate,
    settings: SettingsDep,
):
    """Add a part-and-repair line (priced from the catalog or the estimator when unitPrice is left out)."""
    item, repair = await service.add_item(session, principal, repair_id, body)
    return RepairItemResult(
        item=RepairItemRead.model_validate(item), totals=RepairTotals.of(repair, settings.currency)
    )


@router.patch(
    "/repairs/{repair_id}/items/{item_id}",
    operation_id="repairs-items-update",
    response_model=RepairItemResult,
)
async def update_item(
    repair_id: uuid.UUID,
    item_id: uuid.UUID,
    body: RepairItemUpdate,
    session: SessionDep,
    principal: RepairsUpdate,
    settings: SettingsDep,
):
    """Change a line item; the totals are recomputed."""
    item, repair = await service.update_item(session, principal, repair_id, item_id, body)
    return RepairItemResult(
        item=RepairItemRead.model_validate(item), totals=RepairTotals.of(repair, settings.currency)
    )


@router.delete(
    "/repairs/{repair_id}/items/{item_id}",
    operation_id="repairs-items-delete",
    response_model=RepairTotals,
)
async def delete_item(
    repair_id: uuid.UUID,
    item_id: uuid.UUID,
    session: SessionDep,
    principal: RepairsUpdate,
    settings: SettingsDep,
):
    """Remove a line item and answer the repair's new totals."""
    repair = await service.delete_item(session, principal, repair_id, item_id)
    return RepairTotals.of(repair, settings.currency)


@router.post(
    "/repairs/{repair_id}/labour",
    operation_id="repairs-labour-create",
    status_code=status.HTTP_201_CREATED,
    response_model=RepairLabourResult,
)
async def add_labour(
    repair_id: uuid.UUID,
    body: RepairLabourCreate,
    session: SessionDep,
    principal: RepairsUpdate,
    settings: SettingsDep,
):
    """Add a labour line (hours × rate per hour)."""
    line, repair = await service.add_labour(session, principal, repair_id, body)
    return RepairLabourResult(
        labour=RepairLabourRead.model_validate(line), totals=RepairTotals.of(repair, settings.currency)
    )


@router.patch(
    "/repairs/{repair_id}/labour/{labour_id}",
    operation_id="repairs-labour-update",
    response_model=RepairLabourResult,
)
async def update_labour(
    repair_id: uuid.UUID,
    labour_id: uuid.UUID,
    body: RepairLabourUpdate,
    session: SessionDep,
    principal: RepairsUpdate,
    settings: SettingsDep,
):
    """Change a labour line; the totals are recomputed."""
    line, repair = await service.update_labour(session, principal, repair_id, labour_id, body)
    return RepairLabourResult(
        labour=RepairLabourRead.model_validate(line), totals=RepairTotals.of(repair, settings.currency)
    )


@router.delete(
    "/repairs/{repair_id}/labour/{labour_id}",
    operation_id="repairs-labour-delete",
    response_model=RepairTotals,
)
async def delete_labour(
    repair_id: uuid.UUID,
    labour_id: uuid.UUID,
    session: SessionDep,
    principal: RepairsUpdate,
    settings: SettingsDep,
):
    """Remove a labour line and answer the repair's new totals."""
    repair = await service.delete_labour(session, principal, repair_id, labour_id)
    return RepairTotals.of(repair, settings.currency)
