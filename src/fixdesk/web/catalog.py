"""The catalog pages of the staff app (``/app/catalog``): the price list with inline editing and each
price's history, the device models search, the estimator, and the CSV import (a background job whose
progress the page polls) and export.

Permissions are the API's: ``catalog:read`` to look and ask the estimator, ``catalog:write`` to change a
price and import. Reads go through the catalog's cached read functions like the API router's
(:mod:`fixdesk.catalog.router`); a price is changed by ``update_pricing`` with the history row it writes.

Inline edit (htmx): a price cell is a button that fetches the row's edit form
(``GET /app/catalog/prices/{id}/edit``) into the row; saving posts it (``POST /app/catalog/prices/{id}``)
and the answer is the row as stored, or the form again with the API's problems next to the fields (status
200, so that htmx swaps it in; nothing is stored). "History" loads the price's history into the panel
beside the table.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from fixdesk.catalog import service, transfer
from fixdesk.catalog.estimator import estimate_price
from fixdesk.catalog.import_jobs import IMPORT_JOB, REJECTIONS_SHOWN, STAGES, queue_import
from fixdesk.catalog.permissions import CATALOG_READ, CATALOG_WRITE
from fixdesk.catalog.schemas import (
    CatalogImportRead,
    DeviceModelRead,
    PartTypeRead,
    PriceHistoryRead,
    PricingRead,
    PricingUpdate,
    RepairTypeRead,
)
from fixdesk.platform.deps import SessionDep, SettingsDep
from fixdesk.platform.errors import FixdeskError, NotFound, ValidationFailed
from fixdesk.platform.jobs.models import Job, JobState
from fixdesk.platform.pagination import PageParams
from fixdesk.platform.permissions import Principal, require
from fixdesk.platform.schemas import require_plain_text
from fixdesk.platform.storage import StorageDep
from fixdesk.web.forms import NO_PROBLEMS, Problem, form_problems, text_values
from fixdesk.web.i18n import N_
from fixdesk.web.pages import NavItem, WebPages
from fixdesk.web.templating import render

router = APIRouter()

CatalogRead = Annotated[Principal, Depends(require(CATALOG_READ))]
CatalogWrite = Annotated[Principal, Depends(require(CATALOG_WRITE))]

PAGE_SIZE = 50
CHOICES = PageParams(page=1, page_size=100)
"""The estimator's pick lists: the first 100 matches (the device list narrows with its search box)."""


def _cache(request: Request) -> service.CatalogCache:
    return service.catalog_cache_for(request.app)


def _is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _items(page: dict[str, Any], model: Any) -> list[Any]:
    # The cached reads answer the API's JSON; the pages read them as the API's models (dates as dates).
    return [model.model_validate(item) for item in page["items"]]


def _pages(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))


# --- the price list --------------------------------------------------------------------------------------


