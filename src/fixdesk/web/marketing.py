"""The marketing pages of the staff app (issue 13, item 9), under ``/app/marketing`` (the menu's
"Marketing", for managers): saved customer segments with their live counts and seed 002's segmentation
summary (customers with and without orders, the conversion rate), a segment's members, and the segment
editor whose count follows the filter as it changes (htmx posts the form to a preview fragment calling
:func:`fixdesk.marketing.segments.preview`).

Handlers are as thin as the API router (:mod:`fixdesk.marketing.segments_router`): the same permissions
(``segments:read`` to look, ``segments:write`` to save or delete), the same input models
(:class:`~fixdesk.marketing.schemas.SegmentFilter`, ``SegmentCreate``, ``SegmentUpdate``) and service, so
a refusal (400, 409) is the API's problem on the page and nothing is saved.

The filter form's fields carry the API's names (``tagsAny``, ``minTotalSpend``, …); tags are typed
comma-separated, the last-visit bounds are days (midnight in the shop's time zone, the moment the API
takes), and one custom field may be required to equal a value.
"""

from __future__ import annotations

import math
import uuid
from datetime import date, datetime, time
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from fixdesk.marketing import segments
from fixdesk.marketing.permissions import SEGMENTS_READ, SEGMENTS_WRITE
from fixdesk.marketing.schemas import SegmentCreate, SegmentFilter, SegmentUpdate
from fixdesk.platform.deps import SessionDep, SettingsDep
from fixdesk.platform.errors import ValidationFailed
from fixdesk.platform.pagination import PageParams
from fixdesk.platform.permissions import Principal, require
from fixdesk.web.broadcasts import router as broadcasts_router
from fixdesk.web.campaigns import router as campaigns_router
from fixdesk.web.forms import NO_PROBLEMS, PROBLEMS_SHOWN_ON_PAGE, Problem, problem_of
from fixdesk.web.i18n import N_
from fixdesk.web.pages import NavItem, WebPages
from fixdesk.web.templating import render

router = APIRouter()
router.include_router(campaigns_router)
router.include_router(broadcasts_router)

SegmentsRead = Annotated[Principal, Depends(require(SEGMENTS_READ))]
SegmentsWrite = Annotated[Principal, Depends(require(SEGMENTS_WRITE))]

PAGE_SIZE = 25
RFM_LABELS: dict[str, str] = {
    "champions": N_("Champions"),
    "loyal": N_("Loyal"),
    "potential_loyalist": N_("Potential loyalists"),
    "new_customer": N_("New customers"),
    "promising": N_("Promising"),
    "need_attention": N_("Need attention"),
    "about_to_sleep": N_("About to sleep"),
    "at_risk": N_("At risk"),
    "cannot_lose": N_("Cannot lose them"),
    "hibernating": N_("Hibernating"),
    "lost": N_("Lost"),
}
STATUS_LABELS: dict[str, str] = {"active": N_("Active"), "inactive": N_("Inactive")}
NOTICES = {
    "created": N_("The segment is saved."),
    "updated": N_("The segment is updated."),
    "deleted": N_("The segment is deleted."),
}
FILTER_FIELDS = (
    "tagsAny",
    "tagsAll",
    "minTotalSpend",
    "maxTotalSpend",
    "lastVisitBefore",
    "lastVisitAfter",
    "customFieldKey",
    "customFieldValue",
)


def _pages(total: int, size: int) -> int:
    return max(1, math.ceil(total / size))


def _linker(base: str, query: dict[str, Any]):
    def link(**changes: Any) -> str:
        values = {key: value for key, value in {**query, **changes}.items() if value not in ("", None, 1)}
        return base + (f"?{urlencode(values)}" if values else "")

    return link


# --- the filter form ----------------------------------------------------------------------------------------


def _tags(text: str) -> list[str] | None:
    tags = [tag.strip() for tag in text.split(",") if tag.strip()]
    return tags or None


def _day_start(text: str, field: str, zone: ZoneInfo) -> datetime | None:
    """A form's day (``YYYY-MM-DD``) as midnight in the shop's time zone; 400 naming ``field`` otherwise."""
    if not text:
        return None
    try:
        return datetime.combine(date.fromisoformat(text), time(), tzinfo=zone)
    except ValueError:
        raise ValidationFailed.for_field(field, "must be a day (YYYY-MM-DD)") from None


def form_fields(form: FormData) -> dict[str, Any]:
    """The editor's posted fields as the form shows them again: texts stripped, ``statuses`` and
    ``rfmSegments`` as the lists of their ticked boxes."""
    values: dict[str, Any] = {
        key: str(form.get(key) or "").strip() for key in ("name", "description", *FILTER_FIELDS)
    }
    values["statuses"] = [str(value) for value in form.getlist("statuses")]
    values["rfmSegments"] = [str(value) for value in form.getlist("rfmSegments")]
    return values


