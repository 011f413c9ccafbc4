"""The webhooks domain's permission (declared in :mod:`fixdesk.webhooks.manifest`)."""

from __future__ import annotations

WEBHOOKS_MANAGE = "webhooks:manage"
