"""Jobs of repair attachments (loaded through the repairs manifest): the generic ones of
:mod:`fixdesk.platform.attachments`, told that stored files under ``repairs/`` belong to
``repair_attachments.storage_key``.

* ``attachments.delete_file`` removes a deleted attachment's bytes once the deletion committed.
* ``attachments.sweep_orphans`` (daily, 04:23 UTC, scheduled in the repairs manifest) removes stored files
  no row references that are older than a day.
"""

from __future__ import annotations

from fixdesk.platform.attachments import DELETE_FILE_JOB, SWEEP_JOB, register_owner
from fixdesk.repairs.attachments import events as attachment_events  # registers the event types
from fixdesk.repairs.attachments.service import KEY_PREFIX
from fixdesk.repairs.models import RepairAttachment

__all__ = ["DELETE_FILE_JOB", "SWEEP_JOB", "attachment_events"]

register_owner(KEY_PREFIX, RepairAttachment.storage_key)
