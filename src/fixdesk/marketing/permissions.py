"""The marketing domain's permissions (declared with their grants in :mod:`fixdesk.marketing.manifest`)."""

from __future__ import annotations

CONSENTS_READ = "consents:read"
CONSENTS_WRITE = "consents:write"
SUPPRESSIONS_MANAGE = "suppressions:manage"
SEGMENTS_READ = "segments:read"
SEGMENTS_WRITE = "segments:write"
CAMPAIGNS_READ = "campaigns:read"
CAMPAIGNS_WRITE = "campaigns:write"
BROADCASTS_READ = "broadcasts:read"
BROADCASTS_WRITE = "broadcasts:write"
