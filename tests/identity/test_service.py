"""Identity service rules that the HTTP tests do not reach directly: creating staff users."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from fixdesk.db import transaction
from fixdesk.identity.models import User
from fixdesk.identity.staff import create_user
from fixdesk.platform.errors import Conflict, ValidationFailed
from tests.conftest import unique_email


async def count_users(sessionmaker) -> int:
    async with sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(User))


async def test_create_user_normalises_the_email_and_keeps_no_password_when_none_is_given(app, sessionmaker):
    email = unique_email("tech")

    async with transaction(sessionmaker) as session:
        user = await create_user(
            session,
            email=f"  {email.upper()} ",
            password=None,
            first_name="Rui",
            last_name="Costa",
            role="technician",
        )

    async with sessionmaker() as session:
        stored = await session.get(User, user.id)
    assert stored is not None
    assert stored.email == email
    assert stored.password_hash is None
    assert stored.role == "technician"
    assert stored.is_active is True
    assert stored.permissions == []
    assert stored.full_name == "Rui Costa"


async def test_create_user_refuses_an_email_taken_in_another_case(app, sessionmaker):
    email = unique_email("admin")
    async with transaction(sessionmaker) as session:
        await create_user(session, email=email, password=None, first_name="A", last_name="B", role="admin")

    with pytest.raises(Conflict) as raised:
        async with transaction(sessionmaker) as session:
            await create_user(
                session, email=email.upper(), password=None, first_name="C", last_name="D", role="agent"
            )

    assert email in raised.value.detail
    assert await count_users(sessionmaker) == 1


async def test_create_user_refuses_an_unknown_role(app, sessionmaker):
    with pytest.raises(ValidationFailed) as raised:
        async with transaction(sessionmaker) as session:
            await create_user(
                session, email=unique_email(), password=None, first_name="A", last_name="B", role="owner"
            )

    assert [error["field"] for error in raised.value.errors] == ["role"]
    assert await count_users(sessionmaker) == 0


@pytest.mark.parametrize("password", ["", "short", "7-chars"])
async def test_create_user_refuses_a_password_shorter_than_8(app, sessionmaker, password):
    with pytest.raises(ValidationFailed) as raised:
        async with transaction(sessionmaker) as session:
            await create_user(
                session, email=unique_email(), password=password, first_name="A", last_name="B", role="admin"
            )

    assert raised.value.errors == [{"field": "password", "message": "must be at least 8 characters"}]
    assert await count_users(sessionmaker) == 0


async def test_create_user_refuses_an_invalid_email(app, sessionmaker):
    with pytest.raises(ValidationFailed) as raised:
        async with transaction(sessionmaker) as session:
            await create_user(
                session, email="not-an-email", password=None, first_name="A", last_name="B", role="admin"
            )

    assert [error["field"] for error in raised.value.errors] == ["email"]
    assert await count_users(sessionmaker) == 0