def filter_of(values: dict[str, Any], zone: ZoneInfo) -> SegmentFilter:
    """The :class:`SegmentFilter` a filled form describes (``ValidationError`` or
    :class:`ValidationFailed` naming the API's field, as the API would answer)."""
    custom_fields = None
    if values["customFieldKey"]:
        custom_fields = {values["customFieldKey"]: values["customFieldValue"]}
    elif values["customFieldValue"]:
        raise ValidationFailed.for_field("customFields", "name the custom field the value is for")
    return SegmentFilter.model_validate(
        {
            "tags_any": _tags(values["tagsAny"]),
            "tags_all": _tags(values["tagsAll"]),
            "statuses": values["statuses"] or None,
            "custom_fields": custom_fields,
            "min_total_spend": values["minTotalSpend"] or None,
            "max_total_spend": values["maxTotalSpend"] or None,
            "last_visit_before": _day_start(values["lastVisitBefore"], "lastVisitBefore", zone),
            "last_visit_after": _day_start(values["lastVisitAfter"], "lastVisitAfter", zone),
            "rfm_segments": values["rfmSegments"] or None,
        }
    )


def _local_day(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).date().isoformat() if moment else ""


def values_of(segment: Any, zone: ZoneInfo) -> dict[str, Any]:
    """The form's fields for a saved segment (``SegmentRead``)."""
    wanted: SegmentFilter = segment.filter
    key, value = next(iter((wanted.custom_fields or {}).items()), ("", ""))
    return {
        "name": segment.name,
        "description": segment.description or "",
        "tagsAny": ", ".join(wanted.tags_any or []),
        "tagsAll": ", ".join(wanted.tags_all or []),
        "statuses": list(wanted.statuses or []),
        "minTotalSpend": "" if wanted.min_total_spend is None else str(wanted.min_total_spend),
        "maxTotalSpend": "" if wanted.max_total_spend is None else str(wanted.max_total_spend),
        "lastVisitBefore": _local_day(wanted.last_visit_before, zone),
        "lastVisitAfter": _local_day(wanted.last_visit_after, zone),
        "rfmSegments": list(wanted.rfm_segments or []),
        "customFieldKey": key,
        "customFieldValue": "" if value == "" else _custom_text(value),
    }


def _custom_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _blank() -> dict[str, Any]:
    return {
        "name": "",
        "description": "",
        **dict.fromkeys(FILTER_FIELDS, ""),
        "statuses": [],
        "rfmSegments": [],
    }


def _form_labels() -> dict[str, Any]:
    return {"rfm_labels": RFM_LABELS, "status_labels": STATUS_LABELS}


# --- pages --------------------------------------------------------------------------------------------------


@router.get("/marketing")
async def marketing_home(_: SegmentsRead) -> RedirectResponse:
    """The menu's "Marketing" opens the segments."""
    return RedirectResponse("/app/marketing/segments", status_code=303)


@router.get("/marketing/segments")
async def segment_list(
    request: Request,
    session: SessionDep,
    principal: SegmentsRead,
    settings: SettingsDep,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    done: Annotated[str, Query(max_length=20)] = "",
) -> HTMLResponse:
    """Seed 002's segmentation summary (customers with and without orders, revenue, average order value,
    conversion rate) and the saved segments by name, 25 a page, each with its live count (one count per
    segment shown: a count is a question about the whole customer base, asked of each segment)."""
    summary = await segments.segmentation(session)
    rows, total = await segments.list_segments(session, PageParams(page=page, page_size=PAGE_SIZE))
    counts = {}
    for segment in rows:
        counts[segment.id] = await segments.count_members(
            session, await segments.resolve(session, segment.filter)
        )
    context = {
        **_form_labels(),
        "summary": summary,
        "segments": rows,
        "counts": counts,
        "total": total,
        "page": page,
        "pages": _pages(total, PAGE_SIZE),
        "link": _linker("/app/marketing/segments", {}),
        "can_write": principal.has(SEGMENTS_WRITE),
        "currency": settings.currency,
        "notice": NOTICES.get(done),
    }
    return render(request, "marketing/segments.html", context)


async def _editor(
    request: Request,
    session: Any,
    values: dict[str, Any],
    *,
    segment: Any = None,
    problem: Problem = NO_PROBLEMS,
    count: int | None = None,
) -> HTMLResponse:
    context = {
        **_form_labels(),
        "segment": segment,
        "values": values,
        "problem": problem,
        "count": count,
        "action": f"/app/marketing/segments/{segment.id}/edit" if segment else "/app/marketing/segments/new",
    }
    return render(
        request, "marketing/segment_form.html", context, status_code=problem.status if problem else 200
    )


@router.get("/marketing/segments/new")
async def new_segment(request: Request, session: SessionDep, _: SegmentsWrite) -> HTMLResponse:
    """The segment editor, empty: its count is every customer who is not archived."""
    count = await segments.preview(session, SegmentFilter())
    return await _editor(request, session, _blank(), count=count)


