"""Warranties on fitted parts and warranty claims.

PLACEHOLDER until the warranty work lands.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.config import Settings
from fixdesk.repairs.models import Repair


async def create_warranties(
    session: AsyncSession, repair: Repair, *, completed_at: datetime, settings: Settings | None
) -> None:
    """Create the warranty records of a repair that has just been completed (one per fitted part)."""
