"""Marketing consent and the suppression list (issue 13, item 5): per-channel consent with its history,
staff and portal changes (audited), suppressions, and the audience every marketing send is chosen from."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from fixdesk.audit.models import AuditEvent
from fixdesk.db import transaction
from fixdesk.marketing import access
from fixdesk.marketing.access import AudienceSpec
from fixdesk.marketing.models import MarketingConsent, MarketingConsentChange, Suppression
from fixdesk.platform.errors import FixdeskError
from tests.factories import count_rows, make_customer, make_user

ALL = AudienceSpec(recipient_type="all")


async def audience(sessionmaker, spec: AudienceSpec, channel: str) -> set[uuid.UUID]:
    async with transaction(sessionmaker) as session:
        rows = (await session.execute(access.audience_select(spec, channel))).all()
        count = await access.count_audience(session, spec, channel)
    assert count == len(rows)
    for row in rows:
        assert list(row._mapping) == ["customer_id", "first_name", "last_name", "email", "phone", "language"]
    return {row.customer_id for row in rows}


async def grant(sessionmaker, customer_id, *channels: str, granted: bool = True, source: str = "import"):
    async with transaction(sessionmaker) as session:
        for channel in channels:
            await access.record_consent(
                session, customer_id=customer_id, channel=channel, granted=granted, source=source
            )


@pytest.fixture
async def people(app, sessionmaker):
    manager = await make_user(app, sessionmaker, "manager")
    agent = await make_user(app, sessionmaker, "agent")
    technician = await make_user(app, sessionmaker, "technician")
    rita = await make_customer(
        app,
        sessionmaker,
        first_name="Rita",
        last_name="Nunes",
        email="Rita.Nunes@Example.com",
        phone="+351 912 345 678",
    )
    return {"manager": manager, "agent": agent, "technician": technician, "rita": rita}


async def test_staff_grant_and_withdraw_consent_with_history_and_audit(client, people, sessionmaker):
    rita, agent = people["rita"], people["agent"]
    url = f"/api/v1/customers/{rita.id}/consents"

    fresh = await client.get(url, headers=agent.headers)
    assert fresh.status_code == 200, fresh.text
    assert [(c["channel"], c["granted"], c["source"], c["address"]) for c in fresh.json()["consents"]] == [
        ("email", False, None, "rita.nunes@example.com"),
        ("sms", False, None, "+351912345678"),
        ("whatsapp", False, None, "+351912345678"),
    ]
    assert fresh.json()["history"] == []

    response = await client.put(
        f"{url}/email",
        json={"granted": True, "source": "web_form", "evidence": "Form #88"},
        headers=agent.headers,
    )
    assert response.status_code == 200, response.text
    email = response.json()["consents"][0]
    assert (email["granted"], email["source"], email["evidence"]) == (True, "web_form", "Form #88")
    assert email["changedAt"].endswith("Z")

    # The same state again changes nothing: no history row, no audit entry.
    again = await client.put(f"{url}/email", json={"granted": True}, headers=agent.headers)
    assert again.status_code == 200
    assert again.json()["consents"][0]["source"] == "web_form"

    withdrawn = await client.put(f"{url}/email", json={"granted": False}, headers=agent.headers)
    assert withdrawn.json()["consents"][0]["granted"] is False
    history = withdrawn.json()["history"]
    assert [(h["channel"], h["granted"], h["source"], h["actorType"], h["actorId"]) for h in history] == [
        ("email", False, "staff", "user", str(agent.id)),
        ("email", True, "web_form", "user", str(agent.id)),
    ]
    async with transaction(sessionmaker) as session:
        entries = (
            await session.execute(
                select(AuditEvent.action, AuditEvent.details)
                .where(AuditEvent.customer_id == rita.id, AuditEvent.action == "marketing.consent_changed")
                .order_by(AuditEvent.created_at, AuditEvent.id)
            )
        ).all()
    assert [(d["channel"], d["granted"], d["source"]) for _, d in entries] == [
        ("email", True, "web_form"),
        ("email", False, "staff"),
    ]
    # Marketing consent is not the repair-notification preference.
    customer = await client.get(f"/api/v1/customers/{rita.id}", headers=people["manager"].headers)
    assert customer.json()["notifyEmail"] is True


async def test_the_portal_customer_reads_and_changes_only_their_own_consent(
    client, people, app, sessionmaker
):
    rita = people["rita"]
    other = await make_customer(app, sessionmaker, first_name="Other")
    response = await client.put(
        "/api/v1/customer/consents", json={"channel": "sms", "granted": True}, headers=rita.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["customerId"] == str(rita.id)
    sms = response.json()["consents"][1]
    assert (sms["channel"], sms["granted"], sms["source"]) == ("sms", True, "portal")
    assert response.json()["history"][0]["actorType"] == "customer"

    mine = await client.get("/api/v1/customer/consents", headers=rita.headers)
    assert [c["granted"] for c in mine.json()["consents"]] == [False, True, False]
    # A portal customer may not use the staff routes, not even for themselves.
    assert (
        await client.get(f"/api/v1/customers/{other.id}/consents", headers=rita.headers)
    ).status_code == 403
    refused = await client.put(
        "/api/v1/customer/consents",
        json={"channel": "sms", "granted": True, "source": "staff"},
        headers=rita.headers,
    )
    assert refused.status_code == 400
    assert await count_rows(sessionmaker, MarketingConsentChange) == 1


async def test_bad_consent_input_is_refused_and_changes_nothing(client, people, sessionmaker):
    rita, agent, technician = people["rita"], people["agent"], people["technician"]
    url = f"/api/v1/customers/{rita.id}/consents"
    for path, body in [
        ("/fax", {"granted": True}),
        ("/email", {"granted": "yes"}),
        ("/email", {"granted": 1}),
        ("/email", {"granted": True, "source": "telepathy"}),
        ("/email", {}),
    ]:
        response = await client.put(url + path, json=body, headers=agent.headers)
        assert response.status_code == 400, (path, body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    missing = await client.put(
        f"/api/v1/customers/{uuid.uuid4()}/consents/email", json={"granted": True}, headers=agent.headers
    )
    assert missing.status_code == 404
    assert (
        await client.put(url + "/email", json={"granted": True}, headers=technician.headers)
    ).status_code == 403
    assert (await client.get(url, headers=technician.headers)).status_code == 403
    assert await count_rows(sessionmaker, MarketingConsent) == 0
    assert await count_rows(sessionmaker, MarketingConsentChange) == 0


async def test_suppressions_are_managed_by_managers_and_normalised(client, people, sessionmaker):
    manager, agent = people["manager"], people["agent"]
    created = await client.post(
        "/api/v1/suppressions",
        json={"channel": "email", "address": "  Rita.Nunes@Example.COM ", "reason": "bounced"},
        headers=manager.headers,
    )
    assert created.status_code == 201, created.text
    assert (created.json()["address"], created.json()["reason"]) == ("rita.nunes@example.com", "bounced")
    repeated = await client.post(
        "/api/v1/suppressions",
        json={"channel": "email", "address": "rita.nunes@example.com", "reason": "complained"},
        headers=manager.headers,
    )
    assert repeated.status_code == 200
    assert repeated.json()["reason"] == "bounced"
    sms = await client.post(
        "/api/v1/suppressions",
        json={"channel": "sms", "address": "whatsapp:+351 912 345 678", "reason": "stop", "source": "twilio"},
        headers=manager.headers,
    )
    assert sms.json()["address"] == "+351912345678"

    listed = await client.get("/api/v1/suppressions?channel=sms", headers=manager.headers)
    assert [(s["channel"], s["address"]) for s in listed.json()["items"]] == [("sms", "+351912345678")]
    assert listed.json()["total"] == 1

    for body in [
        {"channel": "sms", "address": "912345678", "reason": "stop"},  # not international
        {"channel": "email", "address": "not-an-email", "reason": "bounced"},
        {"channel": "email", "address": "a@example.com", "reason": "annoyed"},
        {"channel": "pigeon", "address": "a@example.com", "reason": "bounced"},
    ]:
        response = await client.post("/api/v1/suppressions", json=body, headers=manager.headers)
        assert response.status_code == 400, (body, response.text)
    assert (await client.get("/api/v1/suppressions", headers=agent.headers)).status_code == 403
    assert await count_rows(sessionmaker, Suppression) == 2

    deleted = await client.delete(
        "/api/v1/suppressions", params={"channel": "sms", "address": "+351912345678"}, headers=manager.headers
    )
    assert deleted.status_code == 204
    gone = await client.delete(
        "/api/v1/suppressions", params={"channel": "sms", "address": "+351912345678"}, headers=manager.headers
    )
    assert gone.status_code == 404
    async with transaction(sessionmaker) as session:
        actions = (
            await session.execute(
                select(AuditEvent.action, func.count())
                .where(AuditEvent.action.like("marketing.suppression%"))
                .group_by(AuditEvent.action)
                .order_by(AuditEvent.action)
            )
        ).all()
        assert await access.is_suppressed(session, "email", "RITA.nunes@example.com")
        assert not await access.is_suppressed(session, "sms", "+351912345678")
    assert actions == [("marketing.suppression_added", 2), ("marketing.suppression_removed", 1)]


async def test_the_audience_is_consenting_reachable_active_and_not_suppressed(app, sessionmaker, client):
    manager = await make_user(app, sessionmaker, "manager")
    ana = await make_customer(app, sessionmaker, first_name="Ana", phone="+351 912 000 001")
    bruno = await make_customer(app, sessionmaker, first_name="Bruno", phone="+351 912 000 002")
    carla = await make_customer(app, sessionmaker, first_name="Carla", email=None, phone="+351 912 000 003")
    duarte = await make_customer(app, sessionmaker, first_name="Duarte", phone=None)
    eva = await make_customer(app, sessionmaker, first_name="Eva", phone="+351 912 000 005")
    filipa = await make_customer(app, sessionmaker, first_name="Filipa", phone="+351 912 000 006")
    never = await make_customer(app, sessionmaker, first_name="Never", phone="+351 912 000 007")
    for customer in (ana, bruno, carla, duarte, eva, filipa):
        await grant(sessionmaker, customer.id, "email", "sms")
    await grant(sessionmaker, bruno.id, "email", granted=False, source="unsubscribe_link")
    await grant(sessionmaker, ana.id, "whatsapp")
    # Eva is archived; Filipa's email bounced and she sent STOP by SMS.
    assert (await client.delete(f"/api/v1/customers/{eva.id}", headers=manager.headers)).status_code == 200
    async with transaction(sessionmaker) as session:
        await access.suppress(session, channel="email", address=filipa.email, reason="bounced", source="smtp")
        await access.suppress(session, channel="sms", address="+351912000006", reason="stop", source="twilio")
        await access.suppress(session, channel="sms", address="+351912000006", reason="stop", source="twilio")

    assert await audience(sessionmaker, ALL, "email") == {ana.id, duarte.id}
    assert await audience(sessionmaker, ALL, "sms") == {ana.id, bruno.id, carla.id}
    assert await audience(sessionmaker, ALL, "whatsapp") == {ana.id}
    listed = AudienceSpec(recipientType="customers", customerIds=[bruno.id, carla.id, filipa.id, never.id])
    assert await audience(sessionmaker, listed, "sms") == {bruno.id, carla.id}
    assert await audience(sessionmaker, listed, "email") == set()

    # Filipa opts in again by SMS (START): her STOP is lifted, her email's bounce is not.
    await grant(sessionmaker, filipa.id, "sms", granted=False, source="sms_keyword")
    await grant(sessionmaker, filipa.id, "sms", granted=True, source="sms_keyword")
    await grant(sessionmaker, filipa.id, "email", granted=False, source="staff")
    await grant(sessionmaker, filipa.id, "email", granted=True, source="staff")
    assert await audience(sessionmaker, ALL, "sms") == {ana.id, bruno.id, carla.id, filipa.id}
    assert await audience(sessionmaker, ALL, "email") == {ana.id, duarte.id}


async def test_the_audience_fits_an_insert_select(app, sessionmaker):
    """Senders copy the audience into their recipient table in one statement."""
    from sqlalchemy import Column, MetaData, String, Table, Uuid, insert

    ana = await make_customer(app, sessionmaker, first_name="Ana")
    await grant(sessionmaker, ana.id, "email")
    scratch = Table(
        "marketing_test_recipients",
        MetaData(),
        Column("customer_id", Uuid, primary_key=True),
        Column("email", String(255)),
        prefixes=["TEMPORARY"],
    )
    async with transaction(sessionmaker) as session:
        connection = await session.connection()
        await connection.run_sync(lambda sync: scratch.create(sync))
        selection = access.audience_select(ALL, "email").subquery()
        await session.execute(
            insert(scratch).from_select(
                ["customer_id", "email"], select(selection.c.customer_id, selection.c.email)
            )
        )
        rows = (await session.execute(select(scratch.c.customer_id, scratch.c.email))).all()
        await connection.run_sync(lambda sync: scratch.drop(sync))
    assert rows == [(ana.id, ana.email)]


async def test_bad_audiences_are_refused(app, sessionmaker):
    ana = await make_customer(app, sessionmaker, first_name="Ana")
    bad = [
        (AudienceSpec(recipient_type="all", customer_ids=[ana.id]), 400),
        (AudienceSpec(recipient_type="customers"), 400),
        (AudienceSpec(recipient_type="customers", customer_ids=[]), 400),
        (AudienceSpec(recipient_type="customers", customer_ids=[ana.id, ana.id]), 400),
        (AudienceSpec(recipient_type="customers", customer_ids=[ana.id, uuid.uuid4()]), 400),
        (AudienceSpec(recipient_type="segment"), 400),
    ]
    async with transaction(sessionmaker) as session:
        for spec, status in bad:
            with pytest.raises(FixdeskError) as raised:
                await access.validate_audience(session, spec)
            assert getattr(raised.value, "status", None) == status, (spec, raised.value)
        await access.validate_audience(
            session, AudienceSpec(recipient_type="customers", customer_ids=[ana.id])
        )
