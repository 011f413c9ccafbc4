"""Jobs of work order photos (loaded through the fieldservice manifest): stored files under
``work-orders/`` belong to ``work_order_attachments.storage_key``, so the platform's
``attachments.delete_file`` and ``attachments.sweep_orphans`` (:mod:`fixdesk.platform.attachments`) check
that column before removing bytes."""

from __future__ import annotations

from fixdesk.fieldservice.models import WorkOrderAttachment
from fixdesk.fieldservice.work_order_attachments.service import KEY_PREFIX
from fixdesk.platform.attachments import DELETE_FILE_JOB, SWEEP_JOB, register_owner

__all__ = ["DELETE_FILE_JOB", "SWEEP_JOB"]

register_owner(KEY_PREFIX, WorkOrderAttachment.storage_key)
