"""The messaging domain's permissions (declared with their grants in :mod:`fixdesk.messaging.manifest`)."""

from __future__ import annotations

NOTIFICATIONS_READ = "notifications:read"
NOTIFICATIONS_MANAGE = "notifications:manage"
