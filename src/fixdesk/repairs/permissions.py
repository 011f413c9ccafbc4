"""The repairs domain's permissions (declared with their grants in :mod:`fixdesk.repairs.manifest`)."""

from __future__ import annotations

REPAIRS_READ = "repairs:read"
REPAIRS_CREATE = "repairs:create"
REPAIRS_UPDATE = "repairs:update"
REPAIRS_ASSIGN = "repairs:assign"
# Uploading and changing repair photos and documents (intake photos are taken at the front desk).
ATTACHMENTS_WRITE = "attachments:write"
