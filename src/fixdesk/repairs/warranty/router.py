"""Warranty and warranty-claim endpoints: ``/api/v1/repairs/{id}/warranty``,
``/api/v1/repairs/{id}/warranty-claims`` and the portal's ``/api/v1/customer/repairs/{id}/warranty``."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, status

from fixdesk.platform.deps import SessionDep, SettingsDep
from fixdesk.platform.permissions import CustomerPortal, Principal, require
from fixdesk.repairs.permissions import REPAIRS_CREATE, REPAIRS_READ
from fixdesk.repairs.warranty import service
from fixdesk.repairs.warranty.schemas import (
    ClaimOriginRead,
    PortalRepairWarranty,
    PortalWarrantyRead,
    RepairWarranty,
    WarrantyClaimCreate,
    WarrantyClaimRead,
    WarrantyClaimSummary,
    WarrantyRead,
)

router = APIRouter(tags=["warranty"])

RepairsRead = Annotated[Principal, Depends(require(REPAIRS_READ))]
RepairsCreate = Annotated[Principal, Depends(require(REPAIRS_CREATE))]


def _warranty_fields(entry: service.WarrantyEntry) -> dict[str, Any]:
    warranty = entry.warranty
    return {
        "id": warranty.id,
        "repair_item_id": warranty.repair_item_id,
        "part_type_id": warranty.part_type_id,
        "description": warranty.description,
        "part_quality": warranty.part_quality,
        "removed_serial": warranty.removed_serial,
        "installed_serial": warranty.installed_serial,
        "warranty_months": warranty.warranty_months,
        "starts_on": warranty.starts_on,
        "ends_on": warranty.ends_on,
        "status": entry.status,
        "days_remaining": entry.days_remaining,
        "claims": [
            WarrantyClaimSummary(
                id=claim.claim.id,
                claim_repair_id=claim.claim.claim_repair_id,
                claim_repair_number=claim.claim_repair_number,
                claim_repair_status=claim.claim_repair_status,
                issue_description=claim.claim.issue_description,
                created_at=claim.claim.created_at,
            )
            for claim in entry.claims
        ],
    }


def _view_fields(view: service.WarrantyView) -> dict[str, Any]:
    origin = view.claimed_under
    return {
        "repair_id": view.repair.id,
        "repair_number": view.repair.repair_number,
        "repair_status": view.repair.status,
        "shop_date": view.shop_date,
        "claimed_under": ClaimOriginRead(**origin.__dict__) if origin is not None else None,
    }


@router.get(
    "/repairs/{repair_id}/warranty", operation_id="repairs-warranty-get", response_model=RepairWarranty
)
async def get_warranty(
    repair_id: uuid.UUID, session: SessionDep, principal: RepairsRead, settings: SettingsDep
):
    """The repair's warranties (active|expired on the shop's date, days remaining, part cost) and claims."""
    view = await service.warranty_view(session, principal, repair_id, settings=settings)
    return RepairWarranty(
        **_view_fields(view),
        currency=settings.currency,
        warranties=[
            WarrantyRead(**_warranty_fields(entry), part_cost=entry.warranty.part_cost)
            for entry in view.warranties
        ],
    )


@router.post(
    "/repairs/{repair_id}/warranty-claims",
    operation_id="repairs-warranty-claims-create",
    status_code=status.HTTP_201_CREATED,
    response_model=WarrantyClaimRead,
)
async def create_claim(
    repair_id: uuid.UUID,
    body: WarrantyClaimCreate,
    session: SessionDep,
    principal: RepairsCreate,
    settings: SettingsDep,
):
    """Claim a warranty of a completed repair: opens a linked repair at no charge (409/400 say why not)."""
    accepted = await service.claim_warranty(session, principal, repair_id, body, settings=settings)
    return WarrantyClaimRead(
        id=accepted.claim.id,
        warranty_id=accepted.warranty.id,
        repair_id=accepted.original.id,
        repair_number=accepted.original.repair_number,
        claim_repair_id=accepted.claim_repair.id,
        claim_repair_number=accepted.claim_repair.repair_number,
        claim_repair_status=accepted.claim_repair.status,
        issue_description=accepted.claim.issue_description,
        created_by_id=accepted.claim.created_by_id,
        created_at=accepted.claim.created_at,
    )


@router.get(
    "/customer/repairs/{repair_id}/warranty",
    operation_id="portal-repairs-warranty-get",
    response_model=PortalRepairWarranty,
    tags=["customer portal"],
)
async def get_my_warranty(
    repair_id: uuid.UUID, session: SessionDep, principal: CustomerPortal, settings: SettingsDep
):
    """The warranties of one of the signed-in customer's repairs, without costs (another's id: 404)."""
    view = await service.warranty_view(session, principal, repair_id, settings=settings)
    return PortalRepairWarranty(
        **_view_fields(view),
        warranties=[PortalWarrantyRead(**_warranty_fields(entry)) for entry in view.warranties],
    )