@router.post("/marketing/segments/preview")
async def preview_segment(
    request: Request, session: SessionDep, _: SegmentsRead, settings: SettingsDep
) -> HTMLResponse:
    """The live count of the editor's filter as it stands (the API's ``POST /segments/preview``), as the
    fragment htmx swaps in while the filter changes; a filter the API would refuse shows its problem
    instead (answered 200 so that htmx swaps it in place)."""
    values = form_fields(await request.form())
    problem: Problem = NO_PROBLEMS
    count = None
    try:
        count = await segments.preview(session, filter_of(values, ZoneInfo(settings.shop_timezone)))
    except (*PROBLEMS_SHOWN_ON_PAGE, ValidationError) as error:
        await session.rollback()
        problem = problem_of(error)
    return render(request, "marketing/_segment_count.html", {"count": count, "problem": problem})


@router.post("/marketing/segments/new")
async def create_segment(
    request: Request, session: SessionDep, principal: SegmentsWrite, settings: SettingsDep
) -> Response:
    """Save the segment (the API's ``POST /segments``), then open its page; a refusal (a name taken, a
    bad filter) is the API's problem on the editor with what was filled kept."""
    values = form_fields(await request.form())
    try:
        wanted = filter_of(values, ZoneInfo(settings.shop_timezone))
        body = SegmentCreate.model_validate(
            {"name": values["name"], "description": values["description"] or None, "filter": wanted}
        )
        saved = await segments.create_segment(session, body, principal.staff_user_id)
    except (*PROBLEMS_SHOWN_ON_PAGE, ValidationError) as error:
        await session.rollback()
        return await _editor(request, session, values, problem=problem_of(error))
    return RedirectResponse(f"/app/marketing/segments/{saved.id}?done=created", status_code=303)


@router.get("/marketing/segments/{segment_id}")
async def segment_page(
    request: Request,
    segment_id: uuid.UUID,
    session: SessionDep,
    principal: SegmentsRead,
    settings: SettingsDep,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    done: Annotated[str, Query(max_length=20)] = "",
) -> HTMLResponse:
    """A saved segment: its filter in words, its live count and its members now (by name, 25 a page) with
    their total spend, purchases, last visit and RFM segment. 404 for an unknown segment."""
    segment = await segments.get_segment(session, segment_id)
    members, total = await segments.list_members(
        session, segment_id, PageParams(page=page, page_size=PAGE_SIZE)
    )
    context = {
        **_form_labels(),
        "segment": segment,
        "values": values_of(segment, ZoneInfo(settings.shop_timezone)),
        "members": members,
        "total": total,
        "page": page,
        "pages": _pages(total, PAGE_SIZE),
        "link": _linker(f"/app/marketing/segments/{segment_id}", {}),
        "can_write": principal.has(SEGMENTS_WRITE),
        "currency": settings.currency,
        "notice": NOTICES.get(done),
    }
    return render(request, "marketing/segment.html", context)


@router.get("/marketing/segments/{segment_id}/edit")
async def edit_segment(
    request: Request, segment_id: uuid.UUID, session: SessionDep, _: SegmentsWrite, settings: SettingsDep
) -> HTMLResponse:
    """The segment editor filled with the saved segment and its live count."""
    segment = await segments.get_segment(session, segment_id)
    values = values_of(segment, ZoneInfo(settings.shop_timezone))
    return await _editor(request, session, values, segment=segment, count=segment.customer_count)


@router.post("/marketing/segments/{segment_id}/edit")
async def update_segment(
    request: Request, segment_id: uuid.UUID, session: SessionDep, _: SegmentsWrite, settings: SettingsDep
) -> Response:
    """Save the changed name, description and filter (the API's ``PATCH /segments/{id}``)."""
    values = form_fields(await request.form())
    try:
        wanted = filter_of(values, ZoneInfo(settings.shop_timezone))
        body = SegmentUpdate.model_validate(
            {"name": values["name"], "description": values["description"] or None, "filter": wanted}
        )
        await segments.update_segment(session, segment_id, body)
    except (*PROBLEMS_SHOWN_ON_PAGE, ValidationError) as error:
        await session.rollback()
        segment = await segments.get_segment(session, segment_id)
        return await _editor(request, session, values, segment=segment, problem=problem_of(error))
    return RedirectResponse(f"/app/marketing/segments/{segment_id}?done=updated", status_code=303)


@router.post("/marketing/segments/{segment_id}/delete")
async def delete_segment(segment_id: uuid.UUID, session: SessionDep, _: SegmentsWrite) -> Response:
    """Delete the saved segment (the API's ``DELETE /segments/{id}``; its customers stay as they are)."""
    await segments.delete_segment(session, segment_id)
    return RedirectResponse("/app/marketing/segments?done=deleted", status_code=303)


pages = WebPages(
    name="marketing",
    staff=router,
    navigation=(
        NavItem(N_("Marketing"), "/app/marketing", "speakerphone", permission=SEGMENTS_READ, order=34),
    ),
)

__all__ = ["RFM_LABELS", "pages"]
