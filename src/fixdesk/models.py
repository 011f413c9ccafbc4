"""Every domain's tables on ``Base.metadata`` (migrations, tests, the demo loader): imports the model modules
the domains' manifests list (:data:`fixdesk.domains.DOMAINS`)."""

from __future__ import annotations

import importlib

from fixdesk.db import Base
from fixdesk.domains import DOMAINS

for _manifest in DOMAINS:
    for _module in _manifest.models:
        importlib.import_module(_module)

__all__ = ["Base"]
