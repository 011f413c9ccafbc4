"""The public tracking link (API and page) and customer reviews."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response, status
from fastapi.responses import HTMLResponse

from fixdesk.platform.deps import SessionDep, SettingsDep
from fixdesk.platform.errors import NotFound
from fixdesk.platform.observability import redact_path_segment
from fixdesk.platform.pagination import Page, PageParams, page_params
from fixdesk.platform.permissions import CustomerPortal, Principal, public, require
from fixdesk.platform.schemas import DayOrMoment
from fixdesk.repairs.permissions import REPAIRS_READ
from fixdesk.repairs.tracking import page, service
from fixdesk.repairs.tracking.schemas import ReviewCreate, ReviewListItem, ReviewRead, TrackingRead

router = APIRouter(tags=["tracking"])
portal_router = APIRouter(tags=["tracking"])
public_router = APIRouter(tags=["tracking"])
page_router = APIRouter(tags=["tracking"])

RepairsRead = Annotated[Principal, Depends(require(REPAIRS_READ))]

# The token is the link's only secret: keep it out of the request log (page and API paths).
redact_path_segment(r"^(?:/api/v\d+)?/track/(?P<secret>[^/?]+)")
Rating = Annotated[int | None, Query(ge=1, le=5)]


@public_router.get(
    "/track/{token}",
    operation_id="tracking-get",
    response_model=TrackingRead,
    dependencies=[Depends(public)],
)
async def get_tracking(token: str, session: SessionDep, settings: SettingsDep, response: Response):
    """The public status of the repair behind a tracking link: status, history, estimated completion,
    shop contact and the customer's first name (404 for an unknown link)."""
    view = await service.get_tracking(session, settings, token)
    response.headers.update(page.PRIVATE_HEADERS)
    return view


@page_router.get(
    "/track/{token}",
    operation_id="tracking-page",
    response_class=HTMLResponse,
    dependencies=[Depends(public)],
    responses={404: {"description": "An unknown link: a page saying so", "content": {"text/html": {}}}},
)
async def tracking_page(
    token: str,
    session: SessionDep,
    settings: SettingsDep,
    accept_language: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> HTMLResponse:
    """The tracking page customers open from their SMS or email: an HTML page of the repair's status in
    their language (404 page for an unknown link)."""
    try:
        view = await service.get_tracking(session, settings, token)
    except NotFound:
        body = page.render_unknown_link_page(page.page_language(accept_language), settings)
        return HTMLResponse(body, status_code=status.HTTP_404_NOT_FOUND, headers=page.PAGE_HEADERS)
    return HTMLResponse(page.render_tracking_page(view, settings, token), headers=page.PAGE_HEADERS)


@portal_router.post(
    "/customer/repairs/{repair_id}/review",
    operation_id="portal-repairs-review-create",
    status_code=status.HTTP_201_CREATED,
    response_model=ReviewRead,
)
async def create_review(
    repair_id: uuid.UUID, body: ReviewCreate, session: SessionDep, principal: CustomerPortal
):
    """Rate one of your completed or delivered repairs, once: 1–5 and an optional comment (409 for
    another status or a second review)."""
    return await service.create_review(session, principal, repair_id, body)


@portal_router.get(
    "/customer/repairs/{repair_id}/review",
    operation_id="portal-repairs-review-get",
    response_model=ReviewRead,
)
async def get_my_review(repair_id: uuid.UUID, session: SessionDep, principal: CustomerPortal):
    """Your review of one of your repairs (404 when it has none yet)."""
    return await service.get_customer_review(session, principal, repair_id)


@router.get("/reviews", operation_id="reviews-list", response_model=Page[ReviewListItem])
async def list_reviews(
    session: SessionDep,
    principal: RepairsRead,
    settings: SettingsDep,
    params: Annotated[PageParams, Depends(page_params)],
    rating: Rating = None,
    min_rating: Annotated[int | None, Query(alias="minRating", ge=1, le=5)] = None,
    max_rating: Annotated[int | None, Query(alias="maxRating", ge=1, le=5)] = None,
    date_from: Annotated[
        DayOrMoment | None,
        Query(alias="dateFrom", description="Reviewed on/after (a day in the shop's time zone)"),
    ] = None,
    date_to: Annotated[
        DayOrMoment | None,
        Query(alias="dateTo", description="Reviewed on/before (a day in the shop's time zone)"),
    ] = None,
):
    """Customer reviews, newest first, with repair number and customer name (filter by rating, minRating,
    maxRating, dateFrom, dateTo)."""
    filters = service.ReviewFilters(
        rating=rating, min_rating=min_rating, max_rating=max_rating, date_from=date_from, date_to=date_to
    )
    rows, total = await service.list_reviews(session, settings, filters, params)
    return Page[ReviewListItem].build([ReviewListItem.of(review) for review in rows], total, params)
