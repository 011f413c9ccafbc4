"""Sales' event subscribers: parts fitted in repairs follow the repair's completion.

A repair's line item may name a product (``productId``, a part in stock). When the repair is done
(``completed`` or ``delivered``), each such line's units leave stock (``used_in_repair`` movements naming
the repair and the line); when a repair stops being done, they come back (``returned``). The subscriber
reconciles the ledger with the repair's current state rather than replaying the event: it locks the
repair, reads its part lines (``fixdesk.repairs.access``) and the units the ledger already took for each
line, and records only the difference. So an event dispatched twice, or events handled out of order, move
each part once, and the ledger always matches the repair as it is now.

The repairs lifecycle today has no step back from ``completed`` (only on to ``delivered``), so parts come
back only if such a step is added (a reopened repair); the rule is ready for it.
"""

from __future__ import annotations

import uuid

import structlog
from sqlalchemy import func, select

from fixdesk.platform.errors import NotFound
from fixdesk.platform.events import PublishedEvent, subscriber
from fixdesk.platform.jobs import JobContext
from fixdesk.repairs import access as repairs
from fixdesk.repairs.events import REPAIR_STATUS_CHANGED
from fixdesk.sales.models import MovementKind, StockMovement
from fixdesk.sales.products import stock

log = structlog.get_logger("fixdesk.sales")


@subscriber("sales.repair_parts", REPAIR_STATUS_CHANGED)
async def follow_repair_parts(context: JobContext, event: PublishedEvent) -> None:
    """Take a done repair's parts out of stock, or put an undone repair's parts back (see the module
    docstring). A line naming a product that does not exist is skipped (and logged)."""
    session = context.session
    repair_id = uuid.UUID(event.payload["id"])
    repair = await repairs.load_repair(session, repair_id, lock=True)
    if repair is None:
        return
    done = repairs.is_done(repair.status)
    wanted = {
        (line.item_id, line.product_id): line.quantity if done else 0
        for line in await repairs.part_lines(session, repair_id)
    }
    rows = await session.execute(
        select(StockMovement.repair_item_id, StockMovement.product_id, func.sum(StockMovement.quantity))
        .where(StockMovement.repair_id == repair_id)
        .group_by(StockMovement.repair_item_id, StockMovement.product_id)
    )
    taken = {(item_id, product_id): -int(units) for item_id, product_id, units in rows}
    for key in sorted(set(wanted) | set(taken), key=lambda key: (str(key[1]), str(key[0]))):
        item_id, product_id = key
        difference = wanted.get(key, 0) - taken.get(key, 0)
        if difference == 0:
            continue
        kind = MovementKind.used_in_repair if difference > 0 else MovementKind.returned
        reference = stock.Reference(repair_id=repair_id, repair_item_id=item_id, note=repair.repair_number)
        try:
            await stock.move(session, product_id, kind, abs(difference), reference)
        except NotFound:
            log.warning(
                "repair line names an unknown product", repair_id=str(repair_id), product_id=str(product_id)
            )
