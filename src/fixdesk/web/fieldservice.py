"""The field service pages of the staff app (issue 11, item 10, first part): the work orders list
(``/app/work-orders``, filtered by status, technician and scheduled days, paged) and a work order's page
(``/app/work-orders/{id}``: where, for whom, when, who, the lines and totals, the status history, and the
status change offering only the lifecycle's next states, and the photos as thumbnails with an upload).
The technician's day (``/app/my-day``) finishes a visit with its report and the photos taken on the phone
(one form: the photos are stored and the visit completed in one transaction, or neither).

Handlers are as thin as the API router's (:mod:`fixdesk.fieldservice.work_orders.router`): the same
permissions (``work_orders:read`` to look, ``work_orders:update`` to move a work order on), the same
services, so a technician sees only their own work orders (404 for the others) and a booking conflict or an
illegal move comes back as the API's problem on the page, nothing changed.
"""

from __future__ import annotations

import math
import uuid
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from fixdesk.audit.service import ClientInfo, request_client
from fixdesk.fieldservice import lifecycle
from fixdesk.fieldservice.dispatch import service as dispatch
from fixdesk.fieldservice.dispatch.schemas import DispatchPlanCreate
from fixdesk.fieldservice.models import Equipment, WorkOrderAttachmentKind
from fixdesk.fieldservice.permissions import WORK_ORDERS_ASSIGN, WORK_ORDERS_READ, WORK_ORDERS_UPDATE
from fixdesk.fieldservice.technician_day import service as technician_day
from fixdesk.fieldservice.work_order_attachments import MAX_VISIT_PHOTOS
from fixdesk.fieldservice.work_order_attachments import service as photos
from fixdesk.fieldservice.work_order_attachments.schemas import PhotoUpload
from fixdesk.fieldservice.work_orders import service
from fixdesk.fieldservice.work_orders.schemas import WorkOrderStatusChange
from fixdesk.platform.attachments import FileTooLarge, file_response
from fixdesk.platform.deps import SessionDep, SettingsDep
from fixdesk.platform.errors import NotFound, ValidationFailed
from fixdesk.platform.pagination import PageParams
from fixdesk.platform.permissions import Principal, require
from fixdesk.platform.schemas import require_plain_text
from fixdesk.platform.storage import StorageDep
from fixdesk.web.forms import PROBLEMS_SHOWN_ON_PAGE, Problem, form_values, parse, problem_of
from fixdesk.web.i18n import N_
from fixdesk.web.pages import NavItem, WebPages
from fixdesk.web.templating import render

router = APIRouter()

WorkOrdersRead = Annotated[Principal, Depends(require(WORK_ORDERS_READ))]
WorkOrdersUpdate = Annotated[Principal, Depends(require(WORK_ORDERS_UPDATE))]

PAGE_SIZE = 25
STATUS_LABELS: dict[str, str] = {
    "draft": N_("Draft"),
    "scheduled": N_("Scheduled"),
    "in_progress": N_("In progress"),
    "completed": N_("Completed"),
    "cancelled": N_("Cancelled"),
}
# The same colours as the schedule's events (fieldservice.schedule), as Tabler's tinted badges.
STATUS_COLOURS: dict[str, str] = {
    "draft": "secondary",
    "scheduled": "blue",
    "in_progress": "orange",
    "completed": "green",
    "cancelled": "dark",
}
PRIORITY_LABELS: dict[str, str] = {
    "low": N_("Low"),
    "normal": N_("Normal"),
    "high": N_("High"),
    "urgent": N_("Urgent"),
    "emergency": N_("Emergency"),
}

PHOTO_KIND_LABELS: dict[str, str] = {
    "before": N_("Before"),
    "after": N_("After"),
    "nameplate": N_("Equipment plate"),
    "signed_form": N_("Signed paper"),
    "other": N_("Other"),
}


