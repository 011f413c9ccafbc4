"""No usable secret at rest: after the secrets of API clients and webhooks were created and rotated through
the API (with Idempotency-Key headers), a login code requested and a staff member invited, a dump of the
whole database (every text, JSON and binary value of every table) holds none of those secrets, codes or
tokens, neither raw nor base64- nor hex-encoded, while the webhook is still delivered with a valid
signature and the code and the invitation still work."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest
from sqlalchemy import JSON, LargeBinary, String, Text
from sqlalchemy.types import TypeDecorator

from fixdesk.config import Settings
from fixdesk.models import Base
from fixdesk.platform.idempotency import IdempotencyKey
from tests.conftest import make_settings
from tests.factories import make_customer, make_repair, make_user
from tests.identity.conftest import CODE_PATTERN, INVITATION_TOKEN_PATTERN, body_of, make_mailroom
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_deliveries import verify


@pytest.fixture
async def settings(database_url: str, tmp_path: Any) -> Settings:
    """Webhooks to the receiver on 127.0.0.1, and an auth rate limit this test does not run into."""
    return make_settings(database_url, tmp_path, webhooks_allow_private=True, rate_limit_auth="1000/minute")


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


def textual(column_type: Any) -> bool:
    """Whether a column can hold text or bytes (our TypeDecorators are judged by their SQL type)."""
    if isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    return isinstance(column_type, String | Text | JSON | LargeBinary)


async def dump_database(sessionmaker) -> str:
    """Every text, JSON and binary value of every row of every table, as one string. JSON values appear
    both as stored and as serialised; bytes as Latin-1 text (so any byte sequence is searchable)."""
    parts: list[str] = []
    async with sessionmaker() as session:
        for table in Base.metadata.sorted_tables:
            columns = [column for column in table.columns if textual(column.type)]
            if not columns:
                continue
            for row in (await session.execute(table.select().with_only_columns(*columns))).all():
                for value in row:
                    if value is None:
                        continue
                    if isinstance(value, bytes | bytearray | memoryview):
                        parts.append(bytes(value).decode("latin-1"))
                    elif isinstance(value, dict | list):
                        parts.extend([json.dumps(value), json.dumps(value, ensure_ascii=False), str(value)])
                    else:
                        parts.append(str(value))
    return "\n".join(parts)


def encodings(data: bytes) -> set[str]:
    """``data`` in the encodings a careless store might use: base64 (standard, URL-safe, unpadded) and hex."""
    forms = {data.hex(), data.hex().upper()}
    for encoded in (base64.b64encode(data), base64.urlsafe_b64encode(data)):
        forms |= {encoded.decode(), encoded.decode().rstrip("=")}
    return forms


def needles(secret: str) -> set[str]:
    """What finding ``secret`` in the dump would look like: itself, its random part after the prefix,
    and their encodings; for a ``whsec_`` secret also the signing key bytes, encoded."""
    prefix, _, random_part = secret.partition("_")
    found = {secret, random_part} | encodings(secret.encode()) | encodings(random_part.encode())
    if prefix == "whsec":
        found |= encodings(base64.b64decode(random_part))
    return found


async def test_a_database_dump_holds_no_secret_code_or_token(
    app, client, sessionmaker, settings, database, receiver
):
    mailroom = make_mailroom(settings, database)
    try:
        admin = await make_user(app, sessionmaker, "admin")

        def keyed(key: str) -> dict[str, str]:
            return {**admin.headers, "Idempotency-Key": key}

        api_client = await client.post(
            "/api/v1/api-clients", json={"name": "ERP", "scopes": ["customers:read"]}, headers=keyed("k1")
        )
        assert api_client.status_code == 201, api_client.text
        client_path = f"/api/v1/api-clients/{api_client.json()['id']}"
        rotated_client = await client.post(f"{client_path}/rotate-secret", headers=keyed("k2"))
        assert rotated_client.status_code == 200, rotated_client.text
        hook = await client.post(
            "/api/v1/webhooks",
            json={"url": receiver.url(), "events": ["repair.created"]},
            headers=keyed("k3"),
        )
        assert hook.status_code == 201, hook.text
        rotated_hook = await client.post(
            f"/api/v1/webhooks/{hook.json()['id']}/rotate-secret", headers=keyed("k4")
        )
        assert rotated_hook.status_code == 200, rotated_hook.text
        customer = await make_customer(app, sessionmaker)
        assert (await client.post("/api/v1/auth/login", json={"email": customer.email})).status_code == 200
        invited = await client.post(
            "/api/v1/users",
            json={
                "email": "new.tech@example.com",
                "firstName": "Nuno",
                "lastName": "Alves",
                "role": "technician",
            },
            headers=keyed("k5"),
        )
        assert invited.status_code == 201, invited.text
        await make_repair(client, admin, customer.id)

        await mailroom.drain()

        (code_email,) = [m for m in mailroom.emails(customer.email) if "login code" in m["Subject"]]
        (code,) = CODE_PATTERN.findall(body_of(code_email))
        (invitation_email,) = mailroom.emails("new.tech@example.com")
        token = INVITATION_TOKEN_PATTERN.search(body_of(invitation_email)).group(1)
        secrets = {
            "first API-client secret": api_client.json()["clientSecret"],
            "rotated API-client secret": rotated_client.json()["clientSecret"],
            "first webhook secret": hook.json()["secret"],
            "rotated webhook secret": rotated_hook.json()["secret"],
            "invitation token": token,
        }

        dump = await dump_database(sessionmaker)

        # The dump is the real thing: it holds the rows these requests made.
        assert receiver.url() in dump
        assert "new.tech@example.com" in dump
        async with sessionmaker() as session:
            records = (await session.execute(IdempotencyKey.__table__.select())).all()
        assert len(records) == 5
        for name, secret in secrets.items():
            found = sorted(needle for needle in needles(secret) if needle in dump)
            assert not found, f"the {name} is in the database dump as {found}"
        # Six digits could appear by chance inside longer numbers or timestamps; a stored code would not
        # be glued to other digits, letters or a decimal point.
        assert not re.search(rf"(?<![0-9A-Za-z.]){code}(?![0-9A-Za-z])", dump), (
            "the login code is in the dump"
        )
        assert not any(form in dump for form in encodings(code.encode()))

        # Still working: the webhook was signed with the rotated secret, the code logs in, the token is accepted.
        (request,) = receiver.posts()
        assert verify(request, rotated_hook.json()["secret"])["event"] == "repair.created"
        logged_in = await client.post(
            "/api/v1/auth/verify-email", json={"email": customer.email, "code": code}
        )
        assert logged_in.status_code == 200, logged_in.text
        accepted = await client.post(
            "/api/v1/auth/accept-invite", json={"token": token, "password": "a long enough password"}
        )
        assert accepted.status_code == 200, accepted.text
    finally:
        await mailroom.services.aclose()
