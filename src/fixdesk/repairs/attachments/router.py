"""Repair attachment endpoints for staff (``/api/v1/repairs/{id}/attachments``) and for customers in the
portal (``/api/v1/customer/repairs/{id}/attachments``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Header, Query, Response, UploadFile, status

from fixdesk.audit.service import ClientInfo, request_client
from fixdesk.platform.attachments import DOWNLOAD_RESPONSES, file_response
from fixdesk.platform.deps import SessionDep, SettingsDep
from fixdesk.platform.pagination import Page, PageParams, page_params
from fixdesk.platform.permissions import CustomerPortal, Principal, require
from fixdesk.platform.schemas import FormText, require_plain_text
from fixdesk.platform.storage import StorageDep
from fixdesk.repairs.attachments import service
from fixdesk.repairs.attachments.schemas import (
    DESCRIPTION_MAX_LENGTH,
    AttachmentRead,
    AttachmentUpdate,
    AttachmentUpload,
    PortalAttachmentRead,
)
from fixdesk.repairs.models import AttachmentKind
from fixdesk.repairs.permissions import ATTACHMENTS_WRITE, REPAIRS_READ

router = APIRouter(tags=["attachments"])
portal_router = APIRouter(tags=["attachments"])

RepairsRead = Annotated[Principal, Depends(require(REPAIRS_READ))]
AttachmentsWrite = Annotated[Principal, Depends(require(ATTACHMENTS_WRITE))]
IfNoneMatch = Annotated[str | None, Header(alias="If-None-Match")]
KindFilter = Annotated[AttachmentKind | None, Query(description="Only attachments of this kind")]
Client = Annotated[ClientInfo, Depends(request_client)]


@router.post(
    "/repairs/{repair_id}/attachments",
    operation_id="repair-attachments-create",
    status_code=status.HTTP_201_CREATED,
    response_model=AttachmentRead,
)
async def upload_attachment(
    repair_id: uuid.UUID,
    session: SessionDep,
    principal: AttachmentsWrite,
    settings: SettingsDep,
    storage: StorageDep,
    client: Client,
    file: Annotated[
        UploadFile, File(description="JPEG, PNG, WebP, HEIC/HEIF or PDF; type read from content")
    ],
    kind: Annotated[AttachmentKind, Form(description="before (intake photo), after, or document")],
    is_public: Annotated[
        bool | None, Form(alias="isPublic", description="Shown in the customer portal")
    ] = None,
    is_public_snake: Annotated[bool | None, Form(alias="is_public", include_in_schema=False)] = None,
    description: Annotated[FormText | None, Form(max_length=DESCRIPTION_MAX_LENGTH)] = None,
):
    """Upload a photo or document of a repair (multipart; 413 above the upload limit)."""
    upload = AttachmentUpload(
        file=file.file,
        file_name=require_plain_text(file.filename, "file", label="the file name"),
        kind=kind,
        is_public=bool(is_public if is_public is not None else is_public_snake),
        description=description,
    )
    attachment = await service.add_attachment(
        session, principal, repair_id, upload, storage=storage, settings=settings, client=client
    )
    return AttachmentRead.model_validate(attachment)


@router.get(
    "/repairs/{repair_id}/attachments",
    operation_id="repair-attachments-list",
    response_model=Page[AttachmentRead],
)
async def list_attachments(
    repair_id: uuid.UUID,
    session: SessionDep,
    principal: RepairsRead,
    params: Annotated[PageParams, Depends(page_params)],
    kind: KindFilter = None,
):
    """A repair's photos and documents, newest first (filter by kind)."""
    rows, total = await service.list_attachments(session, principal, repair_id, params, kind=kind)
    return Page[AttachmentRead].build([AttachmentRead.model_validate(row) for row in rows], total, params)


@router.get(
    "/repairs/{repair_id}/attachments/{attachment_id}/download",
    operation_id="repair-attachments-download",
    response_class=Response,
    responses=DOWNLOAD_RESPONSES,
)
async def download_attachment(
    repair_id: uuid.UUID,
    attachment_id: uuid.UUID,
    session: SessionDep,
    principal: RepairsRead,
    storage: StorageDep,
    if_none_match: IfNoneMatch = None,
):
    """Download an attachment's bytes (ETag is the SHA-256; If-None-Match answers 304)."""
    download = await service.download(
        session, principal, repair_id, attachment_id, storage=storage, if_none_match=if_none_match
    )
    return file_response(download)


@router.patch(
    "/repairs/{repair_id}/attachments/{attachment_id}",
    operation_id="repair-attachments-update",
    response_model=AttachmentRead,
)
async def update_attachment(
    repair_id: uuid.UUID,
    attachment_id: uuid.UUID,
    body: AttachmentUpdate,
    session: SessionDep,
    principal: AttachmentsWrite,
    client: Client,
):
    """Change an attachment's kind, portal visibility (isPublic, audited) or description."""
    attachment = await service.update_attachment(
        session, principal, repair_id, attachment_id, body, client=client
    )
    return AttachmentRead.model_validate(attachment)


@router.delete(
    "/repairs/{repair_id}/attachments/{attachment_id}",
    operation_id="repair-attachments-delete",
    status_code=status.HTTP_204_NO_CONTENT,
)
async def delete_attachment(
    repair_id: uuid.UUID,
    attachment_id: uuid.UUID,
    session: SessionDep,
    principal: AttachmentsWrite,
    client: Client,
) -> Response:
    """Delete an attachment (managers, admins and its uploader; audited). Its stored bytes are removed
    by a background job."""
    await service.delete_attachment(session, principal, repair_id, attachment_id, client=client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@portal_router.get(
    "/customer/repairs/{repair_id}/attachments",
    operation_id="portal-repair-attachments-list",
    response_model=Page[PortalAttachmentRead],
)
async def list_my_attachments(
    repair_id: uuid.UUID,
    session: SessionDep,
    principal: CustomerPortal,
    params: Annotated[PageParams, Depends(page_params)],
    kind: KindFilter = None,
):
    """The public photos and documents of one of the signed-in customer's repairs, newest first."""
    rows, total = await service.list_attachments(session, principal, repair_id, params, kind=kind)
    items = [PortalAttachmentRead.model_validate(row) for row in rows]
    return Page[PortalAttachmentRead].build(items, total, params)


@portal_router.get(
    "/customer/repairs/{repair_id}/attachments/{attachment_id}/download",
    operation_id="portal-repair-attachments-download",
    response_class=Response,
    responses=DOWNLOAD_RESPONSES,
)
async def download_my_attachment(
    repair_id: uuid.UUID,
    attachment_id: uuid.UUID,
    session: SessionDep,
    principal: CustomerPortal,
    storage: StorageDep,
    if_none_match: IfNoneMatch = None,
):
    """Download a public attachment of one of the signed-in customer's repairs (others answer 404)."""
    download = await service.download(
        session, principal, repair_id, attachment_id, storage=storage, if_none_match=if_none_match
    )
    return file_response(download)