def _labels() -> dict[str, Any]:
    return {
        "status_labels": STATUS_LABELS,
        "status_colours": STATUS_COLOURS,
        "priority_labels": PRIORITY_LABELS,
        "photo_kinds": [kind.value for kind in WorkOrderAttachmentKind],
        "photo_kind_labels": PHOTO_KIND_LABELS,
    }


def _day(value: str, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed.for_field(field, "must be a date (YYYY-MM-DD)") from None


@router.get("/work-orders")
async def work_order_list(
    request: Request,
    session: SessionDep,
    principal: WorkOrdersRead,
    status: Annotated[str, Query(max_length=20)] = "",
    date_from: Annotated[str, Query(alias="from", max_length=10)] = "",
    date_to: Annotated[str, Query(alias="to", max_length=10)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    """The work orders by scheduled day and window (undated drafts last), 25 a page, filtered by status and
    a range of scheduled days (the shop's calendar). A filter the service refuses shows as the API's
    problem above an empty list (400)."""
    problem: Problem | None = None
    rows: list[Any] = []
    total = 0
    try:
        if status and status not in STATUS_LABELS:
            raise ValidationFailed.for_field("status", "unknown status")
        filters = service.WorkOrderFilters(
            status=status or None, date_from=_day(date_from, "from"), date_to=_day(date_to, "to")
        )
        rows, total = await service.list_work_orders(
            session, principal, filters, PageParams(page=page, page_size=PAGE_SIZE)
        )
    except PROBLEMS_SHOWN_ON_PAGE as error:
        problem = problem_of(error)
    query = {
        key: value for key, value in {"status": status, "from": date_from, "to": date_to}.items() if value
    }

    def link(**changes: Any) -> str:
        values = {key: value for key, value in {**query, **changes}.items() if value not in ("", None, 1)}
        return "/app/work-orders" + (f"?{urlencode(values)}" if values else "")

    context = {
        **_labels(),
        "work_orders": rows,
        "total": total,
        "page": page,
        "pages": max(1, math.ceil(total / PAGE_SIZE)),
        "filters": {"status": status, "from": date_from, "to": date_to},
        "problem": problem,
        "link": link,
    }
    return render(request, "fieldservice/list.html", context, status_code=problem.status if problem else 200)


async def _show(
    request: Request,
    session: Any,
    principal: Principal,
    work_order_id: uuid.UUID,
    *,
    problem: Problem | None = None,
    section: str = "status",
) -> HTMLResponse:
    work_order = await service.get_work_order(session, principal, work_order_id)
    equipment = await session.get(Equipment, work_order.equipment_id) if work_order.equipment_id else None
    context = {
        **_labels(),
        "work_order": work_order,
        "equipment": equipment,
        "allowed": lifecycle.allowed_next(work_order.status),
        "can_change": principal.has(WORK_ORDERS_UPDATE),
        "history": sorted(work_order.status_history, key=lambda change: change.created_at, reverse=True),
        "problem": problem,
        "problem_section": section,
        # Loaded with the work order (one query for all), oldest first.
        "photos": work_order.attachments,
        "deletable_photos": {
            photo.id
            for photo in work_order.attachments
            if principal.has(WORK_ORDERS_UPDATE)
            and (
                principal.role in photos.DELETING_ROLES
                or (principal.staff_user_id is not None and photo.uploaded_by_id == principal.staff_user_id)
            )
        },
    }
    return render(
        request, "fieldservice/detail.html", context, status_code=problem.status if problem else 200
    )


@router.get("/work-orders/{work_order_id}")
async def work_order_page(
    request: Request, work_order_id: uuid.UUID, session: SessionDep, principal: WorkOrdersRead
) -> HTMLResponse:
    """A work order: customer, place and equipment, day and window, technicians, lines and totals, the
    status history and the status change, and its photos as thumbnails. 404 for one the principal cannot
    see."""
    return await _show(request, session, principal, work_order_id)


@router.get("/work-orders/{work_order_id}/attachments/{attachment_id}/file")
async def photo_file(
    request: Request,
    work_order_id: uuid.UUID,
    attachment_id: uuid.UUID,
    session: SessionDep,
    principal: WorkOrdersRead,
    storage: StorageDep,
) -> Response:
    """A photo for the page's thumbnails and links: the same bytes and headers as the API's
    ``GET /api/v1/work-orders/{id}/attachments/{id}``, on the page's session."""
    download = await photos.download(
        session,
        principal,
        work_order_id,
        attachment_id,
        storage=storage,
        if_none_match=request.headers.get("if-none-match"),
    )
    return file_response(download)


def _uploaded_files(form: Any, field: str) -> list[UploadFile]:
    """The files posted under ``field`` (an empty file input posts one nameless part: left out)."""
    return [item for item in form.getlist(field) if isinstance(item, UploadFile) and item.filename]


def _photo_upload(file: UploadFile, kind: str, description: str | None = None) -> PhotoUpload:
    return PhotoUpload(
        file=file.file,
        file_name=require_plain_text(file.filename, "file", label="the file name"),
        kind=WorkOrderAttachmentKind(kind),
        description=description,
    )


@router.post("/work-orders/{work_order_id}/attachments")
async def upload_photo(
    request: Request,
    work_order_id: uuid.UUID,
    session: SessionDep,
    principal: WorkOrdersUpdate,
    settings: SettingsDep,
    storage: StorageDep,
) -> Response:
    """Add a photo from the work order's page (multipart: ``file``, ``kind``, ``description``); an empty
    or refused file (400, 413) is shown on the page and nothing is stored."""
    form = await request.form()
    values = await form_values(request)
    try:
        files = _uploaded_files(form, "file")
        if not files:
            raise ValidationFailed.for_field("file", "choose a photo to upload")
        kind = values.get("kind", "")
        if kind not in PHOTO_KIND_LABELS:
            raise ValidationFailed.for_field("kind", "choose what the photo shows")
        upload = _photo_upload(files[0], kind, values.get("description") or None)
        await photos.add_photo(session, principal, work_order_id, upload, storage=storage, settings=settings)
    except (FileTooLarge, *PROBLEMS_SHOWN_ON_PAGE) as error:
        await session.rollback()
        return await _show(
            request, session, principal, work_order_id, problem=problem_of(error), section="photos"
        )
    return RedirectResponse(f"/app/work-orders/{work_order_id}#photos", status_code=303)


@router.post("/work-orders/{work_order_id}/attachments/{attachment_id}/delete")
async def delete_photo(
    work_order_id: uuid.UUID,
    attachment_id: uuid.UUID,
    session: SessionDep,
    principal: WorkOrdersUpdate,
    client: Annotated[ClientInfo, Depends(request_client)],
) -> Response:
    """Delete a photo from the work order's page (managers, admins and its uploader; else 403)."""
    await photos.delete_photo(session, principal, work_order_id, attachment_id, client=client)
    return RedirectResponse(f"/app/work-orders/{work_order_id}#photos", status_code=303)


@router.post("/work-orders/{work_order_id}/status")
async def change_status(
    request: Request,
    work_order_id: uuid.UUID,
    session: SessionDep,
    principal: WorkOrdersUpdate,
    settings: SettingsDep,
) -> Response:
    """Move the work order to one of its allowed next states (the API's ``PUT …/status``), with a note; a
    refused move (409: not allowed, a booking conflict) is shown on the page and nothing changes."""
    values = await form_values(request)
    try:
        change = parse(
            WorkOrderStatusChange, {"status": values.get("status"), "notes": values.get("note") or None}
        )
        await service.change_status(session, principal, work_order_id, change, settings=settings)
    except (*PROBLEMS_SHOWN_ON_PAGE, ValidationError) as error:
        await session.rollback()
        return await _show(request, session, principal, work_order_id, problem=problem_of(error))
    return RedirectResponse(f"/app/work-orders/{work_order_id}", status_code=303)


# --- the technician's day on the phone ----------------------------------------------------------------------

DAY_NOTICES = {
    "on-my-way": N_("The customer is told you are on the way."),
    "completed": N_("The visit is completed."),
}


@router.get("/my-day")
async def my_day(
    request: Request,
    session: SessionDep,
    principal: WorkOrdersRead,
    settings: SettingsDep,
    day: Annotated[str, Query(alias="date", max_length=10)] = "",
    done: Annotated[str, Query(max_length=20)] = "",
    eta: Annotated[int | None, Query(ge=0, le=1440)] = None,
) -> HTMLResponse:
    """The signed-in technician's visits of a day (today by default), phone first: where, when, for whom,
    with "On my way", start and finish (the report: notes, time on site, the customer's sign-off). Staff
    without a technician profile see why the page is empty."""
    try:
        shown_day = _day(day, "date") or settings.shop_today()
    except ValidationFailed:
        shown_day = settings.shop_today()
    visits: list[Any] = []
    has_profile = True
    try:
        _technician, visits = await technician_day.day_schedule(session, principal, shown_day)
    except NotFound:
        has_profile = False
    context = {
        **_labels(),
        "day": shown_day,
        "visits": visits,
        "has_profile": has_profile,
        "notice": DAY_NOTICES.get(done),
        "eta": eta,
        "can_change": principal.has(WORK_ORDERS_UPDATE),
        "max_visit_photos": MAX_VISIT_PHOTOS,
    }
    return render(request, "fieldservice/my_day.html", context)


@router.post("/my-day/{work_order_id}/on-my-way")
async def my_day_on_my_way(
    request: Request,
    work_order_id: uuid.UUID,
    session: SessionDep,
    principal: WorkOrdersUpdate,
    settings: SettingsDep,
) -> Response:
    """ "On my way" from the day's page (from the home base; the app's API takes the phone's position)."""
    try:
        result = await technician_day.on_my_way(session, principal, settings, work_order_id, None)
    except PROBLEMS_SHOWN_ON_PAGE as error:
        await session.rollback()
        return await _show(request, session, principal, work_order_id, problem=problem_of(error))
    return RedirectResponse(f"/app/my-day?done=on-my-way&eta={result.eta_minutes}", status_code=303)


@router.post("/my-day/{work_order_id}/complete")
async def my_day_complete(
    request: Request,
    work_order_id: uuid.UUID,
    session: SessionDep,
    principal: WorkOrdersUpdate,
    settings: SettingsDep,
    storage: StorageDep,
) -> Response:
    """Finish a visit from the day's page: notes, minutes on site, the customer's sign-off name and the
    photos taken (multipart ``photos``, up to :data:`MAX_VISIT_PHOTOS`, stored as ``after`` photos). The
    photos and the completion commit together: a refused photo (400, 413) or a refused completion (409)
    is shown on the work order's page and nothing is stored."""
    form = await request.form()
    values = await form_values(request)
    try:
        files = _uploaded_files(form, "photos")
        if len(files) > MAX_VISIT_PHOTOS:
            raise ValidationFailed.for_field("photos", f"at most {MAX_VISIT_PHOTOS} photos at a time")
        photo_ids = []
        for file in files:
            upload = _photo_upload(file, WorkOrderAttachmentKind.after.value)
            added = await photos.add_photo(
                session, principal, work_order_id, upload, storage=storage, settings=settings
            )
            photo_ids.append(added.id)
        minutes = values.get("time_on_site") or None
        report = technician_day.VisitReport(
            notes=values.get("notes") or None,
            time_on_site_minutes=int(minutes) if minutes and minutes.isdigit() else None,
            sign_off_name=values.get("sign_off_name") or None,
            parts=[],
            photo_ids=photo_ids,
        )
        await technician_day.complete_visit(session, principal, settings, work_order_id, report)
    except (FileTooLarge, *PROBLEMS_SHOWN_ON_PAGE) as error:
        await session.rollback()
        return await _show(request, session, principal, work_order_id, problem=problem_of(error))
    return RedirectResponse("/app/my-day?done=completed", status_code=303)


# --- the dispatch board -------------------------------------------------------------------------------------

WorkOrdersAssign = Annotated[Principal, Depends(require(WORK_ORDERS_ASSIGN))]


@router.get("/dispatch")
async def dispatch_board(
    request: Request,
    session: SessionDep,
    _: WorkOrdersAssign,
    settings: SettingsDep,
    day: Annotated[str, Query(alias="date", max_length=10)] = "",
) -> HTMLResponse:
    """The day's dispatch plan (``/app/dispatch?date=``, today by default): per technician the stops in
    order with arrival and departure, breaks and totals, the work orders left out with the reason, the
    suggestions with accept and dismiss, "Plan the day" and "Apply the plan" (the API's
    ``POST /dispatch/plan`` and ``…/apply``). Needs ``work_orders:assign``."""
    try:
        shown_day = _day(day, "date") or settings.shop_today()
    except ValidationFailed:
        shown_day = settings.shop_today()
    plan = await dispatch.latest_plan(session, shown_day)
    context = {
        **_labels(),
        "day": shown_day,
        "plan": dispatch.plan_read(plan) if plan else None,
        "suggestions": await dispatch.open_suggestions(session, plan) if plan else [],
    }
    return render(request, "fieldservice/dispatch.html", context)


def _back_to_board(day: date | str) -> RedirectResponse:
    return RedirectResponse(f"/app/dispatch?date={day}", status_code=303)


@router.post("/dispatch/plan")
async def plan_the_day(
    request: Request, session: SessionDep, principal: WorkOrdersAssign, settings: SettingsDep
) -> Response:
    """Plan the posted ``date`` with every active technician working it and its open work orders."""
    values = await form_values(request)
    try:
        plan = await dispatch.create_plan(
            session, principal, settings, parse(DispatchPlanCreate, {"date": values.get("date")})
        )
    except (*PROBLEMS_SHOWN_ON_PAGE, ValidationError) as error:
        await session.rollback()
        problem = problem_of(error)
        return render(
            request,
            "fieldservice/dispatch.html",
            {**_labels(), "day": settings.shop_today(), "plan": None, "suggestions": [], "problem": problem},
            status_code=problem.status,
        )
    return _back_to_board(plan.plan_date)


@router.post("/dispatch/plans/{plan_id}/apply")
async def apply_the_plan(
    plan_id: uuid.UUID, session: SessionDep, principal: WorkOrdersAssign, settings: SettingsDep
) -> Response:
    """Apply the plan (assignments, days, windows, through the work orders' services); a plan applied
    already is the API's 409 page."""
    plan = await dispatch.apply_plan(session, principal, settings, plan_id)
    return _back_to_board(plan.plan_date)


@router.post("/dispatch/suggestions/{suggestion_id}/{decision}")
async def decide_suggestion(
    suggestion_id: uuid.UUID,
    decision: str,
    session: SessionDep,
    principal: WorkOrdersAssign,
    settings: SettingsDep,
    day: Annotated[str, Query(alias="date", max_length=10)] = "",
) -> Response:
    """Accept (assign the work order as suggested) or dismiss a suggestion, then back to the board."""
    if decision == "accept":
        await dispatch.accept_suggestion(session, principal, settings, suggestion_id)
    elif decision == "dismiss":
        await dispatch.dismiss_suggestion(session, principal, suggestion_id)
    else:
        raise NotFound("No such decision.")
    return _back_to_board(day or settings.shop_today())


pages = WebPages(
    name="fieldservice",
    staff=router,
    navigation=(
        NavItem(N_("Work orders"), "/app/work-orders", "truck", permission=WORK_ORDERS_READ, order=25),
        NavItem(N_("My day"), "/app/my-day", "map-pin", permission=WORK_ORDERS_UPDATE, order=26),
        NavItem(N_("Dispatch"), "/app/dispatch", "route", permission=WORK_ORDERS_ASSIGN, order=27),
    ),
)

__all__ = ["STATUS_LABELS", "pages"]
