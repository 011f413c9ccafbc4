"""Customer segmentation (``GET /api/v1/customers/segmentation``, seed 002) and saved segments
(``/api/v1/segments``) for managers."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from fixdesk.marketing import examples, segments
from fixdesk.marketing.permissions import SEGMENTS_READ, SEGMENTS_WRITE
from fixdesk.marketing.schemas import (
    SegmentationRead,
    SegmentCount,
    SegmentCreate,
    SegmentFilter,
    SegmentMemberRead,
    SegmentRead,
    SegmentUpdate,
)
from fixdesk.platform.deps import SessionDep
from fixdesk.platform.openapi import request_example, response_example
from fixdesk.platform.pagination import Page, PageParams, page_params
from fixdesk.platform.permissions import Principal, require

router = APIRouter(tags=["segments"])

SegmentsReader = Annotated[Principal, Depends(require(SEGMENTS_READ))]
SegmentsWriter = Annotated[Principal, Depends(require(SEGMENTS_WRITE))]
Paging = Annotated[PageParams, Depends(page_params)]


@router.get(
    "/customers/segmentation",
    operation_id="customers-segmentation",
    response_model=SegmentationRead,
    responses=response_example(200, examples.SEGMENTATION_RESPONSE),
)
async def get_segmentation(session: SessionDep, _: SegmentsReader):
    """Customers with and without orders: counts, first customers, revenue, average order value and
    conversion rate (seed 002)."""
    return await segments.segmentation(session)


@router.get("/segments", operation_id="segments-list", response_model=Page[SegmentRead])
async def list_segments(session: SessionDep, _: SegmentsReader, params: Paging):
    """Saved segments by name (counts on a single segment)."""
    items, total = await segments.list_segments(session, params)
    return Page[SegmentRead].build(items, total, params)


@router.post(
    "/segments",
    operation_id="segments-create",
    status_code=status.HTTP_201_CREATED,
    response_model=SegmentRead,
    openapi_extra=request_example(examples.SEGMENT_CREATE_REQUEST),
)
async def create_segment(body: SegmentCreate, session: SessionDep, principal: SegmentsWriter):
    """Save a segment: a named filter over customers (answered with its live count)."""
    return await segments.create_segment(session, body, principal.staff_user_id)


@router.post(
    "/segments/preview",
    operation_id="segments-preview",
    response_model=SegmentCount,
    openapi_extra=request_example(examples.SEGMENT_FILTER_REQUEST),
)
async def preview_segment(body: SegmentFilter, session: SessionDep, _: SegmentsReader):
    """Count the customers an unsaved filter matches now."""
    return SegmentCount(customer_count=await segments.preview(session, body))


@router.get("/segments/{segment_id:uuid}", operation_id="segments-get", response_model=SegmentRead)
async def get_segment(segment_id: uuid.UUID, session: SessionDep, _: SegmentsReader):
    """A saved segment with its live customer count."""
    return await segments.get_segment(session, segment_id)


@router.patch("/segments/{segment_id:uuid}", operation_id="segments-update", response_model=SegmentRead)
async def update_segment(segment_id: uuid.UUID, body: SegmentUpdate, session: SessionDep, _: SegmentsWriter):
    """Change a segment's name, description or filter."""
    return await segments.update_segment(session, segment_id, body)


@router.delete(
    "/segments/{segment_id:uuid}", operation_id="segments-delete", status_code=status.HTTP_204_NO_CONTENT
)
async def delete_segment(segment_id: uuid.UUID, session: SessionDep, _: SegmentsWriter):
    """Delete a saved segment."""
    await segments.delete_segment(session, segment_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/segments/{segment_id:uuid}/customers",
    operation_id="segments-customers",
    response_model=Page[SegmentMemberRead],
)
async def list_segment_customers(
    segment_id: uuid.UUID, session: SessionDep, _: SegmentsReader, params: Paging
):
    """A page of the segment's customers now, with their spend, purchases, last visit and RFM segment."""
    items, total = await segments.list_members(session, segment_id, params)
    return Page[SegmentMemberRead].build(items, total, params)
