"""The gadgets domain's event."""

from __future__ import annotations

import uuid

from fixdesk.platform.events import event_type
from fixdesk.platform.schemas import CamelModel
from tests.throwaway_domain.manifest import GADGETS_READ


class GadgetTestedPayload(CamelModel):
    id: uuid.UUID
    customer_id: uuid.UUID


GADGET_TESTED = event_type(
    "gadget.tested", "A gadget passed its test.", GadgetTestedPayload, permission=GADGETS_READ
).name
