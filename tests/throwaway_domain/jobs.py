"""The gadgets domain's periodic job."""

from __future__ import annotations

from fixdesk.platform.jobs import JobContext, handler


@handler("gadgets.polish")
async def polish(context: JobContext) -> None:
    """Nothing to polish in a test."""