@router.get("/catalog")
async def price_list(
    request: Request,
    session: SessionDep,
    principal: CatalogRead,
    device: Annotated[uuid.UUID | None, Query(alias="deviceModelId")] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> HTMLResponse:
    """The price list, newest first, 50 a page (``deviceModelId`` narrows it to one device model)."""
    filters = service.PricingFilters(device_model_id=device, is_active=True)
    result = await service.read_pricing_page(
        session, _cache(request), filters, PageParams(page=page, page_size=PAGE_SIZE)
    )
    device_model = None
    if device is not None:
        device_model = DeviceModelRead.model_validate(
            await service.read_device_model(session, _cache(request), device)
        )
    context = {
        "prices": _items(result, PricingRead),
        "total": result["total"],
        "page": page,
        "pages": _pages(result["total"]),
        "device_model": device_model,
        "can_write": principal.has(CATALOG_WRITE),
        "tab": "prices",
        # What the rows' template (catalog/_price_row.html) reads when a row is a form.
        "editing": False,
        "values": {},
        "problems": NO_PROBLEMS,
    }
    return render(request, "catalog/prices.html", context)


async def _price(request: Request, session: Any, pricing_id: uuid.UUID) -> PricingRead:
    return PricingRead.model_validate(await service.read_pricing(session, _cache(request), pricing_id))


def _price_row(
    request: Request,
    price: PricingRead,
    *,
    editing: bool = False,
    values: dict[str, Any] | None = None,
    problems: Problem = NO_PROBLEMS,
) -> HTMLResponse:
    context = {
        "price": price,
        "editing": editing,
        "values": values
        or {
            "price": f"{price.price:.2f}",
            "cost": "" if price.cost is None else f"{price.cost:.2f}",
            "reason": "",
        },
        "problems": problems,
        "can_write": True,
    }
    return render(request, "catalog/_price_row.html", context)


@router.get("/catalog/prices/{pricing_id}")
async def price_row(
    request: Request, pricing_id: uuid.UUID, session: SessionDep, _: CatalogWrite
) -> HTMLResponse:
    """One row of the price list as shown (the edit form's "Cancel")."""
    return _price_row(request, await _price(request, session, pricing_id))


@router.get("/catalog/prices/{pricing_id}/edit")
async def edit_price(
    request: Request, pricing_id: uuid.UUID, session: SessionDep, _: CatalogWrite
) -> HTMLResponse:
    """One row of the price list as a form: price, cost and the reason for the change."""
    return _price_row(request, await _price(request, session, pricing_id), editing=True)


@router.post("/catalog/prices/{pricing_id}")
async def save_price(
    request: Request, pricing_id: uuid.UUID, session: SessionDep, principal: CatalogWrite
) -> HTMLResponse:
    """Change a price and its cost (the API's ``PATCH /catalog/pricing/{id}``, which records the change in
    the price's history with the reason); answers the row as stored, or the form with the problems."""
    values = text_values(await request.form(), ("price", "cost", "reason"))
    change: dict[str, Any] = {"price": values["price"], "cost": values["cost"]}
    if values["reason"]:
        change["reason"] = values["reason"]
    try:
        await service.update_pricing(
            session, pricing_id, PricingUpdate.model_validate(change), changed_by_id=principal.staff_user_id
        )
    except (ValidationError, FixdeskError) as error:
        if isinstance(error, NotFound):
            raise
        await session.rollback()
        shown = {key: value or "" for key, value in values.items()}
        price = await _price(request, session, pricing_id)
        return _price_row(request, price, editing=True, values=shown, problems=form_problems(error))
    # Commit before reading the row back through the cache, which the commit invalidates.
    await session.commit()
    return _price_row(request, await _price(request, session, pricing_id))


@router.get("/catalog/prices/{pricing_id}/history")
async def price_history(
    request: Request, pricing_id: uuid.UUID, session: SessionDep, _: CatalogRead
) -> HTMLResponse:
    """A price's history, newest first (the latest 50 changes): old and new price and cost, source, who,
    why."""
    price = await _price(request, session, pricing_id)
    result = await service.read_price_history(
        session, _cache(request), pricing_id, PageParams(page=1, page_size=PAGE_SIZE)
    )
    context = {"price": price, "history": _items(result, PriceHistoryRead)}
    return render(request, "catalog/_history.html", context)


# --- device models ---------------------------------------------------------------------------------------


@router.get("/catalog/devices")
async def device_models(
    request: Request,
    session: SessionDep,
    _: CatalogRead,
    search: Annotated[str, Query(max_length=200)] = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> HTMLResponse:
    """Device models by name, 50 a page; ``search`` matches brand, name and model number. An htmx request
    (the search box as one types) gets the results only."""
    filters = service.DeviceModelFilters(search=search.strip() or None, is_active=True)
    result = await service.read_device_models(
        session, _cache(request), filters, PageParams(page=page, page_size=PAGE_SIZE)
    )
    context = {
        "devices": _items(result, DeviceModelRead),
        "total": result["total"],
        "page": page,
        "pages": _pages(result["total"]),
        "search": search,
        "tab": "devices",
    }
    template = "catalog/_devices.html" if _is_htmx(request) else "catalog/devices.html"
    return render(request, template, context)


# --- the estimator ---------------------------------------------------------------------------------------


@router.get("/catalog/estimate")
async def estimator(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    _: CatalogRead,
    device_search: Annotated[str, Query(alias="deviceSearch", max_length=200)] = "",
    device_model_id: Annotated[str, Query(alias="deviceModelId", max_length=40)] = "",
    repair_type_id: Annotated[str, Query(alias="repairTypeId", max_length=40)] = "",
    part_type_id: Annotated[str, Query(alias="partTypeId", max_length=40)] = "",
) -> HTMLResponse:
    """Pick a device (narrowed by ``deviceSearch``), a repair type and optionally a part type; with all
    chosen the page shows the estimate (the API's ``GET /catalog/pricing/estimate``): the price, how it was
    found, the confidence and the shop's price it used, if any."""
    cache = _cache(request)
    devices = await service.read_device_models(
        session,
        cache,
        service.DeviceModelFilters(search=device_search.strip() or None, is_active=True),
        CHOICES,
    )
    repair_types = await service.read_repair_types(
        session, cache, service.TypeFilters(is_active=True), CHOICES
    )
    part_types = await service.read_part_types(session, cache, service.TypeFilters(is_active=True), CHOICES)
    chosen = {"deviceModelId": device_model_id, "repairTypeId": repair_type_id, "partTypeId": part_type_id}
    estimate: dict[str, Any] | None = None
    used: PricingRead | None = None
    problems = NO_PROBLEMS
    if device_model_id and repair_type_id:
        try:
            result = await estimate_price(
                session,
                _uuid(device_model_id, "deviceModelId"),
                _uuid(repair_type_id, "repairTypeId"),
                None,
                part_type_id=_uuid(part_type_id, "partTypeId") if part_type_id else None,
                cache=cache,
            )
        except FixdeskError as error:
            problems = form_problems(error)
        else:
            estimate = {
                "price": result.price,
                "currency": settings.currency,
                "confidence": result.confidence,
                "method": result.method,
                "reason": result.reason,
                "matching_prices": result.matching_prices,
                "part_quality": result.part_quality,
            }
            if result.pricing_id is not None:
                used = await _price(request, session, result.pricing_id)
    context = {
        "devices": _items(devices, DeviceModelRead),
        "repair_types": _items(repair_types, RepairTypeRead),
        "part_types": _items(part_types, PartTypeRead),
        "device_search": device_search,
        "chosen": chosen,
        "estimate": estimate,
        "used": used,
        "problems": problems,
        "tab": "estimate",
    }
    return render(request, "catalog/estimate.html", context, status_code=problems.status)


def _uuid(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise ValidationFailed.for_field(field, "is not a valid id") from exc


# --- import and export -----------------------------------------------------------------------------------


@router.get("/catalog/import")
async def import_form(request: Request, principal: CatalogWrite) -> HTMLResponse:
    """The CSV upload form and the export link."""
    context = {"problems": NO_PROBLEMS, "job_id": None, "tab": "import"}
    return render(request, "catalog/import.html", context)


@router.post("/catalog/import")
async def start_import(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    storage: StorageDep,
    principal: CatalogWrite,
) -> Response:
    """Upload a catalog CSV (field ``file``) and queue its import as a job; the answer is the page with
    the job's progress, which polls itself every second until the import is done. A file that is too
    large or has no name is refused here (413/400) and nothing is queued."""
    form = await request.form()
    upload = form.get("file")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise ValidationFailed.for_field("file", "choose a CSV file to import")
        file_name = require_plain_text(upload.filename, "file", label="the file name")
        data = await upload.read()
        if len(data) > settings.max_import_bytes:
            raise transfer.ImportTooLarge(
                f"The file has {len(data):,} bytes; at most {settings.max_import_bytes:,} are accepted "
                "(FIXDESK_MAX_IMPORT_BYTES). Import larger files with `fixdesk catalog import`."
            )
    except FixdeskError as error:
        problems = form_problems(error)
        context = {"problems": problems, "job_id": None, "tab": "import"}
        return render(request, "catalog/import.html", context, status_code=problems.status)
    job_id = await queue_import(
        session, storage, data, source_name=file_name, changed_by_id=principal.staff_user_id
    )
    return RedirectResponse(f"/app/catalog/import/{job_id}", status_code=303)


def _import_state(job: Job) -> dict[str, Any]:
    payload = job.payload or {}
    progress = payload.get("progress") or {}
    stage = progress.get("stage", "queued")
    done, total = int(progress.get("done") or 0), int(progress.get("total") or 0)
    # The bar covers the three stages, a third each.
    if stage in STAGES:
        fraction = STAGES.index(stage) / len(STAGES) + (done / total if total else 0) / len(STAGES)
    else:
        fraction = 1.0 if stage == "done" else 0.0
    finished = job.state in (JobState.done.value, JobState.dead.value)
    report = payload.get("report")
    return {
        "job_id": job.id,
        "state": job.state,
        "stage": stage,
        "done": done,
        "total": total,
        "percent": 100 if finished else min(99, int(fraction * 100)),
        "finished": finished,
        "report": CatalogImportRead.model_validate(report) if report else None,
        "error": payload.get("error") or (job.last_error if job.state == JobState.dead.value else None),
        "source_name": payload.get("sourceName"),
        "rejections_shown": REJECTIONS_SHOWN,
    }


@router.get("/catalog/import/{job_id}")
async def import_progress(
    request: Request, job_id: uuid.UUID, session: SessionDep, _: CatalogWrite
) -> HTMLResponse:
    """An import's progress: a bar while it runs (an htmx request gets only the bar, which asks again
    every second), then what was imported and the rejected rows with their line and reason."""
    job = await session.get(Job, job_id)
    if job is None or job.kind != IMPORT_JOB:
        raise NotFound(f"Import {job_id} not found.")
    context = {"tab": "import", "problems": NO_PROBLEMS, **_import_state(job)}
    template = "catalog/_import_progress.html" if _is_htmx(request) else "catalog/import.html"
    return render(request, template, context)


@router.get("/catalog/export")
async def export_prices(request: Request, settings: SettingsDep, _: CatalogRead) -> StreamingResponse:
    """The whole price list as a CSV download in the import's format (the API's
    ``GET /catalog/pricing/export``, here under /app so the page's own session opens it)."""
    chunks = transfer.export_catalog_csv(
        request.app.state.read_sessionmaker, transfer.ExportFilters(), timezone=settings.shop_timezone
    )
    filename = f"fixdesk-pricing-{settings.shop_today().isoformat()}.csv"
    return StreamingResponse(
        chunks,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


pages = WebPages(
    name="catalog",
    staff=router,
    navigation=(NavItem(N_("Catalog"), "/app/catalog", "list-details", permission=CATALOG_READ, order=40),),
)
