"""Line items, labour and the totals of a repair.

PLACEHOLDER until the line-items work lands.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.repairs.items.schemas import RepairItemCreate, RepairLabourCreate
from fixdesk.repairs.models import Repair, RepairItem, RepairLabour


async def has_lines(session: AsyncSession, repair_id) -> bool:
    """True when the repair has at least one item or labour line (its total is then computed)."""
    statement = select(
        exists().where(RepairItem.repair_id == repair_id)
        | exists().where(RepairLabour.repair_id == repair_id)
    )
    return bool((await session.execute(statement)).scalar())


async def add_lines(
    session: AsyncSession,
    repair: Repair,
    items: Sequence[RepairItemCreate],
    labour: Sequence[RepairLabourCreate],
) -> None:
    """Add item and labour lines to ``repair`` and recompute its totals."""
    if items or labour:
        raise NotImplementedError("line items are not implemented yet")
