"""Build the app with the gadgets domain added to the list of domains and report, as JSON on stdout, what
each of its declarations changed. Run in a subprocess (``python -m tests.throwaway_domain.check <dir>``)
so nothing it registers (a table, an event type, a permission) reaches the test process.

The only thing done by hand is the domain's "migration": creating its one table after the shipped ones.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx

from fixdesk import migrations
from fixdesk.app import create_app, upload_route_limits
from fixdesk.config import Settings
from fixdesk.customfields import registry
from fixdesk.db import new_id, transaction
from fixdesk.domains import DOMAINS
from fixdesk.identity.permissions import CUSTOMER_PERMISSIONS, all_permissions, permissions_for
from fixdesk.messaging.service import render
from fixdesk.platform.events import load_event
from fixdesk.platform.jobs.registry import registry as jobs
from fixdesk.platform.permissions import Principal
from fixdesk.platform.realtime import live_message, may_receive
from tests.conftest import TEST_SECRET
from tests.factories import make_customer, make_user
from tests.throwaway_domain.manifest import MANIFEST as GADGETS
from tests.throwaway_domain.manifest import MANUAL_BYTES


def customer_principal(customer_id: uuid.UUID) -> Principal:
    return Principal(id=customer_id, type="customer", role="customer", permissions=CUSTOMER_PERMISSIONS)


async def check(directory: Path) -> dict[str, Any]:
    settings = Settings(
        env="test",
        data_dir=directory / "data",
        database_url=f"sqlite+aiosqlite:///{directory / 'gadgets.db'}",
        secret_key=TEST_SECRET,
    )
    migrations.upgrade(settings.resolved_database_url)
    # The one line added to the list of domains.
    app = create_app(settings, run_worker=False, domains=(*DOMAINS, GADGETS))
    from tests.throwaway_domain.models import Gadget  # imported by create_app through the manifest

    async with app.state.engine.begin() as connection:  # the domain's migration
        await connection.run_sync(Gadget.__table__.create)
    sessionmaker = app.state.sessionmaker
    admin = await make_user(app, sessionmaker, "admin")
    technician = await make_user(app, sessionmaker, "technician")
    agent = await make_user(app, sessionmaker, "agent")
    owner = await make_customer(app, sessionmaker)
    stranger = await make_customer(app, sessionmaker)
    gadget_id = new_id()
    async with transaction(sessionmaker) as session:
        session.add(Gadget(id=gadget_id, customer_id=owner.id, name="Walkman"))
    facts: dict[str, Any] = {}
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        url = f"/api/v1/gadgets/{gadget_id}"
        facts["openapi_paths"] = sorted(path for path in app.openapi()["paths"] if "gadget" in path)
        facts["get_as"] = {
            actor: (await client.get(url, headers=headers)).status_code
            for actor, headers in (
                ("admin", admin.headers),
                ("technician", technician.headers),
                ("agent", agent.headers),
            )
        }
        facts["agent_refusal"] = (await client.get(url, headers=agent.headers)).json().get("required")
        tested = await client.post(f"{url}/tested", headers=technician.headers)
        facts["tested"] = tested.status_code
        catalogue = (await client.get("/api/v1/webhooks/events")).json()["events"]
        facts["catalogue"] = [entry["name"] for entry in catalogue if entry["name"].startswith("gadget.")]
        field = await client.post(
            "/api/v1/custom-fields",
            json={"entity": "gadget", "key": "colour", "label": "Colour", "type": "text"},
            headers=admin.headers,
        )
        facts["custom_field"] = (field.status_code, field.json().get("entity"))
        facts["page"] = {}
        for actor, headers in (("technician", technician.headers), ("agent", agent.headers)):
            page = await client.get("/app/gadgets", headers={**headers, "Accept": "text/html"})
            facts["page"][actor] = (page.status_code, page.headers.get("content-type", "").split(";")[0])
    async with sessionmaker() as session:
        event = await load_event(session, uuid.UUID(tested.json()["eventId"]))
    assert event is not None
    message = live_message(event)
    assert message is not None
    facts["live"] = {
        "owner": may_receive(customer_principal(owner.id), message),
        "stranger": may_receive(customer_principal(stranger.id), message),
    }
    facts["permissions"] = {
        "declared": "gadgets:read" in all_permissions(),
        "technician": "gadgets:read" in permissions_for("technician"),
        "agent": "gadgets:read" in permissions_for("agent"),
        "admin": "gadgets:read" in permissions_for("admin"),
    }
    facts["upload_limits"] = [
        [path, size] for path, size in upload_route_limits(settings, (*DOMAINS, GADGETS)) if "gadget" in path
    ]
    facts["manual_bytes"] = MANUAL_BYTES
    facts["custom_field_entities"] = list(registry.names())
    facts["periodic"] = "gadgets.polish" in jobs.periodics and jobs.get("gadgets.polish") is not None
    shop = {"shop_name": "Fix & Go", "shop_phone": "+1 512 555 0100", "shop_email": "hello@fixgo.example"}
    facts["message"] = render("gadget_ready", "en", {**shop, "customer_first_name": "Ana"}).subject
    await app.state.engine.dispose()
    return facts


if __name__ == "__main__":
    print(json.dumps(asyncio.run(check(Path(sys.argv[1])))))
