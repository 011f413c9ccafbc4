"""Custom field definitions (``/api/v1/custom-fields``): every staff role reads them to render forms,
admins define them. The rules are in :mod:`fixdesk.customfields.service`."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from fixdesk.customfields import service
from fixdesk.customfields.permissions import CUSTOM_FIELDS_MANAGE, CUSTOM_FIELDS_READ
from fixdesk.customfields.schemas import (
    CustomFieldDefinitionCreate,
    CustomFieldDefinitionRead,
    CustomFieldDefinitionUpdate,
    EntityName,
)
from fixdesk.platform.deps import SessionDep
from fixdesk.platform.pagination import Page, PageParams, page_params
from fixdesk.platform.permissions import Principal, require

router = APIRouter(tags=["custom fields"])

CustomFieldsRead = Annotated[Principal, Depends(require(CUSTOM_FIELDS_READ))]
CustomFieldsManage = Annotated[Principal, Depends(require(CUSTOM_FIELDS_MANAGE))]


@router.get(
    "/custom-fields", operation_id="custom-fields-list", response_model=Page[CustomFieldDefinitionRead]
)
async def list_definitions(
    session: SessionDep,
    _: CustomFieldsRead,
    params: Annotated[PageParams, Depends(page_params)],
    entity: Annotated[
        EntityName | None, Query(description="customer, repair, …; every entity if absent")
    ] = None,
    include_inactive: Annotated[
        bool, Query(alias="includeInactive", description="Also list deactivated fields")
    ] = False,
):
    """List custom field definitions by entity and position (active ones unless includeInactive=true)."""
    rows, total = await service.list_definitions(
        session, params, entity=entity, include_inactive=include_inactive
    )
    return Page[CustomFieldDefinitionRead].build(
        [CustomFieldDefinitionRead.model_validate(row) for row in rows], total, params
    )


@router.post(
    "/custom-fields",
    operation_id="custom-fields-create",
    status_code=status.HTTP_201_CREATED,
    response_model=CustomFieldDefinitionRead,
)
async def create_definition(body: CustomFieldDefinitionCreate, session: SessionDep, _: CustomFieldsManage):
    """Define a custom field on customers or repairs (key unique per entity: 409 when taken)."""
    return CustomFieldDefinitionRead.model_validate(await service.create_definition(session, body))


@router.get(
    "/custom-fields/{definition_id}",
    operation_id="custom-fields-get",
    response_model=CustomFieldDefinitionRead,
)
async def get_definition(definition_id: uuid.UUID, session: SessionDep, _: CustomFieldsRead):
    """One custom field definition, deactivated ones included."""
    return CustomFieldDefinitionRead.model_validate(await service.get_definition(session, definition_id))


@router.patch(
    "/custom-fields/{definition_id}",
    operation_id="custom-fields-update",
    response_model=CustomFieldDefinitionRead,
)
async def update_definition(
    definition_id: uuid.UUID, body: CustomFieldDefinitionUpdate, session: SessionDep, _: CustomFieldsManage
):
    """Change a definition (type only while no record holds a value; options only while unused)."""
    definition = await service.update_definition(session, definition_id, body)
    return CustomFieldDefinitionRead.model_validate(definition)


@router.delete(
    "/custom-fields/{definition_id}",
    operation_id="custom-fields-deactivate",
    response_model=CustomFieldDefinitionRead,
)
async def deactivate_definition(definition_id: uuid.UUID, session: SessionDep, _: CustomFieldsManage):
    """Deactivate a custom field: stored values stay readable and filterable, new values are refused."""
    return CustomFieldDefinitionRead.model_validate(
        await service.deactivate_definition(session, definition_id)
    )
