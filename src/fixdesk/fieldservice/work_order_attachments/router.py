"""Work order photo endpoints (``/api/v1/work-orders/{id}/attachments``): upload (multipart), list,
download and delete. A technician reaches only the work orders assigned to them (404 for the others)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Header, Response, UploadFile, status

from fixdesk.audit.service import ClientInfo, request_client
from fixdesk.fieldservice.models import WorkOrderAttachmentKind
from fixdesk.fieldservice.permissions import WORK_ORDERS_READ, WORK_ORDERS_UPDATE
from fixdesk.fieldservice.work_order_attachments import service
from fixdesk.fieldservice.work_order_attachments.schemas import (
    DESCRIPTION_MAX_LENGTH,
    PhotoUpload,
    WorkOrderAttachmentRead,
)
from fixdesk.platform.attachments import DOWNLOAD_RESPONSES, file_response
from fixdesk.platform.deps import SessionDep, SettingsDep
from fixdesk.platform.pagination import Page, PageParams, page_params
from fixdesk.platform.permissions import Principal, require
from fixdesk.platform.schemas import FormText, require_plain_text
from fixdesk.platform.storage import StorageDep

router = APIRouter(tags=["work orders"])

WorkOrdersRead = Annotated[Principal, Depends(require(WORK_ORDERS_READ))]
WorkOrdersUpdate = Annotated[Principal, Depends(require(WORK_ORDERS_UPDATE))]
Client = Annotated[ClientInfo, Depends(request_client)]


@router.post(
    "/work-orders/{work_order_id}/attachments",
    operation_id="work-order-attachments-create",
    status_code=status.HTTP_201_CREATED,
    response_model=WorkOrderAttachmentRead,
)
async def upload_photo(
    work_order_id: uuid.UUID,
    session: SessionDep,
    principal: WorkOrdersUpdate,
    settings: SettingsDep,
    storage: StorageDep,
    file: Annotated[UploadFile, File(description="JPEG, PNG, WebP or HEIC/HEIF; type read from content")],
    kind: Annotated[
        WorkOrderAttachmentKind,
        Form(description="before, after, nameplate (the equipment's plate), signed_form or other"),
    ] = WorkOrderAttachmentKind.other,
    description: Annotated[FormText | None, Form(max_length=DESCRIPTION_MAX_LENGTH)] = None,
):
    """Upload a photo of a work order (multipart; 413 above ``FIXDESK_MAX_UPLOAD_BYTES``, 400 for what is
    not an image); publishes ``work_order.attachment_added``. Photos for the visit report are uploaded
    here before ``POST /work-orders/{id}/complete`` names them in ``photoIds`` (or after completing)."""
    upload = PhotoUpload(
        file=file.file,
        file_name=require_plain_text(file.filename, "file", label="the file name"),
        kind=kind,
        description=description,
    )
    attachment = await service.add_photo(
        session, principal, work_order_id, upload, storage=storage, settings=settings
    )
    return WorkOrderAttachmentRead.model_validate(attachment)


@router.get(
    "/work-orders/{work_order_id}/attachments",
    operation_id="work-order-attachments-list",
    response_model=Page[WorkOrderAttachmentRead],
)
async def list_photos(
    work_order_id: uuid.UUID,
    session: SessionDep,
    principal: WorkOrdersRead,
    params: Annotated[PageParams, Depends(page_params)],
):
    """A work order's photos, newest first."""
    rows, total = await service.list_photos(session, principal, work_order_id, params)
    items = [WorkOrderAttachmentRead.model_validate(row) for row in rows]
    return Page[WorkOrderAttachmentRead].build(items, total, params)


@router.get(
    "/work-orders/{work_order_id}/attachments/{attachment_id}",
    operation_id="work-order-attachments-download",
    response_class=Response,
    responses=DOWNLOAD_RESPONSES,
)
async def download_photo(
    work_order_id: uuid.UUID,
    attachment_id: uuid.UUID,
    session: SessionDep,
    principal: WorkOrdersRead,
    storage: StorageDep,
    if_none_match: Annotated[str | None, Header(alias="If-None-Match")] = None,
):
    """Download a photo's bytes with their detected Content-Type (ETag is the SHA-256; If-None-Match
    answers 304)."""
    download = await service.download(
        session, principal, work_order_id, attachment_id, storage=storage, if_none_match=if_none_match
    )
    return file_response(download)


@router.delete(
    "/work-orders/{work_order_id}/attachments/{attachment_id}",
    operation_id="work-order-attachments-delete",
    status_code=status.HTTP_204_NO_CONTENT,
)
async def delete_photo(
    work_order_id: uuid.UUID,
    attachment_id: uuid.UUID,
    session: SessionDep,
    principal: WorkOrdersUpdate,
    client: Client,
) -> Response:
    """Delete a photo (managers, admins and its uploader; audited). Its stored bytes are removed by a
    background job once the deletion committed."""
    await service.delete_photo(session, principal, work_order_id, attachment_id, client=client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
