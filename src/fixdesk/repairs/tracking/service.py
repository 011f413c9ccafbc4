"""The public tracking link of a repair and the customer's review of it."""

from __future__ import annotations

from fixdesk.config import Settings

TRACKING_PATH = "/track/"


def tracking_url(settings: Settings, token: str) -> str:
    """The public status page of the repair with ``token``: ``<FIXDESK_PUBLIC_BASE_URL>/track/<token>``."""
    return f"{settings.resolved_public_base_url}{TRACKING_PATH}{token}"
