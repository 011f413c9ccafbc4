"""Request and response models of the public tracking page and of customer reviews."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from fixdesk.platform.schemas import CamelModel, InputModel


class ReviewCreate(InputModel):
    """A customer's rating of a completed repair: 1 (poor) to 5 (excellent), with an optional comment."""

    rating: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=2000)


class ReviewRead(CamelModel):
    id: uuid.UUID
    repair_id: uuid.UUID
    customer_id: uuid.UUID
    rating: int
    comment: str | None
    created_at: datetime
